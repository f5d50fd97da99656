"""The citizens' own proposal (``/usul``): a new family that includes them, or an update of
their registered family's household data (address, RT/RW, KK number).

The page checks what was typed first (NIK, KK, village code, dates, names, the NIK against the
birth date and sex) with messages in the user's language next to each field; only a form that
passes reaches the service (tepat.workflow.citizen.propose) and counts against the per-address
budget. What the service still refuses is shown next to the field it names, and every refusal
shows the form again with what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from tepat.errors import TepatError
from tepat.pages.i18n import Translate, translator
from tepat.pages.render import render, request_lang
from tepat.pages.views.check import date_message, kk_message, village_message
from tepat.pages.views.public import (
    PUBLIC,
    PURPOSE,
    Errors,
    Posted,
    digits,
    identity_errors,
    limited,
    located,
    name_problem,
    nik_problem,
    refused,
    text,
)
from tepat.reference.nik import check_nik
from tepat.web.deps import AppSettings, DbSession
from tepat.web.errors import status_for
from tepat.workflow import citizen
from tepat.workflow.public_schemas import CitizenProposalIn
from tepat.workflow.rules import same_name

router = APIRouter()

ROWS: Final = 3  # member rows shown at first
MAX_ROWS: Final = 30
MEMBER_KEYS: Final = ("name", "nik", "sex", "born", "rel")
RELATIONSHIPS: Final = tuple(range(1, 9))  # r409: 1 head, 2 spouse, 3 child, ... 8 other
_RT_RW = re.compile(r"^[0-9]{1,3}$")


# -- usul: a citizen's own proposal ------------------------------------------------------------


def _usul_page(
    request: Request,
    kind: str,
    values: Mapping[str, str],
    rows: int,
    errors: Errors,
    status_code: int = 200,
) -> HTMLResponse:
    t = translator(request_lang(request))
    context = {
        "kind": kind,
        "values": values,
        "rows": rows,
        "errors": errors,
        "rel_options": [(str(r), t(f"public.rel.{r}")) for r in RELATIONSHIPS],
    }
    return render(request, "public/usul.html", context, status_code=status_code)


@router.get("/usul")
def proposal_form(request: Request, jenis: str = "baru") -> HTMLResponse:
    """The self-proposal form: a new family (``jenis=baru``) or an update (``jenis=ubah``)."""
    kind = "ubah" if jenis == "ubah" else "baru"
    return _usul_page(request, kind, {}, ROWS, {})


def _rows(form: Mapping[str, Any]) -> int:
    count = text(form, "baris")
    return min(max(int(count) if count.isdigit() and len(count) < 4 else ROWS, 1), MAX_ROWS)


def _member_errors(values: Mapping[str, str], row: int, t: Translate) -> Errors:
    errors: Errors = {}
    key = f"m{row}_"
    if problem := name_problem(values[key + "name"], t, "member_name"):
        errors[key + "name"] = problem
    nik = digits(values[key + "nik"])
    if problem := nik_problem(nik, t):
        errors[key + "nik"] = problem
    sex = values[key + "sex"]
    if sex not in ("M", "F"):
        errors[key + "sex"] = t("public.err.sex_missing")
    born = values[key + "born"].strip()
    if not born:
        errors[key + "born"] = t("public.err.born_missing")
    elif problem := date_message(born, t):
        errors[key + "born"] = problem
    elif date.fromisoformat(born).year < 1900:
        errors[key + "born"] = t("check.date_invalid")
    rel = values[key + "rel"]
    if not (rel.isdigit() and int(rel) in RELATIONSHIPS):
        errors[key + "rel"] = t("public.err.rel_missing")
    if key + "nik" not in errors and key + "born" not in errors and key + "sex" not in errors:
        check = check_nik(nik, recorded_birth_date=date.fromisoformat(born), recorded_sex=sex)
        for warning in check.warnings:
            if warning.code in ("nik_birth_date_mismatch", "nik_sex_mismatch"):
                errors[key + "nik"] = t(f"check.{warning.code}")
    return errors


def _new_family(
    values: dict[str, str], rows: int, t: Translate
) -> tuple[dict[str, Any] | None, Errors, dict[str, str]]:
    """The proposal body of a new family, its field errors, and schema location -> field."""
    errors = identity_errors(values["nik"], values["name"], t)
    village = values["village"].strip()
    if not village:
        errors["village"] = t("public.err.village_missing")
    elif problem := village_message(village, t):
        errors["village"] = problem
    kk = digits(values["kk_number"])
    if not kk:
        errors["kk_number"] = t("check.kk_missing")
    elif problem := kk_message(kk, t):
        errors["kk_number"] = problem
    for part in ("rt", "rw"):
        if values[part].strip() and not _RT_RW.match(values[part].strip()):
            errors[part] = t("public.err.rt_rw")
    if len(values["address"].strip()) > 200:
        errors["address"] = t("public.err.address_long")
    members: list[dict[str, Any]] = []
    fields = {"nik": "nik", "name": "name"}
    for row in range(rows):
        key = f"m{row}_"
        if not any(values[key + k].strip() for k in ("name", "nik", "born")):
            continue  # an empty row
        errors.update(_member_errors(values, row, t))
        j = len(members)
        for schema, form_key in (
            ("full_name", "name"),
            ("nik", "nik"),
            ("sex", "sex"),
            ("birth_date", "born"),
            ("relationship_code", "rel"),
        ):
            fields[f"proposal.members.{j}.{schema}"] = key + form_key
        fields[f"proposal.members.{j}"] = key + "name"
        fields[f"members.{j}.nik"] = key + "nik"
        rel = values[key + "rel"]
        members.append(
            {
                "full_name": values[key + "name"].strip(),
                "nik": digits(values[key + "nik"]),
                "sex": values[key + "sex"],
                "birth_date": values[key + "born"].strip(),
                "relationship_code": int(rel) if rel.isdigit() and len(rel) < 3 else 0,
            }
        )
    fields.update(
        {
            "proposal.village": "village",
            "proposal.kk_number": "kk_number",
            "kk_number": "kk_number",
            "proposal.address": "address",
            "proposal.rt": "rt",
            "proposal.rw": "rw",
        }
    )
    first = "m0_name"
    if not members:
        errors[first] = t("public.err.members_missing")
    elif not errors:
        heads = sum(m["relationship_code"] == 1 for m in members)
        niks = [m["nik"] for m in members]
        if heads != 1:
            errors["_form"] = t("public.err.one_head")
        elif len(niks) != len(set(niks)):
            errors["_form"] = t("public.err.nik_twice")
        elif not any(
            m["nik"] == digits(values["nik"]) and same_name(values["name"], str(m["full_name"]))
            for m in members
        ):
            errors["_form"] = t("public.err.applicant_not_member")
    if errors:
        return None, errors, fields
    proposal = {
        "kind": "new_family",
        "village": village,
        "kk_number": kk,
        "address": values["address"].strip() or None,
        "rt": values["rt"].strip() or None,
        "rw": values["rw"].strip() or None,
        "members": members,
    }
    return proposal, errors, fields


def _update(values: dict[str, str], t: Translate) -> tuple[dict[str, Any] | None, Errors]:
    """The proposal body of an update of the citizen's own household, and its field errors."""
    errors = identity_errors(values["nik"], values["name"], t)
    changes: dict[str, Any] = {}
    if address := values["address"].strip():
        if len(address) > 200:
            errors["address"] = t("public.err.address_long")
        changes["address"] = address
    for part in ("rt", "rw"):
        if value := values[part].strip():
            if not _RT_RW.match(value):
                errors[part] = t("public.err.rt_rw")
            changes[part] = value
    if kk := digits(values["kk_number"]):
        if problem := kk_message(kk, t):
            errors["kk_number"] = problem
        changes["kk_number"] = kk
    if not changes and "address" not in errors:
        errors["address"] = t("public.err.nothing_to_change")
    reason = values["reason"].strip()
    if len(reason) < 3:
        errors["reason"] = t("public.err.reason_short")
    elif len(reason) > 500:
        errors["reason"] = t("public.err.reason_long", n=len(reason))
    if errors:
        return None, errors
    return {"kind": "update", "household_changes": changes, "reason": reason}, errors


