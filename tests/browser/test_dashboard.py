"""Dashboards and household pages on the demo site: each role signs in and sees its dashboard;
the village operator searches, opens a household of its village (with the decisions of the
current release explained) and is refused another village's household typed into the URL.

The TestClient tests at the end use the same demo data without a browser (the explanation of a
PKH family, the desil counts of a village)."""

from __future__ import annotations

import sqlite3
from typing import Any

from tepat.pages.queries.dashboard import CACHE

from .conftest import DemoSite, demo_client, screenshots, sign_in

ROLES = {
    "demo-operator": "village_operator",
    "demo-pendamping": "facilitator",
    "demo-dinsos": "district_office",
    "demo-provinsi": "province_office",
    "demo-admin": "national_admin",
    "demo-program": "program_manager",
    "demo-auditor": "auditor",
}


def _db(site: DemoSite) -> sqlite3.Connection:
    return sqlite3.connect(site.database_url.removeprefix("sqlite:///"))


def _household_in(site: DemoSite, village: str, *, inside: bool, program: str | None = None) -> int:
    """A household id of ``village`` (or of another village), receiving ``program`` if given."""
    sql = "SELECT h.id FROM households h"
    args: list[Any] = [village]
    if program is not None:
        sql += (
            " JOIN release_households r ON r.household_id = h.id JOIN releases l ON"
            " l.id = r.release_id AND l.is_current JOIN release_beneficiaries b ON"
            " b.release_id = r.release_id AND b.family_id = r.family_id AND b.program = ?"
        )
        args.insert(0, program)
    sql += f" WHERE h.village_code {'=' if inside else '!='} ? ORDER BY h.id LIMIT 1"
    with _db(site) as con:
        row = con.execute(sql, args).fetchone()
    assert row is not None, (village, program)
    return int(row[0])


def test_each_role_signs_in_and_sees_its_dashboard(page: Any, demo_site: DemoSite) -> None:
    for username, role in ROLES.items():
        page.context.clear_cookies()
        sign_in(page, demo_site, username)
        assert page.url.endswith("/beranda"), (username, page.url)
        assert page.locator("h1").first.inner_text() == "Beranda"
        content = page.content()
        if role == "auditor":
            assert page.locator("#tile-audit-week").count() == 1
            assert page.locator("#chart-desil").count() == 0
        else:
            assert page.locator("#chart-desil svg").count() >= 10, username
        if role in ("village_operator", "district_office"):
            assert page.locator("#tile-invalid-nik").count() == 1
        if role == "facilitator":
            assert "Tugas verifikasi Anda" in content
        screenshots(page, f"dashboard-{role}")


def test_the_operator_searches_and_opens_a_household_of_its_village(
    page: Any, demo_site: DemoSite
) -> None:
    village = demo_site.regions["demo-operator"]
    sign_in(page, demo_site, "demo-operator")
    page.click("a[href='/rumah-tangga']")
    page.select_option("#f-desa", village)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "rumah tangga ditemukan" in page.locator("#result-count").inner_text()
    page.locator("#results a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().startswith("Rumah tangga #")
    assert page.locator("#members tbody tr").count() >= 1
    assert page.locator("#timeline li").count() >= 1  # at least the release's ranking
    screenshots(page, "household")

    # the as-of form refuses a bad date next to the field
    page.fill("#f-tanggal", "2024-02-31")
    page.click("#as-of button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Tanggal tidak valid" in page.locator("#e-tanggal").inner_text()

    other = _household_in(demo_site, village, inside=False)
    answer = page.goto(f"/rumah-tangga/{other}")
    assert answer is not None and answer.status == 404
    assert "Tidak ditemukan" in page.locator("h1").inner_text()
    screenshots(page, "household-refused")


# -- TestClient tests on the demo data ----------------------------------------------------------


def _signed_in(site: DemoSite, username: str) -> Any:
    client = demo_client(site)
    answer = client.post(
        "/masuk",
        data={"username": username, "password": site.passwords[username]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


def test_a_pkh_family_reads_why_and_how_much(demo_data: DemoSite) -> None:
    village = demo_data.regions["demo-operator"]
    household = _household_in(demo_data, village, inside=True, program="pkh")
    with _signed_in(demo_data, "demo-operator") as client:
        page = client.get(f"/rumah-tangga/{household}")
        assert page.status_code == 200
        text = page.text
        assert "Mengapa keluarga ini menerima" in text and 'id="program-pkh"' in text
        assert "Keluarga berada di desil 1–4: ya." in text
        assert "Rincian bantuan PKH per anggota:" in text and "per tahun (dihitung)" in text
        client.get("/bahasa/en", follow_redirects=False)
        english = client.get(f"/rumah-tangga/{household}").text
        assert "The family is in decile 1–4: yes." in english
        assert "PKH amount per member:" in english
        timing = float(page.headers["server-timing"].split("dur=")[1])
        assert timing < 3000


def test_the_operators_dashboard_counts_its_village(demo_data: DemoSite) -> None:
    CACHE.clear()
    village = demo_data.regions["demo-operator"]
    with _db(demo_data) as con:
        ranked = con.execute(
            "SELECT count(*) FROM release_households r JOIN releases l ON l.id = r.release_id"
            " AND l.is_current WHERE r.village_code = ?",
            [village],
        ).fetchone()[0]
    with _signed_in(demo_data, "demo-operator") as client:
        html = client.get("/beranda").text
    assert f'id="tile-ranked"><b>{ranked}</b>' in html
    assert "menurut desa/kelurahan" in html
