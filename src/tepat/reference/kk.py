"""Nomor KK (Kartu Keluarga number): parse, validate, encode and mask.

Layout (16 digits, no check digit): digits 1-6 the district where the KK was issued, 7-12 the
recording date DDMMYY (no + 40), 13-16 a family serial. Only digits 1-6 are well documented, so
they are checked strictly (unknown province and ``00`` parts are errors; a regency or district
missing from the 2025 list is a warning because codes change) and digits 7-16 loosely (an
impossible date or a ``0000`` serial is a warning). Messages show the KK number masked like a NIK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from tepat.errors import InvalidInput
from tepat.reference._codes import (
    Issue,
    RegionLookup,
    check_serial,
    day_month_problem,
    digits_or_issue,
    dotted_prefix,
    mask16,
    mask_number,
    region_prefix_issues,
    resolve_ddmmyy,
    strip_separators,
)
from tepat.reference.regions import RegionLevel, RegionRepository, district_digits
from tepat.reference.regions import regions as default_regions

__all__ = [
    "KK_ERRORS",
    "KK_WARNINGS",
    "InvalidKk",
    "KkCheck",
    "KkInfo",
    "check_kk",
    "encode_kk",
    "kk_validity_codes",
    "mask_kk",
    "parse_kk",
]

KK_ERRORS: Final[dict[str, str]] = {
    "kk_missing": "no value, or only separators",
    "kk_not_text": "not given as a string",
    "kk_non_digit": "a character other than digits, spaces, dots and dashes",
    "kk_length": "not 16 digits after removing separators",
    "kk_unknown_province": "digits 1-2 are not one of the 38 provinces",
    "kk_regency_zero": "digits 3-4 are 00",
    "kk_district_zero": "digits 5-6 are 00",
}
KK_WARNINGS: Final[dict[str, str]] = {
    "kk_unknown_regency": "regency/city not in the 2025 list (an older code)",
    "kk_unknown_district": "district not in the 2025 list (an older code)",
    "kk_invalid_date": "digits 7-12 are not a DDMMYY date (the layout is not fully documented)",
    "kk_serial_zero": "digits 13-16 are 0000",
}

_LABEL: Final = "KK number"


class InvalidKk(InvalidInput):
    """A KK number breaks a rule; ``code`` is the first rule broken, ``issues`` all of them."""

    code = "invalid_kk"

    def __init__(
        self, message: str, *, code: str | None = None, issues: tuple[Issue, ...] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.issues = issues


@dataclass(frozen=True, slots=True)
class KkInfo:
    """What a valid KK number encodes; ``issue_date`` is None when digits 7-12 are not a date."""

    kk: str
    province_code: str
    regency_code: str
    district_code: str
    issue_date: date | None
    serial: int
    warnings: tuple[Issue, ...] = ()

    @property
    def masked(self) -> str:
        """The KK number masked for display and logs."""
        return mask_number(self.kk)


@dataclass(frozen=True, slots=True)
class KkCheck:
    """Result of :func:`check_kk`: never raises, ``info`` is set when ``valid``."""

    valid: bool
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    info: KkInfo | None


def mask_kk(value: str) -> str:
    """Mask a KK number like a NIK: ``3201********0001`` (first 4 and last 4 digits kept)."""
    return mask_number(value)


def _analyse(
    value: object, reference_date: date | None, repo: RegionLookup | None
) -> tuple[list[Issue], list[Issue], KkInfo | None]:
    digits, problem = digits_or_issue(value, _LABEL, "kk")
    if problem is not None:
        return [problem], [], None
    masked = mask16(digits)
    lookup: RegionLookup = default_regions() if repo is None else repo
    errors, warnings = region_prefix_issues(digits, masked, _LABEL, "kk", lookup)

    reference = date.today() if reference_date is None else reference_date
    day, month, two_digit_year = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    reason = day_month_problem(day, month) if day <= 31 else "the day is above 31"
    issued = None
    if reason is None:
        issued = resolve_ddmmyy(day, month, two_digit_year, reference)
        if issued is None:
            reason = "29 February does not exist in the year it stands for"
    if reason is not None:
        warnings.append(
            Issue(
                "kk_invalid_date",
                f"{_LABEL} {masked}: digits 7-12 are not a DDMMYY date ({reason}); the layout "
                "after digit 6 is not fully documented, so this is only a warning",
            )
        )
    if digits[12:] == "0000":
        warnings.append(
            Issue("kk_serial_zero", f"{_LABEL} {masked}: the family serial (digits 13-16) is 0000")
        )
    if errors:
        return errors, warnings, None
    province, regency, district = dotted_prefix(digits)
    info = KkInfo(
        kk=digits,
        province_code=province,
        regency_code=regency,
        district_code=district,
        issue_date=issued,
        serial=int(digits[12:]),
        warnings=tuple(warnings),
    )
    return errors, warnings, info


def parse_kk(
    value: str, *, reference_date: date | None = None, regions: RegionRepository | None = None
) -> KkInfo:
    """Parse a KK number; raise :class:`InvalidKk` on the first broken rule about digits 1-16."""
    errors, _, info = _analyse(value, reference_date, regions)
    if info is None:
        first = errors[0]
        raise InvalidKk(first.message, code=first.code, issues=tuple(errors))
    return info


def check_kk(
    value: str, *, reference_date: date | None = None, regions: RegionRepository | None = None
) -> KkCheck:
    """Validate a KK number without raising: every error and warning, and the info if valid."""
    errors, warnings, info = _analyse(value, reference_date, regions)
    return KkCheck(
        valid=info is not None, errors=tuple(errors), warnings=tuple(warnings), info=info
    )


def kk_validity_codes(
    values: Sequence[str | None], *, regions: RegionRepository | None = None
) -> list[str | None]:
    """The first error code for each value (None when valid), without building messages."""
    repo = default_regions() if regions is None else regions
    provinces = frozenset(repo.codes(RegionLevel.PROVINCE))
    out: list[str | None] = []
    append = out.append
    for value in values:
        if value is None:
            append("kk_missing")
            continue
        if not isinstance(value, str):
            append("kk_not_text")
            continue
        digits = value
        if len(digits) != 16 or not (digits.isascii() and digits.isdigit()):
            digits = strip_separators(value)
            if not digits:
                append("kk_missing")
                continue
            if not (digits.isascii() and digits.isdigit()):
                append("kk_non_digit")
                continue
            if len(digits) != 16:
                append("kk_length")
                continue
        if digits[:2] not in provinces:
            append("kk_unknown_province")
        elif digits[2:4] == "00":
            append("kk_regency_zero")
        elif digits[4:6] == "00":
            append("kk_district_zero")
        else:
            append(None)
    return out


def encode_kk(district_code: str, issue_date: date, serial: int) -> str:
    """Build the 16-digit KK number for a district, issue (recording) date and serial 1-9999."""
    prefix = district_digits(district_code)
    return (
        f"{prefix}{issue_date.day:02d}{issue_date.month:02d}{issue_date.year % 100:02d}"
        f"{check_serial(serial):04d}"
    )
