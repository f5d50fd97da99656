"""The registry schema on every database: migrations, constraints, locking and provenance."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    SmallInteger,
    String,
    delete,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tepat.db.base import Base, include_object
from tepat.db.engine import make_engine, session_factory, unit_of_work
from tepat.db.migrate import current_revision, head_revision, upgrade
from tepat.registry.models import (
    Household,
    Membership,
    Person,
    Provenance,
    unwrap_fields,
    wrap_fields,
)

REGISTRY_TABLES = {"households", "people", "memberships", "provenance"}
_serial = itertools.count(1)


# -- builders ---------------------------------------------------------------------------------


def _household(**overrides: Any) -> Household:
    values: dict[str, Any] = {
        "kk_number": f"3273011503{next(_serial):06d}",
        "province_code": "32",
        "regency_code": "32.73",
        "district_code": "32.73.01",
        "village_code": "32.73.01.1001",
    }
    return Household(**(values | overrides))


def _person(**overrides: Any) -> Person:
    values: dict[str, Any] = {
        "nik": f"3273015503{next(_serial):06d}",
        "full_name": "Siti Aminah",
        "sex": "F",
        "birth_date": date(1985, 3, 15),
    }
    return Person(**(values | overrides))


def _stored(session: Session, *rows: Base) -> None:
    session.add_all(rows)
    session.flush()


def _fill_every_column(model: type[Base], fixed: dict[str, Any]) -> dict[str, Any]:
    """A value for every writable column of ``model``: ``fixed`` first, then one by type."""
    values = dict(fixed)
    skip = {"id", "version", "created_at", "updated_at"}
    for index, column in enumerate(inspect(model).columns):
        if column.key in values or column.key in skip:
            continue
        kind = column.type
        if isinstance(kind, Boolean):
            values[column.key] = index % 2 == 0  # both True and False cross the wire
        elif isinstance(kind, SmallInteger):
            values[column.key] = index
        elif isinstance(kind, Date):
            values[column.key] = date(2020, 1, 1 + index % 28)
        elif isinstance(kind, DateTime):
            values[column.key] = datetime(2024, 2, 29, 13, 45, index % 60)
        elif isinstance(kind, Float):
            values[column.key] = 100.0 + index / 8
        elif isinstance(kind, String):  # also Text
            length = kind.length or 40
            values[column.key] = f"{column.key}-{index}"[:length]
        elif isinstance(kind, Integer):
            values[column.key] = 1_000 + index
        else:  # a new column type: make the test say so instead of skipping the column
            raise AssertionError(f"no sample value for {model.__name__}.{column.key}: {kind!r}")
    return values


def _columns_of(row: Base, names: list[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


# -- migrations -------------------------------------------------------------------------------


def test_upgrade_creates_the_schema_and_a_second_run_is_a_no_op(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        head = head_revision()
        assert head is not None

        assert upgrade(engine) == (None, head)
        assert set(inspect(engine).get_table_names()) >= REGISTRY_TABLES

        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert upgrade(engine) == (head, head)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        changes = [
            s
            for s in statements
            if s.split(None, 1)[0].upper() in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE"}
        ]
        assert changes == []
        assert current_revision(engine) == head
    finally:
        engine.dispose()


def test_session_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "run alembic autogenerate: the models differ from the migrations"


def test_commits_in_the_session_fixture_never_reach_the_database(
    session: Session, engine: Engine
) -> None:
    household = _household(kk_number="3273019999990001")
    session.add(household)
    session.commit()  # releases a savepoint only; the outer transaction is rolled back later
    assert session.scalar(select(Household.id).where(Household.id == household.id)) is not None
    with engine.connect() as other:
        seen = other.scalar(select(Household.id).where(Household.kk_number == "3273019999990001"))
    assert seen is None


# -- round trip -------------------------------------------------------------------------------


def test_household_with_members_round_trips_every_field(session: Session) -> None:
    household_values = _fill_every_column(
        Household,
        {
            "kk_number": "3273011503220001",
            "province_code": "32",
            "regency_code": "32.73",
            "district_code": "32.73.01",
            "village_code": "32.73.01.1001",
            "address": "Jl. Braga No. 7, RT 003/RW 011",
            "latitude": -6.917464,
            "longitude": 107.619123,
            "urban": True,
            "status": "active",
            "formed_on": date(2010, 2, 28),
            "dissolved_on": None,
            "floor_area_m2": 32767,  # SmallInteger's upper bound on every database
            "has_car": False,
            "goats": 0,
        },
    )
    head_values = _fill_every_column(
        Person,
        {
            "nik": "3273011503850001",
            "full_name": "Budi Santoso",
            "sex": "M",
            "birth_date": date(1985, 3, 15),
            "pregnant": False,
            "status": "alive",
            "died_on": None,
        },
    )
    child_values = {
        "nik": "3273015708120002",
        "full_name": "Ayu Lestari",
        "sex": "F",
        "birth_date": date(2012, 8, 17),
        "pregnant": None,
        "school_participation": 1,
    }
    household = Household(**household_values)
    head = Person(**head_values)
    child = Person(**child_values)
    session.add_all(
        [
            Membership(
                person=head,
                household=household,
                role="head",
                relationship_code=1,
                line_number=1,
                start_date=date(2010, 2, 28),
            ),
            Membership(
                person=child,
                household=household,
                role="member",
                relationship_code=3,
                line_number=2,
                start_date=date(2012, 8, 17),
            ),
        ]
    )
    session.flush()
    household_id = household.id
    session.expunge_all()

    loaded = session.get_one(Household, household_id)
    assert _columns_of(loaded, list(household_values)) == household_values
    assert type(loaded.urban) is bool
    assert type(loaded.formed_on) is date
    assert type(loaded.floor_area_m2) is int
    assert loaded.version == 1
    assert isinstance(loaded.created_at, datetime)

    members = sorted(loaded.memberships, key=lambda m: m.line_number or 0)
    assert [(m.role, m.relationship_code, m.end_date) for m in members] == [
        ("head", 1, None),
        ("member", 3, None),
    ]
    assert _columns_of(members[0].person, list(head_values)) == head_values
    assert _columns_of(members[1].person, list(child_values)) == child_values
    assert members[1].start_date == date(2012, 8, 17)
    assert type(members[0].person.pregnant) is bool


def test_update_through_the_session_bumps_the_version(session: Session) -> None:
    household = _household()
    _stored(session, household)
    household.address = "Jl. Asia Afrika 8"
    session.flush()
    assert household.version == 2


# -- memberships ------------------------------------------------------------------------------


def test_second_open_head_is_refused_but_a_closed_head_is_allowed(session: Session) -> None:
    household, first, second, former = _household(), _person(), _person(), _person()
    _stored(session, household, first, second, former)
    _stored(
        session,
        Membership(person_id=first.id, household_id=household.id, role="head", relationship_code=1),
    )

    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Membership(
                person_id=second.id, household_id=household.id, role="head", relationship_code=1
            )
        )

    _stored(
        session,
        Membership(
            person_id=former.id,
            household_id=household.id,
            role="head",
            relationship_code=1,
            start_date=date(2001, 1, 1),
            end_date=date(2009, 12, 31),
            end_reason="death",
        ),
    )
    heads = session.scalars(
        select(Membership).where(Membership.household_id == household.id, Membership.role == "head")
    ).all()
    assert sorted(m.person_id for m in heads) == sorted([first.id, former.id])


def test_a_person_cannot_have_two_open_memberships(session: Session) -> None:
    old_home, new_home, person = _household(), _household(), _person()
    _stored(session, old_home, new_home, person)
    current = Membership(
        person_id=person.id,
        household_id=old_home.id,
        role="member",
        relationship_code=3,
        start_date=date(2000, 5, 1),
    )
    _stored(session, current)

    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Membership(
                person_id=person.id, household_id=new_home.id, role="head", relationship_code=1
            )
        )

    # A move: close the old membership, then open the new one.
    current.end_date = date(2023, 6, 30)
    current.end_reason = "moved"
    session.flush()
    _stored(
        session,
        Membership(
            person_id=person.id,
            household_id=new_home.id,
            role="head",
            relationship_code=1,
            start_date=date(2023, 7, 1),
        ),
    )
    open_rows = session.scalars(
        select(Membership).where(Membership.person_id == person.id, Membership.end_date.is_(None))
    ).all()
    assert [m.household_id for m in open_rows] == [new_home.id]


BadRow = Callable[[Household, Person], Base]

BAD_ROWS: dict[str, BadRow] = {
    "person sex X": lambda hh, p: _person(sex="X"),
    "person sex lowercase": lambda hh, p: _person(sex="f"),
    "person status": lambda hh, p: _person(status="missing"),
    "household status": lambda hh, p: _household(status="archived"),
    "membership role": lambda hh, p: Membership(
        person_id=p.id, household_id=hh.id, role="wife", relationship_code=2
    ),
    "head with code 2": lambda hh, p: Membership(
        person_id=p.id, household_id=hh.id, role="head", relationship_code=2
    ),
    "member with code 1": lambda hh, p: Membership(
        person_id=p.id, household_id=hh.id, role="member", relationship_code=1
    ),
    "period ends before start": lambda hh, p: Membership(
        person_id=p.id,
        household_id=hh.id,
        role="member",
        relationship_code=3,
        start_date=date(2020, 1, 2),
        end_date=date(2020, 1, 1),
    ),
    "membership of a missing person": lambda hh, p: Membership(
        person_id=p.id + 1_000_000, household_id=hh.id, role="member", relationship_code=3
    ),
    "provenance entity": lambda hh, p: Provenance(
        entity="village", entity_id=hh.id, fields=wrap_fields(["name"]), source="dtks"
    ),
}


@pytest.mark.parametrize("make_bad_row", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_constraints_refuse_bad_rows(session: Session, make_bad_row: BadRow) -> None:
    household, person = _household(), _person()
    _stored(session, household, person)

    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(make_bad_row(household, person))

    # The session is still usable after the refused row.
    assert session.scalar(select(Person.id).where(Person.id == person.id)) == person.id


# -- optimistic locking -----------------------------------------------------------------------


def test_concurrent_edits_the_second_commit_is_stale(engine: Engine) -> None:
    factory = session_factory(engine)
    with unit_of_work(factory) as setup:
        household = _household(address="Jl. Dago 1")
        setup.add(household)
        setup.flush()
        household_id = household.id
    try:
        first, second = factory(), factory()
        try:
            mine = first.get_one(Household, household_id)
            theirs = second.get_one(Household, household_id)
            mine.address = "Jl. Dago 2"
            theirs.address = "Jl. Dago 3"
            first.commit()
            # PostgreSQL sees the stale version; SQLite (WAL, reads inside a transaction) refuses
            # the second writer's out-of-date snapshot outright. Either way the edit is refused.
            expected = (
                (StaleDataError,)
                if engine.dialect.name != "sqlite"
                else (StaleDataError, OperationalError)
            )
            with pytest.raises(expected):
                second.commit()
            second.rollback()
        finally:
            first.close()
            second.close()

        with factory() as check:
            stored = check.get_one(Household, household_id)
            assert (stored.address, stored.version) == ("Jl. Dago 2", 2)
    finally:
        with unit_of_work(factory) as cleanup:
            cleanup.execute(delete(Household).where(Household.id == household_id))


# -- provenance -------------------------------------------------------------------------------


def test_wrap_and_unwrap_fields() -> None:
    assert wrap_fields(("sex", "nik", "sex", "full_name")) == ",full_name,nik,sex,"
    assert unwrap_fields(",full_name,nik,sex,") == ["full_name", "nik", "sex"]
    assert unwrap_fields(wrap_fields([])) == []


def test_provenance_like_finds_the_source_of_a_field(session: Session) -> None:
    person = _person()
    _stored(session, person)
    _stored(
        session,
        Provenance(
            entity="person",
            entity_id=person.id,
            fields=wrap_fields(["sex", "full_name", "nik"]),
            source="regsosek",
            source_record_id="RS22-000123",
            observed_on=date(2022, 10, 15),
        ),
        Provenance(
            entity="person",
            entity_id=person.id,
            fields=wrap_fields(["birth_date", "mother_name"]),
            source="dtks",
        ),
    )

    ids = session.scalars(
        text(
            "SELECT id FROM provenance WHERE entity = 'person' AND entity_id = :entity_id"
            " AND fields LIKE '%,sex,%'"
        ),
        {"entity_id": person.id},
    ).all()
    assert len(ids) == 1
    found = session.get_one(Provenance, ids[0])
    assert found.source == "regsosek"
    assert unwrap_fields(found.fields) == ["full_name", "nik", "sex"]

    # The commas keep one field name from matching inside another (name vs full_name).
    partial = session.scalars(
        select(Provenance).where(
            Provenance.entity_id == person.id, Provenance.fields.like("%,name,%")
        )
    ).all()
    assert partial == []
