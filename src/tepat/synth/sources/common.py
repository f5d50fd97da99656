"""What the three source exports share: selection of DTKS/P3KE families and address writing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from tepat.synth.generate import Population
from tepat.synth.population import SNAPSHOT

STREETS = (
    "MERDEKA",
    "SUDIRMAN",
    "DIPONEGORO",
    "IMAM BONJOL",
    "TEUKU UMAR",
    "MASJID RAYA",
    "PASAR",
    "KEBUN",
    "SAWAH",
    "PAHLAWAN",
    "SISINGAMANGARAJA",
    "CUT NYAK DHIEN",
    "ANGGREK",
    "MELATI",
    "KENANGA",
    "PELITA",
    "PEMUDA",
    "TANJUNG",
    "BUKIT",
    "LINTAS",
)
DUSUN = (
    "I",
    "II",
    "III",
    "IV",
    "V",
    "MAKMUR",
    "SEJAHTERA",
    "BARU",
    "MEKAR",
    "TENGAH",
    "HILIR",
    "HULU",
    "KRUENG",
    "BLANG",
    "LAMPOH",
)


@dataclass
class Export:
    """One written source: its files, rows, and the ground truth of every row."""

    source: str
    files: list[str]
    rows: int
    truth: pa.Table
    noise: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)


def snapshot_households(pop: Population) -> np.ndarray:
    """Indices of households that existed at the Regsosek snapshot."""
    return np.flatnonzero(pop.households["split_from"] < 0)


def dtks_households(pop: Population, rng: np.random.Generator) -> np.ndarray:
    """The poorer ~40% as an old, noisy welfare assessment (PBDT 2015 + updates) saw them."""
    snap = snapshot_households(pop)
    old_view = pop.households["log_pce_snapshot"][snap] + rng.normal(0, 0.3, len(snap))
    return snap[old_view <= np.quantile(old_view, 0.40)]


def p3ke_households(pop: Population, rng: np.random.Generator) -> np.ndarray:
    """The extreme-poor subset as Pendataan Keluarga 2021 ranked it (bottom ~8%)."""
    snap = snapshot_households(pop)
    view = pop.households["log_pce_snapshot"][snap] + rng.normal(0, 0.25, len(snap))
    # P3KE's own welfare view; its desil 1 is the bottom 5%, the rest of the export desil 2.
    pop.households["p3ke_desil"] = np.zeros(len(pop.households["latent"]), np.int8)
    pop.households["p3ke_desil"][snap] = np.where(view <= np.quantile(view, 0.05), 1, 2)
    return snap[view <= np.quantile(view, 0.08)]


def addresses(rng: np.random.Generator, pop: Population, hh: np.ndarray, style: str) -> np.ndarray:
    """Address line of households ``hh`` (snapshot village), written in a source's own style."""
    h = pop.households
    urban = h["urban"][hh]
    street = np.asarray(STREETS, dtype=object)[h["house_number"][hh] % len(STREETS)]
    dusun = np.asarray(DUSUN, dtype=object)[(h["rt"][hh] + h["rw"][hh]) % len(DUSUN)]
    num = h["house_number"][hh]
    rt, rw = h["rt"][hh], h["rw"][hh]
    out = np.empty(len(hh), dtype=object)
    jl = {"regsosek": "JL. ", "dtks": "JLN ", "p3ke": "Jalan "}[style]
    for i in range(len(hh)):
        if style == "p3ke":
            place = (
                f"{jl}{street[i].title()} No.{num[i]}" if urban[i] else f"Dsn. {dusun[i].title()}"
            )
            out[i] = f"{place} RT.{rt[i]:03d}/RW.{rw[i]:03d}"
        elif style == "dtks":
            out[i] = (
                f"{jl}{street[i]} NO {num[i]} RT {rt[i]} RW {rw[i]}"
                if urban[i]
                else f"DUSUN {dusun[i]} RT {rt[i]:02d}/{rw[i]:02d}"
            )
        else:
            out[i] = f"{jl}{street[i]} NO. {num[i]}" if urban[i] else f"DUSUN {dusun[i]}"
    return out