@router.post("/usul")
def propose(request: Request, db: DbSession, settings: AppSettings, form: Posted) -> Response:
    """Send the proposal; its number, or the form again with everything kept."""
    t = translator(request_lang(request))
    kind = "ubah" if text(form, "jenis") == "ubah" else "baru"
    rows = _rows(form)
    keys = ["nik", "name", "village", "kk_number", "address", "rt", "rw", "reason"]
    keys += [f"m{r}_{k}" for r in range(rows) for k in MEMBER_KEYS]
    values = {k: text(form, k) for k in keys}
    if kind == "baru" and text(form, "aksi") == "tambah":  # one more member row, nothing sent
        return _usul_page(request, kind, values, min(rows + 1, MAX_ROWS), {})
    if kind == "baru":
        proposal, errors, fields = _new_family(values, rows, t)
    else:
        proposal, errors = _update(values, t)
        fields = {"nik": "nik", "name": "name", "proposal.reason": "reason"}
        fields.update({f"proposal.household_changes.{k}": k for k in ("address", "rt", "rw")})
        fields["proposal.household_changes"] = "address"
    if proposal is None:
        return _usul_page(request, kind, values, rows, errors, status_code=422)
    if (stop := limited(request, settings)) is not None:
        return stop
    try:
        body = CitizenProposalIn.model_validate(
            {"nik": digits(values["nik"]), "name": values["name"].strip(), "proposal": proposal}
        )
        result = citizen.propose(
            db=db, principal=PUBLIC, purpose=PURPOSE, body=body, days=settings.proposal_days
        )
    except ValidationError as exc:
        errors = located(exc, t, fields)
        return _usul_page(request, kind, values, rows, errors, status_code=422)
    except TepatError as exc:
        errors = refused(exc, t, request, fields)
        return _usul_page(request, kind, values, rows, errors, status_code=status_for(exc))
    context = {"result": result, "kind": kind}
    return render(request, "public/usul_done.html", context, status_code=201)
