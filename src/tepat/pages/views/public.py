"""Public pages for citizens (no account): the start page ``/``, the status check
``/cek-status``, following an objection ``/sanggah/status`` and appealing a notice of loss
``/banding/{id}``. The forms ``/usul`` and ``/sanggah`` are in ``public_usul`` and
``public_sanggah``, the explanations
``/cara-kerja`` and ``/istilah`` in ``public_info``.

Every page calls the same service functions as ``/api/v1/public/...`` (tepat.workflow.citizen,
citizen_objections) as the anonymous public, so they disclose exactly what the API does: a desil
band, program names, numbers and states, never another person's data and never a full NIK. A
wrong name is answered like an unknown NIK. Requests that reach the registry count against the
same per-address budget as the API (``status_check_rate_per_minute``); over it the page says so
with status 429. Public forms carry no form token: nobody is signed in on them, so a form sent
from another site can do nothing the sender could not do itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from tepat.access.principal import ANONYMOUS
from tepat.errors import TepatError
from tepat.pages.i18n import Translate, catalogue, translator
from tepat.pages.render import render, request_lang
from tepat.pages.session import OptionalPageUser
from tepat.pages.views.check import nik_message
from tepat.reference.regions import regions
from tepat.web.deps import AppSettings, DbSession
from tepat.web.errors import status_for
from tepat.workflow import citizen, citizen_objections
from tepat.workflow.public_api import count_public
from tepat.workflow.public_schemas import PublicAppealIn, StatusOut
from tepat.workflow.ratelimit import RateLimited
from tepat.workflow.rules import normalise_name

router = APIRouter()

PUBLIC = ANONYMOUS
PURPOSE = ANONYMOUS.default_purpose
MAX_TEXT = 2000  # longer form values are cut before checking (the checks then refuse them)
_SEPARATORS = re.compile(r"[\s.\-]+")

Errors = dict[str, str]


async def form_data(request: Request) -> FormData:
    """The posted form (urlencoded or multipart), read once."""
    return await request.form()


Posted = Annotated[FormData, Depends(form_data)]


def text(form: Mapping[str, Any], key: str) -> str:
    """A text value of the form ('' when missing or a file), at most MAX_TEXT characters."""
    value = form.get(key)
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def upload(form: Mapping[str, Any], key: str) -> UploadFile | None:
    """A file of the form, when one was chosen."""
    value = form.get(key)
    return value if isinstance(value, UploadFile) and value.filename else None


def digits(value: str) -> str:
    """A NIK or KK as typed on a phone (spaces, dots, dashes) reduced to its characters."""
    return _SEPARATORS.sub("", value)


def name_problem(value: str, t: Translate, key: str = "name") -> str | None:
    """Why a name cannot be the name on a KTP/KK, or None."""
    if not value.strip():
        return t(f"public.err.{key}_missing")
    if len(value.strip()) > 120:
        return t("public.err.name_long")
    if not normalise_name(value) or any(ord(c) < 32 for c in value):
        return t("public.err.name_letters")
    return None


def nik_problem(value: str, t: Translate) -> str | None:
    """Why a typed NIK is not a NIK (Bahasa Indonesia / English), or None."""
    if not value.strip():
        return t("check.nik_missing")
    return nik_message(digits(value)[:64], t)


def identity_errors(nik: str, name: str, t: Translate) -> Errors:
    """Field messages for a NIK and a name as on the KTP."""
    errors: Errors = {}
    if problem := nik_problem(nik, t):
        errors["nik"] = problem
    if problem := name_problem(name, t):
        errors["name"] = problem
    return errors


def service_message(exc: TepatError, t: Translate, request: Request) -> str:
    """The citizen's sentence for a refusal of the service (by its code), in the page's
    language; an unknown code falls back to a general sentence."""
    key = f"public.err.{exc.code}"
    if key in catalogue(request_lang(request)):
        return t(key)
    return t("public.err.other")


def located(exc: ValidationError, t: Translate, fields: Mapping[str, str]) -> Errors:
    """Field messages for what the service's schema still refused after the page's checks:
    ``fields`` maps a schema location (dotted, indexes included) to the form field; anything
    else goes to the top of the form."""
    errors: Errors = {}
    for problem in exc.errors():
        loc = ".".join(str(p) for p in problem["loc"] if p not in ("new_family", "update"))
        target = next(
            (f for key, f in fields.items() if loc == key or loc.startswith(key + ".")), "_form"
        )
        errors.setdefault(target, t("public.err.invalid_value"))
    return errors


def refused(exc: TepatError, t: Translate, request: Request, fields: Mapping[str, str]) -> Errors:
    """The service's refusal next to the field it names (else at the top of the form)."""
    return {fields.get(exc.field or "", "_form"): service_message(exc, t, request)}


