"""Builders of the workflow tests (no tests here): valid NIK/KK numbers, proposal and
ground-check bodies, a recipient household, hand-made releases, the public client, cleanup.

(The file is named ``test_workflow_*`` because only such names belong to the workflow work.)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tepat.access.models import AuditEntry
from tepat.access.service import create_user, issue_token
from tepat.config import get_settings
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
from tepat.release.models import (
    Release,
    ReleaseBeneficiary,
    ReleaseDistrictProgramSummary,
    ReleaseDistrictSummary,
    ReleaseHousehold,
    ReleaseProgramSummary,
    ReleaseVillageSummary,
)
from tepat.release.store import summarise_release
from tepat.web.app import create_app
from tepat.workflow.models import (
    Appeal,
    HouseholdFlag,
    Notice,
    Objection,
    Proposal,
    WorkflowStep,
)

from .conftest import PASSWORD, VILLAGE_A, World

_serial = itertools.count(3001)
WORKFLOW_TABLES = (HouseholdFlag, WorkflowStep, Appeal, Notice, Objection, Proposal)
COUNTED = (*WORKFLOW_TABLES, Household, Person, Provenance, RegistryEvent, AuditEntry)
NUMBER = r"^USL-11\.12\.01\.2006-\d{4}-\d{6}$"
PREVIOUS, CURRENT = "R2026-08-prev", "R2026-11-curr"
RECIPIENT = ("Rahmat Hidayat", date(1980, 3, 4), "M")
TODAY = date.today()


def nik(village: str, born: date, sex: str) -> str:
    """A valid NIK, unique in the test session."""
    return encode_nik(village[:8], born, sex, next(_serial))


def kk(village: str) -> str:
    """A valid KK number, unique in the test session."""
    return encode_kk(village[:8], date(2021, 6, 1), next(_serial))


def minutes() -> dict[str, str]:
    """A musdes minutes reference."""
    return {"number": "140/07/MUSDES/2026", "date": (TODAY - timedelta(days=3)).isoformat()}


def new_family(village: str = VILLAGE_A, **extra: Any) -> dict[str, Any]:
    """A valid new-family proposal body of two members."""
    return {
        "kind": "new_family",
        "village": village,
        "kk_number": kk(village),
        "address": "Dusun Mawar RT 001 RW 002",
        "rt": "1",
        "rw": "2",
        "attributes": {"floor_material": 8, "wall_material": 6, "has_fridge": False},
        "members": [
            member("Joko Susilo", date(1979, 2, 14), "M", 1, village),
            member("Sri Wahyuni", date(1983, 9, 21), "F", 2, village),
        ],
        "minutes": minutes(),
        **extra,
    }


def member(name: str, born: date, sex: str, code: int, village: str = VILLAGE_A) -> dict[str, Any]:
    """A proposed member with a NIK that fits the birth date and sex."""
    return {
        "full_name": name,
        "nik": nik(village, born, sex),
        "sex": sex,
        "birth_date": born.isoformat(),
        "relationship_code": code,
        "marital_status": 2,
    }


def photo(i: int = 0) -> dict[str, Any]:
    """Metadata of a house photo taken in Aceh."""
    return {
        "file_name": f"rumah-depan-{i}.jpg",
        "sha256": f"{i:02x}" * 32,
        "taken_at": (datetime.now() - timedelta(hours=2)).isoformat(timespec="seconds"),
        "latitude": 5.5483,
        "longitude": 95.3238,
    }


def ground_check(verdict: str = "confirmed", **extra: Any) -> dict[str, Any]:
    """A ground-check body: block I answered, a few items observed, one photo, the visit."""
    return {
        "answers": {
            "b1_found": True,
            "b1_lives_here": True,
            "b1_kk_matches": True,
            "b1_members": 2,
            "r303": 8,
            "r304": 6,
            "r502b": False,
        },
        "members": [{"line": 1, "answers": {"r404": 1, "m_nik_matches": True}}],
        "photos": [photo()],
        "visit": {"latitude": 5.55, "longitude": 95.32, "visited_on": TODAY.isoformat()},
        "verdict": verdict,
        "notes": "rumah semi permanen, lantai tanah",
        **extra,
    }


def call(world: World, method: str, url: str, as_: str | None, body: Any = None) -> Any:
    """A request as an account."""
    return world.client.request(method, url, headers=world.auth(as_), json=body)


def propose(world: World, body: dict[str, Any] | None = None, as_: str = "op-a") -> dict[str, Any]:
    """Submit a proposal; returns it."""
    response = call(world, "POST", "/api/v1/proposals", as_, body or new_family())
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


def act(
    world: World, number: str, action: str, as_: str, body: Any = None, status: int = 200
) -> dict[str, Any]:
    """POST /proposals/{number}/{action} and expect ``status``."""
    response = call(world, "POST", f"/api/v1/proposals/{number}/{action}", as_, body or {})
    assert response.status_code == status, response.text
    out: dict[str, Any] = response.json()
    return out


def verified(world: World, body: dict[str, Any] | None = None) -> str:
    """A proposal submitted, assigned to ``pendamping`` and verified (confirmed)."""
    number = propose(world, body)["number"]
    act(world, number, "assign", "dinsos", {"facilitator": "pendamping"})
    act(world, number, "verify", "pendamping", ground_check())
    return str(number)


def counts(world: World) -> dict[str, int]:
    """Rows in the workflow tables and in what a workflow action may write."""
    with world.session() as db:
        return {
            m.__tablename__: db.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED
        }


def wipe_workflow(db: Session) -> None:
    """Empty the workflow, release and registry-event tables (SQLite reuses the ids of deleted
    rows, so an applied proposal's number, used as its event id, could come back)."""
    for model in (
        *WORKFLOW_TABLES,
        ReleaseDistrictProgramSummary,
        ReleaseDistrictSummary,
        ReleaseProgramSummary,
        ReleaseVillageSummary,
        ReleaseBeneficiary,
        ReleaseHousehold,
        Release,
        PersonVersion,
        HouseholdVersion,
        RegistryEvent,
    ):
        db.execute(delete(model))


def add_account(db: Session, world: World, username: str, role: str, *regions: str) -> None:
    """One more account with a token."""
    user = create_user(db=db, username=username, password=PASSWORD, role=role, regions=regions)
    world.tokens[username] = issue_token(db=db, user=user, ttl=timedelta(hours=1)).token


def add_household(
    db: Session, world: World, key: str, village: str, head: tuple[str, date, str]
) -> None:
    """A one-person household named ``key`` in ``world``."""
    number = kk(village)
    household = Household(
        kk_number=number,
        province_code=village[:2],
        regency_code=village[:5],
        district_code=village[:8],
        village_code=village,
        address="Lorong Melati 4",
        status="active",
        floor_material=2,
        has_car=True,
    )
    db.add(household)
    db.flush()
    name, born, sex = head
    person = Person(full_name=name, nik=nik(village, born, sex), sex=sex, birth_date=born)
    db.add(person)
    db.flush()
    db.add(
        Membership(
            person_id=person.id,
            household_id=household.id,
            role="head",
            relationship_code=1,
            start_date=date(2020, 1, 1),
        )
    )
    world.households[key], world.kks[key] = household.id, number
    world.people[key], world.niks[key] = person.id, str(person.nik)
    db.flush()


def add_release(
    db: Session,
    world: World,
    release_id: str,
    families: dict[str, tuple[int, list[str]]],
    *,
    data_cut: date,
    previous: str | None = None,
    current: bool = True,
) -> None:
    """A release: for each household key its desil and programs (``fam-<key>`` families)."""
    if current:
        db.execute(Release.__table__.update().values(is_current=False))
    db.add(
        Release(
            id=release_id,
            data_cut=data_cut,
            model_version="pmt-test",
            rules_version="rules-test",
            previous_id=previous,
            is_current=current,
            manifest={"release_id": release_id},
        )
    )
    db.flush()
    for key, (desil, programs) in families.items():
        db.add(
            ReleaseHousehold(
                release_id=release_id,
                family_id=f"fam-{key}",
                household_id=world.households[key],
                village_code=_village_of(db, world.households[key]),
                members=1,
                desil=desil,
                percentile=desil * 10 - 5.0,
                predicted_pce=500_000.0 * desil,
            )
        )
        for program in programs:
            db.add(
                ReleaseBeneficiary(
                    release_id=release_id,
                    program=program,
                    family_id=f"fam-{key}",
                    person_key=None,
                    amount_year=1_000_000,
                )
            )
    db.flush()
    summarise_release(db.connection(), release_id)


def _village_of(db: Session, household_id: int) -> str:
    return str(db.scalar(select(Household.village_code).where(Household.id == household_id)))


@contextmanager
def public_client(world: World, *, limit: int = 100_000, ip: str = "10.1.1.1") -> Iterator[Any]:
    """A client of an app on the test database with its own rate limit and client address."""
    settings = get_settings(
        database_url=str(world.engine.url.render_as_string(hide_password=False)),
        environment="test",
        status_check_rate_per_minute=limit,
    )
    app = create_app(settings, engine=world.engine)
    with TestClient(app, client=(ip, 40000)) as client:
        yield client
