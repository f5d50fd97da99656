"""Realistic Indonesian registry names, drawn by ethnic group, sex and province, vectorised.

Names come from curated lists, one JSON file per naming tradition under ``data/names/``
(``<group>.json``), with ``province_mix.json`` giving each province's weights over the groups.
Names are UPPERCASE as printed on a KTP or KK and carry no titles, degrees or patronymics: those
are noise, added by :mod:`tepat.synth.noise`.

A group file holds, per sex (``male`` / ``female``):

* the core given names (``male``): one-word names and the centre of longer ones;
* optional leading words (``male_lead``: MUHAMMAD, SITI, SRI, DWI ...) and trailing words
  (``male_tail``: SANTOSO, SAPUTRA, WAHYUNI ...). A two-word given name is ``lead core`` (with
  probability ``lead_share``) or ``core tail``; a three-word one is ``lead core tail``;
* ``share_one_word`` / ``share_three_words``: shares of one- and three-word given names. For
  groups with family names these refer to the given part, before the family name;
* ``family_names``, ``has_family_name`` and ``family_name_use`` (share of people who write it);
* ``prefixes``: aristocratic prefixes with their (small) probabilities, per sex (TEUKU / CUT,
  ANDI, RADEN, LALU / BAIQ, IDA BAGUS / IDA AYU ...);
* ``unisex``: the names allowed on both the male and the female lists.

Lists are ordered most common first and drawn with a Zipf-like skew, so common names repeat as
they do in real registries. Balinese names are ``I`` (men) / ``NI`` (women) + a birth-order name
(``birth_order_names``, cycling every four children) + one or two given names; the triwangsa
prefixes (IDA BAGUS, I GUSTI AYU, ANAK AGUNG ...) replace ``I`` / ``NI``.

Every draw is deterministic given the generator state: the same seed gives byte-identical names.
The JSON files are read lazily, once, on first use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

GROUPS: tuple[str, ...] = (
    "acehnese",
    "balinese",
    "banjar",
    "batak",
    "betawi",
    "bugis_makassar",
    "chinese_indonesian",
    "dayak",
    "javanese",
    "madurese",
    "malay",
    "maluku",
    "minahasa",
    "minang",
    "ntt_flores",
    "papuan",
    "sasak",
    "sundanese",
)
"""The naming traditions, sorted; draws return indices into this tuple."""

_GROUP_INDEX = {g: i for i, g in enumerate(GROUPS)}

# Zipf-like weights 1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT over each list (rank 0 = first).
ZIPF_EXPONENT = 0.9
ZIPF_OFFSET = 6.0

_SEXES = ("M", "F")
_SEX_KEYS = {"M": "male", "F": "female"}


def group_index(name: str) -> int:
    """Index of group ``name`` in :data:`GROUPS` (``ValueError`` for an unknown group)."""
    try:
        return _GROUP_INDEX[name]
    except KeyError:
        raise ValueError(f"unknown name group {name!r}; expected one of {GROUPS}") from None


# --------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class _Pool:
    """A frequency-ordered list of names and its cumulative Zipf-like distribution."""

    names: np.ndarray  # object
    cum: np.ndarray  # float64, last element 1.0

    @classmethod
    def of(cls, names: list[str]) -> _Pool:
        if not names:
            raise ValueError("empty name list")
        w = 1.0 / (np.arange(len(names)) + ZIPF_OFFSET) ** ZIPF_EXPONENT
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0
        return cls(np.array(names, dtype=object), cum)

    def __len__(self) -> int:
        return len(self.names)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` indices into :attr:`names`."""
        return self.pick(rng.random(n))

    def pick(self, u: np.ndarray) -> np.ndarray:
        """Indices for uniform variates ``u``."""
        return np.minimum(np.searchsorted(self.cum, u, side="right"), len(self.names) - 1)


