"""Objections (``/sanggah``): a resident identifies with NIK and name, sees the recipients of
the current release in the own village (names masked, as the service lists them), picks one and
gives the reason, a photo's metadata and the location; the answer is the objection number and
the verification deadline (``objection_days``, 14).

The photo stays on the phone: ``static/public.js`` fingerprints it (SHA-256) and sends only its
name, fingerprint and time. Without JavaScript the photo is sent and the page keeps the same
three facts (the body limit of the service applies).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from tepat.errors import TepatError
from tepat.pages.i18n import Translate, translator
from tepat.pages.render import render, request_lang
from tepat.pages.views.public import (
    PUBLIC,
    PURPOSE,
    Errors,
    Posted,
    digits,
    identity_errors,
    limited,
    located,
    refused,
    text,
    upload,
)
from tepat.pages.views.public_info import program_short
from tepat.web.deps import AppSettings, DbSession
from tepat.web.errors import status_for
from tepat.workflow import citizen_objections
from tepat.workflow.public_schemas import ObjectionIn, ObjectionReason
from tepat.workflow.rules import point_problem

router = APIRouter()

REASONS: Final[tuple[str, ...]] = ObjectionReason.__args__  # type: ignore[attr-defined]
RECIPIENTS_PER_PAGE: Final = 20
WIT: Final = timezone(timedelta(hours=9))
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


# -- sanggah: an objection against a listed recipient of one's own village ----------------------


def _sanggah_page(
    request: Request,
    values: Mapping[str, str],
    errors: Errors,
    listed: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = request_lang(request)
    items = []
    if listed is not None:
        items = [(r, [program_short(p) for p in r.programs]) for r in listed.items]
    context = {
        "values": values,
        "errors": errors,
        "listed": listed,
        "items": items,
        "reason_labels": [(r, translator(lang)(f"public.reason.{r}")) for r in REASONS],
        "per_page": RECIPIENTS_PER_PAGE,
        "days": request.app.state.settings.objection_days,
    }
    return render(request, "public/sanggah.html", context, status_code=status_code)


SANGGAH_KEYS: Final = (
    "nik",
    "name",
    "household_id",
    "reason_code",
    "reason_text",
    "foto_nama",
    "foto_sha256",
    "foto_waktu",
    "lintang",
    "bujur",
    "halaman",
)


@router.get("/sanggah")
def objection_form(request: Request) -> HTMLResponse:
    """Step 1 of an objection: who you are (NIK and name), to see your village's recipients."""
    return _sanggah_page(request, {}, {})


def _page_number(value: str) -> int:
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


