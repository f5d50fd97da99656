"""The source records behind the clerical review queue, for the linkage review page.

A review names its two records by stable key (``source:record_id``); their values live in the
staged batches (``<data_dir>/staging/...parquet``). Scanning those on every page would cost a
second with a million people, so the records of every key in ``link_reviews`` are copied once
into ``<data_dir>/pages/linkage/records-<fingerprint>.parquet`` (in a background job, see
``tepat.pages.jobs``). The fingerprint changes when pairs are queued or a source is re-staged.
Each record's village decides whose review it is: a pair belongs to the regions of both records.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import duckdb
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from tepat.linkage.models import LinkReview
from tepat.pipeline.integrate import latest_batches

FIELDS: Final = (
    "full_name",
    "nik",
    "kk",
    "sex",
    "birth_date",
    "birth_place",
    "mother_name",
    "relationship",
    "marital_status",
    "village_code",
    "address",
    "rt",
    "rw",
    "household_key",
    "observed_on",
)


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def fingerprint(db: Session, data_dir: Path) -> tuple[str, list[Path]]:
    """A short hash of the review keys' state and the staged files, and those files."""
    last, count = db.execute(select(func.max(LinkReview.id), func.count(LinkReview.id))).one()
    files = [data_dir / b.staged_path for b in latest_batches(db)]
    text = f"{last}:{count}:" + ",".join(sorted(str(f) for f in files))
    return hashlib.sha256(text.encode()).hexdigest()[:16], files


def records_path(data_dir: Path, fp: str) -> Path:
    """The records file of a fingerprint."""
    return data_dir / "pages" / "linkage" / f"records-{fp}.parquet"


def build_records(target: Path, keys: list[str], files: list[Path]) -> Path:
    """Copy the staged records of ``keys`` from ``files`` into ``target`` (atomically)."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        con.execute("CREATE TABLE wanted (key VARCHAR PRIMARY KEY)")
        con.executemany("INSERT INTO wanted VALUES (?)", [(k,) for k in sorted(set(keys))])
        parts = []
        for f in files:
            if not f.exists():
                continue
            names = {
                row[0]
                for row in con.execute(f"SELECT name FROM parquet_schema('{_q(f)}')").fetchall()
            }
            cols = ", ".join(
                f"CAST({c} AS VARCHAR) AS {c}" if c in names else f"NULL::VARCHAR AS {c}"
                for c in FIELDS
            )
            parts.append(
                f"SELECT source || ':' || record_id AS key, source, record_id, {cols} "
                f"FROM read_parquet('{_q(f)}')"
            )
        body = (
            " UNION ALL ".join(parts)
            if parts
            else (
                "SELECT NULL::VARCHAR AS key, NULL::VARCHAR AS source, NULL::VARCHAR AS record_id, "
                + ", ".join(f"NULL::VARCHAR AS {c}" for c in FIELDS)
                + " WHERE FALSE"
            )
        )
        con.execute(
            f"""
            COPY (
              SELECT r.* FROM ({body}) r SEMI JOIN wanted w ON w.key = r.key ORDER BY r.key
            ) TO '{_q(tmp)}' (FORMAT parquet, COMPRESSION zstd)
            """
        )
    finally:
        con.close()
    tmp.replace(target)
    return target


def review_keys(db: Session) -> list[str]:
    """Every record key named by a review (pending or decided)."""
    keys = union(select(LinkReview.left_key), select(LinkReview.right_key)).subquery()
    return [k for (k,) in db.execute(select(keys.c[0]))]


@lru_cache(maxsize=4)
def villages(path: Path) -> dict[str, str]:
    """Record key -> village code, for the region scope of the reviews (kept in memory)."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT key, village_code FROM read_parquet('{_q(path)}') "
            "WHERE village_code IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    return {k: v for k, v in rows}


def records(path: Path, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The stored records of ``keys`` (a handful: one pair, or one page)."""
    if not keys:
        return {}
    con = duckdb.connect()
    try:
        cur = con.execute(
            f"SELECT * FROM read_parquet('{_q(path)}') WHERE key IN (SELECT unnest(?))",
            [list(keys)],
        )
        names = [d[0] for d in cur.description]
        found = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
    return {r["key"]: r for r in found}
