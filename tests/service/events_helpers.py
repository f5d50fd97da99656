"""Builders for the event tests: unique ids, valid NIK/KK numbers, families made by events."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from tepat.access.models import AuditEntry
from tepat.reference.kk import encode_kk
from tepat.reference.nik import encode_nik
from tepat.registry.models import (
    Household,
    HouseholdVersion,
    Membership,
    Person,
    PersonVersion,
    Provenance,
    RegistryEvent,
)

from .conftest import VILLAGE_A, World

_serial = itertools.count(1)
COUNTED = (
    Household,
    Person,
    Membership,
    HouseholdVersion,
    PersonVersion,
    RegistryEvent,
    Provenance,
    AuditEntry,
)


def event_id() -> str:
    """A fresh event id."""
    return f"t-{uuid.uuid4()}"


def nik(village: str, born: date, sex: str) -> str:
    """A valid NIK, unique in the test session."""
    return encode_nik(village[:8], born, sex, 1000 + next(_serial))


def kk(village: str) -> str:
    """A valid KK number, unique in the test session."""
    return encode_kk(village[:8], date(2020, 1, 15), 5000 + next(_serial))


def post(world: World, as_: str | None, body: dict[str, Any]) -> Any:
    """POST one event."""
    return world.client.post("/api/v1/events", json=body, headers=world.auth(as_))


def apply(world: World, as_: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    """POST one event and expect ``status``; returns the body."""
    body = {"event_id": event_id(), **body}
    response = post(world, as_, body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


@dataclass
class Family:
    """A household made by a new_household event, and its members' ids by name."""

    id: int
    kk: str
    village: str
    people: dict[str, int]


def family(
    world: World,
    as_: str,
    village: str,
    members: list[tuple[str, str, date, int]],
    *,
    formed: date = date(2015, 1, 1),
) -> Family:
    """A new household in ``village`` with (name, sex, birth date, relationship code) members."""
    number = kk(village)
    body = {
        "type": "new_household",
        "effective_date": formed.isoformat(),
        "village": village,
        "kk_number": number,
        "address": "RT 001 RW 002 NO. 3",
        "attributes": {"floor_material": 3, "has_fridge": False},
        "members": [
            {
                "full_name": name,
                "sex": sex,
                "birth_date": born.isoformat(),
                "nik": nik(village, born, sex),
                "relationship_code": code,
                "marital_status": 2 if code in (1, 2) else 1,
            }
            for name, sex, born, code in members
        ],
    }
    result = apply(world, as_, body)
    household = result["household_id"]
    detail = world.get(f"/api/v1/households/{household}", as_).json()
    people = {m["full_name"]: m["person_id"] for m in detail["members"]}
    return Family(household, number, village, people)


def counts(world: World) -> dict[str, int]:
    """Rows in every table an event writes."""
    with world.session() as db:
        return {
            m.__tablename__: db.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED
        }


def as_of(world: World, as_: str, household: int, day: str) -> dict[str, Any]:
    """The household as of ``day`` (expects 200)."""
    response = world.get(f"/api/v1/households/{household}/as-of/{day}", as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> set[str]:
    """Names of a household body's members."""
    return {m["full_name"] for m in body["members"]}


def three(world: World, as_: str = "op-a", village: str = VILLAGE_A) -> Family:
    """Ani (head, 1985), Dedi (spouse, 1983), Rina (child, 2010) in ``village``."""
    return family(
        world,
        as_,
        village,
        [
            ("Ani Lestari", "F", date(1985, 4, 2), 1),
            ("Dedi Kurnia", "M", date(1983, 7, 9), 2),
            ("Rina Kurnia", "F", date(2010, 1, 20), 3),
        ],
    )
