"""Readers for source files: CSV, Parquet and XLSX, streamed as Arrow batches with line numbers.

Every reader yields :class:`RowBatch` objects: the rows it could read (one column per source
column; CSV and XLSX values stay text) with their 1-based line numbers, the rows it could not
split into the header's columns (:class:`BadRow`, with line and reason), and how many blank lines
it skipped. Nothing is dropped silently: every line after the header is a row, a bad row, or a
blank line, so rows in = read + bad.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tepat.errors import InvalidInput

DELIMITERS: Final = (",", ";", "\t", "|")
_DELIMITER_NAMES: Final = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
CSV_BLOCK_BYTES: Final = 32 << 20
PARQUET_BATCH_ROWS: Final = 250_000
XLSX_BATCH_ROWS: Final = 50_000
# A CSV stretch this short that pyarrow cannot read is read line by line.
_SLOW_LINES: Final = 256
_HEADER_LIMIT: Final = 1 << 20


class UnreadableFile(InvalidInput):
    """A file cannot be read at all (not the format, no header, duplicate column names)."""

    code = "unreadable_file"


@dataclass(frozen=True)
class BadRow:
    """A row the reader could not split into the header's columns."""

    line: int
    reason: str
    raw: str  # the line's text (invalid UTF-8 replaced)


@dataclass(frozen=True)
class RowBatch:
    """Rows read from one stretch of a file."""

    table: pa.Table  # one column per source column
    lines: pa.Array  # int64, 1-based line (CSV) or row (Parquet, XLSX) number of each row
    bad: tuple[BadRow, ...] = ()
    blank: int = 0  # blank lines or rows skipped (not rows)


class Reader(Protocol):
    """What every reader offers."""

    path: Path
    columns: tuple[str, ...]

    def batches(self) -> Iterator[RowBatch]:
        """The file's rows in order, a stretch at a time."""
        ...


def open_reader(
    path: Path, fmt: str, *, sheet: str | None = None, delimiter: str | None = None
) -> Reader:
    """A reader for ``path`` in format ``fmt`` (csv, parquet, xlsx); reads the header now."""
    if fmt == "csv":
        return CsvReader(path, delimiter=delimiter)
    if fmt == "parquet":
        return ParquetReader(path)
    if fmt == "xlsx":
        return XlsxReader(path, sheet=sheet)
    raise InvalidInput(f"unknown file format {fmt!r}; known: csv, parquet, xlsx")


def read_all(reader: Reader) -> RowBatch:
    """Every row of a (small) file as one batch."""
    parts = list(reader.batches())
    if not parts:
        empty = pa.table({c: pa.array([], pa.string()) for c in reader.columns})
        return RowBatch(empty, pa.array([], pa.int64()))
    return RowBatch(
        pa.concat_tables([p.table for p in parts]).combine_chunks(),
        pa.concat_arrays([p.lines for p in parts]),
        tuple(b for p in parts for b in p.bad),
        sum(p.blank for p in parts),
    )


