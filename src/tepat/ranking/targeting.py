"""Targeting accuracy against the synthetic ground truth, with baselines and field verification.

Every golden household is matched to the truth through its members' source records (the true
person behind each record, the true household that person lives in at the data cut, and that
household's true per-capita expenditure). Households are compared people-weighted:

* **true desil**: the households ranked by true pce into people-weighted deciles, exactly as the
  model's deciles are built;
* at a cut ``c`` (desil 1..c), a household is *targeted* if its predicted desil <= c and *poor*
  if its true desil <= c. As in Alatas et al. (AER 2012, Table 3) **inclusion error** is the
  share of the non-poor who are targeted, **exclusion error** the share of the poor who are not,
  **mistargeting** the share of all people on the wrong side. A household whose members are all
  dead or unknown in the truth (a stale listing) is never poor: selecting it is an inclusion
  error.

Baselines scored in the same run: the plain national OLS PMT and a naive housing score (a count
of poor-dwelling indicators, no model). ``simulate_verification`` replays the two-stage check on
the truth: villages propose some excluded poor families (and some that are not poor), residents
object to some included families, and a facilitator's ground check measures welfare with error;
the report shows how much error it removes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np

from tepat.errors import InvalidInput

ANCHOR: Final = {"mistargeting": 0.30, "inclusion_error": 0.18, "exclusion_error": 0.52}

# Poor-dwelling indicators of the naive baseline (Regsosek codes).
HOUSING_SCORE_SQL: Final = """
    (coalesce(h.floor_material, 0) IN (7, 8))::INT          -- bamboo or earth floor
  + (coalesce(h.wall_material, 0) IN (4, 5, 6, 7))::INT     -- woven bamboo, logs, bamboo, other
  + (coalesce(h.roof_material, 0) IN (5, 6, 7, 8))::INT     -- bamboo, wood, straw/palm, other
  + (coalesce(h.lighting, 0) IN (3, 4))::INT                -- not PLN / not electric
  + (coalesce(h.cooking_fuel, 0) IN (6, 7, 8, 9, 10))::INT  -- kerosene .. firewood
  + (coalesce(h.toilet_facility, 0) IN (4, 5, 6))::INT      -- shared / public / none
  + (coalesce(h.excreta_disposal, 0) IN (3, 4, 5, 6))::INT  -- no septic tank
  + (coalesce(h.floor_area_m2, 99) / greatest(h.members, 1) < 8)::INT
"""


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def load_truth(con: duckdb.DuckDBPyConnection, truth_dir: Path, run_folder: Path) -> dict[str, int]:
    """Create ``truth_households``: family_id, true_log_pce (NULL for a stale listing)."""
    needed = ["source_records.parquet", "people.parquet", "households.parquet"]
    missing = [n for n in needed if not (truth_dir / n).exists()]
    if missing:
        raise InvalidInput(
            f"{truth_dir} is not a synthetic truth folder (missing {', '.join(missing)})"
        )
    rec, truth_rec = _quote(run_folder / "records.parquet"), _quote(truth_dir / needed[0])
    people, households = _quote(truth_dir / needed[1]), _quote(truth_dir / needed[2])
    con.execute(
        f"""
        CREATE OR REPLACE TABLE truth_households AS
        WITH lab AS (
            SELECT r.family_id, t.person_id
            FROM read_parquet('{rec}') r
            JOIN read_parquet('{truth_rec}') t USING (source, record_id)
            WHERE r.family_id IS NOT NULL AND t.person_id >= 0
        ),
        alive AS (
            SELECT DISTINCT l.family_id, p.person_id, p.household_now
            FROM lab l JOIN read_parquet('{people}') p USING (person_id)
            WHERE p.died_on IS NULL AND p.household_now >= 0
        ),
        home AS (  -- the true household most of the family's living members live in now
            SELECT family_id, mode(household_now ORDER BY household_now) AS household_id
            FROM alive GROUP BY family_id
        )
        SELECT h.family_id, ln(t.pce_now) AS true_log_pce
        FROM rank_households h
        LEFT JOIN home USING (family_id)
        LEFT JOIN read_parquet('{households}') t ON t.household_id = home.household_id
                                                AND t.status = 'active'
        ORDER BY h.family_id
        """
    )
    row = con.execute("SELECT count(*), count(true_log_pce) FROM truth_households").fetchall()[0]
    return {"households": int(row[0]), "matched": int(row[1])}


def true_deciles(con: duckdb.DuckDBPyConnection) -> None:
    """``true_ranked``: family_id, members, true desil (people-weighted, NULL for stale)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE true_scores AS
        SELECT family_id, true_log_pce AS log_pce FROM truth_households
        WHERE true_log_pce IS NOT NULL
        """
    )
    from tepat.ranking.deciles import rank

    rank(con, scores="true_scores", out="true_ranked")


def housing_scores(con: duckdb.DuckDBPyConnection, out: str = "housing_scores") -> None:
    """The naive baseline as a score table (higher score = poorer, so log_pce = -score)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {out} AS SELECT family_id, -({HOUSING_SCORE_SQL})::DOUBLE "
        "AS log_pce FROM rank_households h"
    )


