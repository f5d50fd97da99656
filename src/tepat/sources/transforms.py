"""The named transforms a mapping file may use: vectorised over Arrow arrays, pure, no I/O.

A transform is written ``name`` or ``name:argument`` (``date:%d/%m/%Y``, ``label:MARITAL``). It
takes the source column(s) of a field as Arrow arrays and returns an :class:`Outcome`: the values,
typed for the canonical field, and the rows whose value was given but is not acceptable, each
with a reason. An empty cell is never a problem here (it is null); mandatory fields are checked by
the caller. Reasons name the column but never the value, so they group well and leak no NIK.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pyarrow as pa
import pyarrow.compute as pc

from tepat.synth import codes

Kind = Literal["text", "int", "bool", "date"]

_NULL_TEXT: Final = pa.scalar(None, pa.string())
_DEDUPE_FROM: Final = 10_000  # rows; below this the dictionary pass costs more than it saves
_INT_RE: Final = r"^[+-]?[0-9]+$"
# Spreadsheets and exports write NIK/KK with a text marker and separators: '3201 0123.4567-8901.
_ID_SEPARATORS: Final = "[\\s.\\-\u2010-\u2015\u2212]"  # RE2 has no \\u escapes
_SEX_TEXT: Final = {
    "laki-laki": "M",
    "laki laki": "M",
    "lakilaki": "M",
    "l": "M",
    "lk": "M",
    "pria": "M",
    "male": "M",
    "m": "M",
    "perempuan": "F",
    "p": "F",
    "pr": "F",
    "wanita": "F",
    "female": "F",
    "f": "F",
}
_DATE_DIRECTIVES: Final = {
    "%d": r"(?P<d>[0-9]{1,2})",
    "%m": r"(?P<m>[0-9]{1,2})",
    "%Y": r"[0-9]{4}",
}


class TransformError(ValueError):
    """A transform name or argument is not usable; the message says why."""


@dataclass(frozen=True)
class Outcome:
    """Values for one canonical field, and the rows that failed with why."""

    values: pa.Array
    problems: list[tuple[pa.Array, str]] = field(default_factory=list)  # (bool mask, reason)


Apply = Callable[[Sequence[pa.Array], Sequence[str]], Outcome]


@dataclass(frozen=True)
class Transform:
    """A parsed transform bound to its argument and target type."""

    spec: str
    kind: Kind
    min_columns: int
    max_columns: int | None
    run: Apply

    def __call__(self, columns: Sequence[pa.Array], names: Sequence[str]) -> Outcome:
        """Apply to the source ``columns`` (``names`` are used in reasons)."""
        if len(columns) != 1:
            return self.run(columns, names)
        values = columns[0]
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if not pa.types.is_string(values.type) or len(values) < _DEDUPE_FROM:
            return self.run([values], names)
        # Addresses, dates and labels repeat a lot: transform each distinct value once. Every
        # transform works value by value, so the result is the same.
        encoded = pc.dictionary_encode(values)
        if len(encoded.dictionary) * 2 > len(values):
            return self.run([values], names)
        outcome = self.run([encoded.dictionary], names)
        return Outcome(
            pc.take(outcome.values, encoded.indices),
            [(pc.take(mask, encoded.indices), reason) for mask, reason in outcome.problems],
        )


# ------------------------------------------------------------------------------------ helpers


def as_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The values as one string array (numbers and dates in their plain text form)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), pa.string())
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return pc.cast(values, pa.string())


def clean_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Trimmed text; empty and blank values become null."""
    text = pc.utf8_trim_whitespace(as_text(values))
    return pc.if_else(pc.equal(text, ""), _NULL_TEXT, text)


def _rejected(given: pa.Array, ok: pa.Array) -> pa.Array:
    """Given but not ok, with nulls read as False."""
    return pc.and_(given, pc.invert(pc.fill_null(ok, False)))


