"""Event input validation: one model per type, checked without a database."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tepat.registry.event_schemas import EVENT_ADAPTER, EVENT_TYPES, Move

BASE = {"event_id": "e-1", "effective_date": "2025-01-02"}


def _parse(**fields: Any) -> Any:
    return EVENT_ADAPTER.validate_python(BASE | fields)


def _error(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        _parse(**fields)
    return str(caught.value)


def test_a_birth_parses_with_defaults() -> None:
    birth = _parse(type="birth", household_id=4, full_name="  Putri  ", sex="F")
    assert birth.full_name == "Putri" and birth.relationship_code == 3 and birth.nik is None
    assert birth.effective_date.isoformat() == "2025-01-02"


def test_every_type_is_known_and_others_are_refused() -> None:
    assert len(EVENT_TYPES) == 11
    assert "tag" in _error(type="adoption", person_id=1).lower()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"household_id": 1, "person_id": 2, "to_village": "11.12.01.2006"}, "either"),
        ({"household_id": 1, "to_household_id": 2}, "to_village"),
        ({"person_id": 1}, "either to_household_id or to_village"),
        ({"person_id": 1, "to_household_id": 2, "to_village": "x"}, "either to_household_id"),
    ],
)
def test_a_move_needs_one_mover_and_one_destination(fields: dict[str, Any], words: str) -> None:
    assert words in _error(type="move", **fields)


def test_a_valid_person_move() -> None:
    move = _parse(type="move", person_id=3, to_household_id=9, relationship_code=8)
    assert isinstance(move, Move) and move.to_village is None


def test_a_split_has_exactly_one_head_and_lists_people_once() -> None:
    members = [{"person_id": 1, "relationship_code": 3}]
    assert "exactly one member" in _error(type="split", household_id=1, new_kk="x", members=members)
    twice = [{"person_id": 1, "relationship_code": 1}, {"person_id": 1, "relationship_code": 2}]
    assert "listed twice" in _error(type="split", household_id=1, new_kk="x", members=twice)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"village_code": "x"}, "cannot change village_code"),
        ({"has_car": "yes"}, "has_car takes true, false or null"),
        ({"floor_material": -1}, "0-32767"),
        ({"floor_material": True}, "0-32767"),
        ({}, "nothing to change"),
    ],
)
def test_economic_changes_are_typed_and_limited(changes: dict[str, Any], words: str) -> None:
    error = _error(
        type="economic_change", household_id=1, household_changes=changes, reason="rumah rusak"
    )
    assert words in error


def test_attribute_values_are_normalised() -> None:
    event = _parse(
        type="update_household",
        household_id=1,
        reason="verifikasi",
        household_changes={"rt": "7", "latitude": 5, "address": " Jl.  Baru  1 "},
        person_changes=[{"person_id": 2, "changes": {"occupation_group": "asn"}}],
    )
    assert event.household_changes == {"rt": "007", "latitude": 5.0, "address": "Jl. Baru 1"}
    assert "occupation_group must be one of" in _error(
        type="update_household",
        household_id=1,
        reason="verifikasi",
        person_changes=[{"person_id": 2, "changes": {"occupation_group": "pilot"}}],
    )
    assert "between -90 and 90" in _error(
        type="update_household", household_id=1, reason="gps", household_changes={"latitude": 91}
    )


def test_a_reason_is_required_where_it_explains_a_change() -> None:
    assert "reason" in _error(type="remove_household", household_id=1)
    assert "at least 3 characters" in _error(type="remove_household", household_id=1, reason="xy")


def test_new_household_members_are_existing_or_complete() -> None:
    head = {"relationship_code": 1, "full_name": "A", "sex": "M", "birth_date": "1990-01-01"}
    body = {"type": "new_household", "village": "11.12.01.2006", "kk_number": "1"}
    assert _parse(**body, members=[head]).members[0].full_name == "A"
    assert "needs full_name, sex and birth_date" in _error(
        **body, members=[{"relationship_code": 1, "full_name": "A"}]
    )
    assert "takes no identity fields" in _error(
        **body, members=[{"relationship_code": 1, "person_id": 3, "sex": "M"}]
    )
    assert "does not apply to a new household" in _error(**body, members=[head], expected_version=2)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"event_id": "bad id"}, "event_id"),
        ({"event_id": "x" * 65}, "event_id"),
        ({"full_name": "Nama\x00"}, "control characters"),
        ({"effective_date": "1899-12-31"}, "effective_date"),
        ({"household_id": 2**63}, "household_id"),
        ({"sex": "X"}, "sex"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_malformed_values_are_refused(fields: dict[str, Any], words: str) -> None:
    event = {"type": "birth", "household_id": 1, "full_name": "Putri", "sex": "F"} | fields
    with pytest.raises(ValidationError) as caught:
        EVENT_ADAPTER.validate_python(BASE | event)
    assert words in str(caught.value)
