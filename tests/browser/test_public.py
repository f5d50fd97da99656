"""A citizen on a phone (360 px) uses the public pages of the demo site: reads the start page,
checks the family's status, objects to a recipient of the own village, proposes a new family
and reads how the ranking and programs work. Screenshots: beranda-publik, cek-status, sanggah
(and the filled form, sanggah-formulir), usul (usul-formulir), cara-kerja."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import and_, create_engine, select
from sqlalchemy.orm import Session

from tepat.reference.kk import encode_kk
from tepat.reference.nik import encode_nik
from tepat.registry.models import Household, Membership, Person
from tepat.release.models import Release, ReleaseBeneficiary, ReleaseHousehold

from .conftest import DemoSite, screenshots

PHONE = {"width": 360, "height": 780}
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


@dataclass
class Citizens:
    """People of the demo data: a recipient (with a program) and a neighbour in its village."""

    recipient_nik: str
    recipient_name: str
    recipient_household: int
    neighbour_nik: str
    neighbour_name: str
    village: str


def _members(db: Session, household_id: int) -> list[tuple[str, str]]:
    rows = db.execute(
        select(Person.nik, Person.full_name)
        .join(Membership, and_(Membership.person_id == Person.id, Membership.end_date.is_(None)))
        .where(
            Membership.household_id == household_id,
            Person.status == "alive",
            Person.nik.is_not(None),
        )
        .order_by(Person.id)
    ).all()
    return [(str(n), str(f)) for n, f in rows]


@pytest.fixture(scope="module")
def citizens(demo_site: DemoSite) -> Citizens:
    """The first recipient household (with a program) of a village of the current release and
    a member of another household of the same village."""
    engine = create_engine(demo_site.database_url)
    try:
        with Session(engine) as db:
            release = db.scalar(select(Release.id).where(Release.is_current.is_(True)))
            recipients = db.execute(
                select(Household.village_code, ReleaseHousehold.household_id)
                .join(Household, Household.id == ReleaseHousehold.household_id)
                .where(
                    ReleaseHousehold.release_id == release,
                    Household.status == "active",
                    select(ReleaseBeneficiary.family_id)
                    .where(
                        ReleaseBeneficiary.release_id == release,
                        ReleaseBeneficiary.family_id == ReleaseHousehold.family_id,
                        ReleaseBeneficiary.program == "pkh",
                    )
                    .exists(),
                )
                .order_by(Household.village_code, ReleaseHousehold.household_id)
            ).all()
            first: dict[str, int] = {}
            for village, household_id in recipients:
                first.setdefault(village, int(household_id))
            for village, household_id in first.items():
                members = _members(db, household_id)
                neighbours = db.scalars(
                    select(Household.id)
                    .where(
                        Household.village_code == village,
                        Household.status == "active",
                        Household.id != household_id,
                    )
                    .order_by(Household.id)
                    .limit(20)
                ).all()
                for other in neighbours:
                    people = _members(db, other)
                    if members and people:
                        return Citizens(
                            members[0][0],
                            members[0][1],
                            household_id,
                            people[0][0],
                            people[0][1],
                            village,
                        )
    finally:
        engine.dispose()
    pytest.fail("the demo data has no PKH recipient with a neighbour")


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_citizen_on_a_phone_checks_objects_proposes_and_reads_how_it_works(
    page: Any, citizens: Citizens
) -> None:
    page.set_viewport_size(PHONE)

    page.goto("/")
    assert page.locator("h1").first.inner_text().startswith("Bantuan sosial")
    assert page.locator('main a[href="/masuk"]').count() == 1
    screenshots(page, "beranda-publik")

    # 1. Status check: the band and the programs, never the NIK.
    page.click('main a[href="/cek-status"]')
    page.fill("#f-nik", citizens.recipient_nik)
    page.fill("#f-name", citizens.recipient_name.title())
    _submit(page, "main form button[type=submit]")
    assert page.locator("#desil-band").inner_text() == "desil 1-4"
    assert "Program Keluarga Harapan" in page.locator("#programs").inner_text()
    assert not SIXTEEN_DIGITS.search(page.locator("main").inner_text())
    assert citizens.recipient_nik not in page.content()
    screenshots(page, "cek-status")

    # A mistyped NIK: a message next to the field, what was typed kept.
    page.fill("#f-nik", "1112 03")
    page.fill("#f-name", "Siti")
    _submit(page, "main form button[type=submit]")
    assert "NIK harus 16 angka" in page.locator("#e-nik").inner_text()
    assert page.input_value("#f-nik") == "1112 03"

    # 2. Sanggah: the neighbour lists the village's recipients and objects to the first one.
    page.goto("/sanggah")
    page.fill("#f-nik", citizens.neighbour_nik)
    page.fill("#f-name", citizens.neighbour_name)
    _submit(page, "button[name=langkah][value=cari]")
    assert page.locator("#penerima").is_visible()
    page.check(f"input[name=household_id][value='{citizens.recipient_household}']")
    page.select_option("#f-reason_code", "well_off")
    page.fill("#f-reason_text", "Rumah permanen dua lantai dan punya mobil.")
    page.set_input_files(
        "#f-foto",
        files=[{"name": "rumah-depan.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" * 500}],
    )
    page.wait_for_function(
        "() => /^[0-9a-f]{64}$/.test(document.querySelector('#f-foto_sha256').value)"
    )
    assert page.get_attribute("#f-foto", "name") is None  # the photo stays on the phone
    page.fill("#f-lintang", "3.8121")
    page.fill("#f-bujur", "96.8713")
    screenshots(page, "sanggah-formulir")
    _submit(page, "button[name=langkah][value=kirim]")
    number = page.locator("#nomor-sanggahan").inner_text()
    assert re.match(rf"^SGH-{re.escape(citizens.village)}-\d{{4}}-\d{{6}}$", number)
    assert page.locator("#batas-waktu").inner_text()
    screenshots(page, "sanggah")

    # 3. Usul: a family not yet registered proposes itself.
    district = citizens.village[:8]
    head = encode_nik(district, date(1988, 4, 12), "F", 9871)
    child = encode_nik(district, date(2015, 8, 1), "M", 9872)
    page.goto("/usul")
    page.fill("#f-nik", head)
    page.fill("#f-name", "Nur Aisyah")
    page.fill("#f-village", citizens.village)
    page.fill("#f-kk_number", encode_kk(district, date(2016, 1, 5), 9873))
    page.fill("#f-address", "Dusun Melati")
    page.fill("#f-m0_name", "Nur Aisyah")
    page.fill("#f-m0_nik", head)
    page.select_option("#f-m0_sex", "F")
    page.fill("#f-m0_born", "1988-04-12")
    page.select_option("#f-m0_rel", "1")
    page.fill("#f-m1_name", "Rizki Pratama")
    page.fill("#f-m1_nik", child)
    page.select_option("#f-m1_sex", "M")
    page.fill("#f-m1_born", "2015-08-01")
    page.select_option("#f-m1_rel", "3")
    screenshots(page, "usul-formulir")
    _submit(page, "button[name=aksi][value=kirim]")
    assert re.match(r"^USL-", page.locator("#nomor-usulan").inner_text())
    screenshots(page, "usul")

    # 4. How it works: the programs with their decile cuts, from the rules.
    page.goto("/cara-kerja")
    assert "desil 1–4" in page.locator("#program-pkh").inner_text()
    assert page.locator(".program").count() >= 8
    screenshots(page, "cara-kerja")
