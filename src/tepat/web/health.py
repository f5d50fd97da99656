"""Liveness (``/health``) and readiness (``/ready``: database reachable, schema at head)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from tepat.db.migrate import current_revision, head_revision
from tepat.web.errors import error_body

router = APIRouter(tags=["health"])
log = logging.getLogger("tepat.web")


class Health(BaseModel):
    """The process answers."""

    status: str = Field(examples=["ok"])


class Ready(BaseModel):
    """The database is reachable and migrated to the newest revision."""

    status: str = Field(examples=["ready"])
    revision: str | None = Field(examples=["0005"])


@lru_cache(maxsize=1)
def _head() -> str | None:
    return head_revision()


@router.get("/health", summary="Is the process up?")
def health() -> Health:
    """Always ``{"status": "ok"}`` while the process serves requests; touches no database."""
    return Health(status="ok")


@router.get(
    "/ready",
    summary="Can the service serve requests?",
    response_model=Ready,
    responses={503: {"description": "Database unreachable or not migrated, or still warming up."}},
)
def ready(request: Request) -> Any:
    """Ready when the database answers, its schema is at the newest migration and the start-up
    warm-up (templates, region list, current release for the pages) is done."""
    try:
        revision = current_revision(request.app.state.engine)
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return JSONResponse(
            error_body(
                "database_unreachable",
                f"the database does not answer ({type(exc).__name__}); check TEPAT_DATABASE_URL "
                "and that the server is running",
            ),
            status_code=503,
        )
    head = _head()
    if revision != head:
        return JSONResponse(
            error_body(
                "database_not_migrated",
                f"the database is at revision {revision or 'none'} but this code needs {head}: "
                "run `tepat db upgrade`",
            ),
            status_code=503,
        )
    warming = getattr(request.app.state, "warming", None)
    if warming is not None and not warming.is_set():
        return JSONResponse(
            error_body(
                "warming_up",
                "the service is loading its templates, region list and current release; "
                "retry in a few seconds",
            ),
            status_code=503,
            headers={"Retry-After": "2"},
        )
    return Ready(status="ready", revision=revision)
