"""Who may call what: every endpoint refuses anonymous callers, expired, revoked and unknown
tokens, and callers of another region; lists and counts never show another region's data.

Add each new endpoint to ``ENDPOINTS``: the refusal tests then cover it automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import String, column, select, text
from sqlalchemy.orm import Session

from tepat.access.principal import ANONYMOUS, Principal

from .conftest import VILLAGE_A, VILLAGE_A2, VILLAGE_B, World, assert_error
from .test_workflow_builders import ground_check, new_family


@dataclass(frozen=True)
class Endpoint:
    """An endpoint, a caller it serves, and a caller of another region with the refusal status.

    ``path`` may name world ids: ``{h:ha}`` is household ``ha``, ``{p:siti-ha}`` a person.
    """

    method: str
    path: str
    owner: str | None = None  # None: do not call it as an owner (e.g. logout)
    outsider: str | None = None
    outsider_status: int = 404
    json: dict[str, Any] | None = None
    owner_status: int = 200

    def url(self, world: World) -> str:
        """The path with world ids filled in."""
        out = self.path
        for key, value in world.households.items():
            out = out.replace("{h:" + key + "}", str(value))
        for key, value in world.people.items():
            out = out.replace("{p:" + key + "}", str(value))
        return out

    def call(self, world: World, as_: str | None) -> Any:
        """Call the endpoint as an account (None: anonymous)."""
        body = None
        if self.json is not None:  # "{h:ha}" values become the world's ids
            body = {k: _ref(world, v) for k, v in self.json.items()}
        return world.client.request(
            self.method, self.url(world), headers=world.auth(as_), json=body
        )


def _ref(world: World, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("{h:"):
        return world.households[value[3:-1]]
    return value


def _event(event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "economic_change",
        "effective_date": "2025-01-01",
        "household_id": "{h:ha}",
        "household_changes": {"has_bicycle": True},
        "reason": "beli sepeda",
    }


_DCI = "/api/v1/dci/registry/sync/search"
_DCI_SEARCH: dict[str, Any] = {
    "header": {
        "message_id": "m-1",
        "message_ts": "2026-11-28T09:30:00+07:00",
        "action": "search",
        "sender_id": "test",
        "total_count": 1,
    },
    "message": {
        "transaction_id": "t-1",
        "search_request": [
            {
                "reference_id": "r1",
                "timestamp": "2026-11-28T09:30:00+07:00",
                "search_criteria": {
                    "query_type": "predicate",
                    "query": [
                        {
                            "expression1": {
                                "attribute_name": "region_code",
                                "operator": "eq",
                                "attribute_value": "11.12",
                            }
                        }
                    ],
                },
            }
        ],
    },
}

ENDPOINTS = [
    Endpoint("GET", "/api/v1/auth/me", owner="op-a"),
    Endpoint("POST", "/api/v1/auth/logout"),
    Endpoint("GET", "/api/v1/households", owner="op-a"),
    Endpoint("GET", f"/api/v1/households?village={VILLAGE_A}", "op-a", "op-b", outsider_status=403),
    Endpoint("GET", "/api/v1/households/{h:ha}", "op-a", "op-b"),
    Endpoint("GET", "/api/v1/households/{h:ha}", "dinsos", "dinsos-c"),
    Endpoint("GET", "/api/v1/households/{h:hc}", "dinsos-c", "provinsi"),
    Endpoint("GET", "/api/v1/people/{p:siti-ha}", "pendamping", "op-b"),
    Endpoint("GET", "/api/v1/people/{p:orphan}", "admin", "dinsos"),
    Endpoint("GET", "/api/v1/audit", "auditor", "op-a", outsider_status=403),
    Endpoint("GET", "/api/v1/audit", "admin", "program", outsider_status=403),
    # DCI sync search: another region's records are simply not found (tests/service/test_dci.py);
    # roles that may not use DCI at all are refused.
    Endpoint("POST", _DCI, "dinsos", "op-a", outsider_status=403, json=_DCI_SEARCH),
    Endpoint("POST", _DCI, "program", "auditor", outsider_status=403, json=_DCI_SEARCH),
    Endpoint("POST", "/registry/sync/search", "admin", "pendamping", 403, json=_DCI_SEARCH),
    # Life events (tests/service/test_events*.py): writers of the household's region only.
    Endpoint("POST", "/api/v1/events", "op-a", "op-b", json=_event("access-1"), owner_status=201),
    Endpoint("POST", "/api/v1/events", "dinsos", "pendamping", 403, _event("access-2"), 201),
    Endpoint("POST", "/api/v1/events/batch", "dinsos", "program", 403, _event("access-3")),
    Endpoint("GET", "/api/v1/events/access-1", "op-a", "op-b"),
    Endpoint("GET", "/api/v1/events/access-1", "auditor", "dinsos-c"),
    Endpoint("GET", "/api/v1/households/{h:ha}/history", "op-a", "op-b"),
    Endpoint("GET", "/api/v1/households/{h:ha}/as-of/2025-06-30", "dinsos", "dinsos-c"),
    Endpoint("GET", "/api/v1/households/{h:ha}?as_of=2025-06-30", "pendamping", "op-b"),
]

# Workflow (tests/service/test_workflow*.py, test_citizen.py): case files of your regions, for
# the roles that handle them. Numbers here name no item: the owner side is tested there.
_USL = "/api/v1/proposals/USL-11.12.01.2006-2026-000001"
_SGH = "/api/v1/objections/SGH-11.12.01.2006-2026-000001"
_BDG = "/api/v1/appeals/BDG-11.12.01.2006-2026-000001"
_WHY = {"reason": "sesuai hasil verifikasi"}
ENDPOINTS += [
    Endpoint("POST", "/api/v1/proposals", "op-a", "op-b", 403, new_family(), 201),
    Endpoint("POST", "/api/v1/proposals", None, "dinsos", 403, new_family()),
    Endpoint("GET", "/api/v1/proposals", "op-a", "program", 403),
    Endpoint("GET", f"/api/v1/proposals?village={VILLAGE_A}", "pendamping", "op-b", 403),
    Endpoint("GET", "/api/v1/proposals/tasks", "pendamping", "program", 403),
    Endpoint("GET", "/api/v1/proposals/queue", "dinsos", "program", 403),
    Endpoint("GET", _USL, None, "op-b"),
    Endpoint("POST", f"{_USL}/assign", None, "op-a", 403, {}),
    Endpoint("POST", f"{_USL}/assign", None, "dinsos-c", 404, {}),
    Endpoint("POST", f"{_USL}/verify", None, "dinsos", 403, ground_check()),
    Endpoint("POST", f"{_USL}/approve", None, "pendamping", 403, _WHY),
    Endpoint("POST", f"{_USL}/reject", None, "op-a", 403, _WHY),
    Endpoint("POST", f"{_USL}/withdraw", None, "op-b", 404, {}),
    Endpoint("GET", "/api/v1/objections", "dinsos", "program", 403),
    Endpoint("GET", f"/api/v1/objections?village={VILLAGE_A}", "op-a", "op-b", 403),
    Endpoint("GET", "/api/v1/objections/tasks", "pendamping", "program", 403),
    Endpoint("GET", "/api/v1/objections/queue", "dinsos", "program", 403),
    Endpoint("GET", _SGH, None, "dinsos-c"),
    Endpoint("POST", f"{_SGH}/assign", None, "pendamping", 403, {}),
    Endpoint("POST", f"{_SGH}/verify", None, "op-a", 403, ground_check()),
    Endpoint("POST", f"{_SGH}/uphold", None, "op-a", 403, _WHY),
    Endpoint("POST", f"{_SGH}/dismiss", None, "dinsos-c", 404, _WHY),
    Endpoint("GET", "/api/v1/notices", "op-a", "program", 403),
    Endpoint("GET", "/api/v1/notices/1", None, "op-b"),
    Endpoint("POST", "/api/v1/notices/1/appeal", None, "dinsos", 403, _WHY),
    Endpoint("POST", "/api/v1/notices/1/appeal", None, "op-b", 404, _WHY),
    Endpoint("GET", "/api/v1/appeals", "dinsos", "program", 403),
    Endpoint("GET", _BDG, None, "dinsos-c"),
    Endpoint("POST", f"{_BDG}/review", None, "op-a", 403, {}),
    Endpoint("POST", f"{_BDG}/uphold", None, "dinsos-c", 404, _WHY),
    Endpoint("POST", f"{_BDG}/dismiss", None, "pendamping", 403, _WHY),
    Endpoint("GET", "/api/v1/workflow/ground-check-form", "op-a"),
    Endpoint("GET", "/api/v1/workflow/summary", "dinsos", "program", 403),
    Endpoint("GET", f"/api/v1/workflow/summary?village={VILLAGE_A}", "op-a", "op-b", 403),
]
_IDS = [f"{e.method} {e.path} {e.outsider or ''}".strip() for e in ENDPOINTS]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_IDS)
def test_anonymous_callers_are_refused(world: World, endpoint: Endpoint) -> None:
    response = endpoint.call(world, None)
    assert_error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["expired", "revoked", "garbage"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_IDS)
def test_expired_revoked_and_unknown_tokens_are_refused(
    world: World, endpoint: Endpoint, token: str
) -> None:
    error = assert_error(endpoint.call(world, token), 401)
    assert "sign in" in error["message"]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.outsider], ids=str)
def test_callers_of_another_region_or_role_are_refused(world: World, endpoint: Endpoint) -> None:
    assert endpoint.outsider is not None
    assert_error(endpoint.call(world, endpoint.outsider), endpoint.outsider_status)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.owner], ids=str)
def test_owners_are_served(world: World, endpoint: Endpoint) -> None:
    assert endpoint.owner is not None
    response = endpoint.call(world, endpoint.owner)
    assert response.status_code == endpoint.owner_status, response.text


def test_a_guessed_id_out_of_scope_looks_exactly_like_a_missing_one(world: World) -> None:
    missing = max(world.households.values()) + 1000
    for household_id in (world.households["ha"], world.households["hc"], missing):
        error = assert_error(world.get(f"/api/v1/households/{household_id}", "op-b"), 404)
        assert error == {
            "code": "household_not_found",
            "message": f"household {household_id} not found",
            "field": None,
        }
    missing_person = max(world.people.values()) + 1000
    for person_id in (world.people["siti-ha"], world.people["orphan"], missing_person):
        error = assert_error(world.get(f"/api/v1/people/{person_id}", "op-b"), 404)
        assert error["message"] == f"person {person_id} not found"


def _ids(world: World, username: str, **params: Any) -> tuple[set[int], int]:
    response = world.get("/api/v1/households", username, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return {item["id"] for item in body["items"]}, body["total"]


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("op-a", {"ha"}),
        ("op-b", {"hb"}),
        ("pendamping", {"ha", "ha2"}),
        ("dinsos", {"ha", "ha2", "hb"}),
        ("provinsi", {"ha", "ha2", "hb"}),
        ("dinsos-c", {"hc"}),
        ("admin", {"ha", "ha2", "hb", "hc"}),
        ("program", {"ha", "ha2", "hb", "hc"}),
    ],
)
def test_lists_counts_and_searches_stay_inside_the_callers_regions(
    world: World, username: str, expected: set[str]
) -> None:
    want = {world.households[k] for k in expected}
    assert _ids(world, username) == (want, len(want))
    # "siti" heads ha, hb and hc: a search must not reach beyond the scope either.
    sitis = {world.households[k] for k in ("ha", "hb", "hc")} & want
    assert _ids(world, username, q="SITI") == (sitis, len(sitis))


def test_identity_search_is_exact_and_scoped(world: World) -> None:
    nik = world.niks["budi-ha"]  # a member, not the head
    assert _ids(world, "op-a", q=nik) == ({world.households["ha"]}, 1)
    assert _ids(world, "op-b", q=nik) == (set(), 0)
    assert _ids(world, "admin", q=world.kks["hc"]) == ({world.households["hc"]}, 1)
    assert _ids(world, "admin", q=nik[:4] + " " + nik[4:]) == ({world.households["ha"]}, 1)
    assert _ids(world, "op-a", q=nik[:-1] + "9") == (set(), 0)


def test_the_village_filter_must_be_held(world: World) -> None:
    assert _ids(world, "pendamping", village=VILLAGE_A2) == ({world.households["ha2"]}, 1)
    error = assert_error(
        world.get("/api/v1/households", "op-a", params={"village": VILLAGE_B}), 403, "out_of_scope"
    )
    assert error["field"] == "village"
    assert VILLAGE_B in error["message"]


def test_people_without_a_household_are_visible_to_national_accounts_only(world: World) -> None:
    url = f"/api/v1/people/{world.people['orphan']}"
    assert world.get(url, "auditor").status_code == 200
    assert_error(world.get(url, "provinsi"), 404)


# -- the principal's rules, without a database ------------------------------------------------


def test_principal_covers_its_regions_and_everything_below_them() -> None:
    p = Principal(1, "x", "facilitator", (VILLAGE_A, "11.12.02"))
    assert p.covers(VILLAGE_A) and p.covers(VILLAGE_B) and p.covers("11.12.02")
    assert not p.covers(VILLAGE_A2) and not p.covers("11.12") and not p.covers(None)
    assert not p.covers("11.12.02" + "9")  # a prefix must end at a dot
    national = Principal(2, "y", "national_admin", ("ID",))
    assert national.covers("32.73.01.1001") and national.covers(None)
    assert not ANONYMOUS.covers(VILLAGE_A)


def test_sql_scope_filters_like_covers(session: Session) -> None:
    codes = [VILLAGE_A, VILLAGE_A2, VILLAGE_B, "11.12.020", "32.73.01.1001", "11"]
    values = " UNION ALL ".join(f"SELECT '{c}' AS code" for c in codes)
    table = text(values).columns(column("code", String)).subquery("v")
    for principal in (
        Principal(1, "x", "facilitator", (VILLAGE_A, "11.12.02")),
        Principal(2, "y", "province_office", ("11",)),
        Principal(3, "z", "national_admin", ("ID",)),
        ANONYMOUS,
    ):
        query = select(table.c.code).where(principal.sql_scope(table.c.code))
        rows = session.execute(query).scalars()
        assert sorted(rows) == sorted(c for c in codes if principal.covers(c)), principal
