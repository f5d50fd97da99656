"""Ingest a source's files: read, map to the staging schema, validate, stage or quarantine.

Accepted rows go to ``<data_dir>/staging/<source>/<batch_id>.parquet`` with exactly
:data:`~tepat.sources.schema.STAGING_SCHEMA`; refused rows go to the ``quarantine`` table with
their file, line, reason and the row as read (NIK and KK masked). Every row is accounted for:
per file, rows in = staged + quarantined. The work is vectorised over Arrow batches; only refused
rows are touched one by one.

The caller owns the transaction: the batch row and the quarantine rows are written inside a
savepoint of it, and the Parquet file is renamed into place only when everything else succeeded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.orm import Session

from tepat.errors import InvalidInput
from tepat.reference import mask_nik
from tepat.sources.mapping import LINE_COLUMN, FileSpec, SourceMapping, builtin_mapping
from tepat.sources.models import IngestBatch, QuarantineRow
from tepat.sources.readers import BadRow, CsvReader, Reader, RowBatch, open_reader, read_all
from tepat.sources.schema import STAGING_SCHEMA
from tepat.sources.transforms import clean_text

EARLIEST_BIRTH: Final = date(1890, 1, 1)
QUARANTINE_CHUNK: Final = 5_000
_SUFFIXES: Final = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
# 15-17 digits, possibly split by spaces, dots or dashes: a NIK or KK, also one with a digit
# dropped or doubled. Shorter ids (IDJTG has 13 digits) stay readable.
_LONG_NUMBER: Final = re.compile(r"(?<![0-9])[0-9](?:[\s.\-]?[0-9]){14,16}(?![0-9])")

Db = Connection | Session


@dataclass(frozen=True)
class FileReport:
    """What happened to one file's rows; rows_in = staged + quarantined."""

    name: str
    role: str
    sha256: str
    rows_in: int
    staged: int  # for a lookup file: rows joined into staged rows
    quarantined: int
    blank: int = 0  # blank lines or rows, not counted as rows

    def as_json(self) -> dict[str, Any]:
        """The report as stored in ``ingest_batches.files``."""
        return {
            "name": self.name,
            "role": self.role,
            "sha256": self.sha256,
            "rows_in": self.rows_in,
            "staged": self.staged,
            "quarantined": self.quarantined,
            "blank": self.blank,
        }


@dataclass(frozen=True)
class IngestResult:
    """The reconciliation of one batch (of the row file; lookup files are in ``files``)."""

    batch_id: str
    source: str
    files: tuple[FileReport, ...]
    rows_in: int
    rows_staged: int
    rows_quarantined: int
    unresolved_addresses: int
    staged_path: Path
    reasons: tuple[tuple[str, int], ...]  # every quarantine reason with its count, most first
    already_ingested: bool = False

    @property
    def reconciled(self) -> bool:
        """True when no row went missing: rows in = staged + quarantined, per file and overall."""
        return self.rows_in == self.rows_staged + self.rows_quarantined and all(
            f.rows_in == f.staged + f.quarantined for f in self.files
        )


# ------------------------------------------------------------------------------------ helpers


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def mask_identifiers(value: Any) -> Any:
    """``value`` with every NIK/KK-like number (15-17 digits) masked, in dicts and lists too."""
    if isinstance(value, str):
        return _LONG_NUMBER.sub(lambda m: mask_nik(m.group()), value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and 10**14 <= abs(value) < 10**17:
        return mask_nik(str(value))
    if isinstance(value, dict):
        return {k: mask_identifiers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_identifiers(v) for v in value]
    return value


# Any run of 8+ digits, separators allowed (an SSN-style 123-45-6789 too), in an unparsed line.
_DIGIT_RUN = re.compile(r"\d(?:[ .\-]?\d){7,}")
_IDENTITY_FIELDS = ("nik", "kk", "id_number")


def _mask_digits(value: str) -> str:
    """Keep the last four digits of an identity number, mask the rest."""
    digits = sum(c.isdigit() for c in value)
    seen = 0
    out = []
    for c in value:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 4 else "*")
        else:
            out.append(c)
    return "".join(out)


