"""The two-stage selection workflow in a real browser on the demo site: the village operator
proposes a new family, the district office assigns it, the facilitator fills the ground check
(the draft survives a reload, sending offline is held back), the district office approves and
the family enters the registry with provenance field_verification; objections with deadlines;
an operator trying another village's proposal by URL is refused."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select

from tepat.reference.kk import encode_kk
from tepat.reference.nik import encode_nik
from tepat.registry.models import Household, Membership, Person
from tepat.release.models import Release, ReleaseBeneficiary, ReleaseHousehold

from .conftest import DemoSite, screenshots

NUMBER = re.compile(r"USL-\d{2}\.\d{2}\.\d{2}\.\d{4}-\d{4}-\d{6}")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def _village(site: DemoSite) -> str:
    return site.regions["demo-operator"].split(",")[0]


def _as(page: Any, site: DemoSite, username: str, start: str = "/usulan") -> None:
    """Sign in afresh as ``username`` and land on ``start`` (not the dashboard)."""
    page.context.clear_cookies()
    page.goto(f"/masuk?next={start}")
    page.fill("#f-username", username)
    page.fill("#f-password", site.passwords[username])
    with page.expect_navigation():
        page.click("button[type=submit]")


def _propose(page: Any, site: DemoSite) -> str:
    """demo-operator fills the new-family form (two members) and sends it."""
    village = _village(site)
    district = village[:8]
    page.goto("/usulan/baru")
    page.click("#jenis-new_family")
    assert page.input_value("#f-village") == village
    page.fill("#f-kk_number", encode_kk(district, date(2024, 3, 1), 9701))
    page.fill("#f-address", "Dusun Cempaka")
    page.fill("#f-rt", "3")
    page.fill("#f-rw", "1")
    page.fill("#f-m0_full_name", "Rahmat Hidayat")
    page.fill("#f-m0_nik", "12345")
    page.wait_for_selector("#e-m0_nik:has-text('NIK harus 16 angka')")  # checked as typed
    page.fill("#f-m0_nik", encode_nik(district, date(1984, 7, 5), "M", 9702))
    page.select_option("#f-m0_sex", "M")
    page.fill("#f-m0_birth_date", "1984-07-05")
    page.click("#tambah-anggota")
    page.wait_for_selector("#f-m1_full_name")
    assert page.input_value("#f-m0_full_name") == "Rahmat Hidayat"  # kept by the server
    page.fill("#f-m1_full_name", "Nur Aisyah")
    page.fill("#f-m1_nik", encode_nik(district, date(1988, 2, 11), "F", 9703))
    page.select_option("#f-m1_sex", "F")
    page.fill("#f-m1_birth_date", "1988-02-11")
    page.select_option("#f-m1_relationship_code", "2")
    page.fill("#f-minutes_number", "140/05/MUSDES/2026")
    page.fill("#f-minutes_date", (date.today() - timedelta(days=2)).isoformat())
    screenshots(page, "usulan-baru")
    page.click("#kirim")
    page.wait_for_selector("#created")
    number = NUMBER.search(page.url)
    assert number, page.url
    assert "Diajukan" in page.inner_text("main")
    screenshots(page, "usulan-detail")
    return number.group(0)


def _ground_check(page: Any, number: str) -> None:
    """demo-pendamping opens the task, fills part, reloads, goes offline, then sends."""
    page.goto("/tugas")
    screenshots(page, "tugas")
    page.click(f'a[href="/tugas/{number}"]')
    page.wait_for_selector("#ground-check")
    page.check('input[name="a_b1_found"][value="1"]')
    page.check('input[name="a_b1_lives_here"][value="1"]')
    page.fill("#f-a_b1_members", "2")
    page.fill("#f-a_r303", "4")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 3.7512, "longitude": 96.8431, "accuracy": 9})
    page.click("#ambil-gps")
    expect(page.locator("#f-lat")).not_to_have_value("")
    assert page.input_value("#f-lon") == "96.843100" and page.input_value("#f-acc") == "9"

    page.reload()  # a lost connection or a closed tab: the draft comes back
    page.wait_for_selector(".js-notice.info")
    assert page.is_checked('input[name="a_b1_found"][value="1"]')
    assert page.input_value("#f-a_b1_members") == "2"
    assert page.input_value("#f-lat") == "3.751200"

    page.check('input[name="a_b1_kk_matches"][value="1"]')
    page.check('input[name="a_r502k"][value="0"]')
    page.select_option("#f-m0_r404", "1")
    page.select_option("#f-m1_r404", "1")
    page.set_input_files(
        "#f-ph0_file", files=[{"name": "rumah-depan.png", "mimeType": "image/png", "buffer": PNG}]
    )
    expect(page.locator('input[name="ph0_sha256"]')).to_have_value(re.compile("^[0-9a-f]{64}$"))
    assert page.input_value("#f-ph0_ref") == "rumah-depan.png"
    page.check('input[name="verdict"][value="confirmed"]')
    page.fill("#f-notes", "rumah kayu, lantai semen")
    screenshots(page, "ground-check")

    page.context.set_offline(True)
    page.click("#kirim")
    page.wait_for_selector(".js-notice.alert")
    assert "Tidak ada sambungan" in page.inner_text(".js-notice.alert")
    assert page.url.endswith(f"/tugas/{number}")
    page.context.set_offline(False)
    page.click("#kirim")
    page.wait_for_selector("#sent")
    assert "rumah-depan.png" in page.inner_text("main")
    key = f"tepat-draft:gc-{number}"
    assert page.evaluate(f"localStorage.getItem('{key}')") is None


def _api(page: Any, path: str) -> Any:
    """GET an API path with the token of the page's session."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "tepat_sesi")
    answer = page.request.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.ok, answer.text()
    return answer.json()


