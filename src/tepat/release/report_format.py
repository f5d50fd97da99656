"""Numbers, money, shares and dates for the release report, written the Indonesian or English way.

Indonesian: ``129.309``, ``25,0%``, ``Rp 12,3 miliar``; English: ``129,309``, ``25.0%``,
``Rp 12.3 billion``. Values that are missing or not numbers come out as an en dash. Rounding is
decimal half-up on the shortest ``repr`` of a float, so the same input always gives the same text.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tepat.reference import mask_nik

LANGS = ("id", "en")
DASH = "–"
MINUS = "−"

_MONTHS = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
# Rupiah scale words, largest first: (factor, Indonesian, English).
_MONEY_UNITS = (
    (10**12, "triliun", "trillion"),
    (10**9, "miliar", "billion"),
    (10**6, "juta", "million"),
)
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def esc(value: object) -> str:
    """``value`` as text, escaped for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


def safe_text(value: object) -> str:
    """Free text from the caller as a string, with any 16-digit number (a NIK or KK) masked."""
    if value is None:
        return ""
    return _SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group(0)), str(value))


def number(value: object) -> int | float | None:
    """``value`` if it is a finite int or float (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def integer(value: object) -> int | None:
    """``value`` if it is an int (not a bool) or a float holding a whole number, else ``None``."""
    found = number(value)
    if found is None or (isinstance(found, float) and not found.is_integer()):
        return None
    return int(found)


def _decimal(value: int | float) -> Decimal:
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


@dataclass(frozen=True)
class Formatter:
    """Formats values for one language (``id`` or ``en``)."""

    lang: str

    @property
    def _group(self) -> str:
        return "." if self.lang == "id" else ","

    @property
    def _point(self) -> str:
        return "," if self.lang == "id" else "."

    def _digits(self, value: Decimal, places: int) -> str:
        quantum = Decimal(1).scaleb(-places)
        rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
        sign = MINUS if rounded < 0 else ""
        whole, _, fraction = f"{abs(rounded):f}".partition(".")
        grouped = f"{int(whole):,}".replace(",", self._group)
        return sign + grouped + (self._point + fraction if fraction else "")

    def integer(self, value: object) -> str:
        """A count: ``129.309`` / ``129,309``."""
        found = number(value)
        return DASH if found is None else self._digits(_decimal(found), 0)

    def signed(self, value: object) -> str:
        """A change in a count, with an explicit sign: ``+40``, ``−12``, ``0``."""
        found = number(value)
        if found is None:
            return DASH
        text = self._digits(_decimal(found), 0)
        return "+" + text if round(found) > 0 else text

    def decimal(self, value: object, places: int = 1) -> str:
        """A decimal number: ``1,5`` / ``1.5``."""
        found = number(value)
        return DASH if found is None else self._digits(_decimal(found), places)

    def percent(self, share: object, places: int = 1) -> str:
        """A share (0.253) as a percentage: ``25,3%`` / ``25.3%``."""
        found = number(share)
        if found is None:
            return DASH
        return self._digits(_decimal(found) * 100, places) + "%"

    def money(self, value: object) -> str:
        """Rupiah, short: ``Rp 12,3 miliar`` / ``Rp 12.3 billion``; below a million in full."""
        found = number(value)
        if found is None:
            return DASH
        amount = _decimal(found)
        for index, (factor, word_id, word_en) in enumerate(_MONEY_UNITS):
            if abs(amount) < factor:
                continue
            scaled = (amount / factor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if abs(scaled) >= 1000 and index > 0:
                factor, word_id, word_en = _MONEY_UNITS[index - 1]
            word = word_id if self.lang == "id" else word_en
            return f"Rp {self._digits(amount / factor, 1)} {word}"
        return f"Rp {self._digits(amount, 0)}"

    def money_full(self, value: object) -> str:
        """Rupiah in full: ``Rp 12.345.000.000`` / ``Rp 12,345,000,000``."""
        found = number(value)
        return DASH if found is None else f"Rp {self._digits(_decimal(found), 0)}"

    def date(self, value: object) -> str:
        """An ISO date (``2026-11-28``) as ``28 November 2026``; other text unchanged."""
        if not isinstance(value, str) or not value:
            return DASH
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day.day} {_MONTHS[self.lang][day.month - 1]} {day.year}"
