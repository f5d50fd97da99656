"""Fixtures of the browser tests: a demo site (a small synthetic kabupaten run through the whole
pipeline, served by uvicorn on a free port) and Debian's Chromium driven by Playwright.

The site is built once per test session: synthesis of 11.12 (Aceh Barat Daya) at 12,000 people,
ingest of the three sources, integration, the cycle (rank, rules, release), the golden records
and the release loaded into SQLite, and one demo account per role (``demo_site.passwords``).

``demo_data`` is the same data without a server or browser (for TestClient tests of pages that
need a release); ``demo_client(site)`` gives a TestClient on it.

Chromium is ``/usr/bin/chromium`` (``TEPAT_CHROMIUM`` to override). Without it the tests are
skipped, except in CI (``CI`` set), where a missing browser is an error. Screenshots go to
``tests/artifacts/screenshots/`` (see the README).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("TEPAT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
WIDTHS = (360, 1280)
AS_OF = date(2025, 6, 30)
REGENCY = "11.12"


@dataclass
class DemoSite:
    """The running demo site: its address, data folder, database URL and demo passwords."""

    url: str
    data_dir: Path
    database_url: str
    pop: Path
    passwords: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _build(root: Path) -> DemoSite:
    from sqlalchemy.orm import sessionmaker

    from tepat.access.demo import seed_demo_users
    from tepat.db.engine import make_engine
    from tepat.db.migrate import upgrade
    from tepat.pipeline.cycle import CycleOptions, run_cycle
    from tepat.pipeline.integrate import latest_run
    from tepat.registry.load_golden import load_golden
    from tepat.release.store import load_release
    from tepat.sources.ingest import ingest
    from tepat.synth.run import synthesize

    pop = root / "pop"
    synthesize(scope=REGENCY, seed=3, people=12_000, as_of=AS_OF, out=pop)
    data_dir = root / "data"
    url = f"sqlite:///{data_dir / 'tepat.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = sessionmaker(engine)
    src = pop / "sources"
    with factory() as session:
        for source, files in (
            ("regsosek", [src / "regsosek2022_keluarga.parquet", src / "regsosek2022_art.parquet"]),
            ("dtks", [src / "dtks_siksng.csv"]),
            ("p3ke", [src / "p3ke_2021.xlsx"]),
        ):
            ingest(source=source, files=files, data_dir=data_dir, db=session.connection())
        session.commit()
    options = CycleOptions(
        data_cut=AS_OF, survey=pop / "survey" / "susenas_sample.parquet", truth=pop / "truth"
    )
    with factory() as session:
        result = run_cycle(session=session, data_dir=data_dir, options=options)
        load_golden(session.connection(), latest_run(data_dir), replace=True)
        load_release(session.connection(), result.folder)
        accounts = seed_demo_users(session, REGENCY)
        session.commit()
    engine.dispose()
    site = DemoSite(url="", data_dir=data_dir, database_url=url, pop=pop)
    for username, _role, regions, password in accounts:
        site.passwords[username] = password
        site.regions[username] = regions
    return site


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium binary, or a skip (an error in CI) when there is none."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """The demo data (built once per session), not served: for TestClient tests of pages that
    need a release, a ranking or linkage reviews (no browser needed)."""
    return _build(tmp_path_factory.mktemp("site"))


def demo_client(site: DemoSite) -> Any:
    """A TestClient of an app on the demo data (close it after use)."""
    from fastapi.testclient import TestClient

    from tepat.config import get_settings
    from tepat.web.app import create_app

    settings = get_settings(
        data_dir=site.data_dir, database_url=site.database_url, environment="test"
    )
    return TestClient(create_app(settings))


@pytest.fixture(scope="session")
def demo_site(demo_data: DemoSite, chromium_path: str) -> Iterator[DemoSite]:
    """The demo site, served by uvicorn in a thread for the whole session."""
    import uvicorn

    from tepat.config import get_settings
    from tepat.web.app import create_app

    site = demo_data
    settings = get_settings(
        data_dir=site.data_dir, database_url=site.database_url, environment="test"
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the demo site did not start")
        time.sleep(0.05)
    site.url = f"http://127.0.0.1:{port}"
    yield site
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """Headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any, demo_site: DemoSite) -> Iterator[Any]:
    """A fresh browser context (no cookies) at 1280 px wide, with the site as base URL."""
    context = browser.new_context(
        base_url=demo_site.url, viewport={"width": 1280, "height": 900}, locale="id-ID"
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Any, site: DemoSite, username: str) -> None:
    """Sign in through the form as a demo account and land on its dashboard."""
    page.goto("/masuk")
    page.fill("#f-username", username)
    page.fill("#f-password", site.passwords[username])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshots(page: Any, name: str) -> list[Path]:
    """Write ``<name>-360.png`` and ``<name>-1280.png`` of the current page (full height).

    Also checks the page is readable at 360 px: nothing wider than the screen except inside
    an element that scrolls sideways on purpose (``.scroll``, the menu).
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    size = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        if width == 360:
            overflow = page.evaluate(
                """() => [...document.querySelectorAll('main *')].filter(el => {
                    const r = el.getBoundingClientRect();
                    return r.right > window.innerWidth + 1 && r.width > 0
                        && !el.closest('.scroll, .menu');
                }).slice(0, 3).map(el => el.tagName + '.' + el.className)"""
            )
            assert not overflow, f"{name}: wider than 360 px: {overflow}"
        path = SHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        written.append(path)
    page.set_viewport_size(size)
    return written