def test_a_family_is_proposed_checked_on_the_ground_and_approved(
    page: Any, demo_site: DemoSite
) -> None:
    _as(page, demo_site, "demo-operator")
    number = _propose(page, demo_site)

    _as(page, demo_site, "demo-dinsos", "/persetujuan")
    page.goto(f"/persetujuan/{number}")
    page.select_option("#f-facilitator", "demo-pendamping")
    page.click("#tugaskan")
    page.wait_for_selector("#done")

    _as(page, demo_site, "demo-pendamping", "/tugas")
    _ground_check(page, number)

    _as(page, demo_site, "demo-dinsos", "/persetujuan")
    page.goto("/persetujuan")
    assert number in page.inner_text("#queue")
    screenshots(page, "persetujuan")
    page.click(f'#queue a[href="/persetujuan/{number}"]')
    page.wait_for_selector("#evidence")
    evidence = page.inner_text("#evidence")
    assert "rumah-depan.png" in evidence and "3.7512, 96.8431" in evidence
    screenshots(page, "persetujuan-detail")
    page.fill("#f-reason", "sesuai hasil verifikasi lapangan")
    page.click("#setujui")
    page.wait_for_selector("#done")
    link = page.get_attribute("#result-household a", "href")
    assert link and link.startswith("/rumah-tangga/")
    household_id = int(link.rsplit("/", 1)[1])

    detail = _api(page, f"/api/v1/households/{household_id}")
    assert {s["source"] for s in detail["provenance"]} == {"field_verification"}
    assert {m["full_name"] for m in detail["members"]} == {"Rahmat Hidayat", "Nur Aisyah"}
    opened = page.goto(link)
    assert opened is not None and opened.status == 200
    assert "Rahmat Hidayat" in page.inner_text("main")

    _as(page, demo_site, "demo-operator")
    page.goto(f"/usulan/{number}")
    assert "Masuk registri" in page.inner_text("main")


def test_an_operator_cannot_open_another_villages_proposal(page: Any, demo_site: DemoSite) -> None:
    _as(page, demo_site, "demo-operator")
    own = _village(demo_site)
    other = demo_site.regions["demo-pendamping"].split(",")[1]
    assert other != own
    year = date.today().year
    for number in (f"USL-{other}-{year}-000001", f"USL-{own}-{year}-999999"):
        answer = page.goto(f"/usulan/{number}")
        assert answer is not None and answer.status == 404
        assert "Tidak ditemukan" in page.inner_text("main")
    denied = page.goto("/persetujuan")
    assert denied is not None and denied.status == 403


def _objection_target(site: DemoSite) -> tuple[dict[str, Any], int] | None:
    """A resident of the operator's village and a recipient household of the same village."""
    village = _village(site)
    engine = create_engine(site.database_url)
    try:
        with engine.connect() as db:
            release = db.scalar(select(Release.id).where(Release.is_current.is_(True)))
            recipients = db.scalars(
                select(ReleaseHousehold.household_id)
                .join(
                    ReleaseBeneficiary,
                    (ReleaseBeneficiary.release_id == ReleaseHousehold.release_id)
                    & (ReleaseBeneficiary.family_id == ReleaseHousehold.family_id),
                )
                .where(
                    ReleaseHousehold.release_id == release,
                    ReleaseHousehold.village_code == village,
                    ReleaseHousehold.household_id.is_not(None),
                )
                .limit(20)
            ).all()
            if not recipients:
                return None
            target = int(recipients[0])
            resident = db.execute(
                select(Person.nik, Person.full_name)
                .join(Membership, Membership.person_id == Person.id)
                .join(Household, Household.id == Membership.household_id)
                .where(
                    Household.village_code == village,
                    Household.status == "active",
                    Household.id != target,
                    Membership.end_date.is_(None),
                    Person.status == "alive",
                    Person.nik.is_not(None),
                )
                .limit(1)
            ).first()
    finally:
        engine.dispose()
    if resident is None:
        return None
    body = {
        "nik": resident.nik,
        "name": resident.full_name,
        "household_id": target,
        "reason_code": "well_off",
        "reason_text": "memiliki mobil baru dan rumah permanen",
        "photos": [
            {
                "file_name": "rumah-tetangga.jpg",
                "sha256": "cd" * 32,
                "taken_at": (date.today() - timedelta(days=1)).isoformat() + "T09:00:00",
                "latitude": 3.75,
                "longitude": 96.84,
            }
        ],
        "latitude": 3.75,
        "longitude": 96.84,
    }
    return body, target


def test_objections_with_their_deadlines(page: Any, demo_site: DemoSite) -> None:
    found = _objection_target(demo_site)
    if found is None:
        pytest.skip("the demo village has no recipient and resident pair")
    body, target = found
    filed = page.request.post("/api/v1/public/objections", data=body)
    assert filed.status in (201, 409), filed.text()
    _as(page, demo_site, "demo-dinsos", "/persetujuan")
    page.goto("/sanggahan")
    table = page.inner_text("#objections")
    assert "SGH-" in table and "batas" in table
    screenshots(page, "sanggahan")
    page.click(f'#objections a[href^="/sanggahan/SGH-{_village(demo_site)}"]')
    page.wait_for_selector("h1.wf-title")
    assert f"#{target}" in page.inner_text("main")
    if page.query_selector("#tugaskan"):
        page.select_option("#f-facilitator", "demo-pendamping")
        page.click("#tugaskan")
        page.wait_for_selector("#done")
    _as(page, demo_site, "demo-pendamping", "/tugas")
    page.goto("/tugas")
    assert "SGH-" in page.inner_text("#task-objections")
