"""Sign in (``/masuk``), sign out (``/keluar``) and the language switch (``/bahasa/{lang}``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from tepat.access import audit
from tepat.access import service as access
from tepat.errors import Unauthorized
from tepat.pages.i18n import LANG_COOKIE, language
from tepat.pages.render import render
from tepat.pages.session import SESSION_COOKIE, OptionalPageUser, check_csrf
from tepat.web.deps import AppSettings, DbSession

router = APIRouter()


def safe_next(value: str | None) -> str:
    """Only a path on this site (never ``//other.site`` or a full URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/beranda"
    return value


@router.get("/masuk")
def sign_in_page(
    request: Request, user: OptionalPageUser, next: str | None = None, habis: int = 0
) -> Response:
    """The sign-in form (or straight on, when already signed in)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request,
        "signin.html",
        {"next": safe_next(next), "username": "", "error": "expired" if habis else None},
    )


@router.post("/masuk")
def sign_in(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/beranda",
) -> Response:
    """Check the password; set the session cookie and go on, or show the form again."""
    target = safe_next(next)
    if not username.strip() or not password:
        context = {"next": target, "username": username, "error": "missing"}
        return render(request, "signin.html", context, status_code=422)
    try:
        ttl = timedelta(minutes=settings.token_ttl_minutes)
        issued = access.authenticate(db=db, username=username, password=password, ttl=ttl)
    except Unauthorized:
        context = {"next": target, "username": username, "error": "bad_credentials"}
        return render(request, "signin.html", context, status_code=401)
    audit.record(db, issued.principal, action="auth.sign_in", purpose="sign in (web)")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.token_ttl_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/keluar")
def sign_out(
    request: Request,
    db: DbSession,
    user: OptionalPageUser,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Revoke the session's token and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if user is not None and token:
        check_csrf(request, csrf)
        access.revoke_token(db=db, token=token)
        audit.record(db, user, action="auth.sign_out", purpose="sign out (web)")
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/bahasa/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    """Show the pages in ``lang`` (id or en) from now on."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, language(lang), max_age=365 * 86400, samesite="lax")
    return response
