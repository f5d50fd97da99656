"""The DCI Social Registry API over HTTP: idtype-value (NIK, KK), predicate and expression
queries, pagination, per-item rejection codes, envelope errors, region scope, masking, audit.

The message builders at the top are shared with ``test_dci_conformance.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tepat.access.service import create_user, issue_token

from .conftest import PASSWORD, VILLAGE_A, World

URL = "/api/v1/dci/registry/sync/search"
SPEC_URL = "/registry/sync/search"
TS = "2026-11-28T09:30:00+07:00"


def item(query_type: str, query: Any, ref: str = "r1", **criteria: Any) -> dict[str, Any]:
    """One search_request item."""
    return {
        "reference_id": ref,
        "timestamp": TS,
        "search_criteria": {"version": "1.0.0", "query_type": query_type, "query": query}
        | criteria,
    }


def by_id(id_type: str, value: Any, ref: str = "r1", **criteria: Any) -> dict[str, Any]:
    """An idtype-value item."""
    return item("idtype-value", {"type": id_type, "value": value}, ref, **criteria)


def expr(name: str, op: str, value: Any) -> dict[str, Any]:
    """A predicate expression."""
    return {"attribute_name": name, "operator": op, "attribute_value": value}


def where(*expressions: dict[str, Any], ref: str = "r1", **criteria: Any) -> dict[str, Any]:
    """A predicate item: each expression its own list entry (ANDed)."""
    query = [{"seq_num": i + 1, "expression1": e} for i, e in enumerate(expressions)]
    return item("predicate", query, ref, **criteria)


def envelope(*items: dict[str, Any], **header: Any) -> dict[str, Any]:
    """A whole message around ``items``."""
    return {
        "signature": "",
        "header": {
            "version": "1.0.0",
            "message_id": "m-1",
            "message_ts": TS,
            "action": "search",
            "sender_id": "pkh.example.go.id",
            "receiver_id": "tepat",
            "total_count": len(items),
            "is_msg_encrypted": False,
        }
        | header,
        "message": {"transaction_id": "t-1", "search_request": list(items)},
    }


def post(world: World, as_: str | None, body: Any, **headers: str) -> Any:
    """POST a message (a dict, or raw bytes) as an account."""
    all_headers = {**world.auth(as_), **headers}
    if isinstance(body, bytes):
        all_headers["content-type"] = "application/json"
        return world.client.post(URL, content=body, headers=all_headers)
    return world.client.post(URL, json=body, headers=all_headers)


def answers(response: Any) -> list[dict[str, Any]]:
    """The search_response items of an answer."""
    return list(response.json()["message"]["search_response"])


def one(world: World, as_: str, search: dict[str, Any], **headers: str) -> dict[str, Any]:
    """The single answer to a one-item message that must succeed."""
    response = post(world, as_, envelope(search), **headers)
    assert response.status_code == 200, response.text
    [answer] = answers(response)
    assert answer["status"] == "succ", answer
    return answer


def records(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The reg_records of an answer."""
    return list(answer["data"]["reg_records"])


def nik_of(record: dict[str, Any]) -> str | None:
    """The NIK of a Member record."""
    ids = record.get("member_identifier", [])
    return ids[0]["identifier_value"] if ids else None


def person_ids(answer: dict[str, Any]) -> list[int]:
    """The Tepat person ids of a Member answer, in order."""
    return [int(r["@id"].rsplit(":", 1)[1]) for r in records(answer)]


@pytest.fixture(scope="module")
def dci(world: World) -> World:
    """The world plus two calling systems: ``sys-a`` (district 11.12.01) and ``sys-id``."""
    with world.session() as db:
        for username, regions in (("sys-a", ("11.12.01",)), ("sys-id", ("ID",))):
            user = create_user(
                db=db, username=username, password=PASSWORD, role="dci_client", regions=regions
            )
            world.tokens[username] = issue_token(db=db, user=user, ttl=timedelta(hours=1)).token
    return world


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    """A response body without its clock and request id."""
    body["header"].pop("message_ts")
    body["message"].pop("correlation_id")
    for answer in body["message"]["search_response"]:
        answer.pop("timestamp")
    return body


# -- idtype-value ------------------------------------------------------------------------------


