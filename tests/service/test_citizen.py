"""The citizens' endpoints: status check (registered, not found, a wrong name answered exactly
like not found, rate limit), self-proposal, recipient list, and that no answer or log line
holds a full NIK."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from .conftest import SIXTEEN_DIGITS, VILLAGE_A, World, assert_error
from .test_workflow_builders import (
    CURRENT,
    RECIPIENT,
    add_household,
    add_release,
    counts,
    member,
    new_family,
    nik,
    public_client,
    wipe_workflow,
)


@pytest.fixture(scope="module")
def wf(world: World) -> Iterator[World]:
    """The world plus a recipient in village A and a current release."""
    with world.session() as db:
        wipe_workflow(db)
        add_household(db, world, "rx", VILLAGE_A, RECIPIENT)
        families = {"ha": (2, ["BPNT", "PKH"]), "rx": (6, []), "hb": (5, ["PBI"])}
        add_release(db, world, CURRENT, families, data_cut=date(2026, 10, 20))
    yield world
    with world.session() as db:
        wipe_workflow(db)


@pytest.fixture
def client(wf: World) -> Iterator[Any]:
    """A public client with a generous rate limit."""
    with public_client(wf) as c:
        yield c


def _status(client: Any, nik_: str, name: str) -> Any:
    return client.post("/api/v1/public/status", json={"nik": nik_, "name": name})


def test_a_registered_citizen_sees_the_band_programs_and_nothing_more(
    wf: World, client: Any
) -> None:
    response = _status(client, wf.niks["siti-ha"], "  siti   AMINAH ")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["registered"] is True and body["desil_band"] == "desil 1-4"
    assert body["programs"] == ["BPNT", "PKH"] and body["release_id"] == CURRENT
    assert body["village_code"] == VILLAGE_A
    assert not SIXTEEN_DIGITS.search(response.text)
    assert "percentile" not in response.text and "Budi" not in response.text
    member_ = _status(client, wf.niks["budi-ha"], "Budi Santoso").json()
    assert member_["programs"] == ["BPNT", "PKH"]
    other = _status(client, wf.niks["siti-hb"], "Siti Rahmah").json()
    assert other["desil_band"] == "desil 5" and other["programs"] == ["PBI"]
    unranked = _status(client, wf.niks["ahmad-ha2"], "Ahmad Yani").json()
    assert unranked["registered"] is True and unranked["desil_band"] is None


def test_a_wrong_name_is_answered_exactly_like_an_unknown_nik(wf: World, client: Any) -> None:
    wrong = _status(client, wf.niks["siti-ha"], "Siti Rahmah")
    unknown = _status(client, nik(VILLAGE_A, date(1991, 1, 1), "F"), "Siti Aminah")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.json() == unknown.json()
    assert wrong.json()["registered"] is False and wrong.json()["programs"] == []
    assert set(wrong.headers) - {"x-request-id"} == set(unknown.headers) - {"x-request-id"}
    error = assert_error(_status(client, "1112 0145", "Siti"), 422)
    assert "nik" in error["field"]


def test_the_status_check_is_rate_limited_per_client_address(wf: World) -> None:
    body = {"nik": wf.niks["siti-ha"], "name": "Siti Aminah"}
    with public_client(wf, limit=3, ip="10.9.9.9") as client:
        answers = [client.post("/api/v1/public/status", json=body) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        error = assert_error(answers[-1], 429, "rate_limited")
        assert "at most 3 a minute" in error["message"]
        assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
        recipients = client.get("/api/v1/public/recipients", params=body)
        assert recipients.status_code == 429
    with public_client(wf, limit=3, ip="10.9.9.10") as other:
        assert other.post("/api/v1/public/status", json=body).status_code == 200


def test_the_recipient_list_shows_masked_names_of_the_residents_own_village(
    wf: World, client: Any
) -> None:
    params = {"nik": wf.niks["budi-ha"], "name": "Budi Santoso"}
    response = client.get("/api/v1/public/recipients", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["village_code"] == VILLAGE_A and body["total"] == 1
    assert body["items"] == [
        {"household_id": wf.households["ha"], "name": "SI*** AM***", "programs": ["BPNT", "PKH"]}
    ]
    assert not SIXTEEN_DIGITS.search(response.text) and "Aminah" not in response.text
    wrong = client.get("/api/v1/public/recipients", params={**params, "name": "Budi"})
    assert_error(wrong, 404, "not_registered")


def test_a_citizen_proposes_a_new_family_and_follows_it_by_status(wf: World, client: Any) -> None:
    family = new_family()
    family.pop("minutes")
    head = family["members"][0]
    body = {"nik": head["nik"], "name": head["full_name"].upper(), "proposal": family}
    response = client.post("/api/v1/public/proposals", json=body)
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    assert response.json()["state"] == "submitted"
    proposal = wf.get(f"/api/v1/proposals/{number}", "op-a").json()
    assert proposal["channel"] == "citizen" and proposal["minutes_number"] is None
    assert proposal["proposer"] == "anonymous"

    status = _status(client, head["nik"], head["full_name"]).json()
    assert status["registered"] is False
    assert status["proposals"] == [
        {
            "number": number,
            "kind": "new_family",
            "state": "submitted",
            "submitted_on": str(date.today()),
        }
    ]
    wrong = _status(client, head["nik"], "Joko Santoso").json()
    unknown = _status(client, nik(VILLAGE_A, date(1992, 2, 2), "M"), "Joko Susilo").json()
    assert wrong == unknown and wrong["proposals"] == []

    before = counts(wf)
    not_a_member = {**body, "nik": wf.niks["siti-hb"], "name": "Siti Rahmah"}
    assert_error(client.post("/api/v1/public/proposals", json=not_a_member), 422)
    registered = new_family()
    registered.pop("minutes")
    registered["members"][0] = {
        **member("Siti Aminah", date(1990, 5, 5), "F", 1),
        "nik": wf.niks["siti-ha"],
    }
    mine = {"nik": wf.niks["siti-ha"], "name": "Siti Aminah", "proposal": registered}
    assert_error(client.post("/api/v1/public/proposals", json=mine), 409, "already_registered")
    assert counts(wf) == before


def test_a_registered_citizen_proposes_an_update_of_household_items(wf: World, client: Any) -> None:
    body = {
        "nik": wf.niks["siti-hb"],
        "name": "Siti Rahmah",
        "proposal": {
            "kind": "update",
            "household_changes": {"has_motorbike": False},
            "reason": "motor dijual untuk berobat",
        },
    }
    response = client.post("/api/v1/public/proposals", json=body)
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    assert number.startswith("USL-11.12.02.2001-")
    status = _status(client, wf.niks["siti-hb"], "Siti Rahmah").json()
    assert number in [p["number"] for p in status["proposals"]]
    members = {
        **body,
        "proposal": {
            **body["proposal"],
            "person_changes": [{"person_id": 1, "changes": {"pip": True}}],
        },
    }
    assert_error(client.post("/api/v1/public/proposals", json=members), 422)
    stranger = {**body, "name": "Siti Aminah"}
    assert_error(client.post("/api/v1/public/proposals", json=stranger), 404, "not_registered")


def test_no_answer_or_log_line_holds_a_full_nik(
    wf: World, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    niks = [wf.niks["siti-ha"], nik(VILLAGE_A, date(1993, 3, 3), "F")]
    texts = []
    for value in niks:
        texts.append(_status(client, value, "Siti Aminah").text)
        texts.append(
            client.get("/api/v1/public/recipients", params={"nik": value, "name": "x"}).text
        )
        texts.append(
            client.post(
                "/api/v1/public/objections/SGH-11.12.01.2006-2026-000001/status",
                json={"nik": value, "name": "Siti Aminah"},
            ).text
        )
    texts.append(client.post("/api/v1/public/status", json={"nik": niks[0][:15] + "x"}).text)
    logged = [r.getMessage() for r in caplog.records]
    for text in texts + logged:
        assert not any(n in text for n in niks), text
    audit = wf.get("/api/v1/audit", "auditor", params={"action": "workflow.public.status"}).json()
    # The chain hashes are hex and may hold sixteen digits in a row by chance (about 0.4% each).
    entries = [
        {k: v for k, v in e.items() if k not in ("hash", "prev_hash")} for e in audit["items"]
    ]
    assert audit["total"] >= 2 and not SIXTEEN_DIGITS.search(str(entries))
