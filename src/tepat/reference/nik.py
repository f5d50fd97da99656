"""NIK (Nomor Induk Kependudukan): parse, validate, encode and mask.

Layout (16 digits, no check digit): digits 1-6 the district where the NIK was first registered,
7-12 the birth date DDMMYY with day + 40 for women, 13-16 a serial from 0001.

Errors reject the number; warnings flag facts real registry data has and a NIK never loses (an
older region code, a recorded birth date or sex that disagrees with the NIK). Every message names
the NIK only in its masked form (first 4 and last 4 digits, see :func:`mask_nik`) and never quotes
digits 5-12, so no message together with the mask gives the number away.
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
    Sex,
    check_serial,
    day_month_problem,
    digits_or_issue,
    dotted_prefix,
    mask16,
    mask_number,
    normalise_sex,
    region_prefix_issues,
    resolve_ddmmyy,
    strip_separators,
    valid_ddmm,
)
from tepat.reference.regions import RegionLevel, RegionRepository, district_digits
from tepat.reference.regions import regions as default_regions

__all__ = [
    "NIK_ERRORS",
    "NIK_WARNINGS",
    "InvalidNik",
    "NikCheck",
    "NikInfo",
    "check_nik",
    "encode_nik",
    "mask_nik",
    "nik_validity_codes",
    "parse_nik",
]

NIK_ERRORS: Final[dict[str, str]] = {
    "nik_missing": "no value, or only separators",
    "nik_not_text": "not given as a string",
    "nik_non_digit": "a character other than digits, spaces, dots and dashes",
    "nik_length": "not 16 digits after removing separators",
    "nik_unknown_province": "digits 1-2 are not one of the 38 provinces",
    "nik_regency_zero": "digits 3-4 are 00",
    "nik_district_zero": "digits 5-6 are 00",
    "nik_invalid_date": "digits 7-12 are not a DDMMYY birth date (women: day + 40)",
    "nik_serial_zero": "digits 13-16 are 0000",
}
NIK_WARNINGS: Final[dict[str, str]] = {
    "nik_unknown_regency": "regency/city not in the 2025 list (an older code)",
    "nik_unknown_district": "district not in the 2025 list (an older code)",
    "nik_birth_date_mismatch": "the NIK's birth date differs from the recorded birth date",
    "nik_sex_mismatch": "the NIK's sex differs from the recorded sex",
    "nik_recorded_sex_unrecognised": "the recorded sex is not a known code, so it was not compared",
}

_VALID_DDMM: Final = valid_ddmm(female_offset=True)
_FEB_29: Final = frozenset({"2902", "6902"})


class InvalidNik(InvalidInput):
    """A NIK breaks a rule; ``code`` is the first rule broken, ``issues`` all of them."""

    code = "invalid_nik"

    def __init__(
        self, message: str, *, code: str | None = None, issues: tuple[Issue, ...] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.issues = issues


@dataclass(frozen=True, slots=True)
class NikInfo:
    """What a valid NIK encodes, plus the warnings found while reading it."""

    nik: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: Sex
    serial: int
    warnings: tuple[Issue, ...] = ()

    @property
    def masked(self) -> str:
        """The NIK masked for display and logs."""
        return mask_number(self.nik)


@dataclass(frozen=True, slots=True)
class NikCheck:
    """Result of :func:`check_nik`: never raises, ``info`` is set when ``valid``."""

    valid: bool
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    info: NikInfo | None


def mask_nik(value: str) -> str:
    """Mask a NIK for messages and logs: ``3201********0001`` (first 4 and last 4 digits kept).

    The first four digits only name the province and regency/city and the last four are a serial;
    the hidden middle holds the district and the birth date. Values shorter than 12 characters
    after removing separators are masked completely.
    """
    return mask_number(value)


def _analyse(
    value: object,
    reference_date: date | None,
    recorded_birth_date: date | None,
    recorded_sex: str | None,
    repo: RegionLookup | None,
) -> tuple[list[Issue], list[Issue], NikInfo | None]:
    digits, problem = digits_or_issue(value, "NIK", "nik")
    if problem is not None:
        return [problem], [], None
    masked = mask16(digits)
    lookup: RegionLookup = default_regions() if repo is None else repo
    errors, warnings = region_prefix_issues(digits, masked, "NIK", "nik", lookup)

    reference = date.today() if reference_date is None else reference_date
    raw_day, month, two_digit_year = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    sex: Sex | None = None
    birth: date | None = None
    if 1 <= raw_day <= 31:
        sex, day = "M", raw_day
    elif 41 <= raw_day <= 71:
        sex, day = "F", raw_day - 40
    else:
        day = 0
        errors.append(
            Issue(
                "nik_invalid_date",
                f"NIK {masked}: the birth day (digits 7-8) is not 01-31 (men) or 41-71 (women)",
            )
        )
    if sex is not None:
        reason = day_month_problem(day, month)
        if reason is None:
            preferred = None if recorded_birth_date is None else recorded_birth_date.year
            birth = resolve_ddmmyy(day, month, two_digit_year, reference, preferred)
            if birth is None:
                reason = "29 February does not exist in the year it stands for"
        if reason is not None:
            errors.append(
                Issue(
                    "nik_invalid_date",
                    f"NIK {masked}: the birth date (digits 7-12) is not a calendar date: {reason}",
                )
            )
    if digits[12:] == "0000":
        errors.append(Issue("nik_serial_zero", f"NIK {masked}: the serial (digits 13-16) is 0000"))

    if birth is not None and recorded_birth_date is not None:
        mismatch = _date_mismatch(day, month, two_digit_year, recorded_birth_date)
        if mismatch:
            warnings.append(
                Issue(
                    "nik_birth_date_mismatch",
                    f"NIK {masked}: the birth date in the NIK differs from the recorded birth "
                    f"date ({mismatch})",
                )
            )
    if sex is not None and recorded_sex is not None:
        recorded = normalise_sex(recorded_sex) if isinstance(recorded_sex, str) else None
        if recorded is None:
            warnings.append(
                Issue(
                    "nik_recorded_sex_unrecognised",
                    f"NIK {masked}: recorded sex {str(recorded_sex)[:20]!r} is not a known code "
                    "(M/F, L/P, 1/2), so it was not compared with the NIK",
                )
            )
        elif recorded != sex:
            encoded = "male (day 01-31)" if sex == "M" else "female (day + 40)"
            warnings.append(
                Issue(
                    "nik_sex_mismatch",
                    f"NIK {masked}: the NIK encodes {encoded} but the recorded sex is "
                    f"{'male' if recorded == 'M' else 'female'}",
                )
            )

    if errors or birth is None or sex is None:
        return errors, warnings, None
    province, regency, district = dotted_prefix(digits)
    info = NikInfo(
        nik=digits,
        province_code=province,
        regency_code=regency,
        district_code=district,
        birth_date=birth,
        sex=sex,
        serial=int(digits[12:]),
        warnings=tuple(warnings),
    )
    return errors, warnings, info


def _date_mismatch(day: int, month: int, two_digit_year: int, recorded: date) -> str:
    # A NIK only holds DDMMYY, so the century is never a disagreement.
    if (day, month) == (recorded.month, recorded.day) and day != month:
        same_year = two_digit_year == recorded.year % 100
        return "day and month swapped" + ("" if same_year else "; year differs")
    parts = [
        part
        for part, same in (
            ("day", day == recorded.day),
            ("month", month == recorded.month),
            ("year", two_digit_year == recorded.year % 100),
        )
        if not same
    ]
    return " and ".join(parts) + (" differ" if len(parts) > 1 else " differs") if parts else ""


def parse_nik(
    value: str,
    *,
    reference_date: date | None = None,
    recorded_birth_date: date | None = None,
    recorded_sex: str | None = None,
    regions: RegionRepository | None = None,
) -> NikInfo:
    """Parse a NIK; raise :class:`InvalidNik` on the first broken rule, return warnings in info.

    The 2-digit birth year maps to the latest date not after ``reference_date`` (default today);
    a ``recorded_birth_date`` with the same 2-digit year settles the century instead (1920 vs 2020).
    """
    errors, _, info = _analyse(value, reference_date, recorded_birth_date, recorded_sex, regions)
    if info is None:
        first = errors[0]
        raise InvalidNik(first.message, code=first.code, issues=tuple(errors))
    return info


def check_nik(
    value: str,
    *,
    reference_date: date | None = None,
    recorded_birth_date: date | None = None,
    recorded_sex: str | None = None,
    regions: RegionRepository | None = None,
) -> NikCheck:
    """Validate a NIK without raising: all errors and warnings, and the parsed info if valid."""
    errors, warnings, info = _analyse(
        value, reference_date, recorded_birth_date, recorded_sex, regions
    )
    return NikCheck(
        valid=info is not None, errors=tuple(errors), warnings=tuple(warnings), info=info
    )


def nik_validity_codes(
    values: Sequence[str | None],
    reference_date: date | None = None,
    *,
    regions: RegionRepository | None = None,
) -> list[str | None]:
    """The first error code for each value (None when valid), as :func:`check_nik` orders them.

    A fast path for millions of rows: no objects or messages are built and warnings are not
    computed. Use :func:`check_nik` on the rows that fail to get messages.
    """
    repo = default_regions() if regions is None else regions
    provinces = frozenset(repo.codes(RegionLevel.PROVINCE))
    reference = date.today() if reference_date is None else reference_date
    valid_ddmm = _VALID_DDMM
    out: list[str | None] = []
    append = out.append
    for value in values:
        if value is None:
            append("nik_missing")
            continue
        if not isinstance(value, str):
            append("nik_not_text")
            continue
        digits = value
        if len(digits) != 16 or not (digits.isascii() and digits.isdigit()):
            digits = strip_separators(value)
            if not digits:
                append("nik_missing")
                continue
            if not (digits.isascii() and digits.isdigit()):
                append("nik_non_digit")
                continue
            if len(digits) != 16:
                append("nik_length")
                continue
        if digits[:2] not in provinces:
            append("nik_unknown_province")
        elif digits[2:4] == "00":
            append("nik_regency_zero")
        elif digits[4:6] == "00":
            append("nik_district_zero")
        elif digits[6:10] not in valid_ddmm or (
            digits[6:10] in _FEB_29 and resolve_ddmmyy(29, 2, int(digits[10:12]), reference) is None
        ):
            append("nik_invalid_date")
        elif digits[12:] == "0000":
            append("nik_serial_zero")
        else:
            append(None)
    return out


def encode_nik(district_code: str, birth_date: date, sex: str, serial: int) -> str:
    """Build the 16-digit NIK for a district, birth date, sex ("M"/"F") and serial 1-9999."""
    prefix = district_digits(district_code)
    normalised = normalise_sex(sex) if isinstance(sex, str) else None
    if normalised is None:
        raise InvalidInput(f"sex must be 'M' or 'F', got {sex!r}", code="invalid_sex")
    day = birth_date.day + (40 if normalised == "F" else 0)
    return (
        f"{prefix}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"
        f"{check_serial(serial):04d}"
    )