def limited(request: Request, settings: AppSettings) -> Response | None:
    """Count a request that reaches the registry; the friendly 429 page when over budget."""
    try:
        count_public(request, settings)
    except RateLimited as exc:
        response = render(
            request, "public/limited.html", {"retry": exc.retry_after}, status_code=429
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return None


def village_name(code: str | None) -> str | None:
    """The name of a village code (``Guhang``), or None."""
    found = regions().find(code) if code else None
    return None if found is None else found.name


@router.get("/")
def start(request: Request, user: OptionalPageUser) -> HTMLResponse:
    """The public start page: check, propose, object, how it works, staff sign-in."""
    return render(request, "public/home.html", {})


# -- status check ------------------------------------------------------------------------------


def _status_page(
    request: Request,
    values: Mapping[str, str],
    errors: Errors,
    result: StatusOut | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    from tepat.pages.views.public_info import program_label

    lang = request_lang(request)
    programs = [] if result is None else [program_label(p, lang) for p in result.programs]
    notices = []
    if result is not None:
        notices = [(n, program_label(n.program, lang)) for n in result.notices]
    context = {
        "values": values,
        "errors": errors,
        "result": result,
        "programs": programs,
        "notices": notices,
        "village": None if result is None else village_name(result.village_code),
    }
    return render(request, "public/status.html", context, status_code=status_code)


@router.get("/cek-status")
def status_form(request: Request) -> HTMLResponse:
    """The status check form: NIK and name as on the KTP."""
    return _status_page(request, {"nik": "", "name": ""}, {})


@router.post("/cek-status")
def status_check(request: Request, db: DbSession, settings: AppSettings, form: Posted) -> Response:
    """Registered or not; the desil band, programs, pending proposals and notices."""
    t = translator(request_lang(request))
    nik, name = text(form, "nik"), text(form, "name")
    errors = identity_errors(nik, name, t)
    if errors:
        return _status_page(request, {"nik": nik, "name": name}, errors, status_code=422)
    if (stop := limited(request, settings)) is not None:
        return stop
    result = citizen.status(db=db, principal=PUBLIC, purpose=PURPOSE, nik=digits(nik), name=name)
    # The answer never repeats the NIK: the form comes back empty.
    return _status_page(request, {"nik": "", "name": ""}, {}, result)


# -- following an objection --------------------------------------------------------------------


def _objection_status_page(
    request: Request,
    values: Mapping[str, str],
    errors: Errors,
    result: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"values": values, "errors": errors, "result": result}
    return render(request, "public/sanggah_status.html", context, status_code=status_code)


@router.get("/sanggah/status")
def objection_status_form(request: Request, nomor: str = "") -> HTMLResponse:
    """Follow an objection by its number (the objector's NIK and name too)."""
    return _objection_status_page(request, {"number": nomor[:60], "nik": "", "name": ""}, {})


@router.post("/sanggah/status")
def objection_status(
    request: Request, db: DbSession, settings: AppSettings, form: Posted
) -> Response:
    """The objection's state, deadline and outcome, for its objector only."""
    t = translator(request_lang(request))
    values = {k: text(form, k) for k in ("number", "nik", "name")}
    number = values["number"].strip().upper()
    errors = identity_errors(values["nik"], values["name"], t)
    if not number:
        errors["number"] = t("public.err.number_missing")
    elif not re.fullmatch(r"SGH-\d{2}\.\d{2}\.\d{2}\.\d{4}-\d{4}-\d{6,18}", number):
        errors["number"] = t("public.err.number_format")
    if errors:
        return _objection_status_page(request, values, errors, status_code=422)
    if (stop := limited(request, settings)) is not None:
        return stop
    try:
        result = citizen_objections.objection_status(
            db=db,
            principal=PUBLIC,
            purpose=PURPOSE,
            number=number,
            nik=digits(values["nik"]),
            name=values["name"],
        )
    except TepatError as exc:
        errors = {"_form": service_message(exc, t, request)}
        return _objection_status_page(request, values, errors, status_code=status_for(exc))
    return _objection_status_page(request, {"number": number, "nik": "", "name": ""}, {}, result)


# -- appeal against a notice of loss -----------------------------------------------------------


def _appeal_page(
    request: Request,
    notice_id: int,
    values: Mapping[str, str],
    errors: Errors,
    result: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"notice_id": notice_id, "values": values, "errors": errors, "result": result}
    return render(request, "public/banding.html", context, status_code=status_code)


def _notice_id(value: str) -> int | None:
    if not (value.isdigit() and len(value) <= 18) or int(value) < 1:
        return None
    return int(value)


@router.get("/banding")
def appeal_start(request: Request) -> Response:
    """How to appeal: from the status check, which lists the family's notices."""
    return RedirectResponse("/cek-status#pemberitahuan", status_code=303)


@router.get("/banding/{notice_id}")
def appeal_form(request: Request, notice_id: str) -> Response:
    """The appeal form of a notice of loss (the family member's NIK, name and reason)."""
    found = _notice_id(notice_id)
    if found is None:
        from tepat.pages.errors import error_page

        return error_page(request, 404, "not_found")
    return _appeal_page(request, found, {"nik": "", "name": "", "reason": ""}, {})


@router.post("/banding/{notice_id}")
def appeal(
    request: Request, notice_id: str, db: DbSession, settings: AppSettings, form: Posted
) -> Response:
    """File the appeal; its number, or the form again with the reason kept."""
    t = translator(request_lang(request))
    found = _notice_id(notice_id)
    values = {k: text(form, k) for k in ("nik", "name", "reason")}
    if found is None:
        from tepat.pages.errors import error_page

        return error_page(request, 404, "not_found")
    errors = identity_errors(values["nik"], values["name"], t)
    reason = values["reason"].strip()
    if len(reason) < 3:
        errors["reason"] = t("public.err.reason_short")
    elif len(reason) > 500:
        errors["reason"] = t("public.err.reason_long", n=len(reason))
    if errors:
        return _appeal_page(request, found, values, errors, status_code=422)
    if (stop := limited(request, settings)) is not None:
        return stop
    try:
        body = PublicAppealIn(nik=digits(values["nik"]), name=values["name"], reason=reason)
    except ValidationError as exc:
        errors = located(exc, t, {"nik": "nik", "name": "name", "reason": "reason"})
        return _appeal_page(request, found, values, errors, status_code=422)
    try:
        result = citizen.appeal(
            db=db,
            principal=PUBLIC,
            purpose=PURPOSE,
            notice_id=found,
            body=body,
            days=settings.proposal_days,
        )
    except TepatError as exc:
        errors = {"_form": service_message(exc, t, request)}
        return _appeal_page(request, found, values, errors, status_code=status_for(exc))
    return _appeal_page(request, found, {}, {}, result, status_code=201)
