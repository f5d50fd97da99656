"""Family by family: what changed between a release and the one before it, for the release pages.

``tepat.release.diff`` counts the changes; a page must also list them (who entered or left each
program and each desil, and why), filtered by program and region, one page at a time. The list
is computed once per pair of releases (seconds with a million people, so in a background job,
see ``tepat.pages.jobs``) into ``<data_dir>/pages/changes/<old>__<new>.parquet`` (the release
folders themselves are immutable), sorted by village; each page then reads it with DuckDB,
filtered by the user's regions, in milliseconds.

Rows: ``kind`` ``program`` (a family or person entered or left a program) or ``desil`` (a family
moved between deciles, appeared or is gone), ``program`` ('' for desil rows), ``family_id``,
``person_key``, ``village_code``, ``entered`` (program rows), ``old_desil``, ``new_desil``,
``reason`` (``new_household``, ``household_gone``, ``person_gone``, ``desil_down``,
``desil_up``, ``rule`` or ``rule_change``), ``failed`` (the conditions that now fail, comma
separated), ``old_members``, ``new_members`` and ``pce_change`` (predicted expenditure, % change).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import duckdb

from tepat.release.publish import MANIFEST, release_folder, releases_dir

KINDS: Final = ("program", "desil")


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def changes_path(data_dir: Path, old: str, new: str) -> Path:
    """Where the changes from release ``old`` to ``new`` are kept."""
    return data_dir / "pages" / "changes" / f"{old}__{new}.parquet"


def previous_of(data_dir: Path, release_id: str, manifest: dict[str, Any]) -> str | None:
    """The release a release is compared with: its manifest's previous one, when on disk."""
    prev = manifest.get("previous_release_id")
    if prev and prev != release_id and (releases_dir(data_dir) / prev / MANIFEST).exists():
        return str(prev)
    return None


def build_changes(data_dir: Path, old: str, new: str) -> Path:
    """Compute the changes from ``old`` to ``new`` and write them (atomically); returns the file."""
    old_dir, new_dir = release_folder(data_dir, old), release_folder(data_dir, new)
    target = changes_path(data_dir, old, new)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        con.execute(
            f"""
            CREATE TEMP TABLE d_h AS
            SELECT coalesce(n.family_id, o.family_id) AS family_id,
                   o.desil AS old_desil, n.desil AS new_desil,
                   coalesce(n.village_code, o.village_code) AS village_code,
                   o.members AS old_members, n.members AS new_members,
                   o.predicted_pce AS old_pce, n.predicted_pce AS new_pce
            FROM read_parquet('{_q(old_dir / "households.parquet")}') o
            FULL JOIN read_parquet('{_q(new_dir / "households.parquet")}') n USING (family_id)
            """
        )
        con.execute(
            f"""
            CREATE TEMP TABLE d_e AS
            SELECT coalesce(n.program, o.program) AS program,
                   coalesce(n.family_id, o.family_id) AS family_id,
                   coalesce(n.person_key, o.person_key) AS person_key,
                   coalesce(n.eligible, false) AS now,
                   n.failed AS new_failed
            FROM (SELECT program, family_id, person_key, eligible
                  FROM read_parquet('{_q(old_dir / "eligibility.parquet")}') WHERE eligible) o
            FULL JOIN (SELECT program, family_id, person_key, eligible, failed
                       FROM read_parquet('{_q(new_dir / "eligibility.parquet")}')) n
              ON n.program = o.program AND n.family_id = o.family_id
             AND n.person_key IS NOT DISTINCT FROM o.person_key
            WHERE coalesce(o.eligible, false) <> coalesce(n.eligible, false)
            """
        )
        con.execute(
            f"""
            COPY (
              SELECT 'program' AS kind, e.program, e.family_id, e.person_key,
                     coalesce(h.village_code, '') AS village_code, e.now AS entered,
                     h.old_desil, h.new_desil,
                     CASE
                       WHEN h.old_desil IS NULL THEN 'new_household'
                       WHEN h.new_desil IS NULL THEN 'household_gone'
                       WHEN e.person_key IS NOT NULL AND e.new_failed IS NULL THEN 'person_gone'
                       WHEN h.new_desil < h.old_desil THEN 'desil_down'
                       WHEN h.new_desil > h.old_desil THEN 'desil_up'
                       WHEN NOT e.now AND len(e.new_failed) > 0 THEN 'rule'
                       ELSE 'rule_change'
                     END AS reason,
                     CASE WHEN NOT e.now THEN array_to_string(e.new_failed, ',') END AS failed,
                     h.old_members, h.new_members,
                     CASE WHEN h.old_pce > 0 AND h.new_pce > 0
                          THEN round(100 * (h.new_pce / h.old_pce - 1), 1) END AS pce_change
              FROM d_e e LEFT JOIN d_h h USING (family_id)
              UNION ALL
              SELECT 'desil', '', family_id, NULL, coalesce(village_code, ''), NULL,
                     old_desil, new_desil,
                     CASE WHEN old_desil IS NULL THEN 'new_household'
                          WHEN new_desil IS NULL THEN 'household_gone'
                          WHEN new_desil < old_desil THEN 'desil_down'
                          ELSE 'desil_up' END,
                     NULL, old_members, new_members,
                     CASE WHEN old_pce > 0 AND new_pce > 0
                          THEN round(100 * (new_pce / old_pce - 1), 1) END
              FROM d_h WHERE old_desil IS DISTINCT FROM new_desil
              ORDER BY village_code, family_id, kind DESC, program, person_key NULLS FIRST
            ) TO '{_q(tmp)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)
            """
        )
    finally:
        con.close()
    tmp.replace(target)
    return target


