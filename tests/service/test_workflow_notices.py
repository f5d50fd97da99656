"""Notices of loss between two hand-made releases, and appeals by the village office and by
the family itself (filed -> under_review -> upheld / dismissed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from tepat.workflow.common import clear_flags, open_flags
from tepat.workflow.models import Notice
from tepat.workflow.notices import create_notices_for_release, reason_for

from .conftest import VILLAGE_A, World, assert_error
from .test_workflow_builders import (
    CURRENT,
    PREVIOUS,
    RECIPIENT,
    add_household,
    add_release,
    call,
    counts,
    public_client,
    wipe_workflow,
)


@pytest.fixture(scope="module")
def wf(world: World) -> Iterator[World]:
    """Two releases: ha loses PBI-JK (same desil), rx loses PKH (desil 3 -> 7), hc leaves."""
    with world.session() as db:
        wipe_workflow(db)
        add_household(db, world, "rx", VILLAGE_A, RECIPIENT)
        before = {
            "ha": (2, ["BPNT", "PBI", "PKH"]),
            "rx": (3, ["PKH"]),
            "hb": (1, ["BPNT"]),
            "hc": (4, ["BPNT"]),
        }
        after = {"ha": (2, ["BPNT", "PKH"]), "rx": (7, []), "hb": (1, ["BPNT", "PKH"])}
        add_release(db, world, PREVIOUS, before, data_cut=date(2026, 7, 20))
        add_release(db, world, CURRENT, after, data_cut=date(2026, 10, 20), previous=PREVIOUS)
    yield world
    with world.session() as db:
        wipe_workflow(db)


def _notices(wf: World) -> dict[tuple[str, str], Notice]:
    with wf.session() as db:
        rows = db.scalars(select(Notice)).all()
        db.expunge_all()
    return {(n.family_id, n.program): n for n in rows}


def test_a_notice_for_every_lost_program_with_its_reason_and_window(wf: World) -> None:
    with wf.session() as db:
        created = create_notices_for_release(db=db, release_id=CURRENT, appeal_days=30)
    assert created == 3
    notices = _notices(wf)
    assert set(notices) == {("fam-ha", "PBI"), ("fam-rx", "PKH"), ("fam-hc", "BPNT")}
    rx = notices[("fam-rx", "PKH")]
    assert (rx.reason_code, rx.reason) == ("desil_up", "desil naik dari 3 ke 7")
    assert rx.household_id == wf.households["rx"] and rx.village_code == VILLAGE_A
    assert rx.appeal_until == date.today() + timedelta(days=30)
    for (family, _program), notice in notices.items():  # SQL and the pure rule agree
        expected = reason_for(notice.old_desil, notice.new_desil, None)
        assert (notice.reason_code, notice.reason) == expected, family
    assert notices[("fam-ha", "PBI")].reason_code == "rule_change"
    assert notices[("fam-hc", "BPNT")].reason_code == "household_gone"
    with wf.session() as db:
        assert create_notices_for_release(db=db, release_id=CURRENT) == 0  # idempotent
        assert create_notices_for_release(db=db, release_id=PREVIOUS) == 0  # nothing before it


def test_reasons_come_from_the_eligibility_decisions_when_the_folder_is_given(
    tmp_path: Path,
) -> None:
    table = pa.table(
        {
            "program": ["PKH", "PKH"],
            "family_id": ["fam-rx", "fam-zz"],
            "eligible": [False, True],
            "failed": [["desil_max", "komponen"], []],
        }
    )
    pq.write_table(table, tmp_path / "eligibility.parquet")
    from tepat.workflow.notices import failed_rules

    found = failed_rules(tmp_path, {("fam-rx", "PKH")})
    assert found == {("fam-rx", "PKH"): ["desil_max", "komponen"]}
    code, text = reason_for(3, 7, found[("fam-rx", "PKH")])
    assert code == "rule:desil_max,komponen"
    assert text == "desil naik dari 3 ke 7; tidak lagi memenuhi syarat: desil_max, komponen"


def test_the_village_office_appeals_and_the_district_upholds_it(wf: World) -> None:
    notice = _notices(wf)[("fam-rx", "PKH")]
    listed = wf.get("/api/v1/notices", "op-a").json()
    assert {n["id"] for n in listed["items"]} >= {notice.id}
    assert wf.get(f"/api/v1/notices/{notice.id}", "op-a").json()["appeal_open"] is True
    assert_error(wf.get(f"/api/v1/notices/{notice.id}", "op-b"), 404, "notice_not_found")

    filed = call(
        wf,
        "POST",
        f"/api/v1/notices/{notice.id}/appeal",
        "op-a",
        {"reason": "baru saja kehilangan pekerjaan"},
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    assert number.startswith("BDG-11.12.01.2006-") and filed.json()["state"] == "filed"
    again = call(wf, "POST", f"/api/v1/notices/{notice.id}/appeal", "op-a", {"reason": "lagi"})
    assert_error(again, 409, "already_appealed")

    base = f"/api/v1/appeals/{number}"
    early = call(wf, "POST", f"{base}/uphold", "dinsos", {"reason": "benar"})
    error = assert_error(early, 409, "transition_not_allowed")
    assert "allowed actions: review (district_office)" in error["message"]
    assert_error(call(wf, "POST", f"{base}/review", "op-a", {}), 403, "role_not_allowed")
    assert call(wf, "POST", f"{base}/review", "dinsos", {}).json()["state"] == "under_review"
    upheld = call(wf, "POST", f"{base}/uphold", "dinsos", {"reason": "pendapatan turun"}).json()
    assert upheld["state"] == "upheld"
    assert [s["action"] for s in upheld["history"]] == ["file", "review", "uphold"]
    with wf.session() as db:
        flags = [f for f in open_flags(db) if f.reference == number]
        assert [(f.kind, f.source, f.household_id) for f in flags] == [
            ("reverify", "appeal", wf.households["rx"])
        ]
        assert clear_flags(db, flag_ids=[f.id for f in flags], release_id="R-next") == 1
        assert not [f for f in open_flags(db) if f.reference == number]
    shown = wf.get(f"/api/v1/notices/{notice.id}", "op-a").json()
    assert shown["appeal_number"] == number and shown["appeal_state"] == "upheld"


def test_the_family_appeals_itself_and_sees_its_notices(wf: World) -> None:
    notice = _notices(wf)[("fam-ha", "PBI")]
    with public_client(wf) as client:
        status = client.post(
            "/api/v1/public/status", json={"nik": wf.niks["budi-ha"], "name": "Budi Santoso"}
        ).json()
        [shown] = [n for n in status["notices"] if n["id"] == notice.id]
        assert shown["program"] == "PBI" and shown["appeal_open"] is True
        body = {"nik": wf.niks["budi-ha"], "name": "Budi Santoso", "reason": "anak sakit kronis"}
        stranger = {**body, "nik": wf.niks["siti-hb"], "name": "Siti Rahmah"}
        before = counts(wf)
        refused = client.post(f"/api/v1/public/notices/{notice.id}/appeal", json=stranger)
        assert_error(refused, 404, "notice_not_found")
        assert counts(wf) == before
        filed = client.post(f"/api/v1/public/notices/{notice.id}/appeal", json=body)
        assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    appeal = wf.get(f"/api/v1/appeals/{number}", "dinsos").json()
    assert appeal["channel"] == "citizen" and appeal["program"] == "PBI"
    call(wf, "POST", f"/api/v1/appeals/{number}/review", "dinsos", {"note": "cek data BPJS"})
    dismissed = call(wf, "POST", f"/api/v1/appeals/{number}/dismiss", "dinsos", {"reason": "kuota"})
    assert dismissed.json()["state"] == "dismissed"
    assert wf.get("/api/v1/appeals", "dinsos", params={"state": "dismissed"}).json()["total"] == 1


def test_an_appeal_after_the_window_is_refused(wf: World) -> None:
    with wf.session() as db:
        late = Notice(
            release_id="R-old",
            previous_release_id="R-older",
            family_id="fam-ha",
            household_id=wf.households["ha"],
            village_code=VILLAGE_A,
            program="PKH",
            reason_code="desil_up",
            reason="desil naik dari 4 ke 6",
            appeal_until=date.today() - timedelta(days=1),
            created_at=datetime(2026, 1, 1),
        )
        db.add(late)
        db.flush()
        notice_id = late.id
    before = counts(wf)
    refused = call(wf, "POST", f"/api/v1/notices/{notice_id}/appeal", "op-a", {"reason": "telat"})
    error = assert_error(refused, 409, "appeal_window_closed")
    assert str(date.today() - timedelta(days=1)) in error["message"]
    assert_error(
        call(wf, "POST", f"/api/v1/notices/{notice_id}/appeal", "dinsos", {"reason": "telat"}),
        403,
        "role_not_allowed",
    )
    assert counts(wf) == before


def test_the_next_release_takes_reasons_from_its_decisions(wf: World, tmp_path: Path) -> None:
    # Runs last: it makes a third release current.
    with wf.session() as db:
        add_release(
            db, wf, "R2027-02-next", {"ha": (3, ["BPNT"])}, data_cut=date(2027, 1, 20),
            previous=CURRENT,
        )  # fmt: skip
    decisions = pa.table(
        {
            "program": ["PKH", "BPNT"],
            "family_id": ["fam-ha", "fam-ha"],
            "eligible": [False, True],
            "failed": [["desil_max"], []],
        }
    )
    pq.write_table(decisions, tmp_path / "eligibility.parquet")
    with wf.session() as db:
        created = create_notices_for_release(
            db=db, release_id="R2027-02-next", appeal_days=10, folder=tmp_path
        )
    assert created == 3  # ha loses PKH; hb, not in this release, loses BPNT and PKH
    with wf.session() as db:
        rows = db.scalars(select(Notice).where(Notice.release_id == "R2027-02-next")).all()
        found = {(n.family_id, n.program): (n.reason_code, n.reason) for n in rows}
        assert {n.appeal_until for n in rows} == {date.today() + timedelta(days=10)}
    assert found == {
        ("fam-ha", "PKH"): (
            "rule:desil_max",
            "desil naik dari 2 ke 3; tidak lagi memenuhi syarat: desil_max",
        ),
        ("fam-hb", "BPNT"): reason_for(1, None, None),
        ("fam-hb", "PKH"): reason_for(1, None, None),
    }
