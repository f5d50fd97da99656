"""Helpers of the workflow pages (usulan, tugas, persetujuan, sanggahan): reading a posted form,
running a changing service call in a savepoint, and turning refusals into field-level messages
in the user's language.

Pages reuse the workflow services (``tepat.workflow.*``), so scope, roles, state machines and
audit are the API's. A refused change is rolled back to its savepoint (the reads before it keep
their audit entries) and the form comes back with what was typed and the message next to the
field the service or the schema named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, Final, TypeVar

from fastapi import Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tepat.errors import TepatError
from tepat.pages.i18n import Translate
from tepat.pages.views.check import date_message, kk_message, nik_message, village_message
from tepat.reference.nik import check_nik
from tepat.workflow.ground_check import QUESTIONS
from tepat.workflow.rules import parse_number
from tepat.workflow.schemas import DecisionIn

T = TypeVar("T")

MAX_VALUE = 2000  # characters kept of one posted value
MAX_MEMBERS = 30
READERS: Final = (
    "village_operator",
    "facilitator",
    "district_office",
    "province_office",
    "national_admin",
    "auditor",
)
DECIDERS: Final = ("district_office", "national_admin")
# The registry field a ground-check question observes -> its question text (Indonesian).
FIELD_TEXT: Final = {q.field: q.text for q in QUESTIONS if q.field is not None}
RELATIONSHIPS: Final = tuple(range(1, 9))
SERVICE_CODES: Final = frozenset(
    {
        "kk_in_use",
        "nik_in_use",
        "duplicate_proposal",
        "out_of_scope",
        "unknown_region",
        "not_a_village",
        "household_not_found",
        "household_not_active",
        "not_a_member",
        "transition_not_allowed",
        "role_not_allowed",
        "not_assigned_to_you",
        "verdict_not_confirmed",
        "not_a_facilitator_of_village",
        "no_facilitator",
        "proposal_not_applicable",
        "version_conflict",
        "stale_version",
    }
)


async def form_values(request: Request) -> dict[str, str]:
    """The posted form's text values (files are ignored; each value cut to MAX_VALUE)."""
    form = await request.form()
    return {k: v[:MAX_VALUE] for k, v in form.items() if isinstance(v, str)}


FormValues = Annotated[dict[str, str], Depends(form_values)]


def attempt(db: Session, action: Callable[[], T]) -> tuple[T | None, TepatError | None]:
    """Run a changing service call in a savepoint: its result, or the refusal (rolled back)."""
    try:
        with db.begin_nested():
            return action(), None
    except TepatError as exc:
        return None, exc


def kind_of(number: str) -> str | None:
    """``proposal`` or ``objection`` for a USL-/SGH- number (None for anything else)."""
    for kind in ("proposal", "objection"):
        if parse_number(kind, number) is not None:
            return kind
    return None


def service_message(exc: TepatError, t: Translate) -> str:
    """A refusal of a service in the user's language (the code's message when there is one)."""
    if exc.code in SERVICE_CODES:
        return t(f"workflow.error.{exc.code}")
    if exc.code.startswith("unknown_") or exc.code.startswith("invalid_region"):
        return t("workflow.error.unknown_region")
    return t("workflow.error.other")


def _ctx(error: Mapping[str, Any], key: str) -> Any:
    ctx = error.get("ctx") or {}
    return ctx.get(key, "")


def pydantic_message(error: Mapping[str, Any], field: str, value: str, t: Translate) -> str:
    """One schema error as a Bahasa (or English) sentence for the field ``field``."""
    kind = str(error.get("type", ""))
    if kind == "missing" or (kind == "string_too_short" and _ctx(error, "min_length") == 1):
        return t("workflow.msg.required")
    if kind == "string_too_short":
        return t("workflow.msg.too_short", n=_ctx(error, "min_length"))
    if kind == "string_too_long":
        return t("workflow.msg.too_long", n=_ctx(error, "max_length"))
    if kind == "string_pattern_mismatch":
        return t("workflow.msg.pattern")
    if kind.startswith("date") or kind.startswith("datetime"):
        return t("check.date_invalid")
    if kind.startswith("int") or kind.startswith("float"):
        return t("workflow.msg.number")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return t("workflow.msg.range")
    if kind in ("literal_error", "enum", "bool_parsing", "bool_type"):
        return t("workflow.msg.choose")
    if kind == "value_error":
        check = None
        if field.endswith("nik"):
            check = nik_message(value, t)
        elif field.endswith("kk") or field == "kk_number":
            check = kk_message(value, t)
        elif field.endswith("date") or field.endswith("_on"):
            check = date_message(value, t)
        if check:
            return check
    return t("workflow.msg.invalid")


