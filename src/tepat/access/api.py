"""JSON routes of sign-in (``/auth``) and the audit log (``/audit``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from tepat.access import audit
from tepat.access import service as access
from tepat.access.principal import Principal
from tepat.access.schemas import AuditEntryOut, LoginIn, MeOut, TokenOut
from tepat.access.service import principal_for_token
from tepat.errors import Unauthorized
from tepat.web.deps import (
    AppSettings,
    Caller,
    CurrentPrincipal,
    DbSession,
    bearer_token,
    require_role,
)
from tepat.web.pagination import Page, Pagination

auth_router = APIRouter(prefix="/auth", tags=["auth"])
audit_router = APIRouter(prefix="/audit", tags=["audit"])

_401: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the token is expired or revoked."}
}


@auth_router.post(
    "/token",
    summary="Sign in",
    responses={401: {"description": "Wrong username or password (one message for both)."}},
)
def sign_in(body: LoginIn, db: DbSession, settings: AppSettings) -> TokenOut:
    """Exchange a username and password for a bearer token valid `token_ttl_minutes`."""
    issued = access.authenticate(
        db=db,
        username=body.username,
        password=body.password,
        ttl=timedelta(minutes=settings.token_ttl_minutes),
    )
    audit.record(db, issued.principal, action="auth.sign_in", purpose="sign in")
    return TokenOut(
        access_token=issued.token,
        expires_at=issued.expires_at,
        username=issued.principal.username,
        role=issued.principal.role,
    )


@auth_router.post("/logout", status_code=204, summary="Sign out", responses={**_401})
def sign_out(
    db: DbSession,
    principal: CurrentPrincipal,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Response:
    """Revoke the token of this request; later requests with it get 401."""
    if token is None:  # pragma: no cover - CurrentPrincipal already refused it
        raise Unauthorized("not signed in", code="not_signed_in")
    access.revoke_token(db=db, token=token)
    audit.record(db, principal, action="auth.sign_out", purpose="sign out")
    return Response(status_code=204)


@auth_router.get("/me", summary="Who am I?", responses={**_401})
def me(db: DbSession, token: Annotated[str | None, Depends(bearer_token)]) -> MeOut:
    """Your account, regions, whether you see full identity numbers, and your default purpose."""
    if token is None:
        raise Unauthorized("sign in first: no bearer token was sent", code="not_signed_in")
    principal, expires = principal_for_token(db=db, token=token)
    return MeOut(
        username=principal.username,
        role=principal.role,
        regions=list(principal.regions),
        may_see_identity=principal.may_see_identity,
        default_purpose=principal.default_purpose,
        token_expires_at=expires,
    )


AuditReader = Annotated[Principal, Depends(require_role("auditor", "national_admin"))]


@audit_router.get(
    "",
    summary="Read the audit log",
    responses={**_401, 403: {"description": "Only auditor and national_admin accounts."}},
)
def read_audit_log(
    db: DbSession,
    _reader: AuditReader,
    caller: Caller,
    paging: Pagination,
    actor: Annotated[str | None, Query(max_length=64, description="Username.")] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="Action or its prefix.", examples=["registry."]),
    ] = None,
    entity: Annotated[str | None, Query(max_length=24, examples=["household"])] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="From this time (UTC if naive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
) -> Page[AuditEntryOut]:
    """Entries newest first. Reading the log is itself logged."""
    rows, total = audit.list_entries(
        db,
        offset=paging.offset,
        limit=paging.size,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        since=since,
        until=until,
    )
    items = [AuditEntryOut.model_validate(r) for r in rows]
    audit.record(
        db,
        caller.principal,
        action="audit.read",
        purpose=caller.purpose,
        detail={
            "filters": {"actor": actor, "action": action, "entity": entity, "entity_id": entity_id},
            "returned": len(items),
        },
    )
    return Page(items=items, total=total, page=paging.page, size=paging.size)
