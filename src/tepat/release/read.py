"""Open a published release for queries: its tables in a DuckDB connection, under the names the
ranking and the rules engine use (``rank_households``, ``rank_members``, ``eligibility``,
``pkh_components``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from tepat.eligibility import RuleSet, load_rules
from tepat.release.publish import MANIFEST

TABLES = {
    "rank_households": "households.parquet",
    "rank_members": "members.parquet",
    "eligibility": "eligibility.parquet",
    "pkh_components": "pkh_components.parquet",
    "eligibility_quota": "eligibility_quota.parquet",
    "truth_deciles": "truth_deciles.parquet",  # only in releases run against synthetic truth
}


def release_rules(folder: Path) -> RuleSet:
    """The program rules a release was made with, its overrides (e.g. scaled quotas) applied."""
    rules = load_rules(folder / "rules")
    overrides = folder / "rules" / "overrides.json"
    if overrides.exists():
        rules = rules.with_overrides(json.loads(overrides.read_text()))
    return rules


def open_release(folder: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, Any]]:
    """A connection holding the release's tables, and its manifest."""
    con = duckdb.connect()
    for table, name in TABLES.items():
        if not (folder / name).exists():
            continue
        path = str(folder / name).replace("'", "''")
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{path}')")
    return con, json.loads((folder / MANIFEST).read_text())
