"""Survivorship rules choose each golden field as configured."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from tepat.errors import InvalidInput
from tepat.registry.golden import HOUSEHOLD_FIELDS, PERSON_FIELDS, consolidate, load_survivorship

NIK_A = "1112014501900001"  # woman born 5 Jan 1990
NIK_B = "1112014501900002"


def _linked(rows: list[dict[str, object]]) -> pa.Table:
    columns: dict[str, list[object]] = {}
    base = {f: None for f in (*PERSON_FIELDS, *HOUSEHOLD_FIELDS)}
    base.update(
        {
            "nik_clean": None,
            "nik_valid": False,
            "kk_clean": None,
            "kk_valid": False,
            "nik_birth_date": None,
            "nik_sex": None,
            "family_id": "f1",
        }
    )
    for uid, row in enumerate(rows):
        full = {**base, "uid": uid, "record_id": str(uid), **row}
        for key, value in full.items():
            columns.setdefault(key, []).append(value)
    return pa.table(columns)


def _golden(rows: list[dict[str, object]]) -> dict[str, object]:
    con = duckdb.connect()
    con.register("linked_in", _linked(rows))
    con.execute("CREATE TABLE linked AS SELECT * FROM linked_in")
    consolidate(con, "linked", load_survivorship())
    out = con.sql("SELECT * FROM golden_people WHERE cluster_id = 1").to_arrow_table()
    return out.to_pylist()[0]


def test_majority_name_valid_nik_and_the_birth_date_the_nik_encodes() -> None:
    g = _golden(
        [
            {
                "cluster_id": 1,
                "source": "dtks",
                "full_name": "HJ. SITI AMINAH",
                "nik_clean": NIK_A,
                "nik_valid": True,
                "nik_birth_date": date(1990, 1, 5),
                "nik_sex": "F",
                "birth_date": date(1990, 5, 1),
                "observed_on": date(2020, 1, 1),
            },
            {
                "cluster_id": 1,
                "source": "regsosek",
                "full_name": "SITI AMINAH",
                "nik_clean": "1112014501900000",
                "nik_valid": False,
                "birth_date": date(1990, 1, 5),
                "observed_on": date(2022, 10, 20),
            },
            {
                "cluster_id": 1,
                "source": "p3ke",
                "full_name": "SITI AMINAH",
                "nik_clean": NIK_A,
                "nik_valid": True,
                "birth_date": date(1990, 1, 5),
                "observed_on": date(2021, 7, 1),
            },
        ]
    )
    assert g["full_name"] == "SITI AMINAH"  # two records agree; the titled one is outvoted
    assert g["nik"] == NIK_A  # the valid NIK beats the newer invalid one
    assert g["birth_date"] == date(1990, 1, 5)  # the date the golden NIK encodes
    assert g["records"] == 3
    assert sorted(g["sources"]) == ["dtks", "p3ke", "regsosek"]


def test_precedence_prefers_the_survey_and_recent_prefers_the_newest() -> None:
    g = _golden(
        [
            {
                "cluster_id": 1,
                "source": "dtks",
                "education_level": 3,
                "marital_status": 1,
                "observed_on": date(2021, 3, 1),
            },
            {
                "cluster_id": 1,
                "source": "regsosek",
                "education_level": 8,
                "marital_status": 2,
                "observed_on": date(2022, 10, 20),
            },
            {
                "cluster_id": 1,
                "source": "field_verification",
                "education_level": None,
                "marital_status": 4,
                "observed_on": date(2025, 3, 1),
            },
        ]
    )
    assert g["education_level"] == 8  # field check has no value; the survey beats DTKS
    assert g["marital_status"] == 4  # newest observation
    assert g["education_level__uid"] == 1


def test_a_single_record_is_its_own_golden_record() -> None:
    g = _golden(
        [
            {
                "cluster_id": 1,
                "source": "dtks",
                "full_name": "BUDI",
                "nik_clean": NIK_B,
                "nik_valid": True,
                "observed_on": date(2020, 1, 1),
            }
        ]
    )
    assert (g["full_name"], g["nik"], g["records"], g["full_name__uid"]) == ("BUDI", NIK_B, 1, 0)
    assert g["birth_date"] is None and g["birth_date__uid"] is None


def test_rules_files_with_mistakes_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('[sources]\nprecedence = ["regsosek"]\n[person]\nshoe_size = "recent"\n')
    with pytest.raises(InvalidInput, match="unknown field 'shoe_size'"):
        load_survivorship(bad)
    bad.write_text('[sources]\nprecedence = ["regsosek"]\n[person]\nnik = "loudest"\n')
    with pytest.raises(InvalidInput, match="not a rule"):
        load_survivorship(bad)
    bad.write_text("[sources\n")
    with pytest.raises(InvalidInput, match=r"rules\.toml"):
        load_survivorship(bad)