def _mask_identity_columns(raw: Any, mapping: SourceMapping) -> Any:
    """Mask the source columns a mapping feeds into NIK, KK or another identity number, and
    long digit runs in an unparsed line, whatever their length."""
    if isinstance(raw, dict):
        columns = {
            c for f in _IDENTITY_FIELDS if f in mapping.fields for c in mapping.fields[f].columns
        }
        # A NIK-shaped value is left to mask_identifiers (first and last four digits kept).
        return {
            k: _mask_digits(str(v))
            if k in columns and v not in (None, "") and not _LONG_NUMBER.search(str(v))
            else v
            for k, v in raw.items()
        }
    return raw


def _raw_json(value: Any) -> str:
    return json.dumps(mask_identifiers(value), ensure_ascii=False, default=str)


@cache
def _village_codes() -> pa.Array:
    from tepat.reference import RegionLevel, regions

    return pa.array(regions().codes(RegionLevel.VILLAGE), pa.string())


def _given(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """True where a source cell holds something (not null, not blank)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        return pc.is_valid(values)
    return pc.and_(pc.is_valid(values), pc.invert(pc.match_substring_regex(values, r"^\s*$")))


def _any(masks: Iterable[pa.Array], n: int) -> pa.Array:
    out = pa.array(np.zeros(n, dtype=bool))
    for mask in masks:
        out = pc.or_(out, pc.fill_null(mask, False))
    return out


def _fit(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """Values cast to the staging type, with the rows that do not fit it (nulled)."""
    if pa.types.is_integer(target) and values.type != target:
        info = np.iinfo(target.to_pandas_dtype())
        extremes = pc.min_max(values)
        least, most = extremes["min"].as_py(), extremes["max"].as_py()
        if least is None or (least >= info.min and most <= info.max):
            return pc.cast(values, target), None
        ok = pc.and_(pc.greater_equal(values, info.min), pc.less_equal(values, info.max))
        too_big = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(ok, False)))
        values = pc.if_else(too_big, pa.scalar(None, values.type), values)
        return pc.cast(values, target), too_big
    return pc.cast(values, target), None


# ------------------------------------------------------------------------------------ lookups


class _Lookup:
    """A file joined to every row of the row file by a shared column (Regsosek's families)."""

    def __init__(self, spec: FileSpec, name: str, rows: RowBatch, row_role: str) -> None:
        assert spec.join is not None
        self.spec, self.name, self.rows, self.row_role = spec, name, rows, row_role
        self.join = spec.join
        self.keys = clean_text(rows.table[self.join])
        counts = pc.value_counts(self.keys)
        repeated = pc.greater(counts.field("counts"), 1)
        self.duplicates = pc.filter(counts.field("values"), repeated)
        self.used = np.zeros(rows.table.num_rows, dtype=bool)

    def attach(self, table: pa.Table) -> tuple[pa.Table, list[tuple[pa.Array, str]]]:
        """``table`` with this file's columns added, and the rows that found no single match."""
        keys = clean_text(table[self.join])
        index = pc.index_in(keys, value_set=self.keys)
        repeated = pc.is_in(keys, value_set=self.duplicates)
        missing = pc.and_(pc.is_valid(keys), pc.is_null(index))
        usable = pc.and_(pc.is_valid(index), pc.invert(repeated))
        hits = pc.filter(index, usable).to_numpy(zero_copy_only=False)
        self.used[hits] = True
        index = pc.if_else(usable, index, pa.scalar(None, index.type))
        for column in self.rows.table.column_names:
            # The row file's own columns win over a lookup column of the same name.
            if column not in table.column_names:
                table = table.append_column(column, self.rows.table[column].take(index))
        return table, [
            (pc.is_null(keys), f"{self.join} is empty: cannot find the {self.spec.role} row"),
            (missing, f"{self.join} has no row in the {self.spec.role} file"),
            (repeated, f"{self.join} is on more than one row of the {self.spec.role} file"),
        ]

    def leftovers(self) -> list[tuple[int, str, dict[str, Any]]]:
        """Rows of this file that no staged row used, with why."""
        unused = np.flatnonzero(~self.used)
        if len(unused) == 0:
            return []
        rows = self.rows.table.take(pa.array(unused)).to_pylist()
        keys = pc.take(self.keys, pa.array(unused)).to_pylist()
        lines = pc.take(self.rows.lines, pa.array(unused)).to_pylist()
        repeated = set(self.duplicates.to_pylist())
        out = []
        for line, key, row in zip(lines, keys, rows, strict=True):
            if key is None:
                reason = f"{self.join} is empty"
            elif key in repeated:
                reason = f"{self.join} is on more than one row of this file"
            else:
                reason = f"no {self.row_role} row has this {self.join}"
            out.append((line, reason, row))
        return out


# ------------------------------------------------------------------------------------- ingest


@dataclass
class _Run:
    """The running state of one ingest."""

    mapping: SourceMapping
    batch_id: str
    file_name: str
    today: date
    db: Db
    lookups: list[_Lookup]
    reasons: Counter[str] = field(default_factory=Counter)
    pending: list[dict[str, Any]] = field(default_factory=list)
    rows_in: int = 0
    staged: int = 0
    quarantined: int = 0
    blank: int = 0
    unresolved: int = 0

    def quarantine(self, file: str, line: int, reason: str, raw: Any) -> None:
        self.reasons[reason] += 1
        raw = _mask_identity_columns(raw, self.mapping)
        self.pending.append(
            {
                "batch_id": self.batch_id,
                "file": file,
                "line": line,
                "reason": reason,
                "raw": _raw_json(raw),
            }
        )
        if len(self.pending) >= QUARANTINE_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.db.execute(insert(QuarantineRow), self.pending)
            self.pending = []

    def bad_rows(self, file: str, bad: Sequence[BadRow]) -> None:
        for row in bad:
            text = _DIGIT_RUN.sub(lambda m: "*" * len(m.group()), row.raw)
            self.quarantine(file, row.line, row.reason, {"text": text})

    def process(self, batch: RowBatch) -> pa.Table:
        """Map and check one batch; quarantine the refused rows, return the staged ones."""
        self.bad_rows(self.file_name, batch.bad)
        self.blank += batch.blank
        self.rows_in += batch.table.num_rows + len(batch.bad)
        self.quarantined += len(batch.bad)
        table, lines = batch.table, batch.lines
        n = table.num_rows
        problems: list[tuple[pa.Array, str]] = []
        for lookup in self.lookups:
            table, found = lookup.attach(table)
            problems += found
        values, field_problems = self.map_fields(table, lines)
        problems += field_problems
        unresolved = self.check_village(table, values)
        refused = _any((m for m, _ in problems), n)
        if pc.any(refused).as_py():
            self.refuse(table, lines, refused, problems)
        kept = pc.invert(refused)
        self.unresolved += pc.sum(pc.and_(unresolved, kept)).as_py() or 0
        staged = self.staging_table(values, lines, n).filter(kept)
        self.staged += staged.num_rows
        return staged

    def map_fields(
        self, table: pa.Table, lines: pa.Array
    ) -> tuple[dict[str, pa.Array], list[tuple[pa.Array, str]]]:
        """Every mapped field's values, and the problems found while mapping them."""
        n = table.num_rows
        values: dict[str, pa.Array] = {}
        problems: list[tuple[pa.Array, str]] = []
        by_field: dict[str, list[pa.Array]] = {}
        for rule in self.mapping.fields.values():
            target = STAGING_SCHEMA.field(rule.field).type
            if rule.transform is None:
                values[rule.field] = pa.repeat(pa.scalar(rule.value, target), n)
                continue
            inputs = [
                pc.cast(lines, pa.string()) if c == LINE_COLUMN else table[c].combine_chunks()
                for c in rule.columns
            ]
            outcome = rule.transform(inputs, rule.columns)
            fitted, too_big = _fit(outcome.values, target)
            found = list(outcome.problems)
            if too_big is not None:
                found.append((too_big, f"{'+'.join(rule.columns)} is out of range for {target}"))
            values[rule.field] = fitted
            by_field[rule.field] = [m for m, _ in found]
            problems += [(m, f"{rule.field}: {reason}") for m, reason in found]
        if "record_id" not in values:
            ids = pc.binary_join_element_wise(self.file_name, pc.cast(lines, pa.string()), ":")
            values["record_id"] = ids
        for name in sorted(self.mapping.mandatory):
            # A value that was given but refused already has its reason; do not add "missing".
            given_but_bad = _any(by_field.get(name, []), n)
            missing = pc.and_(pc.is_null(values[name]), pc.invert(given_but_bad))
            mapped = self.mapping.fields.get(name)
            where = "+".join(mapped.columns) if mapped and mapped.columns else "no value"
            problems.append((missing, f"{name}: missing ({where} empty)"))
        born = values.get("birth_date")
        if born is not None:
            problems.append((pc.less(born, pa.scalar(EARLIEST_BIRTH)), "birth_date: before 1890"))
            problems.append((pc.greater(born, pa.scalar(self.today)), "birth_date: in the future"))
        return values, problems

    def check_village(self, table: pa.Table, values: dict[str, pa.Array]) -> pa.Array:
        """Null a village code that is not in the region list; return the unresolved rows."""
        n = table.num_rows
        rule = self.mapping.fields.get("village_code")
        code = values.get("village_code")
        if rule is None or code is None or not rule.columns:
            return pa.array(np.zeros(n, dtype=bool))
        # Few distinct codes per batch: check the dictionary, not every row.
        encoded = pc.dictionary_encode(code)
        known = pc.is_in(encoded.dictionary, value_set=_village_codes())
        known = pc.fill_null(pc.take(known, encoded.indices), False)
        code = pc.if_else(known, code, pa.scalar(None, pa.string()))
        values["village_code"] = code
        given = _any((_given(table[c]) for c in rule.columns if c != LINE_COLUMN), n)
        return pc.and_(given, pc.is_null(code))

    def refuse(
        self,
        table: pa.Table,
        lines: pa.Array,
        refused: pa.Array,
        problems: list[tuple[pa.Array, str]],
    ) -> None:
        """Quarantine the refused rows, each with all its reasons."""
        rows = np.flatnonzero(refused.to_numpy(zero_copy_only=False))
        why: dict[int, list[str]] = {int(i): [] for i in rows}
        for mask, reason in problems:
            for i in np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False)):
                why[int(i)].append(reason)
        picked = pa.array(rows)
        raw = table.take(picked).to_pylist()
        numbers = lines.take(picked).to_pylist()
        for i, line, row in zip(rows, numbers, raw, strict=True):
            self.quarantine(self.file_name, line, "; ".join(why[int(i)]), row)
        self.quarantined += len(rows)

    def staging_table(self, values: dict[str, pa.Array], lines: pa.Array, n: int) -> pa.Table:
        """The batch in exactly the staging schema (unmapped fields null)."""
        constants = {
            "batch_id": self.batch_id,
            "source": self.mapping.name,
            "file": self.file_name,
        }
        arrays = []
        for item in STAGING_SCHEMA:
            if item.name in constants:
                arrays.append(pa.repeat(pa.scalar(constants[item.name], item.type), n))
            elif item.name == "line":
                arrays.append(lines)
            elif item.name in values:
                arrays.append(values[item.name])
            else:
                arrays.append(pa.nulls(n, item.type))
        return pa.Table.from_arrays(arrays, schema=STAGING_SCHEMA)


