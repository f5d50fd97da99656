"""Proposals (usulan), field verification (ground check), approvals, objections (sanggah),
notices of loss and appeals, and the citizens' self-service endpoints. See docs/WORKFLOW.md.

Pure rules: ``states`` (the state machines), ``rules`` (numbers, names, bands, GPS),
``ground_check`` (the 39-question form), ``ratelimit``. Tables: ``models``. Use cases:
``proposals``, ``decisions``, ``objections``, ``notices``, ``appeals``, ``citizen``,
``summary``. Routes: ``api``, ``api_cases``, ``public_api``.
"""
