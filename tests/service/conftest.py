"""Fixtures of the registry service tests: a small committed registry in four villages, one
account per role, their tokens, and a TestClient on an app built over the test database.

Villages: A and A2 in district 11.12.01, B in district 11.12.02 (same regency 11.12, province
11), C in 32.73.01 (another province). The world is committed (the app opens its own sessions),
so it is built once per module and backend and wiped afterwards.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from tepat.access import passwords
from tepat.access.models import GENESIS_HASH, ApiToken, AuditChain, AuditEntry, User, UserRegion
from tepat.access.service import create_user, issue_token, revoke_token
from tepat.config import get_settings
from tepat.db.engine import session_factory, unit_of_work
from tepat.registry.models import Household, Membership, Person, Provenance
from tepat.web.app import create_app

VILLAGE_A = "11.12.01.2006"
VILLAGE_A2 = "11.12.01.2007"
VILLAGE_B = "11.12.02.2001"
VILLAGE_C = "32.73.01.1001"
PASSWORD = "correct horse battery"
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")

# username -> (role, regions)
ACCOUNTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "op-a": ("village_operator", (VILLAGE_A,)),
    "op-b": ("village_operator", (VILLAGE_B,)),
    "pendamping": ("facilitator", (VILLAGE_A, VILLAGE_A2)),
    "dinsos": ("district_office", ("11.12",)),
    "dinsos-c": ("district_office", ("32.73",)),
    "provinsi": ("province_office", ("11",)),
    "admin": ("national_admin", ("ID",)),
    "program": ("program_manager", ("ID",)),
    "auditor": ("auditor", ("ID",)),
}
_serial = itertools.count(1)


@dataclass
class World:
    """What the tests can reach: the app's client, ids by name, tokens by username."""

    client: TestClient
    engine: Engine
    households: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    niks: dict[str, str] = field(default_factory=dict)
    kks: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, username: str | None) -> dict[str, str]:
        """Authorization header of an account's token (or a raw token), {} for anonymous."""
        if username is None:
            return {}
        token = self.tokens.get(username, username)
        return {"Authorization": f"Bearer {token}"}

    def get(self, url: str, as_: str | None, **kwargs: Any) -> Any:
        """GET ``url`` as an account."""
        headers = {**self.auth(as_), **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    def session(self) -> Any:
        """A unit of work on the test database (commits)."""
        return unit_of_work(session_factory(self.engine))


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id with the cheapest parameters: same code path, milliseconds per hash."""
    saved = passwords.hasher
    passwords.hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords.hasher = saved


def wipe(db: Session) -> None:
    """Empty the registry and access tables and reset the audit chain."""
    for model in (AuditEntry, ApiToken, UserRegion, User, Provenance, Membership):
        db.execute(delete(model))
    db.execute(delete(Person))
    db.execute(delete(Household))
    db.execute(update(AuditChain).values(last_id=0, last_hash=GENESIS_HASH))


def _household(db: Session, village: str, kk: str) -> Household:
    household = Household(
        kk_number=kk,
        province_code=village[:2],
        regency_code=village[:5],
        district_code=village[:8],
        village_code=village,
        address=f"RT 00{next(_serial) % 9} RW 001",
        status="active",
        floor_material=3,
        has_fridge=True,
    )
    db.add(household)
    db.flush()
    return household


def _person(db: Session, name: str, nik: str, sex: str = "F") -> Person:
    person = Person(
        full_name=name, nik=nik, sex=sex, birth_date=date(1990, 5, 5), mother_name="Ibu Rahayu"
    )
    db.add(person)
    db.flush()
    return person


def _member(db: Session, person: Person, household: Household, head: bool) -> None:
    db.add(
        Membership(
            person_id=person.id,
            household_id=household.id,
            role="head" if head else "member",
            relationship_code=1 if head else 3,
            start_date=date(2020, 1, 1),
        )
    )


def build_registry(db: Session, world: World) -> None:
    """Four households in villages A, A2, B, C, plus a person with no household."""
    plan = [
        (
            "ha",
            VILLAGE_A,
            "1112011501200001",
            [("Siti Aminah", "1112014505900001", "F"), ("Budi Santoso", "1112010101150002", "M")],
        ),
        ("ha2", VILLAGE_A2, "1112011501200002", [("Ahmad Yani", "1112010202800003", "M")]),
        ("hb", VILLAGE_B, "1112021501200003", [("Siti Rahmah", "1112024303850004", "F")]),
        ("hc", VILLAGE_C, "3273011501200004", [("Siti Nurhaliza", "3273014404880005", "F")]),
    ]
    for key, village, kk, people in plan:
        household = _household(db, village, kk)
        world.households[key], world.kks[key] = household.id, kk
        for i, (name, nik, sex) in enumerate(people):
            person = _person(db, name, nik, sex)
            first = name.split()[0].lower() + "-" + key
            world.people[first], world.niks[first] = person.id, nik
            _member(db, person, household, head=i == 0)
        db.add(
            Provenance(
                entity="household",
                entity_id=household.id,
                fields=",floor_material,has_fridge,kk_number,",
                source="regsosek",
                source_record_id=f"rs-{key}",
                observed_on=date(2022, 10, 15),
            )
        )
    orphan = _person(db, "Tanpa Rumah", "1112016606700006", "F")
    world.people["orphan"], world.niks["orphan"] = orphan.id, "1112016606700006"
    db.flush()


def build_accounts(db: Session, world: World) -> None:
    """One account per entry of ACCOUNTS with a valid token; plus expired and revoked tokens."""
    ttl = timedelta(hours=1)
    for username, (role, regions) in ACCOUNTS.items():
        user = create_user(db=db, username=username, password=PASSWORD, role=role, regions=regions)
        world.tokens[username] = issue_token(db=db, user=user, ttl=ttl).token
    admin = db.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    world.tokens["expired"] = issue_token(db=db, user=admin, ttl=timedelta(seconds=-1)).token
    revoked = issue_token(db=db, user=admin, ttl=ttl).token
    revoke_token(db=db, token=revoked)
    world.tokens["revoked"] = revoked
    world.tokens["garbage"] = "tpt_not-a-token"


@pytest.fixture(scope="module")
def world(engine: Engine, database_url: str) -> Iterator[World]:
    """The committed registry and accounts, and a client of the app built on them."""
    settings = get_settings(database_url=database_url, environment="test", max_body_bytes=64_000)
    app = create_app(settings, engine=engine)
    client = TestClient(app)
    built = World(client=client, engine=engine)
    with unit_of_work(session_factory(engine)) as db:
        wipe(db)
        build_registry(db, built)
        build_accounts(db, built)
    try:
        yield built
    finally:
        client.close()
        with unit_of_work(session_factory(engine)) as db:
            wipe(db)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response has ``status`` and the error body; returns the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return dict(error)
