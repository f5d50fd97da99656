"""The FastAPI app factory: ``create_app(settings)``. Nothing connects at import time.

Run it with ``tepat serve`` (or ``uvicorn --factory tepat.web.app:create_app``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from tepat.access.api import audit_router, auth_router
from tepat.access.audit_writer import AuditWriter
from tepat.config import Settings, get_settings
from tepat.db.engine import engine_from_settings, session_factory
from tepat.interop.api import router as dci_router
from tepat.pages import install as install_pages
from tepat.pages.app import warm_up
from tepat.registry.api import router as registry_router
from tepat.web.errors import BodyLimitAndCorrelation, document_errors, install_error_handlers
from tepat.web.health import router as health_router
from tepat.web.logmask import install_log_masking
from tepat.workflow import public_api as workflow_public
from tepat.workflow.api import router as workflow_router
from tepat.workflow.api_cases import router as workflow_cases_router

DESCRIPTION = """
The registry service of **Tepat**, an open implementation of DTSEN (Data Tunggal Sosial dan
Ekonomi Nasional).

* Sign in with `POST /api/v1/auth/token` and send the token as `Authorization: Bearer <token>`.
* Every answer is limited to the regions of your account; identity numbers (NIK, KK) are masked
  for roles that may not see them.
* Every read of personal data is written to a hash-chained audit log with its purpose: send
  `X-Purpose: <short reason>`, or your role's default purpose is recorded.
* Errors have the body `{"error": {"code": ..., "message": ..., "field": ...}}`.
"""

TAGS = [
    {"name": "auth", "description": "Sign in and out; who am I."},
    {"name": "registry", "description": "Households and people, limited to your regions."},
    {"name": "audit", "description": "The audit log (auditor and national_admin only)."},
    {
        "name": "dci",
        "description": "The DCI Social Registry API v1.0.0 (sync search); also served at the "
        "spec's own path /registry/sync/search. See docs/DCI.md.",
    },
    {
        "name": "workflow",
        "description": "Proposals (usulan), ground checks, approvals, objections (sanggah), "
        "notices of loss and appeals, in your regions. See docs/WORKFLOW.md.",
    },
    {
        "name": "public",
        "description": "Citizens' self-service without a token (status check, own proposal, "
        "objection, recipients of their village, appeal); rate-limited per client IP.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the web app on ``settings`` (from the environment when None).

    ``engine`` is for tests and embedding: the app then uses it and does not dispose of it.
    """
    settings = settings if settings is not None else get_settings()
    owned = engine is None
    engine = engine if engine is not None else engine_from_settings(settings)
    install_log_masking()

    # Reads' audit entries are group-committed by one thread (not on SQLite: one writer).
    writer = None if engine.dialect.name == "sqlite" else AuditWriter(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warming = _app.state.warming = threading.Event()  # /ready answers 503 until it is set
        warm_up(settings.data_dir, warming)  # templates, catalogues, regions, current release
        yield
        if writer is not None:
            writer.close()
        if owned:
            engine.dispose()

    app = FastAPI(
        title="Tepat registry service",
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.db_gate = threading.BoundedSemaphore(concurrent_sessions(engine))
    app.state.audit_writer = writer
    install_error_handlers(app)
    app.add_middleware(BodyLimitAndCorrelation, max_body_bytes=settings.max_body_bytes)

    app.include_router(health_router)
    app.include_router(auth_router, prefix="/api/v1")
    app.include_router(registry_router, prefix="/api/v1")
    app.include_router(audit_router, prefix="/api/v1")
    app.include_router(dci_router, prefix="/api/v1/dci")
    app.include_router(dci_router, include_in_schema=False)  # the spec's path, for DCI clients
    app.include_router(workflow_router, prefix="/api/v1")
    app.include_router(workflow_cases_router, prefix="/api/v1")
    app.include_router(workflow_public.router, prefix="/api/v1")
    workflow_public.install(app)
    install_pages(app)
    _document_errors(app)
    return app


def concurrent_sessions(engine: Engine) -> int:
    """How many requests may hold a database session at once.

    SQLite: one (a single writer, and every audited read writes). Otherwise the pool's size
    plus its overflow, so no request waits for a connection while holding a worker thread.
    """
    if engine.dialect.name == "sqlite":
        return 1
    pool = engine.pool
    size = getattr(pool, "size", None)
    if not callable(size) or int(size()) <= 0:
        return 32  # a pool without a limit (NullPool, size 0): keep a sane bound anyway
    overflow = getattr(pool, "_max_overflow", 0)
    return max(1, int(size()) + max(int(overflow), 0))


def _document_errors(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
