"""The village operator's proposals (usulan): the list, the forms of a new family, a data update
and a removal, each proposal's tracking page, and withdrawal.

Reads and changes go through ``tepat.workflow.proposals`` and ``decisions`` (scope, roles,
audit). A form the server refuses comes back with everything typed and the message next to the
field (status 422, or the service's status for a conflict such as a KK already registered).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from tepat.access.principal import Principal
from tepat.config import Settings
from tepat.errors import NotFound, TepatError
from tepat.pages.i18n import Translate, translator
from tepat.pages.render import render, request_lang
from tepat.pages.session import PageUser, check_csrf, require_page_role
from tepat.pages.workflow_forms import (
    FIELD_TEXT,
    MAX_MEMBERS,
    READERS,
    RELATIONSHIPS,
    FormValues,
    attempt,
    check_kk_field,
    check_member_row,
    check_minutes,
    check_village_field,
    int_or_none,
    required,
    schema_errors,
    service_field,
    service_message,
)
from tepat.registry.schemas import HouseholdDetail
from tepat.registry.service import household_detail
from tepat.web.deps import AppSettings, DbSession
from tepat.web.errors import status_for
from tepat.web.pagination import Pagination
from tepat.workflow import decisions, proposals
from tepat.workflow.schemas import NewFamilyIn, NoteIn, RemovalIn, UpdateIn

router = APIRouter()
_MEMBER_KEY = re.compile(r"^m\d+_")

Kind = Literal["new_family", "update", "removal"]
State = Literal["submitted", "assigned", "verified", "approved", "applied", "rejected", "withdrawn"]
KINDS: tuple[str, ...] = ("new_family", "update", "removal")
STATES: tuple[str, ...] = (
    "submitted",
    "assigned",
    "verified",
    "applied",
    "rejected",
    "withdrawn",
)
# What an update form offers to change: housing codes (with their highest code) and assets.
UPDATE_CODES: tuple[tuple[str, int], ...] = (
    ("floor_material", 9),
    ("wall_material", 7),
    ("roof_material", 8),
    ("drinking_water", 11),
    ("lighting", 4),
    ("cooking_fuel", 10),
    ("toilet_facility", 6),
)
UPDATE_ASSETS: tuple[str, ...] = (
    "has_lpg_tank",
    "has_fridge",
    "has_ac",
    "has_flat_tv",
    "has_computer",
    "has_motorbike",
    "has_car",
    "has_smartphone",
)


@router.get("/usulan")
def list_proposals(
    request: Request,
    user: PageUser,
    db: DbSession,
    paging: Pagination,
    state: State | None = None,
    kind: Kind | None = None,
) -> Response:
    """The proposals of the user's regions, oldest first, with state and age vs deadline."""
    require_page_role(user, *READERS)
    rows, total = proposals.search(
        db=db,
        principal=user,
        purpose=user.default_purpose,
        state=state,
        kind=kind,
        offset=paging.offset,
        limit=paging.size,
    )
    query = "&".join(f"{k}={v}" for k, v in (("state", state), ("kind", kind)) if v)
    return render(
        request,
        "workflow/proposals.html",
        {
            "items": proposals.summaries(rows),
            "total": total,
            "page": paging.page,
            "size": paging.size,
            "base": "/usulan" + (f"?{query}" if query else ""),
            "state": state,
            "kind": kind,
            "states": STATES,
            "kinds": KINDS,
            "may_propose": user.role == "village_operator",
        },
    )


def _own_village(user: Principal) -> str:
    first = user.regions[0] if user.regions else ""
    return first if first.count(".") == 3 else ""


def _household(
    db: Any, user: Principal, value: str | None, errors: dict[str, str], t: Translate
) -> HouseholdDetail | None:
    """The household an update or removal is about, read in the user's scope (audited)."""
    household_id = int_or_none(value)
    if not (value or "").strip():
        errors.setdefault("household_id", t("workflow.msg.required"))
        return None
    if household_id is None or household_id < 1:
        errors.setdefault("household_id", t("workflow.msg.number"))
        return None
    try:
        return household_detail(
            db=db, principal=user, purpose=user.default_purpose, household_id=household_id
        )
    except NotFound:
        errors.setdefault("household_id", t("workflow.error.household_not_found"))
        return None


