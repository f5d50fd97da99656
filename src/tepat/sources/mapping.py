"""Mapping files: how a source's columns become the canonical staging columns (TOML).

A mapping names the source, the file(s) it comes as, and for each canonical field the source
column(s) and a transform from :mod:`tepat.sources.transforms`::

    [source]
    name = "dtks"
    mandatory = ["record_id", "full_name", "sex"]

    [[files]]
    role = "members"
    format = "csv"

    [fields]
    record_id = "ID_DTKS"                                     # a column, default transform
    birth_date = { column = "TGL_LHR", transform = "date:%d/%m/%Y" }
    village_code = { columns = ["KD_PROP", "KD_KAB", "KD_KEC", "KD_DESA"], transform = "join:." }
    observed_on = { value = 2021-07-01 }                      # a constant

    [labels.MY_JOBS]                                          # text labels of this source
    "Buruh Tani" = 6

A second file with ``join = "column"`` is looked up by that column for every row of the one file
without ``join`` (Regsosek's family file for its member file). ``"@line"`` as a column is the row's
line number. Loading validates everything and raises :class:`MappingError` with file and line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa

from tepat.errors import InvalidInput
from tepat.sources.schema import STAGING_SCHEMA
from tepat.sources.transforms import Transform, TransformError, default_transform, parse_transform

Format = Literal["csv", "parquet", "xlsx"]
FORMATS: Final[tuple[Format, ...]] = ("csv", "parquet", "xlsx")
LINE_COLUMN: Final = "@line"
BUILTIN_DIR: Final = Path(__file__).with_name("mappings")
# Set by ingest, never by a mapping.
INGEST_FIELDS: Final = frozenset({"batch_id", "source", "file", "line"})
FIELDS: Final = tuple(f.name for f in STAGING_SCHEMA if f.name not in INGEST_FIELDS)
_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_TOP: Final = frozenset({"source", "files", "fields", "labels"})
_SOURCE_KEYS: Final = frozenset({"name", "description", "mandatory"})
_FILE_KEYS: Final = frozenset({"role", "format", "join", "sheet", "delimiter"})
_SPEC_KEYS: Final = frozenset({"column", "columns", "transform", "value"})
_DELIMITERS: Final = (",", ";", "\t", "|")


class MappingError(InvalidInput):
    """A mapping file is unreadable or describes something impossible; says file, line, why."""

    code = "invalid_mapping"

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"mapping {where}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason


class UnknownSource(InvalidInput):
    """No built-in mapping has this source name."""

    code = "unknown_source"


@dataclass(frozen=True)
class FileSpec:
    """One file a source comes as."""

    role: str
    format: Format
    join: str | None = None  # set for a lookup file: the column shared with the row file
    sheet: str | None = None  # xlsx: the worksheet (default: the first)
    delimiter: str | None = None  # csv: fixed delimiter (default: detected from the header)


@dataclass(frozen=True)
class FieldRule:
    """How one canonical field is filled."""

    field: str
    columns: tuple[str, ...]
    transform: Transform | None
    value: Any = None  # a constant, when there are no columns
    line: int | None = None  # where the rule is in the mapping file


@dataclass(frozen=True)
class SourceMapping:
    """A validated mapping file."""

    name: str
    description: str
    path: str
    files: tuple[FileSpec, ...]
    fields: Mapping[str, FieldRule]
    mandatory: frozenset[str]

    @property
    def row_file(self) -> FileSpec:
        """The file whose rows become staged rows (the one without ``join``)."""
        return next(f for f in self.files if f.join is None)

    def columns(self) -> frozenset[str]:
        """Every source column the rules read (without ``@line``)."""
        used = {c for rule in self.fields.values() for c in rule.columns}
        used |= {f.join for f in self.files if f.join}
        return frozenset(used - {LINE_COLUMN})


# ----------------------------------------------------------------------------------- loading


def builtin_sources() -> tuple[str, ...]:
    """Names of the sources Tepat ships a mapping for."""
    return tuple(sorted(p.stem for p in BUILTIN_DIR.glob("*.toml")))


def builtin_mapping(source: str) -> SourceMapping:
    """The shipped mapping of ``source``; raise :class:`UnknownSource` listing the known ones."""
    known = builtin_sources()
    if source not in known:
        raise UnknownSource(
            f"unknown source {source!r}; known sources: {', '.join(known)} "
            "(or describe the file with --mapping FILE.toml)"
        )
    return load_mapping(BUILTIN_DIR / f"{source}.toml")


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate a mapping file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(str(path), None, f"cannot be read: {exc}") from None
    return parse_mapping(text, path=str(path))


def parse_mapping(text: str, *, path: str = "<mapping>") -> SourceMapping:
    """Validate mapping ``text``; ``path`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's tomllib puts the position only in the message: "(at line 3, column 5)".
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise MappingError(
            path, int(found[1]) if found else None, f"TOML syntax: {reason}"
        ) from None
    return _Validator(text, path).mapping(data)


class _Validator:
    """Checks parsed TOML and builds the mapping; knows the text to point at lines."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines()
        self.path = path

    def fail(
        self, reason: str, *, table: str | None = None, key: str | None = None
    ) -> MappingError:
        return MappingError(self.path, self.line_of(table, key), reason)

    def line_of(self, table: str | None, key: str | None) -> int | None:
        """First line defining ``key`` inside ``[table]`` (or the table header itself)."""
        current: str | None = None
        header_line: int | None = None
        for number, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            header = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?(\s*#.*)?", line)
            if header:
                current = header[1].replace('"', "")
                if table is not None and current == table and header_line is None:
                    header_line = number
                if table is not None and key is not None and current == f"{table}.{key}":
                    return number
                continue
            if key is None:
                continue
            if (table is None or current == table) and re.match(
                rf"""["']?{re.escape(key)}["']?\s*=""", line
            ):
                return number
        return header_line

    # -- sections -------------------------------------------------------------------------

    def mapping(self, data: dict[str, Any]) -> SourceMapping:
        for key in data:
            if key not in _TOP:
                raise self.fail(
                    f"unknown section {key!r}; a mapping has {', '.join(sorted(_TOP))}", key=key
                )
        source = self.table(data, "source")
        for key in source:
            if key not in _SOURCE_KEYS:
                raise self.fail(f"unknown key source.{key}", table="source", key=key)
        name = source.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.fail(
                "source.name must be a lowercase name (a-z, 0-9, _; it names the staging folder)",
                table="source",
                key="name",
            )
        description = source.get("description", "")
        if not isinstance(description, str):
            raise self.fail("source.description must be text", table="source", key="description")
        labels = self.labels(data.get("labels", {}))
        files = self.files(data.get("files"))
        fields = self.fields(self.table(data, "fields"), labels)
        mandatory = source.get("mandatory", [])
        if not isinstance(mandatory, list) or not all(isinstance(m, str) for m in mandatory):
            raise self.fail(
                "source.mandatory must be a list of field names", table="source", key="mandatory"
            )
        for item in mandatory:
            if item not in fields and item != "record_id":
                raise self.fail(
                    f"mandatory field {item!r} is not mapped in [fields]",
                    table="source",
                    key="mandatory",
                )
        return SourceMapping(name, description, self.path, files, fields, frozenset(mandatory))

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name)
        if not isinstance(value, dict):
            raise self.fail(f"missing [{name}] table", table=name)
        return value

    def labels(self, value: object) -> dict[str, dict[str, int]]:
        if not isinstance(value, dict):
            raise self.fail("[labels] must hold tables of label = code", key="labels")
        out: dict[str, dict[str, int]] = {}
        for name, table in value.items():
            where = f"labels.{name}"
            if not isinstance(table, dict) or not table:
                raise self.fail(f"[{where}] must map text labels to integer codes", table=where)
            for label, code in table.items():
                if not isinstance(code, int) or isinstance(code, bool):
                    raise self.fail(
                        f"label {label!r} must map to an integer code", table=where, key=label
                    )
            out[name] = dict(table)
        return out

    def files(self, value: object) -> tuple[FileSpec, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(f, dict) for f in value):
            raise self.fail("missing [[files]]: each file needs a role and a format", table="files")
        specs: list[FileSpec] = []
        for entry in value:
            for key in entry:
                if key not in _FILE_KEYS:
                    raise self.fail(
                        f"unknown key files.{key}; known: {', '.join(sorted(_FILE_KEYS))}",
                        table="files",
                        key=key,
                    )
            role, fmt = entry.get("role"), entry.get("format")
            if not isinstance(role, str) or not _NAME.fullmatch(role):
                raise self.fail("files.role must be a lowercase name", table="files", key="role")
            if fmt not in FORMATS:
                raise self.fail(
                    f"files.format must be one of {', '.join(FORMATS)}, not {fmt!r}",
                    table="files",
                    key="format",
                )
            join, sheet, delimiter = entry.get("join"), entry.get("sheet"), entry.get("delimiter")
            if join is not None and not (isinstance(join, str) and join):
                raise self.fail("files.join must name a column", table="files", key="join")
            if sheet is not None and (fmt != "xlsx" or not isinstance(sheet, str)):
                raise self.fail(
                    "files.sheet is a worksheet name, for xlsx files only",
                    table="files",
                    key="sheet",
                )
            if delimiter is not None and (fmt != "csv" or delimiter not in _DELIMITERS):
                raise self.fail(
                    "files.delimiter is one of , ; tab | and for csv files only",
                    table="files",
                    key="delimiter",
                )
            specs.append(FileSpec(role, fmt, join, sheet, delimiter))
        if sum(1 for s in specs if s.join is None) != 1:
            raise self.fail(
                "exactly one file must be without join: the file whose rows are "
                "staged; the others are looked up by their join column",
                table="files",
            )
        if len({s.role for s in specs}) != len(specs):
            raise self.fail("two files have the same role", table="files", key="role")
        return tuple(specs)

    def fields(
        self, table: dict[str, Any], labels: dict[str, dict[str, int]]
    ) -> dict[str, FieldRule]:
        rules: dict[str, FieldRule] = {}
        for name, spec in table.items():
            line = self.line_of("fields", name)
            if name in INGEST_FIELDS:
                raise MappingError(self.path, line, f"field {name!r} is set by ingest, not mapped")
            if name not in FIELDS:
                close = difflib.get_close_matches(name, FIELDS, n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise MappingError(self.path, line, f"unknown canonical field {name!r}{hint}")
            rules[name] = self.rule(name, spec, line, labels)
        return rules

    def rule(
        self, name: str, spec: object, line: int | None, labels: dict[str, dict[str, int]]
    ) -> FieldRule:
        target = STAGING_SCHEMA.field(name).type
        if isinstance(spec, str):
            spec = {"column": spec}
        if not isinstance(spec, dict):
            raise MappingError(
                self.path,
                line,
                f"field {name!r}: give a column name or a table "
                "{ column = ..., transform = ... }",
            )
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            raise MappingError(
                self.path,
                line,
                f"field {name!r}: unknown key(s) "
                f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(_SPEC_KEYS))}",
            )
        sources = [k for k in ("column", "columns", "value") if k in spec]
        if len(sources) != 1:
            raise MappingError(
                self.path, line, f"field {name!r}: give exactly one of column, columns or value"
            )
        if "value" in spec:
            return FieldRule(name, (), None, self.constant(name, spec["value"], target, line), line)
        columns = spec.get("columns", [spec.get("column")])
        if (
            not isinstance(columns, list)
            or not columns
            or not all(isinstance(c, str) and c for c in columns)
        ):
            raise MappingError(self.path, line, f"field {name!r}: columns must be column names")
        spec_text = spec.get("transform", default_transform(target))
        if not isinstance(spec_text, str):
            raise MappingError(self.path, line, f"field {name!r}: transform must be text")
        try:
            transform = parse_transform(spec_text, target=target, labels=labels)
        except TransformError as exc:
            raise MappingError(self.path, line, f"field {name!r}: {exc}") from None
        if len(columns) < transform.min_columns or (
            transform.max_columns is not None and len(columns) > transform.max_columns
        ):
            most = transform.max_columns
            count = (
                f"{transform.min_columns}"
                if most == transform.min_columns
                else f"at least {transform.min_columns}"
            )
            raise MappingError(
                self.path,
                line,
                f"field {name!r}: transform {spec_text!r} takes "
                f"{count} column(s), got {len(columns)}",
            )
        return FieldRule(name, tuple(columns), transform, None, line)

    def constant(self, name: str, value: object, target: pa.DataType, line: int | None) -> Any:
        try:
            if pa.types.is_date(target):
                if isinstance(value, str):
                    value = date.fromisoformat(value)
                if not isinstance(value, date):
                    raise TypeError
            elif pa.types.is_integer(target):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise TypeError
            elif pa.types.is_boolean(target):
                if not isinstance(value, bool):
                    raise TypeError
            elif not isinstance(value, str):
                raise TypeError
            return pa.scalar(value, target).as_py()
        except (TypeError, ValueError, pa.ArrowInvalid):
            raise MappingError(
                self.path, line, f"field {name!r}: value {value!r} is not a {target} value"
            ) from None
