"""Mapping transforms and mapping files: each transform on plain Arrow arrays, no files."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from tepat.sources.ingest import mask_identifiers
from tepat.sources.mapping import (
    FIELDS,
    MappingError,
    UnknownSource,
    builtin_mapping,
    builtin_sources,
    parse_mapping,
)
from tepat.sources.places import place_keys
from tepat.sources.readers import detect_delimiter
from tepat.sources.schema import STAGING_SCHEMA
from tepat.sources.transforms import Outcome, TransformError, parse_transform


def _apply(spec: str, *columns: list[Any], target: pa.DataType = pa.string(), **kw: Any) -> Outcome:
    transform = parse_transform(spec, target=target, labels=kw.get("labels"))
    names = [f"C{i}" for i in range(len(columns))]
    return transform([pa.array(c) for c in columns], names)


def _bad(outcome: Outcome) -> list[bool]:
    """Which rows failed, any reason."""
    n = len(outcome.values)
    flags = [False] * n
    for mask, _ in outcome.problems:
        flags = [f or bool(m) for f, m in zip(flags, mask.to_pylist(), strict=True)]
    return flags


# -- text and identifiers ---------------------------------------------------------------------


def test_text_trims_and_turns_blanks_into_null() -> None:
    out = _apply("text", ["  SITI AMINAH ", "", "   ", None])
    assert out.values.to_pylist() == ["SITI AMINAH", None, None, None]
    assert out.problems == []


def test_digits_cleans_a_16_digit_number_and_keeps_anything_else_as_written() -> None:
    out = _apply(
        "digits",
        [
            "'1112014501900001",  # spreadsheet text marker
            "111201.450190.0001",  # nik:format
            "1112 0145 0190 0001",
            "111201450190001",  # 15 digits: invalid, kept for linkage
            " 'abc ",
            "'",
            None,
        ],
    )
    assert out.values.to_pylist() == [
        "1112014501900001",
        "1112014501900001",
        "1112014501900001",
        "111201450190001",
        "abc",
        None,
        None,
    ]
    assert out.problems == []  # an invalid NIK is never a reason to refuse a row


# -- codes ------------------------------------------------------------------------------------


def test_code_accepts_integers_text_and_whole_floats() -> None:
    out = _apply("code", ["3", " 4 ", "5.0", "", "x", "2.5"], target=pa.int8())
    assert out.values.to_pylist() == [3, 4, 5, None, None, None]
    assert _bad(out) == [False, False, False, False, True, True]
    assert "C0 is not an integer" in {reason for _, reason in out.problems}


def test_code_checks_the_code_list_with_extra_codes() -> None:
    out = _apply("code:EMPLOYMENT_STATUS+0", [0, 1, 8, 9, None], target=pa.int8())
    assert out.values.to_pylist() == [0, 1, 8, None, None]
    assert _bad(out) == [False, False, False, True, False]
    assert [r for _, r in out.problems] == ["C0 is not a code of EMPLOYMENT_STATUS"]


def test_code_list_with_a_gap_is_checked_code_by_code() -> None:
    # 0 and 1-8 are allowed but, for MARITAL, only 1-4; a gap list must not pass by its range.
    out = _apply("code:MARITAL+9", [1, 4, 5, 9], target=pa.int8())
    assert _bad(out) == [False, False, True, False]


def test_code_range() -> None:
    out = _apply("code:0-9999", [0, 9999, 10000, -1], target=pa.int16())
    assert _bad(out) == [False, False, True, True]


def test_yes_no_12() -> None:
    out = _apply("yes_no_12", [1, 2, None, 3], target=pa.bool_())
    assert out.values.to_pylist() == [True, False, None, None]
    assert _bad(out) == [False, False, False, True]


# -- labels and sex ---------------------------------------------------------------------------


def test_label_maps_indonesian_labels_case_and_space_insensitively() -> None:
    out = _apply(
        "label:MARITAL", ["Kawin", "CERAI  HIDUP", " belum kawin ", "Menikah", ""], target=pa.int8()
    )
    assert out.values.to_pylist() == [2, 3, 1, None, None]
    assert _bad(out) == [False, False, False, True, False]
    assert [r for _, r in out.problems] == ["C0 is not a label of MARITAL"]


def test_label_uses_the_mappings_own_tables_first() -> None:
    labels = {"JOBS": {"Buruh Tani": 6, "Tidak Bekerja": 0}}
    out = _apply("label:JOBS", ["buruh tani", "Tidak Bekerja"], target=pa.int8(), labels=labels)
    assert out.values.to_pylist() == [6, 0]


@pytest.mark.parametrize(
    ("spec", "values", "expected", "bad"),
    [
        ("sex:12", [1, 2, 3, None], ["M", "F", None, None], [False, False, True, False]),
        ("sex:12", ["1", "2", "2.0", "L"], ["M", "F", "F", None], [False, False, False, True]),
        (
            "sex:text",
            ["Laki-laki", "PEREMPUAN", "L", "X"],
            ["M", "F", "M", None],
            [False, False, False, True],
        ),
    ],
)
def test_sex(spec: str, values: list[Any], expected: list[Any], bad: list[bool]) -> None:
    out = _apply(spec, values)
    assert out.values.to_pylist() == expected
    assert _bad(out) == bad


# -- dates ------------------------------------------------------------------------------------


def test_date_with_format_refuses_impossible_days_instead_of_rolling_over() -> None:
    out = _apply(
        "date:%d/%m/%Y",
        ["01/02/1990", "1/2/1990", "29/02/1992", "29/02/1991", "31/04/1990", "1990-02-01", ""],
        target=pa.date32(),
    )
    assert out.values.to_pylist() == [
        date(1990, 2, 1),
        date(1990, 2, 1),
        date(1992, 2, 29),
        None,
        None,
        None,
        None,
    ]
    assert _bad(out) == [False, False, False, True, True, True, False]
    assert [r for _, r in out.problems] == ["C0 is not a date as DD/MM/YYYY"]


def test_date_passes_native_dates_through() -> None:
    out = _apply("date", [date(2022, 10, 15), None], target=pa.date32())
    assert out.values.to_pylist() == [date(2022, 10, 15), None]


def test_many_repeated_values_give_the_same_result_as_few() -> None:
    # From 10,000 rows the transform runs on the distinct values only.
    values = ["01/02/1990", "31/02/1990", "", "07/08/2001"] * 3_000
    small = _apply("date:%d/%m/%Y", values[:8], target=pa.date32())
    large = _apply("date:%d/%m/%Y", values, target=pa.date32())
    assert large.values.to_pylist() == small.values.to_pylist() * 1_500
    assert _bad(large) == _bad(small) * 1_500


# -- join, regex, villages --------------------------------------------------------------------


def test_join_builds_a_code_and_a_missing_part_leaves_it_missing() -> None:
    out = _apply("join:.", ["11", "11"], ["12", ""], ["01", "01"], ["2006", "2006"])
    assert out.values.to_pylist() == ["11.12.01.2006", None]


def test_regex_extracts_rt_and_rw_and_a_miss_is_null() -> None:
    rt = _apply(
        r"regex:\bRT\.?\s*0*([0-9]+)", ["DUSUN BARU RT 15/07", "Dsn. X RT.003/RW.011", "JL"]
    )
    rw = _apply(r"regex:(?:\bRW\.?\s*|\bRT\s*[0-9]+/)0*([0-9]+)", ["DUSUN BARU RT 15/07", "RW.011"])
    assert rt.values.to_pylist() == ["15", "3", None]
    assert rw.values.to_pylist() == ["7", "11"]


def test_village_names_resolve_to_a_code_through_prefixes_and_case() -> None:
    out = _apply(
        "village:names",
        ["ACEH", "Aceh", "JAWA BARAT", "JAWA BARAT", "ACEH", "ACEH"],
        [
            "KABUPATEN ACEH BARAT DAYA",
            "Kab. Aceh Barat Daya",
            "KOTA BANDUNG",
            "BANDUNG",  # Kabupaten or Kota Bandung: only the city has Sukajadi/Sukawarna
            "KABUPATEN ACEH BARAT DAYA",
            "KABUPATEN ACEH BARAT DAYA",
        ],
        ["BLANGPIDIE", "Blang Pidie", "SUKAJADI", "SUKAJADI", "BLANGPIDIE", None],
        ["GUHANG", "guhang", "SUKAWARNA", "SUKAWARNA", "NO SUCH VILLAGE", "GUHANG"],
    )
    assert out.values.to_pylist() == [
        "11.12.01.2006",
        "11.12.01.2006",
        "32.73.07.1003",
        "32.73.07.1003",
        None,
        None,
    ]
    assert out.problems == []  # unresolved is counted by ingest, never a reason to refuse


def test_place_keys_drop_prefix_case_and_punctuation() -> None:
    keys, kinds = place_keys(pa.array(["KAB. ACEH BARAT-DAYA", "Kota  Banda Aceh", "Kota"]), 2)
    assert keys.to_pylist() == ["acehbaratdaya", "bandaaceh", "kota"]
    assert kinds.to_pylist() == ["kabupaten", "kota", None]


# -- transform specs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "target", "message"),
    [
        ("nope", pa.string(), "unknown transform"),
        ("code:NOT_A_LIST", pa.int8(), "not a code list"),
        ("code:9-1", pa.int8(), "is empty"),
        ("label:NOPE", pa.int8(), "neither"),
        ("date:%d/%m/%y", pa.date32(), "only %d, %m and %Y"),
        ("date:%d/%m", pa.date32(), "each of %d, %m and %Y"),
        ("sex:xy", pa.string(), "sex takes"),
        ("regex:[0-9]+", pa.string(), "exactly one"),
        ("regex:(", pa.string(), "does not compile"),
        ("date:%d/%m/%Y", pa.string(), "gives date values"),
        ("code", pa.string(), "gives int values"),
    ],
)
def test_bad_transform_specs_are_refused(spec: str, target: pa.DataType, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        parse_transform(spec, target=target)


# -- mapping files ----------------------------------------------------------------------------

MINIMAL = """\
[source]
name = "mine"
mandatory = ["full_name"]

