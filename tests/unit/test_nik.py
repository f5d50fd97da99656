"""NIK parsing, validation, encoding and masking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tepat.errors import InvalidInput
from tepat.reference import (
    NIK_ERRORS,
    NIK_WARNINGS,
    InvalidNik,
    RegionLevel,
    UnknownRegion,
    check_nik,
    encode_nik,
    mask_nik,
    nik_validity_codes,
    parse_nik,
    regions,
)

REF = date(2025, 6, 30)


@dataclass(frozen=True)
class Case:
    id: str
    value: Any
    error: str | None = None
    warnings: frozenset[str] = frozenset()
    kwargs: dict[str, Any] = field(default_factory=dict)
    birth: date | None = None
    sex: str | None = None


CASES = [
    # Valid.
    Case("male", "3273011705900001", birth=date(1990, 5, 17), sex="M"),
    Case("female day+40", "3273015705900001", birth=date(1990, 5, 17), sex="F"),
    Case("dots", "3273.0117.0590.0001", birth=date(1990, 5, 17), sex="M"),
    Case("spaces", " 3273 0117 0590 0001 ", birth=date(1990, 5, 17), sex="M"),
    Case("dashes", "3273-01-170590-0001", birth=date(1990, 5, 17), sex="M"),
    Case("female day 71", "3273017112000002", birth=date(2000, 12, 31), sex="F"),
    Case("29 Feb 2000", "3273012902000003", birth=date(2000, 2, 29), sex="M"),
    Case("29 Feb 2004 female", "3273016902040004", birth=date(2004, 2, 29), sex="F"),
    Case("later this year is last century", "3273011512250001", birth=date(1925, 12, 15)),
    Case("earlier this year", "3273010101250001", birth=date(2025, 1, 1)),
    Case("reference day itself", "3273013006250001", birth=date(2025, 6, 30)),
    Case("Papua village NIK", "9103015705900009", birth=date(1990, 5, 17), sex="F"),
    # Warnings only.
    Case(
        "old regency (Konhir 92.01.50)",
        "9201501705900001",
        warnings=frozenset({"nik_unknown_regency"}),
    ),
    Case("old district", "3273991705900001", warnings=frozenset({"nik_unknown_district"})),
    Case(
        "birth date differs",
        "3273011705900001",
        warnings=frozenset({"nik_birth_date_mismatch"}),
        kwargs={"recorded_birth_date": date(1990, 5, 18)},
    ),
    Case(
        "day and month swapped",
        "3273010511900001",
        warnings=frozenset({"nik_birth_date_mismatch"}),
        kwargs={"recorded_birth_date": date(1990, 5, 11)},
    ),
    Case(
        "sex differs",
        "3273011705900001",
        warnings=frozenset({"nik_sex_mismatch"}),
        kwargs={"recorded_sex": "F"},
    ),
    Case("recorded P matches female", "3273015705900001", kwargs={"recorded_sex": "P"}, sex="F"),
    Case("recorded L matches male", "3273011705900001", kwargs={"recorded_sex": "L"}, sex="M"),
    Case(
        "recorded sex garbage",
        "3273011705900001",
        warnings=frozenset({"nik_recorded_sex_unrecognised"}),
        kwargs={"recorded_sex": "X"},
    ),
    Case(
        "record settles the century",
        "3273011705200001",
        kwargs={"recorded_birth_date": date(1920, 5, 17), "recorded_sex": "laki-laki"},
        birth=date(1920, 5, 17),
    ),
    Case(
        "several warnings",
        "3273995705900001",
        warnings=frozenset({"nik_unknown_district", "nik_birth_date_mismatch", "nik_sex_mismatch"}),
        kwargs={"recorded_birth_date": date(1991, 5, 17), "recorded_sex": "M"},
    ),
    # Errors.
    Case("empty", "", error="nik_missing"),
    Case("only separators", " - . ", error="nik_missing"),
    Case("None", None, error="nik_missing"),
    Case("integer", 3273011705900001, error="nik_not_text"),
    Case("14 digits", "32730117059000", error="nik_length"),
    Case("17 digits", "32730117059000011", error="nik_length"),
    Case("letter O", "3273O11705900001", error="nik_non_digit"),
    Case("full-width digits", "３２７３０１１７０５９０００１", error="nik_non_digit"),
    Case("slash separator", "3273/01/170590/0001", error="nik_non_digit"),
    Case("province 99", "9973011705900001", error="nik_unknown_province"),
    Case("province 10", "1073011705900001", error="nik_unknown_province"),
    Case("regency 00", "3200011705900001", error="nik_regency_zero"),
    Case("district 00", "3273001705900001", error="nik_district_zero"),
    Case("30 February", "3273013002900001", error="nik_invalid_date"),
    Case("30 February female", "3273017002900001", error="nik_invalid_date"),
    Case("31 April", "3273013104900001", error="nik_invalid_date"),
    Case("29 Feb 2001", "3273012902010001", error="nik_invalid_date"),
    Case("day 32", "3273013202900001", error="nik_invalid_date"),
    Case("day 40", "3273014001900001", error="nik_invalid_date"),
    Case("day 72", "3273017201900001", error="nik_invalid_date"),
    Case("day 00", "3273010001900001", error="nik_invalid_date"),
    Case("month 13", "3273011713900001", error="nik_invalid_date"),
    Case("month 00", "3273011700900001", error="nik_invalid_date"),
    Case("serial 0000", "3273011705900000", error="nik_serial_zero"),
]


def _messages(value: Any, **kwargs: Any) -> list[str]:
    result = check_nik(value, reference_date=REF, **kwargs)
    return [i.message for i in result.errors + result.warnings]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_nik_table(case: Case) -> None:
    result = check_nik(case.value, reference_date=REF, **case.kwargs)
    assert result.valid is (case.error is None)
    assert (result.errors[0].code if result.errors else None) == case.error
    assert {w.code for w in result.warnings} >= case.warnings
    if case.error is None:
        assert {w.code for w in result.warnings} == case.warnings
        assert result.info is not None
        assert result.info.warnings == result.warnings
        if case.birth is not None:
            assert result.info.birth_date == case.birth
        if case.sex is not None:
            assert result.info.sex == case.sex
    else:
        assert result.info is None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parse_nik_raises_the_first_error(case: Case) -> None:
    if case.error is None:
        info = parse_nik(case.value, reference_date=REF, **case.kwargs)
        assert {w.code for w in info.warnings} == case.warnings
        return
    with pytest.raises(InvalidNik) as caught:
        parse_nik(case.value, reference_date=REF, **case.kwargs)
    assert caught.value.code == case.error
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.issues[0].code == case.error


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_messages_never_reveal_the_number(case: Case) -> None:
    if not isinstance(case.value, str):
        return
    digits = "".join(ch for ch in case.value if ch.isdigit())
    if not digits:
        return
    for message in _messages(case.value, **case.kwargs):
        assert digits not in message
        assert mask_nik(case.value) in message
        if len(digits) == 16:
            assert digits[4:12] not in message


def test_every_code_is_covered_and_documented() -> None:
    errors = {c.error for c in CASES if c.error}
    warnings = set().union(*(c.warnings for c in CASES))
    assert errors == set(NIK_ERRORS)
    assert warnings == set(NIK_WARNINGS)


def test_parsed_fields() -> None:
    info = parse_nik("3273.0157.0590.0042", reference_date=REF)
    assert info.nik == "3273015705900042"
    assert info.province_code == "32"
    assert info.regency_code == "32.73"
    assert info.district_code == "32.73.01"
    assert info.serial == 42
    assert info.masked == "3273********0042"


def test_several_errors_are_all_reported() -> None:
    result = check_nik("9900003002900000", reference_date=REF)
    assert [e.code for e in result.errors] == [
        "nik_unknown_province",
        "nik_regency_zero",
        "nik_district_zero",
        "nik_invalid_date",
        "nik_serial_zero",
    ]


def test_swapped_day_and_month_is_named() -> None:
    (warning,) = check_nik(
        "3273010511900001", reference_date=REF, recorded_birth_date=date(1990, 5, 11)
    ).warnings
    assert "swapped" in warning.message


def test_29_february_1900_is_impossible() -> None:
    # With the reference in January 2000, 29-02-00 can only mean 1900, which was not a leap year.
    result = check_nik("3273012902000001", reference_date=date(2000, 1, 15))
    assert [e.code for e in result.errors] == ["nik_invalid_date"]
    later = check_nik("3273012902000001", reference_date=date(2000, 3, 1))
    assert later.info is not None and later.info.birth_date == date(2000, 2, 29)


def test_default_reference_date_is_today() -> None:
    today = date.today()
    nik = encode_nik("32.73.01", today, "M", 1)
    assert parse_nik(nik).birth_date == today


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("3273011705900001", "3273********0001"),
        ("3273.0117.0590.0001", "3273********0001"),
        ("32730117059000", "3273******9000"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_nik(value: str, masked: str) -> None:
    assert mask_nik(value) == masked


def test_encode_nik() -> None:
    assert encode_nik("32.73.01", date(1990, 5, 17), "M", 1) == "3273011705900001"
    assert encode_nik("327301", date(1990, 5, 17), "F", 9999) == "3273015705909999"
    assert encode_nik("11.12.01", date(2001, 1, 2), "f", 12) == "1112014201010012"


@pytest.mark.parametrize(
    ("district", "sex", "serial", "error"),
    [
        ("32.73", "M", 1, UnknownRegion),
        ("32.73.01.1001", "M", 1, UnknownRegion),
        ("32.73.00", "M", 1, UnknownRegion),
        ("garbage", "M", 1, UnknownRegion),
        ("32.73.01", "X", 1, InvalidInput),
        ("32.73.01", "M", 0, InvalidInput),
        ("32.73.01", "M", 10_000, InvalidInput),
        ("32.73.01", "M", True, InvalidInput),
    ],
)
def test_encode_nik_rejects(district: str, sex: str, serial: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        encode_nik(district, date(1990, 5, 17), sex, serial)


def test_validity_codes_agree_with_check_nik_on_the_table() -> None:
    values = [c.value for c in CASES]
    expected = [
        (r.errors[0].code if r.errors else None)
        for r in (check_nik(v, reference_date=REF) for v in values)
    ]
    assert nik_validity_codes(values, REF) == expected


_DISTRICTS = st.deferred(lambda: st.sampled_from(regions().codes(RegionLevel.DISTRICT)))


@settings(max_examples=300, deadline=None)
@given(
    district=_DISTRICTS,
    birth=st.dates(date(1900, 1, 1), REF),
    sex=st.sampled_from(["M", "F"]),
    serial=st.integers(1, 9999),
)
def test_encode_parse_round_trip(district: str, birth: date, sex: str, serial: int) -> None:
    nik = encode_nik(district, birth, sex, serial)
    info = parse_nik(nik, reference_date=REF, recorded_birth_date=birth, recorded_sex=sex)
    assert (info.district_code, info.birth_date, info.sex, info.serial) == (
        district,
        birth,
        sex,
        serial,
    )
    assert info.warnings == ()
    # Without the record, the NIK alone gives the latest date with the same DDMMYY.
    alone = parse_nik(nik, reference_date=REF)
    assert (alone.district_code, alone.sex) == (district, sex)
    assert (alone.birth_date.day, alone.birth_date.month) == (birth.day, birth.month)
    assert alone.birth_date.year % 100 == birth.year % 100
    assert alone.birth_date <= REF
    assert alone.birth_date == birth or alone.birth_date.year - 100 >= birth.year


@settings(max_examples=300, deadline=None)
@given(
    birth=st.dates(date(1900, 1, 1), date(2099, 12, 31)),
    reference=st.dates(date(1950, 1, 1), date(2100, 12, 31)),
)
def test_century_is_the_latest_not_after_the_reference(birth: date, reference: date) -> None:
    nik = encode_nik("32.73.01", birth, "F", 1)
    result = check_nik(nik, reference_date=reference)
    if result.info is None:
        # Only 29 February can fail, when every candidate century is a non-leap year.
        assert (birth.day, birth.month) == (29, 2)
        return
    got = result.info.birth_date
    assert got <= reference
    assert (got.day, got.month, got.year % 100) == (birth.day, birth.month, birth.year % 100)
    try:
        next_century = got.replace(year=got.year + 100)
    except ValueError:
        return
    assert next_century > reference


_NIKISH = st.text(alphabet="0123456789 .-x", max_size=20)


@settings(max_examples=400, deadline=None)
@given(value=st.one_of(_NIKISH, st.from_regex(r"[0-9]{16}", fullmatch=True), st.none()))
def test_validity_codes_agree_with_check_nik(value: str | None) -> None:
    result = check_nik(value, reference_date=REF)  # type: ignore[arg-type]
    expected = result.errors[0].code if result.errors else None
    assert nik_validity_codes([value], REF) == [expected]


def test_validity_codes_accept_29_february() -> None:
    codes = nik_validity_codes(
        ["3273012902000001", "3273012902010001", "3273016902040001"], date(2025, 1, 1)
    )
    assert codes == [None, "nik_invalid_date", None]
    assert nik_validity_codes(["3273012902000001"], date(2000, 1, 15)) == ["nik_invalid_date"]


def test_born_tomorrow_means_last_century() -> None:
    tomorrow = REF + timedelta(days=1)
    info = parse_nik(encode_nik("32.73.01", tomorrow, "M", 1), reference_date=REF)
    assert info.birth_date == tomorrow.replace(year=tomorrow.year - 100)
