"""Standardisation of staging rows for linkage: the columns that comparisons and blocking use.

:func:`standardise` takes rows in :data:`tepat.sources.schema.STAGING_SCHEMA` and returns them
with the columns of :data:`STANDARD_COLUMNS` appended (and ``village_code`` in dotted form).
Each rule has one definition: names go through :func:`tepat.linkage.names.standardise_name`
once per distinct value; NIK and KK validity come from
:func:`tepat.reference.nik.nik_validity_codes` and :func:`tepat.reference.kk.kk_validity_codes`;
the century of a NIK birth date from :func:`tepat.reference._codes.resolve_ddmmyy` and the
region warnings from :func:`tepat.reference._codes.region_prefix_issues`, each called once per
distinct key. The rest is pyarrow compute. A test checks every NIK column against
:func:`tepat.reference.nik.check_nik` row by row.

Derived columns in brief: ``nik_issue`` is the first error code (``nik_missing`` for no NIK),
else the first warning code (an older region code, a birth date or sex that disagrees with the
record), else null; the NIK facts are null unless the NIK is valid. ``village_code`` is
rewritten in dotted form (null when it is not a village code) and ``district_code`` /
``regency_code`` are cut from it. ``address_std`` is uppercase without punctuation, with
JALAN / JLN / JL. -> JL, DUSUN / DSN. -> DSN, NOMOR / NO. -> NO, GANG -> GG, KAMPUNG -> KP,
and ``RT 003 RW 002`` at the end, taken from the address line or else from the ``rt`` /
``rw`` columns.

Example (``staging`` is a table in the staging schema)::

    out = standardise(staging, reference_date=date(2025, 6, 30))
    out.select(["name_std", "nik_valid", "nik_issue", "address_std"])
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tepat.linkage.names import phonetic_key, standardise_name
from tepat.reference._codes import (
    normalise_sex,
    region_prefix_issues,
    resolve_ddmmyy,
    strip_separators,
)
from tepat.reference.kk import kk_validity_codes
from tepat.reference.nik import nik_validity_codes
from tepat.reference.regions import RegionRepository, UnknownRegion, normalise_region_code
from tepat.reference.regions import regions as default_regions

__all__ = ["REQUIRED_COLUMNS", "STANDARD_COLUMNS", "standardise"]

STANDARD_COLUMNS: Final = pa.schema(
    [
        pa.field("name_std", pa.string()),  # canonical full name, titles and patronymic removed
        pa.field("given_std", pa.string()),
        pa.field("last_std", pa.string()),
        pa.field("name_phonetic", pa.string()),  # one phonetic key per word of name_std
        pa.field("given_phonetic", pa.string()),
        pa.field("name_initials", pa.string()),
        pa.field("patronymic_std", pa.string()),  # the father's name after BIN / BINTI
        pa.field("mother_name_std", pa.string()),
        pa.field("birth_year", pa.int16()),
        pa.field("birth_month", pa.int8()),
        pa.field("birth_day", pa.int8()),
        pa.field("nik_clean", pa.string()),  # 16 digits after removing separators, else null
        pa.field("nik_valid", pa.bool_(), nullable=False),
        pa.field("nik_issue", pa.string()),  # first error code, else first warning code
        pa.field("nik_birth_date", pa.date32()),  # facts a valid NIK encodes, else null
        pa.field("nik_sex", pa.string()),
        pa.field("nik_district", pa.string()),
        pa.field("nik_dob_agrees", pa.bool_()),  # null when either side is unknown
        pa.field("nik_sex_agrees", pa.bool_()),
        pa.field("kk_clean", pa.string()),
        pa.field("kk_valid", pa.bool_(), nullable=False),
        pa.field("kk_district", pa.string()),
        pa.field("district_code", pa.string()),  # PP.KK.CC from village_code
        pa.field("regency_code", pa.string()),  # PP.KK from village_code
        pa.field("address_std", pa.string()),
    ]
)
"""The columns :func:`standardise` appends, in order, with their types."""

REQUIRED_COLUMNS: Final = (
    "full_name",
    "mother_name",
    "sex",
    "birth_date",
    "nik",
    "kk",
    "village_code",
    "address",
    "rt",
    "rw",
)
"""Staging columns :func:`standardise` reads."""


def standardise(
    table: pa.Table, *, reference_date: date, regions: RegionRepository | None = None
) -> pa.Table:
    """``table`` (staging rows) with :data:`STANDARD_COLUMNS` appended and village codes dotted.

    ``reference_date`` settles the century of NIK birth dates (the latest date not after it,
    unless the recorded birth date names the century). Nulls are allowed in every column read.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise ValueError(f"standardise needs staging columns {missing}")
    repo = default_regions() if regions is None else regions
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    cols.update(_name_columns(table["full_name"]))
    cols["mother_name_std"] = _name_columns(table["mother_name"], full_only=True)["name_std"]
    birth = table["birth_date"]
    cols["birth_year"] = pc.cast(pc.year(birth), pa.int16())
    cols["birth_month"] = pc.cast(pc.month(birth), pa.int8())
    cols["birth_day"] = pc.cast(pc.day(birth), pa.int8())
    cols.update(_nik_columns(table["nik"], birth, table["sex"], reference_date, repo))
    cols.update(_kk_columns(table["kk"], repo))
    village, district, regency = _region_columns(table["village_code"])
    cols["district_code"], cols["regency_code"] = district, regency
    cols["address_std"] = _address(table["address"], table["rt"], table["rw"])

    out = table.set_column(
        table.schema.get_field_index("village_code"),
        table.schema.field("village_code").with_type(pa.string()),
        village,
    )
    for field in STANDARD_COLUMNS:
        out = out.append_column(field, _as_type(cols[field.name], field.type))
    return out


