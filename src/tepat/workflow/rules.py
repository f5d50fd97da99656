"""Pure rules of the workflow: numbers, name matching and masking, desil bands, GPS, ages.

No I/O; the services and the tests use them as they are.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Final

# Numbers: <prefix>-<village>-<year>-<serial>, the serial being the row's id (so no counter
# table and no race): USL-11.12.01.2006-2026-000123.
PREFIXES: Final = {"proposal": "USL", "objection": "SGH", "appeal": "BDG"}
_NUMBER = re.compile(r"^([A-Z]{3})-(\d{2}\.\d{2}\.\d{2}\.\d{4})-(\d{4})-(\d{6,18})$")
MAX_ID: Final = 2**63 - 1

# Minimal disclosure to citizens: a band, never the exact desil or percentile. The bands follow
# the program cut-offs (PKH desil 1-4; Sembako/BPNT and PBI-JK 1-5).
DESIL_BANDS: Final = ((1, 4), (5, 5), (6, 10))

# Indonesia's extent with a margin (Sabang to Merauke, Miangas to Rote): a point outside is a
# device error, not a house.
LATITUDE_RANGE: Final = (-11.5, 6.5)
LONGITUDE_RANGE: Final = (94.5, 141.5)


def format_number(kind: str, village: str, year: int, item_id: int) -> str:
    """The human-trackable number of a proposal, objection or appeal."""
    return f"{PREFIXES[kind]}-{village}-{year:04d}-{item_id:06d}"


def parse_number(kind: str, text: str) -> tuple[str, int, int] | None:
    """(village, year, id) of a number of ``kind``, or None when it is not one."""
    match = _NUMBER.match(text.strip().upper())
    if match is None or match.group(1) != PREFIXES[kind]:
        return None
    item_id = int(match.group(4))
    if not 1 <= item_id <= MAX_ID:
        return None
    return match.group(2), int(match.group(3)), item_id


def normalise_name(name: str) -> str:
    """A name for comparison: letters only, upper case, accents removed, single spaces."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z]+", " ", text)
    return " ".join(text.upper().split())


def same_name(given: str, recorded: str | None) -> bool:
    """True when ``given`` is ``recorded`` up to case, punctuation, accents and spacing."""
    if recorded is None:
        return False
    a, b = normalise_name(given), normalise_name(recorded)
    return bool(a) and a == b


def mask_name(name: str | None) -> str:
    """A name as Cek Bansos shows it: the first two letters of each word (``SI*** RA***``)."""
    words = normalise_name(name or "").split()
    return " ".join(w[:2] + "***" for w in words) or "***"


def desil_band(desil: int | None) -> str | None:
    """``desil 1-4``, ``desil 5`` or ``desil 6-10`` (None when unranked)."""
    if desil is None:
        return None
    for low, high in DESIL_BANDS:
        if low <= desil <= high:
            return f"desil {low}" if low == high else f"desil {low}-{high}"
    return None


def point_problem(latitude: float, longitude: float) -> str | None:
    """Why a GPS point cannot be a place in Indonesia (with a margin), or None when it can."""
    lat_ok = LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]
    lon_ok = LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]
    if lat_ok and lon_ok:
        return None
    return (
        f"({latitude}, {longitude}) is outside Indonesia (latitude {LATITUDE_RANGE[0]}.."
        f"{LATITUDE_RANGE[1]}, longitude {LONGITUDE_RANGE[0]}..{LONGITUDE_RANGE[1]}): check the "
        "device's GPS"
    )


def days_overdue(due: date, today: date, *, still_open: bool) -> int:
    """Days past ``due`` of an item still open (0 when on time or closed)."""
    return max(0, (today - due).days) if still_open else 0
