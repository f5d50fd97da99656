"""Helpers shared by the NIK and KK parsers: separators, masking, DDMMYY dates, sex codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, Protocol

from tepat.errors import InvalidInput

Sex = Literal["M", "F"]

# Spaces (including no-break spaces), dots and the dash family people type or paste from documents.
SEPARATORS: Final = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")

# Days per month in a leap year: 29 February is checked against the actual year separately.
_MAX_DAY: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_SEX_ALIASES: Final[dict[str, Sex]] = {
    "m": "M",
    "male": "M",
    "l": "M",
    "lk": "M",
    "laki-laki": "M",
    "laki laki": "M",
    "pria": "M",
    "1": "M",  # Regsosek/DTKS code 1 = laki-laki
    "f": "F",
    "female": "F",
    "p": "F",
    "pr": "F",
    "perempuan": "F",
    "wanita": "F",
    "2": "F",  # Regsosek/DTKS code 2 = perempuan
}


@dataclass(frozen=True, slots=True)
class Issue:
    """A rule a NIK or KK number broke: a stable machine ``code`` and a message for a person."""

    code: str
    message: str


def strip_separators(value: str) -> str:
    """Remove spaces, dots and dashes, the separators people put inside NIK and KK numbers."""
    return SEPARATORS.sub("", value)


def is_ascii_digits(value: str) -> bool:
    """True when ``value`` is non-empty and made only of the ASCII digits 0-9."""
    return value.isascii() and value.isdigit()


def mask_number(value: str) -> str:
    """Mask a 16-digit identifier as first 4 + ``*`` + last 4 (``3201********0001``).

    Separators are stripped first. A value of 12 characters or more keeps its first and last four
    characters (they only name the province/regency and the serial); anything shorter is masked
    completely, because 4 + 4 of a short value would reveal most of it.
    """
    s = strip_separators(value)
    if len(s) >= 12:
        return s[:4] + "*" * (len(s) - 8) + s[-4:]
    return "*" * len(s)


def mask16(digits: str) -> str:
    """:func:`mask_number` for a value already known to be 16 digits, without the regex."""
    return digits[:4] + "********" + digits[12:]


def normalise_sex(value: str) -> Sex | None:
    """Map M/F, L/P, male/female, laki-laki/perempuan and the codes 1/2 to "M"/"F", else None."""
    return _SEX_ALIASES.get(value.strip().lower())


def day_month_problem(day: int, month: int) -> str | None:
    """Say why day/month cannot be a calendar date in any year, or None if it can."""
    if not 1 <= month <= 12:
        return "the month is not 01-12"
    if day < 1:
        return "the day is 00"
    if day > _MAX_DAY[month - 1]:
        return "that day does not exist in that month"
    return None


def latest_year_not_after(two_digit_year: int, reference_year: int) -> int:
    """The latest year whose last two digits are ``two_digit_year`` and that is <= the reference."""
    return reference_year - ((reference_year - two_digit_year) % 100)


def resolve_ddmmyy(
    day: int,
    month: int,
    two_digit_year: int,
    reference: date,
    preferred_year: int | None = None,
) -> date | None:
    """The latest real date with this day, month and 2-digit year not after ``reference``.

    ``preferred_year`` (e.g. from a recorded birth date) wins when its last two digits match and it
    gives a real date not after the reference: a DDMMYY cannot tell 1920 from 2020, the record can.
    Returns None when no century gives a real date (30 February, or 29 February 1900).
    """
    if preferred_year is not None and preferred_year % 100 == two_digit_year:
        try:
            candidate = date(preferred_year, month, day)
        except ValueError:
            pass
        else:
            if candidate <= reference:
                return candidate
    year = latest_year_not_after(two_digit_year, reference.year)
    # Same 2-digit year one century earlier: needed when the date falls later in the reference year.
    for y in (year, year - 100):
        if y < 1:
            continue
        try:
            candidate = date(y, month, day)
        except ValueError:
            continue
        if candidate <= reference:
            return candidate
    return None


def dotted_prefix(digits: str) -> tuple[str, str, str]:
    """Province, regency and district codes (dotted) of the first six digits of a NIK or KK."""
    return digits[:2], f"{digits[:2]}.{digits[2:4]}", f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}"


class RegionLookup(Protocol):
    """What the NIK/KK checks need from a region repository."""

    def __contains__(self, code: object) -> bool: ...

    def name(self, code: str) -> str: ...


def digits_or_issue(value: object, label: str, prefix: str) -> tuple[str, Issue | None]:
    """Strip separators and check for 16 ASCII digits; return (digits, None) or (masked, issue).

    ``label`` names the identifier in messages ("NIK", "KK"); ``prefix`` starts the issue codes.
    """
    if value is None:
        return "", Issue(f"{prefix}_missing", f"{label} is missing")
    if not isinstance(value, str):
        return "", Issue(
            f"{prefix}_not_text",
            f"{label} must be given as text (a string of 16 digits), not {type(value).__name__}",
        )
    if len(value) == 16 and value.isascii() and value.isdigit():
        return value, None
    digits = strip_separators(value)
    if not digits:
        return "", Issue(f"{prefix}_missing", f"{label} is empty")
    masked = mask_number(digits)
    if not is_ascii_digits(digits):
        return masked, Issue(
            f"{prefix}_non_digit",
            f"{label} {masked} contains characters other than digits, spaces, dots and dashes",
        )
    if len(digits) != 16:
        return masked, Issue(
            f"{prefix}_length", f"{label} {masked} has {len(digits)} digits; a {label} has 16"
        )
    return digits, None


def region_prefix_issues(
    digits: str, masked: str, label: str, prefix: str, repo: RegionLookup
) -> tuple[list[Issue], list[Issue]]:
    """Errors and warnings about digits 1-6 (province, regency/city, district) of a NIK or KK.

    Unknown province and ``00`` parts are errors; a regency or district missing from the 2025 list
    is only a warning because the number keeps the code it was issued with. Messages never show
    digits 5-6, which the masked form hides.
    """
    errors: list[Issue] = []
    warnings: list[Issue] = []
    province, regency, district = dotted_prefix(digits)
    if province not in repo:
        errors.append(
            Issue(
                f"{prefix}_unknown_province",
                f"{label} {masked}: province code {province} (digits 1-2) is not a province in "
                "the Kemendagri 2025 list",
            )
        )
    if digits[2:4] == "00":
        errors.append(
            Issue(
                f"{prefix}_regency_zero", f"{label} {masked}: regency/city code (digits 3-4) is 00"
            )
        )
    if digits[4:6] == "00":
        errors.append(
            Issue(f"{prefix}_district_zero", f"{label} {masked}: district code (digits 5-6) is 00")
        )
    if errors:
        return errors, warnings
    if regency not in repo:
        warnings.append(
            Issue(
                f"{prefix}_unknown_regency",
                f"{label} {masked}: regency/city {regency} is not in the Kemendagri 2025 list of "
                f"{repo.name(province)} (probably a code from an older regulation)",
            )
        )
    elif district not in repo:
        warnings.append(
            Issue(
                f"{prefix}_unknown_district",
                f"{label} {masked}: the district code (digits 5-6) is not in the Kemendagri 2025 "
                f"list for {repo.name(regency)} ({regency}); probably a code from an older "
                "regulation",
            )
        )
    return errors, warnings


def check_serial(serial: int) -> int:
    """Return ``serial`` if it is an int in 1..9999, else raise :class:`InvalidInput`."""
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= 9999:
        raise InvalidInput(
            f"serial must be an integer 1-9999, got {serial!r}", code="invalid_serial"
        )
    return serial


def valid_ddmm(female_offset: bool) -> frozenset[str]:
    """Every DDMM string that is a calendar day in a leap year (with day + 40 too if asked)."""
    out: set[str] = set()
    for month, last in enumerate(_MAX_DAY, start=1):
        for day in range(1, last + 1):
            out.add(f"{day:02d}{month:02d}")
            if female_offset:
                out.add(f"{day + 40:02d}{month:02d}")
    return frozenset(out)
