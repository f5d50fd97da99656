"""The release report: one offline HTML page, Indonesian by default, deterministic and escaped."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tepat.errors import InvalidInput
from tepat.release.report import render_report, write_report
from tepat.release.report_format import Formatter

RELEASE = "R20261128-3f2a9c1b"
EVIL = "<script>alert('x')</script>"
NIK = "1112011705900001"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source", "area", "base"}


def _metrics(mis: float, inc: float, exc: float, right: float | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"mistargeting": mis, "inclusion_error": inc, "exclusion_error": exc}
    if right is not None:
        found["right_decile_share"] = right
    return found


def full_data() -> dict[str, Any]:
    """A release summary with every section filled in."""
    shares = [0.10, 0.12, 0.11, 0.10, 0.09, 0.10, 0.11, 0.09, 0.09, 0.09]
    regions = [
        ("11.12.01", "Manggeng"),
        ("11.12.02", "Tangan-Tangan"),
        ("11.12.03", "Blangpidie"),
        ("11.12.04", "Susoh"),
        ("11.12.05", "Kuala Batee"),
        ("11.12.06", EVIL),
    ]
    programs = [
        ("pkh", "Program Keluarga Harapan", "household", 9000, 36000, 12_345_000_000),
        ("bpnt", "Bantuan Pangan Non-Tunai", "household", 11000, 44000, 26_400_000_000),
        (
            "pbi_jk",
            "Penerima Bantuan Iuran Jaminan Kesehatan",
            "person",
            52000,
            52000,
            26_956_800_000,
        ),
        ("kip_kuliah", "KIP Kuliah", "person", 310, 310, 4_960_000_000),
        ("sekolah_rakyat", "Sekolah Rakyat", "person", 120, 120, 0),
    ]
    data: dict[str, Any] = {
        "release_id": RELEASE,
        "data_cut": "2026-11-28",
        "previous_release_id": "R20260828-0a1b2c3d",
        "decile_base": "people",
        "scope": {"code": "11.12", "name": "Kabupaten Aceh Barat Daya"},
        "versions": {"model": "pmt-2026q4-7c1d", "rules": "rules-2026-05", "code": "0.1.0"},
        "counts": {"people": 129309, "households": 34120, "people_unranked": 12},
        "inputs": [
            {"file": "dtks_siksng.csv", "sha256": "ab" * 32, "rows": 60407},
            {"file": "regsosek.parquet", "sha256": "cd" * 32, "rows": 129309},
        ],
        "desil": [
            {
                "desil": d,
                "people": round(129309 * share),
                "households": round(34120 * share),
                "share_people": share,
            }
            for d, share in enumerate(shares, start=1)
        ],
        "programs": [
            {
                "program": code,
                "name": name,
                "unit": unit,
                "beneficiaries": count,
                "people_covered": covered,
                "cost_year": cost,
            }
            for code, name, unit, count, covered, cost in programs
        ],
        "regions": [
            {
                "code": code,
                "name": name,
                "people": 10000 + 1000 * i,
                "households": 2600 + 250 * i,
                "desil_1_4_share": 0.25 + 0.08 * i,
                "programs": {
                    "pkh": {"beneficiaries": 700 + 50 * i, "cost_year": 1_000_000_000 + i},
                    "bpnt": {"beneficiaries": 900 + 40 * i, "cost_year": 2_160_000_000},
                },
            }
            # Reversed, so the report has to sort by code.
            for i, (code, name) in reversed(list(enumerate(regions)))
        ],
        "targeting": {
            "cut": 4,
            "model": _metrics(0.25, 0.18, 0.40, 0.28),
            "baselines": {
                "plain_pmt": _metrics(0.29, 0.22, 0.47, 0.22),
                "housing_score": _metrics(0.34, 0.27, 0.55, 0.15),
            },
            "anchor_alatas_2012": _metrics(0.30, 0.18, 0.52),
            "after_verification": {
                **_metrics(0.21, 0.12, 0.36, 0.31),
                "proposals_verified": 123,
                "proposals_accepted": 100,
                "objections_upheld": 45,
            },
            "programs": [
                {
                    "program": "pkh",
                    "inclusion_error": 0.2,
                    "exclusion_error": 0.4,
                    "people_selected": 36000,
                    "people_who_should_be": 41000,
                }
            ],
            "by_region": [
                {
                    "code": "11.12.02",
                    "name": "Tangan-Tangan",
                    "inclusion_error": 0.19,
                    "exclusion_error": 0.41,
                },
                {
                    "code": "11.12.01",
                    "name": "Manggeng",
                    "inclusion_error": 0.17,
                    "exclusion_error": 0.38,
                },
            ],
        },
        "diff": {
            "previous_release_id": "R20260828-0a1b2c3d",
            "programs": [
                {
                    "program": "pkh",
                    "entered": 120,
                    "left": 80,
                    "reasons_entered": {"desil turun": 100, "keluarga baru": 20},
                    "reasons_left": {"desil naik": 50, "anggota meninggal": 30},
                }
            ],
            "desil_moves": [[d, d, 3000] for d in range(1, 11)] + [[2, 7, 14], [5, 3, 120]],
            "new_households": 10,
            "gone_households": 5,
            "households_changed_desil": 134,
        },
        "movements": [
            {
                "family": "regsosek:RS22-9f3c",
                "village": "Guhang",
                "from_desil": 2,
                "to_desil": 7,
                "reason": "aset baru: mobil",
            },
            {
                "family": NIK,
                "village": EVIL,
                "from_desil": 6,
                "to_desil": 1,
                "reason": 'kepala keluarga "meninggal"',
            },
        ],
        "outputs": [{"path": "lists/pkh/11.12.01.csv", "rows": 700}],
    }
    data["programs"][0]["name_en"] = "Family Hope Programme"
    data["movements"].append(
        {"family": "dtks:77", "village_code": "11.12.01.2001", "from_desil": 3, "to_desil": 3}
    )
    return data


def minimal_data() -> dict[str, Any]:
    """Only the header and the counts."""
    return {
        "release_id": RELEASE,
        "data_cut": "2026-11-28",
        "previous_release_id": None,
        "scope": {"code": "11.12", "name": "Kabupaten Aceh Barat Daya"},
        "versions": {"model": "pmt-x", "rules": "rules-x", "code": "0.1.0"},
        "counts": {"people": 129309, "households": 34120, "people_unranked": 0},
    }


class TagChecker(HTMLParser):
    """Fails on a closing tag that does not match the open one; counts the elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def checked(page: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    return checker


@pytest.fixture(scope="module")
def page_id() -> str:
    return render_report(full_data())


@pytest.fixture(scope="module")
def page_en() -> str:
    return render_report(full_data(), lang="en")


# Offline and well-formed ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("build", [full_data, minimal_data])
def test_page_is_self_contained(build: Any, lang: str) -> None:
    page = render_report(build(), lang=lang)
    assert page.startswith("<!DOCTYPE html>\n")
    for banned in ("http://", "https://", "<script", "<link", "<img", "@import", "url(", "src="):
        assert banned not in page
    assert '<meta charset="utf-8">' in page
    assert 'name="viewport"' in page


@pytest.mark.parametrize("build", [full_data, minimal_data])
def test_page_is_well_formed(build: Any) -> None:
    counts = checked(render_report(build())).counts
    for tag in ("html", "head", "body", "main", "header", "footer", "nav"):
        assert counts[tag] == 1
    assert counts["section"] == 10


def test_full_page_has_charts_and_tables(page_id: str) -> None:
    counts = checked(page_id).counts
    assert counts["svg"] == 4  # desil, people covered, cost, targeting
    assert counts["table"] >= 9
    assert page_id.count('viewBox="0 0 400 ') == 4
    assert page_id.count('width="100%"') == 4


# Content --------------------------------------------------------------------------------------


def test_desil_chart_has_ten_bars_and_the_ten_percent_line(page_id: str) -> None:
    assert page_id.count('class="bar desil-bar"') == 10
    chart = page_id[page_id.index('id="chart-desil"') : page_id.index("</svg>")]
    assert chart.count('class="ref"') == 1
    assert ">10%</text>" in chart
    assert "Desil 1: 10,0% · 12.931 jiwa" in chart


def test_header_and_programs(page_id: str) -> None:
    assert page_id.count(RELEASE) >= 2  # header and footer
    assert "Kabupaten Aceh Barat Daya" in page_id
    assert '<time datetime="2026-11-28">28 November 2026</time>' in page_id
    assert "R20260828-0a1b2c3d" in page_id
    for name in ("Program Keluarga Harapan", "PKH", "BPNT", "PBI-JK", "KIP Kuliah"):
        assert name in page_id
    assert page_id.count('class="bar reach-bar"') == 5
    assert page_id.count('class="bar cost-bar"') == 5


def test_indonesian_number_formatting(page_id: str) -> None:
    assert "129.309" in page_id
    assert "34.120" in page_id
    assert "Rp 12,3 miliar" in page_id  # PKH yearly cost
    assert "Rp 70,7 miliar" in page_id  # total yearly cost
    assert 'title="Rp 70.661.800.000"' in page_id
    assert "25,0%" in page_id
    assert "Angka utama" in page_id and "Glosarium" in page_id


def test_english_variant(page_en: str) -> None:
    assert '<html lang="en">' in page_en
    for label in ("Key figures", "Desil distribution", "Targeting error", "Glossary", "People"):
        assert label in page_en
    assert "129,309" in page_en
    assert "Rp 12.3 billion" in page_en
    assert "25.0%" in page_en
    assert "Angka utama" not in page_en
    # Official terms are not translated.
    assert "PKH" in page_en and "desil" in page_en and "NIK" in page_en


def test_regions_sorted_by_code_with_shading_and_bars(page_id: str) -> None:
    body = page_id[page_id.index('id="regions"') :]
    codes = re.findall(r'<th scope="row" class="nowrap">(11\.12\.\d\d)</th>', body)
    assert codes[:6] == sorted(codes[:6]) == [f"11.12.0{i}" for i in range(1, 7)]
    section_html = body[: body.index("</section>")]
    assert section_html.count('class="num heat" style="background:#') == 6
    assert 'class="ibar"' in section_html


def test_targeting_compares_methods_and_explains(page_id: str, page_en: str) -> None:
    assert page_id.count('class="bar targeting-bar s-model"') == 4
    assert page_id.count('class="bar targeting-bar s-anchor"') == 3  # no right-desil figure
    assert page_id.count("targeting-bar s-after_verification") == 4
    assert "Kesalahan inklusi" in page_id and "Kesalahan eksklusi" in page_id
    assert "desil 1–4" in page_id
    assert (
        "Setelah verifikasi lapangan: 123 usulan diverifikasi, 100 usulan diterima, "
        "45 sanggah diterima." in page_id
    )
    assert "Inclusion error" in page_en and "They are entitled but missed." in page_en
    assert '<th scope="col" class="num">People entitled</th>' in page_en
    assert ">41,000<" in page_en
    assert "Alatas et al. 2012" in page_en


def test_changes_with_reasons_and_transition_matrix(page_id: str) -> None:
    body = page_id[page_id.index('id="changes"') :]
    body = body[: body.index("</section>")]
    assert "Dibandingkan dengan rilis R20260828-0a1b2c3d." in body
    # Reasons are listed largest first.
    assert body.index("desil naik: 50") < body.index("anggota meninggal: 30")
    assert ">+40<" in body
    matrix = body[body.index('<table class="matrix">') :]
    matrix = matrix[: matrix.index("</table>")]
    assert matrix.count('class="num diag"') == 10
    assert matrix.count("<tr>") == 1 + 10 + 1  # head, ten desils, totals
    assert "14 keluarga naik ke desil lebih tinggi" in body
    assert "120 turun" in body and "30.000 tetap" in body


def test_optional_keys_from_the_cycle(page_id: str, page_en: str) -> None:
    assert "<dt>Dasar desil</dt><dd>jiwa (orang)</dd>" in page_id
    assert "<dt>Desil base</dt><dd>people</dd>" in page_en
    assert "Family Hope Programme" in page_en and "Family Hope Programme" not in page_id
    assert "11.12.01.2001" in page_id  # village_code when there is no village name
    assert '>134</span><span class="k">Keluarga pindah desil<' in page_id
    assert "Dasar desil" not in render_report(minimal_data())


def test_movements_and_files(page_id: str) -> None:
    assert "regsosek:RS22-9f3c" in page_id
    assert "Guhang" in page_id
    assert "▲ </span>+5" in page_id
    assert "▼ </span>−5" in page_id
    assert 'title="' + "ab" * 32 + '"' in page_id
    assert ">" + "ab" * 6 + "…<" in page_id
    assert "lists/pkh/11.12.01.csv" in page_id


# Safety ---------------------------------------------------------------------------------------


def test_every_value_is_escaped(page_id: str) -> None:
    assert "<script" not in page_id
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page_id
    assert "kepala keluarga &quot;meninggal&quot;" in page_id


def test_title_and_attributes_are_escaped() -> None:
    data = minimal_data()
    data["title"] = 'Laporan "A" <b>'
    data["data_cut"] = '"><b>'
    page = render_report(data)
    checked(page)
    assert "<b>" not in page
    assert "<title>Laporan &quot;A&quot; &lt;b&gt;</title>" in page


def test_a_nik_in_free_text_is_masked(page_id: str) -> None:
    assert NIK not in page_id
    assert "1112********0001" in page_id


# Missing and malformed parts ------------------------------------------------------------------


def test_minimal_data_says_what_is_missing() -> None:
    page = render_report(minimal_data())
    assert "129.309" in page
    assert page.count('<p class="na">Tidak tersedia dalam rilis ini.</p>') == 6
    assert "Tidak ada data acuan (ground truth): kesalahan penargetan tidak diukur." in page
    assert "Ini rilis pertama; belum ada pembanding." in page
    assert "tidak ada (rilis pertama)" in page
    assert "desil-bar" not in page


def test_minimal_data_in_english() -> None:
    page = render_report(minimal_data(), lang="en")
    assert page.count("Not available in this release.") == 6
    assert "No ground truth: targeting error not measured." in page
    assert "none (first release)" in page


def test_header_only_with_nothing_else() -> None:
    page = render_report({"release_id": RELEASE})
    checked(page)
    assert RELEASE in page
    assert page.count('class="na"') == 9  # every section but the glossary


def test_null_targeting_means_no_ground_truth() -> None:
    data = full_data()
    data["targeting"] = None
    page = render_report(data, lang="en")
    assert "No ground truth: targeting error not measured." in page
    assert "targeting-bar" not in page


def test_malformed_sections_do_not_fail() -> None:
    data = minimal_data()
    data.update(
        {
            "counts": "many",
            "desil": "oops",
            "programs": [1, None, {"program": "pkh", "beneficiaries": "x", "cost_year": True}],
            "regions": [{"code": None, "name": None, "programs": []}],
            "targeting": {"cut": "four", "model": [], "baselines": None},
            "diff": {"programs": {}, "desil_moves": [[0, 11, 5], "x", [2, 3, 7]]},
            "movements": [{"from_desil": "2"}],
            "inputs": [{"sha256": None}],
            "outputs": "none",
            "versions": None,
            "scope": [],
        }
    )
    page = render_report(data)
    checked(page)
    assert "2 entri dengan desil di luar 1–10 tidak ditampilkan." in page
    assert "7 keluarga naik ke desil lebih tinggi" in page


def test_previous_release_without_diff_is_not_available() -> None:
    data = minimal_data()
    data["previous_release_id"] = "R20260828-0a1b2c3d"
    page = render_report(data)
    changes = page[page.index('id="changes"') :]
    assert changes[: changes.index("</section>")].count('class="na"') == 1


@pytest.mark.parametrize(
    ("data", "lang"),
    [({}, "id"), ({"release_id": "  "}, "id"), ({"release_id": 7}, "id"), (minimal_data(), "fr")],
)
def test_bad_input_is_refused(data: dict[str, Any], lang: str) -> None:
    with pytest.raises(InvalidInput):
        render_report(data, lang=lang)


# Determinism ----------------------------------------------------------------------------------


def test_rendering_is_deterministic(page_id: str) -> None:
    assert render_report(full_data()) == page_id
    assert render_report(full_data()).encode("utf-8") == page_id.encode("utf-8")


def test_mapping_order_does_not_change_the_page(page_id: str) -> None:
    data = copy.deepcopy(full_data())
    data = dict(reversed(list(data.items())))
    data["regions"] = list(reversed(data["regions"]))
    for region in data["regions"]:
        region["programs"] = dict(reversed(list(region["programs"].items())))
    baselines = data["targeting"]["baselines"]
    data["targeting"]["baselines"] = dict(reversed(list(baselines.items())))
    for row in data["diff"]["programs"]:
        row["reasons_entered"] = dict(reversed(list(row["reasons_entered"].items())))
    data["diff"]["desil_moves"] = list(reversed(data["diff"]["desil_moves"]))
    assert render_report(data) == page_id


# Formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "indonesian", "english"),
    [
        (0, "Rp 0", "Rp 0"),
        (750_000, "Rp 750.000", "Rp 750,000"),
        (1_250_000, "Rp 1,3 juta", "Rp 1.3 million"),
        (12_345_000_000, "Rp 12,3 miliar", "Rp 12.3 billion"),
        (999_960_000_000, "Rp 1,0 triliun", "Rp 1.0 trillion"),
        (950_000_000_000, "Rp 950,0 miliar", "Rp 950.0 billion"),
        (2.5e12, "Rp 2,5 triliun", "Rp 2.5 trillion"),
        (-3_000_000, "Rp −3,0 juta", "Rp −3.0 million"),
        (None, "–", "–"),
        ("12", "–", "–"),
    ],
)
def test_money(value: object, indonesian: str, english: str) -> None:
    assert Formatter("id").money(value) == indonesian
    assert Formatter("en").money(value) == english


