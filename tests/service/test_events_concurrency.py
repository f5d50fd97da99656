"""Two operators change the same household at the same time: one wins, the other gets 409 with
the current version, and nothing is lost. Real concurrent sessions."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tepat.access.principal import Principal
from tepat.db.engine import session_factory
from tepat.errors import Conflict
from tepat.registry.event_schemas import EVENT_ADAPTER
from tepat.registry.events import apply_event

from .conftest import VILLAGE_A, World
from .events_helpers import event_id, family, post

OPERATOR = Principal(user_id=1, username="op-x", role="village_operator", regions=(VILLAGE_A,))


def _change(household: int, version: int, area: int) -> dict[str, Any]:
    return {
        "event_id": event_id(),
        "type": "update_household",
        "effective_date": "2025-02-01",
        "household_id": household,
        "household_changes": {"floor_area_m2": area},
        "reason": "ukur ulang luas lantai",
        "expected_version": version,
    }


def test_two_operators_at_once_over_http(world: World) -> None:
    fam = family(world, "op-a", VILLAGE_A, [("Ani", "F", date(1985, 4, 2), 1)])
    barrier = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def send(user: str, area: int) -> None:
        barrier.wait()
        answers[user] = post(world, user, _change(fam.id, 1, area))

    threads = [threading.Thread(target=send, args=a) for a in (("op-a", 40), ("dinsos", 55))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [201, 409], {u: r.text for u, r in answers.items()}
    [winner] = [u for u, r in answers.items() if r.status_code == 201]
    [loser] = [r for r in answers.values() if r.status_code == 409]
    assert loser.json()["error"]["code"] == "version_conflict"
    assert "is at version 2" in loser.json()["error"]["message"]
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert body["version"] == 2
    assert body["attributes"]["floor_area_m2"] == (40 if winner == "op-a" else 55)


def test_the_second_session_waits_for_the_first_then_conflicts(
    world: World, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: the service lets one request at a time in")
    fam = family(world, "op-a", VILLAGE_A, [("Ani", "F", date(1985, 4, 2), 1)])
    factory = session_factory(world.engine)
    first: Session = factory()
    outcome: dict[str, Any] = {}
    try:
        apply_event(
            db=first,
            principal=OPERATOR,
            event=EVENT_ADAPTER.validate_python(_change(fam.id, 1, 40)),
        )

        def second() -> None:
            with factory() as db:
                try:
                    apply_event(
                        db=db,
                        principal=OPERATOR,
                        event=EVENT_ADAPTER.validate_python(_change(fam.id, 1, 55)),
                    )
                    db.commit()
                    outcome["result"] = "applied"
                except Conflict as exc:
                    db.rollback()
                    outcome["result"] = exc

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), outcome  # blocked on the household's row lock
        first.commit()
    finally:
        first.close()
    thread.join(timeout=30)
    error = outcome["result"]
    assert isinstance(error, Conflict) and error.code == "version_conflict", error
    assert "is at version 2" in error.message
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert body["version"] == 2 and body["attributes"]["floor_area_m2"] == 40
