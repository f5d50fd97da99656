"""The acceptance flow over HTTP: an operator proposes a new family, a facilitator verifies it,
the district approves it and it appears in the registry with provenance field_verification; a
resident objects to a recipient of the same village, the objection is verified and upheld and
the household is flagged; a resident of another village is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from tepat.access.models import AuditEntry
from tepat.registry.models import Provenance
from tepat.workflow.models import HouseholdFlag

from .conftest import SIXTEEN_DIGITS, VILLAGE_A, VILLAGE_B, World, assert_error
from .test_workflow_builders import (
    CURRENT,
    NUMBER,
    RECIPIENT,
    act,
    add_account,
    add_household,
    add_release,
    call,
    counts,
    ground_check,
    new_family,
    photo,
    propose,
    public_client,
    wipe_workflow,
)


@pytest.fixture(scope="module")
def wf(world: World) -> Iterator[World]:
    """The world plus a second facilitator, a recipient household in village A and a release."""
    with world.session() as db:
        wipe_workflow(db)
        add_account(db, world, "pendamping-2", "facilitator", VILLAGE_A)
        add_household(db, world, "rx", VILLAGE_A, RECIPIENT)
        families = {"ha": (2, ["BPNT", "PKH"]), "rx": (3, ["PKH"]), "hb": (1, ["BPNT"])}
        add_release(db, world, CURRENT, families, data_cut=date(2026, 10, 20))
    yield world
    with world.session() as db:
        wipe_workflow(db)


def test_a_proposed_family_is_verified_approved_and_enters_the_registry(wf: World) -> None:
    proposal = propose(wf)
    number = proposal["number"]
    assert re.match(NUMBER, number) and proposal["state"] == "submitted"
    assert proposal["channel"] == "operator" and proposal["minutes_number"]
    assert proposal["allowed_actions"] == ["withdraw"] and proposal["age_days"] == 0

    assigned = act(wf, number, "assign", "dinsos", {"facilitator": "pendamping"})
    assert assigned["state"] == "assigned" and assigned["assignee"] == "pendamping"
    tasks = wf.get("/api/v1/proposals/tasks", "pendamping").json()
    assert number in [t["number"] for t in tasks["items"]]
    assert wf.get("/api/v1/proposals/tasks", "pendamping-2").json()["total"] == 0

    checked = act(wf, number, "verify", "pendamping", ground_check())
    assert checked["state"] == "verified" and checked["verdict"] == "confirmed"
    evidence = checked["verification"]
    assert evidence["photos"][0]["sha256"] == "00" * 32 and evidence["visit"]["latitude"] == 5.55
    assert evidence["observed"]["floor_material"] == 8 and evidence["differences"] == {}
    queue = wf.get("/api/v1/proposals/queue", "dinsos").json()
    [queued] = [p for p in queue["items"] if p["number"] == number]
    assert queued["verification"]["verdict"] == "confirmed"
    assert queued["allowed_actions"] == ["approve", "reject"]

    approved = act(wf, number, "approve", "dinsos", {"reason": "sesuai hasil ground check"})
    assert approved["state"] == "applied" and approved["event_id"] == number
    household_id = approved["result_household_id"]
    steps = [(s["action"], s["to_state"], s["actor"]) for s in approved["history"]]
    assert steps == [
        ("submit", "submitted", "op-a"),
        ("assign", "assigned", "dinsos"),
        ("verify", "verified", "pendamping"),
        ("approve", "approved", "dinsos"),
        ("apply", "applied", "system"),
    ]
    assert all(s["at"] for s in approved["history"])

    detail = wf.get(f"/api/v1/households/{household_id}", "op-a").json()
    assert {m["full_name"] for m in detail["members"]} == {"Joko Susilo", "Sri Wahyuni"}
    assert {s["source"] for s in detail["provenance"]} == {"field_verification"}
    assert detail["attributes"]["floor_material"] == 8
    with wf.session() as db:
        sources = db.scalars(
            select(Provenance.source).where(
                Provenance.entity == "household", Provenance.entity_id == household_id
            )
        ).all()
        flags = db.scalars(
            select(HouseholdFlag).where(HouseholdFlag.household_id == household_id)
        ).all()
        actions = set(db.scalars(select(AuditEntry.action)).all())
    assert set(sources) == {"field_verification"}
    assert [(f.kind, f.source, f.reference) for f in flags] == [("rerank", "proposal", number)]
    assert {
        "workflow.proposal.create",
        "workflow.proposal.assign",
        "workflow.proposal.verify",
        "workflow.proposal.approve",
        "registry.event.new_household",
    } <= actions

    read = wf.get(f"/api/v1/proposals/{number}", "op-a").json()
    assert read["state"] == "applied" and len(read["history"]) == 5
    assert read["allowed_actions"] == []


def test_the_system_assigns_the_least_busy_facilitator_of_the_village(wf: World) -> None:
    busy = propose(wf)["number"]
    act(wf, busy, "assign", "dinsos", {"facilitator": "pendamping"})
    number = propose(wf)["number"]
    assigned = act(wf, number, "assign", "dinsos", {})
    assert assigned["assignee"] == "pendamping-2"
    assert "assigned by the system" in assigned["history"][-1]["note"]
    error = assert_error(
        call(wf, "POST", f"/api/v1/proposals/{number}/assign", "dinsos", {"facilitator": "op-a"}),
        422,
        "not_a_facilitator_of_village",
    )
    assert error["field"] == "facilitator"


def test_an_update_and_a_removal_are_applied_as_registry_events(wf: World) -> None:
    household = wf.households["ha"]
    budi = wf.people["budi-ha"]
    update = propose(
        wf,
        {
            "kind": "update",
            "household_id": household,
            "household_changes": {"has_fridge": False, "floor_material": 8},
            "person_changes": [{"person_id": budi, "changes": {"worked_last_week": False}}],
            "reason": "kehilangan pekerjaan, kulkas dijual",
            "minutes": {"number": "12/MUSDES/2026", "date": "2026-11-01"},
        },
    )["number"]
    act(wf, update, "assign", "dinsos", {"facilitator": "pendamping"})
    body = ground_check(members=[{"person_id": budi, "answers": {"r404": 1, "r416a": False}}])
    checked = act(wf, update, "verify", "pendamping", body)
    assert checked["verification"]["differences"] == {}
    act(wf, update, "approve", "dinsos", {"reason": "terverifikasi"})
    detail = wf.get(f"/api/v1/households/{household}", "op-a").json()
    assert detail["attributes"]["has_fridge"] is False
    assert "field_verification" in {s["source"] for s in detail["provenance"]}

    removal = propose(
        wf,
        {
            "kind": "removal",
            "household_id": household,
            "removal_reason": "moved",
            "person_id": budi,
            "reason": "pindah ke Medan sejak Agustus",
            "minutes": {"number": "13/MUSDES/2026", "date": "2026-11-01"},
        },
    )["number"]
    act(wf, removal, "assign", "dinsos", {"facilitator": "pendamping"})
    act(wf, removal, "verify", "pendamping", ground_check(members=[]))
    done = act(wf, removal, "approve", "dinsos", {"reason": "terverifikasi"})
    assert done["state"] == "applied"
    members = wf.get(f"/api/v1/households/{household}", "op-a").json()["members"]
    assert budi not in [m["person_id"] for m in members]


def test_a_not_eligible_removal_only_flags_and_a_village_without_facilitator_waits(
    wf: World,
) -> None:
    number = propose(
        wf,
        {
            "kind": "removal",
            "household_id": wf.households["ha"],
            "removal_reason": "not_eligible",
            "reason": "suami diangkat menjadi ASN",
            "minutes": {"number": "14/MUSDES/2026", "date": "2026-11-02"},
        },
    )["number"]
    act(wf, number, "assign", "dinsos", {"facilitator": "pendamping"})
    act(wf, number, "verify", "pendamping", ground_check(members=[]))
    done = act(wf, number, "approve", "dinsos", {"reason": "terbukti ASN"})
    assert done["state"] == "applied" and done["event_id"] is None
    assert done["history"][-1]["note"] == "flagged only"
    with wf.session() as db:
        kinds = db.scalars(
            select(HouseholdFlag.kind).where(HouseholdFlag.reference == number)
        ).all()
    assert kinds == ["exclude"]
    assert wf.get(f"/api/v1/households/{wf.households['ha']}", "op-a").json()["status"] == "active"

    elsewhere = propose(wf, new_family(VILLAGE_B), as_="op-b")["number"]
    error = assert_error(
        call(wf, "POST", f"/api/v1/proposals/{elsewhere}/assign", "dinsos", {}),
        409,
        "no_facilitator",
    )
    assert VILLAGE_B in error["message"]


def _objection(wf: World, client: Any, objector: str, **target: Any) -> Any:
    body = {
        "nik": wf.niks[objector],
        "name": objector.split("-")[0].title() + " " + _surname(objector),
        "reason_code": "well_off",
        "reason_text": "memiliki mobil dan rumah permanen",
        "photos": [photo(1)],
        "latitude": 5.551,
        "longitude": 95.322,
        **target,
    }
    return client.post("/api/v1/public/objections", json=body)


def _surname(key: str) -> str:
    return {"siti-ha": "Aminah", "siti-hb": "Rahmah"}[key]


def test_a_resident_objects_to_a_recipient_of_the_same_village_and_it_is_upheld(
    wf: World,
) -> None:
    recipient = wf.households["rx"]
    with public_client(wf) as client:
        listed = client.get(
            "/api/v1/public/recipients",
            params={"nik": wf.niks["siti-ha"], "name": "SITI AMINAH"},
        ).json()
        assert {"household_id": recipient, "name": "RA*** HI***", "programs": ["PKH"]} in (
            listed["items"]
        )
        filed = _objection(wf, client, "siti-ha", household_id=recipient)
        assert filed.status_code == 201, filed.text
        number = filed.json()["number"]
        assert filed.json()["state"] == "filed" and number.startswith("SGH-11.12.01.2006-")
        assert (date.fromisoformat(filed.json()["deadline"]) - date.today()).days == 14
        assert not SIXTEEN_DIGITS.search(filed.text + str(listed))

        base = f"/api/v1/objections/{number}"
        assigned = call(wf, "POST", f"{base}/assign", "dinsos", {"facilitator": "pendamping"})
        assert assigned.json()["state"] == "assigned", assigned.text
        seen_by_village = wf.get(base, "op-a").json()
        assert seen_by_village["objector"] is None
        assert wf.get(base, "dinsos").json()["objector"]["name"] == "Siti Aminah"
        checked = call(wf, "POST", f"{base}/verify", "pendamping", ground_check(members=[]))
        assert checked.json()["state"] == "verified", checked.text
        upheld = call(wf, "POST", f"{base}/uphold", "dinsos", {"reason": "terbukti mampu"})
        assert upheld.json()["state"] == "upheld", upheld.text
        history = [s["action"] for s in upheld.json()["history"]]
        assert history == ["file", "assign", "verify", "uphold"]

        with wf.session() as db:
            flags = db.scalars(
                select(HouseholdFlag).where(HouseholdFlag.household_id == recipient)
            ).all()
        assert [(f.kind, f.source, f.reference) for f in flags] == [
            ("exclude", "objection", number)
        ]
        status = client.post(
            f"/api/v1/public/objections/{number}/status",
            json={"nik": wf.niks["siti-ha"], "name": "Siti Aminah"},
        ).json()
        assert status["state"] == "upheld" and status["outcome"] == "upheld"
        stranger = client.post(
            f"/api/v1/public/objections/{number}/status",
            json={"nik": wf.niks["siti-hb"], "name": "Siti Rahmah"},
        )
        assert_error(stranger, 404, "objection_not_found")


def test_a_resident_of_another_village_is_refused(wf: World) -> None:
    before = counts(wf)
    with public_client(wf) as client:
        by_id = _objection(wf, client, "siti-hb", household_id=wf.households["rx"])
        by_kk = _objection(wf, client, "siti-hb", kk_number=wf.kks["rx"])
    for response in (by_id, by_kk):
        error = assert_error(response, 403, "not_a_recipient_of_your_village")
        assert VILLAGE_B in error["message"] and "own village" in error["message"]
    assert counts(wf) == before


def test_other_regions_and_roles_do_not_see_the_workflow(wf: World) -> None:
    number = propose(wf)["number"]
    missing = number[:-6] + "999999"
    for who in ("op-b", "dinsos-c", "pendamping"):
        for url in (number, missing):
            error = assert_error(wf.get(f"/api/v1/proposals/{url}", who), 404)
            assert error["message"] == f"proposal {url} not found"
    assert_error(wf.get("/api/v1/proposals", "program"), 403, "role_not_allowed")
    assert number not in [p["number"] for p in wf.get("/api/v1/proposals", "op-b").json()["items"]]
    assert number in [p["number"] for p in wf.get("/api/v1/proposals", "provinsi").json()["items"]]
    summary = wf.get("/api/v1/workflow/summary", "dinsos").json()
    assert summary["proposals"]["submitted"]["total"] >= 1
    assert summary["proposals"]["submitted"]["by_age"]["0-7"] >= 1
    assert (
        wf.get("/api/v1/workflow/summary", "dinsos-c").json()["proposals"]["submitted"]["total"]
        == 0
    )
    form = wf.get("/api/v1/workflow/ground-check-form", "pendamping").json()
    assert len(form) == 39
