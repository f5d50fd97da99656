"""Rows and in-memory DuckDB inputs for the eligibility tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

REF = date(2025, 6, 30)

HOUSEHOLD_SCHEMA = pa.schema(
    [
        ("family_id", pa.string()),
        ("province_code", pa.string()),
        ("regency_code", pa.string()),
        ("district_code", pa.string()),
        ("village_code", pa.string()),
        ("urban", pa.bool_()),
        ("members", pa.int32()),
        ("desil", pa.int16()),
        ("percentile", pa.float64()),
        ("predicted_pce", pa.float64()),
        ("programs_received", pa.int32()),
    ]
)
MEMBER_SCHEMA = pa.schema(
    [
        ("person_key", pa.string()),
        ("family_id", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("relationship", pa.int16()),
        ("marital_status", pa.int16()),
        ("pregnant", pa.bool_()),
        ("school_participation", pa.int16()),
        ("education_level", pa.int16()),
        ("employment_status", pa.int16()),
        ("worked_last_week", pa.bool_()),
        ("has_business", pa.bool_()),
        ("disability", pa.int16()),
        ("chronic_disease", pa.int16()),
        ("status", pa.string()),
    ]
)
# A member nobody would notice: adult, alive, not working, not in school, no difficulty.
MEMBER_DEFAULTS: dict[str, Any] = {
    "sex": "M",
    "birth_date": date(1980, 1, 1),
    "relationship": 8,
    "marital_status": 2,
    "pregnant": False,
    "school_participation": 2,
    "education_level": 8,
    "employment_status": 0,
    "worked_last_week": False,
    "has_business": False,
    "disability": 1,
    "chronic_disease": 0,
    "status": "alive",
}


def household(family_id: str, desil: int | None, percentile: float | None, **kw: Any) -> dict:
    regency = kw.pop("regency", "11.12")
    row = {
        "family_id": family_id,
        "province_code": regency[:2] if regency else None,
        "regency_code": regency,
        "district_code": f"{regency}.01" if regency else None,
        "village_code": f"{regency}.01.2001" if regency else None,
        "urban": False,
        "members": None,
        "desil": desil,
        "percentile": percentile,
        "predicted_pce": 600_000.0,
        "programs_received": 0,
    }
    row.update(kw)
    return row


def member(person_key: str, family_id: str, **kw: Any) -> dict:
    row = {"person_key": person_key, "family_id": family_id, **MEMBER_DEFAULTS}
    row.update(kw)
    return row


def load(
    con: duckdb.DuckDBPyConnection, households: Sequence[dict], members: Sequence[dict]
) -> None:
    h = pa.Table.from_pylist(list(households), schema=HOUSEHOLD_SCHEMA)
    m = pa.Table.from_pylist(list(members), schema=MEMBER_SCHEMA)
    con.register("_h", h)
    con.register("_m", m)
    con.execute("CREATE OR REPLACE TABLE rank_households AS SELECT * FROM _h")
    con.execute("CREATE OR REPLACE TABLE rank_members AS SELECT * FROM _m")
    con.unregister("_h")
    con.unregister("_m")


def families() -> tuple[list[dict], list[dict]]:
    """The fixture: reference date 2025-06-30."""
    hh = [
        # A: PKH, 4 school children (cap 3 bites), a pregnant woman who is also disabled, a
        # grandmother; 5 components survive the group caps, so the 4-component cap bites too.
        household("A", 2, 12.0),
        # B: a civil servant in the family: excluded from household and person programs.
        household("B", 3, 20.0),
        # C: a deceased head, a member of unknown status, a member with NULL fields.
        household("C", 4, 35.0),
        # D: nobody alive.
        household("D", 1, 3.0),
        # E: desil unknown.
        household("E", None, None),
        # F: three working-age adults for Prakerja (max two per KK, oldest first).
        household("F", 7, 65.0),
        # G: poor but nobody fits a PKH component.
        household("G", 3, 28.0),
        # H1, H2, H3: another regency, where the PBI-JK quota binds; H2 and H3 tie on percentile.
        household("H1", 1, 5.0, regency="11.13"),
        household("H2", 2, 15.0, regency="11.13"),
        household("H3", 2, 15.0, regency="11.13"),
    ]
    mm = [
        member("A1", "A", relationship=1, birth_date=date(1980, 3, 1), employment_status=6,
               worked_last_week=True, has_business=True),
        member("A2", "A", relationship=2, sex="F", birth_date=date(1988, 5, 10), pregnant=True,
               disability=4),
        member("A3", "A", relationship=3, birth_date=date(2008, 1, 15), school_participation=1,
               education_level=13),  # SMA, 17
        member("A4", "A", relationship=3, birth_date=date(2010, 2, 1), school_participation=1,
               education_level=8),  # SMP, 15
        member("A5", "A", relationship=3, birth_date=date(2012, 7, 1), school_participation=1,
               education_level=3),  # SD, 12 (13th birthday is tomorrow)
        member("A6", "A", relationship=3, birth_date=date(2014, 6, 30), school_participation=1,
               education_level=4),  # SD (MI), 11 today
        member("A7", "A", relationship=6, sex="F", birth_date=date(1950, 1, 1)),  # 75
        member("B1", "B", relationship=1, birth_date=date(1985, 1, 1), employment_status=5),
        member("B2", "B", relationship=2, sex="F", birth_date=date(1987, 1, 1)),
        member("B3", "B", relationship=3, birth_date=date(2017, 1, 1), school_participation=1,
               education_level=3),
        member("C1", "C", relationship=1, birth_date=date(1955, 1, 1), status="deceased"),
        member("C2", "C", relationship=2, sex="F", birth_date=date(1959, 1, 1)),  # 66
        member("C3", "C", relationship=3, birth_date=date(2020, 1, 1), status="unknown"),
        member("C4", "C", relationship=3, birth_date=None, pregnant=None,
               school_participation=None, education_level=None, employment_status=None,
               disability=None, has_business=None),
        member("D1", "D", relationship=1, status="deceased"),
        member("E1", "E", relationship=1, birth_date=date(1995, 1, 1)),
        member("F1", "F", relationship=1, birth_date=date(1960, 1, 1)),  # 65: too old
        member("F2", "F", relationship=2, birth_date=date(1970, 5, 5)),
        member("F3", "F", relationship=3, birth_date=date(1990, 1, 1)),
        member("F4", "F", relationship=3, birth_date=date(2000, 2, 2)),
        member("F5", "F", relationship=3, birth_date=date(2010, 1, 1), school_participation=1,
               education_level=8),
        member("G1", "G", relationship=1, birth_date=date(1995, 1, 1)),
        member("H1-a", "H1", relationship=1),
        member("H1-b", "H1", relationship=2),
        member("H2-a", "H2", relationship=1),
        member("H2-c", "H2", relationship=2),
        member("H2-b", "H3", relationship=1),
    ]  # fmt: skip
    return hh, mm


def as_release(con: duckdb.DuckDBPyConnection) -> None:
    """Keep only what a published release holds: the rank tables, eligibility (as a table) and
    pkh_components; drop the engine's companion tables."""
    con.execute("CREATE TABLE _copy AS SELECT * FROM eligibility")
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'eligibility'"
    ).fetchone()
    con.execute("DROP VIEW eligibility" if kind and "VIEW" in kind[0] else "DROP TABLE eligibility")
    con.execute("ALTER TABLE _copy RENAME TO eligibility")
    for table in ("eligibility_quota", "eligibility_households", "eligibility_persons",
                  "eligibility_masks"):  # fmt: skip
        con.execute(f"DROP TABLE {table}")
