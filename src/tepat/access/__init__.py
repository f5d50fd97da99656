"""Users, roles, region scopes, authentication and the append-only audit log.

``roles`` and ``principal`` are pure (no I/O); ``service`` and ``audit`` take a caller-owned
session and only flush. See ``docs/SERVICE.md``.
"""
