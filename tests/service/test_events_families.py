"""Families formed and removed by events, and apply_event called as another service would."""

from __future__ import annotations

from sqlalchemy import select

from tepat.access.models import AuditEntry
from tepat.access.principal import Principal
from tepat.registry.event_schemas import EVENT_ADAPTER
from tepat.registry.events import apply_event
from tepat.registry.models import Household

from .conftest import VILLAGE_A, VILLAGE_A2, World, assert_error
from .events_helpers import apply, as_of, event_id, kk, names, post, three


def test_removals_and_a_person_forming_a_new_family(world: World) -> None:
    fam = three(world)
    rina, dedi = fam.people["Rina Kurnia"], fam.people["Dedi Kurnia"]
    number = kk(VILLAGE_A2)
    moved = apply(
        world,
        "dinsos",
        {
            "type": "move",
            "effective_date": "2025-04-01",
            "person_id": rina,
            "to_village": VILLAGE_A2,
            "new_kk": number,
        },
    )
    [new] = [h for h in moved["households"] if h["created"]]
    body = world.get(f"/api/v1/households/{new['id']}", "dinsos").json()
    assert body["kk_number"] == number and [m["role"] for m in body["members"]] == ["head"]
    gone = apply(
        world,
        "op-a",
        {
            "type": "remove_member",
            "effective_date": "2025-05-01",
            "household_id": fam.id,
            "person_id": dedi,
            "reason": "bukan anggota keluarga",
        },
    )
    assert gone["dissolved"] == []
    removed = apply(
        world,
        "op-a",
        {
            "type": "remove_household",
            "effective_date": "2025-06-01",
            "household_id": fam.id,
            "reason": "ganda",
        },
    )
    assert removed["dissolved"] == [fam.id]
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert body["status"] == "dissolved" and body["members"] == []
    assert names(as_of(world, "op-a", fam.id, "2025-04-30")) == {"Ani Lestari", "Dedi Kurnia"}
    again = {"type": "birth", "effective_date": "2025-07-01", "household_id": fam.id}
    response = post(world, "op-a", {"event_id": event_id(), **again, "full_name": "X", "sex": "M"})
    assert_error(response, 409, "household_not_active")


def test_apply_event_for_other_services_records_its_source_and_audit(world: World) -> None:
    fam = three(world)
    principal = Principal(
        user_id=None, username="approver", role="district_office", regions=("11.12",)
    )
    with world.session() as db:
        loaded = db.get(Household, fam.id)
        assert loaded is not None and loaded.version == 1
        result = apply_event(
            db=db,
            principal=principal,
            event=EVENT_ADAPTER.validate_python(
                {
                    "event_id": "proposal-1-approve",
                    "type": "update_household",
                    "effective_date": "2025-08-01",
                    "household_id": fam.id,
                    "household_changes": {"has_car": False, "floor_area_m2": 36},
                    "reason": "usulan 1 disetujui setelah verifikasi",
                    "expected_version": 1,
                }
            ),
            source="field_verification",
            purpose="approval of proposal 1",
        )
        assert result.household_version == 2 and loaded.version == 2  # expired, reloaded
        entry = db.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None and entry.action == "registry.event.update_household"
        assert (
            entry.purpose == "approval of proposal 1"
            and entry.detail["source"] == "field_verification"
        )
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    verified = [s for s in body["provenance"] if s["source"] == "field_verification"]
    assert verified[0]["fields"] == ["floor_area_m2", "has_car"]
    assert verified[0]["observed_on"] == "2025-08-01"
    history = world.get(f"/api/v1/households/{fam.id}/history", "op-a").json()
    assert history["entries"][-1]["changes"] == {"has_car": False, "floor_area_m2": 36}
    assert history["entries"][-1]["event"]["reason"] == "usulan 1 disetujui setelah verifikasi"


def test_a_new_household_can_take_in_an_existing_person(world: World) -> None:
    fam = three(world)
    ani = fam.people["Ani Lestari"]
    number = kk(VILLAGE_A)
    result = apply(
        world,
        "op-a",
        {
            "type": "new_household",
            "effective_date": "2025-09-09",
            "village": VILLAGE_A,
            "kk_number": number,
            "members": [
                {"person_id": ani, "relationship_code": 1},
                {
                    "full_name": "Tiara",
                    "sex": "F",
                    "birth_date": "2019-05-05",
                    "relationship_code": 3,
                },
            ],
        },
    )
    assert result["new_heads"] == [
        {"household_id": fam.id, "person_id": fam.people["Dedi Kurnia"], "rule": "eldest_adult"}
    ]
    body = world.get(f"/api/v1/households/{result['household_id']}", "op-a").json()
    assert [(m["full_name"], m["role"]) for m in body["members"]] == [
        ("Ani Lestari", "head"),
        ("Tiara", "member"),
    ]
    assert body["kk_number"] == number and body["formed_on"] == "2025-09-09"
