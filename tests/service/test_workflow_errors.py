"""Refusals of the workflow over HTTP: every disallowed transition is a 409 naming the allowed
actions, every bad input a 4xx naming the field, never a 500, and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tepat.workflow.models import Objection

from .conftest import VILLAGE_A, VILLAGE_B, World, assert_error
from .test_workflow_builders import (
    RECIPIENT,
    act,
    add_account,
    add_household,
    add_release,
    call,
    counts,
    ground_check,
    member,
    new_family,
    photo,
    propose,
    public_client,
    verified,
    wipe_workflow,
)


@pytest.fixture(scope="module")
def wf(world: World) -> Iterator[World]:
    """The world plus a second facilitator of village A and a recipient there."""
    with world.session() as db:
        wipe_workflow(db)
        add_account(db, world, "pendamping-2", "facilitator", VILLAGE_A)
        add_household(db, world, "rx", VILLAGE_A, RECIPIENT)
        add_release(db, world, "R-err", {"rx": (2, ["PKH"])}, data_cut=date(2026, 10, 20))
    yield world
    with world.session() as db:
        wipe_workflow(db)


def _refused(
    wf: World, number: str, action: str, as_: str, body: Any, status: int, code: str
) -> dict[str, Any]:
    state = wf.get(f"/api/v1/proposals/{number}", "dinsos").json()["state"]
    before = counts(wf)
    response = call(wf, "POST", f"/api/v1/proposals/{number}/{action}", as_, body)
    error = assert_error(response, status, code)
    assert counts(wf) == before, f"{action} by {as_} wrote something"
    assert wf.get(f"/api/v1/proposals/{number}", "dinsos").json()["state"] == state
    return error


def test_approve_before_verification_is_a_conflict_naming_the_allowed_actions(wf: World) -> None:
    number = propose(wf)["number"]
    error = _refused(
        wf, number, "approve", "dinsos", {"reason": "setuju"}, 409, "transition_not_allowed"
    )
    assert error["message"] == (
        f"proposal {number} is submitted: approve is not allowed now; allowed actions: "
        "assign (district_office), withdraw (village_operator)"
    )


def test_only_the_assigned_facilitator_verifies(wf: World) -> None:
    number = propose(wf)["number"]
    error = _refused(
        wf, number, "verify", "pendamping", ground_check(), 409, "transition_not_allowed"
    )
    assert "allowed actions: assign (district_office)" in error["message"]
    act(wf, number, "assign", "dinsos", {"facilitator": "pendamping"})
    error = _refused(
        wf, number, "verify", "pendamping-2", ground_check(), 409, "not_assigned_to_you"
    )
    assert "assigned to pendamping" in error["message"]
    assert "allowed actions: assign (district_office), verify (facilitator)" in error["message"]
    assert_error(wf.get(f"/api/v1/proposals/{number}", "pendamping-2"), 404)


def test_double_approval_and_late_withdrawal_are_conflicts(wf: World) -> None:
    number = verified(wf)
    error = _refused(wf, number, "withdraw", "op-a", {}, 409, "transition_not_allowed")
    assert "is verified" in error["message"]
    assert (
        "allowed actions: approve (district_office), reject (district_office)" in error["message"]
    )
    act(wf, number, "approve", "dinsos", {"reason": "sesuai"})
    error = _refused(
        wf, number, "approve", "dinsos", {"reason": "lagi"}, 409, "transition_not_allowed"
    )
    assert "is applied" in error["message"] and "allowed actions: none" in error["message"]


def test_a_proposal_not_confirmed_on_the_ground_can_only_be_rejected(wf: World) -> None:
    number = propose(wf)["number"]
    act(wf, number, "assign", "dinsos", {"facilitator": "pendamping"})
    act(wf, number, "verify", "pendamping", ground_check("not_found"))
    error = _refused(
        wf, number, "approve", "dinsos", {"reason": "setuju"}, 409, "verdict_not_confirmed"
    )
    assert "allowed actions: reject" in error["message"]
    rejected = act(wf, number, "reject", "dinsos", {"reason": "rumah tidak ditemukan"})
    assert rejected["state"] == "rejected" and rejected["decision_note"] == "rumah tidak ditemukan"


def test_withdrawal_before_verification_and_roles_that_may_not_act(wf: World) -> None:
    number = propose(wf)["number"]
    for who, action, body in (
        ("op-a", "approve", {"reason": "saya setuju"}),
        ("pendamping", "assign", {}),
        ("provinsi", "reject", {"reason": "tidak"}),
        ("dinsos", "withdraw", {}),
    ):
        _refused(wf, number, action, who, body, 403, "role_not_allowed")
    _refused(wf, number, "withdraw", "op-b", {}, 404, "proposal_not_found")
    _refused(wf, number, "assign", "dinsos-c", {}, 404, "proposal_not_found")
    withdrawn = act(wf, number, "withdraw", "op-a", {"note": "keluarga pindah"})
    assert withdrawn["state"] == "withdrawn"
    assert_error(
        call(wf, "POST", "/api/v1/proposals", "dinsos", new_family()), 403, "role_not_allowed"
    )


def _bad(**changes: Any) -> dict[str, Any]:
    body = new_family()
    for key, value in changes.items():
        if key.startswith("member0_"):
            body["members"][0][key[8:]] = value
        elif value is None:
            body.pop(key)
        else:
            body[key] = value
    return body


BAD_PROPOSALS = {
    "malformed NIK": (_bad(member0_nik="12345"), "members.0.nik"),
    "NIK of another birth date": (_bad(member0_birth_date="1979-02-15"), "members.0"),
    "malformed KK": (_bad(kk_number="11120115012000AB"), "kk_number"),
    "unknown region": (_bad(village="11.12.01.2999"), "village"),
    "not a village": (_bad(village="11.12.01"), "village"),
    "impossible date": (_bad(member0_birth_date="1979-02-30"), "members.0.birth_date"),
    "future birth": (_bad(member0_birth_date="2999-01-01"), "members.0.birth_date"),
    "missing minutes": (_bad(minutes=None), "minutes"),
    "minutes in the future": (
        _bad(
            minutes={"number": "1/MUSDES", "date": (date.today() + timedelta(days=2)).isoformat()}
        ),
        "minutes.date",
    ),
    "two heads": (_bad(member0_relationship_code=1, members=None), "members"),
    "unknown attribute": (_bad(attributes={"has_jet": True}), "attributes"),
    "code out of range": (_bad(attributes={"floor_material": "granite"}), "attributes"),
}


@pytest.mark.parametrize("case", BAD_PROPOSALS, ids=str)
def test_bad_proposals_are_refused_with_the_field_and_nothing_is_written(
    wf: World, case: str
) -> None:
    body, field = BAD_PROPOSALS[case]
    if case == "two heads":
        body = new_family()
        body["members"][1]["relationship_code"] = 1
    before = counts(wf)
    response = call(wf, "POST", "/api/v1/proposals", "op-a", body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    fields = [error["field"], *(f["field"] for f in error.get("fields") or [])]
    assert any(f and field in f for f in fields), error
    assert counts(wf) == before


def test_proposals_outside_the_village_or_of_registered_people_are_refused(wf: World) -> None:
    before = counts(wf)
    assert_error(
        call(wf, "POST", "/api/v1/proposals", "op-a", new_family(VILLAGE_B)), 403, "out_of_scope"
    )
    taken = new_family()
    taken["members"][0] = {**member("Siti Aminah", date(1990, 5, 5), "F", 1)}
    taken["members"][0]["nik"] = wf.niks["siti-ha"]
    assert_error(call(wf, "POST", "/api/v1/proposals", "op-a", taken), 409, "nik_in_use")
    kk_taken = new_family(kk_number=wf.kks["ha"])
    assert_error(call(wf, "POST", "/api/v1/proposals", "op-a", kk_taken), 409, "kk_in_use")
    update = {
        "kind": "update",
        "household_id": wf.households["hb"],
        "household_changes": {"has_car": True},
        "reason": "membeli mobil",
        "minutes": {"number": "1/MUSDES", "date": "2026-11-01"},
    }
    assert_error(call(wf, "POST", "/api/v1/proposals", "op-a", update), 404, "household_not_found")
    assert counts(wf) == before
    first = new_family()
    propose(wf, first)
    again = call(
        wf, "POST", "/api/v1/proposals", "op-a", {**new_family(), "kk_number": first["kk_number"]}
    )
    assert_error(again, 409, "duplicate_proposal")


_FAR = {"latitude": 40.0, "longitude": 95.3, "visited_on": "2026-11-01"}
_NINTH = [{"line": 9, "answers": {"r404": 1}}]
BAD_CHECKS = {
    "visit GPS out of range": ({"visit": _FAR}, "visit"),
    "photo GPS out of Indonesia": ({"photos": [{**photo(), "longitude": 10.0}]}, "photos.0"),
    "too many photos": ({"photos": [photo(i) for i in range(11)]}, "photos"),
    "no photo": ({"photos": []}, "photos"),
    "bad sha256": ({"photos": [{**photo(), "sha256": "xyz"}]}, "photos.0.sha256"),
    "unknown question": ({"answers": {"b1_found": True, "q99": 1}}, "answers"),
    "missing block I": ({"answers": {"r303": 3}}, "answers"),
    "code out of range": ({"answers": {**ground_check()["answers"], "r303": 12}}, "answers"),
    "unknown verdict": ({"verdict": "maybe"}, "verdict"),
    "member beyond the family": ({"members": _NINTH}, "members.0.line"),
    "member check unanswered": ({"members": [{"line": 1, "answers": {}}]}, "members.0.answers"),
}  # fmt: skip


def test_bad_ground_checks_are_refused_with_the_field_and_nothing_is_written(wf: World) -> None:
    number = propose(wf)["number"]
    act(wf, number, "assign", "dinsos", {"facilitator": "pendamping"})
    for case, (changes, field) in BAD_CHECKS.items():
        before = counts(wf)
        response = call(
            wf, "POST", f"/api/v1/proposals/{number}/verify", "pendamping", ground_check(**changes)
        )
        assert response.status_code == 422, (case, response.text)
        error = response.json()["error"]
        fields = [error["field"], *(f["field"] for f in error.get("fields") or [])]
        assert any(f and field in f for f in fields), (case, error)
        assert counts(wf) == before, case
    assert act(wf, number, "verify", "pendamping", ground_check())["state"] == "verified"


def test_bad_objections_are_refused_and_overdue_ones_are_listed(wf: World) -> None:
    good = {
        "nik": wf.niks["siti-ha"],
        "name": "Siti Aminah",
        "household_id": wf.households["rx"],
        "reason_code": "well_off",
        "reason_text": "punya mobil",
        "photos": [photo()],
        "latitude": 5.5,
        "longitude": 95.3,
    }
    cases = {
        "GPS out of range": ({"latitude": 52.0}, 422),
        "too many photos": ({"photos": [photo(i) for i in range(6)]}, 422),
        "unknown reason": ({"reason_code": "jealous"}, 422),
        "both targets": ({"kk_number": wf.kks["rx"]}, 422),
        "malformed NIK": ({"nik": "11120145059"}, 422),
        "wrong name": ({"name": "Siti Aminah Binti"}, 404),
        "own family": ({"household_id": wf.households["ha"]}, 403),
    }
    with public_client(wf) as client:
        for case, (changes, status) in cases.items():
            before = counts(wf)
            response = client.post("/api/v1/public/objections", json={**good, **changes})
            assert response.status_code == status, (case, response.text)
            assert counts(wf) == before, case
        filed = client.post("/api/v1/public/objections", json=good)
        assert filed.status_code == 201, filed.text
        again = client.post("/api/v1/public/objections", json=good)
        assert_error(again, 409, "already_objected")
    number = filed.json()["number"]
    with wf.session() as db:
        db.execute(update(Objection).values(due_on=date.today() - timedelta(days=3)))
    late = wf.get("/api/v1/objections", "dinsos", params={"overdue": "true"}).json()
    [item] = [o for o in late["items"] if o["number"] == number]
    assert item["overdue"] is True and item["days_overdue"] == 3 and item["state"] == "filed"
    error = assert_error(
        call(wf, "POST", f"/api/v1/objections/{number}/uphold", "dinsos", {"reason": "terbukti"}),
        409,
    )
    assert "allowed actions: assign (district_office)" in error["message"]
    assert_error(wf.get(f"/api/v1/objections/{number}", "op-b"), 404, "objection_not_found")
