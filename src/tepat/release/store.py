"""Load a published release into the registry database (the caller owns the transaction).

Loading is idempotent: a release already loaded is replaced by the same rows. The loaded release
becomes the current one; the households are linked to the registry's households by family key.
A loaded release never changes, so its per-village aggregates (households by desil, programs) are
written once here (:func:`summarise_release`) for the dashboard to sum.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Connection, delete, insert, select, text, update

from tepat.registry.bulk import insert_chunked
from tepat.registry.models import Household
from tepat.release.models import (
    Release,
    ReleaseBeneficiary,
    ReleaseDistrictProgramSummary,
    ReleaseDistrictSummary,
    ReleaseHousehold,
    ReleaseProgramSummary,
    ReleaseVillageSummary,
)
from tepat.release.publish import MANIFEST


def load_release(conn: Connection, folder: Path) -> dict[str, int]:
    """Load the release in ``folder``; returns the rows written per table."""
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    rid = manifest["release_id"]
    for table in _SUMMARIES:
        conn.execute(delete(table).where(table.release_id == rid))
    conn.execute(delete(ReleaseBeneficiary).where(ReleaseBeneficiary.release_id == rid))
    conn.execute(delete(ReleaseHousehold).where(ReleaseHousehold.release_id == rid))
    conn.execute(delete(Release).where(Release.id == rid))
    conn.execute(update(Release).values(is_current=False))
    conn.execute(
        insert(Release).values(
            id=rid,
            data_cut=date.fromisoformat(manifest["data_cut"]),
            model_version=manifest["versions"]["model"],
            rules_version=manifest["versions"]["rules"],
            previous_id=manifest.get("previous_release_id"),
            is_current=True,
            manifest={k: v for k, v in manifest.items() if k != "files"},
        )
    )
    registry_ids = dict(
        conn.execute(
            select(Household.family_key, Household.id).where(Household.family_key.is_not(None))
        ).all()
    )
    households = pq.read_table(
        folder / "households.parquet",
        columns=["family_id", "village_code", "members", "desil", "percentile", "predicted_pce"],
    ).to_pylist()
    insert_chunked(
        conn,
        ReleaseHousehold,
        (
            {"release_id": rid, "household_id": registry_ids.get(h["family_id"]), **h}
            for h in households
        ),
    )
    decisions = pq.read_table(
        folder / "eligibility.parquet",
        columns=["program", "family_id", "person_key", "eligible", "amount_year"],
    )
    chosen = decisions.filter(pc.field("eligible")).drop_columns(["eligible"]).to_pylist()
    insert_chunked(conn, ReleaseBeneficiary, ({"release_id": rid, **row} for row in chosen))
    summary = summarise_release(conn, rid)
    return {"households": len(households), "beneficiaries": len(chosen), **summary}


# The same statements back-fill releases loaded before the summary tables existed (migration
# 0010): keep them in step. ``{where}`` limits them to one release.
VILLAGE_SUMMARY_SQL = """
INSERT INTO release_village_summary (release_id, village_code, desil, province_code,
    regency_code, district_code, households, people, reached, cost_year)
SELECT h.release_id, h.village_code, h.desil, substr(h.village_code, 1, 2),
    substr(h.village_code, 1, 5), substr(h.village_code, 1, 8), count(*), sum(h.members),
    count(b.family_id), coalesce(sum(b.cost_year), 0)
FROM release_households h
LEFT JOIN (
    SELECT release_id, family_id, sum(amount_year) AS cost_year
    FROM release_beneficiaries {where}
    GROUP BY release_id, family_id
) b ON b.release_id = h.release_id AND b.family_id = h.family_id
{where_h}
GROUP BY h.release_id, h.village_code, h.desil
"""

PROGRAM_SUMMARY_SQL = """
INSERT INTO release_program_summary (release_id, village_code, program, province_code,
    regency_code, district_code, beneficiaries, households, cost_year)
SELECT b.release_id, h.village_code, b.program, substr(h.village_code, 1, 2),
    substr(h.village_code, 1, 5), substr(h.village_code, 1, 8), count(*),
    count(DISTINCT b.family_id), sum(b.amount_year)
FROM release_beneficiaries b
JOIN release_households h ON h.release_id = b.release_id AND h.family_id = b.family_id
{where_b}
GROUP BY b.release_id, h.village_code, b.program
"""


DISTRICT_SUMMARY_SQL = """
INSERT INTO release_district_summary (release_id, district_code, desil, province_code,
    regency_code, households, people, reached, cost_year)
SELECT release_id, district_code, desil, province_code, regency_code, sum(households),
    sum(people), sum(reached), sum(cost_year)
FROM release_village_summary {where}
GROUP BY release_id, district_code, desil, province_code, regency_code
"""

DISTRICT_PROGRAM_SUMMARY_SQL = """
INSERT INTO release_district_program_summary (release_id, district_code, program, province_code,
    regency_code, beneficiaries, households, cost_year)
SELECT release_id, district_code, program, province_code, regency_code, sum(beneficiaries),
    sum(households), sum(cost_year)
FROM release_program_summary {where}
GROUP BY release_id, district_code, program, province_code, regency_code
"""

_SUMMARIES = (
    ReleaseDistrictProgramSummary,
    ReleaseDistrictSummary,
    ReleaseProgramSummary,
    ReleaseVillageSummary,
)


def summarise_release(conn: Connection, release_id: str) -> dict[str, int]:
    """(Re)write the release's village and program summaries from its households and
    beneficiaries; returns the rows written per table. Call it after any change to the release's
    rows (loading does)."""
    for table in _SUMMARIES:
        conn.execute(delete(table).where(table.release_id == release_id))
    villages = conn.execute(
        text(
            VILLAGE_SUMMARY_SQL.format(
                where="WHERE release_id = :rid", where_h="WHERE h.release_id = :rid"
            )
        ),
        {"rid": release_id},
    ).rowcount
    programs = conn.execute(
        text(PROGRAM_SUMMARY_SQL.format(where_b="WHERE b.release_id = :rid")),
        {"rid": release_id},
    ).rowcount
    for sql in (DISTRICT_SUMMARY_SQL, DISTRICT_PROGRAM_SUMMARY_SQL):
        conn.execute(text(sql.format(where="WHERE release_id = :rid")), {"rid": release_id})
    return {"village_summary": int(villages or 0), "program_summary": int(programs or 0)}
