"""As-you-type checks of form fields (``/periksa/nik``, ``/periksa/kk``, ``/periksa/wilayah``).

Forms call them through htmx while the user types; they check the format only (the same rules
as the service: tepat.reference) and never say whether a number is in the registry. The answer
is the field's message element, in the user's language.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape

from tepat.pages.i18n import Translate, translator
from tepat.pages.render import request_lang
from tepat.reference.kk import check_kk
from tepat.reference.nik import check_nik
from tepat.reference.regions import RegionLevel, regions

router = APIRouter()

Kind = Literal["nik", "kk", "wilayah", "tanggal"]


def nik_message(value: str, t: Translate) -> str | None:
    """The problem with a NIK as a sentence for the user, or None when it is well formed."""
    value = value.strip()
    if not value:
        return None
    result = check_nik(value)
    if result.valid:
        return None
    return t(f"check.{result.errors[0].code}", n=len(value))


def kk_message(value: str, t: Translate) -> str | None:
    """The problem with a KK number, or None when it is well formed."""
    value = value.strip()
    if not value:
        return None
    result = check_kk(value)
    if result.valid:
        return None
    return t(f"check.{result.errors[0].code}", n=len(value))


def village_message(value: str, t: Translate) -> str | None:
    """The problem with a village code (dotted, e.g. 11.12.01.2006), or None when it exists."""
    value = value.strip()
    if not value:
        return None
    found = regions().find(value)
    if found is None:
        return t("check.village_unknown")
    if found.level != RegionLevel.VILLAGE:
        return t("check.village_not_village")
    return None


def date_message(value: str, t: Translate) -> str | None:
    """The problem with a date (YYYY-MM-DD, not in the future), or None."""
    value = value.strip()
    if not value:
        return None
    try:
        when = date.fromisoformat(value)
    except ValueError:
        return t("check.date_invalid")
    if when > date.today():
        return t("check.date_future")
    return None


CHECKS = {"nik": nik_message, "kk": kk_message, "wilayah": village_message, "tanggal": date_message}


@router.get("/periksa/{kind}")
def check_field(kind: Kind, request: Request) -> HTMLResponse:
    """The message element of the field that triggered the check."""
    t = translator(request_lang(request))
    name = request.headers.get("HX-Trigger-Name") or kind
    value = request.query_params.get(name) or next(iter(request.query_params.values()), "")
    problem = CHECKS[kind](value[:64], t)
    css = "message" if problem else "message ok"
    text = problem or ("" if not value.strip() else t("check.ok"))
    html = f'<small id="e-{escape(name)}" class="{css}" role="status">{escape(text)}</small>'
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