def _form(
    request: Request,
    user: Principal,
    kind: str,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    detail: str | None = None,
    household: HouseholdDetail | None = None,
    status_code: int = 200,
) -> Response:
    rows = min(MAX_MEMBERS, max(1, int_or_none(values.get("rows")) or 1))
    return render(
        request,
        "workflow/proposal_new.html",
        {
            "kind": kind,
            "values": values,
            "errors": errors or {},
            "problem": problem,
            "detail": detail,
            "rows": rows,
            "household": household,
            "relationships": RELATIONSHIPS,
            "update_codes": UPDATE_CODES,
            "update_assets": UPDATE_ASSETS,
            "field_text": FIELD_TEXT,
            "kinds": KINDS,
        },
        status_code=status_code,
    )


@router.get("/usulan/baru")
def new_proposal(
    request: Request,
    user: PageUser,
    db: DbSession,
    jenis: Kind | None = None,
    rumah_tangga: int | None = Query(default=None, ge=1, le=2**63 - 1),
) -> Response:
    """Choose the kind of proposal, then its form (a household given by id is read at once)."""
    require_page_role(user, "village_operator")
    if jenis is None:
        return render(request, "workflow/proposal_kind.html", {"kinds": KINDS})
    values = {"village": _own_village(user), "rows": "1"}
    household = None
    errors: dict[str, str] = {}
    if rumah_tangga is not None and jenis != "new_family":
        values["household_id"] = str(rumah_tangga)
        t = translator(request_lang(request))
        household = _household(db, user, values["household_id"], errors, t)
    return _form(request, user, jenis, values, errors=errors, household=household)


def _new_family_body(values: dict[str, str], rows: int) -> dict[str, Any]:
    members = []
    for i in range(rows):
        p = f"m{i}_"
        members.append(
            {
                "full_name": values.get(p + "full_name", "").strip(),
                "nik": values.get(p + "nik", "").strip(),
                "sex": values.get(p + "sex", ""),
                "birth_date": values.get(p + "birth_date", "").strip(),
                "relationship_code": int_or_none(values.get(p + "relationship_code")),
            }
        )
    return {
        "kind": "new_family",
        "village": values.get("village", "").strip(),
        "kk_number": values.get("kk_number", "").strip(),
        "address": values.get("address", "").strip() or None,
        "rt": values.get("rt", "").strip() or None,
        "rw": values.get("rw", "").strip() or None,
        "members": members,
        "minutes": _minutes(values),
        "note": values.get("note", "").strip() or None,
    }


def _minutes(values: dict[str, str]) -> dict[str, str]:
    return {
        "number": values.get("minutes_number", "").strip(),
        "date": values.get("minutes_date", "").strip(),
    }


def _filled_rows(values: dict[str, str], rows: int) -> list[int]:
    keys = ("full_name", "nik", "birth_date")
    return [i for i in range(rows) if any(values.get(f"m{i}_{k}", "").strip() for k in keys)]


def _check_new_family(values: dict[str, str], rows: int, t: Translate) -> dict[str, str]:
    errors: dict[str, str] = {}
    check_village_field(values, errors, t)
    check_kk_field(values, errors, t)
    filled = _filled_rows(values, rows)
    if not filled:
        filled = [0]
    for i in filled:
        check_member_row(values, i, errors, t)
    heads = sum(values.get(f"m{i}_relationship_code") == "1" for i in filled)
    if heads != 1:
        errors["members"] = t("workflow.msg.one_head")
    check_minutes(values, errors, t)
    return errors


def _compact_rows(values: dict[str, str], rows: int) -> tuple[dict[str, str], int]:
    """Drop the empty member rows (renumbered), so the schema's positions match the form's."""
    filled = _filled_rows(values, rows)
    out = {k: v for k, v in values.items() if not _MEMBER_KEY.match(k)}
    for new, old in enumerate(filled):
        for key in ("full_name", "nik", "sex", "birth_date", "relationship_code"):
            out[f"m{new}_{key}"] = values.get(f"m{old}_{key}", "")
    count = max(1, len(filled))
    out["rows"] = str(count)
    return out, count


