"""The citizens' pages over HTTP: the start page, the status check (band and programs only, never
a full NIK, a wrong name answered like an unknown NIK, the friendly 429 page), the usul and
sanggah forms (kept values, messages in Bahasa Indonesia, no 500 from anything typed), following
an objection, appealing a notice, and the explanations generated from the rules files."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tepat.eligibility.rules import load_rules
from tepat.pages.render import rupiah
from tepat.workflow.models import Notice, Objection, WorkflowStep

from .conftest import SIXTEEN_DIGITS, VILLAGE_A, World
from .test_workflow_builders import (
    CURRENT,
    RECIPIENT,
    add_household,
    add_release,
    kk,
    nik,
    public_client,
    wipe_workflow,
)

TODAY = date.today()
SHA = "ab" * 32
NASTY = (
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00\x01",
    "9" * 3000,
    "１１１２０１４５０５９００００１",  # full-width digits
    "-1",
    "😀" * 50,
    "%00../../etc/passwd",
    "1e309",
    "NaN",
)


@pytest.fixture(scope="module")
def wf(world: World) -> Iterator[World]:
    """The world plus a resident (rx) in village A, a current release and a notice for ha."""
    with world.session() as db:
        wipe_workflow(db)
        add_household(db, world, "rx", VILLAGE_A, RECIPIENT)
        families = {"ha": (2, ["BPNT", "PKH"]), "rx": (6, []), "hb": (5, ["PBI"])}
        add_release(db, world, CURRENT, families, data_cut=date(2026, 10, 20))
        notice = Notice(
            release_id=CURRENT,
            previous_release_id="R2026-08-prev",
            family_id="fam-ha",
            household_id=world.households["ha"],
            village_code=VILLAGE_A,
            program="PIP",
            reason_code="desil_up",
            reason="desil naik dari 3 ke 7",
            old_desil=3,
            new_desil=7,
            appeal_until=TODAY + timedelta(days=30),
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
        db.add(notice)
        db.flush()
        world.people["notice"] = notice.id
    yield world
    with world.session() as db:
        wipe_workflow(db)


@pytest.fixture
def client(wf: World) -> Iterator[Any]:
    """A public client (no cookies) with a generous rate limit."""
    with public_client(wf) as c:
        yield c


def main(response: Any) -> str:
    """The page's main content (without the layout)."""
    found = re.search(r"<main id=\"isi\">(.*)</main>", response.text, re.S)
    assert found, response.text[:500]
    return found.group(1)


def status(client: Any, nik_: str, name: str) -> Any:
    return client.post("/cek-status", data={"nik": nik_, "name": name})


