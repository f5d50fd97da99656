"""Batches of events (JSON lines and CSV) over HTTP and with `tepat events import`: bad lines
are rejected with their line number and reason, the rest applied, and re-sending applies
nothing new."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tepat.access.models import AuditEntry
from tepat.cli import app

from .conftest import VILLAGE_A, World, assert_error
from .events_helpers import Family, counts, event_id, family

runner = CliRunner()


@pytest.fixture(scope="module")
def fam(world: World) -> Family:
    """Ani (head), Dedi (spouse), Rina (child) in village A."""
    return family(
        world,
        "op-a",
        VILLAGE_A,
        [
            ("Ani Lestari", "F", date(1985, 4, 2), 1),
            ("Dedi Kurnia", "M", date(1983, 7, 9), 2),
            ("Rina Kurnia", "F", date(2010, 1, 20), 3),
        ],
    )


def _upload(world: World, as_: str, text: str, kind: str = "application/x-ndjson") -> Any:
    return world.client.post(
        "/api/v1/events/batch",
        content=text.encode(),
        headers={**world.auth(as_), "Content-Type": kind},
    )


def _lines(fam: Family, world: World) -> tuple[str, list[str]]:
    p = fam.people
    ids = [event_id() for _ in range(4)]
    economic = {
        "event_id": ids[1],
        "type": "economic_change",
        "effective_date": "2025-03-01",
        "household_id": fam.id,
        "household_changes": {"has_smartphone": True},
        "reason": "usaha baru",
    }
    birth = {
        "event_id": ids[0],
        "type": "birth",
        "effective_date": "2025-01-05",
        "household_id": fam.id,
        "full_name": "Bayu",
        "sex": "M",
        "mother_id": p["Ani Lestari"],
    }
    rows: list[Any] = [
        birth,  # 1 applied
        "",  # 2 blank: not counted
        "{not json",  # 3 rejected
        [1, 2],  # 4 rejected: not an object
        {"event_id": "x-1", "type": "birth", "effective_date": "2025-01-01"},  # 5 invalid
        {
            "event_id": ids[2],
            "type": "death",
            "effective_date": "1970-01-01",
            "person_id": p["Rina Kurnia"],
        },  # 6
        economic,  # 7 applied
        {
            "event_id": ids[3],
            "type": "death",
            "effective_date": "2025-04-01",
            "person_id": p["Dedi Kurnia"],
        },  # 8
        birth,  # 9 duplicate of line 1
        economic | {"reason": "usaha lain"},  # 10 same event_id, other content
        {
            "event_id": event_id(),
            "type": "death",
            "effective_date": "2025-01-01",
            "person_id": world.people["siti-hb"],
        },  # 11
    ]
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"
    return text, ids


def test_a_batch_applies_the_good_lines_and_names_the_bad_ones(world: World, fam: Family) -> None:
    text, ids = _lines(fam, world)
    response = _upload(world, "op-a", text)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["received"], summary["applied"], summary["duplicates"]) == (10, 3, 1)
    rejected = {r["line"]: r for r in summary["rejected"]}
    assert sorted(rejected) == [3, 4, 5, 6, 10, 11]
    assert rejected[3]["code"] == "malformed_line" and "not valid JSON" in rejected[3]["reason"]
    assert "sex: Field required" in rejected[5]["reason"] and rejected[5]["event_id"] == "x-1"
    assert rejected[6]["code"] == "before_birth" and rejected[6]["event_id"] == ids[2]
    assert rejected[10]["code"] == "event_id_reused"
    assert rejected[11]["code"] == "person_not_found"
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert {m["full_name"] for m in body["members"]} == {"Ani Lestari", "Rina Kurnia", "Bayu"}
    assert body["attributes"]["has_smartphone"] is True
    with world.session() as db:
        entry = db.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "registry.event.batch")
            .order_by(AuditEntry.id.desc())
        )
        assert entry is not None and sorted(entry.detail["events"]) == sorted(
            [ids[0], ids[1], ids[3]]
        )

    before = counts(world)
    again = _upload(world, "op-a", text).json()
    assert (again["received"], again["applied"], again["duplicates"]) == (10, 0, 4)
    assert [r["line"] for r in again["rejected"]] == [3, 4, 5, 6, 10, 11]
    assert counts(world) == before


def test_a_csv_batch_has_a_header_and_json_cells(world: World, fam: Family) -> None:
    first, second = event_id(), event_id()
    changes = json.dumps({"roof_material": 2}).replace('"', '""')
    text = (
        "event_id,type,effective_date,household_id,household_changes,reason,person_id\n"
        f'{first},economic_change,2025-05-01,{fam.id},"{changes}",rumah rusak,\n'
        f"{second},remove_member,2025-13-01,{fam.id},,pindah,{fam.people['Rina Kurnia']}\n"
    )
    summary = _upload(world, "op-a", text, "text/csv").json()
    assert summary["applied"] == 1
    [bad] = summary["rejected"]
    assert bad["line"] == 3 and bad["event_id"] == second and "effective_date" in bad["reason"]
    assert (
        world.get(f"/api/v1/households/{fam.id}", "op-a").json()["attributes"]["roof_material"] == 2
    )


def test_a_batch_needs_a_known_format_utf8_and_a_writer(world: World) -> None:
    assert_error(_upload(world, "op-a", "a,b\n", "application/pdf"), 415)
    response = world.client.post(
        "/api/v1/events/batch",
        content=b"\xff\xfe",
        headers={**world.auth("op-a"), "Content-Type": "text/csv"},
    )
    assert_error(response, 422, "not_utf8")
    assert_error(_upload(world, "program", "{}\n"), 403, "role_not_allowed")
    assert_error(_upload(world, None, "{}\n"), 401)


@pytest.fixture
def cli_db(world: World, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The CLI pointed at the test database."""
    monkeypatch.setenv("TEPAT_DATABASE_URL", database_url)
    yield world


def test_events_import_applies_a_feed_once(cli_db: World, fam: Family, tmp_path: Path) -> None:
    feed = tmp_path / "lampid.jsonl"
    death = {"event_id": event_id(), "type": "death", "effective_date": "2025-06-01"}
    death["person_id"] = fam.people["Rina Kurnia"]
    other = {
        "event_id": event_id(),
        "type": "death",
        "effective_date": "2025-06-01",
        "person_id": 10**12,
    }
    feed.write_text(json.dumps(death) + "\n")
    result = runner.invoke(app, ["events", "import", str(feed), "--source", "dukcapil"])
    assert result.exit_code == 0, result.output
    assert "1 events received: 1 applied, 0 already applied, 0 rejected" in result.output
    person = cli_db.get(f"/api/v1/people/{fam.people['Rina Kurnia']}", "admin").json()
    assert person["status"] == "deceased"
    assert any(s["source"] == "dukcapil" for s in person["provenance"])
    feed.write_text(json.dumps(death) + "\n" + json.dumps(other) + "\n")
    again = runner.invoke(app, ["events", "import", str(feed)])
    assert again.exit_code == 1
    assert "0 applied, 1 already applied, 1 rejected" in again.output
    assert f"line 2 ({other['event_id']}): person {10**12} not found" in again.output