def _as_type(values: pa.Array | pa.ChunkedArray, typ: pa.DataType) -> pa.ChunkedArray:
    arr = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
    return arr if arr.type == typ else pc.cast(arr, typ)


def _combined(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


# --------------------------------------------------------------------------------------------
# Names


def _name_columns(column: pa.ChunkedArray, *, full_only: bool = False) -> dict[str, pa.Array]:
    """Name columns; each distinct value is standardised once and spread back with ``take``."""
    encoded = pc.dictionary_encode(_combined(column).cast(pa.string()))
    stds = [standardise_name(v) for v in encoded.dictionary.to_pylist()]
    indices = encoded.indices

    def spread(values: list[str]) -> pa.Array:
        # "" (nothing left of the name) becomes null, like a missing value.
        return pc.take(pa.array([v or None for v in values], pa.string()), indices)

    out = {"name_std": spread([s.full for s in stds])}
    if full_only:
        return out
    out["given_std"] = spread([s.given for s in stds])
    out["last_std"] = spread([s.last for s in stds])
    out["name_phonetic"] = spread([s.phonetic for s in stds])
    out["given_phonetic"] = spread([phonetic_key(s.given) if s.given else "" for s in stds])
    out["name_initials"] = spread([s.initials for s in stds])
    out["patronymic_std"] = spread([s.patronymic for s in stds])
    return out


# --------------------------------------------------------------------------------------------
# NIK and KK


def _digits16(values: pa.Array) -> pa.Array:
    """16 ASCII digits after removing separators, else null."""
    plain = pc.fill_null(pc.match_substring_regex(values, r"^[0-9]{16}$"), False)
    out = pc.if_else(plain, values, pa.scalar(None, pa.string()))
    # Only values with separators or the wrong length go through Python.
    other = pc.and_(pc.invert(plain), pc.is_valid(values))
    if not pc.any(other).as_py():
        return out
    fixed = []
    for v in pc.filter(values, other).to_pylist():
        digits = strip_separators(v)
        fixed.append(
            digits if len(digits) == 16 and digits.isascii() and digits.isdigit() else None
        )
    return pc.replace_with_mask(out, other, pa.array(fixed, pa.string()))


def _slice_int(digits: pa.Array, start: int, stop: int) -> np.ndarray:
    part = pc.cast(pc.utf8_slice_codeunits(digits, start, stop), pa.int32())
    return np.asarray(part.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _dotted_district(digits: pa.Array) -> pa.Array:
    parts = [pc.utf8_slice_codeunits(digits, a, a + 2) for a in (0, 2, 4)]
    return pc.binary_join_element_wise(*parts, ".")


def _identifier(
    column: pa.ChunkedArray, validity_codes: Callable[[list[str]], list[str | None]], missing: str
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Each row's 16 digits (or null), first error code and validity, once per distinct value."""
    encoded = pc.dictionary_encode(_combined(column).cast(pa.string()))
    values = encoded.dictionary.to_pylist()
    clean = pc.take(_digits16(encoded.dictionary), encoded.indices)
    codes = [*validity_codes(values), missing]
    at = _positions(encoded.indices, len(values))
    valid = np.array([c is None for c in codes], dtype=bool)[at]
    return clean, np.array(codes, dtype=object)[at], valid


def _positions(indices: pa.Array, null_position: int) -> np.ndarray:
    return np.asarray(indices.fill_null(null_position).to_numpy(zero_copy_only=False), np.int64)


def _nik_columns(
    column: pa.ChunkedArray,
    birth: pa.ChunkedArray,
    sex: pa.ChunkedArray,
    reference_date: date,
    repo: RegionRepository,
) -> dict[str, pa.Array]:
    clean, issue, valid_np = _identifier(
        column, lambda v: nik_validity_codes(v, reference_date, regions=repo), "nik_missing"
    )
    valid = pa.array(valid_np)
    digits = pc.if_else(valid, clean, pa.scalar(None, pa.string()))

    raw_day = _slice_int(digits, 6, 8)
    month = _slice_int(digits, 8, 10)
    yy = _slice_int(digits, 10, 12)
    female = raw_day > 40
    day = np.where(female, raw_day - 40, raw_day)

    recorded = _combined(birth)
    rec_year = np.asarray(pc.year(recorded).fill_null(-1).to_numpy(), dtype=np.int64)
    rec_month = np.asarray(pc.month(recorded).fill_null(-1).to_numpy(), dtype=np.int64)
    rec_day = np.asarray(pc.day(recorded).fill_null(-1).to_numpy(), dtype=np.int64)
    has_rec = rec_year >= 0

    # The century: resolve_ddmmyy once per distinct (day, month, yy, preferred year).
    preferred = np.where(has_rec & (rec_year % 100 == yy), rec_year, 0)
    key = ((day * 13 + month) * 100 + yy) * 10_000 + preferred
    vidx = np.flatnonzero(valid_np)
    uniq, inverse = np.unique(key[vidx], return_inverse=True)
    resolved = []
    for k in uniq.tolist():
        rest, pref = divmod(k, 10_000)
        resolved.append(
            resolve_ddmmyy(
                rest // 1300, (rest // 100) % 13, rest % 100, reference_date, pref or None
            )
        )
    at = np.full(len(valid_np), -1, dtype=np.int64)
    at[vidx] = inverse
    nik_birth = pc.take(pa.array(resolved, pa.date32()), pa.array(at, mask=at < 0))

    # Warnings, in check_nik's order: region, birth date, sex.
    region_warning = _region_warnings(pc.utf8_slice_codeunits(digits, 0, 6), repo)
    date_mismatch = (
        valid_np & has_rec & ((day != rec_day) | (month != rec_month) | (yy != rec_year % 100))
    )
    nik_sex = np.where(female, "F", "M")
    rec_sex = _normalised_sex(sex)
    sex_unrecognised = valid_np & (rec_sex == "?")
    sex_compared = valid_np & (rec_sex != "") & ~sex_unrecognised
    sex_mismatch = sex_compared & (rec_sex != nik_sex)
    warning = np.select(
        [region_warning != "", date_mismatch, sex_mismatch, sex_unrecognised],
        [
            region_warning,
            "nik_birth_date_mismatch",
            "nik_sex_mismatch",
            "nik_recorded_sex_unrecognised",
        ],
        default="",
    )
    take_warning = valid_np & (warning != "")
    issue[take_warning] = warning[take_warning]

    return {
        "nik_clean": clean,
        "nik_valid": valid,
        "nik_issue": pa.array(issue, pa.string()),
        "nik_birth_date": nik_birth,
        "nik_sex": pa.array(nik_sex, pa.string(), mask=~valid_np),
        "nik_district": _dotted_district(digits),
        "nik_dob_agrees": pa.array(~date_mismatch, mask=~(valid_np & has_rec)),
        "nik_sex_agrees": pa.array(~sex_mismatch, mask=~sex_compared),
    }


def _region_warnings(prefix: pa.Array, repo: RegionRepository) -> np.ndarray:
    """The region warning code of each 6-digit prefix ("" for none or null)."""
    encoded = pc.dictionary_encode(prefix)
    found = []
    for p in encoded.dictionary.to_pylist():
        _, warnings = region_prefix_issues(p + "0" * 10, p, "NIK", "nik", repo)
        found.append(warnings[0].code if warnings else "")
    out: np.ndarray = np.array([*found, ""], dtype=object)[_positions(encoded.indices, len(found))]
    return out


def _normalised_sex(column: pa.ChunkedArray) -> np.ndarray:
    """M / F for each row, "" when null, "?" when not a known code."""
    encoded = pc.dictionary_encode(_combined(column).cast(pa.string()))
    values = [normalise_sex(v) or "?" for v in encoded.dictionary.to_pylist()]
    out: np.ndarray = np.array([*values, ""], dtype=object)[
        _positions(encoded.indices, len(values))
    ]
    return out


def _kk_columns(column: pa.ChunkedArray, repo: RegionRepository) -> dict[str, pa.Array]:
    clean, _, valid_np = _identifier(
        column, lambda v: kk_validity_codes(v, regions=repo), "kk_missing"
    )
    valid = pa.array(valid_np)
    digits = pc.if_else(valid, clean, pa.scalar(None, pa.string()))
    return {"kk_clean": clean, "kk_valid": valid, "kk_district": _dotted_district(digits)}


# --------------------------------------------------------------------------------------------
# Regions


def _region_columns(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Dotted village, district and regency codes; null where the code does not parse."""
    encoded = pc.dictionary_encode(_combined(column).cast(pa.string()))
    village: list[str | None] = []
    district: list[str | None] = []
    regency: list[str | None] = []
    for v in encoded.dictionary.to_pylist():
        try:
            code: str | None = normalise_region_code(v)
        except UnknownRegion:
            code = None
        village.append(code if code is not None and len(code) == 13 else None)
        district.append(code[:8] if code is not None and len(code) >= 8 else None)
        regency.append(code[:5] if code is not None and len(code) >= 5 else None)
    idx = encoded.indices
    spread = [pc.take(pa.array(v, pa.string()), idx) for v in (village, district, regency)]
    return spread[0], spread[1], spread[2]


# --------------------------------------------------------------------------------------------
# Addresses

# After punctuation has become spaces: RT 006 RW 004, RT006 RW004, RT 06 04 (from RT 06/04),
# RT RW 006 004 (from RT/RW 006/004).
_RT_RW: Final = r"\bRT ?(?:RW ?)?(?P<rt>\d{1,3})(?: ?RW ?| )(?P<rw>\d{1,3})\b"
_RT_ONLY: Final = r"\bRT ?(?P<rt>\d{1,3})\b"
_RW_ONLY: Final = r"\bRW ?(?P<rw>\d{1,3})\b"
_WORDS: Final = (
    (r"\b(?:JALAN|JLN|JL)\b", "JL"),
    (r"\b(?:DUSUN|DSN)\b", "DSN"),
    (r"\b(?:NOMOR|NOMER|NMR|NO)\b", "NO"),
    (r"\bNO(\d)", r"NO \1"),
    (r"\b(?:GANG|GG)\b", "GG"),
    (r"\b(?:KAMPUNG|KAMPONG|KP)\b", "KP"),
)


def _field(extracted: pa.Array, name: str) -> pa.Array:
    # Rows that did not match are null structs whose children hold "": keep them null.
    child = pc.struct_field(extracted, name)
    return pc.if_else(pc.is_valid(extracted), child, pa.scalar(None, pa.string()))


def _padded(values: pa.Array) -> pa.Array:
    return pc.utf8_lpad(values, 3, "0")


def _number(values: pa.Array) -> pa.Array:
    """The RT or RW number in each value ("3", "003", "RT 003"), 3 digits, else null."""
    return _padded(_field(pc.extract_regex(values, r"(?P<n>\d{1,3})"), "n"))


def _per_distinct(
    column: pa.ChunkedArray, parts: Callable[[pa.Array], tuple[pa.Array, ...]]
) -> tuple[pa.Array, ...]:
    """``parts`` computed on the distinct values of ``column`` only, spread back to the rows."""
    encoded = pc.dictionary_encode(_combined(column).cast(pa.string()))
    return tuple(pc.take(p, encoded.indices) for p in parts(encoded.dictionary))


def _address_parts(address: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Address text without RT / RW, and the RT and RW numbers it holds (3 digits or null)."""
    text = pc.utf8_upper(address)
    text = pc.replace_substring_regex(text, r"['`’‘]", "")
    text = pc.replace_substring_regex(text, r"[^A-Z0-9]+", " ")
    both = pc.extract_regex(text, _RT_RW)
    rt_num, rw_num = _field(both, "rt"), _field(both, "rw")
    text = pc.replace_substring_regex(text, _RT_RW, " ")
    rt_num = pc.coalesce(rt_num, _field(pc.extract_regex(text, _RT_ONLY), "rt"))
    text = pc.replace_substring_regex(text, _RT_ONLY, " ")
    rw_num = pc.coalesce(rw_num, _field(pc.extract_regex(text, _RW_ONLY), "rw"))
    text = pc.replace_substring_regex(text, _RW_ONLY, " ")
    for pattern, replacement in _WORDS:
        text = pc.replace_substring_regex(text, pattern, replacement)
    text = pc.replace_substring_regex(text, r"\bR[TW]\b", " ")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, " +", " "))
    return text, _padded(rt_num), _padded(rw_num)


def _address(address: pa.ChunkedArray, rt: pa.ChunkedArray, rw: pa.ChunkedArray) -> pa.Array:
    """Uppercase address with common words abbreviated one way and ``RT 003 RW 002`` at the end.

    RT and RW come from the address line when it has them, else from the ``rt`` / ``rw``
    columns, so sources that write them in either place give the same string. The regular
    expressions run once per distinct address (household members share one).
    """
    text, rt_num, rw_num = _per_distinct(address, _address_parts)
    (rt_col,) = _per_distinct(rt, lambda v: (_number(v),))
    (rw_col,) = _per_distinct(rw, lambda v: (_number(v),))
    rt_part = pc.binary_join_element_wise(pa.scalar("RT"), pc.coalesce(rt_num, rt_col), " ")
    rw_part = pc.binary_join_element_wise(pa.scalar("RW"), pc.coalesce(rw_num, rw_col), " ")
    empty = pa.scalar("", pa.string())
    # Null parts become "" (null_handling="skip" drops whole rows when every part is null).
    joined = pc.binary_join_element_wise(
        pc.coalesce(text, empty), pc.coalesce(rt_part, empty), pc.coalesce(rw_part, empty), " "
    )
    # Parts hold single spaces, so an empty part leaves at most two in a row (a literal replace
    # is ten times faster than a regular expression here).
    joined = pc.utf8_trim_whitespace(pc.replace_substring(joined, "  ", " "))
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
