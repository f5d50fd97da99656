"""Life events over HTTP: births, deaths, moves and hand-overs, splits, marriages, attribute
changes, and the household as it was on any date."""

from __future__ import annotations

from datetime import date

from .conftest import VILLAGE_A, VILLAGE_A2, VILLAGE_B, World, assert_error
from .events_helpers import apply, as_of, family, kk, names, nik, three


def test_a_birth_and_a_death_and_the_household_on_every_date(world: World) -> None:
    fam = three(world)
    ani, dedi = fam.people["Ani Lestari"], fam.people["Dedi Kurnia"]
    born = apply(
        world,
        "op-a",
        {
            "type": "birth",
            "effective_date": "2024-03-10",
            "household_id": fam.id,
            "full_name": "Bayu Kurnia",
            "sex": "M",
            "mother_id": ani,
            "father_id": dedi,
            "expected_version": 1,
        },
    )
    assert born["household_version"] == 2 and born["needs_reranking"] is True
    [baby] = [p for p in born["people"] if p["created"]]
    died = apply(
        world,
        "op-a",
        {"type": "death", "effective_date": "2025-02-01", "person_id": dedi, "expected_version": 2},
    )
    assert died["household_version"] == 3 and died["new_heads"] == []

    before_birth = as_of(world, "op-a", fam.id, "2024-03-09")
    assert names(before_birth) == {"Ani Lestari", "Dedi Kurnia", "Rina Kurnia"}
    assert before_birth["version"] == 1 and before_birth["attributes"]["floor_material"] == 3
    after_birth = as_of(world, "op-a", fam.id, "2024-03-10")
    assert names(after_birth) == {"Ani Lestari", "Dedi Kurnia", "Rina Kurnia", "Bayu Kurnia"}
    assert after_birth["version"] == 2 and after_birth["event_id"] == born["event_id"]
    before_death = world.get(f"/api/v1/households/{fam.id}?as_of=2025-01-31", "op-a").json()
    assert "Dedi Kurnia" in names(before_death)
    [dedi_then] = [m for m in before_death["members"] if m["person_id"] == dedi]
    assert dedi_then["status"] == "alive"
    after_death = as_of(world, "op-a", fam.id, "2025-02-01")
    assert names(after_death) == {"Ani Lestari", "Rina Kurnia", "Bayu Kurnia"}

    now = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert now["version"] == 3 and names(now) == names(after_death)
    person = world.get(f"/api/v1/people/{dedi}", "op-a").json()
    assert person["status"] == "deceased" and person["died_on"] == "2025-02-01"
    child = world.get(f"/api/v1/people/{baby['id']}", "op-a").json()
    assert child["birth_date"] == "2024-03-10" and child["mother_name"] == "Ani Lestari"
    assert {s["source"] for s in child["provenance"]} == {"operator"}

    history = world.get(f"/api/v1/households/{fam.id}/history", "op-a").json()
    kinds = [(e["version"], e["event"]["type"]) for e in history["entries"]]
    assert kinds == [(1, "new_household"), (2, "birth"), (3, "death")]
    assert history["entries"][1]["member_changes"] == [
        {"person_id": baby["id"], "change": "joined", "relationship_code": 3}
    ]
    ended = [m for m in history["memberships"] if m["person_id"] == dedi]
    assert ended[0]["end_date"] == "2025-02-01" and ended[0]["end_reason"] == "death"
    assert_error(world.get(f"/api/v1/households/{fam.id}/as-of/2014-12-31", "op-a"), 404)


def test_when_the_head_dies_the_eldest_adult_or_the_named_member_heads(world: World) -> None:
    fam = three(world)
    result = apply(
        world,
        "op-a",
        {"type": "death", "effective_date": "2025-05-05", "person_id": fam.people["Ani Lestari"]},
    )
    dedi = fam.people["Dedi Kurnia"]
    assert result["new_heads"] == [
        {"household_id": fam.id, "person_id": dedi, "rule": "eldest_adult"}
    ]
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    [head] = [m for m in body["members"] if m["role"] == "head"]
    assert (
        head["person_id"] == dedi
        and head["relationship_code"] == 1
        and head["since"] == "2025-05-05"
    )

    second = three(world)
    rina = second.people["Rina Kurnia"]
    named = apply(
        world,
        "op-a",
        {
            "type": "death",
            "effective_date": "2025-05-05",
            "person_id": second.people["Ani Lestari"],
            "new_head_id": rina,
        },
    )
    assert named["new_heads"][0] == {"household_id": second.id, "person_id": rina, "rule": "named"}


