"""DTKS export in the shape of a SIKS-NG download: one CSV row per member, family columns repeated.

Stale by design: the poorer ~40% as last verified in 2019-2021, so people who have since died are
still listed (some died before Regsosek), moved families sit at their old address, families that
split are still under the parents' KK, and babies born after the update are missing. Identity
data is dirtier than the other sources: missing and invalid NIK/KK, titles, old spellings,
duplicate rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tepat.synth.generate import Population
from tepat.synth.sources import noise
from tepat.synth.sources.common import (
    Export,
    addresses,
    fathers_given,
    muslim_rows,
    people_of,
    truth_table,
    year_of,
)

NAME_RATES = {
    "typo": 0.04,
    "spelling_variant": 0.07,
    "old_spelling": 0.3,
    "title": 0.05,
    "patronymic": 0.02,
    "abbreviation": 0.03,
    "apostrophe": 0.5,
}
NIK_RATES = {"missing": 0.08, "typo": 0.012, "transposition": 0.01, "invalid": 0.04, "format": 0.03}
KK_RATES = {"missing": 0.03, "typo": 0.01, "invalid": 0.05}
DOB_RATES = {"day_month_swap": 0.025, "unknown_day": 0.02, "year_slip": 0.01}
DUPLICATE_RATE = 0.025


def _ddmmyyyy(d: np.ndarray) -> pa.Array:
    return pc.strftime(pa.array(d.astype("datetime64[D]"), pa.date32()), "%d/%m/%Y")


def export(
    pop: Population,
    rng: np.random.Generator,
    out: Path,
    dtks_hh: np.ndarray,
    programs: np.ndarray,
) -> Export:
    """Write ``dtks_siksng.csv`` under ``out``."""
    h, p, v = pop.households, pop.people, pop.villages
    # Each family's data was last updated some time in 2019-2021.
    updated = np.datetime64("2019-01-01") + rng.integers(0, 1095, len(dtks_hh)).astype(
        "timedelta64[D]"
    )
    upd_of = np.full(len(h["latent"]), np.datetime64("NaT"), dtype="datetime64[D]")
    upd_of[dtks_hh] = updated
    persons = people_of(pop, dtks_hh, include_ghosts=True)
    persons = persons[p["born_on"][persons] < upd_of[p["hh"][persons]]]
    # Of the people who died before the snapshot, those who died within ~2.5 years before the
    # family's last update are still listed (death reports lag); earlier deaths were removed.
    ghost = ~p["in_snapshot"][persons]
    persons = persons[
        ~ghost | (p["died_on"][persons] >= upd_of[p["hh"][persons]] - np.timedelta64(900, "D"))
    ]
    # Duplicate rows: the same person entered twice, sometimes with a different spelling.
    dup = persons[rng.random(len(persons)) < DUPLICATE_RATE]
    rows = np.concatenate([persons, dup])
    is_dup = np.r_[np.zeros(len(persons), bool), np.ones(len(dup), bool)]
    order = np.lexsort((p["line"][rows], p["hh"][rows]))
    rows, is_dup = rows[order], is_dup[order]
    n = len(rows)
    labels = noise.Labels(n)
    labels.add(np.flatnonzero(is_dup), "row:duplicate")
    hh_rows = p["hh"][rows]
    female = p["female"][rows]
    names = noise.names(
        rng,
        p["full_name"][rows],
        female,
        fathers_given(pop, rows),
        year_of(p["born_on"][rows]),
        muslim_rows(pop, rows),
        NAME_RATES,
        labels,
    )
    niks = noise.niks(rng, p["nik"][rows], NIK_RATES, labels)
    kk = noise.niks(rng, h["kk_snapshot"][hh_rows], KK_RATES, labels, "kk")
    dob = noise.birth_dates(rng, p["born_on"][rows], DOB_RATES, labels)
    uniq_hh, inv = np.unique(hh_rows, return_inverse=True)
    addr = addresses(rng, pop, uniq_hh, "dtks")[inv]
    codes = v.codes[h["village"][hh_rows]]
    digits = np.char.replace(codes.astype(str), ".", "")
    # IDs are assigned per family in the order families were entered, not by village.
    fam_seq = rng.permutation(len(uniq_hh))[inv]
    id_jtg = np.char.add("3" + "0" * 3, np.char.zfill((fam_seq + 100001).astype(str), 9))
    row_ids = np.char.add("D", np.char.zfill((np.arange(n) + 1).astype(str), 9))
    births = [
        v.regency_names[h["village"][hh]].upper().replace("KABUPATEN ", "").replace("KOTA ", "")
        for hh in hh_rows
    ]
    pkh = ((programs[hh_rows] >> 1) & 1).astype(bool)  # the family's r501b (PKH) receipt
    table = pa.table(
        {
            "ID_DTKS": pa.array(row_ids.astype(str)),
            "IDJTG": pa.array(id_jtg.astype(str)),
            "KD_PROP": pa.array([d[:2] for d in digits]),
            "KD_KAB": pa.array([d[2:4] for d in digits]),
            "KD_KEC": pa.array([d[4:6] for d in digits]),
            "KD_DESA": pa.array([d[6:] for d in digits]),
            "NM_DESA": pa.array(v.names[h["village"][hh_rows]].astype(str)),
            "ALAMAT": pa.array(addr.astype(str)),
            "NOKK": pa.array(kk.tolist(), pa.string()),
            "NIK": pa.array(niks.tolist(), pa.string()),
            "NAMA": pa.array(names.astype(str)),
            "JNS_KEL": pa.array(np.where(female, 2, 1).astype(np.int8)),
            "TMPT_LHR": pa.array(births),
            "TGL_LHR": pa.array(_ddmmyyyy(dob), pa.string()),
            "HUB_KRT": pa.array(p["relationship"][rows].astype(np.int8)),
            "STA_KAWIN": pa.array(p["marital"][rows].astype(np.int8)),
            "NAMA_IBU_KANDUNG": pa.array(p["mother_name"][rows].astype(str)),
            "PEKERJAAN": pa.array(p["employment_status"][rows].astype(np.int8)),
            "STATUS_PKH": pa.array(np.where(pkh, "PKH", "").astype(str)),
            "TGL_UPDATE": _ddmmyyyy(upd_of[hh_rows]),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "dtks_siksng.csv"
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    truth = pa.concat_tables(
        [
            truth_table("dtks", row_ids, rows, hh_rows, labels.column()),
        ]
    )
    stale = {
        "listed_deceased": int((~np.isnat(p["died_on"][rows])).sum()),
        "listed_at_old_address": int((~np.isnat(h["moved_on"][hh_rows])).sum()),
        "families": len(uniq_hh),
    }
    return Export("dtks", [path.name], n, truth, labels.counts, stale)
