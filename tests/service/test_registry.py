"""Registry reads: what a household and a person look like, masking by role, and the purpose
recorded for every read."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tepat.access.models import AuditEntry

from .conftest import SIXTEEN_DIGITS, VILLAGE_A, World


def test_a_household_has_its_members_attributes_and_provenance(world: World) -> None:
    response = world.get(f"/api/v1/households/{world.households['ha']}", "op-a")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kk_number"] == world.kks["ha"]  # operators see full numbers
    assert body["village_code"] == VILLAGE_A and body["village_name"] == "Guhang"
    assert [m["full_name"] for m in body["members"]] == ["Siti Aminah", "Budi Santoso"]
    assert body["members"][0]["role"] == "head"
    assert body["members"][0]["nik"] == world.niks["siti-ha"]
    assert body["attributes"]["floor_material"] == 3
    assert body["attributes"]["has_fridge"] is True
    assert body["provenance"] == [
        {
            "source": "regsosek",
            "records": 1,
            "fields": ["floor_material", "has_fridge", "kk_number"],
            "observed_on": "2022-10-15",
        }
    ]
    assert body["version"] == 1


def test_a_person_shows_their_household(world: World) -> None:
    body = world.get(f"/api/v1/people/{world.people['budi-ha']}", "dinsos").json()
    assert body["full_name"] == "Budi Santoso" and body["nik"] == world.niks["budi-ha"]
    assert body["mother_name"] == "Ibu Rahayu"
    assert body["household"]["household_id"] == world.households["ha"]
    assert body["household"]["role"] == "member" and body["household"]["until"] is None


def test_the_list_shows_head_and_member_count(world: World) -> None:
    body = world.get("/api/v1/households", "op-a").json()
    assert body["total"] == 1 and body["page"] == 1 and body["size"] == 50
    [item] = body["items"]
    assert item["head_name"] == "Siti Aminah" and item["members"] == 2
    assert item["kk_number"] == world.kks["ha"]


def test_pages_split_the_list(world: World) -> None:
    first = world.get("/api/v1/households", "admin", params={"size": 3}).json()
    second = world.get("/api/v1/households", "admin", params={"size": 3, "page": 2}).json()
    assert first["total"] == second["total"] == 4
    assert len(first["items"]) == 3 and len(second["items"]) == 1
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


def _bodies(world: World, username: str) -> list[str]:
    h, p = world.households, world.people
    return [
        world.get("/api/v1/households", username).text,
        world.get("/api/v1/households", username, params={"q": "siti"}).text,
        world.get(f"/api/v1/households/{h['ha']}", username).text,
        world.get(f"/api/v1/households/{h['hc']}", username).text,
        world.get(f"/api/v1/people/{p['siti-ha']}", username).text,
        world.get(f"/api/v1/people/{p['orphan']}", username).text,
        world.get("/api/v1/auth/me", username).text,
    ]


def test_a_program_manager_never_sees_a_full_nik_or_kk(world: World) -> None:
    bodies = _bodies(world, "program")
    for text in bodies:
        assert not SIXTEEN_DIGITS.search(text), text
    household = world.get(f"/api/v1/households/{world.households['ha']}", "program").json()
    assert household["kk_number"] == world.kks["ha"][:4] + "********" + world.kks["ha"][-4:]
    assert household["members"][0]["nik"].count("*") == 8
    person = world.get(f"/api/v1/people/{world.people['siti-ha']}", "program").json()
    assert person["mother_name"] is None


def test_a_program_manager_may_not_search_by_identity_number(world: World) -> None:
    response = world.get("/api/v1/households", "program", params={"q": world.niks["siti-ha"]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "identity_search_not_allowed"
    assert not SIXTEEN_DIGITS.search(response.text)


def test_the_public_gets_nothing_personal(world: World) -> None:
    for text in _bodies(world, None):  # type: ignore[arg-type]
        assert not SIXTEEN_DIGITS.search(text)
        assert "Siti" not in text


@pytest.mark.parametrize("username", ["admin", "auditor", "pendamping"])
def test_identity_roles_see_full_numbers(world: World, username: str) -> None:
    body = world.get(f"/api/v1/households/{world.households['ha']}", username).json()
    assert body["kk_number"] == world.kks["ha"]


def _last_entry(world: World) -> AuditEntry:
    with world.session() as db:
        entry = db.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None
        return entry


def test_every_read_is_audited_with_its_purpose(world: World) -> None:
    hid = world.households["ha"]
    world.get(f"/api/v1/households/{hid}", "op-a", headers={"X-Purpose": "musdes  2026\n-11"})
    entry = _last_entry(world)
    assert (entry.actor, entry.role, entry.action) == (
        "op-a",
        "village_operator",
        "registry.household.read",
    )
    assert (entry.entity, entry.entity_id, entry.region_code) == ("household", str(hid), VILLAGE_A)
    assert entry.purpose == "musdes 2026 -11"
    assert entry.detail == {"members": [world.people["siti-ha"], world.people["budi-ha"]]}

    world.get(f"/api/v1/people/{world.people['siti-hb']}", "op-b")
    entry = _last_entry(world)
    assert (
        entry.action == "registry.person.read"
        and entry.purpose == "village registry administration"
    )


def test_searches_are_audited_with_the_ids_returned_and_a_masked_query(world: World) -> None:
    nik = world.niks["siti-ha"]
    world.get("/api/v1/households", "admin", params={"q": nik})
    entry = _last_entry(world)
    detail: dict[str, Any] = entry.detail
    assert entry.action == "registry.household.search"
    assert detail["ids"] == [world.households["ha"]] and detail["total"] == 1
    assert detail["query_kind"] == "identity"
    assert detail["query"] == nik[:4] + "********" + nik[-4:]
    assert entry.purpose == "national registry administration"
