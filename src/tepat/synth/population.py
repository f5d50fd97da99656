"""Household composition and demography of the synthetic population at the Regsosek snapshot.

Everything is vectorised over numpy arrays so a million people take seconds. A table is a
``dict[str, np.ndarray]`` of aligned columns; households are indexed 0..H-1 and people carry the
index of their household in ``hh``.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import numpy as np

from tepat.synth.geography import PROVINCE_WELFARE, Villages

Table = dict[str, np.ndarray]

SNAPSHOT: Final = date(2022, 10, 15)  # Regsosek 2022 field work: 15 Oct - 14 Nov 2022

# Household types and their shares (Susenas-like shapes for a lower-middle-income population).
HH_TYPES: Final = (
    "single_elderly",
    "single_adult",
    "couple",
    "nuclear",
    "single_parent",
    "extended",
    "three_generation",
)
HH_TYPE_P: Final = np.array([0.05, 0.03, 0.09, 0.52, 0.09, 0.14, 0.08])

# r409 relationship codes
HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT, OTHER = 1, 2, 3, 4, 5, 6, 8


def _uniform_int(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One integer in [low, high] per element (inclusive), vectorised."""
    low = np.asarray(low)
    high = np.maximum(np.asarray(high), low)
    return (low + np.floor(rng.random(low.shape) * (high - low + 1))).astype(np.int64)


def make_households(rng: np.random.Generator, villages: Villages, n: int) -> Table:
    """Place ``n`` households in villages and draw their type and latent welfare."""
    village = rng.choice(len(villages.codes), size=n, p=villages.weights)
    village.sort(kind="stable")  # households of a village sit together, as in a listing
    urban = villages.urban[village]
    prov = villages.province_codes[village]
    prov_effect = np.array([PROVINCE_WELFARE[p] for p in prov])
    # Village-level welfare differences that no household variable shows.
    village_effect = rng.normal(0.0, 0.12, len(villages.codes))[village]
    latent = rng.standard_normal(n)
    hh_type = rng.choice(len(HH_TYPES), size=n, p=HH_TYPE_P)
    return {
        "village": village,
        "urban": urban,
        "province": prov,
        "region_effect": prov_effect + 0.18 * urban + village_effect,
        "latent": latent,
        "hh_type": hh_type,
    }


def _members(rng: np.random.Generator, hh: Table) -> dict[str, np.ndarray]:
    """Counts of each relationship per household, driven by type and (inversely) welfare."""
    t = hh["hh_type"]
    n = len(t)
    latent = hh["latent"]
    spouse = np.isin(t, [2, 3, 5, 6]).astype(np.int64)
    # Poorer families have more children; the rate falls with latent welfare.
    lam = np.clip(1.25 - 0.3 * latent, 0.3, 3.0)
    kids = 1 + rng.poisson(lam)
    children = np.where(np.isin(t, [3, 4, 5]), np.minimum(kids, 8), 0)
    children = np.where(t == 6, rng.integers(1, 3, n), children)  # married child + siblings
    parents = np.where(t == 5, rng.choice([1, 2], size=n, p=[0.65, 0.35]), 0)
    child_in_law = np.where(t == 6, (rng.random(n) < 0.85).astype(np.int64), 0)
    grandchildren = np.where(t == 6, rng.integers(1, 4, n), 0)
    # A few households shelter another relative (nephew, sibling).
    others = (rng.random(n) < 0.04).astype(np.int64) * (t != 0)
    return {
        "spouse": spouse,
        "children": children,
        "parents": parents,
        "child_in_law": child_in_law,
        "grandchildren": grandchildren,
        "others": others,
    }


