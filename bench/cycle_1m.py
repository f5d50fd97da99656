"""Benchmark (issue 4): the full cycle for 1,000,000 people, from source files to a published
release. Target: at most 8 minutes on the 2-core machine.

Run by hand: ``.venv/bin/python bench/cycle_1m.py [--people 1000000]``. Synthesises the
population once (not timed; bench/out/cycle/pop-N), then in a fresh data directory times each
process: the three ``tepat ingest`` runs and ``tepat cycle --survey ... --truth ...`` (integrate,
rank, rules, targeting, release, loading the release into the embedded registry), and prints the
wall time and peak memory of each and the total.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path("bench/out/cycle")


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return seconds, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    pop = ROOT / f"pop-{args.people}"
    if not (pop / "summary.json").exists():
        print(f"synthesising {args.people:,} people into {pop} (not timed)", flush=True)
        subprocess.run(
            [
                str(BIN / "tepat"),
                "synth",
                "--region",
                "ID",
                "--seed",
                "1",
                "--people",
                str(args.people),
                "--out",
                str(pop),
            ],
            check=True,
            capture_output=True,
        )
    data = ROOT / "data"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "TEPAT_DATA_DIR": str(data)}
    env.pop("TEPAT_DATABASE_URL", None)
    src = pop / "sources"
    steps = [
        (
            "ingest regsosek",
            [
                "ingest",
                "regsosek",
                str(src / "regsosek2022_keluarga.parquet"),
                str(src / "regsosek2022_art.parquet"),
            ],
        ),
        ("ingest dtks", ["ingest", "dtks", str(src / "dtks_siksng.csv")]),
        ("ingest p3ke", ["ingest", "p3ke", str(src / "p3ke_2021.xlsx")]),
        (
            "cycle",
            [
                "cycle",
                "--survey",
                str(pop / "survey" / "susenas_sample.parquet"),
                "--truth",
                str(pop / "truth"),
            ],
        ),
    ]
    total = 0.0
    for label, cmd in steps:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        seconds, stdout = _run([str(BIN / "tepat"), *cmd], env)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        total += seconds
        grew = f", peak {peak / 2**20:.2f} GiB" if peak > before else ""
        print(f"{label:16s} {seconds:7.1f} s{grew}", flush=True)
        if label == "cycle":
            print("\n".join("    " + line for line in stdout.splitlines()[-60:]))
    print(
        f"total from source files to published release: {total:.1f} s "
        f"({total / 60:.1f} min; target 8 min)"
    )


if __name__ == "__main__":
    main()
