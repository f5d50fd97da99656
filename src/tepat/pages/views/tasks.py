"""The facilitator's (pendamping) verification tasks: the list (proposals and objections assigned
to it) and the mobile ground-check form of one task, with GPS, photo metadata and a draft kept
on the device (``data-draft``) until the result page clears it.

Only the photos' metadata is sent (the files stay on the phone, as with the API): the page's
script ``/static/workflow.js`` copies a chosen photo's name, size, type, date and SHA-256 into
hidden fields; without JavaScript the facilitator types a photo reference instead, and the hash
kept is then that of the reference and the metadata (the file is not seen by the server).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from tepat.access.principal import Principal
from tepat.errors import NotFound
from tepat.pages.i18n import Translate, translator
from tepat.pages.render import render, request_lang
from tepat.pages.session import PageUser, check_csrf, require_page_role
from tepat.pages.views.check import date_message
from tepat.pages.workflow_forms import (
    FIELD_TEXT,
    FormValues,
    attempt,
    float_or_none,
    int_or_none,
    kind_of,
    service_message,
)
from tepat.registry.service import household_detail
from tepat.web.deps import DbSession
from tepat.web.errors import status_for
from tepat.web.pagination import Pagination
from tepat.workflow import decisions, objections, proposals
from tepat.workflow.ground_check import HOUSEHOLD_QUESTIONS, MEMBER_QUESTIONS, QUESTIONS, Question
from tepat.workflow.outputs import ObjectionOut, ProposalOut
from tepat.workflow.rules import point_problem
from tepat.workflow.schemas import GroundCheckIn

router = APIRouter()

PHOTO_SLOTS = 3
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
BLOCKS = (("I", "block_i"), ("III", "block_iii"), ("V", "block_v"))


@dataclass(frozen=True, slots=True)
class Subject:
    """A member to check: ``line`` in a proposed family or ``person_id`` of a registered one."""

    label: str
    line: int | None = None
    person_id: int | None = None


def load_task(db: Any, user: Principal, number: str) -> tuple[str, ProposalOut | ObjectionOut]:
    """The proposal or objection with this number, read in the user's scope (audited)."""
    number = number.strip()[:40]
    kind = kind_of(number)
    purpose = user.default_purpose
    if kind == "proposal":
        return kind, proposals.get(db=db, principal=user, purpose=purpose, number=number)
    if kind == "objection":
        return kind, objections.get(db=db, principal=user, purpose=purpose, number=number)
    raise NotFound(f"task {number} not found", code="task_not_found")


def subjects(db: Any, user: Principal, item: ProposalOut | ObjectionOut) -> list[Subject]:
    """The members the ground check asks about."""
    if isinstance(item, ProposalOut) and item.kind == "new_family":
        members = item.payload.get("members", [])
        return [Subject(m.get("full_name", "?"), line=i + 1) for i, m in enumerate(members)]
    if item.household_id is None:
        return []
    try:
        household = household_detail(
            db=db, principal=user, purpose=user.default_purpose, household_id=item.household_id
        )
    except NotFound:
        return []
    return [Subject(m.full_name, person_id=m.person_id) for m in household.members]


@router.get("/tugas")
def task_list(request: Request, user: PageUser, db: DbSession, paging: Pagination) -> Response:
    """The proposals and objections assigned to the facilitator and waiting for its check."""
    require_page_role(user, "facilitator")
    args: dict[str, Any] = {
        "db": db,
        "principal": user,
        "purpose": user.default_purpose,
        "state": "assigned",
        "mine": True,
        "offset": paging.offset,
        "limit": paging.size,
    }
    p_rows, p_total = proposals.search(**args)
    o_rows, o_total = objections.search(**args)
    return render(
        request,
        "workflow/tasks.html",
        {
            "proposals": proposals.summaries(p_rows),
            "objections": objections.summaries(o_rows),
            "p_total": p_total,
            "o_total": o_total,
            "page": paging.page,
            "size": paging.size,
            "total": max(p_total, o_total),
        },
    )


def _form(
    request: Request,
    db: Any,
    user: Principal,
    kind: str,
    item: ProposalOut | ObjectionOut,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    detail: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "workflow/task.html",
        {
            "kind": kind,
            "item": item,
            "values": values,
            "errors": errors or {},
            "problem": problem,
            "detail": detail,
            "subjects": subjects(db, user, item),
            "blocks": BLOCKS,
            "household_questions": list(HOUSEHOLD_QUESTIONS.values()),
            "member_questions": list(MEMBER_QUESTIONS.values()),
            "questions": QUESTIONS,
            "photo_slots": PHOTO_SLOTS,
            "field_text": FIELD_TEXT,
            "today": date.today().isoformat(),
        },
        status_code=status_code,
    )


@router.get("/tugas/{number}")
def task_page(
    request: Request, number: str, user: PageUser, db: DbSession, terkirim: int = 0
) -> Response:
    """The ground-check form of an assigned task, or its result once it is sent."""
    require_page_role(user, "facilitator")
    kind, item = load_task(db, user, number)
    if item.state != "assigned" or "verify" not in item.allowed_actions:
        return render(
            request,
            "workflow/task_done.html",
            {"kind": kind, "item": item, "sent": bool(terkirim), "questions": QUESTIONS},
        )
    values = {"visited_on": date.today().isoformat()}
    return _form(request, db, user, kind, item, values)


def _answer(
    q: Question, raw: str, name: str, errors: dict[str, str], t: Translate
) -> bool | int | None:
    raw = raw.strip()
    if not raw:
        if q.required:
            errors[name] = t("workflow.msg.required")
        return None
    if q.kind == "yes_no":
        if raw not in ("1", "0"):
            errors[name] = t("workflow.msg.choose")
            return None
        return raw == "1"
    value = int_or_none(raw)
    if value is None or not q.low <= value <= q.high:
        errors[name] = t("workflow.msg.code_range", low=q.low, high=q.high)
        return None
    return value


