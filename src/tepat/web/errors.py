"""Errors at the edge: domain errors to statuses, one JSON shape, no 500 for bad input.

Every error response has the body ``{"error": {"code", "message", "field"}}`` (plus ``fields``
for request validation and ``correlation_id`` for unexpected failures). Unexpected exceptions
are logged with a correlation id (identifiers masked, see ``logmask``) and answered with 500.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tepat.access.audit import mask_identifiers
from tepat.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TepatError,
    Unauthorized,
)
from tepat.web.logmask import request_id

log = logging.getLogger("tepat.web")


class ServiceBusy(TepatError):
    """The service cannot take the request now; retrying later may succeed (503)."""

    code = "service_busy"


# Checked in order: the first class an error is an instance of gives its status. Add a line
# here for a new TepatError subclass that needs a status of its own.
STATUS_BY_ERROR: list[tuple[type[TepatError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (ServiceBusy, 503),
]
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class FieldError(BaseModel):
    """One invalid input."""

    field: str = Field(examples=["size"])
    message: str = Field(examples=["Input should be less than or equal to 200"])


class ErrorDetail(BaseModel):
    """What went wrong, for a person and for a program."""

    code: str = Field(description="Stable machine-readable code.", examples=["out_of_scope"])
    message: str = Field(description="What is wrong and what to do about it.")
    field: str | None = Field(default=None, description="The input at fault, if one.")
    fields: list[FieldError] | None = Field(default=None, description="Every invalid input.")
    correlation_id: str | None = Field(default=None, description="Quote it when reporting a 500.")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": {"code": code, "message": mask_identifiers(message), "field": field, **extra}}


def status_for(exc: TepatError) -> int:
    """HTTP status of a domain error (400 for one with no more specific mapping)."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


def _headers(status: int) -> dict[str, str] | None:
    return {"WWW-Authenticate": "Bearer"} if status == 401 else None


async def _tepat_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TepatError)
    status = status_for(exc)
    body = error_body(exc.code, exc.message, exc.field)
    return JSONResponse(body, status_code=status, headers=_headers(status))


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("query", "path", "header", "body", "cookie"):
        where, rest = parts[0], parts[1:]
        return ".".join(rest) if where != "body" else ".".join(["body", *rest])
    return ".".join(parts)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(
            error_body("malformed_json", "the request body is not valid JSON", "body"),
            status_code=400,
        )
    fields = [
        {
            "field": _field_name(e.get("loc", ())),
            "message": mask_identifiers(str(e.get("msg", "invalid value"))),
        }
        for e in errors
    ]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5]) or "invalid request"
    first = fields[0]["field"] if fields else None
    body = error_body("invalid_request", summary, first, fields=fields)
    return JSONResponse(body, status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = "no such endpoint: see /docs for the API"
    headers = dict(exc.headers or {}) | (_headers(exc.status_code) or {})
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)


async def _stale(_request: Request, _exc: Exception) -> JSONResponse:
    body = error_body("stale_version", "someone else changed this record: reload it and retry")
    return JSONResponse(body, status_code=409)


async def _integrity(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity error answered with 409: %s", type(exc).__name__)
    body = error_body("conflict", "the change conflicts with existing data (a duplicate?)")
    return JSONResponse(body, status_code=409)


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Point every 4xx/5xx response of an OpenAPI document at :class:`ErrorBody`."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(body.pop("$defs", {}))
    components["ErrorBody"] = body
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"]["description"] = "Invalid input; `field`/`fields` name it."
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = ref
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema


async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("database operational error answered with 503: %s", exc)
    body = error_body(
        "database_unavailable", "the database is unavailable or busy; retry in a moment"
    )
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the JSON shape above."""
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(PoolTimeout, _unavailable)
    app.add_exception_handler(TepatError, _tepat_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(StaleDataError, _stale)
    app.add_exception_handler(IntegrityError, _integrity)


class BodyLimitAndCorrelation:
    """ASGI middleware: a correlation id per request, a body size limit, and a last-resort 500.

    A body larger than ``max_body_bytes`` is answered with 413 (from ``Content-Length`` before
    the app runs, or while reading a chunked body). An exception no handler took is logged with
    the correlation id and answered with a 500 that quotes it.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            length = _header(scope, b"content-length")
            if length is not None and not length.isdigit():
                body = error_body("bad_request", "the Content-Length header is not a number")
                await self._answer(JSONResponse(body, 400), send_with_id)
                return
            if length is not None and int(length) > self.max_body_bytes:
                body = error_body("body_too_large", self._too_large_message())
                await self._answer(JSONResponse(body, 413), send_with_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        except Exception:
            log.exception("unexpected error in %s %s [%s]", scope["method"], scope["path"], rid)
            if not started:
                body = error_body(
                    "internal_error",
                    f"an unexpected error occurred; quote correlation id {rid} when reporting it",
                    correlation_id=rid,
                )
                await JSONResponse(body, status_code=500)(scope, receive, send_with_id)
        finally:
            request_id.reset(token)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise HTTPException(413, self._too_large_message())
            return message

        return limited

    def _too_large_message(self) -> str:
        return f"the request body is larger than the limit of {self.max_body_bytes:,} bytes"

    @staticmethod
    async def _answer(response: JSONResponse, send: Send) -> None:
        async def no_receive() -> Message:
            return {"type": "http.disconnect"}

        await response({"type": "http"}, no_receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1")).strip()
    return None