def schema_errors(
    exc: ValidationError,
    name_of: Callable[[tuple[Any, ...]], str],
    values: Mapping[str, str],
    t: Translate,
) -> dict[str, str]:
    """Field name -> message for every error of a schema (the first message per field)."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        field = name_of(loc)
        if field in out:
            continue
        out[field] = pydantic_message(error, field, values.get(field, ""), t)
    return out


def required(values: Mapping[str, str], name: str, errors: dict[str, str], t: Translate) -> str:
    """The stripped value; a 'required' message when it is empty."""
    value = values.get(name, "").strip()
    if not value and name not in errors:
        errors[name] = t("workflow.msg.required")
    return value


def check_into(
    errors: dict[str, str], name: str, message: str | None, *, keep: bool = True
) -> None:
    """Record ``message`` for ``name`` unless the field already has one."""
    if message and (name not in errors or not keep):
        errors[name] = message


def parse_day(value: str) -> date | None:
    """A YYYY-MM-DD date or None."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def check_minutes(values: Mapping[str, str], errors: dict[str, str], t: Translate) -> None:
    """The musdes minutes: number and date (not in the future)."""
    required(values, "minutes_number", errors, t)
    day = required(values, "minutes_date", errors, t)
    if day:
        check_into(errors, "minutes_date", date_message(day, t))


def check_member_row(
    values: Mapping[str, str], i: int, errors: dict[str, str], t: Translate
) -> None:
    """One proposed member: name, NIK (and that it fits the birth date and sex), date, codes."""
    p = f"m{i}_"
    required(values, p + "full_name", errors, t)
    nik = required(values, p + "nik", errors, t)
    sex = required(values, p + "sex", errors, t)
    born = required(values, p + "birth_date", errors, t)
    required(values, p + "relationship_code", errors, t)
    if born:
        check_into(errors, p + "birth_date", date_message(born, t))
    if nik:
        problem = nik_message(nik, t)
        if problem is None:
            day = parse_day(born)
            result = check_nik(
                nik,
                recorded_birth_date=day,
                recorded_sex=sex if sex in ("M", "F") else None,
            )
            for warning in result.warnings:
                if warning.code in ("nik_birth_date_mismatch", "nik_sex_mismatch"):
                    problem = t(f"check.{warning.code}")
                    break
        check_into(errors, p + "nik", problem)


def check_village_field(values: Mapping[str, str], errors: dict[str, str], t: Translate) -> None:
    """The village code: required and a village of the Kemendagri list."""
    village = required(values, "village", errors, t)
    if village:
        check_into(errors, "village", village_message(village, t))


def check_kk_field(values: Mapping[str, str], errors: dict[str, str], t: Translate) -> None:
    """The KK number: required and well formed."""
    kk = required(values, "kk_number", errors, t)
    if kk:
        check_into(errors, "kk_number", kk_message(kk, t))


_MEMBER_LOC = re.compile(r"^members\.(\d+)\.(\w+)$")


def service_field(field: str | None) -> str | None:
    """The form field of a service's ``field`` (``members.0.nik`` -> ``m0_nik``)."""
    if not field:
        return None
    match = _MEMBER_LOC.match(field)
    if match:
        return f"m{match.group(1)}_{match.group(2)}"
    return {"minutes.number": "minutes_number", "minutes.date": "minutes_date"}.get(field, field)


def int_or_none(value: str | None) -> int | None:
    """A whole number from a form value, or None when empty or not a number."""
    text = (value or "").strip()
    if not text or not re.fullmatch(r"-?\d{1,9}", text):
        return None
    return int(text)


def float_or_none(value: str | None) -> float | None:
    """A decimal number (comma or point) from a form value, or None."""
    text = (value or "").strip().replace(",", ".")
    if not text or not re.fullmatch(r"-?\d{1,4}(\.\d{1,12})?", text):
        return None
    return float(text)


def decision_form(
    values: Mapping[str, str], choices: tuple[str, str], t: Translate
) -> tuple[str, DecisionIn | None, dict[str, str]]:
    """A decide-with-a-reason form (approve/reject, uphold/dismiss): the decision, its body when
    the form is right, and the field messages otherwise."""
    decision = values.get("decision", "")
    reason = values.get("reason", "").strip()
    errors: dict[str, str] = {}
    if decision not in choices:
        errors["decision"] = t("workflow.msg.choose")
    if not reason:
        errors["reason"] = t("workflow.msg.required")
    elif len(reason) < 3:
        errors["reason"] = t("workflow.msg.too_short", n=3)
    elif len(reason) > 500:
        errors["reason"] = t("workflow.msg.too_long", n=500)
    body = None
    if not errors:
        try:
            body = DecisionIn(reason=reason)
        except ValidationError:
            errors["reason"] = t("workflow.msg.invalid")
    return decision, body, errors