@dataclass(frozen=True)
class _Table:
    """A small categorical distribution (prefixes, birth-order names), not Zipf-weighted."""

    names: np.ndarray  # object
    cum: np.ndarray  # cumulative probabilities; may end below 1 (the rest is "none")

    @classmethod
    def of(cls, probs: dict[str, float], normalise: bool) -> _Table:
        names = np.array(list(probs), dtype=object)
        p = np.array(list(probs.values()), dtype=np.float64)
        if normalise:
            p = p / p.sum()
        cum = np.cumsum(p)
        if normalise and len(cum):
            cum[-1] = 1.0
        return cls(names, cum)

    def pick(self, u: np.ndarray) -> np.ndarray:
        """Indices for uniform variates ``u``; ``len(names)`` means none."""
        return np.searchsorted(self.cum, u, side="right")


@dataclass(frozen=True)
class _SexLists:
    core: _Pool
    lead: _Pool
    tail: _Pool
    prefixes: _Table


@dataclass(frozen=True)
class _Group:
    name: str
    share_one: float
    share_three: float
    lead_share: float
    family: _Pool | None
    family_use: float
    sexes: dict[str, _SexLists]
    unisex: frozenset[str]
    # Balinese only
    birth_order: dict[str, list[_Table]] | None
    marker: dict[str, str] | None
    noble_birth_order_share: float


def _data_dir() -> Any:
    return resources.files("tepat").joinpath("synth", "data", "names")


def _read_json(filename: str) -> Any:
    return json.loads(_data_dir().joinpath(filename).read_text(encoding="utf-8"))


def _build_group(name: str, raw: dict[str, Any]) -> _Group:
    sexes: dict[str, _SexLists] = {}
    for sex, key in _SEX_KEYS.items():
        core = _Pool.of(raw[key])
        lead = _Pool.of(raw[f"{key}_lead"]) if raw.get(f"{key}_lead") else core
        tail = _Pool.of(raw[f"{key}_tail"]) if raw.get(f"{key}_tail") else core
        prefixes = _Table.of(raw.get("prefixes", {}).get(key, {}), normalise=False)
        sexes[sex] = _SexLists(core, lead, tail, prefixes)
    has_family = bool(raw.get("has_family_name")) and bool(raw.get("family_names"))
    birth_order = None
    if "birth_order_names" in raw:
        birth_order = {
            sex: [_Table.of(t, normalise=True) for t in raw["birth_order_names"][key]]
            for sex, key in _SEX_KEYS.items()
        }
    marker = raw.get("commoner_marker")
    return _Group(
        name=name,
        share_one=float(raw["share_one_word"]),
        share_three=float(raw["share_three_words"]),
        lead_share=float(raw.get("lead_share", 0.5)),
        family=_Pool.of(raw["family_names"]) if has_family else None,
        family_use=float(raw.get("family_name_use", 1.0)) if has_family else 0.0,
        sexes=sexes,
        unisex=frozenset(raw.get("unisex", [])),
        birth_order=birth_order,
        marker={"M": marker["male"], "F": marker["female"]} if marker else None,
        noble_birth_order_share=float(raw.get("noble_birth_order_share", 0.0)),
    )


@cache
def _groups() -> tuple[_Group, ...]:
    return tuple(_build_group(g, _read_json(f"{g}.json")) for g in GROUPS)


def group_data(name: str) -> dict[str, Any]:
    """The raw curated data of group ``name``, freshly read from its JSON file."""
    group_index(name)
    data: dict[str, Any] = _read_json(f"{name}.json")
    return data


@cache
def _province_weights() -> dict[str, np.ndarray]:
    raw = _read_json("province_mix.json")
    out: dict[str, np.ndarray] = {}
    for code, mix in raw.items():
        if code.startswith("_"):
            continue
        w = np.zeros(len(GROUPS))
        for g, v in mix.items():
            w[group_index(g)] = float(v)
        out[code] = w / w.sum()
    return out


# --------------------------------------------------------------------------------------------
# Groups


def province_group_weights(province_code: str) -> np.ndarray:
    """Weights over :data:`GROUPS` for a two-digit Kemendagri province code (sums to 1)."""
    code = str(province_code).strip()
    weights = _province_weights().get(code)
    if weights is None:
        raise ValueError(f"unknown province code {province_code!r}")
    return weights.copy()


