"""Name noise: the variation record linkage has to undo. Pure functions, UPPERCASE in and out.

* :func:`spelling_variant` - accepted alternative spellings (MUHAMMAD / MOH. / M., ACHMAD /
  AHMAD, NUR / NOOR, SITI / SITTI, HENDRI / HENDRY, ANNISA / ANISA ...);
* :func:`old_spelling` / :func:`modernise_spelling` - the pre-1972 (Soewandi / Van Ophuijsen)
  spelling, applied partially as people actually kept it (SOEHARTO, DJOKO, TJAHJO);
* :func:`add_title` - hajj titles, academic prefixes and degree suffixes;
* :func:`add_patronymic` - ``X BIN Y`` / ``X BINTI Y``;
* :func:`typo` - exactly one keyboard slip;
* :func:`abbreviate` - a word cut to its initial, or the last word dropped;
* :func:`drop_apostrophe` - MA'RUF to MARUF.

Each function returns its input unchanged when nothing applies. ``NAME_NOISES`` maps the noise
labels used by the source exports to the functions taking ``(name, rng)``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# Spelling variants

_FAMILIES: tuple[tuple[str, ...], ...] = (
    (
        "MUHAMMAD",
        "MUHAMAD",
        "MOHAMMAD",
        "MOHAMAD",
        "MOCHAMAD",
        "MOCHAMMAD",
        "MUCHAMMAD",
        "MOCH.",
        "MOH.",
        "MUH.",
        "M.",
    ),
    ("ACHMAD", "AHMAD", "AKHMAD"),
    ("NUR", "NOOR", "NOER"),
    ("SITI", "SITTI", "SITY"),
    ("ABDUL", "ABD.", "ABDOEL"),
    ("YUSUF", "YUSUP", "JUSUF"),
    ("RAHMAT", "RACHMAT", "RAKHMAT"),
    ("KHAIRUL", "CHAIRUL", "HAIRUL"),
    ("KHADIJAH", "KHODIJAH", "HADIJAH", "KHOTIJAH", "HOTIJAH"),
    ("MUSTAFA", "MUSTOFA", "MUSTAPA"),
    ("EFENDI", "EFFENDI", "EFFENDY", "EFENDY"),
    ("RAMADHAN", "RAMADAN", "ROMADHON"),
    ("AISYAH", "AISAH", "AISYA"),
    ("SYAIFUL", "SAIFUL", "SAIPUL", "SYAIPUL"),
)
_FAMILY_OF = {w: fam for fam in _FAMILIES for w in fam}

_VOWELS = frozenset("AEIOU")
_DOUBLABLE = frozenset("LMNRST")


def _word_variants(word: str) -> list[str]:
    """Alternative spellings of one word (never ``word`` itself)."""
    out: list[str] = []
    fam = _FAMILY_OF.get(word)
    if fam is not None:
        out.extend(w for w in fam if w != word)
    if len(word) < 3 or not word.isalpha():
        return out
    # -I / -Y endings after a consonant: HENDRI / HENDRY.
    if len(word) >= 4 and word[-2] not in _VOWELS:
        if word[-1] == "I":
            out.append(word[:-1] + "Y")
        elif word[-1] == "Y":
            out.append(word[:-1] + "I")
    # Double letters: ANNISA / ANISA, HASAN / HASSAN.
    for i in range(1, len(word) - 1):
        c = word[i]
        if c == word[i + 1] and c not in _VOWELS:
            out.append(word[:i] + word[i + 1 :])
        elif (
            c in _DOUBLABLE
            and word[i - 1] in _VOWELS
            and word[i + 1] in _VOWELS
            and word[i - 1] != word[i + 1]
        ):
            out.append(word[:i] + c + word[i:])
    # AI / AE inside a word: ZAINAL / ZAENAL, HAIRUL / HAERUL.
    for m in re.finditer(r"(?<=[^AEIOU])AI(?=[^AEIOU])", word):
        out.append(word[: m.start()] + "AE" + word[m.end() :])
    # Loan-word digraphs: RAMADHAN / RAMADAN, ELISABETH / ELISABET, YOSEPHINA / YOSEFINA,
    # KHOLIFAH / HOLIFAH, SYAHRUL / SAHRUL.
    for pat, rep in (("DH", "D"), ("TH", "T"), ("PH", "F"), ("^KH", "H"), ("^SY", "S")):
        m2 = re.search(pat, word)
        if m2:
            out.append(word[: m2.start()] + rep + word[m2.end() :])
    # F / P after a vowel (Sundanese, Betawi): SAIFUL / SAIPUL, SOFYAN / SOPYAN, ARIFIN / ARIPIN.
    for m3 in re.finditer(r"(?<=[AEIOU])F", word):
        out.append(word[: m3.start()] + "P" + word[m3.end() :])
    return list(dict.fromkeys(w for w in out if w != word))


def _variant_options(name: str) -> list[tuple[int, list[str]]]:
    words = name.split(" ")
    opts = []
    for i, w in enumerate(words):
        alts = _word_variants(w)
        if alts:
            opts.append((i, alts))
    return opts


def has_spelling_variant(name: str) -> bool:
    """True when :func:`spelling_variant` can change ``name``."""
    return bool(_variant_options(name))


def spelling_variant(name: str, rng: np.random.Generator) -> str:
    """One word replaced by an accepted alternative spelling; ``name`` if none applies.

    MUHAMMAD RIZKI -> MOH. RIZKI, ACHMAD -> AHMAD, NUR -> NOER, SITI -> SITTI, ABDUL -> ABD.,
    YUSUF -> YUSUP, HENDRI -> HENDRY, ANNISA -> ANISA, ZAINAL -> ZAENAL, RAMADHAN -> RAMADAN.
    Known name families are preferred over the generic letter rules.
    """
    opts = _variant_options(name)
    if not opts:
        return name
    words = name.split(" ")
    known = [o for o in opts if words[o[0]] in _FAMILY_OF]
    pool = known if known and rng.random() < 0.8 else opts
    i, alts = pool[int(rng.integers(len(pool)))]
    words[i] = alts[int(rng.integers(len(alts)))]
    return " ".join(words)


# --------------------------------------------------------------------------------------------
# Old (pre-1972) spelling

# Per-feature probability that a person kept the old spelling, given the feature occurs.
_OLD_RULES: dict[str, float] = {"oe": 0.9, "dj": 0.75, "tj": 0.8, "ch": 0.7}
_OLD_PATTERNS = {
    "oe": r"U",
    # J (not already DJ / TJ) -> DJ, Y -> J; Y after T or D stays (TJ and DJ would read as C, J).
    "dj": r"(?<![DT])J|(?<![DT])Y",
    "tj": r"C(?!H)",
    "ch": r"KH",
}
_OLD_MAP = {"U": "OE", "J": "DJ", "Y": "J", "C": "TJ", "KH": "CH"}
_MODERN_RE = re.compile(r"OE|DJ|TJ|CH|J")
_MODERN_MAP = {"OE": "U", "DJ": "J", "TJ": "C", "CH": "KH", "J": "Y"}
_BARE_J = re.compile(r"(?<![DT])J")


def old_spelling(name: str, rng: np.random.Generator) -> str:
    """The name as written before the 1972 spelling reform, kept partially as in real records.

    U -> OE, J -> DJ with Y -> J, C -> TJ, KH -> CH: SUHARTO -> SOEHARTO, JOKO -> DJOKO,
    CAHYO -> TJAHJO, SUKARNO -> SOEKARNO, YUSUF -> JOESOEF, AKHMAD -> ACHMAD. Partial twice
    over: each feature is kept with its own probability, and each word with 80% (at least one
    word changes when any feature occurs), so SOESILO BAMBANG YUDHOYONO and TJAHYO occur. Two
    constraints keep :func:`modernise_spelling` an exact inverse: once anything changes, every
    word with a modern J takes DJ (an undoubled J would read as Y), and Y after T or D is left
    alone (TJ, DJ would read as C, J).
    """
    applicable = [r for r, pat in _OLD_PATTERNS.items() if re.search(pat, name)]
    if not applicable:
        return name
    chosen = [r for r in applicable if rng.random() < _OLD_RULES[r]]
    if not chosen:
        chosen = [applicable[int(rng.integers(len(applicable)))]]
    words = name.split(" ")
    hits = [i for i, w in enumerate(words) if any(re.search(_OLD_PATTERNS[r], w) for r in chosen)]
    keep = [i for i in hits if rng.random() < 0.8] or [hits[int(rng.integers(len(hits)))]]
    rules: list[list[str]] = [list(chosen) if i in keep else [] for i in range(len(words))]
    for i, w in enumerate(words):
        if "dj" not in rules[i] and _BARE_J.search(w):
            rules[i].append("dj")
    return " ".join(_old_word(w, r) for w, r in zip(words, rules, strict=True))


def _old_word(word: str, rules: list[str]) -> str:
    if not rules:
        return word
    pattern = "|".join(_OLD_PATTERNS[r] for r in ("ch", "tj", "dj", "oe") if r in rules)
    return re.sub(pattern, lambda m: _OLD_MAP[m.group(0)], word)


def modernise_spelling(name: str) -> str:
    """Pre-1972 spelling to the modern one: OE -> U, DJ -> J, TJ -> C, J -> Y, CH -> KH.

    The inverse of :func:`old_spelling` for names that contain none of OE, DJ, TJ, CH in their
    modern form. Ambiguous cases (deliberately not round-tripped): names whose modern spelling
    keeps CH (ACHMAD, MOCHAMAD, MICHAEL, CHRISTIAN become AKHMAD, MOKHAMAD, MIKHAEL,
    KHRISTIAN), Chinese-Indonesian names that legally keep the old spelling (TJANDRA, WIDJAJA,
    SUTEDJA become CANDRA, WIJAYA, SUTEJA), and a modern name with OE (NOER, a NUR variant,
    becomes NUR). Linkage should apply it to both sides before comparing.
    """
    return _MODERN_RE.sub(lambda m: _MODERN_MAP[m.group(0)], name)


# --------------------------------------------------------------------------------------------
# Titles and patronymics

_DEGREES = (
    "S.PD.",
    "S.AG.",
    "S.E.",
    "S.H.",
    "S.KOM.",
    "A.MD.",
    "S.SOS.",
    "S.PD.I.",
    "S.T.",
    "S.KEP.",
    "S.IP.",
)
_HAJJ = {"M": "H.", "F": "HJ."}
_ACADEMIC = {"M": ("DRS.", "IR.", "DR."), "F": ("DRA.", "IR.", "DR.")}


def _check_sex(sex: str) -> str:
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")
    return sex


def add_title(name: str, sex: str, rng: np.random.Generator) -> str:
    """A hajj title (H. / HJ.), an academic prefix (DRS. / DRA. / IR. / DR.) or a degree suffix.

    SITI AMINAH -> HJ. SITI AMINAH, AGUS SALIM -> DRS. AGUS SALIM, BUDI SANTOSO -> BUDI SANTOSO,
    S.PD. or BUDI SANTOSO S.PD.; occasionally both a hajj title and a degree.
    """
    sex = _check_sex(sex)
    words = name.split(" ")
    r = rng.random()
    sep = ", " if rng.random() < 0.6 else " "
    degree = _DEGREES[int(rng.integers(len(_DEGREES)))]
    if r < 0.45 and _HAJJ[sex] not in words:
        return f"{_HAJJ[sex]} {name}"
    if r < 0.6:
        prefixes = [p for p in _ACADEMIC[sex] if p not in words]
        if prefixes:
            return f"{prefixes[int(rng.integers(len(prefixes)))]} {name}"
    if r >= 0.95 and _HAJJ[sex] not in words:
        return f"{_HAJJ[sex]} {name}{sep}{degree}"
    return f"{name}{sep}{degree}"


def add_patronymic(name: str, sex: str, father_given_name: str) -> str:
    """``NAME BIN FATHER`` for men, ``NAME BINTI FATHER`` for women (also BT. and BIN).

    Deterministic: the connector variant is chosen from a checksum of the two names (women get
    BINTI about 70% of the time, BT. 20%, BIN 10%). Unchanged when the father's name is empty or
    the name already carries a patronymic.
    """
    sex = _check_sex(sex)
    father = " ".join(str(father_given_name).upper().split())
    if not father or re.search(r"\b(BIN|BINTI|BT\.)\s", name + " "):
        return name
    if sex == "M":
        return f"{name} BIN {father}"
    h = zlib.crc32(f"{name}|{father}".encode()) % 10
    connector = "BINTI" if h < 7 else "BT." if h < 9 else "BIN"
    return f"{name} {connector} {father}"


# --------------------------------------------------------------------------------------------
# Typos

_KEYBOARD_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


def _neighbours() -> dict[str, str]:
    """Adjacent keys on a staggered QWERTY keyboard (row above: same and next index)."""
    pos = {c: (r, i) for r, row in enumerate(_KEYBOARD_ROWS) for i, c in enumerate(row)}
    out = {}
    for c, (r, i) in pos.items():
        spots = {(r, i - 1), (r, i + 1), (r - 1, i), (r - 1, i + 1), (r + 1, i - 1), (r + 1, i)}
        out[c] = "".join(sorted(d for d, p in pos.items() if p in spots))
    return out


_NEAR = _neighbours()


def typo(name: str, rng: np.random.Generator) -> str:
    """Exactly one keyboard slip: a neighbouring key, a dropped, inserted or doubled letter, or
    two adjacent letters swapped. Never empty; the first letter is kept in 97% of cases.

    SUPARMAN -> SUPARMSN (neighbour), SUPRMAN (dropped), SUPARRMAN (doubled), SUAPRMAN (swapped).
    """
    letters = [i for i, c in enumerate(name) if c in _NEAR]
    if not letters:
        return name
    for _ in range(30):
        inner = [i for i in letters if i > 0]
        if inner and rng.random() >= 0.03:
            i = inner[int(rng.integers(len(inner)))]
        else:
            i = letters[int(rng.integers(len(letters)))]
        c = name[i]
        op = rng.random()
        if op < 0.35:  # neighbouring key
            near = _NEAR[c]
            out = name[:i] + near[int(rng.integers(len(near)))] + name[i + 1 :]
        elif op < 0.55:  # dropped letter, never a whole word
            left = i > 0 and name[i - 1] != " "
            right = i + 1 < len(name) and name[i + 1] != " "
            if not (left or right):
                continue
            out = name[:i] + name[i + 1 :]
        elif op < 0.7:  # extra neighbouring key
            near = _NEAR[c]
            out = name[: i + 1] + near[int(rng.integers(len(near)))] + name[i + 1 :]
        elif op < 0.85:  # doubled letter
            out = name[: i + 1] + c + name[i + 1 :]
        else:  # swap with the next letter
            if i + 1 >= len(name) or name[i + 1] not in _NEAR or name[i + 1] == c:
                continue
            out = name[:i] + name[i + 1] + c + name[i + 2 :]
        if out != name and out:
            return out
    # Fallback (very short names): a neighbouring key on the last letter.
    i = letters[-1]
    return name[:i] + _NEAR[name[i]][0] + name[i + 1 :]


# --------------------------------------------------------------------------------------------
# Abbreviations and apostrophes

# Words that name a position, not a person: never left alone at the end of a shortened name.
_BALINESE_START = frozenset({"I", "NI", "IDA", "ANAK", "DESAK"})


def abbreviate(name: str, rng: np.random.Generator) -> str:
    """A non-final word cut to its initial, or the last word of a 3+-word name dropped.

    MUHAMMAD RIZKI PRATAMA -> M. RIZKI PRATAMA, MUHAMMAD R. PRATAMA or MUHAMMAD RIZKI. Balinese
    names (I / NI ...) never lose their last word. One-word names are returned unchanged.
    """
    words = name.split(" ")
    cands = [
        i
        for i, w in enumerate(words[:-1])
        if len(w) >= 2
        and w not in _BALINESE_START
        and w.replace("'", "").replace("-", "").isalpha()
    ]
    can_drop = len(words) >= 3 and words[0] not in _BALINESE_START
    if not cands and not can_drop:
        return name
    r = rng.random()
    if can_drop and (not cands or r < 0.25):
        return " ".join(words[:-1])
    # The first word is the usual one to shorten (M. RIZKI, SITI N. HALIZA is rarer).
    i = cands[0] if (cands[0] == 0 and rng.random() < 0.6) else cands[int(rng.integers(len(cands)))]
    words[i] = words[i][0] + "."
    return " ".join(words)


_APOSTROPHES = re.compile(r"['`’‘]")


def drop_apostrophe(name: str, rng: np.random.Generator) -> str:
    """Apostrophes removed, as most data-entry systems do: MA'RUF -> MARUF, NU'MAN -> NUMAN."""
    del rng  # the same for everyone; the argument keeps the NAME_NOISES signature
    return _APOSTROPHES.sub("", name)


NAME_NOISES: dict[str, Callable[[str, np.random.Generator], str]] = {
    "spelling_variant": spelling_variant,
    "old_spelling": old_spelling,
    "typo": typo,
    "abbreviation": abbreviate,
    "apostrophe": drop_apostrophe,
}
"""Noise label -> function of ``(name, rng)``; titles and patronymics are called directly."""