def _one(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else "+".join(names)


def _integers(values: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """Parse integers: (int64 values, null for blanks and junk; mask of junk or None if none)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_integer(values.type):
        return pc.cast(values, pa.int64()), None
    if pa.types.is_floating(values.type):
        whole = pc.equal(values, pc.floor(values))
        ints = pc.cast(pc.if_else(whole, values, None), pa.int64(), safe=False)
        return ints, _some(_rejected(pc.is_valid(values), whole))
    text = clean_text(values)
    # Spreadsheets store whole numbers as floats: "3.0" is the integer 3.
    text = pc.replace_substring_regex(text, pattern=r"\.0+$", replacement="")
    ok = pc.match_substring_regex(text, _INT_RE)
    ints = pc.cast(pc.if_else(ok, text, _NULL_TEXT), pa.int64())
    return ints, _some(_rejected(pc.is_valid(text), ok))


def _some(mask: pa.Array) -> pa.Array | None:
    """The mask, or None when no row is set (most batches are clean: skip the later work)."""
    return mask if pc.any(mask).as_py() else None


def _outside(
    ints: pa.Array, allowed: frozenset[int] | None, span: tuple[int, int]
) -> pa.Array | None:
    """Rows whose integer is not allowed (a code list, else the span); None when there are none."""
    low, high = span
    extremes = pc.min_max(ints)
    least, most = extremes["min"].as_py(), extremes["max"].as_py()
    if least is None:
        return None
    if least >= low and most <= high and (allowed is None or len(allowed) == high - low + 1):
        return None
    if allowed is not None:
        ok = pc.is_in(ints, value_set=pa.array(sorted(allowed), pa.int64()))
    else:
        ok = pc.and_(pc.greater_equal(ints, low), pc.less_equal(ints, high))
    return _some(_rejected(pc.is_valid(ints), ok))


def _problems(*found: tuple[pa.Array | None, str]) -> list[tuple[pa.Array, str]]:
    return [(mask, reason) for mask, reason in found if mask is not None]


def norm_label(values: pa.Array) -> pa.Array:
    """Labels compared case- and space-insensitively ("Cerai  Hidup" == "cerai hidup")."""
    text = clean_text(values)
    return pc.utf8_lower(pc.replace_substring_regex(text, pattern=r"\s+", replacement=" "))


def _norm_key(label: str) -> str:
    return re.sub(r"\s+", " ", label.strip()).lower()


def _lookup(keys: pa.Array, table: Mapping[str, Any], out_type: pa.DataType) -> pa.Array:
    """Map each key through ``table`` (null where the key is not in it)."""
    index = pc.index_in(keys, value_set=pa.array(list(table), pa.string()))
    return pc.take(pa.array(list(table.values()), out_type), index)


# ----------------------------------------------------------------------------- the transforms


def _text(_arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    def run(columns: Sequence[pa.Array], _names: Sequence[str]) -> Outcome:
        return Outcome(clean_text(columns[0]))

    return run


def _upper(_arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    def run(columns: Sequence[pa.Array], _names: Sequence[str]) -> Outcome:
        return Outcome(pc.utf8_upper(clean_text(columns[0])))

    return run


def _digits(_arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    def run(columns: Sequence[pa.Array], _names: Sequence[str]) -> Outcome:
        text = clean_text(columns[0])
        text = pc.replace_substring_regex(text, pattern=r"^'+\s*", replacement="")
        text = pc.if_else(pc.equal(text, ""), _NULL_TEXT, text)
        digits = pc.replace_substring_regex(text, pattern=_ID_SEPARATORS, replacement="")
        sixteen = pc.match_substring_regex(digits, r"^[0-9]{16}$")
        # Linkage needs invalid numbers too: keep them as written, only a 16-digit one is cleaned.
        return Outcome(pc.if_else(sixteen, digits, text))

    return run


def _code_set(arg: str) -> tuple[str, frozenset[int] | None, tuple[int, int] | None]:
    """Parse ``NAME``, ``NAME+0+9`` or ``MIN-MAX`` into (label for reasons, codes, range)."""
    if not arg:
        return "", None, None
    span = re.fullmatch(r"(-?[0-9]+)-(-?[0-9]+)", arg)
    if span:
        low, high = int(span[1]), int(span[2])
        if low > high:
            raise TransformError(f"range {arg} is empty")
        return f"{low}-{high}", None, (low, high)
    name, *extra = arg.split("+")
    table = getattr(codes, name, None)
    if not isinstance(table, dict) or not all(isinstance(k, int) for k in table):
        raise TransformError(f"{name!r} is not a code list of tepat.synth.codes")
    try:
        allowed = frozenset(table) | {int(x) for x in extra}
    except ValueError:
        raise TransformError(f"extra codes after '+' must be integers, not {arg!r}") from None
    return name, allowed, None


def _code(arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    label, allowed, span = _code_set(arg)
    if span is None and allowed is not None:
        span = (min(allowed), max(allowed))

    def run(columns: Sequence[pa.Array], names: Sequence[str]) -> Outcome:
        column = _one(names)
        ints, junk = _integers(columns[0])
        outside = None if span is None else _outside(ints, allowed, span)
        what = f"is not a code of {label}" if allowed is not None else f"is outside {label}"
        problems = _problems((junk, f"{column} is not an integer"), (outside, f"{column} {what}"))
        return Outcome(_keep_valid(ints, problems), problems)

    return run


def _keep_valid(values: pa.Array, problems: list[tuple[pa.Array, str]]) -> pa.Array:
    """Null out the rows that failed, so casting to a narrow type cannot overflow."""
    if not problems:
        return values
    bad = problems[0][0]
    for mask, _ in problems[1:]:
        bad = pc.or_(bad, mask)
    return pc.if_else(bad, pa.scalar(None, values.type), values)


def _yes_no_12(_arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    def run(columns: Sequence[pa.Array], names: Sequence[str]) -> Outcome:
        reason = f"{_one(names)} is not 1 (ya) or 2 (tidak)"
        ints, junk = _integers(columns[0])
        problems = _problems((junk, reason), (_outside(ints, None, (1, 2)), reason))
        return Outcome(_keep_valid(pc.equal(ints, 1), problems), problems)

    return run


def _bits_12(_arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    """Several 1 (ya) / 2 (tidak) items as one bitmask: the k-th column is bit k."""

    def run(columns: Sequence[pa.Array], names: Sequence[str]) -> Outcome:
        total = pa.array([0] * len(columns[0]), pa.int64())
        problems: list[tuple[pa.Array, str]] = []
        for k, (column, name) in enumerate(zip(columns, names, strict=True)):
            reason = f"{name} is not 1 (ya) or 2 (tidak)"
            ints, junk = _integers(column)
            problems += _problems((junk, reason), (_outside(ints, None, (1, 2)), reason))
            bit = pc.if_else(pc.equal(ints, 1), 1 << k, 0)
            total = pc.add(total, pc.fill_null(bit, 0))
        return Outcome(_keep_valid(total, problems), problems)

    return run


def _label(arg: str, _target: pa.DataType, labels: Mapping[str, Mapping[str, int]]) -> Apply:
    if not arg:
        raise TransformError("label needs a code list: label:MARITAL")
    own = labels.get(arg)
    table: Mapping[Any, Any] | None = own if own is not None else getattr(codes, arg, None)
    if not isinstance(table, Mapping) or not table:
        raise TransformError(
            f"{arg!r} is neither a [labels.{arg}] table of this mapping nor a code list of "
            "tepat.synth.codes"
        )
    by_label = (
        {_norm_key(k): int(v) for k, v in table.items()}
        if own is not None
        else {_norm_key(str(v)): int(k) for k, v in table.items()}
    )

    def run(columns: Sequence[pa.Array], names: Sequence[str]) -> Outcome:
        keys = norm_label(columns[0])
        values = _lookup(keys, by_label, pa.int64())
        bad = _some(_rejected(pc.is_valid(keys), pc.is_valid(values)))
        return Outcome(values, _problems((bad, f"{_one(names)} is not a label of {arg}")))

    return run


def _sex(arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    if arg == "12":
        table: Mapping[str, str] = {"1": "M", "2": "F"}
        what = "1 (laki-laki) or 2 (perempuan)"
    elif arg == "text":
        table = _SEX_TEXT
        what = "Laki-laki or Perempuan"
    else:
        raise TransformError("sex takes 12 (1/2 codes) or text (Laki-laki/Perempuan)")

    def run(columns: Sequence[pa.Array], names: Sequence[str]) -> Outcome:
        keys = norm_label(columns[0])
        if arg == "12":
            keys = pc.replace_substring_regex(keys, pattern=r"\.0+$", replacement="")
        values = _lookup(keys, table, pa.string())
        bad = _some(_rejected(pc.is_valid(keys), pc.is_valid(values)))
        return Outcome(values, _problems((bad, f"{_one(names)} is not a sex ({what})")))

    return run


def date_pattern(fmt: str) -> str:
    """The anchored regex a text date must match for ``fmt`` (only %d, %m and %Y are allowed)."""
    parts: list[str] = []
    position = 0
    for match in re.finditer(r"%.", fmt):
        parts.append(re.escape(fmt[position : match.start()]))
        directive = match.group()
        if directive not in _DATE_DIRECTIVES:
            raise TransformError(
                f"date format {fmt!r} uses {directive}; only %d, %m and %Y are supported"
            )
        parts.append(_DATE_DIRECTIVES[directive])
        position = match.end()
    parts.append(re.escape(fmt[position:]))
    if sorted(re.findall(r"%.", fmt)) != ["%Y", "%d", "%m"]:
        raise TransformError(f"date format {fmt!r} must use each of %d, %m and %Y once")
    return "^" + "".join(parts) + "$"


def _human(fmt: str) -> str:
    return fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")


def _date(arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    fmt = arg or "%Y-%m-%d"
    pattern = date_pattern(fmt)

    def run(columns: Sequence[pa.Array], names: Sequence[str]) -> Outcome:
        values = columns[0]
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
            return Outcome(pc.cast(values, pa.date32()))
        text = clean_text(values)
        parts = pc.extract_regex(text, pattern=pattern)
        matched = pc.is_valid(parts)
        parsed = pc.cast(
            pc.strptime(
                pc.if_else(matched, text, _NULL_TEXT), format=fmt, unit="s", error_is_null=True
            ),
            pa.date32(),
        )
        # strptime rolls 31/02 over into March: the parsed day and month must be the ones written.
        day = pc.cast(pc.struct_field(parts, "d"), pa.int64(), safe=False)
        month = pc.cast(pc.struct_field(parts, "m"), pa.int64(), safe=False)
        same = pc.and_(pc.equal(pc.day(parsed), day), pc.equal(pc.month(parsed), month))
        ok = pc.and_(matched, pc.fill_null(same, False))
        bad = _some(_rejected(pc.is_valid(text), ok))
        reason = f"{_one(names)} is not a date as {_human(fmt)}"
        return Outcome(
            pc.if_else(ok, parsed, pa.scalar(None, pa.date32())), _problems((bad, reason))
        )

    return run


def _join(arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    separator = arg

    def run(columns: Sequence[pa.Array], _names: Sequence[str]) -> Outcome:
        parts = [clean_text(c) for c in columns]
        if len(parts) == 1:
            return Outcome(parts[0])
        # Any missing part leaves the whole value missing: half a code is not a code.
        return Outcome(pc.binary_join_element_wise(*parts, separator))

    return run


def _words(arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    separator = arg or " "

    def run(columns: Sequence[pa.Array], _names: Sequence[str]) -> Outcome:
        # Unlike join, a missing part is skipped: a person without a middle name still has a
        # name. (binary_join_element_wise's null_handling="skip" drops rows where every part is
        # null, so the parts are added one at a time.)
        joined = clean_text(columns[0])
        for column in columns[1:]:
            part = clean_text(column)
            both = pc.binary_join_element_wise(joined, part, separator)
            joined = pc.coalesce(both, joined, part)
        return Outcome(joined)

    return run


def _regex(arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    try:
        compiled = re.compile(arg)
    except re.error as exc:
        raise TransformError(f"regex {arg!r} does not compile: {exc}") from None
    if compiled.groups != 1 or compiled.groupindex:
        raise TransformError(f"regex {arg!r} must have exactly one unnamed capture group")
    named = re.sub(r"(?<!\\)\((?!\?)", "(?P<value>", arg, count=1)

    def run(columns: Sequence[pa.Array], _names: Sequence[str]) -> Outcome:
        text = clean_text(columns[0])
        found = pc.extract_regex(text, pattern=named)
        value = pc.if_else(pc.is_valid(found), pc.struct_field(found, "value"), _NULL_TEXT)
        # No match is not an error: the field is simply not in this value.
        return Outcome(pc.if_else(pc.equal(value, ""), _NULL_TEXT, value))

    return run


def _village(arg: str, _target: pa.DataType, _labels: Mapping[str, Mapping[str, int]]) -> Apply:
    if arg != "names":
        raise TransformError(
            "village takes names: village:names over province, regency, district and village "
            "name columns"
        )

    def run(columns: Sequence[pa.Array], _names: Sequence[str]) -> Outcome:
        from tepat.sources.places import village_resolver

        return Outcome(village_resolver().resolve(columns))

    return run


Builder = Callable[[str, pa.DataType, Mapping[str, Mapping[str, int]]], Apply]
# name -> (kind of output, fewest columns, most columns (None: any), builder)
TRANSFORMS: Final[dict[str, tuple[Kind, int, int | None, Builder]]] = {
    "text": ("text", 1, 1, _text),
    "upper": ("text", 1, 1, _upper),
    "digits": ("text", 1, 1, _digits),
    "code": ("int", 1, 1, _code),
    "label": ("int", 1, 1, _label),
    "yes_no_12": ("bool", 1, 1, _yes_no_12),
    "bits_12": ("int", 1, 16, _bits_12),
    "sex": ("text", 1, 1, _sex),
    "date": ("date", 1, 1, _date),
    "join": ("text", 1, None, _join),
    "words": ("text", 1, None, _words),
    "regex": ("text", 1, 1, _regex),
    "village": ("text", 4, 4, _village),
}
# Which transform outputs fit which canonical column types.
_FITS: Final[dict[Kind, Callable[[pa.DataType], bool]]] = {
    "text": pa.types.is_string,
    "int": pa.types.is_integer,
    "bool": pa.types.is_boolean,
    "date": pa.types.is_date,
}


def parse_transform(
    spec: str,
    *,
    target: pa.DataType,
    labels: Mapping[str, Mapping[str, int]] | None = None,
) -> Transform:
    """Parse ``name[:argument]`` for a field of type ``target``; raise TransformError if bad."""
    name, _, arg = spec.partition(":")
    entry = TRANSFORMS.get(name)
    if entry is None:
        raise TransformError(
            f"unknown transform {name!r}; known transforms: {', '.join(sorted(TRANSFORMS))}"
        )
    kind, fewest, most, build = entry
    if not _FITS[kind](target):
        raise TransformError(f"transform {name!r} gives {kind} values, the field holds {target}")
    return Transform(spec, kind, fewest, most, build(arg, target, labels or {}))


def default_transform(target: pa.DataType) -> str:
    """The transform used when a field names only a column."""
    if pa.types.is_integer(target):
        return "code"
    if pa.types.is_boolean(target):
        return "yes_no_12"
    if pa.types.is_date(target):
        return "date"
    return "text"