def test_numbers_percent_and_dates() -> None:
    fmt_id, fmt_en = Formatter("id"), Formatter("en")
    assert fmt_id.integer(1234567) == "1.234.567"
    assert fmt_en.integer(1234567) == "1,234,567"
    assert fmt_id.integer(12.5) == "13"  # half up
    assert fmt_id.integer(True) == "–"
    assert fmt_id.integer(float("nan")) == "–"
    assert fmt_id.percent(0.285) == "28,5%"
    assert fmt_en.percent(0.0005) == "0.1%"
    assert fmt_id.percent(-0.0001) == "0,0%"
    assert fmt_id.signed(40) == "+40"
    assert fmt_id.signed(-1200) == "−1.200"
    assert fmt_id.signed(0) == "0"
    assert fmt_id.decimal(1234.56, 2) == "1.234,56"
    assert fmt_id.date("2026-11-28") == "28 November 2026"
    assert fmt_id.date("2026-08-17") == "17 Agustus 2026"
    assert fmt_en.date("2026-08-17") == "17 August 2026"
    assert fmt_en.date("Q4 2026") == "Q4 2026"


# Writing --------------------------------------------------------------------------------------


def test_write_report_is_atomic_and_identical(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    written = write_report(full_data(), target, lang="en")
    assert written == target
    assert target.read_bytes() == render_report(full_data(), lang="en").encode("utf-8")
    write_report(minimal_data(), target)
    assert "Angka utama" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_write_report_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    with pytest.raises(InvalidInput):
        write_report({}, target)
    assert list(tmp_path.iterdir()) == []