def _check_files(mapping: SourceMapping, files: Sequence[Path]) -> None:
    roles = ", ".join(f.role for f in mapping.files)
    if len(files) != len(mapping.files):
        raise InvalidInput(
            f"{mapping.name} takes {len(mapping.files)} file(s), in this order: {roles}; "
            f"got {len(files)}",
            code="wrong_file_count",
        )
    for path, spec in zip(files, mapping.files, strict=True):
        if not path.is_file():
            raise InvalidInput(f"file {path} does not exist", code="file_not_found")
        looks_like = _SUFFIXES.get(path.suffix.lower())
        if looks_like is not None and looks_like != spec.format:
            raise InvalidInput(
                f"{path.name} looks like {looks_like} by its name, but {mapping.name} expects "
                f"{spec.format} for its {spec.role} file (files in this order: {roles})",
                code="wrong_file_format",
            )


def _check_columns(mapping: SourceMapping, readers: Sequence[tuple[FileSpec, Reader]]) -> None:
    """Refuse files that lack a column the mapping reads (nothing could be staged from them)."""
    have = {c for _, r in readers for c in r.columns}
    missing = sorted(mapping.columns() - have)
    row_reader = next(r for spec, r in readers if spec.join is None)
    for spec, reader in readers:
        for side in (reader, row_reader):
            if spec.join and spec.join not in side.columns:
                missing.append(f"{spec.join} (in {side.path.name})")
    if not missing:
        return
    names = "; ".join(
        f"{r.path.name} has {', '.join(r.columns[:6])}{', ...' if len(r.columns) > 6 else ''}"
        for _, r in readers
    )
    delimiters = [
        f"{r.path.name} was split on {r.delimiter_name}"
        for _, r in readers
        if isinstance(r, CsvReader)
    ]
    hint = f" ({'; '.join(delimiters)})" if delimiters else ""
    raise InvalidInput(
        f"{mapping.name}: column(s) {', '.join(missing)} not found: {names}{hint}",
        code="missing_columns",
    )


