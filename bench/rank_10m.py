"""Benchmark (issue 4): apply the PMT, cut national deciles and evaluate every program rule for
10,000,000 people read from Parquet. Target: at most 20 s and 4 GiB peak on the 2-core machine.

Run by hand, in two steps:

  .venv/bin/python bench/rank_10m.py prepare [--people 10000000]
      Builds the inputs once (not timed): the golden records of the newest integration run under
      var/ (run `make demo` first) are read into the ranking's two tables and replicated, each
      copy moved to another real regency, until there are N living people; written as
      bench/out/rank/households-N.parquet and members-N.parquet (both with an integer family
      key, family_no, beside family_id), with a PMT fitted on the demo's survey sample
      (bench/out/rank/model.json).

  .venv/bin/python bench/rank_10m.py run [--people 10000000] [--memory-limit 3GB]
      The timed part, in this process: read both Parquet files, apply the model, rank into
      deciles over people, evaluate all program rules, write the ranked households and the
      decisions (one row per family and per person, a pair of columns per program) to Parquet.
      One pass over the members serves the PMT and the rules; the steps join on family_no.
      Prints each step's seconds, the process's CPU time and peak RSS. --long also
      materialises and writes the long table (one row per program and family or person: ~78 M
      rows).
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
KEY = "family_no"  # the integer family key `prepare` adds to both files


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
    # family_no: an integer standing one to one for family_id (copy c of the i-th family is
    # c * families + i), in both files, for the steps to join on.
    families = con.execute("SELECT count(*) FROM rank_households").fetchall()[0][0]
    con.execute(
        "CREATE TABLE numbered_households AS SELECT *, "
        "(row_number() OVER (ORDER BY family_id) - 1)::INTEGER AS family_index "
        "FROM rank_households ORDER BY family_id"
    )
    con.execute(
        "CREATE TABLE numbered_members AS SELECT m.*, h.family_index FROM rank_members m "
        "LEFT JOIN numbered_households h USING (family_id) ORDER BY m.person_key"
    )
    con.execute(
        f"""
        COPY (
            SELECT h.* EXCLUDE (family_index) REPLACE (
                       h.family_id || '#' || c.copy AS family_id,
                       substr(c.regency, 1, 2) AS province_code,
                       c.regency AS regency_code,
                       c.regency || substr(h.district_code, 6) AS district_code,
                       c.regency || substr(h.village_code, 6) AS village_code),
                   (c.copy * {families} + h.family_index)::INTEGER AS family_no
            FROM numbered_households h CROSS JOIN copies c
        ) TO '{hh_path}' (FORMAT parquet, COMPRESSION zstd)
        """
    )
    con.execute(
        f"""
        COPY (
            SELECT m.* EXCLUDE (family_index) REPLACE (
                       m.family_id || '#' || c.copy AS family_id,
                       m.person_key || '#' || c.copy AS person_key),
                   (c.copy * {families} + m.family_index)::INTEGER AS family_no
            FROM numbered_members m CROSS JOIN copies c
        ) TO '{mem_path}' (FORMAT parquet, COMPRESSION zstd)
        """
    )
    n = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE status = 'alive') FROM '{mem_path}'"
    ).fetchall()[0]
    h = con.execute(f"SELECT count(*) FROM '{hh_path}'").fetchall()[0][0]
    print(
        f"prepared {copies} copies over {len(targets)} regencies: {h:,} households, "
        f"{n[0]:,} people ({n[1]:,} alive) -> {hh_path}, {mem_path}"
    )


def run(people: int, memory_limit: str, *, long: bool) -> None:
    from tepat.eligibility.engine import HOUSEHOLDS, PERSONS, evaluate, family_aggregates
    from tepat.eligibility.rules import load_rules
    from tepat.ranking import deciles, pmt
    from tepat.ranking.features import member_aggregates

    hh_path = OUT / f"households-{people}.parquet"
    mem_path = OUT / f"members-{people}.parquet"
    if not hh_path.exists():
        raise SystemExit(f"run `python {sys.argv[0]} prepare --people {people}` first")
    model = pmt.PmtModel.load(OUT / "model.json")
    rules = load_rules(None)
    timings: dict[str, float] = {}
    total = time.perf_counter()
    con = duckdb.connect()  # in memory, spilling to bench/out/rank/spill past the limit
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{OUT / 'spill'}'")
    con.execute("SET preserve_insertion_order = false")
    # Joins as written (the small side built): a filter on a Parquet column without statistics
    # is guessed to keep a fifth of the rows, which would make DuckDB build the 10 M members
    # rather than the 2.7 M households in the person join.
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    started = time.perf_counter()
    # The inputs stay in Parquet: each step reads the columns it needs (a scan of the compressed
    # files is cheaper than copying every column into a table first).
    con.execute(f"CREATE VIEW households_in AS SELECT * FROM read_parquet('{hh_path}')")
    con.execute("CREATE VIEW rank_households AS SELECT * FROM households_in")
    con.execute(f"CREATE VIEW rank_members AS SELECT * FROM read_parquet('{mem_path}')")
    timings["read"] = time.perf_counter() - started
    started = time.perf_counter()
    # One pass over the members for the PMT's aggregates and the rules' family fields.
    con.execute(
        "CREATE TABLE member_aggregates AS "
        + member_aggregates(family_aggregates(rules, DATA_CUT), key=KEY)
    )
    pmt.apply(con, model, aggregates="member_aggregates", key=KEY)
    timings["pmt"] = time.perf_counter() - started
    started = time.perf_counter()
    ranked = deciles.rank(con, ordered=False, key=KEY)
    # The rules read desil, percentile and predicted_pce from rank_households: a view, joined
    # where the engine reads it (once), instead of rebuilding the wide table.
    con.execute(
        "CREATE OR REPLACE VIEW rank_households AS SELECT h.*, r.desil, r.percentile, "
        f"r.predicted_pce FROM households_in h JOIN ranked r USING ({KEY})"
    )
    timings["deciles"] = time.perf_counter() - started
    started = time.perf_counter()
    # The compact decision tables (one row per family and per person, a column pair per
    # program); --long also materialises the long table (a row per program and unit).
    evaluate(con, rules, DATA_CUT, materialize=long, aggregates="member_aggregates", key=KEY)
    timings["rules"] = time.perf_counter() - started
    started = time.perf_counter()
    # A small dictionary limit: the unique keys (family_id, person_key) are written plainly at
    # once instead of first filling a dictionary that is then given up; the coded columns still
    # get one (the files come out the same size).
    options = "FORMAT parquet, DICTIONARY_SIZE_LIMIT 4096"
    con.execute(f"COPY ranked TO '{OUT / 'ranked.parquet'}' ({options})")
    outputs = ["eligibility"] if long else [HOUSEHOLDS, PERSONS]
    for name in outputs:
        # The decisions and the fields they were made on; not the engine's working columns
        # (names starting with an underscore).
        columns = ", ".join(
            f'"{c}"' for (c, *_) in con.execute(f"DESCRIBE {name}").fetchall() if c[0] != "_"
        )
        path = OUT / f"{name}.parquet"
        con.execute(f"COPY (SELECT {columns} FROM {name}) TO '{path}' ({options})")
    timings["write"] = time.perf_counter() - started
    decisions = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE eligible) FROM eligibility"
    ).fetchall()[0]
    con.close()
    seconds = time.perf_counter() - total
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"{ranked['people']:,} people in {ranked['households']:,} households: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    print(f"decisions {decisions[0]:,} ({decisions[1]:,} eligible); written: {', '.join(outputs)}")
    print(
        f"total {seconds:.1f} s (CPU {cpu.ru_utime + cpu.ru_stime:.1f} s), peak RSS {peak:.2f} GiB "
        "(targets 20 s, 4 GiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["prepare", "run"])
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--long", action="store_true", help="also materialise the long table")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.people)
    else:
        run(args.people, args.memory_limit, long=args.long)


if __name__ == "__main__":
    main()
