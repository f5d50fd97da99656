"""Benchmark: 1,000,000 people with their three source exports (target: <= 60 s, <= 4 GiB).

Runs ``tepat synth`` as a child process and reports its wall time and peak resident memory
(from the kernel's rusage of the child). Run by hand: ``make bench`` or
``.venv/bin/python bench/synth_1m.py [--people N] [--region CODE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--region", default="ID")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench/out/synth_1m"))
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    tepat = Path(sys.executable).with_name("tepat")
    cmd = [
        str(tepat),
        "synth",
        "--region",
        args.region,
        "--seed",
        str(args.seed),
        "--people",
        str(args.people),
        "--out",
        str(args.out),
        "--json",
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(proc.returncode)
    summary = json.loads(proc.stdout)
    rows = {k: v["rows"] for k, v in summary["sources"].items()}
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(
        f"date: {date.today()}  machine: {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"{platform.processor() or platform.machine()}"
    )
    print(f"command: {' '.join(cmd)}")
    print(
        f"people (at snapshot): {summary['people']['at_snapshot']:,}  "
        f"households: {summary['households']['at_snapshot']:,}"
    )
    print(
        "rows per source: "
        + ", ".join(f"{k} {v:,}" for k, v in rows.items())
        + f" (total {sum(rows.values()):,})"
    )
    print(f"output size: {size / 2**20:.0f} MiB")
    print(f"wall time: {seconds:.1f} s (target <= 60 s)")
    print(f"peak memory: {peak_kib / 2**20:.2f} GiB (target <= 4 GiB)")
    check = summary["targeting_check"]
    print(
        f"targeting check: R^2 {check['r_squared']}, mistargeting {check['mistargeting']}, "
        f"inclusion {check['inclusion_error']}, exclusion {check['exclusion_error']}"
    )


if __name__ == "__main__":
    main()