[[files]]
role = "people"
format = "csv"

[fields]
record_id = "ID"
full_name = "NAME"
birth_date = { column = "BORN", transform = "date:%d.%m.%Y" }
observed_on = { value = 2024-01-31 }
"""


def test_the_shipped_mappings_load() -> None:
    assert builtin_sources() == ("dtks", "p3ke", "regsosek")
    regsosek = builtin_mapping("regsosek")
    assert [f.role for f in regsosek.files] == ["families", "members"]
    assert regsosek.row_file.role == "members"
    assert builtin_mapping("p3ke").fields["observed_on"].value == date(2021, 7, 1)


def test_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(UnknownSource, match="dtks, p3ke, regsosek"):
        builtin_mapping("siks")


def test_a_minimal_mapping() -> None:
    mapping = parse_mapping(MINIMAL, path="mine.toml")
    assert mapping.name == "mine"
    assert mapping.columns() == {"ID", "NAME", "BORN"}
    assert mapping.fields["observed_on"].value == date(2024, 1, 31)
    assert set(mapping.fields) <= set(FIELDS) <= set(STAGING_SCHEMA.names)


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (('full_name = "NAME"', 'nama = "NAME"'), 11, "unknown canonical field 'nama'"),
        (('full_name = "NAME"', 'line = "NAME"'), 11, "set by ingest"),
        (('full_name = "NAME"', 'full_name = "NAME'), 11, "TOML syntax"),
        (("date:%d.%m.%Y", "datum"), 12, "unknown transform 'datum'"),
        (('record_id = "ID"', "record_id = { value = 7 }"), 10, "not a string value"),
        (('format = "csv"', 'format = "sav"'), 7, "files.format must be one of"),
        (('mandatory = ["full_name"]', 'mandatory = ["nik"]'), 3, "'nik' is not mapped"),
        (('name = "mine"', 'name = "Mine Source"'), 2, "lowercase name"),
    ],
)
def test_mapping_errors_name_file_line_and_reason(
    change: tuple[str, str], line: int, reason: str
) -> None:
    text = MINIMAL.replace(*change)
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, path="mine.toml")
    error = caught.value
    assert (error.file, error.line) == ("mine.toml", line)
    assert reason in error.reason
    assert str(error).startswith(f"mapping mine.toml:{line}: ")


def test_mapping_wrong_column_count_for_a_transform() -> None:
    text = MINIMAL.replace(
        'full_name = "NAME"',
        'village_code = { column = "X", transform = "village:names" }\nfull_name = "NAME"',
    )
    with pytest.raises(MappingError, match="takes 4 column"):
        parse_mapping(text)


# -- helpers used by the readers and the quarantine -------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"ID_DTKS","IDJTG","NAMA"', ","),
        ('"ID_DTKS";"IDJTG";"NAMA"', ";"),
        ("ID\tNAMA\tALAMAT", "\t"),
        ("ID|NAMA", "|"),
        ('"A;B",C,D', ","),  # a delimiter inside quotes does not count
        ("ONLY", ","),
    ],
)
def test_detect_delimiter(header: str, expected: str) -> None:
    assert detect_delimiter(header) == expected


def test_mask_identifiers_hides_every_nik_and_kk_form() -> None:
    raw = {
        "NIK": "1112014501900001",
        "NOKK": "111201.450190.0001",
        "short": "111201450190001",  # 15 digits
        "IDJTG": "3000000100383",  # 13 digits: a family id, not a NIK
        "n": 1112014501900001,
        "text": "NIK 1112 0145 0190 0001 di KK",
    }
    masked = mask_identifiers(raw)
    assert masked["NIK"] == "1112********0001"
    assert masked["NOKK"] == "1112********0001"
    assert masked["short"] == "1112*******0001"
    assert masked["IDJTG"] == "3000000100383"
    assert masked["n"] == "1112********0001"
    assert masked["text"] == "NIK 1112********0001 di KK"
