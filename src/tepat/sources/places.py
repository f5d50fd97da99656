"""Region names to a Kemendagri village code, for sources that write names (P3KE).

Names are reduced to a key (case, spacing, punctuation and the administrative prefix dropped) and
matched top down among the children of the region found one level up. An address that matches
nothing, or two villages, stays unresolved: the caller keeps the names and counts it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from tepat.sources.transforms import as_text

# Administrative words in front of names, per level, longest first; kabupaten/kota is kept as a
# hint because "Kabupaten Bandung" and "Kota Bandung" differ only by it.
_PLACE_PREFIXES: Final[dict[int, tuple[str, ...]]] = {
    1: ("provinsi ", "prov. ", "prov "),
    2: (
        "kabupaten administrasi ",
        "kota administrasi ",
        "kabupaten ",
        "kab. ",
        "kab ",
        "kota adm. ",
        "kota ",
    ),
    3: ("kecamatan ", "kec. ", "kec ", "distrik "),
    4: ("kelurahan ", "kel. ", "desa ", "ds. "),
}
_KOTA: Final = r"^(?:kota administrasi |kota adm\. |kota ).+$"
_KABUPATEN: Final = r"^(?:kabupaten administrasi |kabupaten |kab\. |kab ).+$"
_PROVINCE_ALIASES: Final = {
    "dkijakarta": "31",
    "jakarta": "31",
    "diyogyakarta": "34",
    "yogyakarta": "34",
    "babel": "19",
    "kepri": "21",
}


def place_keys(names: pa.Array, level: int) -> tuple[pa.Array, pa.Array]:
    """Region names reduced for comparison, and the kind a prefix names ("kota", "kabupaten").

    Case, spacing, punctuation and the administrative prefix are dropped, so "KAB. ACEH BARAT
    DAYA", "Kabupaten Aceh Barat Daya" and "aceh barat-daya" meet; used for the official names
    and for the names in a file alike.
    """
    text = pc.utf8_lower(pc.utf8_trim_whitespace(as_text(names)))
    text = pc.replace_substring_regex(text, pattern=r"\s+", replacement=" ")
    prefixes = "|".join(re.escape(p) for p in _PLACE_PREFIXES[level])
    kind = pa.nulls(len(text), pa.string())
    if level == 2:
        kind = pc.if_else(pc.match_substring_regex(text, _KABUPATEN), "kabupaten", kind)
        kind = pc.if_else(pc.match_substring_regex(text, _KOTA), "kota", kind)
    bare = pc.replace_substring_regex(text, pattern=rf"^(?:{prefixes})(.+)$", replacement=r"\1")
    # Spacing and punctuation vary between lists ("BLANG PIDIE", "Blangpidie", "Ma'rang").
    return pc.replace_substring_regex(bare, pattern=r"[^0-9a-z]", replacement=""), kind


class VillageResolver:
    """Resolve province, regency, district and village names to a village code, top down.

    Each name is compared (after :func:`place_keys`) with the children of the region found one
    level up: the villages of the resolved district, the districts of the resolved regency, and
    so on. A name that matches no child, or two (two villages of one district can share a name),
    leaves the address unresolved: a guess would put a family in the wrong village.
    """

    def __init__(self) -> None:
        """Nothing is loaded until the first address is resolved."""
        self._index: dict[tuple[str, str], list[str]] | None = None

    def _children(self) -> dict[tuple[str, str], list[str]]:
        """(parent code, key) -> codes, for every region of the 2025 list."""
        if self._index is None:
            from tepat.reference import RegionLevel, regions

            repo = regions()
            index: dict[tuple[str, str], list[str]] = {}
            for level in RegionLevel:
                codes = repo.codes(level)
                keys, _ = place_keys(pa.array([repo.name(c) for c in codes]), int(level))
                for code, key in zip(codes, keys.to_pylist(), strict=True):
                    parent = code[: code.rfind(".")] if "." in code else ""
                    index.setdefault((parent, key), []).append(code)
            for alias, code in _PROVINCE_ALIASES.items():
                index.setdefault(("", alias), [code])
            self._index = index
        return self._index

    def resolve(self, columns: Sequence[pa.Array]) -> pa.Array:
        """Village codes (null where unresolved) for province, regency, district, village names."""
        index = self._children()
        keyed = [place_keys(c, level) for level, c in enumerate(columns, start=1)]
        parts = [pc.fill_null(k, "") for k, _ in keyed]
        parts.append(pc.fill_null(keyed[1][1], ""))
        combined = pc.binary_join_element_wise(*parts, "\x1f")
        unique = pc.unique(combined)
        found: list[str | None] = []
        # Few distinct addresses per file: resolve each once, then map back with a vector take.
        for text in unique.to_pylist():
            *keys, kind = text.split("\x1f")
            paths = self._paths(index, "", keys, kind)
            found.append(paths[0] if len(paths) == 1 else None)
        return pc.take(pa.array(found, pa.string()), pc.index_in(combined, value_set=unique))

    def _paths(
        self, index: dict[tuple[str, str], list[str]], parent: str, keys: list[str], kind: str
    ) -> list[str]:
        """Every village code the remaining ``keys`` lead to under ``parent``."""
        if not keys:
            return [parent]
        if not keys[0]:
            return []
        matches = index.get((parent, keys[0]), [])
        if kind and len(matches) > 1 and parent and "." not in parent:
            # Regency level: kota codes are 71-99, kabupaten 01-69.
            matches = [m for m in matches if (m[3] >= "7") == (kind == "kota")]
        # A name shared by two regions is settled by the names below it, if they can.
        return [code for m in matches for code in self._paths(index, m, keys[1:], kind)]


_resolver: VillageResolver | None = None


def village_resolver() -> VillageResolver:
    """The process-wide resolver (the region index is built once)."""
    global _resolver
    if _resolver is None:
        _resolver = VillageResolver()
    return _resolver
