"""The envelope of a DCI message: parse and check it, or reject the whole message.

Pure: :func:`parse_envelope` reads the request body and checks the header (version, action,
message_ts, total_count) and the message's shape, raising :class:`EnvelopeError` with a code
of the spec's ``Error`` (``err.*``) or ``MsgHeaderStatusReasonCode`` (``rjct.*``) enumeration.
The search requests themselves are left raw: each is judged on its own (``query``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from tepat.errors import InvalidInput
from tepat.interop.fields import valid_timestamp
from tepat.interop.schemas import (
    DCI_VERSION,
    MAX_SEARCH_REQUESTS,
    Envelope,
    MessageIn,
    ResponseHeader,
    SyncSearchResponse,
)

BAD_REQUEST = "err.request.bad"
SIGNATURE_INVALID = "err.signature.invalid"
ENCRYPTION_INVALID = "err.encryption.invalid"
VERSION_INVALID = "rjct.version.invalid"
ACTION_INVALID = "rjct.action.invalid"
MESSAGE_TS_INVALID = "rjct.message_ts.invalid"
TOTAL_COUNT_INVALID = "rjct.total_count.invalid"
TOTAL_COUNT_LIMIT = "rjct.total_count.limit_exceeded"
HEADER_CODES = frozenset(
    {VERSION_INVALID, ACTION_INVALID, MESSAGE_TS_INVALID, TOTAL_COUNT_INVALID, TOTAL_COUNT_LIMIT}
)


class EnvelopeError(InvalidInput):
    """The message as a whole cannot be processed (answered with HTTP 400)."""

    code = BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        code: str,
        field: str | None = None,
        message_id: str | None = None,
        sender_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field)
        self.message_id = message_id
        self.sender_id = sender_id


def _raw_string(data: Any, key: str) -> str | None:
    header = data.get("header") if isinstance(data, dict) else None
    value = header.get(key) if isinstance(header, dict) else None
    return value[:99] if isinstance(value, str) else None


def _first_problem(exc: ValidationError, prefix: str) -> tuple[str, str]:
    error = exc.errors()[0]
    field = ".".join([prefix, *(str(p) for p in error.get("loc", ()))]).strip(".") or "body"
    return field, f"{field}: {error.get('msg', 'invalid value')}"


def parse_envelope(body: bytes) -> tuple[Envelope, MessageIn]:
    """The checked envelope and its message (items still raw), or :class:`EnvelopeError`."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise EnvelopeError(
            "the request body is not valid JSON", code=BAD_REQUEST, field="body"
        ) from None
    message_id, sender_id = _raw_string(data, "message_id"), _raw_string(data, "sender_id")

    def fail(text: str, code: str, field: str | None = None) -> EnvelopeError:
        return EnvelopeError(
            text, code=code, field=field, message_id=message_id, sender_id=sender_id
        )

    if not isinstance(data, dict):
        raise fail("the body must be an object {signature, header, message}", BAD_REQUEST)
    if data.get("signature") is not None and not isinstance(data["signature"], str):
        raise fail("signature must be a string", SIGNATURE_INVALID, "signature")
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError as exc:
        field, text = _first_problem(exc, "")
        raise fail(text, BAD_REQUEST, field) from None
    header = envelope.header
    if header.is_msg_encrypted or "ciphertext" in envelope.message:
        raise fail(
            "encrypted messages are not supported: send is_msg_encrypted false over HTTPS",
            ENCRYPTION_INVALID,
            "header.is_msg_encrypted",
        )
    checks = [
        (header.version != DCI_VERSION, VERSION_INVALID, "version", f"must be {DCI_VERSION}"),
        (header.action != "search", ACTION_INVALID, "action", "must be search"),
        (
            not valid_timestamp(header.message_ts),
            MESSAGE_TS_INVALID,
            "message_ts",
            "must be ISO 8601 with a time zone",
        ),
    ]
    for failed, code, name, text in checks:
        if failed:
            raise fail(f"header.{name} {text}", code, f"header.{name}")
    try:
        message = MessageIn.model_validate(envelope.message)
    except ValidationError as exc:
        field, text = _first_problem(exc, "message")
        raise fail(text, BAD_REQUEST, field) from None
    count = len(message.search_request)
    if count > MAX_SEARCH_REQUESTS:
        raise fail(
            f"a message holds at most {MAX_SEARCH_REQUESTS} search requests; this one {count}",
            TOTAL_COUNT_LIMIT,
            "message.search_request",
        )
    if header.total_count != count:
        raise fail(
            f"header.total_count is {header.total_count} but the message has {count} search "
            "request(s)",
            TOTAL_COUNT_INVALID,
            "header.total_count",
        )
    return envelope, message


def rejection(exc: EnvelopeError, *, message_ts: str, correlation_id: str) -> SyncSearchResponse:
    """The on-search answer to a rejected message: header only, status rjct."""
    return SyncSearchResponse(
        header=ResponseHeader(
            message_id=exc.message_id or correlation_id,
            message_ts=message_ts,
            status="rjct",
            status_reason_code=exc.code if exc.code in HEADER_CODES else None,
            status_reason_message=exc.message[:999],
            receiver_id=exc.sender_id,
        )
    )
