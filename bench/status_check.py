"""Benchmark (issue 5): the public status check (``POST /api/v1/public/status``) with 1,000,000
people in PostgreSQL. Target: at least 500 requests/s with p95 at or under 100 ms at 50
concurrent clients, the load generator (wrk) on the same 2-core machine.

Run by hand after ``bench/registry_load_1m.py --url <pg url>``::

    .venv/bin/python bench/status_check.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/tepat_1m]
        [--workers 2] [--clients 50] [--seconds 30]

It samples 5,000 living people (NIK and name as registered) and mixes in 5% unknown NIKs, writes
a wrk Lua script that sends them round-robin, starts ``tepat serve --workers N`` on the
database, warms it up for 5 s, then runs wrk and prints requests/s and the latency percentiles
(p50, p90, p95, p99) from wrk's own histogram, and the status codes seen. The per-IP rate limit
is lifted for the run (TEPAT_STATUS_CHECK_RATE_PER_MINUTE): every request comes from one
address here, where real traffic comes from many.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tepat.reference.nik import check_nik

BIN = Path(sys.executable).parent
OUT = Path("bench/out/status")
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tepat_1m"

LUA = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local counter = 0
local codes = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  return wrk.format(nil, "/api/v1/public/status", nil, bodies[(counter %% #bodies) + 1])
end
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
done = function(summary, latency, requests)
  local out = io.open("%(result)s", "w")
  out:write(string.format('{"requests": %%d, "seconds": %%.3f, "errors_connect": %%d, ' ..
    '"errors_timeout": %%d, "errors_status": %%d, "p50_ms": %%.2f, "p90_ms": %%.2f, ' ..
    '"p95_ms": %%.2f, "p99_ms": %%.2f, "max_ms": %%.2f}',
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  out:close()
end
"""


def _sample(url: str, n: int, seed: int) -> list[dict[str, str]]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT max(id) FROM people")).scalar_one()
        rng = random.Random(seed)
        ids = rng.sample(range(1, total + 1), min(n * 2, total))
        rows = conn.execute(
            text(
                "SELECT nik, full_name FROM people WHERE id = ANY(:ids) AND status = 'alive' "
                "AND nik IS NOT NULL"
            ),
            {"ids": ids},
        ).all()
    engine.dispose()
    # People whose registered NIK is malformed (dirty source data) cannot use the check: 422.
    valid = [r for r in rows if check_nik(r.nik).valid]
    bodies = [{"nik": r.nik, "name": r.full_name} for r in valid[:n]]
    for i in range(n // 20):  # 5% unknown: a real NIK shape with a serial nobody has
        known = bodies[i]["nik"]
        bodies.append({"nik": known[:12] + "9" + f"{i % 1000:03d}", "name": "Tidak Terdaftar"})
    rng.shuffle(bodies)
    return bodies


def _wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/ready", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the service did not become ready")


def _wrk(script: Path, base: str, clients: int, seconds: int, result: Path) -> dict[str, float]:
    threads = "2"
    subprocess.run(
        [
            "wrk",
            "-t",
            threads,
            "-c",
            str(clients),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        check=True,
        capture_output=True,
    )
    data: dict[str, float] = json.loads(result.read_text())
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("TEPAT_BENCH_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    bodies = _sample(args.url, 5_000, seed=1)
    (OUT / "bodies.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bodies))
    result = (OUT / "result.json").resolve()
    script = OUT / "status.lua"
    script.write_text(LUA % {"bodies": (OUT / "bodies.jsonl").resolve(), "result": result})
    env = {
        **os.environ,
        "TEPAT_DATABASE_URL": args.url,
        "TEPAT_STATUS_CHECK_RATE_PER_MINUTE": "100000",
    }
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [str(BIN / "tepat"), "serve", "--port", str(args.port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(base)
        _wrk(script, base, args.clients, 5, result)  # warm-up: connections, caches
        stats = _wrk(script, base, args.clients, args.seconds, result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rps = stats["requests"] / stats["seconds"]
    print(
        f"{len(bodies):,} distinct bodies, {args.clients} clients, {args.workers} workers, "
        f"{args.seconds} s"
    )
    print(
        f"requests/s {rps:,.0f}; latency ms p50 {stats['p50_ms']:.1f}, p90 {stats['p90_ms']:.1f},"
        f" p95 {stats['p95_ms']:.1f}, p99 {stats['p99_ms']:.1f}, max {stats['max_ms']:.1f}; "
        f"errors connect {stats['errors_connect']:.0f}, timeout {stats['errors_timeout']:.0f}, "
        f"non-2xx {stats['errors_status']:.0f}"
    )
    met = rps >= 500 and stats["p95_ms"] <= 100 and stats["errors_status"] == 0
    print("target (>= 500 requests/s, p95 <= 100 ms, no errors):", "met" if met else "NOT met")


if __name__ == "__main__":
    main()