def make_people(rng: np.random.Generator, hh: Table) -> Table:
    """People of every household at the snapshot: relationship, sex, age, marital status."""
    t = hh["hh_type"]
    n = len(t)
    m = _members(rng, hh)
    ids = np.arange(n)

    head_age = np.select(
        [t == 0, t == 1, t == 2, t == 3, t == 4, t == 5, t == 6],
        [
            _uniform_int(rng, np.full(n, 60), np.full(n, 92)),
            _uniform_int(rng, np.full(n, 19), np.full(n, 45)),
            np.where(
                rng.random(n) < 0.5,
                _uniform_int(rng, np.full(n, 20), np.full(n, 32)),
                _uniform_int(rng, np.full(n, 50), np.full(n, 80)),
            ),
            _uniform_int(rng, np.full(n, 22), np.full(n, 62)),
            _uniform_int(rng, np.full(n, 25), np.full(n, 65)),
            _uniform_int(rng, np.full(n, 28), np.full(n, 55)),
            _uniform_int(rng, np.full(n, 52), np.full(n, 82)),
        ],
    )
    female_head_p = np.select([t == 0, t == 4, t == 1], [0.62, 0.82, 0.4], 0.1)
    head_sex_f = rng.random(n) < female_head_p

    parts: list[Table] = []

    def add(
        hh_idx: np.ndarray,
        rel: int,
        sex_f: np.ndarray,
        age: np.ndarray,
        order: np.ndarray | None = None,
    ) -> None:
        parts.append(
            {
                "hh": hh_idx,
                "relationship": np.full(len(hh_idx), rel, dtype=np.int8),
                "female": sex_f,
                "age": np.clip(age, 0, 100).astype(np.int64),
                "birth_order": np.zeros(len(hh_idx), np.int64) if order is None else order,
            }
        )

    add(ids, HEAD, head_sex_f, head_age)
    s = m["spouse"] == 1
    spouse_age = head_age[s] + np.where(head_sex_f[s], 1, -1) * _uniform_int(
        rng, np.full(s.sum(), -2), np.full(s.sum(), 8)
    )
    add(ids[s], SPOUSE, ~head_sex_f[s], np.maximum(spouse_age, 17))

    # Children: the eldest born when the mother was 19-32, then spaced 1-5 years apart.
    c_hh = np.repeat(ids, m["children"])
    k = np.arange(len(c_hh)) - np.repeat(np.cumsum(m["children"]) - m["children"], m["children"])
    mother_age = np.where(head_sex_f, head_age, head_age - 3)[c_hh]
    eldest_gap = _uniform_int(rng, np.full(len(c_hh), 19), np.full(len(c_hh), 32))
    spacing = _uniform_int(rng, np.full(len(c_hh), 1), np.full(len(c_hh), 5))
    start = np.repeat(np.cumsum(m["children"]) - m["children"], m["children"])
    csum = np.cumsum(spacing)
    before = np.where(start > 0, csum[np.maximum(start - 1, 0)], 0)
    within = csum - before - spacing  # spacing accumulated before child k
    child_age = mother_age - eldest_gap - within
    # Three-generation households: the child is an adult who lives with his/her own family.
    three = t[c_hh] == 6
    child_age = np.where(
        three & (k == 0),
        _uniform_int(rng, np.full(len(c_hh), 24), np.maximum(head_age[c_hh] - 22, 24)),
        child_age,
    )
    keep = child_age >= 0
    add(c_hh[keep], CHILD, rng.random(keep.sum()) < 0.49, child_age[keep], k[keep] + 1)

    p_hh = np.repeat(ids, m["parents"])
    p_age = head_age[p_hh] + _uniform_int(rng, np.full(len(p_hh), 20), np.full(len(p_hh), 34))
    p_first = np.r_[True, p_hh[1:] != p_hh[:-1]] if len(p_hh) else np.zeros(0, bool)
    add(p_hh, PARENT, np.where(p_first, rng.random(len(p_hh)) < 0.68, False), np.minimum(p_age, 99))

    cil_hh = np.repeat(ids, m["child_in_law"])
    add(
        cil_hh,
        CHILD_IN_LAW,
        rng.random(len(cil_hh)) < 0.8,
        np.maximum(
            head_age[cil_hh]
            - _uniform_int(rng, np.full(len(cil_hh), 22), np.full(len(cil_hh), 30)),
            18,
        ),
    )

    g_hh = np.repeat(ids, m["grandchildren"])
    g_k = np.arange(len(g_hh)) - np.repeat(
        np.cumsum(m["grandchildren"]) - m["grandchildren"], m["grandchildren"]
    )
    g_age = np.maximum(head_age[g_hh] - 45 - 3 * g_k, 0) % 18
    add(g_hh, GRANDCHILD, rng.random(len(g_hh)) < 0.49, g_age, g_k + 1)

    o_hh = np.repeat(ids, m["others"])
    add(
        o_hh,
        OTHER,
        rng.random(len(o_hh)) < 0.5,
        _uniform_int(rng, np.full(len(o_hh), 8), np.full(len(o_hh), 70)),
    )

    people = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = np.lexsort((people["relationship"], people["hh"]))
    people = {key: v[order] for key, v in people.items()}
    people["female"] = people["female"].astype(bool)
    starts = np.r_[0, np.flatnonzero(people["hh"][1:] != people["hh"][:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(people["hh"])])
    people["line"] = (np.arange(len(people["hh"])) - np.repeat(starts, sizes) + 1).astype(np.int64)
    people["marital"] = _marital(rng, t, people)
    return people


def _marital(rng: np.random.Generator, t: np.ndarray, p: Table) -> np.ndarray:
    """r408 marital status from the relationship and the household type."""
    rel, age, htype = p["relationship"], p["age"], t[p["hh"]]
    status = np.ones(len(rel), np.int8)  # 1 never married
    married = (rel == SPOUSE) | (rel == CHILD_IN_LAW)
    head = rel == HEAD
    status[married] = 2
    status[head & np.isin(htype, [2, 3, 5, 6])] = 2
    # Heads living alone or as single parents are widowed or divorced (widowhood when older).
    alone = head & np.isin(htype, [0, 4])
    widowed = rng.random(len(rel)) < np.where(age > 50, 0.85, 0.45)
    status[alone] = np.where(widowed[alone], 4, 3)
    young_single = head & (htype == 1)
    status[young_single] = np.where(rng.random(young_single.sum()) < 0.85, 1, 3)
    # The married child of a three-generation family.
    first_child = (rel == CHILD) & (htype == 6) & (p["birth_order"] == 1)
    status[first_child] = 2
    parent = rel == PARENT
    status[parent] = np.where(rng.random(parent.sum()) < 0.6, 4, 2)
    other_adult = (rel == OTHER) & (age >= 25)
    status[other_adult] = np.where(rng.random(other_adult.sum()) < 0.6, 2, 1)
    return status


def birth_dates(rng: np.random.Generator, age: np.ndarray, on: date) -> np.ndarray:
    """Birth dates (datetime64[D]) consistent with ``age`` completed years on date ``on``."""
    ref = np.datetime64(on, "D")
    days_into_year = np.floor(rng.random(len(age)) * 365.25).astype(np.int64)
    approx = ref - (age * 365.25).astype(np.int64) - days_into_year
    return approx.astype("datetime64[D]")
