"""The ranking's view of the registry: one row per family and one per person, from golden records.

``load_inputs`` reads an integration run (golden households and people, and the source records
behind them) into two DuckDB tables that the PMT, the deciles and the program rules all read:

``rank_members``  person_key (the smallest source record key of the person: stable across runs
                  on the same sources), family_id, NIK and name (for beneficiary lists only),
                  demography and block IV items, ``status``
                  (alive, or unknown when the family's newest census no longer lists the person),
                  ``age`` in completed years at the data cut.
``rank_households`` family_id, region codes, ``urban`` (kelurahan codes are 1xxx), ``members``
                  (people with status alive), the block III and V items, and whether the family
                  is on the older welfare lists (``listed_dtks``, ``listed_p3ke``).

Rows are ordered by key, so everything computed from them is deterministic.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from tepat.errors import InvalidInput
from tepat.registry.fields import HOUSEHOLD_ITEMS

_NEEDED = ("golden_households.parquet", "golden_people.parquet", "records.parquet")


def _path(folder: Path, name: str) -> str:
    return str(folder / name).replace("'", "''")


def load_inputs(con: duckdb.DuckDBPyConnection, run_folder: Path, data_cut: date) -> dict[str, int]:
    """Create ``rank_households`` and ``rank_members`` from the run in ``run_folder``."""
    missing = [n for n in _NEEDED if not (run_folder / n).exists()]
    if missing:
        raise InvalidInput(
            f"{run_folder} is not a complete integration run (missing {', '.join(missing)}); "
            "run `tepat integrate` first"
        )
    gh, gp, rec = (_path(run_folder, n) for n in _NEEDED)
    items = ", ".join(f"h.{name}" for name in HOUSEHOLD_ITEMS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _person_key AS
        SELECT cluster_id, min(source || ':' || record_id) AS person_key
        FROM read_parquet('{rec}') GROUP BY cluster_id
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE rank_members AS
        WITH census AS (
            SELECT family_id FROM read_parquet('{gh}') WHERE list_contains(sources, 'regsosek')
        )
        SELECT k.person_key, p.family_id, p.nik, p.full_name, p.sex, p.birth_date,
               CASE WHEN p.birth_date IS NULL OR p.birth_date > DATE '{data_cut}' THEN NULL
                    ELSE date_diff('year', p.birth_date, DATE '{data_cut}')
                         - CASE WHEN strftime(p.birth_date, '%m%d')
                                     > strftime(DATE '{data_cut}', '%m%d') THEN 1 ELSE 0 END
               END::INTEGER AS age,
               p.relationship::SMALLINT AS relationship,
               p.marital_status::SMALLINT AS marital_status,
               p.pregnant, p.school_participation::SMALLINT AS school_participation,
               p.education_level::SMALLINT AS education_level,
               p.employment_status::SMALLINT AS employment_status,
               p.worked_last_week, p.has_business,
               p.disability::SMALLINT AS disability,
               p.chronic_disease::SMALLINT AS chronic_disease,
               CASE WHEN c.family_id IS NOT NULL AND NOT list_contains(p.sources, 'regsosek')
                    THEN 'unknown' ELSE 'alive' END AS status
        FROM read_parquet('{gp}') p
        JOIN _person_key k USING (cluster_id)
        LEFT JOIN census c USING (family_id)
        WHERE p.family_id IS NOT NULL
        ORDER BY k.person_key
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE rank_households AS
        WITH m AS (
            SELECT family_id, count(*) FILTER (WHERE status = 'alive') AS members
            FROM rank_members GROUP BY family_id
        )
        SELECT h.family_id, h.kk,
               substr(h.village_code, 1, 2) AS province_code,
               substr(h.village_code, 1, 5) AS regency_code,
               substr(h.village_code, 1, 8) AS district_code,
               h.village_code,
               substr(h.village_code, 10, 1) = '1' AS urban,
               coalesce(m.members, 0)::INTEGER AS members,
               h.programs_received::INTEGER AS programs_received,
               list_contains(h.sources, 'dtks') AS listed_dtks,
               list_contains(h.sources, 'p3ke') AS listed_p3ke,
               {items}
        FROM read_parquet('{gh}') h
        LEFT JOIN m USING (family_id)
        WHERE h.village_code IS NOT NULL AND length(h.village_code) = 13
        ORDER BY h.family_id
        """
    )
    dropped = con.execute(
        f"SELECT count(*) FROM read_parquet('{gh}') "
        "WHERE village_code IS NULL OR length(village_code) <> 13"
    ).fetchall()[0][0]
    counts = con.execute(
        "SELECT (SELECT count(*) FROM rank_households), (SELECT count(*) FROM rank_members), "
        "(SELECT count(*) FROM rank_members WHERE status = 'alive')"
    ).fetchall()[0]
    return {
        "households": int(counts[0]),
        "people": int(counts[1]),
        "people_alive": int(counts[2]),
        "households_without_village": int(dropped),
    }
