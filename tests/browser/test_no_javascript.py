"""The pages work without JavaScript for reading: a browser with JavaScript switched off signs
in with the plain form, reads the dashboard, searches, opens a household with its explained
decisions and a release, and a citizen reads how the programs work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import DemoSite
from .test_dashboard import _household_in


@pytest.fixture()
def no_js(browser: Any, demo_site: DemoSite) -> Iterator[Any]:
    """A page in a context with JavaScript disabled."""
    context = browser.new_context(
        base_url=demo_site.url, viewport={"width": 360, "height": 800}, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_staff_read_without_javascript(no_js: Any, demo_site: DemoSite) -> None:
    page = no_js
    assert page.evaluate("1 + 1") == 2  # evaluate works; the page's own scripts do not run
    page.goto("/masuk")
    page.fill("#f-username", "demo-operator")
    page.fill("#f-password", demo_site.passwords["demo-operator"])
    page.click("button[type=submit]")
    assert page.url.endswith("/beranda")
    assert page.locator("h1").first.inner_text() == "Beranda"
    assert page.locator("#chart-desil").count() == 1  # the charts are server-side SVG
    village = demo_site.regions["demo-operator"]
    household = _household_in(demo_site, village, inside=True, program="pkh")
    page.goto(f"/rumah-tangga?desa={village}")
    assert page.locator("table.list tbody tr").count() > 0  # results, and the pager, are links
    page.goto(f"/rumah-tangga/{household}")
    text = page.inner_text("main")
    assert "PKH" in text and "desil" in text.lower()  # the decisions, explained, server-side
    page.goto("/usulan/baru")
    assert page.locator("form").count() >= 1


def test_program_manager_and_citizen_read_without_javascript(
    no_js: Any, demo_site: DemoSite
) -> None:
    page = no_js
    page.goto("/cara-kerja")
    assert "PKH" in page.inner_text("main")
    page.goto("/masuk")
    page.fill("#f-username", "demo-program")
    page.fill("#f-password", demo_site.passwords["demo-program"])
    page.click("button[type=submit]")
    page.goto("/rilis")
    link = page.locator("a[href^='/rilis/R']").first
    link.click()
    assert "/rilis/R" in page.url
    assert page.locator("h1").count() == 1 and "desil" in page.inner_text("main").lower()
