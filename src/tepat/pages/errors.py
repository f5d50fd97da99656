"""Errors on page paths are pages too: a readable HTML page in the user's language.

The API keeps its JSON errors; a request is a page request when its path is not under one of
the API's prefixes. A page that needs a signed-in user redirects to ``/masuk`` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from tepat.access.audit import mask_identifiers
from tepat.errors import TepatError
from tepat.pages.render import render
from tepat.pages.session import SignInRequired
from tepat.web.errors import error_body, status_for

log = logging.getLogger("tepat.pages")

API_PREFIXES: Final = ("/api/", "/registry/", "/health", "/ready", "/docs", "/redoc", "/openapi")

Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_page(request: Request) -> bool:
    """True for a page path (anything not under the API's prefixes)."""
    path = request.url.path
    return not any(path == p.rstrip("/") or path.startswith(p) for p in API_PREFIXES)


def error_page(request: Request, status: int, code: str, detail: str | None = None) -> Response:
    """The error page of ``status`` (its title and advice come from the catalogue)."""
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "detail": mask_identifiers(detail or "")},
        status_code=status,
    )


def _status_and_code(exc: Exception) -> tuple[int, str, str | None]:
    if isinstance(exc, TepatError):
        return status_for(exc), exc.code, exc.message
    if isinstance(exc, HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else None
        return exc.status_code, f"http_{exc.status_code}", detail
    if isinstance(exc, RequestValidationError):
        return 404, "not_found", None  # a malformed id in a page URL: no such page
    return 500, "internal", None


def _dispatch(api_handler: Handler | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if isinstance(exc, SignInRequired):
            return RedirectResponse(exc.location(), status_code=303)
        if not is_page(request):
            if api_handler is not None:
                return await api_handler(request, exc)
            log.exception("request %s failed", request.url.path, exc_info=exc)
            body = error_body("internal", "the service failed; the error is logged, retry later")
            return JSONResponse(body, status_code=500)
        status, code, detail = _status_and_code(exc)
        if status >= 500:
            log.exception("page %s failed", request.url.path, exc_info=exc)
            detail = None
        return error_page(request, status, code, detail)

    return handle


def install_page_errors(app: FastAPI) -> None:
    """Answer errors on page paths with HTML; leave the API's handlers for the API's paths."""
    for exc_class in (TepatError, HTTPException, RequestValidationError, Exception):
        current: Any = app.exception_handlers.get(exc_class)
        app.add_exception_handler(exc_class, _dispatch(current))