def _coordinate(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        return None
    return number if low <= number <= high else None


def _photo(
    form: Mapping[str, Any], values: Mapping[str, str], t: Translate
) -> tuple[dict[str, Any] | None, Errors]:
    """The photo's metadata: from the chosen file (without JavaScript the file is sent and only
    its name and fingerprint are kept), or from the fields the page's script filled."""
    chosen = upload(form, "foto")
    if chosen is not None:
        digest = hashlib.sha256()
        while chunk := chosen.file.read(64 * 1024):
            digest.update(chunk)
        name = re.split(r"[/\\]", chosen.filename or "foto.jpg")[-1][:120] or "foto.jpg"
        return {"file_name": name, "sha256": digest.hexdigest(), "taken_at": datetime.now(UTC)}, {}
    name = values["foto_nama"].strip()
    sha = values["foto_sha256"].strip()
    if not name and not sha:
        return None, {"foto": t("public.err.photo_missing")}
    errors: Errors = {}
    if not name or len(name) > 120 or re.search(r"[/\\]", name):
        errors["foto_nama"] = t("public.err.photo_name")
    if not _SHA256.match(sha):
        errors["foto_sha256"] = t("public.err.photo_sha256")
    taken: datetime = datetime.now(UTC)
    if when := values["foto_waktu"].strip():
        try:
            taken = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            errors["foto_waktu"] = t("public.err.photo_time")
        else:
            # A time typed without a zone is read as Indonesia's easternmost (WIT, UTC+9), so
            # a photo just taken anywhere in Indonesia is never "in the future".
            taken = taken if taken.tzinfo else taken.replace(tzinfo=WIT)
            if taken > datetime.now(UTC) or taken.year < 2000:
                errors["foto_waktu"] = t("public.err.photo_time")
    if errors:
        return None, errors
    return {"file_name": name, "sha256": sha.lower(), "taken_at": taken}, {}


def _objection_body(
    form: Mapping[str, Any], values: Mapping[str, str], t: Translate
) -> tuple[dict[str, Any] | None, Errors]:
    errors: Errors = {}
    target = values["household_id"].strip()
    if not (target.isdigit() and 0 < len(target) < 19):
        errors["household_id"] = t("public.err.recipient_missing")
    if values["reason_code"] not in REASONS:
        errors["reason_code"] = t("public.err.reason_code_missing")
    reason = values["reason_text"].strip()
    if len(reason) < 3:
        errors["reason_text"] = t("public.err.reason_short")
    elif len(reason) > 500:
        errors["reason_text"] = t("public.err.reason_long", n=len(reason))
    lat = _coordinate(values["lintang"], -90, 90)
    lon = _coordinate(values["bujur"], -180, 180)
    if not values["lintang"].strip() or not values["bujur"].strip():
        errors["lintang"] = t("public.err.gps_missing")
    elif lat is None or lon is None or point_problem(lat, lon):
        errors["lintang"] = t("public.err.gps_outside")
    photo, photo_errors = _photo(form, values, t)
    errors.update(photo_errors)
    if errors or photo is None or lat is None or lon is None:
        return None, errors
    return {
        "household_id": int(target),
        "reason_code": values["reason_code"],
        "reason_text": reason,
        "photos": [{**photo, "latitude": lat, "longitude": lon}],
        "latitude": lat,
        "longitude": lon,
    }, errors


_OBJECTION_FIELDS: Final = {
    "nik": "nik",
    "name": "name",
    "household_id": "household_id",
    "kk_number": "household_id",
    "reason_code": "reason_code",
    "reason_text": "reason_text",
    "photos": "foto",
    "latitude": "lintang",
    "longitude": "lintang",
}


@router.post("/sanggah")
def objection(request: Request, db: DbSession, settings: AppSettings, form: Posted) -> Response:
    """Step 2 (``langkah=cari``): the recipients of the resident's village; step 3
    (``langkah=kirim``): file the objection against the one picked."""
    t = translator(request_lang(request))
    values = {k: text(form, k) for k in SANGGAH_KEYS}
    errors = identity_errors(values["nik"], values["name"], t)
    if errors:
        return _sanggah_page(request, values, errors, status_code=422)
    if (stop := limited(request, settings)) is not None:
        return stop
    nik, name = digits(values["nik"]), values["name"].strip()
    page = _page_number(values["halaman"])
    try:
        listed = citizen_objections.recipients(
            db=db,
            principal=PUBLIC,
            purpose=PURPOSE,
            nik=nik,
            name=name,
            offset=(page - 1) * RECIPIENTS_PER_PAGE,
            limit=RECIPIENTS_PER_PAGE,
        )
    except TepatError as exc:
        errors = refused(exc, t, request, {"nik": "nik"})
        return _sanggah_page(request, values, errors, None, status_for(exc))
    if text(form, "langkah") != "kirim":
        return _sanggah_page(request, values, {}, listed)
    body, errors = _objection_body(form, values, t)
    if body is None:
        return _sanggah_page(request, values, errors, listed, status_code=422)
    try:
        filed = citizen_objections.file_objection(
            db=db,
            principal=PUBLIC,
            purpose=PURPOSE,
            body=ObjectionIn.model_validate({"nik": nik, "name": name, **body}),
            days=settings.objection_days,
        )
    except ValidationError as exc:
        errors = located(exc, t, _OBJECTION_FIELDS)
        return _sanggah_page(request, values, errors, listed, status_code=422)
    except TepatError as exc:
        errors = refused(exc, t, request, _OBJECTION_FIELDS)
        return _sanggah_page(request, values, errors, listed, status_code=status_for(exc))
    return render(
        request,
        "public/sanggah_done.html",
        {"result": filed, "days": settings.objection_days},
        status_code=201,
    )
