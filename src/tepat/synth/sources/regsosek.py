"""Regsosek 2022 export: questionnaire-coded families (blocks I, III, V) and members (block IV).

Two Parquet files, near-full coverage, one snapshot (15 Oct - 14 Nov 2022). Items are named by
their questionnaire number (``r303`` floor ...); yes/no items are coded 1 = ya, 2 = tidak.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tepat.registry.fields import HOUSEHOLD_ITEMS, YES_NO_ITEMS
from tepat.synth.generate import Population
from tepat.synth.population import SNAPSHOT
from tepat.synth.sources import noise
from tepat.synth.sources.common import (
    Export,
    addresses,
    fathers_given,
    muslim_rows,
    people_of,
    snapshot_households,
    truth_table,
    year_of,
)

COVERAGE = 0.965
NAME_RATES = {"typo": 0.02, "spelling_variant": 0.03, "abbreviation": 0.015, "apostrophe": 0.3}
NIK_RATES = {"missing": 0.03, "typo": 0.006, "transposition": 0.005}
DOB_RATES = {"day_month_swap": 0.008, "unknown_day": 0.01, "year_slip": 0.005}


def _yn(values: np.ndarray) -> pa.Array:
    return pa.array(np.where(values.astype(bool), 1, 2).astype(np.int8))


def _int(values: np.ndarray, typ: pa.DataType = pa.int16()) -> pa.Array:
    return pa.array(np.asarray(values).astype(np.int64), typ)


def export(pop: Population, rng: np.random.Generator, out: Path, programs: np.ndarray) -> Export:
    """Write ``regsosek2022_keluarga.parquet`` and ``regsosek2022_art.parquet`` under ``out``."""
    h, p, v = pop.households, pop.people, pop.villages
    hh = snapshot_households(pop)
    hh = hh[rng.random(len(hh)) < COVERAGE]
    fam_ids = np.array([f"RS22{i:08d}" for i in range(1, len(hh) + 1)], dtype=object)
    vill = h["village"][hh]
    codes = v.codes[vill]
    persons = people_of(pop, hh, include_ghosts=False)
    size = np.bincount(np.searchsorted(hh, p["hh"][persons]), minlength=len(hh))
    labels_h = noise.Labels(len(hh))
    kk = noise.niks(rng, h["kk_snapshot"][hh], {"missing": 0.02, "typo": 0.004}, labels_h, "kk")
    heads = persons[p["relationship"][persons] == 1]
    head_name = np.full(len(hh), "", dtype=object)
    head_name[np.searchsorted(hh, p["hh"][heads])] = p["full_name"][heads]
    enum_day = np.datetime64(SNAPSHOT, "D") + rng.integers(0, 30, len(hh)).astype("timedelta64[D]")
    cols: dict[str, pa.Array] = {
        "id_keluarga": pa.array(fam_ids.astype(str)),
        "r101": pa.array([c[:2] for c in codes]),
        "r102": pa.array([c[3:5] for c in codes]),
        "r103": pa.array([c[6:8] for c in codes]),
        "r104": pa.array([c[9:] for c in codes]),
        "r105": pa.array([f"{c[9:]}{r:03d}" for c, r in zip(codes, h["rw"][hh], strict=True)]),
        "r106": pa.array(
            [f"RT {a:03d} RW {b:03d}" for a, b in zip(h["rt"][hh], h["rw"][hh], strict=True)]
        ),
        "r107": pa.array(addresses(rng, pop, hh, "regsosek").astype(str)),
        "r108": pa.array(head_name.astype(str)),
        "r109": _int(h["house_number"][hh]),
        "r110": _int(np.ones(len(hh))),
        "r111": _int(np.ones(len(hh)), pa.int8()),
        "r112": _int(size, pa.int8()),
        "r114": pa.array(kk.tolist(), pa.string()),
        "r115": _int(np.where(kk == None, 0, 1), pa.int8()),  # noqa: E711 - element-wise
    }
    for k, letter in enumerate("abcdefg"):
        cols[f"r501{letter}"] = _yn((programs[hh] >> k) & 1)
    # Blocks III and V in questionnaire order.
    for name, item in sorted(HOUSEHOLD_ITEMS.items(), key=lambda kv: kv[1]):
        cols[item] = _yn(h[name][hh]) if name in YES_NO_ITEMS else _int(h[name][hh])
    cols["tanggal_pencacahan"] = pa.array(enum_day, pa.date32())
    families = pa.table(cols)

    labels = noise.Labels(len(persons))
    female = p["female"][persons]
    names = noise.names(
        rng,
        p["full_name"][persons],
        female,
        fathers_given(pop, persons),
        year_of(p["born_on"][persons]),
        muslim_rows(pop, persons),
        NAME_RATES,
        labels,
    )
    niks = noise.niks(rng, p["nik"][persons], NIK_RATES, labels)
    dob = noise.birth_dates(rng, p["born_on"][persons], DOB_RATES, labels)
    fam_of = fam_ids[np.searchsorted(hh, p["hh"][persons])]
    age = (np.datetime64(SNAPSHOT, "D") - p["born_on"][persons]).astype(np.int64) // 365.25
    members = pa.table(
        {
            "id_keluarga": pa.array(fam_of.astype(str)),
            "r401": _int(p["line"][persons], pa.int8()),
            "r402": pa.array(names.astype(str)),
            "r403": pa.array(niks.tolist(), pa.string()),
            "r404": _int(np.ones(len(persons)), pa.int8()),
            "r405": _int(np.where(female, 2, 1), pa.int8()),
            "r406": pa.array(dob, pa.date32()),
            "r407": _int(age, pa.int8()),
            "r408": _int(p["marital"][persons], pa.int8()),
            "r409": _int(p["relationship"][persons], pa.int8()),
            "r410": _yn(p["pregnant"][persons]),
            "r411": _int(p["id_documents"][persons], pa.int8()),
            "r412": _int(p["school_participation"][persons], pa.int8()),
            "r413": _int(p["education_level"][persons], pa.int8()),
            "r414": _int(p["grade"][persons], pa.int8()),
            "r415": _int(p["diploma"][persons], pa.int8()),
            "r416a": _yn(p["worked_last_week"][persons]),
            "r416b": _int(p["work_hours"][persons], pa.int8()),
            "r417": _int(p["industry"][persons], pa.int8()),
            "r418": _int(p["employment_status"][persons], pa.int8()),
            "r419": _yn(p["has_npwp"][persons]),
            "r420": _yn(p["has_business"][persons]),
            "r425": _int(p["business_turnover"][persons], pa.int8()),
            "r428": _int(p["disability"][persons], pa.int8()),
            "r428_domain": _int(p["disability_domains"][persons]),
            "r430": _int(p["chronic_disease"][persons], pa.int8()),
            "r431a": _int(p["health_insurance"][persons], pa.int8()),
            "r431b": _yn(p["prakerja"][persons]),
            "r431c": _yn(p["kur"][persons]),
            "r431d": _yn(p["umi"][persons]),
            "r431e": _yn(p["pip"][persons]),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    f1, f2 = out / "regsosek2022_keluarga.parquet", out / "regsosek2022_art.parquet"
    pq.write_table(families, f1, compression="zstd")
    pq.write_table(members, f2, compression="zstd")
    record_ids = np.char.add(np.char.add(fam_of.astype(str), "-"), p["line"][persons].astype(str))
    fam_truth = truth_table(
        "regsosek_keluarga", fam_ids, np.full(len(hh), -1), hh, labels_h.column()
    )
    truth = pa.concat_tables(
        [
            truth_table("regsosek", record_ids, persons, p["hh"][persons], labels.column()),
            fam_truth,
        ]
    )
    counts = {**labels.counts, **labels_h.counts}
    return Export(
        "regsosek",
        [f1.name, f2.name],
        len(persons) + len(hh),
        truth,
        counts,
        {"families": len(hh), "members": len(persons)},
    )