def test_a_move_out_hands_the_household_over_to_the_receiving_region(world: World) -> None:
    fam = three(world)
    moved = apply(
        world,
        "op-a",
        {
            "type": "move",
            "effective_date": "2025-08-01",
            "household_id": fam.id,
            "to_village": VILLAGE_B,
            "address": "Jl. Baru 7",
            "new_kk": kk(VILLAGE_B),
        },
    )
    assert moved["handover"] == {"from_region": VILLAGE_A, "to_region": VILLAGE_B}
    assert_error(world.get(f"/api/v1/households/{fam.id}", "op-a"), 404, "household_not_found")
    body = world.get(f"/api/v1/households/{fam.id}", "op-b").json()
    assert body["village_code"] == VILLAGE_B and body["district_code"] == VILLAGE_B[:8]
    assert names(body) == {"Ani Lestari", "Dedi Kurnia", "Rina Kurnia"}
    assert as_of(world, "op-b", fam.id, "2025-07-31")["village_code"] == VILLAGE_A
    for user in ("op-a", "op-b"):  # both ends of the hand-over see the event
        record = world.get(f"/api/v1/events/{moved['event_id']}", user).json()
        assert record["to_region_code"] == VILLAGE_B and record["region_code"] == VILLAGE_A
    assert_error(world.get(f"/api/v1/events/{moved['event_id']}", "dinsos-c"), 404)
    # The sender can no longer record events for it; the receiver can.
    late = {"type": "remove_member", "effective_date": "2025-09-01", "household_id": fam.id}
    late |= {"person_id": fam.people["Rina Kurnia"], "reason": "tinggal di luar negeri"}
    apply(world, "op-a", late, status=404)
    apply(world, "op-b", late)


def test_a_move_within_the_region_is_no_handover_and_a_person_can_join_another_family(
    world: World,
) -> None:
    fam = three(world, "dinsos")
    moved = apply(
        world,
        "dinsos",
        {
            "type": "move",
            "effective_date": "2025-01-10",
            "household_id": fam.id,
            "to_village": VILLAGE_A2,
        },
    )
    assert moved["handover"] is None
    other = three(world, "dinsos")
    joined = apply(
        world,
        "dinsos",
        {
            "type": "move",
            "effective_date": "2025-02-10",
            "person_id": fam.people["Rina Kurnia"],
            "to_household_id": other.id,
            "relationship_code": 8,
        },
    )
    assert {h["id"] for h in joined["households"]} == {fam.id, other.id}
    assert "Rina Kurnia" in names(world.get(f"/api/v1/households/{other.id}", "dinsos").json())
    assert "Rina Kurnia" not in names(world.get(f"/api/v1/households/{fam.id}", "dinsos").json())


def test_a_split_forms_a_new_household_with_a_new_kk(world: World) -> None:
    fam = three(world)
    number = kk(VILLAGE_A)
    result = apply(
        world,
        "op-a",
        {
            "type": "split",
            "effective_date": "2025-03-01",
            "household_id": fam.id,
            "members": [{"person_id": fam.people["Rina Kurnia"], "relationship_code": 1}],
            "new_kk": number,
            "address": "RT 004 RW 002",
        },
    )
    [new] = [h for h in result["households"] if h["created"]]
    body = world.get(f"/api/v1/households/{new['id']}", "op-a").json()
    assert body["kk_number"] == number and body["formed_on"] == "2025-03-01"
    assert [(m["full_name"], m["role"]) for m in body["members"]] == [("Rina Kurnia", "head")]
    old = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert names(old) == {"Ani Lestari", "Dedi Kurnia"} and old["kk_number"] == fam.kk
    assert "Rina Kurnia" in names(as_of(world, "op-a", fam.id, "2025-02-28"))
    assert_error(world.get(f"/api/v1/households/{new['id']}/as-of/2025-02-28", "op-a"), 404)


