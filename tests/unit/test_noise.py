"""Name noise transforms: documented examples, exact edit distances, spelling round trip."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tepat.synth.names import (
    draw_family_names,
    draw_groups,
    draw_person_names,
)
from tepat.synth.noise import (
    NAME_NOISES,
    abbreviate,
    add_patronymic,
    add_title,
    drop_apostrophe,
    has_spelling_variant,
    modernise_spelling,
    old_spelling,
    spelling_variant,
    typo,
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


def _clean_names(n: int = 20_000, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    codes = np.array(PROVINCES, dtype=object)[rng.integers(0, len(PROVINCES), n)]
    groups = draw_groups(rng, codes)
    fam = draw_family_names(rng, groups)
    sexes = np.where(rng.random(n) < 0.5, "M", "F")
    out = draw_person_names(rng, groups, sexes, fam, rng.integers(1, 6, n), rng.random(n) < 0.3)
    names: list[str] = out.tolist()
    return names


CLEAN = _clean_names()


def _outputs(fn: Callable[[str, np.random.Generator], str], name: str, n: int = 400) -> set[str]:
    rng = np.random.default_rng(0)
    return {fn(name, rng) for _ in range(n)}


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


# --- Spelling variants ---------------------------------------------------------------------


def test_muhammad_family() -> None:
    out = _outputs(spelling_variant, "MUHAMMAD RIZKI")
    muhammad = {"MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOCHAMAD", "MOCH.", "MOH.", "MUH.", "M."}
    assert {f"{m} RIZKI" for m in muhammad} <= out
    assert "MUHAMMAD RIZKI" not in out
    assert all(o.endswith(" RIZKI") or o.startswith("MUHAMMAD ") for o in out)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACHMAD", {"AHMAD", "AKHMAD"}),
        ("AHMAD", {"ACHMAD", "AKHMAD"}),
        ("NUR", {"NOOR", "NOER"}),
        ("SITI", {"SITTI", "SITY"}),
        ("ABDUL", {"ABD.", "ABDOEL"}),
        ("YUSUF", {"YUSUP", "JUSUF"}),
        ("HENDRI", {"HENDRY"}),
        ("HENDRY", {"HENDRI"}),
        ("ANNISA", {"ANISA"}),
        ("ZAINAL", {"ZAENAL"}),
        ("RAMADHAN", {"RAMADAN"}),
    ],
)
def test_spelling_variant_examples(name: str, expected: set[str]) -> None:
    out = _outputs(spelling_variant, name)
    assert expected <= out
    assert name not in out
    assert has_spelling_variant(name)


def test_spelling_variant_changes_one_word_only() -> None:
    rng = np.random.default_rng(5)
    for name in CLEAN[:3000]:
        out = spelling_variant(name, rng)
        assert out == out.upper()
        if has_spelling_variant(name):
            assert out != name
            diff = [(a, b) for a, b in zip(name.split(), out.split(), strict=True) if a != b]
            assert len(diff) == 1
        else:
            assert out == name


def test_spelling_variant_leaves_others_alone() -> None:
    rng = np.random.default_rng(0)
    for name in ("SUHARTO", "BAMBANG", "I WAYAN SUDARTA"):
        assert not has_spelling_variant(name)
        assert spelling_variant(name, rng) == name


def test_spelling_variants_are_common_in_clean_names() -> None:
    share = np.mean([has_spelling_variant(n) for n in CLEAN])
    assert share > 0.4


# --- Old spelling --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("modern", "old"),
    [
        ("SUHARTO", "SOEHARTO"),
        ("SUKARNO", "SOEKARNO"),
        ("JOKO", "DJOKO"),
        ("AKHMAD", "ACHMAD"),
    ],
)
def test_old_spelling_examples(modern: str, old: str) -> None:
    assert _outputs(old_spelling, modern) == {old}
    assert modernise_spelling(old) == modern


def test_old_spelling_is_partial() -> None:
    out = _outputs(old_spelling, "CAHYO")
    assert "TJAHJO" in out and out <= {"TJAHJO", "TJAHYO", "CAHJO"} and len(out) > 1
    sby = _outputs(old_spelling, "SUSILO BAMBANG YUDHOYONO")
    assert {"SOESILO BAMBANG JOEDHOJONO", "SOESILO BAMBANG YUDHOYONO"} <= sby
    assert {"JOESOEF", "JUSUF", "YOESOEF"} == _outputs(old_spelling, "YUSUF")
    # A modern J is never left next to an old feature (it would read as Y).
    assert _outputs(old_spelling, "JUMADI") == {"DJOEMADI", "DJUMADI"}


def test_old_spelling_unchanged_when_nothing_applies() -> None:
    rng = np.random.default_rng(0)
    for name in ("BAMBANG", "SETYO", "I MADE SANTIKA", "ACHMAD"):
        assert old_spelling(name, rng) == name


@pytest.mark.parametrize(
    ("old", "modern"),
    [
        ("SOEHARTO", "SUHARTO"),
        ("DJOKO", "JOKO"),
        ("TJAHJO", "CAHYO"),
        ("SJAMSUL", "SYAMSUL"),
        ("I NJOMAN", "I NYOMAN"),
        ("CHAIRUL", "KHAIRUL"),
        ("SOEKARNO", "SUKARNO"),
    ],
)
def test_modernise_examples(old: str, modern: str) -> None:
    assert modernise_spelling(old) == modern


def test_old_spelling_round_trip_on_generated_names() -> None:
    rng = np.random.default_rng(9)
    unambiguous = [n for n in CLEAN if not re.search("OE|DJ|TJ|CH", n)]
    assert len(unambiguous) > 0.9 * len(CLEAN)
    changed = 0
    for name in unambiguous:
        old = old_spelling(name, rng)
        changed += old != name
        assert modernise_spelling(old) == name, (name, old)
    assert changed > 0.5 * len(unambiguous)


def test_documented_ambiguous_cases() -> None:
    # Modern names that keep CH, Chinese-Indonesian names in the old spelling, and NOER.
    assert modernise_spelling("ACHMAD") == "AKHMAD"
    assert modernise_spelling("MICHAEL") == "MIKHAEL"
    assert modernise_spelling("HENDRA TJANDRA") == "HENDRA CANDRA"
    assert modernise_spelling("WIDJAJA") == "WIJAYA"  # the old form is the registered name
    assert modernise_spelling("NOER") == "NUR"


# --- Titles and patronymics ----------------------------------------------------------------


def test_add_title_male() -> None:
    out = _outputs(lambda n, r: add_title(n, "M", r), "BUDI SANTOSO", 600)
    assert {
        "H. BUDI SANTOSO",
        "DRS. BUDI SANTOSO",
        "IR. BUDI SANTOSO",
        "DR. BUDI SANTOSO",
        "BUDI SANTOSO, S.PD.",
        "BUDI SANTOSO S.PD.",
        "BUDI SANTOSO, S.AG.",
        "BUDI SANTOSO, S.E.",
        "BUDI SANTOSO, S.H.",
        "BUDI SANTOSO, S.KOM.",
        "BUDI SANTOSO, A.MD.",
    } <= out
    assert not any(o.startswith(("HJ.", "DRA.")) for o in out)
    assert all("BUDI SANTOSO" in o and o == o.upper() for o in out)


def test_add_title_female() -> None:
    out = _outputs(lambda n, r: add_title(n, "F", r), "SITI AMINAH", 600)
    assert {"HJ. SITI AMINAH", "DRA. SITI AMINAH"} <= out
    assert not any(o.startswith(("H. ", "DRS.")) for o in out)
    with pytest.raises(ValueError):
        add_title("SITI AMINAH", "W", np.random.default_rng(0))


def test_add_patronymic() -> None:
    assert add_patronymic("AHMAD FAUZI", "M", "SUPARMAN") == "AHMAD FAUZI BIN SUPARMAN"
    women = {
        add_patronymic(f"SITI {x}", "F", "SUPARMAN")
        for x in (
            "AMINAH",
            "AISYAH",
            "MARYAM",
            "HALIMAH",
            "FATIMAH",
            "ZAINAB",
            "RAHMAH",
            "SALMAH",
            "NURHAYATI",
            "KHADIJAH",
            "MASITAH",
            "JUBAIDAH",
            "HASANAH",
            "JAMILAH",
            "LAILA",
        )
    }
    connectors = {w.split(" ")[2] for w in women}
    assert connectors <= {"BINTI", "BT.", "BIN"} and "BINTI" in connectors and len(connectors) > 1
    assert all(w.endswith(" SUPARMAN") for w in women)
    # Deterministic, idempotent, and a no-op without a father.
    assert add_patronymic("SITI AMINAH", "F", "SUPARMAN") == add_patronymic(
        "SITI AMINAH", "F", "SUPARMAN"
    )
    once = add_patronymic("SITI AMINAH", "F", "SUPARMAN")
    assert add_patronymic(once, "F", "SLAMET") == once
    assert add_patronymic("SITI AMINAH", "F", "") == "SITI AMINAH"


# --- Typos ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CLEAN), st.integers(0, 2**32 - 1))
def test_typo_is_exactly_one_edit(name: str, seed: int) -> None:
    out = typo(name, np.random.default_rng(seed))
    assert out and out != name and out == out.upper()
    assert _osa(name, out) == 1
    assert out == out.strip() and "  " not in out


def test_typo_kinds_and_first_letter() -> None:
    out = _outputs(typo, "SUPARMAN", 2000)
    assert "SUPRMAN" in out  # dropped letter
    assert "SUPARRMAN" in out  # doubled letter
    assert "SUAPRMAN" in out  # transposition
    assert "SUPARMSN" in out  # neighbouring key
    assert any(len(o) == 9 and o != "SUPARRMAN" for o in out)  # inserted neighbour
    rng = np.random.default_rng(3)
    kept = np.mean([typo(n, rng)[0] == n[0] for n in CLEAN[:3000]])
    assert kept > 0.95
    assert typo("A", rng) != "A" and typo("A", rng)


# --- Abbreviations and apostrophes ---------------------------------------------------------


def test_abbreviate_examples() -> None:
    out = _outputs(abbreviate, "MUHAMMAD RIZKI PRATAMA")
    assert out == {"M. RIZKI PRATAMA", "MUHAMMAD R. PRATAMA", "MUHAMMAD RIZKI"}
    assert _outputs(abbreviate, "SITI AMINAH") == {"S. AMINAH"}
    assert _outputs(abbreviate, "SUPARMAN") == {"SUPARMAN"}
    bali = _outputs(abbreviate, "I WAYAN SUDARTA")
    assert bali == {"I W. SUDARTA"}


def test_abbreviate_on_generated_names() -> None:
    rng = np.random.default_rng(4)
    multi = [n for n in CLEAN[:3000] if " " in n]
    for name in CLEAN[:3000]:
        out = abbreviate(name, rng)
        assert out and out == out.upper()
        if " " not in name:
            assert out == name
        else:
            assert len(out.split()) == len(name.split()) or name.startswith(out + " ")
    assert np.mean([abbreviate(n, rng) != n for n in multi]) > 0.98


def test_drop_apostrophe() -> None:
    rng = np.random.default_rng(0)
    assert drop_apostrophe("MA'RUF", rng) == "MARUF"
    assert drop_apostrophe("MUHAMMAD NU'MAN", rng) == "MUHAMMAD NUMAN"
    assert drop_apostrophe("SUPARMAN", rng) == "SUPARMAN"


# --- Registry of noises --------------------------------------------------------------------


def test_name_noises_registry() -> None:
    assert set(NAME_NOISES) == {
        "spelling_variant",
        "old_spelling",
        "typo",
        "abbreviation",
        "apostrophe",
    }
    rng = np.random.default_rng(8)
    for fn in NAME_NOISES.values():
        for name in CLEAN[:500]:
            out = fn(name, rng)
            assert isinstance(out, str) and out and out == out.upper()
