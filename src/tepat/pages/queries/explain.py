"""One family's eligibility explanation from the current release's files.

:func:`tepat.eligibility.explain` reads ``rank_households``/``rank_members`` and the quota table.
The release's Parquet files are written without row-group statistics (byte-stable output) and
``members.parquet`` is sorted by person, so a filter on ``family_id`` cannot skip anything: a
query straight over the files reads whole columns of a million rows (~200 ms a page). Instead,
once per release (its folder never changes once published), the small tables the explanation
reads are copied into an in-memory DuckDB database sorted by ``family_id``: a family's rows are
then found through an index on ``family_id`` in about a millisecond (loading takes a couple
of seconds and ~100 MB, once per release). The rules and the data cut are
kept with it; ``eligibility`` stays a view over its file (only read by releases without a quota
table). Each request uses its own cursor of the shared database (thread-safe).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from tepat.eligibility import Explanation, RuleSet, explain
from tepat.errors import NotFound
from tepat.release.publish import MANIFEST, current_release, releases_dir
from tepat.release.read import TABLES, release_rules

KEEP = 2  # releases kept open (the current one, and the one before while a new one is loaded)
_SORTED = {
    "rank_households": "family_id",
    "rank_members": "family_id, person_key",  # the file's own order (person) within a family
}
_COPIED = (*_SORTED, "eligibility_quota")


@dataclass(frozen=True)
class _Release:
    con: duckdb.DuckDBPyConnection
    rules: RuleSet
    data_cut: date


log = logging.getLogger(__name__)
_open: OrderedDict[tuple[str, int], _Release] = OrderedDict()
_lock = threading.Lock()


def _load(folder: Path, manifest: Path) -> _Release:
    data_cut = date.fromisoformat(json.loads(manifest.read_text())["data_cut"])
    rules = release_rules(folder)
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        for table, name in TABLES.items():
            path = folder / name
            if not path.exists():
                continue
            src = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
            if table in _SORTED:
                con.execute(
                    f"CREATE TABLE {table} AS SELECT * FROM {src} ORDER BY {_SORTED[table]}"
                )
            elif table in _COPIED:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM {src}")
            else:
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM {src}")
        for table in _SORTED:
            if (folder / TABLES[table]).exists():
                con.execute(f"CREATE INDEX {table}_family ON {table} (family_id)")
    except BaseException:
        con.close()
        raise
    return _Release(con, rules, data_cut)


def _release(folder: Path) -> _Release | None:
    """The open release of ``folder`` (loaded on first use), None without a manifest."""
    manifest = folder / MANIFEST
    try:
        key = (str(folder), manifest.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
    with _lock:  # one load at a time: concurrent first views wait for it rather than repeat it
        found = _open.get(key)
        if found is None:
            found = _open[key] = _load(folder, manifest)
            while len(_open) > KEEP:
                _open.popitem(last=False)[1].con.close()
        else:
            _open.move_to_end(key)
        return found


def warm_release_pages(data_dir: Path) -> threading.Thread | None:
    """Open the current release in the background (when the service starts), so that the first
    household page does not wait for it; None when there is no current release."""
    release_id = current_release(data_dir)
    if release_id is None:
        return None
    folder = releases_dir(data_dir) / release_id

    def run() -> None:
        try:
            _release(folder)
        except Exception:  # the page loads it again (and reports any error) when asked
            log.warning("could not open release %s for the household pages", release_id)

    thread = threading.Thread(target=run, name="tepat-release-warm", daemon=True)
    thread.start()
    return thread


def release_explanation(data_dir: Path, release_id: str, family_id: str) -> Explanation | None:
    """Why the family gets (or not) each program of the release; None when the release's files
    or the family are not there."""
    release = _release(releases_dir(data_dir) / release_id)
    if release is None:
        return None
    con = release.con.cursor()
    try:
        return explain(con, release.rules, family_id, release.data_cut)
    except NotFound:
        return None
    finally:
        con.close()