def _scope_sql(
    regions: tuple[str, ...] | None, column: str = "village_code"
) -> tuple[str, list[Any]]:
    """A WHERE fragment limiting ``column`` to dotted region prefixes (None: everything)."""
    if regions is None:
        return "TRUE", []
    if not regions:
        return "FALSE", []
    parts, args = [], []
    for r in regions:
        parts.append(f"({column} = ? OR starts_with({column}, ?))")
        args += [r, r + "."]
    return "(" + " OR ".join(parts) + ")", args


def _where(
    regions: tuple[str, ...] | None,
    *,
    program: str | None = None,
    region: str | None = None,
    direction: str | None = None,
) -> tuple[str, list[Any]]:
    where, args = _scope_sql(regions)
    clauses = [where]
    if region:
        more, extra = _scope_sql((region,))
        clauses.append(more)
        args += extra
    if program == "desil":
        clauses.append("kind = 'desil'")
    elif program:
        clauses.append("kind = 'program' AND program = ?")
        args.append(program)
    if direction in ("entered", "left"):  # program rows only: a desil move is both
        clauses.append("kind = 'program' AND entered = ?")
        args.append(direction == "entered")
    return " AND ".join(clauses), args


def page_of_changes(
    path: Path,
    regions: tuple[str, ...] | None,
    *,
    program: str | None = None,
    region: str | None = None,
    direction: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of changes in ``regions`` (None: all) and the number of matches."""
    where, args = _where(regions, program=program, region=region, direction=direction)
    total = _count(path, where, tuple(args))
    if offset >= total:
        return [], total
    con = duckdb.connect()
    try:
        # The file is sorted (village, family, ...) and DuckDB keeps the file's order: no sort.
        cur = con.execute(
            f"SELECT * FROM read_parquet('{_q(path)}') WHERE {where} LIMIT ? OFFSET ?",
            [*args, int(limit), int(offset)],
        )
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
    return rows, total


@lru_cache(maxsize=256)
def _count(path: Path, where: str, args: tuple[Any, ...]) -> int:
    """Matches of a filter (the file never changes once written, so counts are kept)."""
    con = duckdb.connect()
    try:
        row = con.execute(
            f"SELECT count(*) FROM read_parquet('{_q(path)}') WHERE {where}", list(args)
        )
        return int(row.fetchall()[0][0])
    finally:
        con.close()


@lru_cache(maxsize=64)
def summary_of_changes(path: Path, regions: tuple[str, ...] | None) -> dict[str, Any]:
    """Per program: how many entered and left in ``regions`` and why; per desil: how many
    families entered and left it; the desil moves; the districts with changes (the filter)."""
    where, args = _scope_sql(regions)
    src = f"read_parquet('{_q(path)}')"
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"""
            SELECT program, entered, reason, count(*) FROM {src}
            WHERE {where} AND kind = 'program' GROUP BY ALL ORDER BY ALL
            """,
            args,
        ).fetchall()
        deciles = con.execute(
            f"""
            SELECT d, count(*) FILTER (WHERE new_desil = d), count(*) FILTER (WHERE old_desil = d)
            FROM {src}, range(1, 11) t(d)
            WHERE {where} AND kind = 'desil' AND (new_desil = d OR old_desil = d)
            GROUP BY d ORDER BY d
            """,
            args,
        ).fetchall()
        districts = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT substr(village_code, 1, 8) AS d FROM {src} "
                f"WHERE {where} AND length(village_code) >= 8 ORDER BY d",
                args,
            ).fetchall()
        ]
        moves = con.execute(
            f"""
            SELECT old_desil, new_desil, count(*) FROM {src}
            WHERE {where} AND kind = 'desil' AND old_desil IS NOT NULL AND new_desil IS NOT NULL
            GROUP BY ALL ORDER BY ALL
            """,
            args,
        ).fetchall()
    finally:
        con.close()
    programs: dict[str, dict[str, Any]] = {}
    for program, entered, reason, n in rows:
        entry = programs.setdefault(
            program, {"program": program, "entered": 0, "left": 0, "reasons": []}
        )
        entry["entered" if entered else "left"] += int(n)
        entry["reasons"].append({"entered": bool(entered), "reason": reason, "n": int(n)})
    found = {int(d): (int(e), int(left)) for d, e, left in deciles}
    return {
        "programs": [programs[p] for p in sorted(programs)],
        "deciles": [(d, *found.get(d, (0, 0))) for d in range(1, 11)],
        "districts": districts,
        "desil_moves": [(int(a), int(b), int(n)) for a, b, n in moves],
    }
