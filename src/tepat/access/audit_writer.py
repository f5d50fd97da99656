"""Group commit of read audit entries: one writer thread per service process.

A read of personal data (a status check, a household page) changes nothing but the audit log,
so its entry need not share the request's transaction. Appending it there made every such
request take the chain's lock (tepat.access.audit) and hold it through its commit, and under
load the lock holder waited for the interpreter lock between its statements: status checks were
serialised to a few dozen per second. Here the request hands its entries to one thread, which
appends whatever has queued up in one transaction (three statements and a commit, whatever the
number of entries) and then answers every request in the batch. The request waits for that
commit before it answers, so no read is answered without its audit entry being durable.

Used on PostgreSQL only: SQLite has a single writer, and its requests already take turns.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any, Final

from sqlalchemy import Engine

from tepat.access.audit import append_rows
from tepat.db.engine import session_factory

log = logging.getLogger("tepat.audit")

MAX_BATCH: Final = 500


class AuditWriter:
    """Appends queued audit rows in batches on its own thread and connection."""

    def __init__(self, engine: Engine) -> None:
        self._factory = session_factory(engine)
        self._queue: queue.SimpleQueue[tuple[list[dict[str, Any]], Future[None]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="tepat-audit-writer", daemon=True
                    )
                    self._thread.start()

    def submit(self, rows: list[dict[str, Any]]) -> Future[None]:
        """Queue ``rows`` (from :func:`tepat.access.audit.take_reads`); done when committed."""
        self._ensure_started()
        done: Future[None] = Future()
        self._queue.put((rows, done))
        return done

    async def write(self, rows: list[dict[str, Any]]) -> None:
        """Queue ``rows`` and wait (without a thread) until they are committed."""
        await asyncio.wrap_future(self.submit(rows))

    def close(self) -> None:
        """Finish what is queued and stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[tuple[list[dict[str, Any]], Future[None]]]) -> None:
        rows = [row for entries, _ in batch for row in entries]
        try:
            with self._factory() as db:
                append_rows(db, rows)
                db.commit()
        except BaseException as exc:  # every waiting request gets the failure
            log.error("audit batch of %d entries failed: %s", len(rows), type(exc).__name__)
            for _, done in batch:
                done.set_exception(exc)
            return
        for _, done in batch:
            done.set_result(None)
