"""NIK and KK numbers for the synthetic population, vectorised.

Follows ``tepat.reference.nik.encode_nik`` / ``kk.encode_kk`` (a property test proves every
generated number parses back to its person's region, birth date and sex): district of first
registration, birth date DDMMYY with day + 40 for women, and a serial that counts from 0001
among people who share the first 12 digits.
"""

from __future__ import annotations

import numpy as np


def _serials(prefix: np.ndarray) -> np.ndarray:
    """1-based position of each element among the elements sharing its prefix (stable)."""
    order = np.argsort(prefix, kind="stable")
    sorted_prefix = prefix[order]
    starts = np.r_[True, sorted_prefix[1:] != sorted_prefix[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(prefix)), 0))
    rank = np.empty(len(prefix), np.int64)
    rank[order] = np.arange(len(prefix)) - group_start + 1
    return rank


def _ddmmyy(dates: np.ndarray, day_offset: np.ndarray | int = 0) -> np.ndarray:
    d = dates.astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (d - d.astype("datetime64[M]")).astype(np.int64) + 1 + day_offset
    return np.char.add(
        np.char.add(np.char.zfill(days.astype(str), 2), np.char.zfill(months.astype(str), 2)),
        np.char.zfill((years % 100).astype(str), 2),
    )


def district_digits(codes: np.ndarray) -> np.ndarray:
    """``PP.KK.CC[...]`` dotted codes to their six district digits."""
    return np.char.replace(np.asarray([c[:8] for c in codes], dtype=str), ".", "")


def make_niks(district_codes: np.ndarray, born_on: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Sixteen-digit NIKs (unique) for people first registered in ``district_codes``."""
    prefix = np.char.add(district_digits(district_codes), _ddmmyy(born_on, female * 40))
    serial = _serials(prefix)
    if serial.max(initial=0) > 9999:
        raise ValueError("more than 9999 people share a NIK prefix")
    return np.char.add(prefix, np.char.zfill(serial.astype(str), 4)).astype(object)


def make_kks(district_codes: np.ndarray, issued_on: np.ndarray) -> np.ndarray:
    """Sixteen-digit KK numbers (unique) issued in ``district_codes`` on ``issued_on``."""
    prefix = np.char.add(district_digits(district_codes), _ddmmyy(issued_on))
    serial = _serials(prefix)
    return np.char.add(prefix, np.char.zfill(serial.astype(str), 4)).astype(object)