def draw_groups(rng: np.random.Generator, province_codes: np.ndarray) -> np.ndarray:
    """One group index (into :data:`GROUPS`) per element of ``province_codes``."""
    codes = np.asarray(province_codes)
    out = np.empty(len(codes), dtype=np.int64)
    if not len(codes):
        return out
    uniq, inverse = np.unique(codes.astype(str), return_inverse=True)
    u = rng.random(len(codes))
    for k, code in enumerate(uniq.tolist()):
        idx = np.flatnonzero(inverse == k)
        cum = np.cumsum(province_group_weights(code))
        cum[-1] = 1.0
        out[idx] = np.minimum(np.searchsorted(cum, u[idx], side="right"), len(GROUPS) - 1)
    return out


def _check_groups(groups: np.ndarray) -> np.ndarray:
    g = np.asarray(groups, dtype=np.int64)
    if len(g) and (g.min() < 0 or g.max() >= len(GROUPS)):
        raise ValueError(f"group indices must be in [0, {len(GROUPS)})")
    return g


# --------------------------------------------------------------------------------------------
# Family names


def draw_family_names(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    """A family name per household (object dtype); ``""`` where the group has none."""
    g = _check_groups(groups)
    out = np.full(len(g), "", dtype=object)
    for gi, grp in enumerate(_groups()):
        if grp.family is None:
            continue
        idx = np.flatnonzero(g == gi)
        if len(idx):
            out[idx] = grp.family.names[grp.family.draw(rng, len(idx))]
    return out


# --------------------------------------------------------------------------------------------
# Person names


def _shift_where(pool: _Pool, idx: np.ndarray, clash: np.ndarray) -> np.ndarray:
    """Move clashing indices to the next name on the list."""
    return np.where(clash, (idx + 1) % len(pool), idx)


def _given_names(
    rng: np.random.Generator, grp: _Group, lists: _SexLists, n: int, avoid: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Given part (1-3 words) and its last word; ``avoid`` (e.g. the family name) never ends it."""
    r = rng.random(n)
    one = r < grp.share_one
    three = ~one & (r >= 1.0 - grp.share_three)
    two = ~one & ~three
    with_lead = two & (rng.random(n) < grp.lead_share)
    core_i = lists.core.draw(rng, n)
    lead_i = lists.lead.draw(rng, n)
    tail_i = lists.tail.draw(rng, n)
    uses_lead = with_lead | three
    uses_tail = (two & ~with_lead) | three
    for _ in range(3):  # no word twice in a row (lists may overlap), family name not repeated
        core = lists.core.names[core_i]
        lead = lists.lead.names[lead_i]
        clash = uses_lead & (core == lead)
        if avoid is not None:
            clash |= ~uses_tail & (core == avoid)
        core_i = _shift_where(lists.core, core_i, clash)
        core = lists.core.names[core_i]
        tail = lists.tail.names[tail_i]
        clash_t = uses_tail & ((tail == core) | (uses_lead & (tail == lead)))
        if avoid is not None:
            clash_t |= uses_tail & (tail == avoid)
        tail_i = _shift_where(lists.tail, tail_i, clash_t)
    core = lists.core.names[core_i]
    lead = lists.lead.names[lead_i]
    tail = lists.tail.names[tail_i]
    given = core.copy()
    if with_lead.any():
        given[with_lead] = lead[with_lead] + " " + core[with_lead]
    m = uses_tail & ~three
    if m.any():
        given[m] = core[m] + " " + tail[m]
    if three.any():
        given[three] = lead[three] + " " + core[three] + " " + tail[three]
    last = np.where(uses_tail, tail, core)
    return given, last


def _own_family(
    rng: np.random.Generator, pool: _Pool, household: np.ndarray, married_in: np.ndarray
) -> np.ndarray:
    """Household family name, or a fresh draw for spouses from another family (never the same)."""
    own = married_in | (household == "")
    fam = household.copy()
    k = int(own.sum())
    if k:
        idx = pool.draw(rng, k)
        idx = _shift_where(pool, idx, pool.names[idx] == household[own])
        fam[own] = pool.names[idx]
    return fam


def _prefix(rng: np.random.Generator, table: _Table, n: int) -> np.ndarray:
    """Aristocratic prefix (with a trailing space) or ``""``."""
    out = np.full(n, "", dtype=object)
    u = rng.random(n)
    if len(table.names):
        k = table.pick(u)
        has = k < len(table.names)
        out[has] = table.names[k[has]] + " "
    return out


def _with_prefix(prefix: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """``prefix + rest`` where a prefix is set (it ends with a space), without repeating a word
    (I GUSTI AYU + AYU SUPARNI is I GUSTI AYU SUPARNI). Prefixes are rare: a loop is cheap."""
    out = rest.copy()
    for i in np.flatnonzero(prefix != "").tolist():
        p, r = prefix[i], rest[i]
        last = p.rsplit(" ", 2)[-2]
        first, _, tail = r.partition(" ")
        out[i] = p + (tail if first == last and tail else r)
    return out


def _balinese(
    rng: np.random.Generator, grp: _Group, sex: str, given: np.ndarray, birth_orders: np.ndarray
) -> np.ndarray:
    assert grp.birth_order is not None and grp.marker is not None
    n = len(given)
    lists = grp.sexes[sex]
    prefix = _prefix(rng, lists.prefixes, n)
    noble = prefix != ""
    u = rng.random(n)
    keep = rng.random(n) < grp.noble_birth_order_share
    pos = (np.maximum(birth_orders, 1) - 1) % 4
    order_name = np.full(n, "", dtype=object)
    for k in range(4):
        # Commoners use their own sex's table; nobles the men's (no LUH for noble women).
        for table, mask in (
            (grp.birth_order[sex][k], (pos == k) & ~noble),
            (grp.birth_order["M"][k], (pos == k) & noble & keep),
        ):
            if mask.any():
                order_name[mask] = table.names[table.pick(u[mask])] + " "
    start = np.where(noble, prefix, grp.marker[sex] + " ")
    return _with_prefix(start + order_name, given)


def draw_person_names(
    rng: np.random.Generator,
    groups: np.ndarray,
    sexes: np.ndarray,
    family_names: np.ndarray,
    birth_orders: np.ndarray,
    is_married_in: np.ndarray,
) -> np.ndarray:
    """Full UPPERCASE names, one per person.

    ``groups`` are indices into :data:`GROUPS`, ``sexes`` ``"M"`` / ``"F"``, ``family_names`` the
    household's family name (``""`` if none), ``birth_orders`` 1-based (for Balinese names) and
    ``is_married_in`` marks spouses from another family: they draw their own family name (never
    the household's). Children keep the household's: a Batak daughter keeps her father's marga.
    """
    g = _check_groups(groups)
    n = len(g)
    sx = np.asarray(sexes).astype(str)
    fam = np.asarray(family_names, dtype=object)
    bo = np.asarray(birth_orders, dtype=np.int64)
    married = np.asarray(is_married_in, dtype=bool)
    if not (len(sx) == len(fam) == len(bo) == len(married) == n):
        raise ValueError(
            "groups, sexes, family_names, birth_orders and is_married_in differ in length"
        )
    if n and not np.isin(sx, _SEXES).all():
        raise ValueError("sexes must be 'M' or 'F'")
    out = np.full(n, "", dtype=object)
    for gi, grp in enumerate(_groups()):
        in_group = g == gi
        if not in_group.any():
            continue
        for sex in _SEXES:
            idx = np.flatnonzero(in_group & (sx == sex))
            if not len(idx):
                continue
            out[idx] = _names_for(rng, grp, sex, fam[idx], bo[idx], married[idx])
    return out


def _names_for(
    rng: np.random.Generator,
    grp: _Group,
    sex: str,
    household: np.ndarray,
    birth_orders: np.ndarray,
    married_in: np.ndarray,
) -> np.ndarray:
    n = len(household)
    lists = grp.sexes[sex]
    fam: np.ndarray | None = None
    if grp.family is not None:
        fam = _own_family(rng, grp.family, household, married_in)
    given, last = _given_names(rng, grp, lists, n, fam)
    if grp.birth_order is not None:
        return _balinese(rng, grp, sex, given, birth_orders)
    full = given
    if fam is not None:
        use = (rng.random(n) < grp.family_use) & (last != fam)
        full = given.copy()
        full[use] = given[use] + " " + fam[use]
    return _with_prefix(_prefix(rng, lists.prefixes, n), full)
