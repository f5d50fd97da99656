"""Dependencies of every route: the settings, a database session per request, the caller.

Use them through the ``Annotated`` aliases::

    @router.get("/things/{thing_id}")
    def read_thing(thing_id: int, db: DbSession, caller: Caller) -> ThingOut:
        return service.read_thing(db=db, principal=caller.principal, purpose=caller.purpose, ...)
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from tepat.access.audit import defer_to_commit, take_reads
from tepat.access.audit_writer import AuditWriter
from tepat.access.principal import ANONYMOUS, Principal
from tepat.access.roles import Role
from tepat.access.service import BAD_TOKEN, principal_for_token
from tepat.config import Settings
from tepat.errors import Forbidden, Unauthorized
from tepat.web.errors import ServiceBusy

GATE_TIMEOUT_SECONDS = 30.0


_bearer = HTTPBearer(
    auto_error=False,
    description="A token from POST /api/v1/auth/token, sent as `Authorization: Bearer <token>`.",
)


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def _enter(gate: threading.Semaphore, timeout: float) -> None:
    # Poll instead of blocking a worker thread: threads parked on the gate would starve the
    # thread pool that the requests inside need to finish. A cancelled waiter holds nothing.
    waited, pause = 0.0, 0.001
    while not gate.acquire(blocking=False):
        if waited >= timeout:
            raise ServiceBusy(
                "the service is busy (all database connections in use); retry in a moment",
                code="database_busy",
            )
        await anyio.sleep(pause)
        waited += pause
        pause = min(pause * 2, 0.02)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request: committed when the route succeeds, rolled back when it raises.

    At most ``app.state.db_gate``'s count of requests hold a session at once: the size of the
    connection pool (PostgreSQL), or one (SQLite, which has a single writer and where every
    audited read also writes). The others wait without holding a thread or a connection.
    """
    state = request.app.state
    gate: threading.Semaphore = state.db_gate
    await _enter(gate, GATE_TIMEOUT_SECONDS)
    try:
        session: Session = state.session_factory()
        defer_to_commit(session)  # audit entries are chained just before the commit
        writer: AuditWriter | None = getattr(state, "audit_writer", None)
        try:
            yield session
            reads = take_reads(session) if writer is not None else []
            await run_in_threadpool(session.commit)
            if reads:  # reads are batched with other requests' (group commit), then answered
                await writer.write(reads)  # type: ignore[union-attr]
        except BaseException:
            with anyio.CancelScope(shield=True):  # a cancelled request still rolls back
                await run_in_threadpool(session.rollback)
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(session.close)
    finally:
        gate.release()


# scope="function": the commit happens before the response is sent, so a failed commit is
# reported to the client instead of being lost after a 200.
DbSession = Annotated[Session, Depends(get_db, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def bearer_token(credentials: Bearer) -> str | None:
    """The bearer token of the request, if any."""
    return None if credentials is None else credentials.credentials


async def optional_principal(
    db: DbSession, token: Annotated[str | None, Depends(bearer_token)]
) -> Principal:
    """The caller, or :data:`ANONYMOUS` when no token is sent (a bad token is still 401).

    Async so that an anonymous request costs no hop to the thread pool; the token lookup, which
    reads the database, still runs in a worker thread.
    """
    if token is None:
        return ANONYMOUS
    principal, _expires = await run_in_threadpool(principal_for_token, db=db, token=token)
    return principal


async def current_principal(
    principal: Annotated[Principal, Depends(optional_principal)],
) -> Principal:
    """The signed-in caller; 401 for anonymous callers and unknown, expired or revoked tokens."""
    if principal.is_anonymous:
        raise Unauthorized(BAD_TOKEN, code="not_signed_in")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal, Depends(optional_principal)]

PURPOSE_HEADER = Header(
    alias="X-Purpose",
    max_length=200,
    description=(
        "Why you read this personal data (kept in the audit log). Optional: each role has a "
        "default purpose (see GET /api/v1/auth/me)."
    ),
    examples=["verifikasi usulan musdes 2026-11"],
)


@dataclass(frozen=True, slots=True)
class CallerContext:
    """A signed-in caller and the purpose to record for what it reads."""

    principal: Principal
    purpose: str


def _purpose(principal: Principal, given: str | None) -> str:
    text = " ".join((given or "").split())  # one line, no control characters
    return text or principal.default_purpose


async def caller_context(
    principal: CurrentPrincipal,
    x_purpose: Annotated[str | None, PURPOSE_HEADER] = None,
) -> CallerContext:
    """The signed-in caller with the purpose of its request (``X-Purpose`` or the role default)."""
    return CallerContext(principal, _purpose(principal, x_purpose))


async def public_context(
    principal: OptionalPrincipal,
    x_purpose: Annotated[str | None, PURPOSE_HEADER] = None,
) -> CallerContext:
    """Like :func:`caller_context`, but anonymous callers are let through as the public."""
    return CallerContext(principal, _purpose(principal, x_purpose))


Caller = Annotated[CallerContext, Depends(caller_context)]
PublicCaller = Annotated[CallerContext, Depends(public_context)]


def require_role(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only ``roles`` through (403 for other signed-in callers)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"this is open to {', '.join(roles)} accounts; yours is {principal.role}",
                code="role_not_allowed",
            )
        return principal

    return check
