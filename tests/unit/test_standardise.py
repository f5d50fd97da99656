"""Table standardisation: hand-built edge cases, agreement with check_nik, a synthetic district."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tepat.linkage.names import standardise_name
from tepat.linkage.standardise import REQUIRED_COLUMNS, STANDARD_COLUMNS, standardise
from tepat.reference.nik import check_nik
from tepat.sources.schema import STAGING_SCHEMA

REF = date(2025, 6, 30)


def staging(rows: list[dict[str, Any]]) -> pa.Table:
    """A staging table: lineage filled in, every other column null unless given."""
    full = []
    for i, row in enumerate(rows, start=1):
        base: dict[str, Any] = {f.name: None for f in STAGING_SCHEMA}
        base.update(batch_id="b", source="test", file="t.csv", line=i, record_id=f"r{i}")
        base.update(row)
        full.append(base)
    return pa.Table.from_pylist(full, schema=STAGING_SCHEMA)


def run(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return standardise(staging(rows), reference_date=REF).to_pylist()


# --- Shape -----------------------------------------------------------------------------------


def test_appends_the_standard_columns_with_their_types() -> None:
    out = standardise(staging([{}]), reference_date=REF)
    assert out.schema.names == STAGING_SCHEMA.names + STANDARD_COLUMNS.names
    for field in STANDARD_COLUMNS:
        assert out.schema.field(field.name).type == field.type, field.name
    assert out.num_rows == 1


def test_empty_table() -> None:
    out = standardise(staging([]), reference_date=REF)
    assert out.num_rows == 0
    assert out.schema.names[-len(STANDARD_COLUMNS) :] == STANDARD_COLUMNS.names


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="full_name"):
        standardise(staging([{}]).drop_columns(["full_name"]), reference_date=REF)
    assert set(REQUIRED_COLUMNS) <= set(STAGING_SCHEMA.names)


def test_nulls_everywhere() -> None:
    (row,) = run([{}])
    for name in STANDARD_COLUMNS.names:
        if name in ("nik_valid", "kk_valid"):
            assert row[name] is False
        elif name == "nik_issue":
            assert row[name] == "nik_missing"
        else:
            assert row[name] is None, name
    assert row["village_code"] is None


# --- Names -----------------------------------------------------------------------------------


def test_name_columns() -> None:
    rows = run(
        [
            {"full_name": "H. ABDUL SYAHRUL BIN HASAN, S.PD.", "mother_name": "SITTI AMINAH"},
            {"full_name": "MOCH. RIZKI PRATAMA", "mother_name": None},
            {"full_name": "S.PD.", "mother_name": ""},
            {"full_name": "I WAYAN SUDARMA"},
            {"full_name": "MOCH. RIZKI PRATAMA"},
        ]
    )
    first = rows[0]
    assert first["name_std"] == "ABDUL SAHRUL"
    assert first["given_std"] == "ABDUL"
    assert first["last_std"] == "SAHRUL"
    assert first["name_phonetic"] == "ABDUL SAHRUL"
    assert first["given_phonetic"] == "ABDUL"
    assert first["name_initials"] == "AS"
    assert first["patronymic_std"] == "HASAN"
    assert first["mother_name_std"] == "SITI AMINAH"
    assert rows[1]["name_std"] == rows[4]["name_std"] == "MUHAMMAD RIZKI PRATAMA"
    assert rows[1]["given_std"] == "RIZKI"
    assert rows[1]["patronymic_std"] is None
    # Nothing left of the name is a missing name.
    assert rows[2]["name_std"] is None and rows[2]["mother_name_std"] is None
    assert rows[3]["given_std"] == "SUDARMA"


# --- NIK and KK ------------------------------------------------------------------------------

MALE_1963 = "1112012311630001"  # 11.12.01, 23-11-63, serial 1
FEMALE_1966 = "1112014308660001"  # 11.12.01, 03-08-66 (43 = 3 + 40)
MALE_1990 = "1112010610900001"  # 06-10-90


def test_valid_nik_facts() -> None:
    rows = run(
        [
            {"nik": MALE_1963, "sex": "M", "birth_date": date(1963, 11, 23)},
            {"nik": FEMALE_1966, "sex": "F", "birth_date": date(1966, 8, 3)},
            {"nik": "111201.231163.0001", "sex": "M", "birth_date": date(1963, 11, 23)},
            {"nik": "1112 0123 1163 0001", "sex": "L"},
        ]
    )
    male, female, dotted, spaced = rows
    assert male["nik_clean"] == MALE_1963
    assert male["nik_valid"] is True
    assert male["nik_issue"] is None
    assert male["nik_birth_date"] == date(1963, 11, 23)
    assert male["nik_sex"] == "M"
    assert male["nik_district"] == "11.12.01"
    assert male["nik_dob_agrees"] is True and male["nik_sex_agrees"] is True
    assert (male["birth_year"], male["birth_month"], male["birth_day"]) == (1963, 11, 23)
    assert female["nik_sex"] == "F"
    assert female["nik_birth_date"] == date(1966, 8, 3)
    assert female["nik_dob_agrees"] is True and female["nik_sex_agrees"] is True
    assert dotted["nik_clean"] == MALE_1963 and dotted["nik_valid"] is True
    assert spaced["nik_clean"] == MALE_1963 and spaced["nik_valid"] is True
    # No recorded birth date: nothing to agree with; L (laki-laki) is male.
    assert spaced["nik_dob_agrees"] is None and spaced["nik_sex_agrees"] is True


def test_day_month_swap_and_sex_mismatch_are_warnings() -> None:
    swapped, wrong_sex, unknown_sex = run(
        [
            {"nik": MALE_1990, "sex": "M", "birth_date": date(1990, 6, 10)},
            {"nik": FEMALE_1966, "sex": "M", "birth_date": date(1966, 8, 3)},
            {"nik": MALE_1963, "sex": "X", "birth_date": date(1963, 11, 23)},
        ]
    )
    assert swapped["nik_valid"] is True
    assert swapped["nik_dob_agrees"] is False
    assert swapped["nik_issue"] == "nik_birth_date_mismatch"
    assert swapped["nik_birth_date"] == date(1990, 10, 6)  # what the NIK says
    assert wrong_sex["nik_valid"] is True
    assert wrong_sex["nik_sex_agrees"] is False and wrong_sex["nik_dob_agrees"] is True
    assert wrong_sex["nik_issue"] == "nik_sex_mismatch"
    assert unknown_sex["nik_issue"] == "nik_recorded_sex_unrecognised"
    assert unknown_sex["nik_sex_agrees"] is None


@pytest.mark.parametrize(
    ("nik", "issue", "clean"),
    [
        ("111201231163000", "nik_length", None),
        ("1112012311630000", "nik_serial_zero", "1112012311630000"),
        ("1112013211630001", "nik_invalid_date", "1112013211630001"),
        ("1112017211630001", "nik_invalid_date", "1112017211630001"),
        ("1112013002630001", "nik_invalid_date", "1112013002630001"),
        ("9912012311630001", "nik_unknown_province", "9912012311630001"),
        ("1100012311630001", "nik_regency_zero", "1100012311630001"),
        ("1112002311630001", "nik_district_zero", "1112002311630001"),
        ("11120123116300X1", "nik_non_digit", None),
        ("", "nik_missing", None),
    ],
)
def test_invalid_niks(nik: str, issue: str, clean: str | None) -> None:
    (row,) = run([{"nik": nik, "sex": "M", "birth_date": date(1963, 11, 23)}])
    assert row["nik_valid"] is False
    assert row["nik_issue"] == issue
    assert row["nik_clean"] == clean
    for fact in ("nik_birth_date", "nik_sex", "nik_district", "nik_dob_agrees", "nik_sex_agrees"):
        assert row[fact] is None, fact


def test_old_district_code_is_a_warning() -> None:
    (row,) = run([{"nik": "1112991105200001", "sex": "M", "birth_date": date(2020, 5, 11)}])
    assert row["nik_valid"] is True
    assert row["nik_issue"] == "nik_unknown_district"
    assert row["nik_district"] == "11.12.99"


def test_century_comes_from_the_recorded_birth_date() -> None:
    old, young, unknown = run(
        [
            {"nik": "1112010505200001", "birth_date": date(1920, 5, 5)},
            {"nik": "1112010505200001", "birth_date": date(2020, 5, 5)},
            {"nik": "1112010505200001"},
        ]
    )
    assert old["nik_birth_date"] == date(1920, 5, 5) and old["nik_dob_agrees"] is True
    assert young["nik_birth_date"] == date(2020, 5, 5)
    assert unknown["nik_birth_date"] == date(2020, 5, 5)


def test_kk_columns() -> None:
    rows = run(
        [
            {"kk": "1112011905140001"},
            {"kk": "1112.0119.0514.0001"},
            {"kk": "0012011905140001"},
            {"kk": "11120119051400"},
            {"kk": "1112013305140000"},  # digits 7-16 are only warnings for a KK
        ]
    )
    assert [r["kk_valid"] for r in rows] == [True, True, False, False, True]
    assert [r["kk_clean"] for r in rows] == [
        "1112011905140001",
        "1112011905140001",
        "0012011905140001",
        None,
        "1112013305140000",
    ]
    assert [r["kk_district"] for r in rows] == ["11.12.01", "11.12.01", None, None, "11.12.01"]


# --- Regions and addresses -------------------------------------------------------------------


def test_region_codes() -> None:
    rows = run(
        [
            {"village_code": "11.12.01.2006"},
            {"village_code": "1112012006"},
            {"village_code": "11.12.01"},
            {"village_code": "not a code"},
        ]
    )
    got = [(r["village_code"], r["district_code"], r["regency_code"]) for r in rows]
    assert got == [
        ("11.12.01.2006", "11.12.01", "11.12"),
        ("11.12.01.2006", "11.12.01", "11.12"),
        (None, "11.12.01", "11.12"),
        (None, None, None),
    ]


@pytest.mark.parametrize(
    ("address", "rt", "rw", "expected"),
    [
        # The three synthetic sources write the same house three ways.
        ("JL. MERDEKA NO. 45", "006", "004", "JL MERDEKA NO 45 RT 006 RW 004"),
        ("JLN MERDEKA NO 45 RT 6 RW 4", None, None, "JL MERDEKA NO 45 RT 006 RW 004"),
        ("Jalan Merdeka No.45 RT.006/RW.004", None, None, "JL MERDEKA NO 45 RT 006 RW 004"),
        ("DUSUN HILIR", "6", "4", "DSN HILIR RT 006 RW 004"),
        ("DUSUN HILIR RT 06/04", None, None, "DSN HILIR RT 006 RW 004"),
        ("Dsn. Hilir RT.006/RW.004", None, None, "DSN HILIR RT 006 RW 004"),
        ("RT/RW 006/004 Dsn. Hilir", None, None, "DSN HILIR RT 006 RW 004"),
        ("jalan ma'ruf no45, rt 3", None, "RW 2", "JL MARUF NO 45 RT 003 RW 002"),
        ("KAMPUNG BARU GANG MAWAR", None, None, "KP BARU GG MAWAR"),
        ("DUSUN HILIR RT 01 RW 02", "009", "009", "DSN HILIR RT 001 RW 002"),
        (None, "1", "2", "RT 001 RW 002"),
        ("  ", None, None, None),
        (None, None, None, None),
    ],
)
def test_address(address: str | None, rt: str | None, rw: str | None, expected: str) -> None:
    (row,) = run([{"address": address, "rt": rt, "rw": rw}])
    assert row["address_std"] == expected


# --- Agreement with check_nik ----------------------------------------------------------------

_NIKS = st.builds(
    lambda p, r, d, day, month, yy, serial: f"{p}{r}{d}{day:02d}{month:02d}{yy:02d}{serial}",
    st.sampled_from(["11", "32", "51", "94", "99", "00"]),
    st.sampled_from(["12", "73", "00", "98"]),
    st.sampled_from(["01", "02", "00", "99"]),
    st.integers(0, 72),
    st.integers(0, 13),
    st.integers(0, 99),
    st.sampled_from(["0001", "0000", "1234"]),
)
_ROWS = st.fixed_dictionaries(
    {
        "nik": st.one_of(
            _NIKS,
            _NIKS.map(lambda v: f"{v[:6]}.{v[6:12]}.{v[12:]}"),
            _NIKS.map(lambda v: v[:-1]),
            st.none(),
            st.text(max_size=18),
        ),
        "sex": st.sampled_from([None, "M", "F", "L", "P", "X", ""]),
        "birth_date": st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2025, 6, 30))),
    }
)


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    """What check_nik says about one staging row, in standardise's columns."""
    c = check_nik(
        row["nik"],
        reference_date=REF,
        recorded_birth_date=row["birth_date"],
        recorded_sex=row["sex"],
    )
    issues = [i.code for i in c.errors] or [i.code for i in c.warnings]
    info = c.info
    codes = {i.code for i in c.warnings}
    sex_compared = info is not None and row["sex"] is not None and bool(row["sex"].strip())
    sex_compared = sex_compared and "nik_recorded_sex_unrecognised" not in codes
    return {
        "nik_valid": c.valid,
        "nik_issue": issues[0] if issues else None,
        "nik_birth_date": info.birth_date if info else None,
        "nik_sex": info.sex if info else None,
        "nik_district": info.district_code if info else None,
        "nik_dob_agrees": (
            "nik_birth_date_mismatch" not in codes
            if info and row["birth_date"] is not None
            else None
        ),
        "nik_sex_agrees": "nik_sex_mismatch" not in codes if sex_compared else None,
    }


