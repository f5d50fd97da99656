"""The workflow pages over HTTP: the village operator proposes (new family, update, removal) and
tracks, the district office assigns and decides, the facilitator records the ground check from
its task list, objections are assigned, verified and resolved; bad input comes back with what
was typed and Bahasa Indonesia messages next to the fields; refusals are readable pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tepat.workflow.models import Objection, Proposal

from .conftest import PASSWORD, VILLAGE_A, VILLAGE_B, World
from .test_workflow_builders import (
    CURRENT,
    RECIPIENT,
    add_household,
    add_release,
    kk,
    nik,
    photo,
    public_client,
    wipe_workflow,
)

NUMBER = re.compile(r"USL-11\.12\.01\.2006-\d{4}-\d{6}")
TODAY = date.today()


@pytest.fixture(scope="module")
def wf(world: World) -> Iterator[World]:
    """The world plus a recipient household in village A and a current release."""
    with world.session() as db:
        wipe_workflow(db)
        add_household(db, world, "rx", VILLAGE_A, RECIPIENT)
        add_household(db, world, "ry", VILLAGE_A, ("Dewi Lestari", date(1975, 1, 8), "F"))
        families = {"rx": (3, ["PKH"]), "ry": (2, ["BPNT"])}
        add_release(db, world, CURRENT, families, data_cut=date(2026, 10, 20))
    yield world
    with world.session() as db:
        wipe_workflow(db)


@pytest.fixture()
def fresh(wf: World) -> Iterator[World]:
    """No cookies before and after the test."""
    wf.client.cookies.clear()
    yield wf
    wf.client.cookies.clear()


def sign_in(world: World, username: str) -> str:
    """Sign in through the form; returns the form token of the session."""
    world.client.cookies.clear()
    answer = world.client.post(
        "/masuk", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    page = world.client.get("/masuk?next=/usulan", follow_redirects=True)
    match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def post(world: World, url: str, data: dict[str, Any]) -> Any:
    """POST a form without following the redirect."""
    return world.client.post(url, data=data, follow_redirects=False)


def text(response: Any) -> str:
    """The page's HTML with entities decoded."""
    return unescape(response.text)


def family_form(csrf: str, **changes: str) -> dict[str, str]:
    """A valid two-member new-family form of village A."""
    form = {
        "csrf": csrf,
        "kind": "new_family",
        "action": "send",
        "rows": "2",
        "village": VILLAGE_A,
        "kk_number": kk(VILLAGE_A),
        "address": "Dusun Melati",
        "rt": "1",
        "rw": "2",
        "m0_full_name": "Joko Susilo",
        "m0_nik": nik(VILLAGE_A, date(1979, 2, 14), "M"),
        "m0_sex": "M",
        "m0_birth_date": "1979-02-14",
        "m0_relationship_code": "1",
        "m1_full_name": "Sri Wahyuni",
        "m1_nik": nik(VILLAGE_A, date(1983, 9, 21), "F"),
        "m1_sex": "F",
        "m1_birth_date": "1983-09-21",
        "m1_relationship_code": "2",
        "minutes_number": "140/07/MUSDES/2026",
        "minutes_date": (TODAY - timedelta(days=3)).isoformat(),
    }
    form.update(changes)
    return form


def propose(world: World, **changes: str) -> str:
    """op-a proposes a new family through the page; returns its number."""
    csrf = sign_in(world, "op-a")
    answer = post(world, "/usulan/baru", family_form(csrf, **changes))
    assert answer.status_code == 303, text(answer)[:3000]
    match = NUMBER.search(answer.headers["location"])
    assert match
    return match.group(0)