def _existing(db: Db, source: str, sha256: str, data_dir: Path) -> IngestResult | None:
    columns = [
        IngestBatch.id,
        IngestBatch.files,
        IngestBatch.rows_in,
        IngestBatch.rows_staged,
        IngestBatch.rows_quarantined,
        IngestBatch.unresolved_addresses,
        IngestBatch.staged_path,
    ]
    where = (IngestBatch.source == source, IngestBatch.sha256 == sha256)
    row = db.execute(select(*columns).where(*where)).mappings().first()
    if row is None:
        return None
    counts = db.execute(
        select(QuarantineRow.reason, func.count())
        .where(QuarantineRow.batch_id == row["id"])
        .group_by(QuarantineRow.reason)
    ).all()
    files = tuple(FileReport(**f) for f in row["files"])
    return IngestResult(
        batch_id=row["id"],
        source=source,
        files=files,
        rows_in=row["rows_in"],
        rows_staged=row["rows_staged"],
        rows_quarantined=row["rows_quarantined"],
        unresolved_addresses=row["unresolved_addresses"],
        staged_path=data_dir / row["staged_path"],
        reasons=tuple(sorted(((r, int(c)) for r, c in counts), key=lambda x: (-x[1], x[0]))),
        already_ingested=True,
    )


def file_reports(
    run: _Run,
    readers: Sequence[tuple[FileSpec, Reader]],
    files: Sequence[Path],
    hashes: Sequence[str],
    lookups: Sequence[_Lookup],
) -> tuple[FileReport, ...]:
    """Per-file counts after a run; quarantines lookup-file rows no member row used."""
    reports: list[FileReport] = []
    for i, (spec, _) in enumerate(readers):
        if spec.join is None:
            reports.append(
                FileReport(
                    files[i].name,
                    spec.role,
                    hashes[i],
                    run.rows_in,
                    run.staged,
                    run.quarantined,
                    run.blank,
                )
            )
            continue
        lookup = next(lk for lk in lookups if lk.spec is spec)
        run.bad_rows(lookup.name, lookup.rows.bad)
        leftovers = lookup.leftovers()
        for line, reason, raw in leftovers:
            run.quarantine(lookup.name, line, reason, raw)
        reports.append(
            FileReport(
                lookup.name,
                spec.role,
                hashes[i],
                lookup.rows.table.num_rows + len(lookup.rows.bad),
                int(lookup.used.sum()),
                len(leftovers) + len(lookup.rows.bad),
                lookup.rows.blank,
            )
        )
    return tuple(reports)


