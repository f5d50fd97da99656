"""Render a template into an HTML response with what every page needs.

Every page gets ``t`` (the translator), ``lang``, ``user`` (the signed-in principal or None),
``nav`` (the links of the user's role), ``csrf`` (the form token of the session), ``path`` and
the number and date filters of the language (``angka``, ``rupiah``, ``tanggal``).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tepat.pages.i18n import LANG_COOKIE, Lang, language, translator
from tepat.pages.nav import nav_for

_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

# Pages hold personal data: never cached, never framed, scripts only from this origin.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def number(value: Any, lang: Lang, digits: int = 0) -> str:
    """``1234567.5`` as ``1.234.568`` (id) or ``1,234,568`` (en); '-' for None."""
    if value is None:
        return "-"
    text = f"{float(value):,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def rupiah(value: Any, lang: Lang) -> str:
    """``Rp 1.234.567`` (no decimals); '-' for None."""
    return "-" if value is None else f"Rp {number(value, lang)}"


def day(value: Any, lang: Lang) -> str:
    """``28 Nov 2026`` (with ``12:05`` for a datetime); '-' for None."""
    if value is None:
        return "-"
    if isinstance(value, str):
        try:
            if len(value) == 10:  # a date as text (JSON payloads): no time of day
                value = date.fromisoformat(value)
            else:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    text = f"{value.day} {_MONTHS[lang][value.month - 1]} {value.year}"
    if isinstance(value, datetime):
        text += f" {value:%H:%M}"
    return text if isinstance(value, date) else str(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment (templates in ``tepat/pages/templates``, HTML autoescaped)."""
    env = Environment(
        loader=PackageLoader("tepat.pages", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def request_lang(request: Request) -> Lang:
    """The language of a request: its cookie, else Bahasa Indonesia."""
    return language(request.cookies.get(LANG_COOKIE))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The HTML response of ``template`` with the page context and security headers."""
    from tepat.pages.session import csrf_token, session_principal_or_none

    lang = request_lang(request)
    user = session_principal_or_none(request)
    values: dict[str, Any] = {
        "t": translator(lang),
        "lang": lang,
        "user": user,
        "nav": nav_for(user),
        "csrf": csrf_token(request),
        "path": request.url.path,
        "query": str(request.url.query),
        "angka": lambda v, d=0: number(v, lang, d),
        "rupiah": lambda v: rupiah(v, lang),
        "tanggal": lambda v: day(v, lang),
        "title": "",
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
    return response
