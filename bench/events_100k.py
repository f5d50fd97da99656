"""Benchmark (issue 5): 100,000 civil-registry events applied to a registry of 1,000,000 people
on PostgreSQL with ``tepat events import``. Target: at most 60 s.

Run by hand: ``.venv/bin/python bench/events_100k.py [--people 1000000] [--events 100000]
[--url postgresql+psycopg://postgres@127.0.0.1:5432/tepat_bench]``. Not timed: synthesising the
population (``tepat synth``, kept in bench/out/events/pop-N), (re)creating the database, loading
it (``tepat registry load-synthetic``) and writing the event file. Timed: the import, as a child
process, start-up included. The events are plausible for the registry they are made from:
births to living women of 18-45 in their household, deaths of living people (heads too: the
eldest adult then heads), moves of whole households to another village of their district, and
economic changes of a household's block III/V items and a member's work, dated after the data
cut in file order.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tepat.reference.nik import encode_nik
from tepat.reference.regions import RegionLevel, regions

BIN = Path(sys.executable).parent
ROOT = Path("bench/out/events")
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tepat_bench"
CUT = date(2025, 6, 30)


def _tepat(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run([str(BIN / "tepat"), *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: some lines rejected (reported, not fatal here)
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"failed: tepat {' '.join(args)}")
    return seconds, proc.stdout


def _recreate(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _candidates(url: str) -> tuple[list[Any], list[Any]]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        people = conn.execute(
            text(
                "SELECT p.id, p.sex, p.birth_date, m.household_id, m.role, h.village_code "
                "FROM people p JOIN memberships m ON m.person_id = p.id AND m.end_date IS NULL "
                "JOIN households h ON h.id = m.household_id "
                "WHERE p.status = 'alive' AND h.status = 'active' ORDER BY p.id"
            )
        ).all()
        households = conn.execute(
            text("SELECT id, village_code FROM households WHERE status = 'active' ORDER BY id")
        ).all()
    engine.dispose()
    return people, households


def _events(
    people: list[Any], households: list[Any], count: int, seed: int
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    repo = regions()
    span = (date.today() - CUT).days
    day = lambda: (CUT + timedelta(days=rng.randrange(1, span))).isoformat()  # noqa: E731
    mothers = [
        p
        for p in people
        if p.sex == "F" and p.birth_date and 18 <= (CUT - p.birth_date).days // 365 <= 45
    ]
    rng.shuffle(people)
    dying = iter(people)
    movers = list(households)
    rng.shuffle(movers)
    moving = iter(movers)
    out: list[dict[str, Any]] = []
    used_households: set[int] = set()
    serial = 9000
    kinds = ["birth", "death", "move", "economic_change"]
    for n in range(count):
        kind = kinds[n % 4]
        event: dict[str, Any] = {
            "event_id": f"bench-{seed}-{n}",
            "type": kind,
            "effective_date": day(),
        }
        if kind == "birth":
            mother = rng.choice(mothers)
            sex = rng.choice("MF")
            event |= {"household_id": mother.household_id, "full_name": f"Bayi {n}", "sex": sex}
            event["mother_id"] = mother.id
            if n % 8 == 0:
                serial = serial + 1 if serial < 9999 else 9000
                born = date.fromisoformat(event["effective_date"])
                event["nik"] = encode_nik(mother.village_code[:8], born, sex, serial)
        elif kind == "death":
            person = next(dying)
            while person.household_id in used_households:
                person = next(dying)
            used_households.add(person.household_id)  # one death per family keeps heads named
            event["person_id"] = person.id
        elif kind == "move":
            household = next(moving)
            villages = repo.descendant_codes(household.village_code[:8], RegionLevel.VILLAGE)
            event |= {"household_id": household.id, "to_village": rng.choice(villages)}
            event["address"] = f"RT {rng.randrange(1, 20):03d} RW {rng.randrange(1, 9):03d}"
        else:
            household = rng.choice(households)
            event |= {
                "household_id": household.id,
                "household_changes": {
                    rng.choice(["has_motorbike", "has_fridge", "has_smartphone"]): rng.random()
                    < 0.5,
                    "roof_material": rng.randrange(1, 9),
                },
                "reason": rng.choice(["kehilangan pekerjaan", "rumah rusak", "usaha baru"]),
            }
        out.append(event)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--url", default=os.environ.get("TEPAT_BENCH_URL", DEFAULT_URL))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    env = {**os.environ, "TEPAT_DATABASE_URL": args.url}
    pop = ROOT / f"pop-{args.people}"
    if not (pop / "summary.json").exists():
        print(f"synthesising {args.people:,} people into {pop} (not timed)", flush=True)
        _tepat(
            [
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
            env,
        )
    print(
        f"loading them into {make_url(args.url).render_as_string(hide_password=True)} (not timed)",
        flush=True,
    )
    _recreate(args.url)
    load_s, _ = _tepat(["registry", "load-synthetic", str(pop)], env)
    people, households = _candidates(args.url)
    feed = ROOT / f"events-{args.events}.jsonl"
    events = _events(people, households, args.events, args.seed)
    feed.write_text("".join(json.dumps(e) + "\n" for e in events))
    print(
        f"registry: {len(people):,} living people in {len(households):,} households "
        f"(loaded in {load_s:.0f} s); feed: {len(events):,} events in {feed}",
        flush=True,
    )
    seconds, output = _tepat(["events", "import", str(feed)], env)
    print(output.strip().splitlines()[0])
    print(
        f"import wall time: {seconds:.1f} s, {len(events) / seconds:,.0f} events/s "
        "(target: 100,000 in <= 60 s)"
    )
    again, output = _tepat(["events", "import", str(feed)], env)
    print(f"re-import (all duplicates): {again:.1f} s: {output.strip().splitlines()[0]}")


if __name__ == "__main__":
    main()
