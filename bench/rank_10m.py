"""Benchmark (issue 4): apply the PMT, cut national deciles and evaluate every program rule for
10,000,000 people read from Parquet. Target: at most 20 s and 4 GiB peak on the 2-core machine.

Run by hand, in two steps:

  .venv/bin/python bench/rank_10m.py prepare [--people 10000000]
      Builds the inputs once (not timed): the golden records of the newest integration run under
      var/ (run `make demo` first) are read into the ranking's two tables and replicated, each
      copy moved to another real regency, until there are N living people; written as
      bench/out/rank/households-N.parquet and members-N.parquet, with a PMT fitted on the demo's
      survey sample (bench/out/rank/model.json).

  .venv/bin/python bench/rank_10m.py run [--people 10000000] [--memory-limit 3GB]
      The timed part, in this process: read both Parquet files, apply the model, rank into
      deciles over people, evaluate all program rules, write the ranked households and the
      decisions to Parquet. Prints each step's seconds and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

OUT = Path("bench/out/rank")
DATA_CUT = date(2025, 6, 30)


def prepare(people: int) -> None:
    from tepat.pipeline.integrate import latest_run
    from tepat.ranking import pmt
    from tepat.ranking.inputs import load_inputs
    from tepat.reference.regions import RegionLevel, regions

    OUT.mkdir(parents=True, exist_ok=True)
    run = latest_run(Path("var"))
    con = duckdb.connect()
    counts = load_inputs(con, run, DATA_CUT)
    survey = next(Path("var/demo").glob("synth-*/survey/susenas_sample.parquet"))
    model = pmt.fit(con, survey)
    model.save(OUT / "model.json")
    alive = counts["people_alive"]
    copies = -(-people // alive)
    regencies = [r for r in regions().codes(RegionLevel.REGENCY) if r != "11.12"][: copies - 1]
    targets = ["11.12", *regencies]
    con.execute(
        "CREATE TABLE copies AS SELECT * FROM (VALUES "
        + ", ".join(f"({i}, '{code}')" for i, code in enumerate(targets))
        + ") t(copy, regency)"
    )
    hh_path = OUT / f"households-{people}.parquet"
    mem_path = OUT / f"members-{people}.parquet"
    con.execute(
        f"""
        COPY (
            SELECT h.* REPLACE (
                       h.family_id || '#' || c.copy AS family_id,
                       substr(c.regency, 1, 2) AS province_code,
                       c.regency AS regency_code,
                       c.regency || substr(h.district_code, 6) AS district_code,
                       c.regency || substr(h.village_code, 6) AS village_code)
            FROM rank_households h CROSS JOIN copies c
        ) TO '{hh_path}' (FORMAT parquet, COMPRESSION zstd)
        """
    )
    con.execute(
        f"""
        COPY (
            SELECT m.* REPLACE (m.family_id || '#' || c.copy AS family_id,
                                m.person_key || '#' || c.copy AS person_key)
            FROM rank_members m CROSS JOIN copies c
        ) TO '{mem_path}' (FORMAT parquet, COMPRESSION zstd)
        """
    )
    n = duckdb.sql(
        f"SELECT count(*), count(*) FILTER (WHERE status = 'alive') FROM '{mem_path}'"
    ).fetchall()[0]
    h = duckdb.sql(f"SELECT count(*) FROM '{hh_path}'").fetchall()[0][0]
    print(
        f"prepared {copies} copies over {len(targets)} regencies: {h:,} households, "
        f"{n[0]:,} people ({n[1]:,} alive) -> {hh_path}, {mem_path}"
    )


def run(people: int, memory_limit: str) -> None:
    from tepat.eligibility.engine import evaluate
    from tepat.eligibility.rules import load_rules
    from tepat.ranking import deciles, pmt

    hh_path = OUT / f"households-{people}.parquet"
    mem_path = OUT / f"members-{people}.parquet"
    if not hh_path.exists():
        raise SystemExit(f"run `python {sys.argv[0]} prepare --people {people}` first")
    model = pmt.PmtModel.load(OUT / "model.json")
    rules = load_rules(None)
    work = OUT / "work.duckdb"
    work.unlink(missing_ok=True)
    timings: dict[str, float] = {}
    total = time.perf_counter()
    con = duckdb.connect(str(work))
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    started = time.perf_counter()
    con.execute(f"CREATE TABLE rank_households AS SELECT * FROM '{hh_path}'")
    con.execute(f"CREATE TABLE rank_members AS SELECT * FROM '{mem_path}'")
    timings["read"] = time.perf_counter() - started
    started = time.perf_counter()
    pmt.apply(con, model)
    timings["pmt"] = time.perf_counter() - started
    started = time.perf_counter()
    ranked = deciles.rank(con)
    con.execute(
        "CREATE OR REPLACE TABLE rank_households AS SELECT h.*, r.desil, r.percentile, "
        "r.predicted_pce FROM rank_households h JOIN ranked r USING (family_id)"
    )
    timings["deciles"] = time.perf_counter() - started
    started = time.perf_counter()
    evaluate(con, rules, DATA_CUT)
    timings["rules"] = time.perf_counter() - started
    started = time.perf_counter()
    con.execute(f"COPY ranked TO '{OUT / 'ranked.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY eligibility TO '{OUT / 'eligibility.parquet'}' (FORMAT parquet)")
    timings["write"] = time.perf_counter() - started
    decisions = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE eligible) FROM eligibility"
    ).fetchall()[0]
    con.close()
    work.unlink(missing_ok=True)
    seconds = time.perf_counter() - total
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"{ranked['people']:,} people in {ranked['households']:,} households: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    print(f"decisions {decisions[0]:,} ({decisions[1]:,} eligible)")
    print(f"total {seconds:.1f} s, peak RSS {peak:.2f} GiB (targets 20 s, 4 GiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["prepare", "run"])
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.people)
    else:
        run(args.people, args.memory_limit)


if __name__ == "__main__":
    main()