def ground_check_form(csrf: str, **changes: str) -> dict[str, str]:
    """A complete ground-check form (household blocks, one member, GPS, a photo, verdict)."""
    form = {
        "csrf": csrf,
        "a_b1_found": "1",
        "a_b1_lives_here": "1",
        "a_b1_kk_matches": "1",
        "a_b1_members": "2",
        "a_r303": "8",
        "a_r304": "6",
        "a_r502b": "0",
        "a_r502k": "",
        "m0_r404": "1",
        "m0_m_nik_matches": "1",
        "lat": "5,55",
        "lon": "95.32",
        "acc": "12",
        "visited_on": TODAY.isoformat(),
        "ph0_name": "rumah-depan.jpg",
        "ph0_type": "image/jpeg",
        "ph0_size": "123456",
        "ph0_modified": "1767225600000",
        "ph0_sha256": "ab" * 32,
        "ph0_ref": "rumah-depan.jpg",
        "verdict": "confirmed",
        "notes": "rumah semi permanen",
    }
    form.update(changes)
    return form


def assign(world: World, number: str, facilitator: str = "pendamping") -> None:
    """dinsos assigns the item through its page."""
    csrf = sign_in(world, "dinsos")
    base = "/persetujuan" if number.startswith("USL") else "/sanggahan"
    answer = post(world, f"{base}/{number}/tugaskan", {"csrf": csrf, "facilitator": facilitator})
    assert answer.status_code == 303, text(answer)[:3000]


def test_a_family_is_proposed_verified_approved_and_enters_the_registry(fresh: World) -> None:
    csrf = sign_in(fresh, "op-a")
    choice = fresh.client.get("/usulan/baru")
    assert choice.status_code == 200
    assert 'href="/usulan/baru?jenis=new_family"' in choice.text
    form = fresh.client.get("/usulan/baru?jenis=new_family")
    assert 'data-draft="usulan-new_family"' in form.text
    assert f'value="{VILLAGE_A}"' in form.text and 'hx-get="/periksa/nik"' in form.text

    typed = family_form(csrf, rows="1", action="add_member")
    more = post(fresh, "/usulan/baru", typed)
    assert more.status_code == 200
    assert 'name="m1_full_name"' in more.text and 'name="m2_full_name"' not in more.text
    assert 'value="Joko Susilo"' in more.text and f'value="{typed["kk_number"]}"' in more.text

    sent = post(fresh, "/usulan/baru", family_form(csrf))
    assert sent.status_code == 303
    number = NUMBER.search(sent.headers["location"]).group(0)  # type: ignore[union-attr]
    tracked = fresh.client.get(sent.headers["location"])
    assert tracked.status_code == 200
    page = text(tracked)
    assert number in page and "Diajukan" in page and 'data-draft-clear="usulan-new_family"' in page
    assert "Joko Susilo" in page and "Menunggu Dinas Sosial menugaskan pendamping." in page
    listed = text(fresh.client.get("/usulan"))
    assert number in listed and "batas" in listed
    assert number in fresh.client.get("/usulan?state=submitted&kind=new_family").text
    assert number not in fresh.client.get("/usulan?state=applied").text
    assert number not in fresh.client.get("/usulan?kind=removal").text

    csrf = sign_in(fresh, "dinsos")
    queue = text(fresh.client.get("/persetujuan"))
    assert number in queue and "Menunggu penugasan pendamping" in queue
    detail = text(fresh.client.get(f"/persetujuan/{number}"))
    assert "pendamping (0 tugas terbuka)" in detail
    assigned = post(fresh, f"/persetujuan/{number}/tugaskan", {"csrf": csrf, "facilitator": ""})
    assert assigned.status_code == 303
    assert "sudah ditugaskan" in text(fresh.client.get(assigned.headers["location"]))

    csrf = sign_in(fresh, "pendamping")
    tasks = text(fresh.client.get("/tugas"))
    assert f'href="/tugas/{number}"' in tasks
    task = fresh.client.get(f"/tugas/{number}")
    html = task.text
    assert task.status_code == 200 and f'data-draft="gc-{number}"' in html
    assert 'accept="image/*" capture="environment"' in html
    assert 'data-gps="lat,lon,acc"' in html and "/static/workflow.js" in html
    assert "Blok III · Perumahan" in html and "Jenis lantai terluas" in html
    assert "Joko Susilo" in html  # the member checks name the proposed members

    incomplete = ground_check_form(csrf, a_b1_found="", lat="-45.0", a_r303="12", verdict="")
    refused = post(fresh, f"/tugas/{number}", incomplete)
    assert refused.status_code == 422
    page = text(refused)
    assert 'id="e-a_b1_found" class="message" role="status">Wajib diisi.' in page
    assert "Titik GPS ini di luar Indonesia" in page and "Isi angka 1 sampai 9." in page
    assert 'value="-45.0"' in page and "rumah semi permanen" in page
    assert 'name="a_b1_lives_here" value="1" checked' in page

    sent = post(fresh, f"/tugas/{number}", ground_check_form(csrf))
    assert sent.status_code == 303, text(sent)[:3000]
    done = text(fresh.client.get(sent.headers["location"]))
    assert f'data-draft-clear="gc-{number}"' in done and "terkirim" in done
    assert "rumah-depan.jpg" in done and "akurasi GPS ±12 m" in done

    csrf = sign_in(fresh, "dinsos")
    queue = text(fresh.client.get("/persetujuan"))
    assert number in queue and "Menunggu keputusan" in queue
    side = text(fresh.client.get(f"/persetujuan/{number}"))
    assert 'id="claimed"' in side and 'id="evidence"' in side
    assert "Sesuai: yang diusulkan benar di lapangan" in side and "rumah-depan.jpg" in side
    assert "5.55, 95.32" in side and "Jenis lantai terluas" in side
    empty = post(fresh, f"/persetujuan/{number}/putuskan", {"csrf": csrf, "decision": "approve"})
    assert empty.status_code == 422 and 'id="e-reason"' in empty.text
    assert "Wajib diisi." in text(empty)
    approved = post(
        fresh,
        f"/persetujuan/{number}/putuskan",
        {"csrf": csrf, "decision": "approve", "reason": "sesuai hasil verifikasi"},
    )
    assert approved.status_code == 303
    page = text(fresh.client.get(approved.headers["location"]))
    assert "disetujui dan masuk registri" in page and "Masuk registri" in page
    with fresh.session() as db:
        row = db.scalar(select(Proposal).where(Proposal.state == "applied"))
        assert row is not None and row.result_household_id
        household_id = row.result_household_id
    detail = fresh.get(f"/api/v1/households/{household_id}", "op-a").json()
    assert {s["source"] for s in detail["provenance"]} == {"field_verification"}

    sign_in(fresh, "op-a")
    tracked = text(fresh.client.get(f"/usulan/{number}"))
    for step in ("Diajukan", "Ditugaskan", "Diverifikasi", "Disetujui", "Masuk registri"):
        assert step in tracked
    assert f'href="/rumah-tangga/{household_id}"' in tracked


