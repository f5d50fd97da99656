"""Benchmark: load the golden records and the current release of a cycle run into a fresh
registry database (the step at the end of ``tepat cycle``), and leave it there for the service
benchmarks (bench/status_check.py, bench/events_1m.py, bench/pages_1m.py).

Run by hand after bench/cycle_1m.py::

    .venv/bin/python bench/registry_load_1m.py                       # fresh SQLite file
    .venv/bin/python bench/registry_load_1m.py --url postgresql+psycopg://postgres@127.0.0.1:5432/tepat_1m

A PostgreSQL database named in --url is dropped and created again first. Prints the seconds of
each step and the rows written.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tepat.db.engine import make_engine, session_factory, unit_of_work
from tepat.db.migrate import upgrade
from tepat.pipeline.integrate import latest_run
from tepat.registry.load_golden import load_golden
from tepat.release.publish import current_release
from tepat.release.store import load_release

DATA = Path("bench/out/cycle/data")


def _fresh_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="data dir of bench/cycle_1m.py")
    parser.add_argument("--url", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{(args.data.parent / 'registry-load.db').resolve()}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        _fresh_postgres(url)
    engine = make_engine(url)
    upgrade(engine)
    release = current_release(args.data)
    if release is None:
        raise SystemExit(f"no published release under {args.data}: run bench/cycle_1m.py first")
    run = latest_run(args.data)
    factory = session_factory(engine)
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        golden = load_golden(session.connection(), run, replace=True, progress=print)
        after_golden = time.perf_counter()
        loaded = load_release(session.connection(), args.data / "releases" / release)
        after_release = time.perf_counter()
    done = time.perf_counter()
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(
        f"golden records: {after_golden - started:.1f} s ({golden.households:,} households, "
        f"{golden.people:,} people, {golden.memberships:,} memberships, "
        f"{golden.provenance:,} provenance rows)"
    )
    print(
        f"release {release}: {after_release - after_golden:.1f} s "
        f"({loaded['households']:,} ranked households, {loaded['beneficiaries']:,} beneficiaries)"
    )
    print(f"commit: {done - after_release:.1f} s; total {done - started:.1f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
