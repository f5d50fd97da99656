"""The page layer's foundation over HTTP: sign-in with a session cookie, form tokens, HTML error
pages in Bahasa Indonesia (English on request), as-you-type field checks, static files."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from typing import Any

import pytest

from tepat.pages.i18n import catalogue
from tepat.reference.nik import encode_nik

from .conftest import PASSWORD, World


def sign_in(world: World, username: str, password: str = PASSWORD, **form: str) -> Any:
    """POST the sign-in form (not following the redirect)."""
    data = {"username": username, "password": password, **form}
    return world.client.post("/masuk", data=data, follow_redirects=False)


@pytest.fixture()
def fresh(world: World) -> Any:
    """The world's client with no cookies before and after the test."""
    world.client.cookies.clear()
    yield world
    world.client.cookies.clear()


def test_sign_in_page_is_in_bahasa_indonesia_and_english_on_request(fresh: World) -> None:
    page = fresh.client.get("/masuk")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="id">' in page.text and "Masuk ke Tepat" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    switched = fresh.client.get("/bahasa/en?next=/masuk", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/masuk"
    english = fresh.client.get("/masuk")
    assert '<html lang="en">' in english.text and "Sign in to Tepat" in english.text


def test_wrong_password_keeps_the_username_and_says_why(fresh: World) -> None:
    answer = sign_in(fresh, "op-a", "wrong password")
    assert answer.status_code == 401
    assert 'value="op-a"' in answer.text
    assert "Nama pengguna atau kata sandi salah." in answer.text
    assert "tepat_sesi" not in answer.headers.get("set-cookie", "")
    empty = sign_in(fresh, "", "")
    assert empty.status_code == 422 and "Isi nama pengguna dan kata sandi." in empty.text


def test_sign_in_sets_an_httponly_cookie_and_goes_where_it_was_asked(fresh: World) -> None:
    answer = sign_in(fresh, "op-a", next="/rumah-tangga?q=siti")
    assert answer.status_code == 303 and answer.headers["location"] == "/rumah-tangga?q=siti"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("tepat_sesi=tpt_") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert sign_in(fresh, "op-a", next="//evil.example/x").headers["location"] == "/beranda"
    assert sign_in(fresh, "op-a", next="https://evil.example").headers["location"] == "/beranda"


def test_pages_answer_errors_with_html_and_the_api_keeps_json(fresh: World) -> None:
    page = fresh.client.get("/tidak-ada-halaman-ini")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Tidak ditemukan" in page.text
    api = fresh.client.get("/api/v1/tidak-ada")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_sign_out_needs_the_form_token_and_revokes_the_session(fresh: World) -> None:
    sign_in(fresh, "op-a")
    token = fresh.client.cookies.get("tepat_sesi")
    assert token
    refused = fresh.client.post("/keluar", data={"csrf": "0" * 32}, follow_redirects=False)
    assert refused.status_code == 403 and "Tidak diizinkan" in refused.text
    page = fresh.client.get("/masuk?next=/cek-status", follow_redirects=False)
    assert page.status_code == 303  # still signed in: the sign-in page sends you on
    secret = fresh.client.app.state.settings.secret_key.get_secret_value().encode()  # type: ignore[attr-defined]
    csrf = hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()[:32]
    done = fresh.client.post("/keluar", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/masuk"
    me = fresh.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_field_checks_name_the_problem_in_the_users_language(fresh: World) -> None:
    short = fresh.client.get("/periksa/nik", params={"nik": "12345"})
    assert short.status_code == 200 and "NIK harus 16 angka (sekarang 5)." in short.text
    good = encode_nik("11.12.01", date(1990, 5, 1), "F", 7)
    ok = fresh.client.get("/periksa/nik", params={"nik": good})
    assert "Format benar" in ok.text and good not in ok.text
    village = fresh.client.get("/periksa/wilayah", params={"village": "99.99.99.9999"})
    assert "tidak dikenal" in village.text
    named = fresh.client.get(
        "/periksa/kk", params={"kk_number": "12x"}, headers={"HX-Trigger-Name": "kk_number"}
    )
    assert 'id="e-kk_number"' in named.text and "hanya boleh berisi angka" in named.text
    assert fresh.client.get("/periksa/lain", params={"x": "1"}).status_code == 404


def test_static_files_are_served(fresh: World) -> None:
    htmx = fresh.client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    assert fresh.client.get("/static/tepat.css").status_code == 200


def test_the_two_catalogues_have_the_same_messages() -> None:
    ids, ens = catalogue("id"), catalogue("en")
    assert set(ids) == set(ens), set(ids) ^ set(ens)
    for key, text in ids.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", ens[key])), key
