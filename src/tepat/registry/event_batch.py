"""Batches of events: a Dukcapil-style file (JSON lines or CSV), applied line by line.

The file is cut into chunks. A chunk's rows are prefetched in sets (no query per line); each
line is checked and applied in memory, where a refused line's changes are undone and the line
is reported with its number and reason; then the chunk is written in bulk inside one
savepoint. Should the database still refuse the chunk (a concurrent writer), that savepoint is
rolled back and the chunk's lines are applied one by one, each in its own savepoint. Lines
whose ``event_id`` was applied before (earlier in the file, or in an earlier upload) are
counted as duplicates and change nothing, so re-sending a file applies nothing new.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Conflict, TepatError
from tepat.registry.event_schemas import EVENT_ADAPTER
from tepat.registry.event_writer import write
from tepat.registry.events import (
    audit_detail,
    existing_events,
    expire_touched,
    payload_of,
    plan,
    plan_event,
    require_writer,
    reused_error,
    sees_event,
)
from tepat.registry.household_rules import RULES
from tepat.registry.schemas import BatchSummary, RejectedLine
from tepat.registry.working import Store

CHUNK: Final = 5000
_PERSON_REFS = (
    "person_id",
    "spouse_id",
    "mother_id",
    "father_id",
    "new_head_id",
    "remaining_head_id",
)
_NON_DIGITS = re.compile(r"\D")
_MEMBER_TYPES = frozenset({"split", "update_household", "remove_household", "remove_member"})


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read as an event."""

    event_id: str | None
    reason: str


