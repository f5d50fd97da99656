"""What-if: change a decile cut, an amount or a quota and compare with the current rules.

``simulate`` runs the current rules and the changed rules over the same ranked households (a
release's tables) and reports per program and region: beneficiaries, people covered and yearly
cost before and after, who would enter or leave, and, when the release carries the synthetic
truth's deciles (``truth_deciles``), inclusion and exclusion error before and after. Errors
compare the decisions on predicted deciles with the same rules applied to the true deciles, so a
changed cut is judged against the population it now means to reach.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from tepat.eligibility.engine import evaluate
from tepat.eligibility.rules import RuleSet
from tepat.errors import InvalidInput

_LEVELS = ("regency_code", "district_code", "village_code", "province_code")


def _run(con: duckdb.DuckDBPyConnection, rules: RuleSet, ref: date, out: str) -> None:
    evaluate(con, rules, ref)
    con.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT * FROM eligibility")


def true_decile_decisions(
    con: duckdb.DuckDBPyConnection, rules: RuleSet, ref: date, out: str
) -> None:
    """The rules' decisions on the true deciles (table ``truth_deciles``) into table ``out``."""
    con.execute("ALTER TABLE rank_households RENAME TO _rank_households_model")
    con.execute(
        """
        CREATE TABLE rank_households AS
        SELECT h.* REPLACE (coalesce(t.true_desil, 11)::SMALLINT AS desil)
        FROM _rank_households_model h LEFT JOIN truth_deciles t USING (family_id)
        """
    )
    try:
        _run(con, rules, ref, out)
    finally:
        con.execute("DROP TABLE rank_households")
        con.execute("ALTER TABLE _rank_households_model RENAME TO rank_households")


def _summary(con: duckdb.DuckDBPyConnection, table: str, level: str) -> dict[tuple[str, str], Any]:
    rows = con.execute(
        f"""
        SELECT e.program, h.{level}, count(*) FILTER (WHERE e.eligible),
               coalesce(sum(CASE WHEN e.person_key IS NULL THEN h.members ELSE 1 END)
                        FILTER (WHERE e.eligible), 0),
               coalesce(sum(e.amount_year), 0)
        FROM {table} e JOIN rank_households h USING (family_id)
        GROUP BY ALL
        """
    ).fetchall()
    return {(p, r): (int(b), int(pe), int(c)) for p, r, b, pe, c in rows}


def program_errors(
    con: duckdb.DuckDBPyConnection, got: str, should: str
) -> dict[str, dict[str, float | int]]:
    """Per program, people-weighted: inclusion and exclusion error of the decisions in ``got``
    against those in ``should``, and how many people each selects."""
    rows = con.execute(
        f"""
        WITH j AS (
            SELECT m.program, m.eligible AS got, o.eligible AS should,
                   CASE WHEN m.person_key IS NULL THEN h.members ELSE 1 END AS w
            FROM {got} m
            JOIN {should} o ON o.program = m.program AND o.family_id = m.family_id
                 AND o.person_key IS NOT DISTINCT FROM m.person_key
            JOIN rank_households h ON h.family_id = m.family_id
        )
        SELECT program,
               sum(w) FILTER (WHERE got AND NOT should)
                   / nullif(sum(w) FILTER (WHERE NOT should), 0),
               sum(w) FILTER (WHERE should AND NOT got) / nullif(sum(w) FILTER (WHERE should), 0),
               sum(w) FILTER (WHERE got), sum(w) FILTER (WHERE should)
        FROM j GROUP BY program
        """
    ).fetchall()
    return {
        p: {
            "inclusion_error": round(float(i or 0), 4),
            "exclusion_error": round(float(e or 0), 4),
            "people_selected": int(n or 0),
            "people_who_should_be": int(t or 0),
        }
        for p, i, e, n, t in rows
    }


def simulate(
    con: duckdb.DuckDBPyConnection,
    current: RuleSet,
    changed: RuleSet,
    reference_date: date,
    *,
    level: str = "district_code",
) -> dict[str, Any]:
    """Compare ``changed`` with ``current`` on the households in ``con``; see the module doc."""
    if level not in _LEVELS:
        raise InvalidInput(f"--by must be one of {', '.join(_LEVELS)}, not {level!r}")
    _run(con, current, reference_date, "_sim_before")
    _run(con, changed, reference_date, "_sim_after")
    has_truth = bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'truth_deciles'"
        ).fetchall()[0][0]
    )
    errors_before: dict[str, dict[str, float | int]] = {}
    errors_after: dict[str, dict[str, float | int]] = {}
    if has_truth:
        true_decile_decisions(con, current, reference_date, "_sim_true_before")
        true_decile_decisions(con, changed, reference_date, "_sim_true_after")
        errors_before = program_errors(con, "_sim_before", "_sim_true_before")
        errors_after = program_errors(con, "_sim_after", "_sim_true_after")
    moves = dict(
        ((p, entered), int(n))
        for p, entered, n in con.execute(
            """
            SELECT a.program, a.eligible, count(*)
            FROM _sim_after a JOIN _sim_before b ON a.program = b.program
                 AND a.family_id = b.family_id AND a.person_key IS NOT DISTINCT FROM b.person_key
            WHERE a.eligible <> b.eligible GROUP BY ALL
            """
        ).fetchall()
    )
    before = _summary(con, "_sim_before", level)
    after = _summary(con, "_sim_after", level)
    programs = []
    for pid in sorted(changed.programs):
        b = [sum(v[i] for (p, _), v in before.items() if p == pid) for i in range(3)]
        a = [sum(v[i] for (p, _), v in after.items() if p == pid) for i in range(3)]
        programs.append(
            {
                "program": pid,
                "beneficiaries": {"current": b[0], "simulated": a[0]},
                "people_covered": {"current": b[1], "simulated": a[1]},
                "cost_year": {"current": b[2], "simulated": a[2]},
                "entered": moves.get((pid, True), 0),
                "left": moves.get((pid, False), 0),
                "errors": (
                    {"current": errors_before.get(pid), "simulated": errors_after.get(pid)}
                    if has_truth
                    else None
                ),
            }
        )
    regions = []
    for pid, region in sorted(set(before) | set(after), key=lambda k: (k[0], str(k[1]))):
        b0 = before.get((pid, region), (0, 0, 0))
        a0 = after.get((pid, region), (0, 0, 0))
        if b0 != a0:
            regions.append(
                {
                    "program": pid,
                    "region": region,
                    "beneficiaries": {"current": b0[0], "simulated": a0[0]},
                    "cost_year": {"current": b0[2], "simulated": a0[2]},
                }
            )
    for table in ("_sim_before", "_sim_after", "_sim_true_before", "_sim_true_after"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return {
        "current_rules": current.version,
        "simulated_rules": changed.version,
        "has_truth": has_truth,
        "programs": programs,
        "regions_changed": regions,
        "level": level,
    }
