"""Synthetic Indonesian registry names: groups, province mix, gender, structure, speed."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from tepat.synth import names
from tepat.synth.names import (
    GROUPS,
    draw_family_names,
    draw_groups,
    draw_person_names,
    group_data,
    group_index,
    province_group_weights,
)

PROVINCES = (
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
    "21",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "51",
    "52",
    "53",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "72",
    "73",
    "74",
    "75",
    "76",
    "81",
    "82",
    "91",
    "92",
    "93",
    "94",
    "95",
    "96",
)
BIRTH_ORDER = {
    1: {"WAYAN", "PUTU", "GEDE", "LUH"},
    2: {"MADE", "KADEK", "NENGAH", "LUH"},
    3: {"NYOMAN", "KOMANG", "LUH"},
    4: {"KETUT", "LUH"},
}
TITLE_TOKENS = {"H", "HJ", "DRS", "DRA", "IR", "DR", "BIN", "BINTI", "BT", "KH", "HAJI", "HAJJAH"}
DEGREE = re.compile(r"\b(S|A)\.[A-Z]+\.?")


@dataclass
class Population:
    groups: np.ndarray
    sexes: np.ndarray
    family: np.ndarray
    birth_orders: np.ndarray
    married_in: np.ndarray
    full: np.ndarray


def _population(
    seed: int, n: int, provinces: list[str] | tuple[str, ...] | None = None
) -> Population:
    rng = np.random.default_rng(seed)
    provs = np.array(provinces or PROVINCES, dtype=object)
    codes = provs[rng.integers(0, len(provs), n)]
    groups = draw_groups(rng, codes)
    family = draw_family_names(rng, groups)
    sexes = np.where(rng.random(n) < 0.5, "M", "F")
    birth_orders = rng.integers(1, 9, n)
    married_in = rng.random(n) < 0.25
    full = draw_person_names(rng, groups, sexes, family, birth_orders, married_in)
    return Population(groups, sexes, family, birth_orders, married_in, full)


@pytest.fixture(scope="module")
def pop() -> Population:
    # Every group well represented: one province per group family plus the national mix.
    return _population(7, 120_000, [*PROVINCES, "51", "12", "71", "53", "81", "95", "73", "13"])


def _list_words(data: dict[str, Any], key: str) -> set[str]:
    words: set[str] = set()
    for k in (key, f"{key}_lead", f"{key}_tail"):
        for name in data.get(k, []):
            words.update(name.split())
    return words


# --- Groups and lists ----------------------------------------------------------------------


def test_groups_sorted_and_indexed() -> None:
    assert tuple(sorted(GROUPS)) == GROUPS
    assert len(GROUPS) == 18
    for i, g in enumerate(GROUPS):
        assert group_index(g) == i
    with pytest.raises(ValueError, match="unknown name group"):
        group_index("klingon")


@pytest.mark.parametrize("group", GROUPS)
def test_group_lists_are_clean(group: str) -> None:
    data = group_data(group)
    for sex in ("male", "female"):
        assert 40 <= len(data[sex]) <= 120
        for key in (sex, f"{sex}_lead", f"{sex}_tail"):
            values = data.get(key, [])
            assert len(values) == len(set(values)), f"duplicates in {group}.{key}"
            for v in values:
                assert re.fullmatch(r"[A-Z][A-Z' -]*[A-Z]", v), (group, key, v)
                assert " " not in v, f"{group}.{key}: one word per entry, not {v!r}"
    assert data["has_family_name"] == bool(data["family_names"])
    assert len(data["family_names"]) == len(set(data["family_names"]))
    assert 0 < data["share_one_word"] < 1 and 0 <= data["share_three_words"] < 0.2


@pytest.mark.parametrize("group", GROUPS)
def test_male_and_female_lists_disjoint_except_unisex(group: str) -> None:
    data = group_data(group)
    both = _list_words(data, "male") & _list_words(data, "female")
    assert both <= set(data.get("unisex", [])), f"{group}: undocumented unisex {both}"


def test_expected_traditions_present() -> None:
    assert {
        "SIREGAR",
        "NASUTION",
        "SIMANJUNTAK",
        "SITORUS",
        "HARAHAP",
        "LUBIS",
        "SINAGA",
        "TARIGAN",
        "GINTING",
    } <= set(group_data("batak")["family_names"])
    assert {"WENDA", "KOGOYA", "WONDA", "TABUNI", "RUMBIAK", "MANDACAN"} <= set(
        group_data("papuan")["family_names"]
    )
    assert {"RUNTUWENE", "WOWOR", "SONDAKH"} <= set(group_data("minahasa")["family_names"])
    jav = group_data("javanese")
    assert {"SUPARMAN", "WAGIMAN", "MA'RUF"} <= set(jav["male"])
    assert {"SUMINAH", "SUKARNI"} <= set(jav["female"])
    assert {"MUHAMMAD", "MUHAMAD", "ACHMAD", "AHMAD", "ABDUL", "NUR"} <= set(jav["male_lead"])
    assert {"SITI", "NUR", "NURUL", "FITRI"} <= set(jav["female_lead"])
    assert "ANDI" in group_data("bugis_makassar")["prefixes"]["male"]
    assert "TEUKU" in group_data("acehnese")["prefixes"]["male"]
    assert "CUT" in group_data("acehnese")["prefixes"]["female"]


# --- Province mix --------------------------------------------------------------------------


def test_every_province_has_weights() -> None:
    for code in PROVINCES:
        w = province_group_weights(code)
        assert w.shape == (len(GROUPS),)
        assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown province"):
        province_group_weights("99")


def test_province_mix_is_plausible() -> None:
    def top(code: str) -> str:
        return GROUPS[int(np.argmax(province_group_weights(code)))]

    assert top("11") == "acehnese" and province_group_weights("11")[group_index("acehnese")] > 0.7
    assert top("18") == "javanese"  # Lampung: transmigrants
    assert top("12") == "batak" and top("13") == "minang" and top("32") == "sundanese"
    assert top("51") == "balinese" and top("52") == "sasak" and top("53") == "ntt_flores"
    assert top("63") == "banjar" and top("71") == "minahasa" and top("73") == "bugis_makassar"
    assert top("81") == "maluku" and top("95") == "papuan"
    assert province_group_weights("35")[group_index("madurese")] > 0.1


def test_draw_groups_follows_weights() -> None:
    rng = np.random.default_rng(3)
    g = draw_groups(rng, np.array(["18"] * 50_000 + ["11"] * 50_000, dtype=object))
    assert g.dtype == np.int64
    for code, part in (("18", g[:50_000]), ("11", g[50_000:])):
        share = np.bincount(part, minlength=len(GROUPS)) / len(part)
        assert np.abs(share - province_group_weights(code)).max() < 0.01


# --- Names ---------------------------------------------------------------------------------


def test_names_are_clean_uppercase(pop: Population) -> None:
    for name in pop.full.tolist():
        assert name == name.upper() and name == name.strip() and "  " not in name
        assert re.fullmatch(r"[A-Z' -]+", name), name
        words = name.split(" ")
        assert not any(a == b for a, b in pairwise(words)), name
        assert not TITLE_TOKENS & set(words), name
        assert "." not in name and not DEGREE.search(name), name


def test_family_names_only_for_family_groups() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(len(GROUPS)), 50)
    fam = draw_family_names(rng, groups)
    assert fam.dtype == object
    for gi, g in enumerate(GROUPS):
        data = group_data(g)
        got = set(fam[groups == gi].tolist())
        if data["has_family_name"]:
            assert got <= set(data["family_names"]) and "" not in got
        else:
            assert got == {""}


def test_balinese_names(pop: Population) -> None:
    data = group_data("balinese")
    male_nobles = tuple(p + " " for p in data["prefixes"]["male"])
    female_nobles = tuple(p + " " for p in data["prefixes"]["female"])
    bali = pop.groups == group_index("balinese")
    assert bali.sum() > 5_000
    for name, sex, order in zip(
        pop.full[bali].tolist(),
        pop.sexes[bali].tolist(),
        pop.birth_orders[bali].tolist(),
        strict=True,
    ):
        if sex == "F":
            assert name.startswith(("NI ", *female_nobles)), name
            noble = name.startswith(female_nobles)
        else:
            assert name.startswith(("I ", *male_nobles)) and not name.startswith("NI "), name
            noble = name.startswith(male_nobles)
        if not noble:
            # Birth-order name right after I / NI, cycling every four children.
            assert name.split(" ")[1] in BIRTH_ORDER[(order - 1) % 4 + 1], (name, order)
    female = pop.full[bali & (pop.sexes == "F")]
    assert np.mean([n.startswith("NI ") for n in female]) > 0.85


def test_batak_children_share_the_household_marga(pop: Population) -> None:
    batak = pop.groups == group_index("batak")
    margas = set(group_data("batak")["family_names"])
    assert batak.sum() > 3_000
    own = batak & ~pop.married_in
    ends = np.array(
        [n.split(" ")[-1] == f for n, f in zip(pop.full[own], pop.family[own], strict=True)]
    )
    assert ends.mean() > 0.9  # a few leave the marga off
    for name, fam in zip(pop.full[own].tolist(), pop.family[own].tolist(), strict=True):
        last = name.split(" ")[-1]
        assert last == fam or last not in margas, (name, fam)
    # Daughters keep their father's marga too.
    daughters = own & (pop.sexes == "F")
    assert (
        np.mean(
            [
                n.endswith(" " + f)
                for n, f in zip(pop.full[daughters], pop.family[daughters], strict=True)
            ]
        )
        > 0.9
    )
    # Spouses from another family carry another marga.
    wives = batak & pop.married_in
    assert not any(
        n.endswith(" " + f) for n, f in zip(pop.full[wives], pop.family[wives], strict=True)
    )
    assert np.mean([n.split(" ")[-1] in margas for n in pop.full[wives]]) > 0.9


@pytest.mark.parametrize(
    "group", ["papuan", "minahasa", "maluku", "ntt_flores", "chinese_indonesian"]
)
def test_family_name_groups_use_household_name(pop: Population, group: str) -> None:
    sel = (pop.groups == group_index(group)) & ~pop.married_in
    assert sel.sum() > 300
    share = np.mean(
        [n.endswith(" " + f) for n, f in zip(pop.full[sel], pop.family[sel], strict=True)]
    )
    assert share > 0.6


def test_gendered_names(pop: Population) -> None:
    for gi, g in enumerate(GROUPS):
        data = group_data(g)
        male_words, female_words = _list_words(data, "male"), _list_words(data, "female")
        unisex = set(data.get("unisex", []))
        fam_words = {w for f in data["family_names"] for w in f.split()}
        # Balinese birth-order names (GEDE, PUTU ...) are positional, not gendered.
        fam_words |= {
            w
            for tables in data.get("birth_order_names", {}).values()
            for table in tables
            for name in table
            for w in name.split()
        }
        female_only = female_words - male_words - unisex - fam_words
        male_only = male_words - female_words - unisex - fam_words
        for p in data["prefixes"].get("male", {}):
            female_only -= set(p.split())
        for p in data["prefixes"].get("female", {}):
            male_only -= set(p.split())
        in_group = pop.groups == gi
        for name in pop.full[in_group & (pop.sexes == "M")].tolist():
            assert not female_only & set(name.split()), (g, name)
        for name in pop.full[in_group & (pop.sexes == "F")].tolist():
            assert not male_only & set(name.split()), (g, name)


def test_javanese_single_word_share() -> None:
    p = _population(11, 40_000, ["33"])
    jav = p.groups == group_index("javanese")
    one = np.mean([" " not in n for n in p.full[jav]])
    print(f"Javanese one-word names: {one:.1%}")
    assert 0.15 <= one <= 0.5


def test_common_names_repeat(pop: Population) -> None:
    for sex in ("M", "F"):
        first = Counter(n.split(" ")[0] for n in pop.full[pop.sexes == sex].tolist())
        total = sum(first.values())
        top10 = sum(c for _, c in first.most_common(10)) / total
        print(sex, f"top-10 first words cover {top10:.1%}:", first.most_common(10))
        # MUHAMMAD, SITI, I / NI ... dominate, but no single name takes over.
        assert 0.2 <= top10 <= 0.7
    jav = pop.full[(pop.groups == group_index("javanese")) & (pop.sexes == "M")]
    full = Counter(jav.tolist())
    assert 0.03 <= sum(c for _, c in full.most_common(10)) / len(jav) <= 0.2
    top5 = Counter(n.split(" ")[0] for n in jav.tolist()).most_common(5)
    assert any(w in ("MUHAMMAD", "MUHAMAD") for w, _ in top5)


def test_word_counts_are_mixed(pop: Population) -> None:
    counts = Counter(len(n.split(" ")) for n in pop.full.tolist())
    total = sum(counts.values())
    assert counts[1] / total > 0.05 and counts[2] / total > 0.3 and counts[3] / total > 0.1


def test_apostrophes_occur_rarely(pop: Population) -> None:
    share = np.mean(["'" in n for n in pop.full.tolist()])
    assert 0 < share < 0.02


def test_prefixes_are_rare_but_present(pop: Population) -> None:
    bugis = pop.full[pop.groups == group_index("bugis_makassar")]
    andi = np.mean([n.startswith("ANDI ") for n in bugis])
    assert 0.02 < andi < 0.12
    aceh = pop.groups == group_index("acehnese")
    assert any(n.startswith("TEUKU ") for n in pop.full[aceh & (pop.sexes == "M")])
    assert not any(n.startswith("TEUKU ") for n in pop.full[aceh & (pop.sexes == "F")])


def test_deterministic_given_seed() -> None:
    a = _population(42, 5_000)
    b = _population(42, 5_000)
    c = _population(43, 5_000)
    assert a.full.tolist() == b.full.tolist()
    assert "\n".join(a.full.tolist()).encode() == "\n".join(b.full.tolist()).encode()
    assert np.mean(a.full != c.full) > 0.5


def test_input_validation() -> None:
    rng = np.random.default_rng(0)
    one = np.array([group_index("javanese")])
    fam = np.array([""], dtype=object)
    with pytest.raises(ValueError, match="sexes"):
        draw_person_names(rng, one, np.array(["X"]), fam, np.ones(1, int), np.zeros(1, bool))
    with pytest.raises(ValueError, match="length"):
        draw_person_names(rng, one, np.array(["M", "F"]), fam, np.ones(1, int), np.zeros(1, bool))
    with pytest.raises(ValueError, match="group indices"):
        draw_family_names(rng, np.array([len(GROUPS)]))
    empty = draw_person_names(
        rng,
        np.array([], np.int64),
        np.array([], str),
        np.array([], object),
        np.array([], np.int64),
        np.array([], bool),
    )
    assert empty.shape == (0,)


def test_lists_load_lazily_once() -> None:
    assert names._groups() is names._groups()


def test_one_million_people_speed() -> None:
    rng = np.random.default_rng(2025)
    n = 1_000_000
    codes = np.array(PROVINCES, dtype=object)[rng.integers(0, len(PROVINCES), n)]
    sexes = np.where(rng.random(n) < 0.5, "M", "F")
    orders = rng.integers(1, 6, n)
    married = rng.random(n) < 0.3
    names._groups()  # JSON parsing is a one-off, not part of the per-run cost
    t0 = time.perf_counter()
    groups = draw_groups(rng, codes)
    fam = draw_family_names(rng, groups)
    full = draw_person_names(rng, groups, sexes, fam, orders, married)
    elapsed = time.perf_counter() - t0
    print(f"named {n:,} people in {elapsed:.2f} s")
    assert len(full) == n and full.dtype == object
    assert elapsed < 15
