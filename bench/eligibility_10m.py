"""Benchmark: program eligibility for 10,000,000 people in 3,000,000 families.

Run by hand: ``.venv/bin/python bench/eligibility_10m.py [--people N] [--families N]
[--threads N] [--memory-limit 8GB] [--on-disk] [--view]``.

1. Generates ``rank_households`` and ``rank_members`` (the ranking step's tables) with numpy,
   seeded, into ``bench/out/eligibility/input-<people>.duckdb`` (once per size): regions of
   ~500 regencies and ~80,000 villages, uniform percentiles, Regsosek-like member attributes
   with NULLs, ~0.5% deceased members and ~1.5% state employees.
2. In a fresh child process, copies the inputs into an in-memory database (``--on-disk``: a
   database file), runs :func:`tepat.eligibility.evaluate` with the shipped rules and prints
   its wall time per statement and in total, the child's peak RSS, and the output row counts.
   The PBI-JK national quota is scaled to the sample (96.8 M x people / 286.7 M) so that it
   binds as it does nationally; ``--view`` makes ``eligibility`` a view (``materialize=False``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path("bench/out/eligibility")
REFERENCE = date(2025, 6, 30)


def generate(path: Path, people: int, families: int, seed: int = 1) -> None:
    """Write the two input tables to the DuckDB file ``path``."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    # Family sizes: 1 + Poisson, then adjusted so they add up to `people` exactly.
    sizes = 1 + rng.poisson(people / families - 1, families)
    diff = people - int(sizes.sum())
    step = 1 if diff > 0 else -1
    while diff != 0:
        pick = rng.integers(0, families, abs(diff))
        if step < 0:
            pick = pick[sizes[pick] > 1]
        np.add.at(sizes, pick, step)
        diff = people - int(sizes.sum())
        step = 1 if diff > 0 else -1
    villages = 80_000
    village = rng.integers(0, villages, families)
    percentile = rng.uniform(0, 100, families)
    households = pa.table(
        {
            "fid": np.arange(families, dtype=np.int64),
            "village": village,
            "urban": rng.random(families) < 0.55,
            "members": sizes.astype(np.int32),
            "percentile": percentile,
            "desil": np.minimum(percentile // 10 + 1, 10).astype(np.int16),
            "pce": np.exp(rng.normal(13.5, 0.6, families)),
            "programs": pa.array(rng.integers(0, 128, families), mask=rng.random(families) < 0.05),
        }
    )
    fam = np.repeat(np.arange(families, dtype=np.int64), sizes)
    starts = np.cumsum(sizes) - sizes
    position = np.arange(people) - np.repeat(starts, sizes)
    relationship = np.where(position == 0, 1, np.where(position == 1, 2, 3)).astype(np.int16)
    other = rng.random(people) < 0.08
    relationship[other & (position > 1)] = rng.integers(4, 9, int((other & (position > 1)).sum()))
    ref = np.datetime64(REFERENCE.isoformat())
    adult_age = rng.uniform(18, 90, people)
    child_age = rng.uniform(0, 25, people)
    age_years = np.where(
        relationship <= 2, adult_age, np.where(relationship == 6, adult_age + 15, child_age)
    )
    age_years = np.minimum(age_years, 104)
    birth = ref - (age_years * 365.25).astype("timedelta64[D]")
    whole = age_years.astype(int)
    school = np.where(whole < 5, 0, np.where(whole <= 22, 1, 2)).astype(np.int16)
    school[(whole > 12) & (rng.random(people) < 0.25)] = 2
    level = np.select(
        [whole < 5, whole <= 12, whole <= 15, whole <= 18],
        [0, rng.integers(1, 6, people), rng.integers(6, 11, people), rng.integers(11, 18, people)],
        rng.integers(3, 24, people),
    ).astype(np.int16)
    female = rng.random(people) < 0.5
    pregnant = female & (whole >= 18) & (whole <= 45) & (rng.random(people) < 0.04)
    employment = rng.integers(0, 9, people).astype(np.int16)
    employment[employment == 5] = 4
    employment[(whole >= 20) & (rng.random(people) < 0.015)] = 5
    employment[whole < 15] = 0
    disability = np.select(
        [rng.random(people) < 0.90, rng.random(people) < 0.6, rng.random(people) < 0.6],
        [1, 2, 3],
        4,
    ).astype(np.int16)
    status = np.where(rng.random(people) < 0.005, "deceased", "alive")
    status[rng.random(people) < 0.001] = "unknown"

    def nulls(share: float) -> np.ndarray:
        return rng.random(people) < share

    members = pa.table(
        {
            "pid": np.arange(people, dtype=np.int64),
            "fid": fam,
            "sex": np.where(female, "F", "M"),
            "birth_date": pa.array(birth.astype("datetime64[D]"), mask=nulls(0.01)),
            "relationship": relationship,
            "marital_status": np.where(whole >= 18, rng.integers(1, 5, people), 1).astype(np.int16),
            "pregnant": pa.array(pregnant, mask=nulls(0.02)),
            "school_participation": pa.array(school, mask=nulls(0.02)),
            "education_level": pa.array(level, mask=(level == 0) | nulls(0.02)),
            "employment_status": pa.array(employment, mask=nulls(0.03)),
            "worked_last_week": employment > 0,
            "has_business": pa.array((employment >= 1) & (employment <= 3), mask=nulls(0.02)),
            "disability": pa.array(disability, mask=nulls(0.02)),
            "chronic_disease": np.where(
                rng.random(people) < 0.1, rng.integers(1, 19, people), 0
            ).astype(np.int16),
            "status": status,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.register("hh", households)
    con.register("mm", members)
    con.execute(
        """
        CREATE TABLE rank_households AS SELECT
          'KK' || lpad(CAST(fid AS VARCHAR), 12, '0') AS family_id,
          lpad(CAST(village // 160 // 15 + 11 AS VARCHAR), 2, '0') AS province_code,
          lpad(CAST(village // 160 // 15 + 11 AS VARCHAR), 2, '0') || '.'
            || lpad(CAST(village // 160 % 15 + 1 AS VARCHAR), 2, '0') AS regency_code,
          lpad(CAST(village // 160 // 15 + 11 AS VARCHAR), 2, '0') || '.'
            || lpad(CAST(village // 160 % 15 + 1 AS VARCHAR), 2, '0') || '.'
            || lpad(CAST(village // 12 % 16 + 1 AS VARCHAR), 2, '0') AS district_code,
          lpad(CAST(village // 160 // 15 + 11 AS VARCHAR), 2, '0') || '.'
            || lpad(CAST(village // 160 % 15 + 1 AS VARCHAR), 2, '0') || '.'
            || lpad(CAST(village // 12 % 16 + 1 AS VARCHAR), 2, '0') || '.'
            || CAST(2000 + village % 12 AS VARCHAR) AS village_code,
          urban, members, desil, percentile, pce AS predicted_pce,
          CAST(programs AS INTEGER) AS programs_received
        FROM hh
        """
    )
    con.execute(
        """
        CREATE TABLE rank_members AS SELECT
          'KK' || lpad(CAST(fid AS VARCHAR), 12, '0') || '-' || CAST(pid % 100 AS VARCHAR)
            AS person_key,
          'KK' || lpad(CAST(fid AS VARCHAR), 12, '0') AS family_id,
          sex, CAST(birth_date AS DATE) AS birth_date, relationship, marital_status, pregnant,
          school_participation, education_level, employment_status, worked_last_week,
          has_business, disability, chronic_disease, status
        FROM mm
        """
    )
    con.close()
    tmp.replace(path)


def run(inputs: Path, threads: int, memory_limit: str | None, in_memory: bool, view: bool) -> dict:
    """Evaluate in this process (the child); return timings and peak RSS."""
    import duckdb

    from tepat.eligibility import build_sql, load_rules

    con0 = duckdb.connect(str(inputs), read_only=True)
    (people,) = con0.execute("SELECT count(*) FROM rank_members").fetchone() or (0,)
    con0.close()
    quota = round(96_800_000 * people / 286_700_000)
    rules = load_rules().with_overrides({"pbi_jk.national_quota": quota})
    work = inputs.with_name("work.duckdb")
    if in_memory:
        con = duckdb.connect()
    else:
        work.unlink(missing_ok=True)
        con = duckdb.connect(str(work))
    con.execute(f"SET threads = {threads}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"ATTACH '{inputs}' AS src (READ_ONLY)")
    con.execute("CREATE TABLE rank_households AS SELECT * FROM src.rank_households")
    con.execute("CREATE TABLE rank_members AS SELECT * FROM src.rank_members")
    con.execute("DETACH src")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    steps: list[tuple[str, float]] = []
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for statement in build_sql(rules, REFERENCE, materialize=not view):
        t0 = time.perf_counter()
        con.execute(statement.sql)
        steps.append((statement.makes, time.perf_counter() - t0))
    seconds = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    counts = con.execute(
        "SELECT program, count(*), count(*) FILTER (WHERE eligible), sum(amount_year) "
        "FROM eligibility GROUP BY program ORDER BY program"
    ).fetchall()
    people, families = con.execute(
        "SELECT (SELECT count(*) FROM rank_members), (SELECT count(*) FROM rank_households)"
    ).fetchone() or (0, 0)
    return {
        "people": people,
        "families": families,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "steps": steps,
        "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "peak_gib_before_evaluate": rss_before,
        "threads": threads,
        "in_memory": in_memory,
        "view": view,
        "quota": quota,
        "rows": [list(r) for r in counts],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--families", type=int, default=3_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default=None)
    parser.add_argument("--on-disk", action="store_true")
    parser.add_argument("--view", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run(Path(args.child), args.threads, args.memory_limit, not args.on_disk, args.view)
        print(json.dumps(result))
        return
    inputs = ROOT / f"input-{args.people}.duckdb"
    if not inputs.exists():
        t0 = time.perf_counter()
        generate(inputs, args.people, args.families)
        print(f"generated {inputs} in {time.perf_counter() - t0:.1f} s")
    cmd = [sys.executable, __file__, "--child", str(inputs), "--threads", str(args.threads)]
    if args.memory_limit:
        cmd += ["--memory-limit", args.memory_limit]
    if args.on_disk:
        cmd.append("--on-disk")
    if args.view:
        cmd.append("--view")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit("evaluation failed")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"people {result['people']:,}  families {result['families']:,}  "
        f"threads {result['threads']}  {'in memory' if result['in_memory'] else 'on disk'}  "
        f"eligibility as a {'view' if result['view'] else 'table'}  "
        f"PBI-JK quota {result['quota']:,}"
    )
    for makes, seconds in result["steps"]:
        print(f"  {makes:<24} {seconds:6.2f} s")
    print(
        f"evaluate: {result['seconds']:.2f} s wall, {result['cpu_seconds']:.2f} s CPU (2 threads)"
    )
    print(
        f"peak RSS: {result['peak_gib']:.2f} GiB "
        f"(inputs loaded: {result['peak_gib_before_evaluate']:.2f} GiB)"
    )
    print("program            rows       eligible   cost per year (Rp)")
    for program, rows, eligible, cost in result["rows"]:
        print(f"  {program:<15} {rows:>10,} {eligible:>12,} {int(cost or 0):>22,}")
    work = inputs.with_name("work.duckdb")
    work.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
