"""Slow work of a page (a simulation over a million people, preparing a release's changes) in a
background thread, so that every page answers in milliseconds and the result page polls.

A small in-process registry: jobs are keyed by an id (random, or a fixed key so that two people
asking for the same thing share one job), run one at a time on a single worker thread, and keep
their result in memory (the newest :data:`KEEP` jobs). A job belongs to its owner (a username):
nobody else may read it. When too many jobs are waiting, :meth:`JobRegistry.submit` refuses.
Work that must survive a restart writes its result under the data folder itself (see
``tepat.pages.changes``); the registry only says whether it is still running.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from fastapi import FastAPI

from tepat.errors import InvalidInput, TepatError
from tepat.web.errors import ServiceBusy

log = logging.getLogger("tepat.pages.jobs")

KEEP: Final = 50  # finished jobs kept in memory
MAX_WAITING: Final = 4  # queued or running jobs before new ones are refused
WORKERS: Final = 1

State = Literal["queued", "running", "done", "failed"]


@dataclass
class Job:
    """One piece of background work and, once done, its result or error."""

    id: str
    kind: str
    owner: str | None
    state: State = "queued"
    result: Any = None
    error: str | None = None
    error_code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    @property
    def pending(self) -> bool:
        """Still queued or running."""
        return self.state in ("queued", "running")

    @property
    def seconds(self) -> float | None:
        """How long it ran (or has been running)."""
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started


class JobRegistry:
    """The jobs of one app (``app.state.page_jobs``)."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tepat-page-job")

    def get(self, job_id: str, owner: str | None = None) -> Job | None:
        """The job, when it exists and belongs to ``owner`` (any owner for shared jobs)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (job.owner is not None and job.owner != owner):
            return None
        return job

    def submit(
        self,
        kind: str,
        work: Callable[[], Any],
        *,
        owner: str | None,
        key: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Job:
        """Queue ``work``; with ``key``, an unfailed job of that key is reused instead."""
        with self._lock:
            if key is not None:
                existing = self._jobs.get(key)
                if existing is not None and existing.state != "failed":
                    return existing
            waiting = sum(1 for j in self._jobs.values() if j.pending)
            if waiting >= MAX_WAITING:
                raise ServiceBusy(
                    "too many calculations are running; try again in a minute",
                    code="jobs_busy",
                )
            job = Job(
                id=key or secrets.token_urlsafe(9), kind=kind, owner=owner, params=params or {}
            )
            self._jobs[job.id] = job
            self._jobs.move_to_end(job.id)
            self._trim()
        self._pool.submit(self._run, job, work)
        return job

    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if not j.pending]
        for key in finished[: max(0, len(finished) - KEEP)]:
            del self._jobs[key]

    @staticmethod
    def _run(job: Job, work: Callable[[], Any]) -> None:
        job.state, job.started = "running", time.time()
        try:
            job.result = work()
            job.state = "done"
        except TepatError as exc:
            job.state, job.error, job.error_code = "failed", exc.message, exc.code
        except Exception as exc:  # a job must never take the worker thread down
            log.exception("page job %s (%s) failed", job.id, job.kind)
            job.state, job.error, job.error_code = "failed", type(exc).__name__, "internal"
        finally:
            job.finished = time.time()

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job is finished (tests and command-line use)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                job = self._jobs.get(job_id)
            if job is None:
                raise InvalidInput(f"no job {job_id}")
            if not job.pending or time.monotonic() > deadline:
                return job
            time.sleep(0.05)


_create_lock = threading.Lock()


def registry(app: FastAPI) -> JobRegistry:
    """The app's job registry (created on first use)."""
    found = getattr(app.state, "page_jobs", None)
    if isinstance(found, JobRegistry):
        return found
    with _create_lock:
        found = getattr(app.state, "page_jobs", None)
        if not isinstance(found, JobRegistry):
            found = JobRegistry()
            app.state.page_jobs = found
    return found