def _cell(value: str) -> Any:
    value = value.strip()
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def read_lines(text: str, fmt: str) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """The events of a batch file (``jsonl``: one JSON object a line; ``csv``: a header, one
    event a row, nested fields as JSON in a cell), with their line numbers; blank lines skipped."""
    text = text.removeprefix("\ufeff")
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            for row in reader:
                if None in row:
                    yield reader.line_num, BadLine(row.get("event_id"), "more cells than columns")
                    continue
                values = {k.strip(): _cell(v) for k, v in row.items() if k and v and v.strip()}
                if values:
                    yield reader.line_num, values
        except csv.Error as exc:  # the rest of the file cannot be read reliably
            yield reader.line_num, BadLine(None, f"not valid CSV ({exc}); lines after it not read")
        return
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, BadLine(None, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(value, dict):
            yield number, BadLine(None, "a line must be one JSON object (an event)")
        else:
            yield number, value


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        loc = [str(p) for p in error.get("loc", ())]
        if len(loc) > 1 and loc[0] in RULES:
            loc = loc[1:]  # the union's tag
        parts.append(f"{'.'.join(loc) or 'event'}: {error.get('msg', 'invalid')}")
    return audit.mask_identifiers("; ".join(parts))


def _prefetch(store: Store, events: list[Any]) -> None:
    people: set[int] = set()
    households: set[int] = set()
    niks: set[str] = set()
    kks: set[str] = set()
    for event in events:
        e = vars(event)  # plain dict: a missing name is no pydantic attribute lookup
        people.update(v for n in _PERSON_REFS if (v := e.get(n)) is not None)
        households.update(v for n in ("household_id", "to_household_id") if (v := e.get(n)))
        for m in e.get("members") or ():
            if m.person_id is not None:
                people.add(m.person_id)
            if getattr(m, "nik", None):
                niks.add(m.nik)
        for c in e.get("person_changes") or ():
            people.add(c.person_id)
            niks.update([c.changes["nik"]] if c.changes.get("nik") else [])
        niks.update([e["nik"]] if e.get("nik") else [])
        kks.update(v for n in ("new_kk", "kk_number") if (v := e.get(n)))
        kks.update([c] if (c := (e.get("household_changes") or {}).get("kk_number")) else [])
    store.load("people", people, lock=store.lock)
    store.load_histories(people)
    rows = store.rows["memberships"]
    memberships = [rows[m] for p in people for m in store.memberships_of[p]]
    open_ = [m for m in memberships if m["end_date"] is None]
    homes = households | {m["household_id"] for m in open_}
    store.load("households", homes, lock=store.lock)
    store.load("households", {m["household_id"] for m in memberships})  # for the scope
    # Members are needed where someone may leave the head's role, or the event lists members;
    # a new head needs the members' ages. Other households' members load only if asked for.
    heads = {m["household_id"] for m in open_ if m["role"] == "head"}
    listing = {
        e.household_id
        for e in events
        if e.type in _MEMBER_TYPES or (e.type == "economic_change" and e.person_changes)
    }
    store.load_members(heads | listing, people=False)
    store.load("people", {rows[m]["person_id"] for h in heads for m in store.members_of[h]})
    store.load_versions("household", homes)
    store.load_versions("person", people)
    store.load_niks({d for n in niks if len(d := _NON_DIGITS.sub("", n)) == 16})
    store.load_kks({d for k in kks if len(d := _NON_DIGITS.sub("", k)) == 16})


@dataclass
class _Batch:
    db: Session
    principal: Principal
    source: str
    purpose: str | None
    today: date
    summary: BatchSummary
    seen: dict[str, str]  # event_id -> payload hash of the events applied in this batch

    def reject(self, line: int, event_id: str | None, code: str, reason: str) -> None:
        self.summary.rejected.append(
            RejectedLine(line=line, event_id=event_id, code=code, reason=reason)
        )

    def known(self, line: int, event: Any, digest: str, existing: dict[str, Any]) -> bool:
        """True (and counted) when the event was applied before: a duplicate or a reuse."""
        before = self.seen.get(event.event_id)
        row = existing.get(event.event_id)
        if before is None and row is not None:
            before = row.payload_hash if sees_event(self.principal, row) else ""
        if before is None:
            return False
        if before == digest:
            self.summary.duplicates += 1
        else:
            error = reused_error(event.event_id)
            self.reject(line, event.event_id, error.code, error.message)
        return True

    def chunk(self, items: list[tuple[int, Any]]) -> None:
        """Apply a chunk of validated events: in memory line by line, then one bulk write."""
        existing = existing_events(self.db, [e.event_id for _, e in items])
        fresh = []
        for line, event in items:
            payload, digest = payload_of(event)
            if not self.known(line, event, digest, existing):
                fresh.append((line, event, payload, digest))
        if not fresh:
            return
        store = Store(self.db, id_block=1024, lock=False)
        _prefetch(store, [e for _, e, _, _ in fresh])
        applied: list[tuple[int, Any, dict[str, Any]]] = []
        savepoint = self.db.begin_nested()
        for line, event, payload, digest in fresh:
            if event.event_id in self.seen and self.known(line, event, digest, existing):
                continue  # the same event_id twice in this chunk
            try:
                result = plan_event(
                    store, self.principal, event, self.source, self.today, payload, digest
                )
            except TepatError as exc:
                self.reject(line, event.event_id, exc.code, exc.message)
                continue
            applied.append((line, event, result))
            self.seen[event.event_id] = digest
        try:
            write(store)
            if applied:
                self._audit([r for _, _, r in applied])
            savepoint.commit()
        except (IntegrityError, Conflict):
            savepoint.rollback()
            for _, event, _ in applied:
                self.seen.pop(event.event_id, None)
            applied = self._one_by_one([(line, event) for line, event, _ in applied])
        self.summary.applied += len(applied)
        expire_touched(self.db, store)

    def _one_by_one(self, items: list[tuple[int, Any]]) -> list[tuple[int, Any, dict[str, Any]]]:
        done = []
        for line, event in items:
            store = Store(self.db)
            try:
                with self.db.begin_nested():
                    result = plan(store, self.principal, event, self.source, self.today)
                    write(store)
                    self._audit([result])
            except TepatError as exc:
                self.reject(line, event.event_id, exc.code, exc.message)
                continue
            except IntegrityError:
                reason = "the change conflicts with data written meanwhile (a duplicate NIK/KK?)"
                self.reject(line, event.event_id, "conflict", reason)
                continue
            self.seen[event.event_id] = payload_of(event)[1]
            done.append((line, event, result))
        return done

    def _audit(self, results: list[dict[str, Any]]) -> None:
        audit.record(
            self.db,
            self.principal,
            action="registry.event.batch",
            purpose=self.purpose,
            entity="event",
            detail=audit_detail(results, self.source, ids=len(results) == 1),
        )


def apply_batch(
    *,
    db: Session,
    principal: Principal,
    lines: Iterable[tuple[int, dict[str, Any] | BadLine]],
    source: str = "operator",
    purpose: str | None = None,
    chunk_size: int = CHUNK,
    after_chunk: Callable[[], None] | None = None,
) -> BatchSummary:
    """Apply a batch line by line: bad lines are rejected with their number and reason, the
    rest applied; lines whose ``event_id`` was applied before are counted as duplicates.

    ``after_chunk`` runs after each chunk (the CLI commits there, so a long import keeps its
    progress and holds the audit log's lock briefly).
    """
    require_writer(principal)
    db.flush()  # the caller's pending changes first: the rules read the database directly
    batch = _Batch(
        db,
        principal,
        source,
        purpose,
        date.today(),
        BatchSummary(received=0, applied=0, duplicates=0, rejected=[]),
        {},
    )
    stream = iter(lines)
    while chunk := list(islice(stream, chunk_size)):
        items: list[tuple[int, Any]] = []
        for line, item in chunk:
            batch.summary.received += 1
            if isinstance(item, BadLine):
                batch.reject(line, item.event_id, "malformed_line", item.reason)
                continue
            try:
                items.append((line, EVENT_ADAPTER.validate_python(item)))
            except ValidationError as exc:
                event_id = item.get("event_id")
                event_id = event_id[:64] if isinstance(event_id, str) else None
                batch.reject(line, event_id, "invalid_event", _validation_reason(exc))
        if items:
            batch.chunk(items)
        if after_chunk is not None:
            after_chunk()
    batch.summary.rejected.sort(key=lambda r: r.line)
    return batch.summary
