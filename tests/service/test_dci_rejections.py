"""DCI sync search refusals and side effects: per-item rejection codes, malformed envelopes,
the spec's own path, masking for roles that may not see identity numbers, the audit log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from tepat.access.models import AuditEntry

from .conftest import SIXTEEN_DIGITS, World, assert_error
from .test_dci import (
    SPEC_URL,
    _stable,
    answers,
    by_id,
    dci,
    envelope,
    expr,
    item,
    nik_of,
    post,
    records,
    where,
)

__all__ = ["dci"]  # the module's fixture, shared


def _no_full_number(response: Any) -> bool:
    """No NIK or KK in the answer (the correlation id, 32 hex digits, is left out: it may hold a
    run of 16 decimal digits by chance)."""
    body = response.json()
    body.get("message", {}).pop("correlation_id", None)
    return not SIXTEEN_DIGITS.search(json.dumps(body))


# -- rejections ---------------------------------------------------------------------------------


def test_one_bad_search_request_is_rejected_and_the_others_answered(dci: World) -> None:
    body = envelope(
        by_id("NIK", dci.niks["siti-ha"], ref="a"),
        by_id("PASSPORT", "X1234567", ref="b"),
        where(expr("sex", "eq", "male"), ref="c"),
    )
    response = post(dci, "dinsos", body)
    assert response.status_code == 200, response.text
    assert response.json()["header"]["status"] == "succ"
    first, second, third = answers(response)
    assert [a["reference_id"] for a in (first, second, third)] == ["a", "b", "c"]
    assert [a["status"] for a in (first, second, third)] == ["succ", "rjct", "succ"]
    assert second["status_reason_code"] == "rjct.search_criteria.invalid"
    assert "PASSPORT" in second["status_reason_message"] and "data" not in second
    assert len(records(third)) == 2


_BAD_ITEMS = [
    (by_id("NIK", "11120145059"), "rjct.search_criteria.invalid"),
    (by_id("NIK", "11120145059000AB"), "rjct.search_criteria.invalid"),
    (by_id("KK", None), "rjct.search_criteria.invalid"),
    (item("sql", "select 1"), "rjct.search_criteria.invalid"),
    (item("predicate", {"not": "a list"}), "rjct.search_criteria.invalid"),
    (
        item("expression", {"value": {"expression": {"query": {"$where": "1"}}}}),
        "rjct.filter.invalid",
    ),
    (where(expr("income", "lt", 5)), "rjct.filter.invalid"),
    (where(expr("sex", "gt", "male")), "rjct.filter.invalid"),
    (where(expr("birth_date", "eq", "05/05/1990")), "rjct.filter.invalid"),
    (where(expr("region_code", "eq", "99.99")), "rjct.filter.invalid"),
    (where(expr("sex", "eq", "male"), sort=[{"attribute_name": "nik"}]), "rjct.sort.invalid"),
    (where(expr("sex", "eq", "male"), pagination={"page_size": 0}), "rjct.pagination.invalid"),
    (where(expr("sex", "eq", "male"), pagination={"page_size": 501}), "rjct.pagination.invalid"),
    (
        where(expr("sex", "eq", "male"), pagination={"page_size": 5, "page_number": 10**30}),
        "rjct.pagination.invalid",
    ),
    (
        where(expr("sex", "eq", "male"), reg_type="ns:org:RegistryType:Civil"),
        "rjct.search_criteria.invalid",
    ),
    (where(expr("sex", "eq", "male"), ref=""), "rjct.reference_id.invalid"),
    (
        where(expr("sex", "eq", "male")) | {"timestamp": "2026-11-28T09:30:00"},
        "rjct.timestamp.invalid",
    ),
]


@pytest.mark.parametrize(("search", "code"), _BAD_ITEMS)
def test_a_message_whose_only_search_is_invalid_is_400_with_its_code(
    dci: World, search: dict[str, Any], code: str
) -> None:
    response = post(dci, "admin", envelope(search))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    assert (body["header"]["status"], body["header"]["action"]) == ("rjct", "on-search")
    [answer] = body["message"]["search_response"]
    assert (answer["status"], answer["status_reason_code"]) == ("rjct", code)
    assert _no_full_number(response)


def test_a_repeated_reference_id_is_rejected(dci: World) -> None:
    search = where(expr("sex", "eq", "male"), ref="same")
    statuses = [
        (a["status"], a.get("status_reason_code"))
        for a in answers(post(dci, "admin", envelope(search, search)))
    ]
    assert statuses == [("succ", None), ("rjct", "rjct.reference_id.duplicate")]
    missing = [where(expr("sex", "eq", "male")) | {"reference_id": None}] * 2
    codes = [a["status_reason_code"] for a in answers(post(dci, "admin", envelope(*missing)))]
    assert codes == ["rjct.reference_id.invalid"] * 2


_OK = where(expr("sex", "eq", "male"))


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "err.request.bad"),
        (b"[]", "err.request.bad"),
        ({"header": envelope(_OK)["header"]}, "err.request.bad"),
        ({"message": envelope(_OK)["message"]}, "err.request.bad"),
        (envelope(_OK, total_count="1"), "err.request.bad"),
        (
            envelope() | {"message": {"transaction_id": "t", "search_request": []}},
            "err.request.bad",
        ),
        (envelope(_OK) | {"signature": 5}, "err.signature.invalid"),
        (envelope(_OK, is_msg_encrypted=True), "err.encryption.invalid"),
        (envelope(_OK, version="2.0.0"), "rjct.version.invalid"),
        (envelope(_OK, action="on-search"), "rjct.action.invalid"),
        (envelope(_OK, message_ts="yesterday"), "rjct.message_ts.invalid"),
        (envelope(_OK, total_count=2), "rjct.total_count.invalid"),
        (envelope(*[_OK] * 51), "rjct.total_count.limit_exceeded"),
    ],
)
def test_a_malformed_envelope_is_400_with_the_specs_code(dci: World, body: Any, code: str) -> None:
    response = post(dci, "admin", body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["error"]["code"] == code
    header = answer["header"]
    assert (header["status"], header["action"]) == ("rjct", "on-search")
    assert header.get("status_reason_code") == (code if code.startswith("rjct.") else None)
    assert "message" not in answer


def test_the_specs_own_path_answers_too(dci: World) -> None:
    body = envelope(by_id("NIK", dci.niks["siti-ha"]))
    response = dci.client.post(SPEC_URL, json=body, headers=dci.auth("sys-a"))
    assert response.status_code == 200, response.text
    assert _stable(response.json()) == _stable(post(dci, "sys-a", body).json())
    assert_error(dci.client.post(SPEC_URL, json=body), 401)


# -- masking and audit --------------------------------------------------------------------------


def test_a_program_manager_gets_masked_numbers_and_may_not_search_by_them(dci: World) -> None:
    people = post(dci, "program", envelope(where(expr("region_code", "eq", "11"))))
    families = post(
        dci, "program", envelope(where(expr("group_size", "ge", 1), response_entity="Group"))
    )
    for response in (people, families):
        assert response.status_code == 200, response.text
        assert _no_full_number(response)
    nik = dci.niks["siti-ha"]
    masked = [nik_of(r) for r in records(answers(people)[0])]
    assert nik[:4] + "********" + nik[-4:] in masked
    refused = post(dci, "program", envelope(by_id("NIK", nik)))
    assert refused.status_code == 400
    assert answers(refused)[0]["status_reason_code"] == "rjct.search_criteria.invalid"
    assert "may not search by NIK" in refused.json()["error"]["message"]
    assert _no_full_number(refused)


def _entries(world: World, after: int) -> list[AuditEntry]:
    with world.session() as db:
        return list(
            db.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id))
        )


def _last_id(world: World) -> int:
    with world.session() as db:
        return db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


def test_every_search_request_is_audited_with_its_purpose(dci: World) -> None:
    before = _last_id(dci)
    consent = {"purpose": {"text": "verifikasi PKH 2026", "code": "pkh"}}
    body = envelope(
        by_id("NIK", dci.niks["siti-ha"], ref="a", consent=consent),
        where(expr("sex", "eq", "male"), ref="b"),
        by_id("NIK", "123", ref="c"),
    )
    assert post(dci, "sys-a", body, **{"X-Purpose": "rekonsiliasi BPNT"}).status_code == 200
    first, second, third = _entries(dci, before)
    assert [e.action for e in (first, second, third)] == ["interop.dci.search"] * 3
    assert [(e.actor, e.role) for e in (first, second)] == [("sys-a", "dci_client")] * 2
    assert (first.purpose, second.purpose, third.purpose) == (
        "verifikasi PKH 2026",
        "rekonsiliasi BPNT",
        "rekonsiliasi BPNT",
    )
    assert first.entity == "person" and third.entity is None
    assert first.detail["ids"] == [dci.people["siti-ha"]] and first.detail["status"] == "succ"
    assert (
        first.detail["transaction_id"] == "t-1" and first.detail["sender_id"] == "pkh.example.go.id"
    )
    assert set(second.detail["ids"]) == {dci.people["budi-ha"], dci.people["ahmad-ha2"]}
    assert (third.detail["status"], third.detail["reason_code"]) == (
        "rjct",
        "rjct.search_criteria.invalid",
    )
    for entry in (first, second, third):
        assert not SIXTEEN_DIGITS.search(f"{entry.detail} {entry.purpose}")
    post(dci, "sys-a", envelope(_OK))
    [last] = _entries(dci, third.id)
    assert last.purpose == "program targeting and verification (DCI data sharing)"


def test_a_malformed_envelope_leaves_no_audit_entry(dci: World) -> None:
    before = _last_id(dci)
    assert post(dci, "admin", envelope(_OK, action="subscribe")).status_code == 400
    assert _entries(dci, before) == []