def _name_new_family(loc: tuple[Any, ...]) -> str:
    if loc[:1] == ("members",) and len(loc) >= 3 and isinstance(loc[1], int):
        return f"m{loc[1]}_{loc[2]}"
    if loc[:1] == ("members",):
        return "members" if len(loc) == 1 else f"m{loc[1]}_nik"
    if loc[:1] == ("minutes",) and len(loc) >= 2:
        return f"minutes_{loc[1]}"
    return str(loc[0]) if loc else "form"


def _changes(values: dict[str, str], errors: dict[str, str], t: Translate) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("address", "rt", "rw"):
        text = values.get(f"c_{name}", "").strip()
        if text:
            changes[name] = text
    for name, high in UPDATE_CODES:
        text = values.get(f"c_{name}", "").strip()
        if not text:
            continue
        code = int_or_none(text)
        if code is None or not 0 <= code <= high:
            errors[f"c_{name}"] = t("workflow.msg.code_range", low=0, high=high)
        else:
            changes[name] = code
    for name in UPDATE_ASSETS:
        text = values.get(f"c_{name}", "")
        if text in ("1", "0"):
            changes[name] = text == "1"
    return changes


def _person_changes(
    values: dict[str, str], household: HouseholdDetail | None, errors: dict[str, str], t: Translate
) -> list[dict[str, Any]]:
    if household is None:
        return []
    from tepat.pages.views.check import nik_message

    out = []
    for i, member in enumerate(household.members):
        change: dict[str, Any] = {}
        name = values.get(f"p{i}_full_name", "").strip()
        nik = values.get(f"p{i}_nik", "").strip()
        if name:
            change["full_name"] = name
        if nik:
            problem = nik_message(nik, t)
            if problem:
                errors[f"p{i}_nik"] = problem
            change["nik"] = nik
        if change:
            out.append({"person_id": member.person_id, "changes": change})
    return out


def _name_update(loc: tuple[Any, ...]) -> str:
    if loc[:1] == ("person_changes",) and len(loc) >= 2 and isinstance(loc[1], int):
        return "person_changes"
    if loc[:1] == ("minutes",) and len(loc) >= 2:
        return f"minutes_{loc[1]}"
    return str(loc[0]) if loc else "form"


def _submit(
    db: Any, user: Principal, settings: Settings, model: Any, body: dict[str, Any]
) -> tuple[Any, TepatError | None]:
    data = model.model_validate(body)
    return attempt(
        db,
        lambda: proposals.create(
            db=db,
            principal=user,
            purpose=user.default_purpose,
            data=data,
            days=settings.proposal_days,
        ),
    )