def test_marriage_divorce_and_attribute_changes(world: World) -> None:
    fam = three(world)
    single = family(world, "op-a", VILLAGE_A, [("Joko Susilo", "M", date(1990, 1, 1), 1)])
    rina, joko = fam.people["Rina Kurnia"], single.people["Joko Susilo"]
    married = apply(
        world,
        "op-a",
        {
            "type": "marriage",
            "effective_date": "2025-06-01",
            "person_id": rina,
            "spouse_id": joko,
            "spouse_joins": True,
        },
    )
    assert single.id in married["dissolved"]
    member = [
        m
        for m in world.get(f"/api/v1/households/{fam.id}", "op-a").json()["members"]
        if m["person_id"] == joko
    ]
    assert member[0]["relationship_code"] == 4  # the head's child's spouse: menantu
    assert world.get(f"/api/v1/people/{rina}", "op-a").json()["attributes"]["marital_status"] == 2
    apply(
        world,
        "op-a",
        {"type": "divorce", "effective_date": "2025-09-01", "person_id": rina, "spouse_id": joko},
    )
    assert world.get(f"/api/v1/people/{joko}", "op-a").json()["attributes"]["marital_status"] == 3

    change = apply(
        world,
        "op-a",
        {
            "type": "economic_change",
            "effective_date": "2025-10-01",
            "household_id": fam.id,
            "household_changes": {"roof_material": 5, "has_fridge": True},
            "person_changes": [
                {"person_id": fam.people["Dedi Kurnia"], "changes": {"worked_last_week": False}}
            ],
            "reason": "PHK dari pabrik; atap rusak karena banjir",
        },
    )
    assert change["needs_reranking"] is True
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert body["attributes"]["roof_material"] == 5 and body["attributes"]["has_fridge"] is True
    sources = {s["source"]: s["fields"] for s in body["provenance"]}
    assert {"roof_material", "has_fridge"} <= set(sources["operator"])
    assert as_of(world, "op-a", fam.id, "2025-09-30")["attributes"]["has_fridge"] is False


def test_a_late_event_is_placed_at_its_date_and_later_changes_win(world: World) -> None:
    fam = three(world)
    url = f"/api/v1/households/{fam.id}"
    base = {"type": "update_household", "household_id": fam.id, "reason": "verifikasi lapangan"}
    apply(
        world,
        "op-a",
        base | {"effective_date": "2025-06-01", "household_changes": {"floor_material": 5}},
    )
    apply(
        world,
        "op-a",
        base
        | {
            "effective_date": "2025-01-01",
            "household_changes": {"floor_material": 2, "wall_material": 4},
        },
    )
    now = world.get(url, "op-a").json()["attributes"]
    assert (now["floor_material"], now["wall_material"]) == (5, 4)
    march = as_of(world, "op-a", fam.id, "2025-03-01")["attributes"]
    assert (march["floor_material"], march["wall_material"]) == (2, 4)
    july = as_of(world, "op-a", fam.id, "2025-07-01")["attributes"]
    assert (july["floor_material"], july["wall_material"]) == (5, 4)
    before = as_of(world, "op-a", fam.id, "2024-12-31")["attributes"]
    assert before["floor_material"] == 3 and before["wall_material"] is None


def test_a_program_manager_sees_masked_numbers_in_events_and_history(world: World) -> None:
    fam = three(world)
    number = nik(VILLAGE_A, date(2025, 4, 4), "F")
    born = apply(
        world,
        "op-a",
        {
            "type": "birth",
            "effective_date": "2025-04-04",
            "household_id": fam.id,
            "full_name": "Sari",
            "sex": "F",
            "nik": number,
        },
    )
    for url in (
        f"/api/v1/events/{born['event_id']}",
        f"/api/v1/households/{fam.id}/as-of/2025-05-01",
    ):
        text = world.get(url, "program").text
        assert number not in text and fam.kk not in text and number[:4] + "********" in text
    assert number in world.get(f"/api/v1/events/{born['event_id']}", "op-a").text


def test_a_loaded_household_keeps_its_original_state_after_member_and_attribute_changes(
    world: World,
) -> None:
    hb = world.households["hb"]
    born = apply(
        world,
        "op-b",
        {
            "type": "birth",
            "effective_date": "2024-01-01",
            "household_id": hb,
            "full_name": "Dimas",
            "sex": "M",
        },
    )
    assert born["household_version"] == 2
    apply(
        world,
        "op-b",
        {
            "type": "economic_change",
            "effective_date": "2025-01-01",
            "household_id": hb,
            "household_changes": {"floor_material": 7},
            "reason": "lantai diganti",
            "expected_version": 2,
        },
    )
    original = as_of(world, "op-b", hb, "2023-12-31")
    assert original["attributes"]["floor_material"] == 3 and original["version"] == 1
    assert names(original) == {"Siti Rahmah"} and original["event_id"] is None
    middle = as_of(world, "op-b", hb, "2024-06-01")
    assert middle["attributes"]["floor_material"] == 3 and names(middle) == {"Siti Rahmah", "Dimas"}
    assert as_of(world, "op-b", hb, "2025-01-01")["attributes"]["floor_material"] == 7
    history = world.get(f"/api/v1/households/{hb}/history", "op-b").json()
    entries = [(e["version"], e["event"] and e["event"]["type"]) for e in history["entries"]]
    assert entries == [(1, None), (2, "birth"), (3, "economic_change")]
    assert history["entries"][0]["valid_to"] == "2024-01-01"
