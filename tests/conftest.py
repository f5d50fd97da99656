"""Shared fixtures: one migrated database per backend per test session, one rolled-back
transaction per test.

``database_url`` is parametrised over ``sqlite`` (always) and ``postgresql`` (when
``TEPAT_TEST_POSTGRES_URL`` names a server we may create databases on), so a test that uses it,
``engine`` or ``session`` runs once per backend, shows up as ``test_x[sqlite]`` /
``test_x[postgresql]``, and is marked ``db`` (select with ``-m db`` / ``-m "not db"``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tepat.db.engine import make_engine
from tepat.db.migrate import upgrade

POSTGRES_ENV = "TEPAT_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
DB_FIXTURES = frozenset({"database_url", "engine", "session", "empty_database_url"})

_blank_counter = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches a database with ``db``; run the browser tests last.

    Playwright's sync API keeps an event loop running in the main thread from the first browser
    test to the end of the session, and ``asyncio.run`` refuses to start inside one, so the tests
    that need their own loop must run before it starts.
    """
    for item in items:
        if DB_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))


def _postgres_base_url() -> str:
    # Read when a test asks for PostgreSQL, never at import time.
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        pytest.skip(
            f"PostgreSQL not configured: set {POSTGRES_ENV}="
            "postgresql+psycopg://postgres@127.0.0.1:5432/<existing database>"
        )
    return url


def _url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@contextmanager
def _postgres_database(base_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server of ``base_url``; drop it afterwards."""
    # CREATE/DROP DATABASE cannot run in a transaction, hence AUTOCOMMIT; the base URL's own
    # database is the one we know we can connect to.
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    quoted = '"' + name.replace('"', '""') + '"'
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    except BaseException:
        admin.dispose()
        raise
    try:
        yield _url_string(make_url(base_url).set(database=name))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of this session's migrated test database, once per backend.

    SQLite: a file in a temporary folder. PostgreSQL: ``tepat_test_<pid>`` created on the server
    of ``TEPAT_TEST_POSTGRES_URL`` and dropped at the end of the session.
    """
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "tepat.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url
        return
    with _postgres_database(_postgres_base_url(), f"tepat_test_{os.getpid()}") as url:
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The application's engine on the migrated test database.

    What a test writes through it is committed: clean it up. Prefer ``session``.
    """
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _savepoint_engine(database_url: str) -> Iterator[Engine]:
    """An engine whose connections support an outer transaction with savepoints inside.

    ``make_engine`` already takes transaction control from pysqlite (so SAVEPOINT/RELEASE work);
    a separate engine keeps the rolled-back sessions off the application's pool.
    """
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(_savepoint_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    The test may ``flush``, ``commit`` or ``rollback``: each of those works on a savepoint of the
    outer transaction, so nothing reaches the database and every test sees the clean schema.
    """
    connection = _savepoint_engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """URL of a brand-new, never-migrated database on the same backend as ``database_url``."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    name = f"tepat_test_{os.getpid()}_blank_{next(_blank_counter)}"
    with _postgres_database(database_url, name) as url:
        yield url


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many database tests ran on each backend, so CI's log shows both."""
    counts: dict[str, dict[str, int]] = {b: {} for b in BACKENDS}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            for backend in BACKENDS:
                if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
                    counts[backend][outcome] = counts[backend].get(outcome, 0) + 1
    parts = []
    for backend, by_outcome in counts.items():
        shown = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items())) or "none ran"
        parts.append(f"{backend}: {shown}")
    terminalreporter.write_line("database tests by backend: " + "; ".join(parts))
