"""Indonesian person names reduced to comparable parts for record linkage: pure rules, no I/O.

:func:`standardise_name` undoes the variation that registry data carries (see
``tepat.synth.noise`` for the synthetic version of each kind), in this order:

1. **Text.** ASCII-folded (NFKD, marks dropped) and uppercased. Apostrophes and hyphens are
   dropped inside words (MA'RUF -> MARUF, PERANGIN-ANGIN -> PERANGINANGIN); any other character
   that is not a letter or a dot separates words; a dotted run splits (M.RIZKI -> M RIZKI).
2. **Titles and degrees** are removed wherever they appear: hajj and religious titles (HJ.,
   HAJI, KH., USTADZ), academic and professional prefixes (DRS., DRA., IR., DR., PROF., DRG.),
   ALM./ALMH. (the late), and degree suffixes (S.PD., S.AG., S.E., S.H., S.KOM., A.MD., M.PD.,
   ...). Degrees written without dots (SPD, SE, SH) are removed only after the first word, and
   a dotted two-letter one before any name word is read as initials (M.H. THAMRIN). A lone
   ``H.`` is the hajj title only before the first name word and when more follows: elsewhere
   it is an initial. Glued forms are read part by part (H.M. RIZKI, HJ.SITI).
3. **Patronymic.** ``X BIN Y`` / ``X BINTI Y`` / ``X BT. Y``: everything after the connector is
   the father's name, kept apart in ``patronymic`` and left out of ``full``. Batak ``BR.`` /
   ``BORU`` before a marga is dropped; the marga stays.
4. **Words.** Known variant families map to one spelling (MUHAMMAD / MUHAMAD / MOCH. / MOH. /
   M. -> MUHAMMAD, ACHMAD / AKHMAD -> AHMAD, NOOR / NOER -> NUR, SITTI -> SITI, ABD. -> ABDUL,
   YUSUP / JUSUF -> YUSUF, ...); a lone ``M`` is MUHAMMAD except after Balinese ``I`` / ``NI``
   (there it is MADE). Other words are modernised (pre-1972 spelling) and then pass through
   letter rules, each the inverse of a variation real records show:

   * OE -> U, DJ -> J, TJ -> C, CH -> KH (SOEHARTO -> SUHARTO, DJOKO -> JOKO, TJAHJO -> CAHYO,
     MOCHTAR -> MOKHTAR). CH at the start of a word is kept in Chinese-Indonesian and Western
     names (CHANDRA, CHEN, CHARLES; list in ``_CH_KEEP``) and CHR becomes KR (CHRISTINA ->
     KRISTINA, the modern spelling of the same name).
   * J and Y are one letter, written Y (JOKO -> YOKO, FAJAR -> FAYAR, TJAHJO -> CAHYO). The
     old spelling wrote Y as J and modern J as DJ, so without a dictionary a bare J cannot be
     told apart: JANTI is YANTI in old spelling, MARJAM is MARYAM, but JOKO, RAJA and
     NURJANAH are modern. Rules by context (J after a consonant other than R or N is Y, ...)
     recover only about 90% of old-spelt generated names; merging the letters recovers all of
     them, at the cost of a less readable key and of merging the rare names that differ only
     by J / Y (RAJA / RAYA), which are mostly spellings of one name anyway (JOHANA / YOHANA,
     JULIANA / YULIANA). NJ becomes NY with it (NJOMAN -> NYOMAN, and also PANJAITAN ->
     PANYAITAN).
   * DH -> D, TH -> T, PH -> F (RAMADHAN / RAMADAN, ELISABETH / ELISABET); KH -> H and SY -> S
     at the start of a word (KHOLIFAH / HOLIFAH, SYAHRUL / SAHRUL); doubled letters collapse
     (ANNISA / ANISA, HASSAN / HASAN); F after a vowel -> P (SAIFUL / SAIPUL, ARIFIN /
     ARIPIN: P is kept because it is far more common there); Y after a consonant at the end
     -> I (HENDRY / HENDRI, RIZKY / RIZKI); AE between consonants -> AI (ZAENAL / ZAINAL).

   The result is a canonical key, not always the spelling a person writes (ARIFIN -> ARIPIN,
   JOKO -> YOKO); family canonicals keep their usual spelling (MUHAMMAD, KHADIJAH, YUSUF).
   Balinese I / NI, birth-order names, aristocratic prefixes and family names (Batak marga,
   Minahasa, Maluku, Papuan, Chinese) stay: they are part of the name.

Standardisation is cached by raw string (registry names repeat a lot) and by word; names and
words that never occur again cost a little memory only up to the cache sizes.

Example::

    >>> n = standardise_name("HJ. SITTI NOERHAJATI BINTI ABD. RACHMAN, S.PD.")
    >>> n.full, n.patronymic, n.given, n.initials
    ('SITI NURHAYATI', 'ABDUL RAKHMAN', 'NURHAYATI', 'SN')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = ["StdName", "phonetic_key", "standardise_name", "standardise_word"]


@dataclass(frozen=True, slots=True)
class StdName:
    """A name reduced to comparable parts; every text field is ``""`` when nothing is left."""

    full: str  # canonical words joined by single spaces, without titles and patronymic
    tokens: tuple[str, ...]  # the words of ``full``
    given: str  # first word not an initial, prefix, MUHAMMAD or SITI, where there is one
    last: str  # last word (a family name or marga where the name has one)
    patronymic: str  # the father's name after BIN / BINTI / BT., standardised
    initials: str  # first letter of each word of ``full``
    phonetic: str  # one :func:`phonetic_key` per word, joined by spaces


EMPTY: Final = StdName("", (), "", "", "", "", "")

# --------------------------------------------------------------------------------------------
# Titles, degrees, connectors (compared without dots)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TITLES: Final = _words(
    # hajj and religious
    "HJ HJH HAJI HAJJAH HAJAH KH KYAI KIAI TGH UST USTAD USTADZ USTADZAH PDT"
    # academic and professional
    " DRS DRA IR DR DRG PROF"
    # the late
    " ALM ALMH ALMARHUM ALMARHUMAH"
)
# A single H is also an initial, so it is a title only before the first name word.
_HAJI: Final = "H"
_DEGREES: Final = _words(
    # bachelor (S1)
    "SPD SPDI SAG SE SH SHI SKOM SSOS ST SKEP SIP SKM SSI SPSI SHUT SP SS STP SFARM SKED SGZ"
    " SIKOM STH SPT SPI SSTP SKEB STR SAB SKG SDS SSN SSIT SSY SMB"
    # master and doctorate
    " MPD MPDI MSI MM MKES MAG MH MT MKOM MA MSC ME MPH MBA MAP MKN MEK PHD"
    # diploma (D1-D3)
    " AMA AMAPD AMD AMK AMDKEP AMDKEB AMDKES AMDFARM AMDKOM"
    # medical specialist, pharmacist
    " SPOG SPA SPB SPPD APT"
)
# Degrees also removed when written without dots (never as the first word). Left out: short
# forms that are also name words (the Chinese surname MA) or too short to be sure.
_BARE_DEGREES: Final = _DEGREES - _words("MA ME SS SP APT SPA SAB MAP SIP")
_CONNECTORS: Final = _words("BIN BINTI BINTY BT BINT")
_BORU: Final = _words("BR BORU")

# --------------------------------------------------------------------------------------------
# Variant families: canonical spelling first. Old and dotless forms are listed where real
# records have them; the generic letter rules add the rest (see _build_families).

_FAMILIES: Final = tuple(
    tuple(line.split())
    for line in (
        "MUHAMMAD MUHAMAD MOHAMMAD MOHAMAD MOCHAMAD MOCHAMMAD MUCHAMMAD MUCHAMAD MUHAMMED"
        " MOHAMMED MOHAMED MUHAMED MOEHAMMAD MOEHAMAD MOCH MOH MUH MOHD MUHD MHD",
        "AHMAD ACHMAD AKHMAD AHMAT ACHMAT",
        "NUR NOOR NOER NOR",  # NOR is the Banjar spelling
        "SITI SITTI SITY SITTY",
        "ABDUL ABD ABDOEL",
        "YUSUF YUSUP JUSUF JUSUP JOESOEF YOESOEF",
        "RAHMAT RACHMAT RAKHMAT",
        "KHAIRUL CHAIRUL HAIRUL CHAIROEL",
        "KHADIJAH KHODIJAH HADIJAH KHOTIJAH HOTIJAH CHADIDJAH",
        "MUSTAFA MUSTOFA MUSTAPA MUSTOPA",
        "EFENDI EFFENDI EFFENDY EFENDY",
        "RAMADHAN RAMADAN ROMADHON ROMADON",
        "AISYAH AISAH AISYA",
        "SYAIFUL SAIFUL SAIPUL SYAIPUL",
    )
)
_MUHAMMAD: Final = "MUHAMMAD"
_BALINESE_MARKERS: Final = _words("I NI")

# Word-initial CH kept as written: Chinese-Indonesian and Western names, where CH is not the
# old spelling of KH.
_CH_KEEP: Final = _words(
    "CHANDRA CHAN CHANG CHEN CHENG CHIN CHONG CHUNG CHIANG CHIU CHOW CHUA CHAI CHARLES"
    " CHARLIE CHERRY CHELSEA CHINTYA CHINDY"
)

# Words that stand before the given name. They stay in ``full`` but are skipped when picking
# ``given``: Balinese markers, caste titles and birth-order names (after I / NI / IDA ...),
# aristocratic prefixes, and the honorific first words MUHAMMAD and SITI, which other
# records often leave out.
_BALINESE_START: Final = _words("I NI IDA ANAK DESAK")
_BALINESE_LEAD: Final = _words(
    "I NI IDA BAGUS AYU GUSTI NGURAH ANAK AGUNG DEWA DESAK GEDE WAYAN PUTU MADE KADEK NENGAH"
    " NYOMAN KOMANG KETUT LUH"
)
_PREFIXES: Final = _words(
    "TEUKU CUT LALU BAIQ LALE RADEN TENGKU KEMAS KIAGUS MASAGUS NYIMAS NYAYU SUTAN UMBU RAMBU"
    " LA WA ODE GUSTI MUHAMMAD SITI"
)

_VOWELS: Final = frozenset("AEIOU")

# --------------------------------------------------------------------------------------------
# Word rules


_OLD_RE: Final = re.compile(r"OE|DJ|TJ|CH")


def _modernise(word: str) -> str:
    """Pre-1972 digraphs to modern letters: OE -> U, DJ -> J, TJ -> C, CH -> KH (or kept)."""

    def repl(m: re.Match[str]) -> str:
        found = m.group(0)
        if found != "CH":
            return _OLD_MAP[found]
        if m.start() > 0:
            return "KH"
        if word in _CH_KEEP:
            return "CH"
        return "K" if word[2:3] == "R" else "KH"

    return _OLD_RE.sub(repl, word)


_OLD_MAP: Final = {"OE": "U", "DJ": "J", "TJ": "C"}
_DOUBLE: Final = re.compile(r"(.)\1+")
_F_AFTER_VOWEL: Final = re.compile(r"(?<=[AEIOU])F")
_FINAL_Y: Final = re.compile(r"(?<=[^AEIOU])Y$")
_AE: Final = re.compile(r"(?<=[^AEIOU])AE(?=[^AEIOU])")


def _letters(word: str) -> str:
    """The generic letter rules on a modern-spelt word (see the module docstring)."""
    w = word.replace("DH", "D").replace("TH", "T").replace("PH", "F")
    # -Y after a consonant before J and Y merge (PUJY is PUJI), and again after (RIZKJ).
    w = _FINAL_Y.sub("I", w)
    w = _DOUBLE.sub(r"\1", w.replace("J", "Y").replace("PF", "FF"))
    if w.startswith("KH"):
        w = "H" + w[2:]
    elif w.startswith("SY"):
        w = "S" + w[2:]
    w = _F_AFTER_VOWEL.sub("P", w)
    if len(w) >= 3:
        w = _FINAL_Y.sub("I", w)
    return _AE.sub("AI", w)


def _build_families() -> dict[str, str]:
    out: dict[str, str] = {}
    for family in _FAMILIES:
        canonical = family[0]
        for member in family:
            modern = _modernise(member)
            for form in (member, modern, _letters(modern)):
                out.setdefault(form, canonical)
    return out


_FAMILY: Final = _build_families()


@lru_cache(maxsize=1 << 16)
def standardise_word(word: str) -> str:
    """One uppercase word (letters only) in its canonical spelling: SOEHARTO -> SUHARTO."""
    fam = _FAMILY.get(word)
    if fam is not None:
        return fam
    modern = _modernise(word)
    fam = _FAMILY.get(modern)
    if fam is not None:
        return fam
    generic = _letters(modern)
    return _FAMILY.get(generic, generic)


# --------------------------------------------------------------------------------------------
# Phonetic key

_PHONETIC_PAIRS: Final = (
    ("KH", "H"),
    ("GH", "G"),
    ("SY", "S"),
    ("SH", "S"),
    ("DZ", "Z"),
    ("CK", "K"),
    ("PH", "F"),
    ("X", "KS"),
    ("J", "Y"),
)
_PHONETIC_LETTERS: Final = str.maketrans(
    {"Q": "K", "V": "P", "F": "P", "Z": "Y", "E": "I", "O": "U"}
)
_GLIDE: Final = re.compile(r"(?<=[IE])Y(?=[AEIOU])|(?<=[UO])W(?=[AEIOU])")
_OH: Final = re.compile(r"OH")
_FINAL_H: Final = re.compile(r"(?<=[AIU])H$")


@lru_cache(maxsize=1 << 16)
def phonetic_key(word: str) -> str:
    """A sound key for one standardised word, tuned to Indonesian spelling variation.

    Letters that registries write interchangeably share a code: KH/H, GH/G, SY/SH/S, Q/K,
    F/P/V, Z/DZ/J/Y (ZAINUDIN / JAENUDIN; J and Y because the old spelling wrote Y as J),
    E/I, O/U. The Javanese O for an Arabic A before H (ROHMAN / RAHMAN, MUNAWAROH /
    MUNAWARAH), a glide Y after I or W after U (SUMIYATI / SUMIATI, SUWARNI / SUARNI) and a
    final H after a vowel (RAHMAH / RAHMA) are dropped; repeated codes collapse. Other
    consonants, and A against the other vowels, keep names like RINA / RANI / RUNI apart.
    A hand-made key rather than Metaphone or NYSIIS: those encode English (and Dutch)
    spelling, so they split the Indonesian variants above or merge on rules Indonesian does
    not have. ``phonetic_key("MUNAWAROH") == "MUNAWARA"``.
    """
    s = word
    for old, new in _PHONETIC_PAIRS:
        if old in s:
            s = s.replace(old, new)
    s = _OH.sub("AH", s)
    s = _GLIDE.sub("", s)
    s = s.translate(_PHONETIC_LETTERS)
    s = _FINAL_H.sub("", s)
    return _DOUBLE.sub(r"\1", s)


# --------------------------------------------------------------------------------------------
# Names

_JOINERS: Final = re.compile(r"['`´’‘ʼ\-‐‑]")  # removed inside words
_SEPARATORS: Final = re.compile(r"[^A-Z.]+")


def _fold(text: str) -> str:
    if text.isascii():
        return text.upper()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _split_words(text: str) -> tuple[list[str], list[str]]:
    """Name words and father's-name words (letters only), titles and degrees removed."""
    pending = [t for t in _SEPARATORS.split(_JOINERS.sub("", _fold(text))) if t.strip(".")]
    pending.reverse()  # popped from the end, so in reading order
    words: list[str] = []
    father: list[str] = []
    target = words
    while pending:
        token = pending.pop()
        key = token.replace(".", "")
        more = bool(pending)
        if key in _TITLES or (key == _HAJI and not target and more):
            continue
        if key in _DEGREES:
            # Dotted two-letter forms before any name word are initials (M.H. THAMRIN).
            dotted = len(key) != len(token)
            if (dotted and (words or len(key) > 2)) or (words and key in _BARE_DEGREES):
                continue
        if "." in token.strip("."):
            # Glued initials and titles (H.M. RIZKI, HJ.SITI): read each part on its own.
            pending.extend(p + "." for p in reversed(token.split(".")) if p)
            continue
        if target is words and words and more:
            if key in _CONNECTORS:
                target = father
                continue
            if key in _BORU:
                continue
        if target is father and key in _CONNECTORS:
            continue
        target.append(key)
    return words, father