def ingest(
    *,
    source: str,
    files: Sequence[Path],
    data_dir: Path,
    db: Db,
    mapping: SourceMapping | None = None,
    today: date | None = None,
) -> IngestResult:
    """Stage ``files`` of ``source`` and quarantine what fails; idempotent per file contents.

    ``mapping`` defaults to the shipped mapping of ``source`` (dtks, regsosek, p3ke); a user
    mapping must carry the same source name. The caller commits ``db``.
    """
    mapping = mapping if mapping is not None else builtin_mapping(source)
    if mapping.name != source:
        raise InvalidInput(f"mapping {mapping.path} is for source {mapping.name!r}, not {source!r}")
    files = [Path(f) for f in files]
    _check_files(mapping, files)
    hashes = [file_sha256(p) for p in files]
    combined = hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    found = _existing(db, mapping.name, combined, data_dir)
    if found is not None:
        return found

    readers = [
        (spec, open_reader(path, spec.format, sheet=spec.sheet, delimiter=spec.delimiter))
        for spec, path in zip(mapping.files, files, strict=True)
    ]
    _check_columns(mapping, readers)
    today = today or date.today()
    batch_id = f"{mapping.name}-{today:%Y%m%d}-{combined[:8]}"
    relative = Path("staging") / mapping.name / f"{batch_id}.parquet"
    final = data_dir / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{batch_id}.", suffix=".tmp")
    os.close(handle)
    temp = Path(temp_name)
    try:
        with db.begin_nested():
            result = _stage(
                mapping=mapping,
                files=files,
                hashes=hashes,
                combined=combined,
                readers=readers,
                batch_id=batch_id,
                relative=relative,
                temp=temp,
                data_dir=data_dir,
                db=db,
                today=today,
            )
        temp.replace(final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return result


def _stage(
    *,
    mapping: SourceMapping,
    files: Sequence[Path],
    hashes: Sequence[str],
    combined: str,
    readers: Sequence[tuple[FileSpec, Reader]],
    batch_id: str,
    relative: Path,
    temp: Path,
    data_dir: Path,
    db: Db,
    today: date,
) -> IngestResult:
    row_index = next(i for i, (spec, _) in enumerate(readers) if spec.join is None)
    row_spec, row_reader = readers[row_index]
    db.execute(
        insert(IngestBatch).values(
            id=batch_id,
            source=mapping.name,
            files=[],
            sha256=combined,
            rows_in=0,
            rows_staged=0,
            rows_quarantined=0,
            unresolved_addresses=0,
            staged_path=relative.as_posix(),
        )
    )
    lookups = [
        _Lookup(spec, files[i].name, read_all(reader), row_spec.role)
        for i, (spec, reader) in enumerate(readers)
        if spec.join is not None
    ]
    run = _Run(mapping, batch_id, files[row_index].name, today, db, lookups)
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        pq.ParquetWriter(temp, STAGING_SCHEMA, compression="zstd") as writer,
    ):
        # Compress and write one batch while the next is mapped (Arrow releases the GIL).
        writing: Future[None] | None = None
        for batch in row_reader.batches():
            staged = run.process(batch)
            if writing is not None:
                writing.result()
            writing = pool.submit(writer.write_table, staged)
        if writing is not None:
            writing.result()

    reports = file_reports(run, readers, files, hashes, lookups)
    run.flush()
    db.execute(
        update(IngestBatch)
        .where(IngestBatch.id == batch_id)
        .values(
            files=[r.as_json() for r in reports],
            rows_in=run.rows_in,
            rows_staged=run.staged,
            rows_quarantined=run.quarantined,
            unresolved_addresses=run.unresolved,
        )
    )
    return IngestResult(
        batch_id=batch_id,
        source=mapping.name,
        files=tuple(reports),
        rows_in=run.rows_in,
        rows_staged=run.staged,
        rows_quarantined=run.quarantined,
        unresolved_addresses=run.unresolved,
        staged_path=data_dir / relative,
        reasons=tuple(sorted(run.reasons.items(), key=lambda x: (-x[1], x[0]))),
    )
