"""What changed between two releases: who entered or left each program and each desil, and why.

Households are matched by ``family_id`` and people by ``person_key`` (both stable while the
sources are). A reason is given for every change: a household that is new or gone, a desil that
moved (with both values), or, when the desil did not move, the first program condition that now
fails (or no longer fails).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def diff_releases(
    con: duckdb.DuckDBPyConnection, old: Path, new: Path, *, biggest: int = 25
) -> dict[str, Any]:
    """Compare release folders ``old`` and ``new`` (their households and eligibility files)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE d_h AS
        SELECT coalesce(n.family_id, o.family_id) AS family_id,
               o.desil AS old_desil, n.desil AS new_desil,
               coalesce(n.village_code, o.village_code) AS village_code,
               o.members AS old_members, n.members AS new_members,
               o.predicted_pce AS old_pce, n.predicted_pce AS new_pce
        FROM read_parquet('{_q(old / "households.parquet")}') o
        FULL JOIN read_parquet('{_q(new / "households.parquet")}') n USING (family_id)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE d_e AS
        SELECT coalesce(n.program, o.program) AS program,
               coalesce(n.family_id, o.family_id) AS family_id,
               coalesce(n.person_key, o.person_key) AS person_key,
               coalesce(o.eligible, false) AS was, coalesce(n.eligible, false) AS now,
               n.failed AS new_failed, o.failed AS old_failed
        FROM (SELECT * FROM read_parquet('{_q(old / "eligibility.parquet")}') WHERE eligible) o
        FULL JOIN (SELECT * FROM read_parquet('{_q(new / "eligibility.parquet")}')) n
          ON n.program = o.program AND n.family_id = o.family_id
         AND n.person_key IS NOT DISTINCT FROM o.person_key
        WHERE coalesce(o.eligible, false) <> coalesce(n.eligible, false)
        """
    )
    reasons = con.sql(
        """
        SELECT e.program, e.now AS entered,
               CASE
                 WHEN h.old_desil IS NULL THEN 'new_household'
                 WHEN h.new_desil IS NULL THEN 'household_gone'
                 WHEN e.person_key IS NOT NULL AND e.new_failed IS NULL THEN 'person_gone'
                 WHEN h.new_desil < h.old_desil THEN 'desil_down'
                 WHEN h.new_desil > h.old_desil THEN 'desil_up'
                 WHEN NOT e.now AND len(e.new_failed) > 0 THEN 'rule:' || e.new_failed[1]
                 ELSE 'rule_change'
               END AS reason,
               count(*) AS n
        FROM d_e e LEFT JOIN d_h h USING (family_id)
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    programs: dict[str, dict[str, Any]] = {}
    for program, entered, reason, n in reasons:
        entry = programs.setdefault(
            program,
            {
                "program": program,
                "entered": 0,
                "left": 0,
                "reasons_entered": {},
                "reasons_left": {},
            },
        )
        side = "entered" if entered else "left"
        entry[side] += int(n)
        entry[f"reasons_{side}"][reason] = int(n)
    moves = con.execute(
        """
        SELECT old_desil, new_desil, count(*) FROM d_h
        WHERE old_desil IS NOT NULL AND new_desil IS NOT NULL GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    counts = con.execute(
        "SELECT count(*) FILTER (WHERE old_desil IS NULL), count(*) FILTER (WHERE new_desil IS "
        "NULL), count(*) FILTER (WHERE old_desil <> new_desil) FROM d_h"
    ).fetchall()[0]
    movements = con.execute(
        f"""
        SELECT family_id, village_code, old_desil, new_desil, old_members, new_members,
               old_pce, new_pce
        FROM d_h WHERE old_desil IS NOT NULL AND new_desil IS NOT NULL AND old_desil <> new_desil
        ORDER BY abs(new_desil - old_desil) DESC, family_id LIMIT {int(biggest)}
        """
    ).fetchall()
    return {
        "previous_release_id": old.name,
        "programs": [programs[p] for p in sorted(programs)],
        "desil_moves": [[int(a), int(b), int(n)] for a, b, n in moves],
        "new_households": int(counts[0]),
        "gone_households": int(counts[1]),
        "households_changed_desil": int(counts[2]),
        "movements": [
            {
                "family": fam,
                "village_code": village,
                "from_desil": int(a),
                "to_desil": int(b),
                "reason": _movement_reason(om, nm, op, np_),
            }
            for fam, village, a, b, om, nm, op, np_ in movements
        ],
    }


def _movement_reason(
    old_members: int | None, new_members: int | None, old_pce: float | None, new_pce: float | None
) -> str:
    parts = []
    if old_members is not None and new_members is not None and old_members != new_members:
        parts.append(f"members {old_members} -> {new_members}")
    if old_pce and new_pce:
        parts.append(f"predicted pce {100 * (new_pce / old_pce - 1):+.0f}%")
    return "; ".join(parts) or "re-ranked"
