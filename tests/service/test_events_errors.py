"""Refused events: every impossible input is a 4xx with a message naming what to fix, and the
database is exactly as before (no row in any table, no audit entry). Idempotency and stale
versions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from .conftest import SIXTEEN_DIGITS, VILLAGE_A, VILLAGE_B, World, assert_error
from .events_helpers import Family, apply, counts, event_id, family, kk, nik, post

USED: dict[str, str] = {}


@pytest.fixture(scope="module")
def fam(world: World) -> Family:
    """Ani (head), Dedi (spouse), Rina (child) in village A; Sri, a deceased mother, in a second
    household; Budi, already dead, in it too."""
    main = family(
        world,
        "op-a",
        VILLAGE_A,
        [
            ("Ani Lestari", "F", date(1985, 4, 2), 1),
            ("Dedi Kurnia", "M", date(1983, 7, 9), 2),
            ("Rina Kurnia", "F", date(2010, 1, 20), 3),
        ],
    )
    other = family(
        world,
        "op-a",
        VILLAGE_A,
        [
            ("Tono Wibowo", "M", date(1970, 1, 1), 1),
            ("Sri Wahyuni", "F", date(1975, 2, 2), 2),
            ("Budi Wibowo", "M", date(2000, 3, 3), 3),
        ],
    )
    for name, day in (("Sri Wahyuni", "2020-06-01"), ("Budi Wibowo", "2021-06-01")):
        apply(
            world, "op-a", {"type": "death", "effective_date": day, "person_id": other.people[name]}
        )
    USED["nik"] = nik(VILLAGE_A, date(2022, 2, 2), "F")
    twin = {"type": "birth", "effective_date": "2022-02-02", "household_id": other.id}
    apply(world, "op-a", twin | {"full_name": "Kembar", "sex": "F", "nik": USED["nik"]})
    main.people |= other.people
    main.people["other"] = other.id
    return main


def _cases(
    fam: Family, world: World
) -> list[tuple[str, str, dict[str, Any], int, str | None, str]]:
    p = fam.people
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    birth = {"type": "birth", "household_id": fam.id, "full_name": "Bayi", "sex": "F"}
    return [
        # (id, user, body, status, code, words in the message)
        (
            "death before birth",
            "op-a",
            {"type": "death", "effective_date": "1980-01-01", "person_id": p["Ani Lestari"]},
            422,
            "before_birth",
            "before person",
        ),
        (
            "birth in the future",
            "op-a",
            birth | {"effective_date": tomorrow},
            422,
            "future_date",
            "in the future",
        ),
        (
            "mother deceased before",
            "op-a",
            birth | {"effective_date": "2022-01-01", "mother_id": p["Sri Wahyuni"]},
            422,
            "mother_impossible",
            "died on 2020-06-01",
        ),
        (
            "mother is a man",
            "op-a",
            birth | {"effective_date": "2022-01-01", "mother_id": p["Dedi Kurnia"]},
            422,
            "mother_impossible",
            "recorded as male",
        ),
        (
            "already dead",
            "op-a",
            {"type": "death", "effective_date": "2022-01-01", "person_id": p["Budi Wibowo"]},
            409,
            "already_deceased",
            "already recorded as deceased",
        ),
        (
            "split empties",
            "op-a",
            {
                "type": "split",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "new_kk": kk(VILLAGE_A),
                "members": [
                    {"person_id": p["Ani Lestari"], "relationship_code": 1},
                    {"person_id": p["Dedi Kurnia"], "relationship_code": 2},
                    {"person_id": p["Rina Kurnia"], "relationship_code": 3},
                ],
            },
            422,
            "split_empties_household",
            "without members",
        ),
        (
            "split non-member",
            "op-a",
            {
                "type": "split",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "new_kk": kk(VILLAGE_A),
                "members": [{"person_id": p["Tono Wibowo"], "relationship_code": 1}],
            },
            422,
            "not_a_member",
            "not a current member",
        ),
        (
            "unknown region",
            "op-a",
            {
                "type": "move",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "to_village": "11.12.01.2999",
            },
            422,
            "region_not_found",
            "11.12.01.2999",
        ),
        (
            "malformed region",
            "op-a",
            {
                "type": "move",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "to_village": "abc",
            },
            422,
            None,
            "",
        ),
        (
            "not a village",
            "op-a",
            {
                "type": "move",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "to_village": "11.12",
            },
            422,
            "not_a_village",
            "village code",
        ),
        (
            "malformed NIK",
            "op-a",
            birth | {"effective_date": "2022-01-01", "nik": "1234"},
            422,
            "nik_length",
            "a NIK has 16",
        ),
        (
            "NIK of another date",
            "op-a",
            birth | {"effective_date": "2022-01-01", "nik": nik(VILLAGE_A, date(2021, 1, 1), "F")},
            422,
            "nik_birth_date_mismatch",
            "birth date",
        ),
        (
            "NIK in use",
            "op-a",
            birth | {"effective_date": "2022-02-02", "nik": USED["nik"]},
            409,
            "nik_in_use",
            "already used",
        ),
        (
            "malformed KK",
            "op-a",
            {
                "type": "split",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "new_kk": "9912011501200001",
                "members": [{"person_id": p["Rina Kurnia"], "relationship_code": 1}],
            },
            422,
            "kk_unknown_province",
            "province",
        ),
        (
            "KK in use",
            "op-a",
            {
                "type": "split",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "new_kk": world.kks["ha"],
                "members": [{"person_id": p["Rina Kurnia"], "relationship_code": 1}],
            },
            409,
            "kk_in_use",
            "already used",
        ),
        (
            "stale version",
            "op-a",
            {
                "type": "economic_change",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "household_changes": {"has_car": True},
                "reason": "beli mobil",
                "expected_version": 99,
            },
            409,
            "version_conflict",
            "version",
        ),
        (
            "other region",
            "op-b",
            {"type": "death", "effective_date": "2024-01-01", "person_id": p["Ani Lestari"]},
            404,
            "person_not_found",
            "not found",
        ),
        (
            "role may not",
            "pendamping",
            {"type": "death", "effective_date": "2024-01-01", "person_id": p["Ani Lestari"]},
            403,
            "role_not_allowed",
            "village_operator",
        ),
        (
            "new family elsewhere",
            "op-a",
            {
                "type": "new_household",
                "effective_date": "2024-01-01",
                "village": VILLAGE_B,
                "kk_number": kk(VILLAGE_B),
                "members": [
                    {
                        "full_name": "X",
                        "sex": "M",
                        "birth_date": "1990-01-01",
                        "relationship_code": 1,
                    }
                ],
            },
            403,
            "out_of_scope",
            VILLAGE_B,
        ),
        (
            "no head",
            "op-a",
            {
                "type": "new_household",
                "effective_date": "2024-01-01",
                "village": VILLAGE_A,
                "kk_number": kk(VILLAGE_A),
                "members": [
                    {
                        "full_name": "X",
                        "sex": "M",
                        "birth_date": "1990-01-01",
                        "relationship_code": 3,
                    }
                ],
            },
            422,
            "invalid_request",
            "relationship_code 1",
        ),
        (
            "unknown attribute",
            "op-a",
            {
                "type": "economic_change",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "household_changes": {"village_code": "x"},
                "reason": "pindah",
            },
            422,
            "invalid_request",
            "cannot change village_code",
        ),
        (
            "head leaves no adult",
            "op-a",
            {
                "type": "split",
                "effective_date": "2024-01-01",
                "household_id": fam.id,
                "new_kk": kk(VILLAGE_A),
                "members": [
                    {"person_id": p["Ani Lestari"], "relationship_code": 1},
                    {"person_id": p["Dedi Kurnia"], "relationship_code": 2},
                ],
            },
            422,
            "new_head_required",
            "remaining_head_id",
        ),
        (
            "divorce unmarried",
            "op-a",
            {
                "type": "divorce",
                "effective_date": "2024-01-01",
                "person_id": p["Ani Lestari"],
                "spouse_id": p["Rina Kurnia"],
            },
            409,
            "not_married",
            "not recorded as married",
        ),
    ]


def test_impossible_events_are_refused_and_change_nothing(world: World, fam: Family) -> None:
    version = world.get(f"/api/v1/households/{fam.id}", "op-a").json()["version"]
    before = counts(world)
    for name, user, body, status, code, words in _cases(fam, world):
        response = post(world, user, {"event_id": event_id(), **body})
        error = assert_error(response, status, code)
        assert words in error["message"], (name, error)
        assert not SIXTEEN_DIGITS.search(response.text), (name, response.text)
        assert counts(world) == before, name
    assert world.get(f"/api/v1/households/{fam.id}", "op-a").json()["version"] == version


def test_the_same_event_id_returns_the_first_result_and_other_content_is_a_conflict(
    world: World, fam: Family
) -> None:
    body = {
        "event_id": event_id(),
        "type": "economic_change",
        "effective_date": "2025-01-01",
        "household_id": fam.id,
        "household_changes": {"has_motorbike": True},
        "reason": "kredit motor",
    }
    first = post(world, "op-a", body)
    assert first.status_code == 201, first.text
    before = counts(world)
    again = post(world, "op-a", body)
    assert again.status_code == 200
    assert again.json() == first.json() | {"duplicate": True}
    assert counts(world) == before
    error = assert_error(
        post(world, "op-a", body | {"reason": "kredit mobil"}), 409, "event_id_reused"
    )
    assert "already used" in error["message"] and error["field"] == "event_id"
    assert_error(post(world, "op-b", body), 409, "event_id_reused")  # not someone else's result
    assert counts(world) == before


def test_two_operators_editing_the_same_household_the_second_gets_a_conflict(
    world: World, fam: Family
) -> None:
    read = world.get(f"/api/v1/households/{fam.id}", "op-a").json()["version"]
    change = {"type": "update_household", "effective_date": "2025-02-01", "household_id": fam.id}
    first = apply(
        world,
        "op-a",
        change
        | {
            "household_changes": {"floor_area_m2": 40},
            "reason": "ukur ulang",
            "expected_version": read,
        },
    )
    assert first["household_version"] == read + 1
    before = counts(world)
    response = post(
        world,
        "dinsos",
        {
            "event_id": event_id(),
            **change,
            "household_changes": {"floor_area_m2": 55},
            "reason": "ukur",
            "expected_version": read,
        },
    )
    error = assert_error(response, 409, "version_conflict")
    assert f"is at version {read + 1}" in error["message"]
    assert counts(world) == before
    body = world.get(f"/api/v1/households/{fam.id}", "op-a").json()
    assert body["attributes"]["floor_area_m2"] == 40 and body["version"] == read + 1