def people_of(
    pop: Population,
    hh: np.ndarray,
    *,
    include_ghosts: bool,
    listed_before: np.datetime64 | None = None,
) -> np.ndarray:
    """Snapshot members of households ``hh`` (optionally with people dead before the snapshot)."""
    p = pop.people
    member = np.isin(p["hh"], hh)
    keep = member & (
        p["in_snapshot"]
        | (include_ghosts & ~np.isnat(p["died_on"]) & (p["died_on"] < np.datetime64(SNAPSHOT, "D")))
    )
    if listed_before is not None:
        keep &= p["born_on"] < listed_before
    idx = np.flatnonzero(keep)
    return idx[np.lexsort((p["line"][idx], p["hh"][idx]))]


def fathers_given(pop: Population, persons: np.ndarray) -> np.ndarray:
    """First word of the father's name for children (used for BIN/BINTI), else ''."""
    p = pop.people
    n_h = len(pop.households["latent"])
    male_head = np.full(n_h, -1)
    heads = np.flatnonzero(p["in_snapshot"] & (p["relationship"] == 1) & ~p["female"])
    male_head[p["hh"][heads]] = heads
    spouse_m = np.flatnonzero(p["in_snapshot"] & (p["relationship"] == 2) & ~p["female"])
    male_head[p["hh"][spouse_m]] = spouse_m
    hh = np.maximum(p["hh"][persons], 0)
    father = np.where(p["relationship"][persons] == 3, male_head[hh], -1)
    out = np.full(len(persons), "", dtype=object)
    has = father >= 0
    out[has] = [p["full_name"][f].split(" ")[0] for f in father[has]]
    return out


def muslim_rows(pop: Population, persons: np.ndarray) -> np.ndarray:
    """True for people of a Muslim-majority naming group (titles and BIN/BINTI apply)."""
    from tepat.synth.names import GROUPS
    from tepat.synth.sources.noise import MUSLIM_GROUPS

    muslim_group = np.array([g in MUSLIM_GROUPS for g in GROUPS])
    hh = np.where(
        pop.people["hh"][persons] >= 0, pop.people["hh"][persons], pop.people["hh_now"][persons]
    )
    return muslim_group[pop.households["group"][hh]]


def year_of(dates: np.ndarray) -> np.ndarray:
    """Calendar year of datetime64 values."""
    return dates.astype("datetime64[Y]").astype(np.int64) + 1970


def truth_table(
    source: str,
    record_ids: np.ndarray,
    persons: np.ndarray,
    households: np.ndarray,
    noise: np.ndarray,
) -> pa.Table:
    """Ground truth for one source's rows."""
    return pa.table(
        {
            "source": pa.array([source] * len(record_ids), pa.string()),
            "record_id": pa.array(record_ids.astype(str), pa.string()),
            "person_id": pa.array(persons, pa.int64()),
            "household_id": pa.array(households, pa.int64()),
            "noise": pa.array(noise, pa.string()),
        }
    )


def programs_received(pop: Population, dtks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """r501a-g bitmask per household: what the family received Oct 2021 - Oct 2022.

    Mostly driven by DTKS membership (that is how BPNT and PKH were targeted), so past receipt
    is a signal of welfare with the errors of the old list.
    """
    h, p = pop.households, pop.people
    n = len(h["latent"])
    in_dtks = np.zeros(n, bool)
    in_dtks[dtks] = True
    kids_or_old = (h["children"] > 0) | (h["elderly"] > 0)
    farmer = np.zeros(n, bool)
    farm = np.flatnonzero(p["in_snapshot"] & np.isin(p["industry"], [1, 2, 3]))
    farmer[p["hh"][farm]] = True
    bits = [
        in_dtks & (rng.random(n) < 0.7),  # a Sembako/BPNT
        in_dtks & kids_or_old & (rng.random(n) < 0.5),  # b PKH
        ~h["urban"] & ~in_dtks & (rng.random(n) < 0.12),  # c BLT Desa
        h["power_va"] == 1,  # d electricity subsidy (450 VA)
        rng.random(n) < 0.04,  # e regional-government aid
        farmer & (rng.random(n) < 0.45),  # f fertilizer subsidy
        h["cooking_fuel"] == 4,  # g LPG 3 kg subsidy
    ]
    out = np.zeros(n, np.int64)
    for k, b in enumerate(bits):
        out |= b.astype(np.int64) << k
    out[h["split_from"] >= 0] = 0
    return out
