"""The dashboard (/beranda) over HTTP: what each role sees, limited to its regions; data-quality
tiles (deceased recipients, invalid NIKs) and the lists behind them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from tepat.pages.queries.dashboard import CACHE
from tepat.registry.models import Person

from .conftest import SIXTEEN_DIGITS, World
from .test_pages_foundation import sign_in
from .test_workflow_builders import add_release, new_family, propose, wipe_workflow

RELEASE = "R20261020-dash000001"
BAD_NIK = "1112010000000009"  # birth date 00/00: not a possible NIK


@pytest.fixture(scope="module")
def dash(world: World) -> Iterator[World]:
    """The world with a release (ha, hb, hc receive programs), one proposal in village A, one
    member with an invalid NIK in village A and one deceased recipient in village B."""
    CACHE.clear()
    with world.session() as db:
        wipe_workflow(db)
        families = {
            "ha": (2, ["bpnt", "pkh"]),
            "ha2": (7, []),
            "hb": (1, ["bpnt"]),
            "hc": (3, ["pkh"]),
        }
        add_release(db, world, RELEASE, families, data_cut=date(2026, 10, 20))
        db.execute(update(Person).where(Person.id == world.people["budi-ha"]).values(nik=BAD_NIK))
    world.client.cookies.clear()
    propose(world, new_family())
    death = {
        "event_id": "dash-death-1",
        "type": "death",
        "effective_date": "2026-11-02",
        "person_id": world.people["siti-hb"],
    }
    answer = world.client.post("/api/v1/events", json=death, headers=world.auth("op-b"))
    assert answer.status_code == 201, answer.text
    yield world
    world.client.cookies.clear()
    with world.session() as db:
        wipe_workflow(db)
    CACHE.clear()


def page(world: World, username: str, url: str = "/beranda", lang: str = "id") -> Any:
    world.client.cookies.clear()
    assert sign_in(world, username).status_code == 303
    world.client.get(f"/bahasa/{lang}", follow_redirects=False)
    answer = world.client.get(url)
    world.client.cookies.clear()
    return answer


def tile(html: str, name: str) -> str:
    """The number shown in tile ``name``."""
    found = re.search(rf'id="tile-{name}"[^>]*><b>([^<]*)</b>', html)
    assert found, f"no tile {name}"
    return found.group(1)


def test_the_village_operator_sees_its_village_and_its_quality_flags(dash: World) -> None:
    html = page(dash, "op-a").text
    assert "Beranda" in html and "Operator desa/kelurahan" in html
    assert tile(html, "ranked") == "1"  # ha only: village A
    assert tile(html, "invalid-nik") == "1"  # Budi's NIK
    assert tile(html, "deceased") == "0"  # the death was in village B
    assert tile(html, "proposals-open") == "1"
    assert 'href="/rumah-tangga/tanda/nik"' in html and 'href="/usulan"' in html
    assert "Desil 2" in html and "Log audit" not in html
    assert "tile-duplicates" not in html
    assert not SIXTEEN_DIGITS.search(html)  # counts, never numbers of people


def test_another_village_sees_its_own_numbers(dash: World) -> None:
    html = page(dash, "op-b").text
    assert tile(html, "ranked") == "1"
    assert tile(html, "deceased") == "1"  # Siti Rahmah died, her household receives BPNT
    assert tile(html, "invalid-nik") == "0"
    assert tile(html, "proposals-open") == "0"
    assert "warn-tile" in html


def test_the_district_office_sees_its_regency_by_district_and_the_review_queue(
    dash: World,
) -> None:
    html = page(dash, "dinsos").text
    assert tile(html, "ranked") == "3"  # ha, ha2, hb: not hc (another province)
    assert tile(html, "deceased") == "1" and tile(html, "invalid-nik") == "1"
    assert "tile-duplicates" in html and "tile-approvals" in html
    assert "Biaya per tahun menurut kecamatan" in html


def test_the_province_and_national_accounts_see_larger_regions(dash: World) -> None:
    province = page(dash, "provinsi").text
    assert "menurut kabupaten/kota" in province and tile(province, "ranked") == "3"
    national = page(dash, "admin").text
    assert tile(national, "ranked") == "4" and "menurut provinsi" in national
    assert "Log audit" in national and tile(national, "invalid-nik") == "1"


def test_the_facilitator_sees_its_tasks_not_the_quality_flags(dash: World) -> None:
    html = page(dash, "pendamping").text
    assert "Tugas verifikasi Anda" in html and 'href="/tugas"' in html
    assert "tile-invalid-nik" not in html and "tile-deceased" not in html


def test_the_program_manager_sees_the_release_only(dash: World) -> None:
    html = page(dash, "program").text
    assert tile(html, "ranked") == "4"
    assert "PKH" in html and "BPNT" in html
    assert "Usulan dan sanggahan" not in html and "tile-invalid-nik" not in html
    assert "Log audit" not in html


def test_the_auditor_sees_audit_counts_and_no_personal_data(dash: World) -> None:
    html = page(dash, "auditor").text
    assert "Log audit" in html and 'href="/api/v1/audit"' in html
    assert int(tile(html, "audit-week").replace(".", "")) > 0
    assert "tile-ranked" not in html and "tile-invalid-nik" not in html
    assert "Siti" not in html


def test_the_dashboard_is_in_english_on_request(dash: World) -> None:
    html = page(dash, "op-a", lang="en").text
    assert "Dashboard" in html and "Households by desil" in html and "invalid NIKs" in html


def test_the_flag_lists_show_the_households_behind_the_tiles(dash: World) -> None:
    html = page(dash, "op-a", "/rumah-tangga/tanda/nik").text
    assert "Budi Santoso" in html and f'href="/rumah-tangga/{dash.households["ha"]}"' in html
    assert "1 rumah tangga." in html
    dead = page(dash, "op-b", "/rumah-tangga/tanda/meninggal").text
    assert "Siti Rahmah" in dead
    other = page(dash, "op-a", "/rumah-tangga/tanda/meninggal").text
    assert "Siti Rahmah" not in other and "0 rumah tangga." in other
    assert page(dash, "program", "/rumah-tangga/tanda/nik").status_code == 403
    assert page(dash, "op-a", "/rumah-tangga/tanda/lain").status_code == 404


def test_the_dashboard_needs_a_signed_in_user_and_reports_its_time(dash: World) -> None:
    dash.client.cookies.clear()
    answer = dash.client.get("/beranda", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/masuk")
    sign_in(dash, "op-a")
    timed = dash.client.get("/beranda")
    assert timed.headers["server-timing"].startswith("app;dur=")
    dash.client.cookies.clear()