def test_a_nik_finds_the_person_with_their_family(dci: World) -> None:
    response = post(dci, "sys-a", envelope(by_id("NIK", dci.niks["siti-ha"])))
    assert response.status_code == 200, response.text
    body = response.json()
    header = body["header"]
    assert (header["action"], header["status"], header["message_id"]) == (
        "on-search",
        "succ",
        "m-1",
    )
    assert (header["receiver_id"], header["total_count"], header["completed_count"]) == (
        "pkh.example.go.id",
        1,
        1,
    )
    assert body["message"]["transaction_id"] == "t-1"
    assert body["message"]["correlation_id"] == response.headers["x-request-id"]
    [answer] = body["message"]["search_response"]
    assert (answer["reference_id"], answer["status"]) == ("r1", "succ")
    assert answer["pagination"] == {"page_size": 50, "page_number": 1, "total_count": 1}
    data = answer["data"]
    assert (data["reg_type"], data["reg_record_type"]) == (
        "ns:org:RegistryType:Social",
        "spdci:Member",
    )
    [record] = data["reg_records"]
    assert nik_of(record) == dci.niks["siti-ha"]  # a calling system sees full numbers
    person = record["demographic_info"]
    assert person["name"]["given_name"] == "Siti Aminah"
    assert (person["sex"], person["birth_date"]) == ("female", "1990-05-05")
    assert person["address"]["region_code"] == VILLAGE_A
    assert record["relationship_head"] == "head"
    extra = {a["name"]: a["value"] for a in record["additional_attributes"]}
    assert extra["kk_number"] == dci.kks["ha"] and extra["membership"] == "current"


@pytest.mark.parametrize("id_type", ["NIK", "UIN", "NationalID", "nik"])
def test_nik_aliases_and_separators(dci: World, id_type: str) -> None:
    nik = dci.niks["budi-ha"]
    answer = one(dci, "admin", by_id(id_type, f"{nik[:6]}.{nik[6:12]}.{nik[12:]}"))
    assert person_ids(answer) == [dci.people["budi-ha"]]


def test_another_regions_nik_looks_exactly_like_an_unknown_one(dci: World) -> None:
    unknown = "1112014505909999"
    bodies = [
        _stable(post(dci, "sys-a", envelope(by_id("NIK", nik))).json())
        for nik in (dci.niks["siti-hb"], dci.niks["siti-hc"], dci.niks["orphan"], unknown)
    ]
    assert all(b == bodies[0] for b in bodies), bodies
    [answer] = bodies[0]["message"]["search_response"]
    assert answer["status"] == "succ" and answer["data"]["reg_records"] == []
    assert answer["pagination"]["total_count"] == 0
    # national callers see the person without a household; regional ones never do
    assert person_ids(one(dci, "sys-id", by_id("NIK", dci.niks["orphan"]))) == [
        dci.people["orphan"]
    ]
    assert records(one(dci, "provinsi", by_id("NIK", dci.niks["orphan"]))) == []


def test_a_kk_finds_the_family_with_its_members(dci: World) -> None:
    answer = one(dci, "dinsos", by_id("KK", dci.kks["ha"]))
    assert answer["data"]["reg_record_type"] == "spdci:Group"
    [group] = records(answer)
    assert group["group_identifier"][0] == {
        "@type": "Identifier",
        "identifier_type": "KK",
        "identifier_value": dci.kks["ha"],
    }
    assert (group["group_type"], group["group_size"]) == ("family", 2)
    assert [nik_of(m) for m in group["member_list"]] == [dci.niks["siti-ha"], dci.niks["budi-ha"]]
    assert nik_of(group["group_head_info"]) == dci.niks["siti-ha"]
    assert group["place"]["address"]["region_code"] == VILLAGE_A
    assert records(one(dci, "dinsos-c", by_id("KK", dci.kks["ha"]))) == []


def test_response_entity_turns_a_kk_into_members_and_a_nik_into_its_family(dci: World) -> None:
    members = one(dci, "admin", by_id("KK", dci.kks["ha"], response_entity="Member"))
    assert sorted(person_ids(members)) == sorted([dci.people["siti-ha"], dci.people["budi-ha"]])
    family = one(dci, "admin", by_id("NIK", dci.niks["budi-ha"], reg_record_type="spdci:Group"))
    assert [g["@id"] for g in records(family)] == [f"urn:tepat:household:{dci.households['ha']}"]


# -- predicate and expression ------------------------------------------------------------------


