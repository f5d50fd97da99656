"""Analysts and program managers in the browser: releases, a release's changes, a list download
and a simulation; a district office reviews a linkage pair (accept, then undo).

Runs on a copy of the demo data with a second release (``analyst_site.second_release``), served
by its own uvicorn, so the shared demo site is not changed. Screenshots: ``rilis``,
``rilis-detail``, ``simulasi``, ``tautan`` (tests/artifacts/screenshots/).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .analyst_site import second_release
from .conftest import DemoSite, _free_port, screenshots, sign_in


@pytest.fixture(scope="module")
def analyst_site(
    demo_data: DemoSite, chromium_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoSite]:
    """The demo data with two releases, served by uvicorn for this module."""
    import uvicorn

    from tepat.config import get_settings
    from tepat.web.app import create_app

    site = second_release(demo_data, tmp_path_factory.mktemp("analyst-site"))
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
            raise RuntimeError("the analyst site did not start")
        time.sleep(0.05)
    site.url = f"http://127.0.0.1:{port}"
    yield site
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def apage(browser: Any, analyst_site: DemoSite) -> Iterator[Any]:
    context = browser.new_context(
        base_url=analyst_site.url,
        viewport={"width": 1280, "height": 900},
        locale="id-ID",
        accept_downloads=True,
    )
    context.set_default_timeout(30_000)
    opened = context.new_page()
    yield opened
    context.close()


def test_program_manager_releases_diff_download_and_simulation(
    apage: Any, analyst_site: DemoSite
) -> None:
    from playwright.sync_api import expect

    page = apage
    sign_in(page, analyst_site, "demo-program")
    page.click("nav.menu >> text=Rilis")
    expect(page.locator("#releases tbody tr")).to_have_count(2)
    expect(page.locator("#releases .state-approved")).to_have_count(1)
    screenshots(page, "rilis")

    page.click("#releases tr.current a")
    expect(page.locator("h1")).to_contain_text("Rilis")
    expect(page.locator("#ketepatan")).to_contain_text("Alatas")
    # The changes are prepared in the background; htmx swaps them in.
    expect(page.locator("#changes")).to_be_visible(timeout=60_000)
    page.select_option("#f-program", "pkh")
    page.click("#changes-filter button[type=submit]")
    expect(page.locator("#f-program")).to_have_value("pkh")
    rows = page.locator("#changes tbody tr")
    assert rows.count() > 0
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.program)")) == {"pkh"}
    screenshots(page, "rilis-detail")

    with page.expect_download() as info:
        page.click("#downloads a[href$='/pkh/11.12.csv']")
    download = info.value
    assert download.suggested_filename.endswith("_pkh_11.12.csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith('"program"') or text.startswith("program")
    assert "********" in text  # identity numbers masked for a program manager

    page.click("nav.menu >> text=Simulasi")
    expect(page.locator("#f-key_1")).to_have_value("pkh.max_desil")
    page.fill("#f-value_1", "12")
    page.click("#simulate")
    expect(page.locator("#e-value_1")).to_contain_text("Desil harus antara 1 dan 10")
    expect(page.locator("#f-value_1")).to_have_value("12")
    page.fill("#f-value_1", "2")
    page.click("#simulate")
    expect(page.locator("#sim-done")).to_be_visible(timeout=90_000)
    pkh = page.locator("#sim-programs tr[data-program=pkh]")
    expect(pkh).to_have_class("changed")
    expect(page.locator("#sim-regions")).to_be_visible()
    screenshots(page, "simulasi")


def test_district_office_reviews_a_pair_and_undoes_it(apage: Any, analyst_site: DemoSite) -> None:
    from playwright.sync_api import expect

    page = apage
    sign_in(page, analyst_site, "demo-dinsos")
    page.click("nav.menu >> text=Tinjau tautan")
    expect(page.locator("#pairs")).to_be_visible(timeout=60_000)
    count = page.locator("#pending-count").inner_text()
    page.locator("#pairs a.button").first.click()
    expect(page.locator("#pair td.diff").first).to_be_visible()
    screenshots(page, "tautan")
    page.fill("#f-reason", "nama, tanggal lahir dan ibu kandung cocok")
    page.click("#accept")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("demo-dinsos")
    page.click("#undo")
    expect(page.locator("#done")).to_contain_text("dibatalkan")
    expect(page.locator("#accept")).to_be_visible()
    page.click("text=Tinjau tautan >> nth=1")
    expect(page.locator("#pending-count")).to_have_text(count)
    # Another region's pair by URL: refused like a missing one.
    page.goto("/tautan/999999")
    expect(page.locator("h1")).to_contain_text("Tidak ditemukan")