def _photo(
    values: dict[str, str], i: int, where: tuple[float, float], errors: dict[str, str], t: Translate
) -> dict[str, Any] | None:
    p = f"ph{i}_"
    name = (values.get(p + "name") or values.get(p + "ref") or "").strip()
    if not name:
        return None
    kind = values.get(p + "type", "").strip()
    if kind and not kind.startswith("image/"):
        errors[p + "ref"] = t("workflow.msg.not_image")
        return None
    if "/" in name or "\\" in name or len(name) > 120:
        errors[p + "ref"] = t("workflow.msg.photo_name")
        return None
    size, modified = values.get(p + "size", "").strip(), values.get(p + "modified", "").strip()
    sha = values.get(p + "sha256", "").strip()
    if not _SHA256.match(sha):
        sha = hashlib.sha256(f"{name}|{size}|{kind}|{modified}".encode()).hexdigest()
    now = datetime.now(UTC)
    taken = now
    millis = int_or_none(modified)
    if millis is not None and millis > 0:
        taken = min(now, datetime.fromtimestamp(millis / 1000, UTC))
    if taken < now - timedelta(days=3650):
        taken = now
    return {
        "file_name": name,
        "sha256": sha.lower(),
        "taken_at": taken.isoformat(timespec="seconds"),
        "latitude": where[0],
        "longitude": where[1],
    }


def parse_ground_check(
    values: dict[str, str], members: list[Subject], t: Translate
) -> tuple[dict[str, Any], dict[str, str]]:
    """The ground-check body of a posted form, and the field-level messages."""
    errors: dict[str, str] = {}
    answers: dict[str, Any] = {}
    for q in HOUSEHOLD_QUESTIONS.values():
        value = _answer(q, values.get(f"a_{q.id}", ""), f"a_{q.id}", errors, t)
        if value is not None:
            answers[q.id] = value
    checks = []
    for i, subject in enumerate(members):
        raws = {q.id: values.get(f"m{i}_{q.id}", "") for q in MEMBER_QUESTIONS.values()}
        if not any(r.strip() for r in raws.values()):
            continue
        given: dict[str, Any] = {}
        for q in MEMBER_QUESTIONS.values():
            value = _answer(q, raws[q.id], f"m{i}_{q.id}", errors, t)
            if value is not None:
                given[q.id] = value
        ref = {"line": subject.line} if subject.line else {"person_id": subject.person_id}
        checks.append({**ref, "answers": given})
    lat, lon = float_or_none(values.get("lat")), float_or_none(values.get("lon"))
    for name, point in (("lat", lat), ("lon", lon)):
        if not values.get(name, "").strip():
            errors[name] = t("workflow.msg.required")
        elif point is None:
            errors[name] = t("workflow.msg.number")
    where = (0.0, 0.0)
    if lat is not None and lon is not None:
        if point_problem(lat, lon):
            errors["lat"] = t("workflow.msg.outside_indonesia")
        else:
            where = (lat, lon)
    visited = values.get("visited_on", "").strip()
    if not visited:
        errors["visited_on"] = t("workflow.msg.required")
    elif problem := date_message(visited, t):
        errors["visited_on"] = problem
    photos = []
    for i in range(PHOTO_SLOTS):
        photo = _photo(values, i, where, errors, t)
        if photo is not None:
            photos.append(photo)
    if not photos and not any(k.startswith("ph") for k in errors):
        errors["ph0_ref"] = t("workflow.msg.photo_needed")
    verdict = values.get("verdict", "")
    if verdict not in ("confirmed", "not_confirmed", "not_found"):
        errors["verdict"] = t("workflow.msg.choose")
    notes = values.get("notes", "").strip()
    accuracy = int_or_none(values.get("acc", "").split(".")[0])
    if accuracy is not None and accuracy >= 0:
        notes = f"{notes} (akurasi GPS ±{accuracy} m)".strip()
    body = {
        "answers": answers,
        "members": checks,
        "photos": photos,
        "visit": {"latitude": where[0], "longitude": where[1], "visited_on": visited},
        "verdict": verdict,
        "notes": notes[:1000] or None,
    }
    return body, errors


@router.post("/tugas/{number}")
def send_ground_check(
    request: Request, number: str, user: PageUser, db: DbSession, values: FormValues
) -> Response:
    """Record the ground check of an assigned task (kept values and messages when refused)."""
    check_csrf(request, values.get("csrf"))
    require_page_role(user, "facilitator")
    t = translator(request_lang(request))
    kind, item = load_task(db, user, number)
    body, errors = parse_ground_check(values, subjects(db, user, item), t)
    if errors:
        return _form(request, db, user, kind, item, values, errors=errors, status_code=422)
    try:
        data = GroundCheckIn.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        return _form(
            request,
            db,
            user,
            kind,
            item,
            values,
            problem=t("workflow.msg.invalid"),
            detail=str(first.get("msg", "")),
            status_code=422,
        )

    def verify() -> Any:
        args: dict[str, Any] = {"db": db, "principal": user, "purpose": user.default_purpose}
        if kind == "proposal":
            return decisions.verify(**args, number=item.number, body=data)
        return objections.verify(**args, number=item.number, body=data)

    _, refused = attempt(db, verify)
    if refused is not None:
        return _form(
            request,
            db,
            user,
            kind,
            item,
            values,
            problem=service_message(refused, t),
            detail=refused.message,
            status_code=status_for(refused),
        )
    return RedirectResponse(f"/tugas/{item.number}?terkirim=1", status_code=303)