@router.post("/usulan/baru")
def submit_proposal(
    request: Request, user: PageUser, db: DbSession, settings: AppSettings, values: FormValues
) -> Response:
    """Submit a proposal; 'tambah anggota' and 'muat' re-render the form (nothing is sent)."""
    check_csrf(request, values.get("csrf"))
    require_page_role(user, "village_operator")
    t = translator(request_lang(request))
    kind = values.get("kind", "")
    if kind not in KINDS:
        return _form(request, user, "new_family", values, problem=t("workflow.msg.choose"))
    action = values.get("action", "send")
    rows = min(MAX_MEMBERS, max(1, int_or_none(values.get("rows")) or 1))
    errors: dict[str, str] = {}
    household = None

    if kind == "new_family":
        if action == "add_member":
            values["rows"] = str(min(MAX_MEMBERS, rows + 1))
            return _form(request, user, kind, values)
        values, rows = _compact_rows(values, rows)
        errors = _check_new_family(values, rows, t)
        if errors:
            return _form(request, user, kind, values, errors=errors, status_code=422)
        body = _new_family_body(values, rows)
        name_of = _name_new_family
        model: Any = NewFamilyIn
    else:
        household = _household(db, user, values.get("household_id"), errors, t)
        if action == "load":
            return _form(request, user, kind, values, errors=errors, household=household)
        base: dict[str, Any] = {
            "kind": kind,
            "household_id": household.id if household else 1,
            "reason": required(values, "reason", errors, t),
            "minutes": _minutes(values),
            "note": values.get("note", "").strip() or None,
        }
        check_minutes(values, errors, t)
        if kind == "update":
            base["household_changes"] = _changes(values, errors, t)
            base["person_changes"] = _person_changes(values, household, errors, t)
            if not base["household_changes"] and not base["person_changes"] and not errors:
                errors["changes"] = t("workflow.msg.no_change")
            model, name_of = UpdateIn, _name_update
        else:
            reason = values.get("removal_reason", "")
            if reason not in ("deceased", "moved", "not_eligible"):
                errors["removal_reason"] = t("workflow.msg.choose")
            person = int_or_none(values.get("person_id"))
            died = values.get("died_on", "").strip()
            if reason == "deceased" and person is not None and not died:
                errors["died_on"] = t("workflow.msg.required")
            if reason == "not_eligible" and person is not None:
                errors["person_id"] = t("workflow.msg.whole_household")
            base.update(removal_reason=reason, person_id=person, died_on=died or None)
            model, name_of = RemovalIn, _name_update
        if errors or household is None:
            return _form(
                request, user, kind, values, errors=errors, household=household, status_code=422
            )
        body = base

    try:
        out, refused = _submit(db, user, settings, model, body)
    except ValidationError as exc:
        errors = schema_errors(exc, name_of, values, t)
        return _form(
            request, user, kind, values, errors=errors, household=household, status_code=422
        )
    if refused is not None:
        field = service_field(refused.field)
        message = service_message(refused, t)
        status = status_for(refused)
        if field and field not in ("form",):
            errors = {field: message}
            return _form(
                request,
                user,
                kind,
                values,
                errors=errors,
                problem=message,
                household=household,
                status_code=status,
            )
        return _form(
            request,
            user,
            kind,
            values,
            problem=message,
            detail=refused.message,
            household=household,
            status_code=status,
        )
    assert out is not None
    return RedirectResponse(f"/usulan/{out.number}?baru={kind}", status_code=303)


@router.get("/usulan/{number}")
def proposal_page(
    request: Request,
    number: str,
    user: PageUser,
    db: DbSession,
    baru: Kind | None = None,
) -> Response:
    """One proposal: its data, its state, the ground check, the decision and the timeline."""
    require_page_role(user, *READERS)
    item = proposals.get(db=db, principal=user, purpose=user.default_purpose, number=number[:40])
    return render(
        request,
        "workflow/proposal.html",
        {
            "p": item,
            "created": baru,
            "field_text": FIELD_TEXT,
            "problem": None,
            "detail": None,
        },
    )


@router.post("/usulan/{number}/tarik")
def withdraw_proposal(
    request: Request, number: str, user: PageUser, db: DbSession, values: FormValues
) -> Response:
    """The village operator withdraws a proposal that is not verified yet."""
    check_csrf(request, values.get("csrf"))
    require_page_role(user, "village_operator")
    t = translator(request_lang(request))
    note = values.get("note", "").strip() or None
    try:
        body = NoteIn(note=note)
    except ValidationError:
        body = NoteIn(note=None)
    _, refused = attempt(
        db,
        lambda: decisions.withdraw(
            db=db, principal=user, purpose=user.default_purpose, number=number[:40], body=body
        ),
    )
    if refused is not None:
        if isinstance(refused, NotFound):
            raise refused
        item = proposals.get(
            db=db, principal=user, purpose=user.default_purpose, number=number[:40]
        )
        return render(
            request,
            "workflow/proposal.html",
            {
                "p": item,
                "created": None,
                "field_text": FIELD_TEXT,
                "problem": service_message(refused, t),
                "detail": refused.message,
            },
            status_code=status_for(refused),
        )
    return RedirectResponse(f"/usulan/{number[:40]}", status_code=303)
