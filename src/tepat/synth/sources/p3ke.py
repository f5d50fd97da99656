"""P3KE export: the extreme-poor subset as Kemenko PMK distributes it, an Excel workbook.

Built from BKKBN's Pendataan Keluarga 2021, so it has its own column names, text labels instead
of codes, dd-mm-yyyy dates, region *names* rather than codes, addresses written another way, and
NIK/KK stored as text with a leading apostrophe as spreadsheets do.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
from rustpy_xlsxwriter import FastExcel

from tepat.synth import codes
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
    "typo": 0.03,
    "spelling_variant": 0.05,
    "abbreviation": 0.05,
    "old_spelling": 0.1,
    "apostrophe": 0.4,
}
NIK_RATES = {"missing": 0.04, "typo": 0.01, "transposition": 0.01, "invalid": 0.01}
DOB_RATES = {"day_month_swap": 0.015, "unknown_day": 0.03, "year_slip": 0.01}
HEADERS = (
    "ID Keluarga P3KE",
    "Provinsi",
    "Kabupaten/Kota",
    "Kecamatan",
    "Desa/Kelurahan",
    "Alamat",
    "Desil Kesejahteraan",
    "No KK",
    "NIK",
    "Nama",
    "Jenis Kelamin",
    "Tanggal Lahir",
    "Hubungan dengan Kepala Keluarga",
    "Status Perkawinan",
    "Pendidikan Terakhir",
    "Pekerjaan",
    "Kepemilikan Rumah",
    "Jenis Lantai",
    "Jenis Dinding",
    "Jenis Atap",
    "Sumber Air Minum",
    "Fasilitas BAB",
    "Sumber Penerangan",
    "Bahan Bakar Memasak",
)
_EDU_TEXT = {
    0: "Tidak/Belum Sekolah",
    1: "SD/Sederajat",
    2: "SMP/Sederajat",
    3: "SMA/Sederajat",
    4: "Diploma",
    5: "S1",
    6: "S2",
    7: "S3",
}
_JOB_TEXT = {
    0: "Tidak Bekerja",
    1: "Wiraswasta",
    2: "Wiraswasta",
    3: "Wiraswasta",
    4: "Karyawan Swasta",
    5: "PNS/TNI/Polri/BUMN",
    6: "Buruh Tani",
    7: "Buruh Harian Lepas",
    8: "Pekerja Keluarga",
}


def _label(table: dict[int, str], values: np.ndarray) -> list[str]:
    return [table.get(int(x), "") for x in values]


def export(pop: Population, rng: np.random.Generator, out: Path, p3ke_hh: np.ndarray) -> Export:
    """Write ``p3ke_2021.xlsx`` under ``out``."""
    h, p, v = pop.households, pop.people, pop.villages
    listed = np.datetime64("2021-07-01", "D")
    persons = people_of(pop, p3ke_hh, include_ghosts=True, listed_before=listed)
    ghost = ~p["in_snapshot"][persons]
    persons = persons[~ghost | (p["died_on"][persons] >= np.datetime64("2021-01-01"))]
    n = len(persons)
    labels = noise.Labels(n)
    hh_rows = p["hh"][persons]
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
    kk = noise.niks(rng, h["kk_snapshot"][hh_rows], {"missing": 0.05, "typo": 0.01}, labels, "kk")
    dob = np.datetime_as_string(noise.birth_dates(rng, p["born_on"][persons], DOB_RATES, labels))
    uniq, inv = np.unique(hh_rows, return_inverse=True)
    addr = addresses(rng, pop, uniq, "p3ke")[inv]
    fam_ids = np.array([f"P3KE-{i:07d}" for i in rng.permutation(len(uniq)) + 1])[inv]
    vill = h["village"][hh_rows]
    desil = h["p3ke_desil"][hh_rows]
    prov_names = {c[:2]: "" for c in v.codes}
    from tepat.reference import regions

    repo = regions()
    for c in prov_names:
        prov_names[c] = repo.name(c).upper()
    edu = p["diploma"][persons]
    records: list[dict[str, object]] = []
    for i in range(n):
        hi = hh_rows[i]
        code = v.codes[vill[i]]
        d = dob[i]
        values = (
            fam_ids[i],
            prov_names[code[:2]],
            v.regency_names[vill[i]].upper(),
            v.district_names[vill[i]].upper(),
            v.names[vill[i]].upper(),
            addr[i],
            int(desil[i]),
            "'" + kk[i] if kk[i] is not None else "",
            "'" + niks[i] if niks[i] is not None else "",
            names[i],
            "Perempuan" if female[i] else "Laki-laki",
            "" if d == "NaT" else f"{d[8:10]}-{d[5:7]}-{d[:4]}",
            codes.RELATIONSHIP[int(p["relationship"][persons[i]])],
            codes.MARITAL[int(p["marital"][persons[i]])],
            _EDU_TEXT.get(int(edu[i]), ""),
            _JOB_TEXT.get(int(p["employment_status"][persons[i]]), ""),
            codes.OWNERSHIP.get(int(h["building_ownership"][hi]), ""),
            codes.FLOOR.get(int(h["floor_material"][hi]), ""),
            codes.WALL.get(int(h["wall_material"][hi]), ""),
            codes.ROOF.get(int(h["roof_material"][hi]), ""),
            codes.WATER.get(int(h["drinking_water"][hi]), ""),
            codes.TOILET.get(int(h["toilet_facility"][hi]), ""),
            codes.LIGHTING.get(int(h["lighting"][hi]), ""),
            codes.COOKING_FUEL.get(int(h["cooking_fuel"][hi]), ""),
        )
        records.append(dict(zip(HEADERS, values, strict=True)))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "p3ke_2021.xlsx"
    FastExcel(str(path)).sheet("Data P3KE", records, dedupe_strings=True).save()
    _fix_document_dates(path, "2021-12-31T00:00:00Z")
    # P3KE has no per-person id: a row is identified by its worksheet row number (header = 1).
    record_ids = (np.arange(n) + 2).astype(str)
    truth = truth_table("p3ke", record_ids, persons, hh_rows, labels.column())
    return Export("p3ke", [path.name], n, truth, labels.counts, {"families": len(uniq)})


def _fix_document_dates(path: Path, stamp: str) -> None:
    """Replace the workbook's created/modified time so the same seed gives the same bytes."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.encode(), data)
            dst.writestr(info, data, compress_type=info.compress_type, compresslevel=1)
    tmp.replace(path)
