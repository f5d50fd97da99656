"""``tepat synth``: generate a population, write its source exports and ground truth atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tepat.errors import InvalidInput
from tepat.registry.fields import HOUSEHOLD_ITEMS, PERSON_ITEMS
from tepat.synth.generate import Population, generate
from tepat.synth.population import SNAPSHOT
from tepat.synth.sources import common, dtks, p3ke, regsosek, survey

HOUSEHOLD_COLUMNS = (
    "kk_snapshot",
    "kk_now",
    "kk_issued_now",
    "status",
    "formed_on",
    "split_from",
    "moved_on",
    "moved_district",
    "head_changed_on",
    "size",
    "size_now",
    "pce_now",
    "log_pce_snapshot",
    "urban",
    "rt",
    "rw",
    "house_number",
    *HOUSEHOLD_ITEMS,
    "programs_received",
    "family_name",
)
PERSON_COLUMNS = (
    "nik",
    "nik_district",
    "full_name",
    "born_on",
    "died_on",
    "in_snapshot",
    "married_in",
    "relationship",
    "relationship_now",
    "marital",
    "marital_now",
    "line",
    "mother_name",
    *PERSON_ITEMS,
)
Progress = Callable[[str], None]


def _arrow(values: np.ndarray) -> pa.Array:
    if values.dtype.kind == "M":
        return pa.array(values.astype("datetime64[D]"), pa.date32())
    if values.dtype == object:
        return pa.array(values, pa.string())
    return pa.array(values)


def _truth_tables(pop: Population) -> dict[str, pa.Table]:
    h, p, v = pop.households, pop.people, pop.villages
    from tepat.synth.names import GROUPS

    hh_cols: dict[str, pa.Array] = {
        "household_id": pa.array(np.arange(len(h["latent"])), pa.int64()),
        "village_snapshot": _arrow(v.codes[h["village"]]),
        "village_now": _arrow(np.where(h["moved_out_of_scope"], None, v.codes[h["village_now"]])),
        "ethnic_group": _arrow(np.asarray(GROUPS, dtype=object)[h["group"]]),
    }
    hh_cols.update({c: _arrow(h[c]) for c in HOUSEHOLD_COLUMNS})
    p_cols: dict[str, pa.Array] = {
        "person_id": pa.array(np.arange(len(p["hh"])), pa.int64()),
        "household_snapshot": pa.array(p["hh"], pa.int64()),
        "household_now": pa.array(p["hh_now"], pa.int64()),
        "sex": _arrow(np.where(p["female"], "F", "M").astype(object)),
    }
    p_cols.update({c: _arrow(p[c]) for c in PERSON_COLUMNS})
    m, e = pop.memberships, pop.events
    return {
        "households": pa.table(hh_cols),
        "people": pa.table(p_cols),
        "memberships": pa.table(
            {
                "person_id": pa.array(m["person"], pa.int64()),
                "household_id": pa.array(m["household"], pa.int64()),
                "relationship": pa.array(m["relationship"], pa.int8()),
                "start_date": _arrow(m["start"]),
                "end_date": _arrow(m["end"]),
                "end_reason": _arrow(m["end_reason"]),
            }
        ),
        "events": pa.table(
            {
                "event_id": pa.array([f"EV{i:09d}" for i in range(1, len(e["type"]) + 1)]),
                "type": _arrow(e["type"]),
                "date": _arrow(e["date"]),
                "person_id": pa.array(np.where(e["person"] >= 0, e["person"], None), pa.int64()),
                "household_id": pa.array(e["household"], pa.int64()),
            }
        ),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def validate_request(*, seed: int, people: int | None, as_of: date) -> None:
    """Refuse impossible arguments before anything is generated or written."""
    if seed < 0 or seed > 2**63 - 1:
        raise InvalidInput(f"--seed must be a whole number from 0 to 2^63-1, not {seed}")
    if people is not None and not 10 <= people <= 300_000_000:
        raise InvalidInput(f"--people must be between 10 and 300,000,000, not {people:,}")
    if as_of <= SNAPSHOT:
        raise InvalidInput(f"--as-of must be after the Regsosek snapshot ({SNAPSHOT}), not {as_of}")


def synthesize(
    *,
    scope: str,
    seed: int,
    people: int | None,
    as_of: date,
    out: Path,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Generate and write everything under ``out``; returns the summary (also summary.json).

    Files are written to a temporary sibling folder and moved into place at the end, so a failure
    leaves ``out`` as it was.
    """
    say = progress or (lambda _msg: None)
    validate_request(seed=seed, people=people, as_of=as_of)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InvalidInput(f"{out} exists and is not empty; pass --overwrite to replace it")
    say("generating the population")
    pop = generate(scope=scope, seed=seed, people=people, as_of=as_of)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        summary = _write_all(pop, tmp, say)
        if out.exists():
            backup = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(backup)
            tmp.rename(out)
            shutil.rmtree(backup)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _write_all(pop: Population, tmp: Path, say: Progress) -> dict[str, Any]:
    src, truth_dir = tmp / "sources", tmp / "truth"
    truth_dir.mkdir(parents=True)
    rng = {
        name: np.random.default_rng([pop.seed, k])
        for k, name in enumerate(("select", "regsosek", "dtks", "p3ke"))
    }
    dtks_hh = common.dtks_households(pop, rng["select"])
    p3ke_hh = common.p3ke_households(pop, rng["select"])
    programs = common.programs_received(pop, dtks_hh, rng["select"])
    pop.households["programs_received"] = programs
    say("writing Regsosek 2022")
    exports = [regsosek.export(pop, rng["regsosek"], src, programs)]
    say("writing DTKS")
    exports.append(dtks.export(pop, rng["dtks"], src, dtks_hh, programs))
    say("writing P3KE")
    exports.append(p3ke.export(pop, rng["p3ke"], src, p3ke_hh))
    survey.export(pop, tmp / "survey")
    say("writing the ground truth")
    for name, table in _truth_tables(pop).items():
        pq.write_table(table, truth_dir / f"{name}.parquet", compression="zstd")
    pq.write_table(
        pa.concat_tables([e.truth for e in exports]),
        truth_dir / "source_records.parquet",
        compression="zstd",
    )
    summary = _summary(pop, exports)
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    summary["files"] = {str(p.relative_to(tmp)): _sha256(p) for p in files}
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary


def _summary(pop: Population, exports: list[common.Export]) -> dict[str, Any]:
    h, p, ev = pop.households, pop.people, pop.events
    alive = np.isnat(p["died_on"])
    active = h["status"] == "active"
    event_counts = {
        str(k): int(v) for k, v in zip(*np.unique(ev["type"], return_counts=True), strict=True)
    }
    return {
        "scope": {
            "code": pop.villages.scope_code,
            "name": pop.villages.scope_name,
            "villages": len(pop.villages.codes),
        },
        "seed": pop.seed,
        "snapshot_date": SNAPSHOT.isoformat(),
        "as_of": pop.as_of.isoformat(),
        "households": {
            "at_snapshot": int((h["split_from"] < 0).sum()),
            "now_active": int(active.sum()),
            "moved_out_of_scope": int(h["moved_out_of_scope"].sum()),
            "dissolved": int((h["status"] == "dissolved").sum()),
        },
        "people": {
            "total_ever": len(p["hh"]),
            "at_snapshot": int(p["in_snapshot"].sum()),
            "alive_now": int(alive.sum()),
            "without_nik": int(sum(x is None for x in p["nik"].tolist())),
        },
        "events": event_counts,
        "sources": {
            e.source: {
                "files": e.files,
                "rows": e.rows,
                "noise": dict(sorted(e.noise.items())),
                **e.extra,
            }
            for e in exports
        },
        "survey_households": len(pop.survey["household"]),
        "targeting_check": pop.calibration.as_dict(),
    }