@dataclass(frozen=True)
class Errors:
    """Targeting errors of one selection at one cut (people-weighted)."""

    people: int
    targeted: int
    poor: int
    mistargeting: float
    inclusion_error: float
    exclusion_error: float
    right_decile_share: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def _errors(w: np.ndarray, targeted: np.ndarray, poor: np.ndarray) -> Errors:
    total = float(w.sum()) or 1.0
    nonpoor_w = float(w[~poor].sum()) or 1.0
    poor_w = float(w[poor].sum()) or 1.0
    return Errors(
        people=int(w.sum()),
        targeted=int(w[targeted].sum()),
        poor=int(w[poor].sum()),
        mistargeting=round(float(w[targeted != poor].sum()) / total, 4),
        inclusion_error=round(float(w[targeted & ~poor].sum()) / nonpoor_w, 4),
        exclusion_error=round(float(w[poor & ~targeted].sum()) / poor_w, 4),
    )


def _frame(con: duckdb.DuckDBPyConnection, ranked: str) -> dict[str, np.ndarray]:
    """Aligned arrays over every ranked household: weight, predicted and true desil, region."""
    rows = con.sql(
        f"""
        SELECT r.family_id, greatest(r.members, 0) AS w, r.desil,
               coalesce(t.desil, 99) AS true_desil, h.district_code, h.regency_code,
               coalesce(th.true_log_pce, 'NaN'::DOUBLE) AS true_log_pce, r.predicted_pce
        FROM {ranked} r
        JOIN rank_households h USING (family_id)
        JOIN truth_households th USING (family_id)
        LEFT JOIN true_ranked t USING (family_id)
        ORDER BY r.family_id
        """
    ).to_arrow_table()
    return {name: rows.column(name).to_numpy(zero_copy_only=False) for name in rows.column_names}


def errors_at(con: duckdb.DuckDBPyConnection, ranked: str, cut: int) -> Errors:
    """Errors of ``ranked`` (a table with family_id, members, desil) at desil 1..cut."""
    f = _frame(con, ranked)
    w = f["w"].astype(float)
    e = _errors(w, f["desil"] <= cut, f["true_desil"] <= cut)
    right = float(w[f["desil"] == f["true_desil"]].sum()) / (float(w.sum()) or 1.0)
    return Errors(**{**e.as_dict(), "right_decile_share": round(right, 4)})


def errors_by_region(
    con: duckdb.DuckDBPyConnection, ranked: str, cut: int, level: str = "district_code"
) -> list[dict[str, Any]]:
    """``errors_at`` per region code (district by default)."""
    f = _frame(con, ranked)
    out = []
    for code in sorted(set(f[level].tolist())):
        sel = f[level] == code
        w = f["w"][sel].astype(float)
        e = _errors(w, f["desil"][sel] <= cut, f["true_desil"][sel] <= cut)
        out.append({"code": str(code), **e.as_dict()})
    return out


def simulate_verification(
    con: duckdb.DuckDBPyConnection,
    ranked: str,
    cut: int,
    *,
    proposal_rate: float = 0.30,
    false_proposal_rate: float = 0.05,
    objection_rate: float = 0.30,
    false_objection_rate: float = 0.02,
    ground_check_sd: float = 0.20,
    seed: int = 20250305,
) -> dict[str, Any]:
    """Replay usulan + ground check and sanggah + ground check on the truth at desil 1..cut.

    Villages propose ``proposal_rate`` of the excluded poor and ``false_proposal_rate`` of the
    excluded non-poor; residents object to ``objection_rate`` of the included non-poor and
    ``false_objection_rate`` of the included poor. A ground check sees true log pce plus normal
    error (sd ``ground_check_sd``) and keeps or adds a family when that is at or below the
    predicted pce at the cut. Deterministic for a seed: draws follow the family id order.
    """
    f = _frame(con, ranked)
    w = f["w"].astype(float)
    targeted = f["desil"] <= cut
    poor = f["true_desil"] <= cut
    if not targeted.any():
        raise InvalidInput(f"no household is in desil 1-{cut}; nothing to verify")
    threshold = float(np.log(f["predicted_pce"][targeted].max()))
    rng = np.random.default_rng(seed)
    u = rng.random(len(w))
    noise = rng.normal(0.0, ground_check_sd, len(w))
    truth = f["true_log_pce"]
    measured = np.where(np.isnan(truth), np.inf, truth + noise)  # a stale listing fails
    proposed = ~targeted & np.where(poor, u < proposal_rate, u < false_proposal_rate)
    objected = targeted & np.where(poor, u < false_objection_rate, u < objection_rate)
    passes = measured <= threshold
    after = targeted.copy()
    after[proposed & passes] = True
    after[objected & ~passes] = False
    before = _errors(w, targeted, poor)
    result = _errors(w, after, poor)
    return {
        "cut": cut,
        "before": before.as_dict(),
        "after": result.as_dict(),
        "proposals_verified": int(proposed.sum()),
        "proposals_accepted": int((proposed & passes).sum()),
        "objections_verified": int(objected.sum()),
        "objections_upheld": int((objected & ~passes).sum()),
        "assumptions": {
            "proposal_rate": proposal_rate,
            "false_proposal_rate": false_proposal_rate,
            "objection_rate": objection_rate,
            "false_objection_rate": false_objection_rate,
            "ground_check_sd": ground_check_sd,
            "seed": seed,
        },
    }