def test_a_predicate_pages_through_every_match_once(dci: World) -> None:
    everyone = {dci.people[k] for k in ("siti-ha", "budi-ha", "ahmad-ha2", "siti-hb")}
    pages = []
    for page in (1, 2, 3):
        search = where(
            expr("region_code", "eq", "11.12"),
            sort=[{"attribute_name": "name", "sort_order": "asc"}],
            pagination={"page_size": 3, "page_number": page},
        )
        answer = one(dci, "dinsos", search)
        assert answer["pagination"] == {"page_size": 3, "page_number": page, "total_count": 4}
        pages.append(person_ids(answer))
    assert [len(p) for p in pages] == [3, 1, 0]
    assert set(pages[0]) | set(pages[1]) == everyone
    whole = one(
        dci, "dinsos", where(expr("region_code", "eq", "11.12"), sort=[{"attribute_name": "name"}])
    )
    names = [r["demographic_info"]["name"]["given_name"] for r in records(whole)]
    assert names == sorted(names) and len(names) == 4
    assert person_ids(whole)[:3] == pages[0]


@pytest.mark.parametrize(
    ("username", "search", "expected"),
    [
        ("sys-a", where(expr("region_code", "eq", "11.12")), {"siti-ha", "budi-ha", "ahmad-ha2"}),
        ("dinsos", where(expr("sex", "eq", "female")), {"siti-ha", "siti-hb"}),
        ("admin", where(expr("sex", "eq", "female")), {"siti-ha", "siti-hb", "siti-hc", "orphan"}),
        (
            "admin",
            where(expr("region_code", "in", ["11.12.02", "32.73"]), expr("sex", "in", ["F"])),
            {"siti-hb", "siti-hc"},
        ),
        (
            "admin",
            item(
                "predicate",
                [
                    {
                        "seq_num": 1,
                        "expression1": expr("region_code", "eq", VILLAGE_A),
                        "condition": "or",
                        "expression2": expr("region_code", "eq", "32.73.01"),
                    },
                    {"seq_num": 2, "expression1": expr("sex", "eq", "male"), "condition": "not"},
                ],
            ),
            {"siti-ha", "siti-hc"},
        ),
        (
            "admin",
            where(expr("birth_date", "ge", "1990-01-01"), expr("birth_date", "le", "1990-12-31")),
            {"siti-ha", "budi-ha", "ahmad-ha2", "siti-hb", "siti-hc", "orphan"},
        ),
        ("admin", where(expr("birth_date", "gt", "1990-05-05")), set()),
        (
            "dinsos",
            item(
                "expression",
                {
                    "type": "ns:org:QueryType:NoSql",
                    "value": {
                        "expression": {
                            "collection": "Member",
                            "query": {
                                "$or": [{"sex": "male"}, {"region_code": {"$eq": "11.12.02"}}]
                            },
                        }
                    },
                },
            ),
            {"budi-ha", "ahmad-ha2", "siti-hb"},
        ),
    ],
    ids=[
        "dci-client-scope",
        "sex",
        "national-sees-orphan",
        "in",
        "or-not",
        "dates",
        "none",
        "expr",
    ],
)
def test_member_predicates(
    dci: World, username: str, search: dict[str, Any], expected: set[str]
) -> None:
    answer = one(dci, username, search)
    assert set(person_ids(answer)) == {dci.people[k] for k in expected}
    assert answer["pagination"]["total_count"] == len(expected)


def test_group_predicates_and_expressions(dci: World) -> None:
    def families(search: dict[str, Any], as_: str = "admin") -> list[int]:
        return [int(g["@id"].rsplit(":", 1)[1]) for g in records(one(dci, as_, search))]

    h = dci.households
    assert families(where(expr("group_size", "ge", 2), response_entity="Group")) == [h["ha"]]
    sized = where(
        expr("region_code", "eq", "11"),
        response_entity="Group",
        sort=[{"attribute_name": "region_code", "sort_order": "desc"}],
    )
    assert families(sized) == [h["hb"], h["ha2"], h["ha"]]
    assert families(sized, "sys-a") == [h["ha2"], h["ha"]]
    query = {"$and": [{"region_code": {"$in": ["11.12", "32.73"]}}, {"status": "active"}]}
    expression = {"type": "NoSql", "value": {"expression": {"collection": "Group", "query": query}}}
    assert sorted(families(item("expression", expression))) == sorted(h.values())
