"""Domain errors. Services raise these; the CLI and the API map them to exit codes and statuses."""

from __future__ import annotations


class TepatError(Exception):
    """Base of every error Tepat raises on purpose.

    ``code`` is a stable machine-readable identifier; the message is for a person and must say
    what is wrong with which value. Messages never contain a full NIK or KK number.
    """

    code = "tepat_error"
    field: str | None = None  # the input (query parameter, body field, option) at fault, if one

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.field = field

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0]) if self.args else self.code


class InvalidInput(TepatError):
    """A value given by a caller is malformed or impossible."""

    code = "invalid_input"


class NotFound(TepatError):
    """A referenced thing does not exist (or is outside the caller's scope)."""

    code = "not_found"


class Conflict(TepatError):
    """The change conflicts with the current state (stale version, duplicate, bad transition)."""

    code = "conflict"


class ConfigurationError(TepatError):
    """Settings are missing or unsafe for the environment."""

    code = "configuration_error"


class Unauthorized(TepatError):
    """The caller is not signed in, or its token is unknown, expired or revoked."""

    code = "unauthorized"


class Forbidden(TepatError):
    """The caller is signed in but its role or region does not allow this action."""

    code = "forbidden"
