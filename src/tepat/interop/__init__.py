"""The DCI Social Registry API (v1.0.0): synchronous search over the registry.

``schemas`` holds the envelope (request and response), ``query`` turns one search request's
criteria into plain conditions (pure), ``records`` maps registry rows to DCI records (pure),
``service`` runs a search inside the caller's regions and audits it, ``api`` is the route.
See ``docs/DCI.md``.
"""
