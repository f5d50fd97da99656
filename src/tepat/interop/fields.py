"""The attributes a DCI search may filter and sort on, per record type. Pure: no database.

A Member (a person) and a Group (a family) each have their own fields; :data:`FIELDS` gives
each field's operators and the function that reads (and normalises) its value, raising
``ValueError`` with a message for a person when the value does not fit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from tepat.reference.regions import UnknownRegion, regions

Entity = Literal["Member", "Group"]
Op = Literal["eq", "gt", "lt", "ge", "le", "in"]


def _timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed


def valid_timestamp(value: str) -> bool:
    """True for an ISO 8601 date-time with a time zone (``2026-11-28T09:30:00+07:00``, ``Z``)."""
    try:
        _timestamp(value)
    except ValueError:
        return False
    return True


def _region(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a region code such as 11.12 or 11.12.01.2006")
    try:
        return regions().get(value).code
    except UnknownRegion as exc:
        raise ValueError(exc.message) from None


def _sex(value: Any) -> str:
    sex = {"male": "M", "m": "M", "female": "F", "f": "F"}.get(str(value).lower())
    if sex is None or not isinstance(value, str):
        raise ValueError("must be male or female")
    return sex


def _date(value: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else _timestamp(value).date()
        except ValueError:
            pass
    raise ValueError("must be a date YYYY-MM-DD")


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
        raise ValueError("must be a whole number from 0 to 1000")
    return value


def _one_of(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return str(value)

    return parse


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A searchable attribute: its operators and how its value is read."""

    ops: frozenset[str]
    parse: Callable[[Any], Any]


_SET = frozenset({"eq", "in"})
_RANGE = frozenset({"eq", "gt", "lt", "ge", "le"})
FIELDS: dict[Entity, dict[str, FieldSpec]] = {
    "Member": {
        "region_code": FieldSpec(_SET, _region),
        "sex": FieldSpec(_SET, _sex),
        "birth_date": FieldSpec(_RANGE, _date),
        "status": FieldSpec(_SET, _one_of("alive", "deceased", "moved_out", "unknown")),
    },
    "Group": {
        "region_code": FieldSpec(_SET, _region),
        "group_size": FieldSpec(_RANGE, _count),
        "status": FieldSpec(_SET, _one_of("active", "moved_out", "dissolved")),
    },
}
SORT_FIELDS: dict[Entity, tuple[str, ...]] = {
    "Member": ("name", "birth_date", "region_code"),
    "Group": ("region_code", "group_size"),
}