BAD_CASES = [
    ({"m0_nik": "111201140279000"}, "m0_nik", "NIK harus 16 angka (sekarang 15)."),
    ({"kk_number": "12ab"}, "kk_number", "Nomor KK hanya boleh berisi angka."),
    ({"village": "11.12.01.9999"}, "village", "Kode desa/kelurahan ini tidak dikenal."),
    ({"village": "11.12.01"}, "village", "Ini bukan kode desa/kelurahan"),
    ({"m0_birth_date": "2020-02-31"}, "m0_birth_date", "Tanggal tidak valid."),
    ({"minutes_date": "2999-01-01"}, "minutes_date", "Tanggal tidak boleh di masa depan."),
    ({"m0_birth_date": "1979-02-15"}, "m0_nik", "tidak cocok dengan tanggal lahir"),
    ({"m0_sex": "F"}, "m0_nik", "Jenis kelamin dalam NIK tidak cocok"),
    ({"m1_relationship_code": "1"}, "members", "Harus ada tepat satu kepala keluarga."),
    ({"minutes_number": ""}, "minutes_number", "Wajib diisi."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_CASES)
def test_bad_values_come_back_typed_with_a_bahasa_message_at_the_field(
    fresh: World, changes: dict[str, str], field: str, message: str
) -> None:
    csrf = sign_in(fresh, "op-a")
    before = _proposals(fresh)
    form = family_form(csrf, **changes)
    answer = post(fresh, "/usulan/baru", form)
    assert answer.status_code == 422
    page = text(answer)
    found = re.search(rf'id="e-{field}"[^>]*>([^<]*)<', page)
    assert found and message in found.group(1), (field, page[:200])
    for name in ("kk_number", "m0_full_name", "m1_nik", "minutes_number", "address"):
        if form[name]:
            assert f'value="{form[name]}"' in page, name
    assert "Periksa isian yang ditandai merah" in page
    assert _proposals(fresh) == before


def _proposals(world: World) -> int:
    with world.session() as db:
        return int(db.scalar(select(func.count()).select_from(Proposal)) or 0)


def test_service_refusals_are_shown_at_the_field_in_bahasa_and_english(fresh: World) -> None:
    csrf = sign_in(fresh, "op-a")
    taken = post(fresh, "/usulan/baru", family_form(csrf, kk_number=fresh.kks["ha"]))
    assert taken.status_code == 409
    found = re.search(r'id="e-kk_number"[^>]*>([^<]*)<', text(taken))
    assert found and "sudah terdaftar pada rumah tangga aktif" in found.group(1)
    registered = post(
        fresh,
        "/usulan/baru",
        family_form(csrf, m1_nik=fresh.niks["siti-ha"], m1_birth_date="1990-05-05", m1_sex="F"),
    )
    assert registered.status_code == 409
    found = re.search(r'id="e-m1_nik"[^>]*>([^<]*)<', text(registered))
    assert found and "sudah terdaftar pada orang yang masih hidup" in found.group(1)
    other = post(fresh, "/usulan/baru", family_form(csrf, village=VILLAGE_B))
    assert other.status_code == 403 and "di luar wilayah akun Anda" in text(other)

    fresh.client.get("/bahasa/en?next=/usulan")
    english = post(fresh, "/usulan/baru", family_form(csrf, m0_nik="12"))
    assert english.status_code == 422 and "A NIK has 16 digits (this has 2)." in text(english)
    fresh.client.cookies.delete("tepat_bahasa")


JUNK = [
    {"rows": "abc", "m0_relationship_code": "99", "m0_sex": "X"},
    {"rows": "-5", "m0_birth_date": "14/02/1979", "rt": "abcd"},
    {"rows": "100000", "village": "'; drop table x; --", "kk_number": "9" * 40},
    {"kind": "other"},
    {"m0_full_name": "x" * 300, "address": "\x00\x01", "minutes_number": "a" * 100},
    {"m0_nik": "0000000000000000", "kk_number": "0000000000000000"},
]


@pytest.mark.parametrize("junk", JUNK)
def test_no_input_typed_in_the_forms_gives_a_server_error(
    fresh: World, junk: dict[str, str]
) -> None:
    csrf = sign_in(fresh, "op-a")
    answer = post(fresh, "/usulan/baru", family_form(csrf, **junk))
    assert answer.status_code < 500, text(answer)[:2000]
    for kind in ("update", "removal"):
        data = {"csrf": csrf, "kind": kind, "household_id": "x" + junk.get("rows", ""), **junk}
        answer = post(fresh, "/usulan/baru", {**data, "kind": kind})
        assert answer.status_code < 500, text(answer)[:2000]


def test_an_update_and_a_removal_are_proposed_for_a_household_of_the_village(
    fresh: World,
) -> None:
    csrf = sign_in(fresh, "op-a")
    household = fresh.households["ha"]
    loaded = fresh.client.get(f"/usulan/baru?jenis=update&rumah_tangga={household}")
    assert loaded.status_code == 200 and "Siti Aminah" in loaded.text
    base = {
        "csrf": csrf,
        "household_id": str(household),
        "minutes_number": "141/MUSDES/2026",
        "minutes_date": (TODAY - timedelta(days=1)).isoformat(),
    }
    nothing = post(fresh, "/usulan/baru", {**base, "kind": "update", "reason": "perbaikan"})
    assert nothing.status_code == 422 and "Belum ada yang diubah" in text(nothing)
    bad_code = post(
        fresh,
        "/usulan/baru",
        {**base, "kind": "update", "reason": "lantai", "c_floor_material": "42"},
    )
    assert bad_code.status_code == 422
    assert 'value="42"' in bad_code.text and "Isi angka 0 sampai 9." in text(bad_code)
    update_sent = post(
        fresh,
        "/usulan/baru",
        {
            **base,
            "kind": "update",
            "reason": "lantai sudah keramik",
            "c_floor_material": "1",
            "c_has_car": "0",
        },
    )
    assert update_sent.status_code == 303
    page = text(fresh.client.get(update_sent.headers["location"]))
    assert "Perubahan data" in page and "Jenis lantai terluas" in page

    person = fresh.people["budi-ha"]
    no_date = post(
        fresh,
        "/usulan/baru",
        {
            **base,
            "kind": "removal",
            "removal_reason": "deceased",
            "person_id": str(person),
            "reason": "meninggal dunia",
        },
    )
    assert no_date.status_code == 422
    found = re.search(r'id="e-died_on"[^>]*>([^<]*)<', text(no_date))
    assert found and "Wajib diisi." in found.group(1)
    assert f'value="{person}" selected' in no_date.text

    elsewhere = post(
        fresh,
        "/usulan/baru",
        {
            **base,
            "kind": "removal",
            "household_id": str(fresh.households["hb"]),
            "removal_reason": "moved",
            "reason": "pindah",
        },
    )
    assert elsewhere.status_code == 422
    assert "Rumah tangga ini tidak ditemukan di wilayah Anda." in text(elsewhere)
    removal = post(
        fresh,
        "/usulan/baru",
        {**base, "kind": "removal", "removal_reason": "not_eligible", "reason": "sudah mampu"},
    )
    assert removal.status_code == 303
    assert "Tidak layak lagi" in text(fresh.client.get(removal.headers["location"]))


def test_a_transition_not_allowed_is_a_readable_page(fresh: World) -> None:
    number = propose(fresh)
    csrf = sign_in(fresh, "op-a")
    withdrawn = post(fresh, f"/usulan/{number}/tarik", {"csrf": csrf, "note": "salah ketik"})
    assert withdrawn.status_code == 303
    assert "Ditarik" in text(fresh.client.get(f"/usulan/{number}"))
    again = post(fresh, f"/usulan/{number}/tarik", {"csrf": csrf})
    assert again.status_code == 409 and "text/html" in again.headers["content-type"]
    assert "tidak dapat dilakukan pada status sekarang" in text(again)

    waiting = propose(fresh)
    csrf = sign_in(fresh, "dinsos")
    early = post(
        fresh,
        f"/persetujuan/{waiting}/putuskan",
        {"csrf": csrf, "decision": "approve", "reason": "ok ok"},
    )
    assert early.status_code == 409 and "tidak dapat dilakukan pada status sekarang" in text(early)
    wrong = post(fresh, f"/persetujuan/{waiting}/tugaskan", {"csrf": csrf, "facilitator": "op-a"})
    assert wrong.status_code == 422
    found = re.search(r'id="e-facilitator"[^>]*>([^<]*)<', text(wrong))
    assert found and "bukan pendamping aktif" in found.group(1)


def test_a_form_without_its_token_is_refused_and_writes_nothing(fresh: World) -> None:
    csrf = sign_in(fresh, "op-a")
    before = _proposals(fresh)
    form = family_form(csrf)
    del form["csrf"]
    refused = post(fresh, "/usulan/baru", form)
    assert refused.status_code == 403 and "Tidak diizinkan" in text(refused)
    forged = post(fresh, "/usulan/baru", {**form, "csrf": "0" * 32})
    assert forged.status_code == 403
    assert _proposals(fresh) == before


def test_other_villages_and_roles_are_refused(fresh: World) -> None:
    number = propose(fresh)
    sign_in(fresh, "op-b")
    other = fresh.client.get(f"/usulan/{number}")
    assert other.status_code == 404 and "Tidak ditemukan" in text(other)
    assert number not in fresh.client.get("/usulan").text
    assert fresh.client.get("/persetujuan").status_code == 403
    assert fresh.client.get("/tugas").status_code == 403
    sign_in(fresh, "dinsos-c")
    assert fresh.client.get(f"/persetujuan/{number}").status_code == 404

    csrf = sign_in(fresh, "pendamping")
    assert fresh.client.get(f"/tugas/{number}").status_code == 404  # not assigned to it
    assert fresh.client.get("/persetujuan").status_code == 403
    refused = post(
        fresh,
        f"/persetujuan/{number}/putuskan",
        {"csrf": csrf, "decision": "approve", "reason": "ya ya"},
    )
    assert refused.status_code == 403
    assert fresh.client.get("/tugas/bukan-nomor").status_code == 404
    sign_in(fresh, "program")
    assert fresh.client.get("/usulan").status_code == 403
    fresh.client.cookies.clear()
    anonymous = fresh.client.get("/usulan", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/masuk")


def _file_objection(world: World, target: str) -> str:
    body = {
        "nik": world.niks["siti-ha"],
        "name": "Siti Aminah",
        "household_id": world.households[target],
        "reason_code": "well_off",
        "reason_text": "memiliki mobil dan rumah permanen",
        "photos": [photo(1)],
        "latitude": 5.551,
        "longitude": 95.322,
    }
    with public_client(world) as client:
        filed = client.post("/api/v1/public/objections", json=body)
    assert filed.status_code == 201, filed.text
    return str(filed.json()["number"])


def test_objections_are_listed_with_deadlines_verified_and_resolved(fresh: World) -> None:
    late = _file_objection(fresh, "ry")
    with fresh.session() as db:
        db.execute(
            update(Objection)
            .where(Objection.state == "filed")
            .values(due_on=TODAY - timedelta(days=3))
        )
    number = _file_objection(fresh, "rx")
    csrf = sign_in(fresh, "dinsos")
    listed = text(fresh.client.get("/sanggahan"))
    assert number in listed and late in listed and "terlambat 3 hari" in listed
    assert re.search(rf'<tr class="wf-late">\s*<td[^>]*><a href="/sanggahan/{late}"', listed)
    only_late = text(fresh.client.get("/sanggahan?terlambat=1"))
    assert late in only_late and number not in only_late
    detail = text(fresh.client.get(f"/sanggahan/{number}"))
    assert "Mampu" in detail and "Siti Aminah" in detail  # the district sees the objector
    assign(fresh, number)

    csrf = sign_in(fresh, "pendamping")
    tasks = text(fresh.client.get("/tugas"))
    assert f'href="/tugas/{number}"' in tasks
    form = text(fresh.client.get(f"/tugas/{number}"))
    assert "Rahmat Hidayat" in form and "Siti Aminah" not in form  # the objector is hidden
    sent = post(
        fresh,
        f"/tugas/{number}",
        ground_check_form(csrf, m0_r404="1", verdict="not_confirmed", ph0_sha256=""),
    )
    assert sent.status_code == 303, text(sent)[:2000]
    own = text(fresh.client.get(f"/sanggahan/{number}"))
    assert "Siti Aminah" not in own and "Tidak sesuai" in own

    csrf = sign_in(fresh, "dinsos")
    short = post(
        fresh, f"/sanggahan/{number}/putuskan", {"csrf": csrf, "decision": "uphold", "reason": "x"}
    )
    assert short.status_code == 422 and "Terlalu pendek" in text(short)
    done = post(
        fresh,
        f"/sanggahan/{number}/putuskan",
        {"csrf": csrf, "decision": "dismiss", "reason": "tidak terbukti di lapangan"},
    )
    assert done.status_code == 303
    page = text(fresh.client.get(done.headers["location"]))
    assert "Sanggahan" in page and "ditolak" in page and "tidak terbukti di lapangan" in page
    again = post(
        fresh,
        f"/sanggahan/{number}/putuskan",
        {"csrf": csrf, "decision": "uphold", "reason": "ya ya"},
    )
    assert again.status_code == 409 and "tidak dapat dilakukan" in text(again)
    sign_in(fresh, "op-b")
    assert fresh.client.get(f"/sanggahan/{number}").status_code == 404
