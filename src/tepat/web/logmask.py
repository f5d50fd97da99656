"""Logging that never carries a full NIK or KK: every 16-digit number is masked.

:class:`MaskIdentifiersFilter` masks a record's message, arguments and traceback text. Because a
filter on one handler misses records sent to others, :func:`install_log_masking` also installs a
log-record factory that masks every record when it is created, whichever logger or handler then
sees it (uvicorn's access log included).
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from tepat.access.audit import mask_identifiers

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_MARK = "_tepat_masking"


def _mask_arg(value: Any) -> Any:
    if isinstance(value, str):
        return mask_identifiers(value)
    if isinstance(value, bool | float) or value is None:
        return value
    text = str(value)
    masked = mask_identifiers(text)
    # Keep the original object (so %d and friends still work) unless it shows a number.
    return value if masked == text else masked


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask 16-digit numbers in ``record`` in place (message, arguments, exception text).

    Arguments are masked one by one rather than merged into the message, so formatters that
    read ``record.args`` (uvicorn's access log) keep working.
    """
    if getattr(record, _MARK, False):
        return record
    record.msg = _mask_arg(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _mask_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_identifiers(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_identifiers(record.stack_info)
    if not hasattr(record, "request_id"):
        record.request_id = request_id.get()
    setattr(record, _MARK, True)
    return record


class MaskIdentifiersFilter(logging.Filter):
    """A logging filter that masks every 16-digit number (NIK, KK) in a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record; never drops it."""
        mask_record(record)
        return True


def install_log_masking() -> None:
    """Mask every log record of the process from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, _MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        # The exception text is formatted lazily by handlers; mask it here while we hold it.
        return mask_record(record)

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, MaskIdentifiersFilter) for f in handler.filters):
            handler.addFilter(MaskIdentifiersFilter())