@given(st.lists(_ROWS, min_size=1, max_size=40))
@settings(max_examples=150, deadline=None)
def test_nik_columns_agree_with_check_nik(rows: list[dict[str, Any]]) -> None:
    out = run(rows)
    for row, got in zip(rows, out, strict=True):
        want = _expected(row)
        assert {k: got[k] for k in want} == want, row


# --- A synthetic district --------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "abdya"
    args = ["synth", "--region", "11.12", "--seed", "1", "--people", "3000", "--out", str(out)]
    subprocess.run(
        [sys.executable, "-m", "tepat", *args, "--overwrite"],
        check=True,
        capture_output=True,
    )
    return out


def _regsosek_staging(root: Path) -> pa.Table:
    """Regsosek members as staging rows (r402 name, r403 NIK, r405 sex, r406 birth date)."""
    art = pq.read_table(root / "sources" / "regsosek2022_art.parquet")
    fam = pq.read_table(root / "sources" / "regsosek2022_keluarga.parquet")
    at = pc.index_in(art["id_keluarga"], fam["id_keluarga"])

    def family(column: str) -> pa.ChunkedArray:
        return pc.take(fam[column], at)

    n = art.num_rows
    cols: dict[str, Any] = {f.name: pa.nulls(n, f.type) for f in STAGING_SCHEMA}
    cols.update(
        batch_id=pa.array(["b"] * n),
        source=pa.array(["regsosek"] * n),
        file=pa.array(["regsosek2022_art.parquet"] * n),
        line=pa.array(range(1, n + 1), pa.int64()),
        record_id=pc.binary_join_element_wise(
            art["id_keluarga"], pc.cast(art["r401"], pa.string()), "-"
        ),
        household_key=art["id_keluarga"],
        full_name=art["r402"],
        nik=art["r403"],
        sex=pc.if_else(pc.equal(art["r405"], 1), "M", "F"),
        birth_date=art["r406"],
        kk=family("r114"),
        village_code=pc.binary_join_element_wise(
            family("r101"), family("r102"), family("r103"), family("r104"), "."
        ),
        address=family("r107"),
        rt=pc.utf8_slice_codeunits(family("r106"), 3, 6),  # "RT 006 RW 004"
        rw=pc.utf8_slice_codeunits(family("r106"), 10, 13),
    )
    return pa.table([cols[f.name] for f in STAGING_SCHEMA], schema=STAGING_SCHEMA)


