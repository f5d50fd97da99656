"""Who is signed in to the pages: a session cookie holding an API token, and form tokens.

Signing in issues the same expiring token as ``POST /api/v1/auth/token`` and keeps it in an
HttpOnly, SameSite=Lax cookie, so a page and the API agree on who may see what. Every form that
changes something carries ``csrf``, an HMAC of the session token under the secret key, and a
page refuses a POST without the right one (a form from another site cannot know it).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from tepat.access.principal import Principal
from tepat.access.roles import Role
from tepat.access.service import principal_for_token
from tepat.errors import Forbidden, TepatError, Unauthorized
from tepat.web.deps import DbSession

SESSION_COOKIE = "tepat_sesi"


class SignInRequired(TepatError):
    """The page needs a signed-in user: answered with a redirect to ``/masuk``."""

    def __init__(self, next_path: str, *, expired: bool = False) -> None:
        super().__init__("sign in to open this page", code="sign_in_required")
        self.next_path = next_path
        self.expired = expired

    def location(self) -> str:
        """Where to send the browser: the sign-in page, coming back here afterwards."""
        expired = "&habis=1" if self.expired else ""
        return f"/masuk?next={quote(self.next_path, safe='/')}{expired}"


def _secret(request: Request) -> bytes:
    secret: str = request.app.state.settings.secret_key.get_secret_value()
    return secret.encode("utf-8")


def csrf_token(request: Request) -> str:
    """The form token of the request's session ('' when nobody is signed in)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return ""
    return hmac.new(_secret(request), token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def check_csrf(request: Request, given: str | None) -> None:
    """Refuse a changing request whose form token is missing or wrong."""
    expected = csrf_token(request)
    if not expected or not hmac.compare_digest(expected, given or ""):
        raise Forbidden(
            "this form has expired or did not come from this site: reload the page and send "
            "it again",
            code="form_expired",
        )


def session_principal_or_none(request: Request) -> Principal | None:
    """The principal a page dependency already resolved for this request, if any."""
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else None


def page_principal(request: Request, db: DbSession) -> Principal:
    """The signed-in user of a page; a redirect to the sign-in page otherwise."""
    token = request.cookies.get(SESSION_COOKIE)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise SignInRequired(path)
    try:
        principal, _expires = principal_for_token(db=db, token=token)
    except Unauthorized as exc:
        raise SignInRequired(path, expired=True) from exc
    request.state.principal = principal
    return principal


def optional_page_principal(request: Request, db: DbSession) -> Principal | None:
    """The signed-in user when there is one (public pages that greet staff)."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return page_principal(request, db)
    except SignInRequired:
        return None


PageUser = Annotated[Principal, Depends(page_principal)]
OptionalPageUser = Annotated[Principal | None, Depends(optional_page_principal)]


def require_page_role(principal: Principal, *roles: Role) -> None:
    """Refuse (403 page) a signed-in user whose role may not open this page."""
    if principal.role not in roles:
        raise Forbidden(
            "this page is not open to your role",
            code="role_not_allowed",
        )
