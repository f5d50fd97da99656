"""Benchmark (issue 3): integration of 1,000,000 people's source rows end to end, and our
linkage stage against Splink's documented default and fast settings on the same rows.

Run by hand: ``.venv/bin/python bench/linkage_1m.py [--people N] [--skip-baselines]``.
Prints, for one population:
1. end to end: ingest of the three sources + ``tepat integrate`` (standardise, link, families,
   golden records), wall time and peak memory of each process, against 5 min and 8 GiB;
2. accuracy of our run (``tepat evaluate linkage``);
3. the linkage stage alone (train + predict + cluster) for ours and for two Splink baselines on
   the same standardised rows, with time, peak memory and cluster F1:
   - Splink default: u from 1e7 random pairs, EM on birth-date then village blocks uncapped,
     predict at 0.5, connected components; comparisons as in Splink's tutorial model (first
     name, surname, date of birth, place, an identifier);
   - Splink fast: the same model with u from 1e6 pairs and EM capped at 5e6 pairs;
4. blocked comparisons per record at N and 2N people (blocking must stay flat).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path("bench/out/linkage")


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child; return wall seconds, its peak RSS in GiB, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    # ru_maxrss of children is the max over all children so far: report it when it grew.
    return seconds, max(peak, before) / 2**20, proc.stdout


def population(people: int) -> Path:
    """The synthetic population, generated once per size."""
    folder = ROOT / f"pop-{people}"
    if not (folder / "summary.json").exists():
        subprocess.run(
            [
                str(BIN / "tepat"),
                "synth",
                "--region",
                "ID",
                "--seed",
                "1",
                "--people",
                str(people),
                "--out",
                str(folder),
                "--overwrite",
                "--json",
            ],
            check=True,
            capture_output=True,
        )
    return folder


def end_to_end(pop: Path, people: int) -> tuple[Path, dict[str, float]]:
    """Ingest the three sources and integrate, each as its own process."""
    data = ROOT / f"var-{people}"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "TEPAT_DATA_DIR": str(data)}
    src = pop / "sources"
    steps = {
        "ingest regsosek": [
            "ingest",
            "regsosek",
            str(src / "regsosek2022_keluarga.parquet"),
            str(src / "regsosek2022_art.parquet"),
        ],
        "ingest dtks": ["ingest", "dtks", str(src / "dtks_siksng.csv")],
        "ingest p3ke": ["ingest", "p3ke", str(src / "p3ke_2021.xlsx")],
        "integrate": ["integrate", "--no-load"],
    }
    figures: dict[str, float] = {}
    for name, args in steps.items():
        seconds, peak, stdout = _run([str(BIN / "tepat"), *args], env)
        figures[f"{name} s"] = seconds
        figures[f"{name} peak GiB"] = peak
        if name == "integrate":
            print(stdout.strip())
    return data, figures


def baselines(pop: Path, data: Path) -> dict[str, dict[str, float]]:
    """Our linkage stage and the two Splink baselines on the same standardised rows."""
    results = {}
    for variant in ("ours", "splink-fast", "splink-default"):
        cmd = [
            sys.executable,
            __file__,
            "--stage",
            variant,
            "--data",
            str(data),
            "--truth",
            str(pop),
        ]
        seconds, peak, stdout = _run(cmd, dict(os.environ))
        figures = json.loads(stdout.strip().splitlines()[-1])
        figures["process s"], figures["peak GiB"] = seconds, peak
        results[variant] = figures
        print(f"LINKAGE STAGE {variant:15s} " + json.dumps(figures), flush=True)
    return results


def _standardised(data: Path):  # type: ignore[no-untyped-def]
    """The newest staged batches, standardised, in a DuckDB table ``std`` (with ``uid``)."""
    import duckdb
    import pyarrow.parquet as pq

    from tepat.linkage.standardise import standardise

    con = duckdb.connect(str(data / "bench.duckdb"))
    con.execute("SET memory_limit = '4GB'; SET preserve_insertion_order = false")
    first = True
    for source in ("dtks", "p3ke", "regsosek"):
        path = sorted((data / "staging" / source).glob("*.parquet"))[-1]
        std = standardise(pq.read_table(path), reference_date=date(2025, 6, 30))
        con.register("s_in", std)
        con.execute(
            ("CREATE OR REPLACE TABLE raw AS" if first else "INSERT INTO raw BY NAME")
            + " SELECT * FROM s_in"
        )
        con.unregister("s_in")
        first = False
    con.execute(
        "CREATE OR REPLACE TABLE std AS SELECT row_number() OVER (ORDER BY source, "
        "batch_id, line) - 1 AS uid, * FROM raw"
    )
    return con


def _splink_baseline(con, fast: bool) -> tuple[object, object, dict[str, float]]:  # type: ignore[no-untyped-def]
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=[
            cl.NameComparison("given_std"),
            cl.NameComparison("last_std"),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("district_code"),
            cl.ExactMatch("nik_clean"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_std", "birth_year"),
            block_on("last_std", "birth_date"),
            block_on("nik_clean"),
        ],
        retain_matching_columns=False,
    )
    db = DuckDBAPI(con)
    linker = Linker(db.register("std"), settings, log_level=logging.WARNING)
    timings = {}
    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nik_clean", "given_std")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6 if fast else 1e7, seed=1)
    # The tutorial trains on date-of-birth and postcode blocks; a village is the nearest
    # Indonesian equivalent of a postcode.
    for rule in (block_on("birth_date"), block_on("village_code")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=5e6 if fast else None
        )
    timings["train_s"] = time.perf_counter() - t
    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=0.5)
    timings["predict_s"] = time.perf_counter() - t
    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.5)
    timings["cluster_s"] = time.perf_counter() - t
    return pred, clusters, timings


def stage(variant: str, data: Path, truth: Path) -> None:
    """One linkage stage in this process; prints its figures as JSON on the last line."""
    import pyarrow.parquet as pq

    from tepat.linkage.evaluate import evaluate
    from tepat.linkage.link import LinkageSettings, link_records

    con = _standardised(data)
    records = con.sql("SELECT uid, source, record_id FROM std").to_arrow_table()
    started = time.perf_counter()
    if variant == "ours":
        run = link_records(con, "std", settings=LinkageSettings())
        pairs, clusters, timings = run.pairs, run.clusters, run.timings
        threshold = 0.9
    else:
        pred, cl, timings = _splink_baseline(con, fast=variant == "splink-fast")
        pairs = con.sql(
            f"SELECT uid_l, uid_r, match_probability FROM {pred.physical_name}"
        ).to_arrow_table()
        clusters = con.sql(f"SELECT uid, cluster_id FROM {cl.physical_name}").to_arrow_table()
        threshold = 0.5
    linkage_s = time.perf_counter() - started
    blocked = con.execute("SELECT count(*) FROM std").fetchall()[0][0]
    report = evaluate(
        records=records,
        clusters=clusters,
        pairs=pairs,
        truth=pq.read_table(truth / "truth" / "source_records.parquet"),
        threshold=threshold,
    )
    print(
        json.dumps(
            {
                "linkage s": round(linkage_s, 1),
                **{k: round(v, 1) for k, v in timings.items()},
                "pairs scored": pairs.num_rows,
                "pairs per record": round(pairs.num_rows / blocked, 3),
                "cluster precision": report.cluster.precision,
                "cluster recall": report.cluster.recall,
                "cluster F1": report.cluster.f1,
                "pairwise precision": report.pairwise.precision,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument(
        "--baselines-only",
        action="store_true",
        help="Reuse the staged data of an earlier run of the same size",
    )
    parser.add_argument("--stage", choices=("ours", "splink-fast", "splink-default"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--truth", type=Path)
    args = parser.parse_args()
    if args.stage:
        stage(args.stage, args.data, args.truth)
        return
    ROOT.mkdir(parents=True, exist_ok=True)
    print(
        f"date {date.today()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
    )
    pop = population(args.people)
    if args.baselines_only:
        baselines(pop, ROOT / f"var-{args.people}")
        return
    rows = {
        k: v["rows"] for k, v in json.loads((pop / "summary.json").read_text())["sources"].items()
    }
    print(f"population: {args.people:,} people; source rows {rows}")
    data, figures = end_to_end(pop, args.people)
    total = sum(v for k, v in figures.items() if k.endswith(" s"))
    peak = max(v for k, v in figures.items() if k.endswith("GiB"))
    for k, v in figures.items():
        print(f"  {k:28s} {v:8.1f}")
    print(f"END TO END: {total:.1f} s (target <= 300 s), peak {peak:.2f} GiB (target <= 8 GiB)")
    env = {**os.environ, "TEPAT_DATA_DIR": str(data)}
    _, _, report = _run([str(BIN / "tepat"), "evaluate", "linkage", "--truth", str(pop)], env)
    print("\n".join(report.splitlines()[:12]))
    if not args.skip_baselines:
        baselines(pop, data)


if __name__ == "__main__":
    main()
