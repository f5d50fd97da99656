"""Household pages over HTTP: search (scoped, paginated, masked), one household (members,
attributes in words with their sources, history, desil and programs), the as-of view, and the
refusals (another region's household, bad input)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from tepat.pages.queries.dashboard import CACHE

from .conftest import VILLAGE_A2, World
from .test_pages_foundation import sign_in
from .test_workflow_builders import add_household, add_release, wipe_workflow

RELEASE = "R20261020-hh00000001"
EXTRA = 25  # households added to village A2, for the pager


@pytest.fixture(scope="module")
def hh(world: World) -> Iterator[World]:
    """The world with 25 more households in village A2 and a release (ha in desil 2 with PKH)."""
    CACHE.clear()
    with world.session() as db:
        wipe_workflow(db)
        for i in range(EXTRA):
            add_household(
                db, world, f"x{i}", VILLAGE_A2, (f"Warga Uji {i:02d}", date(1970, 1, 1 + i), "M")
            )
        add_release(db, world, RELEASE, {"ha": (2, ["pkh", "bpnt"])}, data_cut=date(2026, 10, 20))
    yield world
    world.client.cookies.clear()
    with world.session() as db:
        wipe_workflow(db)
    CACHE.clear()


def get(world: World, username: str, url: str, lang: str = "id") -> Any:
    world.client.cookies.clear()
    assert sign_in(world, username).status_code == 303
    world.client.get(f"/bahasa/{lang}", follow_redirects=False)
    answer = world.client.get(url)
    world.client.cookies.clear()
    return answer


def test_search_finds_households_of_the_users_village_only(hh: World) -> None:
    page = get(hh, "op-a", "/rumah-tangga?q=siti")
    assert page.status_code == 200
    assert "Siti Aminah" in page.text and "Siti Rahmah" not in page.text
    assert f'href="/rumah-tangga/{hh.households["ha"]}"' in page.text
    assert 'data-label="Kepala keluarga"' in page.text and "1 rumah tangga ditemukan." in page.text
    by_kk = get(hh, "op-a", f"/rumah-tangga?q={hh.kks['ha']}")
    assert "Siti Aminah" in by_kk.text and hh.kks["ha"] in by_kk.text


def test_search_pages_through_a_village(hh: World) -> None:
    first = get(hh, "dinsos", f"/rumah-tangga?desa={VILLAGE_A2}")
    assert f"{EXTRA + 1} rumah tangga ditemukan." in first.text
    assert first.text.count('href="/rumah-tangga/') == 20
    assert 'rel="next"' in first.text and "1 / 2" in first.text
    second = get(hh, "dinsos", f"/rumah-tangga?desa={VILLAGE_A2}&page=2")
    assert second.text.count('href="/rumah-tangga/') == EXTRA + 1 - 20
    assert 'rel="prev"' in second.text
    odd = get(hh, "dinsos", f"/rumah-tangga?desa={VILLAGE_A2}&page=abc")
    assert odd.status_code == 200 and "1 / 2" in odd.text


def test_search_explains_bad_input_next_to_the_field_and_keeps_it(hh: World) -> None:
    short = get(hh, "op-a", "/rumah-tangga?q=s")
    assert short.status_code == 422 and "paling sedikit 2 huruf" in short.text
    assert 'value="s"' in short.text
    digits = get(hh, "op-a", "/rumah-tangga?q=12345")
    assert digits.status_code == 422 and "16 angka" in digits.text
    outside = get(hh, "op-a", "/rumah-tangga?desa=11.12.02.2001")
    assert outside.status_code == 422 and "di luar wilayah" in outside.text
    unknown = get(hh, "dinsos", "/rumah-tangga?desa=99.99.99.9999")
    assert unknown.status_code == 422 and "Siti" not in unknown.text
    masked = get(hh, "program", f"/rumah-tangga?q={hh.kks['ha']}")
    assert masked.status_code == 422 and "tidak boleh mencari dengan NIK" in masked.text
    assert hh.kks["ha"] not in masked.text  # a number it may not see is not echoed


def test_the_household_page_shows_members_attributes_sources_and_history(hh: World) -> None:
    page = get(hh, "op-a", f"/rumah-tangga/{hh.households['ha']}")
    assert page.status_code == 200
    text = page.text
    assert "Siti Aminah" in text and "Budi Santoso" in text
    assert hh.niks["siti-ha"] in text and hh.kks["ha"] in text  # the operator sees full numbers
    assert "Kepala keluarga" in text and "Perempuan" in text
    assert "Parket/vinil/karpet" in text  # floor_material 3 in words
    assert "Lemari es" in text and "rs-ha" in text and "Regsosek 2022" in text
    assert "Riwayat" in text and "masuk keluarga" in text
    assert 'id="desil"><b>2</b>' in text and "PKH" in text


def test_another_regions_household_gives_the_not_found_page(hh: World) -> None:
    other = get(hh, "op-a", f"/rumah-tangga/{hh.households['hb']}")
    assert other.status_code == 404 and "Tidak ditemukan" in other.text
    assert "Siti Rahmah" not in other.text
    unknown = get(hh, "op-a", "/rumah-tangga/99999999")
    assert unknown.status_code == 404 and "Tidak ditemukan" in unknown.text
    assert get(hh, "op-a", "/rumah-tangga/bukan-angka").status_code == 404
    assert get(hh, "dinsos-c", f"/rumah-tangga/{hh.households['ha']}").status_code == 404


def test_the_program_manager_sees_masked_numbers(hh: World) -> None:
    page = get(hh, "program", f"/rumah-tangga/{hh.households['ha']}")
    assert page.status_code == 200 and "Siti Aminah" in page.text
    assert hh.niks["siti-ha"] not in page.text and hh.kks["ha"] not in page.text
    assert hh.niks["siti-ha"][:4] + "********" + hh.niks["siti-ha"][-4:] in page.text
    assert "disamarkan" in page.text and "Ibu Rahayu" not in page.text


def test_the_as_of_view_and_bad_dates(hh: World) -> None:
    url = f"/rumah-tangga/{hh.households['ha']}"
    bad = get(hh, "op-a", url + "?tanggal=2024-13-45")
    assert bad.status_code == 422
    assert "Tanggal tidak valid" in bad.text and 'value="2024-13-45"' in bad.text
    assert "Siti Aminah" in bad.text  # the page is still there, today's state
    future = get(hh, "op-a", url + "?tanggal=2999-01-01")
    assert future.status_code == 422 and "tidak boleh di masa depan" in future.text
    then = get(hh, "op-a", url + "?tanggal=2024-06-01")
    assert then.status_code == 200 and 'id="as-of-note"' in then.text
    assert "Siti Aminah" in then.text
    junk = get(hh, "op-a", url + "?tanggal=" + "9" * 500)
    assert junk.status_code == 422


def test_the_household_page_in_english(hh: World) -> None:
    page = get(hh, "op-a", f"/rumah-tangga/{hh.households['ha']}", lang="en")
    assert "Parquet/vinyl/carpet" in page.text and "Family members" in page.text
    assert "Refrigerator" in page.text