def _unique_names(path: Path, names: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for number, name in enumerate(names, start=1):
        clean = name.strip() or f"column {number}"
        if clean in out:
            raise UnreadableFile(f"{path.name}: column {clean!r} appears twice in the header")
        out.append(clean)
    return tuple(out)


# ------------------------------------------------------------------------------------------ CSV


def detect_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: the most frequent of , ; tab | outside quotes."""
    outside = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    text = "".join(outside)
    counts = [(text.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] > 0 else ","


class CsvReader:
    """A delimited text file, UTF-8, one header line; each physical line is one row."""

    def __init__(self, path: Path, *, delimiter: str | None = None) -> None:
        """Read the header line and settle the delimiter."""
        self.path = path
        try:
            with path.open("rb") as handle:
                head = handle.readline(_HEADER_LIMIT)
        except OSError as exc:
            raise UnreadableFile(f"cannot read {path}: {exc.strerror}") from None
        if not head.strip():
            raise UnreadableFile(f"{path.name} is empty: a CSV file needs a header line")
        try:
            text = head.decode("utf-8-sig").rstrip("\r\n")
        except UnicodeDecodeError:
            raise UnreadableFile(f"{path.name}: the header line is not UTF-8 text") from None
        self.delimiter = delimiter or detect_delimiter(text)
        self._header_bytes = len(head)
        self.columns = _unique_names(path, next(csv.reader([text], delimiter=self.delimiter)))
        self._types = {c: pa.string() for c in self.columns}

    @property
    def delimiter_name(self) -> str:
        """The delimiter as a person reads it (',' or tab)."""
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def batches(self, block_bytes: int = CSV_BLOCK_BYTES) -> Iterator[RowBatch]:
        """Stream the data lines, ``block_bytes`` at a time, cut at line ends."""
        with self.path.open("rb") as handle:
            handle.seek(self._header_bytes)
            line = 2
            carry = b""
            while True:
                chunk = handle.read(block_bytes)
                if not chunk:
                    break
                data = carry + chunk
                cut = data.rfind(b"\n") + 1
                carry = data[cut:]
                if cut:
                    yield self._block(data[:cut], line)
                    line += data.count(b"\n", 0, cut)
            if carry:
                # No line end after the last line: a cut-off export looks exactly like this.
                yield self._slow(carry, line, last=True)

    def _block(self, data: bytes, first_line: int) -> RowBatch:
        parts = list(self._parts(data, first_line))
        if len(parts) == 1:
            return parts[0]
        return RowBatch(
            pa.concat_tables([p.table for p in parts]),
            pa.concat_arrays([p.lines for p in parts]),
            tuple(b for p in parts for b in p.bad),
            sum(p.blank for p in parts),
        )

    def _parts(self, data: bytes, first_line: int) -> Iterator[RowBatch]:
        """pyarrow for clean stretches; halve a stretch it cannot read until it is short."""
        lines = data.count(b"\n")
        fast = self._fast(data, lines, first_line)
        if fast is not None:
            yield fast
        elif lines <= _SLOW_LINES:
            yield self._slow(data, first_line, last=False)
        else:
            middle = data.find(b"\n", len(data) // 2) + 1
            if middle in (0, len(data)):
                middle = data.find(b"\n") + 1
            yield from self._parts(data[:middle], first_line)
            yield from self._parts(data[middle:], first_line + data.count(b"\n", 0, middle))

    def _fast(self, data: bytes, lines: int, first_line: int) -> RowBatch | None:
        try:
            table = pacsv.read_csv(
                io.BytesIO(data),
                read_options=pacsv.ReadOptions(column_names=list(self.columns), block_size=4 << 20),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
                convert_options=pacsv.ConvertOptions(
                    column_types=self._types,
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return None
        # One row per line proves no blank line was skipped and no quoted value spans lines,
        # so row i is line first_line + i.
        if table.num_rows != lines:
            return None
        return RowBatch(table, pa.array(range(first_line, first_line + lines), pa.int64()))

    def _slow(self, data: bytes, first_line: int, *, last: bool) -> RowBatch:
        """Read line by line, keeping every line that fails as a bad row with its reason."""
        raw_lines = data.split(b"\n")
        if not last:
            raw_lines.pop()  # data ends with a line end: nothing after it
        expected = len(self.columns)
        rows: list[list[str]] = []
        numbers: list[int] = []
        bad: list[BadRow] = []
        blank = 0
        for offset, raw in enumerate(raw_lines):
            number = first_line + offset
            raw = raw.removesuffix(b"\r")
            final = last and offset == len(raw_lines) - 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(BadRow(number, "not UTF-8 text", raw.decode("utf-8", "replace")))
                continue
            if not text.strip():
                blank += 1
                continue
            try:
                fields = next(csv.reader([text], delimiter=self.delimiter))
            except csv.Error as exc:
                bad.append(BadRow(number, f"unreadable CSV line: {exc}", text))
                continue
            cut_off = final and text.count('"') % 2 == 1
            if len(fields) != expected or cut_off:
                bad.append(BadRow(number, self._field_problem(len(fields), final, cut_off), text))
                continue
            rows.append(fields)
            numbers.append(number)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self.columns]
        table = pa.table(
            {
                name: pa.array(values, pa.string())
                for name, values in zip(self.columns, columns, strict=True)
            }
        )
        return RowBatch(table, pa.array(numbers, pa.int64()), tuple(bad), blank)

    def _field_problem(self, got: int, final: bool, cut_off: bool) -> str:
        if final and (cut_off or got < len(self.columns)):
            return "truncated last line: it ends without a line end in the middle of a row"
        return (
            f"wrong number of fields: {got} instead of {len(self.columns)} "
            f"(delimiter {self.delimiter_name}, from the header)"
        )


# -------------------------------------------------------------------------------------- Parquet


class ParquetReader:
    """A Parquet file, read in row groups' worth of batches; line = 1-based row number."""

    def __init__(self, path: Path, *, batch_rows: int = PARQUET_BATCH_ROWS) -> None:
        """Open the file and read its schema."""
        self.path = path
        self.batch_rows = batch_rows
        try:
            self._file = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as exc:
            raise UnreadableFile(f"{path.name} is not a readable Parquet file: {exc}") from None
        self.columns = _unique_names(path, self._file.schema_arrow.names)

    def batches(self) -> Iterator[RowBatch]:
        """Stream the rows."""
        start = 1
        batches = self._file.iter_batches(batch_size=self.batch_rows)
        while True:
            try:
                batch = next(batches, None)
            except (OSError, pa.ArrowException) as exc:
                raise UnreadableFile(
                    f"{self.path.name} is damaged after row {start - 1:,}: {exc}"
                ) from None
            if batch is None:
                break
            n = batch.num_rows
            yield RowBatch(
                pa.Table.from_batches([batch]), pa.array(range(start, start + n), pa.int64())
            )
            start += n


# ----------------------------------------------------------------------------------------- XLSX


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _text_column(values: Sequence[Any]) -> pa.Array:
    try:
        return pa.array(values, pa.string())  # the common case: every cell is text
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    try:
        numbers = pa.array(values)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        numbers = None
    # A column of numbers (Excel stores every number as a float): whole ones lose ".0".
    if (
        numbers is not None
        and pa.types.is_floating(numbers.type)
        and pc.all(pc.equal(numbers, pc.floor(numbers))).as_py() is not False
    ):
        return pc.cast(pc.cast(numbers, pa.int64()), pa.string())
    return pa.array([_cell_text(v) for v in values], pa.string())


class XlsxReader:
    """One worksheet of an XLSX workbook; row 1 holds the headers; line = worksheet row number."""

    def __init__(
        self, path: Path, *, sheet: str | None = None, batch_rows: int = XLSX_BATCH_ROWS
    ) -> None:
        """Open the workbook and read the header row of ``sheet`` (default: the first)."""
        from python_calamine import CalamineWorkbook

        self.path = path
        self.batch_rows = batch_rows
        try:
            book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise UnreadableFile(f"{path.name} is not a readable XLSX workbook: {exc}") from None
        names = list(book.sheet_names)
        if sheet is not None and sheet not in names:
            raise UnreadableFile(
                f"{path.name} has no worksheet {sheet!r}; it has {', '.join(map(repr, names))}"
            )
        if not names:
            raise UnreadableFile(f"{path.name} has no worksheet")
        self._sheet = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
        # The used range may start below row 1 (empty rows above the header).
        self._first_row = int(self._sheet.start[0]) + 1 if self._sheet.start else 1
        rows = self._sheet.iter_rows()
        header = next(rows, None)
        if header is None:
            raise UnreadableFile(f"{path.name}: worksheet {self._sheet.name!r} is empty")
        self._width = len(header)
        self.columns = _unique_names(path, [_cell_text(c) for c in header])

    def batches(self) -> Iterator[RowBatch]:
        """Stream the data rows; blank rows are counted, not returned."""
        rows: list[list[Any]] = []
        numbers: list[int] = []
        blank = 0
        iterator = self._sheet.iter_rows()
        next(iterator, None)  # the header
        for number, row in enumerate(iterator, start=self._first_row + 1):
            if not any(row) and all(c is None or c == "" for c in row):
                blank += 1
                continue
            rows.append(row)
            numbers.append(number)
            if len(rows) == self.batch_rows:
                yield self._batch(rows, numbers, blank)
                rows, numbers, blank = [], [], 0
        if rows or blank:
            yield self._batch(rows, numbers, blank)

    def _batch(self, rows: list[list[Any]], numbers: list[int], blank: int) -> RowBatch:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(self._width)]
        table = pa.table(
            {name: _text_column(values) for name, values in zip(self.columns, columns, strict=True)}
        )
        return RowBatch(table, pa.array(numbers, pa.int64()), (), blank)
