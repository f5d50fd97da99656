"""Nomor KK parsing, validation, encoding and masking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tepat.errors import InvalidInput
from tepat.reference import (
    KK_ERRORS,
    KK_WARNINGS,
    InvalidKk,
    RegionLevel,
    UnknownRegion,
    check_kk,
    encode_kk,
    kk_validity_codes,
    mask_kk,
    parse_kk,
    regions,
)

REF = date(2025, 6, 30)
_UNSET = date(1, 1, 1)


@dataclass(frozen=True)
class Case:
    id: str
    value: Any
    error: str | None = None
    warnings: frozenset[str] = frozenset()
    issued: date | None = _UNSET  # _UNSET: not checked


CASES = [
    # Valid.
    Case("plain", "3273011705900001", issued=date(1990, 5, 17)),
    Case("dots", "3273.0117.0590.0001", issued=date(1990, 5, 17)),
    Case("spaces", "3273 0117 0590 0001", issued=date(1990, 5, 17)),
    Case("29 Feb 2000", "3273012902000001", issued=date(2000, 2, 29)),
    Case("later this year is last century", "3273011512250001", issued=date(1925, 12, 15)),
    # Warnings only: codes change, and digits 7-16 are only loosely documented.
    Case("old regency", "9201501705900001", warnings=frozenset({"kk_unknown_regency"})),
    Case("old district", "3273991705900001", warnings=frozenset({"kk_unknown_district"})),
    Case("30 February", "3273013002900001", warnings=frozenset({"kk_invalid_date"}), issued=None),
    Case(
        "no +40 in a KK", "3273015705900001", warnings=frozenset({"kk_invalid_date"}), issued=None
    ),
    Case("month 13", "3273011713900001", warnings=frozenset({"kk_invalid_date"}), issued=None),
    Case("29 Feb 2001", "3273012902010001", warnings=frozenset({"kk_invalid_date"}), issued=None),
    Case("serial 0000", "3273011705900000", warnings=frozenset({"kk_serial_zero"})),
    Case(
        "date and serial",
        "3273010001900000",
        warnings=frozenset({"kk_invalid_date", "kk_serial_zero"}),
        issued=None,
    ),
    # Errors.
    Case("empty", "", error="kk_missing"),
    Case("None", None, error="kk_missing"),
    Case("integer", 3273011705900001, error="kk_not_text"),
    Case("letter", "3273A11705900001", error="kk_non_digit"),
    Case("15 digits", "327301170590000", error="kk_length"),
    Case("province 99", "9973011705900001", error="kk_unknown_province"),
    Case("province 00", "0073011705900001", error="kk_unknown_province"),
    Case("regency 00", "3200011705900001", error="kk_regency_zero"),
    Case("district 00", "3273001705900001", error="kk_district_zero"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_kk_table(case: Case) -> None:
    result = check_kk(case.value, reference_date=REF)
    assert result.valid is (case.error is None)
    assert (result.errors[0].code if result.errors else None) == case.error
    if case.error is None:
        assert {w.code for w in result.warnings} == case.warnings
        assert result.info is not None
        if case.issued is not _UNSET:
            assert result.info.issue_date == case.issued
        info = parse_kk(case.value, reference_date=REF)
        assert info == result.info
    else:
        assert result.info is None
        with pytest.raises(InvalidKk) as caught:
            parse_kk(case.value, reference_date=REF)
        assert caught.value.code == case.error
        assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_messages_never_reveal_the_number(case: Case) -> None:
    if not isinstance(case.value, str):
        return
    digits = "".join(ch for ch in case.value if ch.isdigit())
    if not digits:
        return
    result = check_kk(case.value, reference_date=REF)
    for issue in result.errors + result.warnings:
        assert digits not in issue.message
        assert mask_kk(case.value) in issue.message
        if len(digits) == 16:
            assert digits[4:12] not in issue.message


def test_every_code_is_covered_and_documented() -> None:
    assert {c.error for c in CASES if c.error} == set(KK_ERRORS)
    assert set().union(*(c.warnings for c in CASES)) == set(KK_WARNINGS)


def test_parsed_fields() -> None:
    info = parse_kk("3273-0117-0590-0042", reference_date=REF)
    assert info.kk == "3273011705900042"
    assert (info.province_code, info.regency_code, info.district_code) == (
        "32",
        "32.73",
        "32.73.01",
    )
    assert info.serial == 42
    assert info.masked == "3273********0042"


def test_mask_kk() -> None:
    assert mask_kk("3273011705900001") == "3273********0001"
    assert mask_kk("123") == "***"


def test_encode_kk() -> None:
    assert encode_kk("32.73.01", date(2015, 3, 9), 7) == "3273010903150007"
    with pytest.raises(UnknownRegion):
        encode_kk("32.73", date(2015, 3, 9), 7)
    with pytest.raises(InvalidInput):
        encode_kk("32.73.01", date(2015, 3, 9), 0)


def test_validity_codes_agree_with_check_kk() -> None:
    values = [c.value for c in CASES]
    expected = [c.error for c in CASES]
    assert kk_validity_codes(values) == expected


_DISTRICTS = st.deferred(lambda: st.sampled_from(regions().codes(RegionLevel.DISTRICT)))


@settings(max_examples=300, deadline=None)
@given(
    district=_DISTRICTS,
    issued=st.dates(date(1926, 1, 1), REF),
    serial=st.integers(1, 9999),
)
def test_encode_parse_round_trip(district: str, issued: date, serial: int) -> None:
    info = parse_kk(encode_kk(district, issued, serial), reference_date=REF)
    assert (info.district_code, info.issue_date, info.serial) == (district, issued, serial)
    assert info.warnings == ()


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(alphabet="0123456789 .-x", max_size=20), st.none()))
def test_validity_codes_agree_with_check_kk_on_random_input(value: str | None) -> None:
    result = check_kk(value, reference_date=REF)  # type: ignore[arg-type]
    assert kk_validity_codes([value]) == [result.errors[0].code if result.errors else None]
