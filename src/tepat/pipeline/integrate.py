"""Integration: staged source records -> standardised -> linked people -> families -> golden.

One run reads the newest staged batch of every source, links them with Splink on DuckDB, puts
uncertain pairs in the clerical review queue (applying decisions already made), reconciles
families, consolidates golden records by the survivorship rules, and writes everything to
``<data_dir>/integration/<run_id>/``. The caller owns the registry transaction (review queue).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.errors import InvalidInput
from tepat.linkage import review
from tepat.linkage.families import reconcile_families
from tepat.linkage.link import LinkageSettings, link_records, record_key
from tepat.linkage.standardise import standardise
from tepat.registry.golden import Survivorship, consolidate, load_survivorship
from tepat.sources.models import IngestBatch

Progress = Callable[[str], None]
OUTPUTS = (
    "records",
    "pairs",
    "families",
    "membership_conflicts",
    "golden_people",
    "golden_households",
)


@dataclass
class IntegrationResult:
    """Counts and where the outputs are."""

    run_id: str
    folder: Path
    batches: list[str]
    records: int
    persons: int
    families: int
    blocked_pairs: int
    review_queued: int
    review_pending_total: int
    membership_conflicts: int
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        out = asdict(self)
        out["folder"] = str(self.folder)
        return out


def latest_batches(session: Session) -> list[IngestBatch]:
    """The newest staged batch of each source."""
    rows = session.scalars(select(IngestBatch).order_by(IngestBatch.created_at)).all()
    newest: dict[str, IngestBatch] = {}
    for row in rows:
        newest[row.source] = row
    return [newest[s] for s in sorted(newest)]


def integrate(
    *,
    session: Session,
    data_dir: Path,
    reference_date: date,
    linkage: LinkageSettings | None = None,
    rules: Survivorship | None = None,
    trained_model: dict[str, Any] | None = None,
    progress: Progress | None = None,
    memory_limit: str = "4GB",
) -> IntegrationResult:
    """Run integration over the newest batch of every source; see the module docstring."""
    say = progress or (lambda _m: None)
    batches = latest_batches(session)
    if not batches:
        raise InvalidInput("nothing is staged yet: run `tepat ingest SOURCE FILE...` first")
    rules = rules or load_survivorship()
    timings: dict[str, float] = {}
    run_id = datetime.now().strftime("%Y%m%dT%H%M%S")
    folder = data_dir / "integration" / run_id
    tmp = data_dir / "integration" / f".{run_id}.tmp-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(tmp / "work.duckdb"))
        # Bounded memory: DuckDB spills to the run's folder instead of taking most of the RAM.
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{tmp / 'spill'}'")
        started = time.perf_counter()
        say("standardising")
        # One batch at a time into DuckDB keeps only one source's Arrow columns in memory.
        for number, batch in enumerate(batches):
            std = standardise(
                pq.read_table(data_dir / batch.staged_path), reference_date=reference_date
            )
            con.register("std_in", std)
            if number == 0:
                con.execute("CREATE TABLE std_raw AS SELECT * FROM std_in")
            else:
                con.execute("INSERT INTO std_raw BY NAME SELECT * FROM std_in")
            con.unregister("std_in")
            del std
        con.execute(
            "CREATE TABLE std AS SELECT row_number() OVER (ORDER BY source, batch_id, line) - 1 "
            "AS uid, * FROM std_raw"
        )
        con.execute("DROP TABLE std_raw")
        timings["standardise_s"] = time.perf_counter() - started

        say("linking people")
        decisions = review.decisions(session)
        run = link_records(
            con, "std", settings=linkage, trained_model=trained_model, decisions=decisions
        )
        timings.update(run.timings)
        keys = con.sql("SELECT uid, source, record_id FROM std").fetchall()
        key_of = {uid: record_key(src, rid) for uid, src, rid in keys}
        queued = review.queue_pairs(
            session,
            (
                (key_of[a], key_of[b], p)
                for a, b, p in zip(
                    run.review.column("uid_l").to_pylist(),
                    run.review.column("uid_r").to_pylist(),
                    run.review.column("match_probability").to_pylist(),
                    strict=True,
                )
            ),
            run_id=run_id,
        )
        pending_total = len(review.pending(session, limit=10**9))

        say("reconciling families")
        started = time.perf_counter()
        con.register("clusters_in", run.clusters)
        con.execute(
            "CREATE TABLE linked AS SELECT s.*, c.cluster_id FROM std s "
            "JOIN clusters_in c USING (uid)"
        )
        fam = reconcile_families(con, "linked")
        con.execute(
            "CREATE TABLE linked_f AS SELECT l.*, f.family_id FROM linked l "
            "LEFT JOIN families f ON f.family_key = l.source || ':' || l.household_key"
        )
        timings["families_s"] = time.perf_counter() - started

        say("consolidating golden records")
        started = time.perf_counter()
        golden = consolidate(con, "linked_f", rules)
        con.execute(
            "CREATE TABLE records AS SELECT l.uid, l.source, l.record_id, l.batch_id, l.line, "
            "l.observed_on, l.household_key, l.cluster_id, pf.family_id FROM linked l "
            "LEFT JOIN person_family pf USING (cluster_id)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE golden_people AS SELECT g.*, pf.family_id "
            "FROM golden_people g LEFT JOIN person_family pf USING (cluster_id)"
        )
        con.register("pairs_in", run.pairs)
        con.execute("CREATE TABLE pairs AS SELECT * FROM pairs_in")
        for name in OUTPUTS:
            con.execute(f"COPY {name} TO '{tmp / (name + '.parquet')}' (FORMAT parquet)")
        timings["golden_s"] = time.perf_counter() - started
        result = IntegrationResult(
            run_id=run_id,
            folder=folder,
            batches=[b.id for b in batches],
            records=con.execute("SELECT count(*) FROM std").fetchall()[0][0],
            persons=golden["people"],
            families=fam["families"],
            blocked_pairs=run.blocked_pairs,
            review_queued=queued,
            review_pending_total=pending_total,
            membership_conflicts=fam["membership_conflicts"],
            timings=timings,
        )
        con.close()
        (tmp / "work.duckdb").unlink()
        shutil.rmtree(tmp / "spill", ignore_errors=True)
        (tmp / "model.json").write_text(json.dumps(run.model, indent=1))
        (tmp / "summary.json").write_text(json.dumps(result.as_dict(), indent=2, default=str))
        tmp.rename(folder)
    except duckdb.OutOfMemoryException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InvalidInput(
            f"integration ran out of its {memory_limit} memory budget ({exc}); give it more with "
            "--memory-limit, nothing was changed"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def latest_run(data_dir: Path) -> Path:
    """The folder of the newest integration run."""
    runs = sorted(p for p in (data_dir / "integration").glob("2*") if p.is_dir())
    if not runs:
        raise InvalidInput(
            f"no integration run under {data_dir / 'integration'}: run `tepat integrate` first"
        )
    return runs[-1]