def _truth(root: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Noise labels by record id, and the true person behind each record."""
    records = pq.read_table(root / "truth" / "source_records.parquet").to_pylist()
    people = {
        p["person_id"]: p for p in pq.read_table(root / "truth" / "people.parquet").to_pylist()
    }
    noise = {r["record_id"]: r["noise"] for r in records if r["source"] == "regsosek"}
    person = {r["record_id"]: people[r["person_id"]] for r in records if r["source"] == "regsosek"}
    return noise, person


def test_synthetic_regsosek(synthetic: Path) -> None:
    out = standardise(_regsosek_staging(synthetic), reference_date=REF).to_pylist()
    noise, person = _truth(synthetic)
    assert len(out) > 2000
    nik_rows = names_checked = names_equal = 0
    for row in out:
        labels = set(noise[row["record_id"]].split(",")) - {""}
        nik_kinds = {lab.split(":")[1] for lab in labels if lab.startswith("nik:")}
        # missing and invalid always break a NIK; a typo or transposition only when it lands
        # on the birth date or the serial (the truth NIK is always valid).
        if nik_kinds & {"missing", "invalid"}:
            expect_valid = False
        elif nik_kinds:
            nik_rows += 1
            expect_valid = check_nik(row["nik"], reference_date=REF).valid
            assert row["nik"] != person[row["record_id"]]["nik"]
        else:
            expect_valid = True
            assert row["nik_clean"] == person[row["record_id"]]["nik"]
        assert row["nik_valid"] is expect_valid, (row["nik"], labels)
        if row["nik_valid"] and not nik_kinds:
            truth = person[row["record_id"]]
            assert row["nik_birth_date"] == truth["born_on"]
            assert row["nik_sex"] == truth["sex"]
            assert row["nik_dob_agrees"] is not any(lab.startswith("dob:") for lab in labels)
            assert row["nik_sex_agrees"] is True
        if not labels & {"name:typo", "name:abbreviation"}:
            names_checked += 1
            names_equal += (
                row["name_std"] == standardise_name(person[row["record_id"]]["full_name"]).full
            )
        assert row["address_std"] is not None and row["address_std"].endswith(
            f"RT {row['address_std'][-10:-7]} RW {row['address_std'][-3:]}"
        )
        assert row["district_code"] == row["village_code"][:8]
    assert nik_rows > 0
    assert names_equal / names_checked >= 0.99, (names_equal, names_checked)