def test_the_start_page_leads_to_every_public_service_and_to_staff_sign_in(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "server-timing" in page.headers
    for link in ('href="/cek-status"', 'href="/usul"', 'href="/sanggah"', 'href="/cara-kerja"'):
        assert link in page.text
    assert 'href="/masuk"' in main(page) and "Masuk petugas" in page.text
    client.get("/bahasa/en?next=/")
    assert "Staff sign-in" in client.get("/").text


def test_a_status_check_shows_the_band_and_programs_and_never_a_full_nik(
    wf: World, client: Any
) -> None:
    page = status(client, wf.niks["siti-ha"], "  siti   AMINAH ")
    assert page.status_code == 200
    body = main(page)
    assert "Keluarga Anda terdaftar" in body and 'id="desil-band">desil 1-4<' in body
    assert "PKH" in body and "BPNT" in body and "Guhang" in body
    assert not SIXTEEN_DIGITS.search(page.text), "a NIK or KK was echoed"
    assert "Budi" not in body and "Aminah" not in body.replace("AMINAH", "")
    assert "percentile" not in body and "pemberitahuan" in body  # the PIP notice
    assert 'href="/banding/' in body
    other = main(status(client, wf.niks["siti-hb"], "Siti Rahmah"))
    assert "desil 5" in other and "PBI" in other and "PKH" not in other
    unranked = main(status(client, wf.niks["ahmad-ha2"], "Ahmad Yani"))
    assert "Belum diperingkat" in unranked


def test_a_wrong_name_is_answered_exactly_like_an_unknown_nik(wf: World, client: Any) -> None:
    wrong = status(client, wf.niks["siti-ha"], "Siti Rahmah")
    unknown = status(client, nik(VILLAGE_A, date(1991, 1, 1), "F"), "Siti Aminah")
    assert wrong.status_code == unknown.status_code == 200
    assert main(wrong) == main(unknown)
    assert "Data tidak ditemukan" in main(wrong) and "desil-band" not in main(wrong)
    assert not SIXTEEN_DIGITS.search(wrong.text)


def test_an_invalid_nik_gets_a_field_message_in_bahasa_and_keeps_what_was_typed(
    client: Any,
) -> None:
    page = status(client, "1112 0145", "Siti <Aminah>")
    assert page.status_code == 422
    assert 'value="1112 0145"' in page.text and 'value="Siti &lt;Aminah&gt;"' in page.text
    assert "NIK harus 16 angka (sekarang 8)." in page.text and 'aria-invalid="true"' in page.text
    missing = status(client, "", "")
    assert "NIK wajib diisi." in missing.text and "Nama wajib diisi." in missing.text
    client.get("/bahasa/en?next=/cek-status")
    english = status(client, "12ab", "Siti")
    assert english.status_code == 422 and "The NIK" not in english.text
    assert "Check your assistance status" in english.text


def test_the_rate_limit_gives_a_friendly_page_with_status_429(wf: World) -> None:
    body = {"nik": wf.niks["siti-ha"], "name": "Siti Aminah"}
    with public_client(wf, limit=2, ip="10.7.7.7") as client:
        assert client.post("/cek-status", data={"nik": "1", "name": "x"}).status_code == 422
        answers = [client.post("/cek-status", data=body) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        limited = answers[-1]
        assert limited.headers["content-type"].startswith("text/html")
        assert "Terlalu banyak permintaan" in limited.text and 'id="rate-limited"' in limited.text
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert not SIXTEEN_DIGITS.search(limited.text)
        # the pages and the API share the address's budget
        assert client.post("/api/v1/public/status", json=body).status_code == 429
        sanggah = client.post("/sanggah", data={**body, "langkah": "cari"})
        assert sanggah.status_code == 429 and "Terlalu banyak permintaan" in sanggah.text


def _family_form(head_nik: str, spouse_nik: str, **extra: str) -> dict[str, str]:
    return {
        "jenis": "baru",
        "baris": "3",
        "nik": head_nik,
        "name": "Joko Susilo",
        "village": VILLAGE_A,
        "kk_number": kk(VILLAGE_A),
        "address": "Dusun Mawar",
        "rt": "1",
        "rw": "2",
        "m0_name": "Joko Susilo",
        "m0_nik": head_nik,
        "m0_sex": "M",
        "m0_born": "1979-02-14",
        "m0_rel": "1",
        "m1_name": "Sri Wahyuni",
        "m1_nik": spouse_nik,
        "m1_sex": "F",
        "m1_born": "1983-09-21",
        "m1_rel": "2",
        "aksi": "kirim",
        **extra,
    }


def test_a_citizen_proposes_a_new_family_and_a_refused_form_keeps_everything(
    wf: World, client: Any
) -> None:
    head = nik(VILLAGE_A, date(1979, 2, 14), "M")
    spouse = nik(VILLAGE_A, date(1983, 9, 21), "F")
    form = _family_form(head, spouse, m1_born="", m1_rel="9", rt="12345")
    refused = client.post("/usul", data=form)
    assert refused.status_code == 422
    assert "Tanggal lahir wajib diisi." in refused.text
    assert "Pilih hubungan dengan kepala keluarga." in refused.text
    assert "RT/RW berisi 1–3 angka." in refused.text
    assert 'value="Sri Wahyuni"' in refused.text and 'value="Dusun Mawar"' in refused.text
    assert f'value="{spouse}"' in refused.text  # what the citizen typed comes back
    mismatch = client.post("/usul", data=_family_form(head, spouse, m1_sex="M"))
    assert "Jenis kelamin dalam NIK tidak cocok" in mismatch.text
    stranger = client.post("/usul", data=_family_form(head, spouse, nik=spouse, name="Joko"))
    assert "harus tercantum sebagai salah satu anggota" in stranger.text
    more = client.post("/usul", data=_family_form(head, spouse, aksi="tambah"))
    assert more.status_code == 200 and 'name="m3_name"' in more.text
    assert 'value="Sri Wahyuni"' in more.text

    done = client.post("/usul", data=_family_form(head, spouse))
    assert done.status_code == 201, main(done)
    number = re.search(r'id="nomor-usulan">([^<]+)<', done.text)
    assert number and re.match(r"^USL-11\.12\.01\.2006-\d{4}-\d{6}$", number.group(1))
    assert 'data-draft-clear="usul-baru"' in done.text
    followed = main(status(client, head, "joko susilo"))
    assert number.group(1) in followed and "Diajukan" in followed


def test_a_registered_citizen_proposes_an_update_and_an_unknown_one_is_told_so(
    wf: World, client: Any
) -> None:
    base = {"jenis": "ubah", "name": "Siti Aminah", "reason": "pindah rumah"}
    empty = client.post("/usul", data={**base, "nik": wf.niks["siti-ha"]})
    assert empty.status_code == 422 and "Isi paling sedikit satu data yang berubah" in empty.text
    done = client.post("/usul", data={**base, "nik": wf.niks["siti-ha"], "address": "Jl. Baru 5"})
    assert done.status_code == 201 and "Pembaruan data" in done.text
    unknown = client.post(
        "/usul", data={**base, "nik": wf.niks["siti-ha"], "name": "Siti Rahmah", "rt": "3"}
    )
    assert unknown.status_code == 404
    assert "Tidak ada anggota keluarga terdaftar" in unknown.text and 'value="3"' in unknown.text


def _objection(wf: World, **extra: str) -> dict[str, str]:
    return {
        "nik": wf.niks["rx"],
        "name": RECIPIENT[0],
        "langkah": "kirim",
        "household_id": str(wf.households["ha"]),
        "reason_code": "well_off",
        "reason_text": "punya mobil dan toko besar",
        "foto_nama": "rumah-depan.jpg",
        "foto_sha256": SHA,
        "foto_waktu": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lintang": "5.5483",
        "bujur": "95.3238",
        **extra,
    }


def _clear_objections(wf: World) -> None:
    with wf.session() as db:
        db.query(WorkflowStep).filter(WorkflowStep.item == "objection").delete()
        db.query(Objection).delete()


def test_a_resident_sees_the_masked_recipients_of_the_village_and_files_an_objection(
    wf: World, client: Any
) -> None:
    _clear_objections(wf)
    listed = client.post(
        "/sanggah", data={"nik": wf.niks["rx"], "name": "rahmat hidayat", "langkah": "cari"}
    )
    assert listed.status_code == 200
    body = main(listed)
    assert "SI*** AM***" in body and "Aminah" not in body and "Guhang" in body
    assert f'value="{wf.households["ha"]}"' in body and not SIXTEEN_DIGITS.search(
        body.replace(f'value="{wf.niks["rx"]}"', "")
    )
    refused = client.post("/sanggah", data=_objection(wf, lintang="", reason_code="x"))
    assert refused.status_code == 422
    assert "Pilih alasan sanggahan." in refused.text and "Isi lokasi rumah" in refused.text
    assert "punya mobil dan toko besar" in refused.text  # the reason is kept
    outside = client.post("/sanggah", data=_objection(wf, lintang="48.85", bujur="2.35"))
    assert "di luar Indonesia" in outside.text

    filed = client.post("/sanggah", data=_objection(wf))
    assert filed.status_code == 201, main(filed)
    number = re.search(r'id="nomor-sanggahan">([^<]+)<', filed.text)
    assert number and number.group(1).startswith("SGH-11.12.01.2006-")
    deadline = TODAY + timedelta(days=14)
    assert re.search(rf'id="batas-waktu">{deadline.day} \w+ {deadline.year}<', filed.text)
    again = client.post("/sanggah", data=_objection(wf))
    assert again.status_code == 409 and "sudah menyanggah penerima ini" in again.text

    follow = {"number": number.group(1), "nik": wf.niks["rx"], "name": RECIPIENT[0]}
    state = client.post("/sanggah/status", data=follow)
    assert state.status_code == 200 and "Diterima" in main(state)
    assert not SIXTEEN_DIGITS.search(main(state))
    wrong = client.post("/sanggah/status", data={**follow, "name": "Orang Lain"})
    assert wrong.status_code == 404 and "tidak ditemukan" in wrong.text
    malformed = client.post("/sanggah/status", data={**follow, "number": "SGH-1"})
    assert malformed.status_code == 422 and "SGH-11.12.01.2006-2026-000045" in malformed.text


def test_an_objection_against_the_own_family_or_another_village_is_refused_politely(
    wf: World, client: Any
) -> None:
    own = {"nik": wf.niks["budi-ha"], "name": "Budi Santoso"}
    mine = client.post("/sanggah", data=_objection(wf, **own))
    assert mine.status_code == 422 and "keluarga Anda sendiri" in mine.text
    far = client.post("/sanggah", data=_objection(wf, household_id=str(wf.households["hb"])))
    assert far.status_code == 403 and "desa/kelurahan Anda sendiri" in far.text


def test_without_javascript_the_photo_is_sent_and_only_its_fingerprint_is_kept(
    wf: World, client: Any
) -> None:
    photo = b"\xff\xd8\xff" + b"rumah" * 100
    data = _objection(wf, foto_nama="", foto_sha256="", foto_waktu="", reason_code="moved")
    data["household_id"] = str(wf.households["ha"])
    _clear_objections(wf)
    answer = client.post("/sanggah", data=data, files={"foto": ("C:\\hp\\IMG_1.jpg", photo)})
    assert answer.status_code == 201, main(answer)
    with wf.session() as db:
        row = db.query(Objection).one()
        assert row.photos[0]["file_name"] == "IMG_1.jpg"
        assert row.photos[0]["sha256"] == hashlib.sha256(photo).hexdigest()


def test_a_family_member_appeals_a_notice_once(wf: World, client: Any) -> None:
    notice_id = wf.people["notice"]
    form = client.get(f"/banding/{notice_id}")
    assert form.status_code == 200 and 'name="reason"' in form.text
    body = {"nik": wf.niks["budi-ha"], "name": "Budi Santoso", "reason": "x"}
    short = client.post(f"/banding/{notice_id}", data=body)
    assert short.status_code == 422 and "paling sedikit 3 huruf" in short.text
    stranger = client.post(
        f"/banding/{notice_id}",
        data={**body, "nik": wf.niks["rx"], "name": RECIPIENT[0], "reason": "salah data"},
    )
    assert stranger.status_code == 404 and "Pemberitahuan ini tidak ditemukan" in stranger.text
    done = client.post(f"/banding/{notice_id}", data={**body, "reason": "penghasilan turun"})
    assert done.status_code == 201 and re.search(r'id="nomor-banding">BDG-', done.text)
    twice = client.post(f"/banding/{notice_id}", data={**body, "reason": "penghasilan turun"})
    assert twice.status_code == 409 and "sudah diajukan" in twice.text
    assert client.get("/banding/0").status_code == 404
    assert client.get("/banding/99999999999999999999").status_code == 404


def test_no_value_typed_in_any_public_form_gives_a_server_error(wf: World, client: Any) -> None:
    forms = {
        "/cek-status": ("nik", "name"),
        "/usul": ("nik", "name", "village", "kk_number", "rt", "m0_nik", "m0_born", "baris"),
        "/sanggah": ("nik", "name", "household_id", "lintang", "foto_waktu", "halaman"),
        "/sanggah/status": ("number", "nik", "name"),
        f"/banding/{wf.people['notice']}": ("nik", "name", "reason"),
    }
    valid = {"nik": wf.niks["rx"], "name": RECIPIENT[0]}
    for path, fields in forms.items():
        for nasty in NASTY:
            for name in fields:
                for extra in ({"langkah": "kirim", "jenis": "ubah"}, {"jenis": "baru"}):
                    data = {**valid, **_objection(wf), **extra, name: nasty}
                    data.pop("aksi", None)
                    answer = client.post(path, data=data)
                    assert answer.status_code < 500, (path, name, nasty, answer.text[:300])
                    assert "<script>alert(1)</script>" not in answer.text
    for path in ("/banding/abc", "/banding/-1", "/usul?jenis=<x>", "/sanggah/status?nomor=%00"):
        assert client.get(path).status_code < 500
    garbage = client.post(
        "/cek-status", content=b"\xff\xfe", headers={"content-type": "multipart/form-data"}
    )
    assert garbage.status_code < 500


def test_how_it_works_is_generated_from_the_rules_files(client: Any) -> None:
    page = client.get("/cara-kerja")
    assert page.status_code == 200
    text = main(page)
    rules = load_rules()
    pkh, bpnt = rules.programs["pkh"], rules.programs["bpnt"]
    assert f"desil 1–{pkh.parameters['max_desil'].value}" in text
    assert f"desil 1–{bpnt.parameters['max_desil'].value}" in text
    assert rupiah(bpnt.parameters["monthly_amount"].value, "id") in text
    for program in rules.programs.values():
        assert f'id="program-{program.id}"' in text and program.name in text
    for component in pkh.components:
        assert component.label in text
    for term in ("PMT", "39 variabel", "triwulan", "14 hari", "PKH", "KIP Kuliah", "PBI-JK"):
        assert term in text, term
    assert CURRENT in text  # the current release
    client.get("/bahasa/en?next=/cara-kerja")
    english = main(client.get("/cara-kerja"))
    assert "How the ranking (desil) is computed" in english and pkh.name_en in english


def test_the_glossary_explains_the_official_terms_in_both_languages(client: Any) -> None:
    page = client.get("/istilah")
    assert page.status_code == 200
    text = main(page)
    for term in ("NIK", "KK", "Desil", "Usulan", "Sanggah", "Pendamping", "Musdes", "DTSEN"):
        assert f">{term}" in text, term
    for term in ("DTKS", "Regsosek", "P3KE", "PMT", "Ground check"):
        assert term in text
    assert "Nomor Induk Kependudukan" in text and "population identity number" in text
    assert text.count('lang="en"') == text.count('lang="id"') >= 20
