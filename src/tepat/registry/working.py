"""The working set of one event, or of one chunk of a batch: the rows the rules read, and the
changes they make (undone line by line when a line is refused). ``event_writer.write`` then
writes them in bulk.

Rules never touch the session: they read and change plain dicts here. Reads are prefetched in
sets (``load_*``) and fall back to one query on a miss. On PostgreSQL, a store made with
``lock=True`` (single events) locks the households and people it loads for change (``FOR NO KEY
UPDATE``, in id order) until the transaction ends; batches rely on the version check alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import BigInteger, String, Table, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from tepat.registry.models import (
    Household,
    HouseholdVersion,
    Membership,
    Person,
    PersonVersion,
)

Row = dict[str, Any]
TABLES: dict[str, Table] = {
    "households": cast(Table, Household.__table__),
    "people": cast(Table, Person.__table__),
    "memberships": cast(Table, Membership.__table__),
    "household_versions": cast(Table, HouseholdVersion.__table__),
    "person_versions": cast(Table, PersonVersion.__table__),
}
VERSION_TABLE = {"household": "household_versions", "person": "person_versions"}
ENTITY_TABLE = {"household": "households", "person": "people"}
ENTITY_OF = {"households": "household", "people": "person", "memberships": "membership"}
SERVER_SET = frozenset({"created_at", "updated_at", "recorded_at"})
# Bookkeeping columns: never part of a version's data or of provenance.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at", "needs_reranking"})
_COLUMNS = {
    name: tuple(c.name for c in table.columns if c.name not in SERVER_SET)
    for name, table in TABLES.items()
}
_DEFAULTS: dict[str, Row] = {
    "households": {"status": "active", "version": 1, "needs_reranking": False},
    "people": {"status": "alive", "version": 1},
}
_CHUNK = 1000
_PG_CHUNK = 10_000


def utcnow() -> datetime:
    """Now in UTC, naive (the database stores naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def chunks(values: Iterable[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    """``values`` deduplicated and sorted, in lists of at most ``size``."""
    items = sorted(set(values))
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    """Rows read and written by the rules, keyed by table and id."""

    def __init__(self, db: Session, *, id_block: int = 8, lock: bool = True) -> None:
        self.db = db
        self.lock = lock
        self.conn = db.connection()
        self.postgres = self.conn.dialect.name == "postgresql"
        self.rows: dict[str, dict[int, Row]] = {t: {} for t in TABLES}
        self.orig: dict[str, dict[int, Row]] = {t: {} for t in TABLES}
        self.new: dict[str, set[int]] = {t: set() for t in TABLES}
        self.dirty: dict[str, set[int]] = {t: set() for t in TABLES}
        self.set_columns: dict[str, dict[int, set[str]]] = {t: {} for t in TABLES}
        self._missing: dict[str, set[int]] = {t: set() for t in TABLES}
        self.members_of: dict[int, set[int]] = defaultdict(set)  # household -> memberships
        self.memberships_of: dict[int, set[int]] = defaultdict(set)  # person -> memberships
        self._open_loaded: set[int] = set()
        self._history_loaded: set[int] = set()
        self.versions_of: dict[str, dict[int, list[int]]] = {"household": {}, "person": {}}
        self.by_nik: dict[str, set[int]] = defaultdict(set)
        self.by_kk: dict[str, set[int]] = defaultdict(set)
        self._niks_loaded: set[str] = set()
        self._kks_loaded: set[str] = set()
        # (table, id) -> field -> event_id that last set it (for provenance)
        self.field_event: dict[tuple[str, int], dict[str, str]] = {}
        self.event_info: dict[str, tuple[str, str | None, date]] = {}
        self.events: list[Row] = []
        self.current_event: str | None = None
        self._ids: dict[str, list[int]] = {}
        self._next_sqlite: dict[str, int] = {}
        self._id_block = id_block
        self._undo: list[Callable[[], None]] | None = None

    # -- line-level atomicity -------------------------------------------------------------

    @contextmanager
    def attempt(self, event_id: str, source: str, record: str | None, on: date) -> Iterator[None]:
        """Apply one event: if the block raises, every change it made here is undone."""
        self._undo = []
        self.current_event = event_id
        self.event_info[event_id] = (source, record, on)
        try:
            yield
        except BaseException:
            for undo in reversed(self._undo):
                undo()
            self.event_info.pop(event_id, None)
            raise
        finally:
            self._undo = None
            self.current_event = None

    def _log(self, undo: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(undo)

    # -- loading ----------------------------------------------------------------------------

    def match(self, column: Any, values: list[Any]) -> Any:
        """``column IN values``: one array parameter on PostgreSQL (no per-value compiling)."""
        if len(values) == 1:
            return column == values[0]
        if not self.postgres:
            return column.in_(values)
        kind = String() if isinstance(values[0], str) else BigInteger()
        return column == any_(bindparam(None, values, type_=ARRAY(kind)))

    def select_in(
        self, table: Table, column: str, values: Iterable[Any], *where: Any, lock: bool = False
    ) -> list[Row]:
        """Rows of ``table`` whose ``column`` is one of ``values`` (and ``where``), as dicts."""
        out: list[Row] = []
        for chunk in chunks(values, _PG_CHUNK if self.postgres else _CHUNK):
            stmt = select(table).where(self.match(table.c[column], chunk), *where)
            if lock and self.postgres:  # NO KEY: inserts referencing the row may go on
                stmt = stmt.order_by(table.c.id).with_for_update(key_share=True)
            result = self.conn.execute(stmt)
            keys = list(result.keys())
            out.extend(dict(zip(keys, row, strict=True)) for row in result.fetchall())
        return out

    def _select(
        self, table: str, column: str, values: Iterable[Any], *where: Any, lock: bool = False
    ) -> list[Row]:
        return self.select_in(TABLES[table], column, values, *where, lock=lock)

    def _add_loaded(self, table: str, row: Row) -> None:
        if row["id"] in self.rows[table]:
            return  # what is here is newer than the database
        self.rows[table][row["id"]] = row
        self.orig[table][row["id"]] = dict(row)
        self._index(table, row)

    def _index(self, table: str, row: Row) -> None:
        if table == "memberships":
            self.members_of[row["household_id"]].add(row["id"])
            self.memberships_of[row["person_id"]].add(row["id"])
        elif table == "people" and row.get("nik"):
            self.by_nik[row["nik"]].add(row["id"])
        elif table == "households" and row.get("kk_number"):
            self.by_kk[row["kk_number"]].add(row["id"])

    def load(self, table: str, ids: Iterable[int], *, lock: bool = False) -> None:
        """Load rows of ``households`` or ``people`` by id (locked for change when ``lock``)."""
        rows, missing = self.rows[table], self._missing[table]
        want = {i for i in ids if i not in rows and i not in missing}
        if not want:
            return
        found = self._select(table, "id", want, lock=lock)
        for row in found:
            self._add_loaded(table, row)
        missing.update(want - {r["id"] for r in found})

    def load_histories(self, person_ids: Iterable[int]) -> None:
        """Load every membership of these people."""
        want = set(person_ids) - self._history_loaded
        if want:
            for row in self._select("memberships", "person_id", want):
                self._add_loaded("memberships", row)
            self._history_loaded |= want

    def load_members(self, household_ids: Iterable[int], *, people: bool = True) -> None:
        """Load the open memberships of these households (and their people)."""
        want = set(household_ids) - self._open_loaded
        if not want:
            return
        open_ = TABLES["memberships"].c.end_date.is_(None)
        rows = self._select("memberships", "household_id", want, open_)
        for row in rows:
            self._add_loaded("memberships", row)
        self._open_loaded |= want
        if people:
            self.load("people", {r["person_id"] for r in rows})

    def load_versions(self, kind: str, ids: Iterable[int]) -> None:
        """Load the version rows of these households or people."""
        table, known = VERSION_TABLE[kind], self.versions_of[kind]
        want = {i for i in ids if i not in known}
        if not want:
            return
        for i in want:
            known[i] = []
        for row in self._select(table, f"{kind}_id", want):
            self._add_loaded(table, row)
            known[row[f"{kind}_id"]].append(row["id"])

    def load_niks(self, niks: Iterable[str]) -> None:
        """Load the people holding these NIKs."""
        want = set(niks) - self._niks_loaded
        if want:
            for row in self._select("people", "nik", want):
                self._add_loaded("people", row)
            self._niks_loaded |= want

    def load_kks(self, kks: Iterable[str]) -> None:
        """Load the households holding these KK numbers."""
        want = set(kks) - self._kks_loaded
        if want:
            for row in self._select("households", "kk_number", want):
                self._add_loaded("households", row)
            self._kks_loaded |= want

    # -- reading ----------------------------------------------------------------------------

    def get(self, table: str, row_id: int) -> Row | None:
        """A household or person by id (loaded and locked on a miss), or None."""
        if row_id not in self.rows[table]:
            self.load(table, [row_id], lock=self.lock)
        return self.rows[table].get(row_id)

    def open_membership(self, person_id: int) -> Row | None:
        """The person's open membership, if any."""
        self.load_histories([person_id])
        rows = self.rows["memberships"]
        for mid in self.memberships_of[person_id]:
            if rows[mid]["end_date"] is None:
                return rows[mid]
        return None

    def last_membership(self, person_id: int) -> Row | None:
        """The open membership, else the one that ended last."""
        self.load_histories([person_id])
        rows = [self.rows["memberships"][m] for m in self.memberships_of[person_id]]
        if not rows:
            return None
        return max(rows, key=lambda r: (r["end_date"] is None, r["end_date"] or date.min, r["id"]))

    def open_members(self, household_id: int) -> list[Row]:
        """The household's open memberships, by id (their people are not loaded)."""
        self.load_members([household_id], people=False)
        rows = self.rows["memberships"]
        found = [rows[m] for m in self.members_of[household_id] if rows[m]["end_date"] is None]
        return sorted(found, key=lambda r: r["id"])

    def versions(self, kind: str, entity_id: int) -> list[Row]:
        """The entity's version rows, in effective order (valid_from, then version)."""
        self.load_versions(kind, [entity_id])
        rows = self.rows[VERSION_TABLE[kind]]
        found = [rows[v] for v in self.versions_of[kind][entity_id]]
        return sorted(found, key=lambda r: (r["valid_from"] or date.min, r["version"]))

    def holders(self, table: str, number: str) -> list[Row]:
        """People with this NIK (``people``) or households with this KK (``households``)."""
        if table == "people":
            self.load_niks([number])
            index, column = self.by_nik, "nik"
        else:
            self.load_kks([number])
            index, column = self.by_kk, "kk_number"
        rows = self.rows[table]
        return [rows[i] for i in sorted(index.get(number, ())) if rows[i][column] == number]

    # -- changing ---------------------------------------------------------------------------

    def _next_id(self, table: str) -> int:
        pool = self._ids.setdefault(table, [])
        if not pool:
            if self.postgres:
                query = text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                )
                ids = self.conn.execute(query, {"t": table, "n": self._id_block}).scalars()
                pool.extend(sorted(ids, reverse=True))
            else:
                start = self._next_sqlite.get(table)
                if start is None:
                    top = self.conn.execute(select(func.max(TABLES[table].c.id))).scalar()
                    start = int(top or 0) + 1
                self._next_sqlite[table] = start + self._id_block
                pool.extend(range(start + self._id_block - 1, start - 1, -1))
        return pool.pop()

    def _note(self, table: str, row_id: int, fields: Iterable[str]) -> None:
        if self.current_event is None:
            return
        key = (table, row_id)
        noted = self.field_event.setdefault(key, {})
        before = dict(noted)
        for name in fields:
            if name not in BOOKKEEPING:
                noted[name] = self.current_event

        def undo() -> None:
            if before:
                self.field_event[key] = before
            else:
                self.field_event.pop(key, None)

        self._log(undo)

    def insert(self, table: str, values: Mapping[str, Any]) -> Row:
        """Add a new row (its id allocated now); returns it."""
        row: Row = dict.fromkeys(_COLUMNS[table])
        row.update(_DEFAULTS.get(table, ()))
        row.update(values)
        row_id = row["id"] = self._next_id(table)
        self.rows[table][row_id] = row
        self.new[table].add(row_id)
        if table in ENTITY_OF:
            self._index(table, row)
            self._note(table, row_id, [k for k, v in row.items() if v is not None])

        def undo() -> None:
            self.rows[table].pop(row_id, None)
            self.new[table].discard(row_id)
            if table == "memberships":
                self.members_of[row["household_id"]].discard(row_id)
                self.memberships_of[row["person_id"]].discard(row_id)
            elif table == "people" and row.get("nik"):
                self.by_nik[row["nik"]].discard(row_id)
            elif table == "households" and row.get("kk_number"):
                self.by_kk[row["kk_number"]].discard(row_id)

        self._log(undo)
        return row

    def update(self, table: str, row_id: int, values: Mapping[str, Any]) -> None:
        """Change some columns of a row."""
        row = self.rows[table][row_id]
        old = {k: row[k] for k in values}
        was_dirty = row_id in self.dirty[table]
        row.update(values)
        if row_id not in self.new[table]:
            self.dirty[table].add(row_id)
            # Columns set (a superset of those changed: undo does not shrink it).
            self.set_columns[table].setdefault(row_id, set()).update(values)
        if "nik" in values or "kk_number" in values:
            self._index(table, row)  # findable by the new number; stale entries are filtered
        if table in ENTITY_OF:
            self._note(table, row_id, values)

        def undo() -> None:
            row.update(old)
            if not was_dirty:
                self.dirty[table].discard(row_id)

        self._log(undo)

    def add_version(self, kind: str, row: Row) -> Row:
        """Insert a version row and list it under its entity."""
        inserted = self.insert(VERSION_TABLE[kind], row)
        listed = self.versions_of[kind].setdefault(row[f"{kind}_id"], [])
        listed.append(inserted["id"])
        self._log(lambda: listed.remove(inserted["id"]))
        return inserted

    def add_event(self, row: Row) -> None:
        """Queue the event's own row."""
        self.events.append(row)
        self._log(lambda: self.events.remove(row))

    def touched(self, table: str) -> set[int]:
        """Ids of the table's rows this store inserted or changed."""
        return self.new[table] | self.dirty[table]
