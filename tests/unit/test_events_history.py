"""The pure parts of event history and batches: folding versions in effective order, version
snapshots, ages, and reading JSON-lines and CSV batch files."""

from __future__ import annotations

from datetime import date
from typing import Any

from tepat.registry.event_batch import BadLine, read_lines
from tepat.registry.event_context import age_on
from tepat.registry.history import effective_order, restore, snapshot, state_on


def _v(version: int, valid_from: date | None, **data: Any) -> dict[str, Any]:
    return {"version": version, "valid_from": valid_from, "data": data}


def test_the_state_on_a_day_folds_the_versions_effective_by_then() -> None:
    versions = [
        _v(1, None, floor=3, wall=1),
        _v(2, date(2025, 6, 1), floor=5),
        _v(3, date(2025, 1, 1), floor=2, wall=4),  # recorded last, effective earlier
    ]
    assert [v["version"] for v in effective_order(versions)] == [1, 3, 2]
    cases = {
        date(2024, 12, 31): ({"floor": 3, "wall": 1}, 1),
        date(2025, 1, 1): ({"floor": 2, "wall": 4}, 3),
        date(2025, 7, 1): ({"floor": 5, "wall": 4}, 2),  # the later-dated floor wins
    }
    for day, (state, last) in cases.items():
        folded = state_on(versions, day)
        assert folded is not None and folded[0] == state and folded[1]["version"] == last


def test_nothing_is_in_effect_before_the_first_version() -> None:
    assert state_on([_v(1, date(2025, 3, 1), status="active")], date(2025, 2, 28)) is None
    same_day = [_v(1, date(2025, 3, 1), a=1), _v(2, date(2025, 3, 1), a=2)]
    folded = state_on(same_day, date(2025, 3, 1))
    assert folded is not None and folded[0] == {"a": 2}  # recorded later, same day: wins


def test_a_snapshot_keeps_values_not_bookkeeping_and_round_trips_dates() -> None:
    row = {
        "id": 4,
        "version": 7,
        "needs_reranking": True,
        "status": "active",
        "formed_on": date(2020, 2, 29),
        "address": None,
    }
    data = snapshot(row)
    assert data == {"status": "active", "formed_on": "2020-02-29"}
    assert restore("households", data)["formed_on"] == date(2020, 2, 29)


def test_age_on_counts_whole_years() -> None:
    assert age_on(date(2008, 3, 1), date(2025, 2, 28)) == 16
    assert age_on(date(2008, 3, 1), date(2025, 3, 1)) == 17
    assert age_on(None, date(2025, 3, 1)) is None


def test_json_lines_are_read_with_their_numbers() -> None:
    text = '{"event_id": "a"}\n\n{oops\n[1]\n  \n{"event_id": "b"}'
    lines = list(read_lines(text, "jsonl"))
    assert [n for n, _ in lines] == [1, 3, 4, 6]
    assert lines[0][1] == {"event_id": "a"} and lines[3][1] == {"event_id": "b"}
    assert isinstance(lines[1][1], BadLine) and "not valid JSON" in lines[1][1].reason
    assert isinstance(lines[2][1], BadLine) and "one JSON object" in lines[2][1].reason


def test_csv_rows_have_a_header_json_cells_and_line_numbers() -> None:
    text = (
        "\ufeffevent_id,type,household_changes,reason\n"
        'a,economic_change,"{""has_car"": true}",usaha\n'
        ",,,\n"
        "b,death,,,extra\n"
        'c,birth,"[1, 2]","multi\nline"\n'
    )
    lines = list(read_lines(text, "csv"))
    assert lines[0] == (
        2,
        {
            "event_id": "a",
            "type": "economic_change",
            "household_changes": {"has_car": True},
            "reason": "usaha",
        },
    )
    number, bad = lines[1]
    assert number == 4 and isinstance(bad, BadLine) and bad.event_id == "b"
    assert lines[2] == (
        6,
        {"event_id": "c", "type": "birth", "household_changes": [1, 2], "reason": "multi\nline"},
    )