@lru_cache(maxsize=1 << 16)
def _word_parts(word: str) -> tuple[str, str]:
    canonical = standardise_word(word)
    return canonical, phonetic_key(canonical)


def _parts(words: list[str]) -> tuple[list[str], list[str]]:
    """Canonical words and their phonetic keys; a lone M is MUHAMMAD except after I / NI."""
    if "M" in words:
        words = [
            _MUHAMMAD if w == "M" and (i == 0 or words[i - 1] not in _BALINESE_MARKERS) else w
            for i, w in enumerate(words)
        ]
    pairs = [_word_parts(w) for w in words]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _given(tokens: list[str]) -> str:
    skip = _BALINESE_LEAD | _PREFIXES if tokens[0] in _BALINESE_START else _PREFIXES
    for t in tokens:
        if len(t) > 1 and t not in skip:
            return t
    return next((t for t in tokens if len(t) > 1), tokens[0])


CACHE_SIZE: Final = 1 << 20
"""Names kept in the cache of :func:`standardise_name` (about 0.5 KB each)."""
_CACHE: dict[str, StdName] = {}

_PLAIN: Final = re.compile(r"[A-Z]+(?: [A-Z]+)*").fullmatch
_SPECIAL: Final = _TITLES | _DEGREES | _CONNECTORS | _BORU | {_HAJI}


def _standardise(raw: str) -> StdName:
    # Most registry names are plain uppercase words: skip the token classification for them.
    if _PLAIN(raw) is not None and _SPECIAL.isdisjoint(words := raw.split(" ")):
        father: list[str] = []
    else:
        words, father = _split_words(raw)
    tokens, keys = _parts(words)
    patronymic = " ".join(_parts(father)[0]) if father else ""
    if not tokens:
        return StdName("", (), "", "", patronymic, "", "")
    return StdName(
        full=" ".join(tokens),
        tokens=tuple(tokens),
        given=_given(tokens),
        last=tokens[-1],
        patronymic=patronymic,
        initials="".join([t[0] for t in tokens]),
        phonetic=" ".join(keys),
    )


def standardise_name(raw: str | None) -> StdName:
    """Standardise one person name as written in a source (see the module docstring).

    ``None``, non-strings and names with nothing left after cleaning give an empty
    :class:`StdName`. Results are cached by ``raw``.

    >>> standardise_name("MOCH. JUSUF, S.E.").full
    'MUHAMMAD YUSUF'
    """
    if not isinstance(raw, str) or not raw:
        return EMPTY
    std = _CACHE.get(raw)
    if std is None:
        if len(_CACHE) >= CACHE_SIZE:
            # Dropping everything is cheaper than tracking recency, and a batch refills the
            # cache with its own frequent names within a few thousand rows.
            _CACHE.clear()
        std = _CACHE[raw] = _standardise(raw)
    return std
