"""Life events between the Regsosek snapshot and the data cut, applied to the true population.

Deaths (including some before the snapshot, which stale registries still list), births,
marriages that split a new family off under a new KK, moves (a move across districts gets a new
KK, as Dukcapil issues one), and economic shocks. The result is the *current* truth plus the
history: memberships with start and end dates and an event log.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from tepat.synth.population import CHILD, GRANDCHILD, HEAD, SNAPSHOT, SPOUSE, Table

D = "datetime64[D]"


def _dates_between(rng: np.random.Generator, start: date, end: date, n: int) -> np.ndarray:
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = int((hi - lo).astype(int))
    return lo + rng.integers(0, max(span, 1), n).astype("timedelta64[D]")


def _append(table: Table, rows: Table) -> Table:
    return {k: np.concatenate([table[k], rows[k]]) for k in table}


def apply_events(
    rng: np.random.Generator, hh: Table, people: Table, n_villages: int, as_of: date
) -> tuple[Table, Table, Table]:
    """Apply events; returns (households, people, events). Arrays are extended in place of copies.

    Household columns added: ``village_now``, ``status`` (active/moved_out/dissolved),
    ``formed_on``, ``split_from``, ``moved_on``, ``moved_out_of_scope``, ``shock``.
    People columns added: ``hh_now``, ``died_on``, ``joined_on``, ``left_on``, ``in_snapshot``,
    ``relationship_now``.
    """
    n_h = len(hh["latent"])
    n_p = len(people["hh"])
    years = (np.datetime64(as_of, "D") - np.datetime64(SNAPSHOT, "D")).astype(int) / 365.25
    nat = np.full(n_p, np.datetime64("NaT"), dtype=D)
    hh.update(
        {
            "village_now": hh["village"].copy(),
            "status": np.full(n_h, "active", dtype=object),
            "formed_on": np.full(n_h, np.datetime64("NaT"), dtype=D),
            "split_from": np.full(n_h, -1),
            "moved_on": np.full(n_h, np.datetime64("NaT"), dtype=D),
            "moved_out_of_scope": np.zeros(n_h, bool),
            "shock": np.zeros(n_h),
            "head_changed_on": np.full(n_h, np.datetime64("NaT"), dtype=D),
        }
    )
    people.update(
        {
            "hh_now": people["hh"].copy(),
            "died_on": nat.copy(),
            "joined_on": nat.copy(),
            "left_on": nat.copy(),
            "in_snapshot": np.ones(n_p, bool),
            "relationship_now": people["relationship"].copy(),
            "marital_now": people["marital"].copy(),
            "married_in": np.zeros(n_p, bool),
        }
    )
    events: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []  # type, date, person, hh

    # Elderly people who died in the years before the snapshot: gone from Regsosek, still in DTKS.
    ghost_hh = np.flatnonzero(rng.random(n_h) < 0.035)
    if len(ghost_hh):
        ghosts = _ghosts(rng, hh, people, ghost_hh)
        people = _append(people, ghosts)
        events.append(("death", ghosts["died_on"], np.arange(n_p, n_p + len(ghost_hh)), ghost_hh))
        n_p = len(people["hh"])

    alive0 = people["in_snapshot"].copy()
    age = people["age"]

    # Deaths: Gompertz-like annual mortality, over the period.
    q = np.clip(0.0006 * np.exp(0.085 * (age - 30)), 0.0004, 0.35)
    dies = alive0 & (rng.random(n_p) < 1 - (1 - q) ** years)
    d_dates = _dates_between(rng, SNAPSHOT, as_of, n_p)
    people["died_on"] = np.where(dies, d_dates, people["died_on"])
    events.append(("death", d_dates[dies], np.flatnonzero(dies), people["hh"][dies]))

    # Marriages of unmarried adult children: a new family with a new KK (a household split).
    rel = people["relationship"]
    cand = alive0 & ~dies & (rel == CHILD) & (age >= 20) & (age <= 34) & (people["marital"] == 1)
    splits = np.flatnonzero(cand & (rng.random(n_p) < 0.16))
    s_dates = _dates_between(rng, SNAPSHOT, as_of, len(splits))
    new_ids = np.arange(n_h, n_h + len(splits))
    same_village = rng.random(len(splits)) < 0.7
    new_village = np.where(
        same_village, hh["village"][people["hh"][splits]], rng.integers(0, n_villages, len(splits))
    )
    parent_hh = people["hh"][splits]
    new_hh: Table = {k: v[parent_hh].copy() for k, v in hh.items()}
    new_hh["village"] = new_village
    new_hh["village_now"] = new_village
    new_hh["formed_on"] = s_dates
    new_hh["split_from"] = parent_hh
    new_hh["status"] = np.full(len(splits), "active", dtype=object)
    new_hh["moved_on"] = np.full(len(splits), np.datetime64("NaT"), dtype=D)
    new_hh["head_changed_on"] = np.full(len(splits), np.datetime64("NaT"), dtype=D)
    new_hh["hh_type"] = np.full(len(splits), 2)  # couple
    # A young couple starts out a little poorer than the parents' family.
    new_hh["latent"] = 0.6 * hh["latent"][parent_hh] + 0.8 * rng.standard_normal(len(splits)) - 0.2
    hh = _append(hh, new_hh)
    people["hh_now"][splits] = new_ids
    people["left_on"][splits] = s_dates
    people["marital_now"][splits] = 2
    people["relationship_now"][splits] = np.where(people["female"][splits], SPOUSE, HEAD)
    spouses = _spouses(rng, people, splits, new_ids, s_dates)
    people = _append(people, spouses)
    events.append(("marriage", s_dates, splits, new_ids))
    events.append(("household_split", s_dates, splits, new_ids))
    n_p = len(people["hh"])
    n_h = len(hh["latent"])

    # Moves: whole families, mostly within the scope; some leave it.
    movers = np.flatnonzero((hh["split_from"] < 0) & (rng.random(n_h) < 1 - 0.983**years))
    m_dates = _dates_between(rng, SNAPSHOT, as_of, len(movers))
    out = rng.random(len(movers)) < 0.2
    hh["moved_on"][movers] = m_dates
    hh["village_now"][movers] = rng.integers(0, n_villages, len(movers))
    hh["moved_out_of_scope"][movers[out]] = True
    hh["status"][movers[out]] = "moved_out"
    events.append(("move", m_dates, np.full(len(movers), -1), movers))

    # Births to married women 15-44, not before a new couple has been together nine months.
    age = people["age"]
    present = people["in_snapshot"] | people["married_in"]
    mothers = np.flatnonzero(
        present & people["female"] & (people["marital_now"] == 2) & (age >= 15) & (age <= 44)
    )
    n_births = rng.poisson(0.075 * years, len(mothers))
    n_births = np.minimum(n_births, 2)
    mum = np.repeat(mothers, n_births)
    together = np.where(
        ~np.isnat(people["joined_on"][mum]), people["joined_on"][mum], people["left_on"][mum]
    )
    earliest = np.where(
        np.isnat(together), np.datetime64(SNAPSHOT, "D"), together + np.timedelta64(270, "D")
    )
    span = (np.datetime64(as_of, "D") - earliest).astype(np.int64)
    b_dates = earliest + np.floor(rng.random(len(mum)) * np.maximum(span, 1)).astype(
        "timedelta64[D]"
    )
    possible = (span > 0) & ~(
        ~np.isnat(people["died_on"][mum]) & (people["died_on"][mum] < b_dates)
    )
    mum, b_dates = mum[possible], b_dates[possible]
    babies = _babies(rng, people, mum, b_dates)
    people = _append(people, babies)
    events.append(("birth", b_dates, np.arange(n_p, n_p + len(mum)), babies["hh_now"]))
    n_p = len(people["hh"])

    # A husband or wife whose partner died after the snapshot is widowed (cerai mati).
    couple = (
        people["in_snapshot"]
        & np.isin(people["relationship"], [HEAD, SPOUSE])
        & (people["marital"] == 2)
    )
    died_since = (
        couple & ~np.isnat(people["died_on"]) & (people["died_on"] >= np.datetime64(SNAPSHOT, "D"))
    )
    bereaved_hh = np.zeros(len(hh["latent"]), bool)
    bereaved_hh[people["hh"][died_since]] = True
    widowed = couple & np.isnat(people["died_on"]) & bereaved_hh[np.maximum(people["hh"], 0)]
    people["marital_now"][widowed] = 4

    # Heads who died: the spouse or the eldest adult takes over, and a new KK is issued.
    head_dead = (
        (people["relationship_now"] == HEAD)
        & ~np.isnat(people["died_on"])
        & (people["died_on"] >= np.datetime64(SNAPSHOT, "D"))
    )
    hh_of_dead = people["hh_now"][head_dead]
    hh["head_changed_on"][hh_of_dead] = people["died_on"][head_dead]
    _promote_new_heads(people, hh_of_dead)
    no_one_left = np.setdiff1d(
        np.arange(n_h), people["hh_now"][np.isnat(people["died_on"])], assume_unique=False
    )
    hh["status"][no_one_left] = "dissolved"

    # Economic change: job losses, damaged houses, and some families doing better.
    r = rng.random(n_h)
    lost = r < 0.06
    damaged = (r >= 0.06) & (r < 0.08)
    better = (r >= 0.08) & (r < 0.12)
    hh["shock"] = np.where(lost, -0.35, np.where(damaged, -0.2, np.where(better, 0.3, 0.0)))
    e_dates = _dates_between(rng, SNAPSHOT, as_of, n_h)
    for kind, mask in (("job_lost", lost), ("house_damaged", damaged), ("income_improved", better)):
        events.append((kind, e_dates[mask], np.full(mask.sum(), -1), np.flatnonzero(mask)))

    ev = {
        "type": np.concatenate([np.full(len(e[1]), e[0], dtype=object) for e in events]),
        "date": np.concatenate([e[1] for e in events]).astype(D),
        "person": np.concatenate([e[2] for e in events]).astype(np.int64),
        "household": np.concatenate([e[3] for e in events]).astype(np.int64),
    }
    order = np.lexsort((ev["person"], ev["household"], ev["type"], ev["date"]))
    return hh, people, {k: v[order] for k, v in ev.items()}


def _blank(people: Table, n: int) -> Table:
    """New person rows with every column present, default values."""
    out: Table = {}
    for k, v in people.items():
        if v.dtype.kind == "M":
            out[k] = np.full(n, np.datetime64("NaT"), dtype=v.dtype)
        elif v.dtype == object:
            out[k] = np.full(n, None, dtype=object)
        else:
            out[k] = np.zeros(n, dtype=v.dtype)
    return out


def _ghosts(rng: np.random.Generator, hh: Table, people: Table, ghost_hh: np.ndarray) -> Table:
    g = _blank(people, len(ghost_hh))
    g["hh"] = ghost_hh
    g["hh_now"] = ghost_hh
    g["relationship"] = np.full(len(ghost_hh), 6, np.int8)  # parent/parent-in-law
    g["relationship_now"] = g["relationship"].copy()
    g["female"] = rng.random(len(ghost_hh)) < 0.6
    g["age"] = rng.integers(68, 96, len(ghost_hh))
    g["marital"] = np.full(len(ghost_hh), 4, np.int8)
    g["marital_now"] = g["marital"].copy()
    g["disability"] = np.ones(len(ghost_hh), np.int16)
    g["died_on"] = _dates_between(rng, date(2016, 1, 1), date(2022, 9, 30), len(ghost_hh))
    g["left_on"] = g["died_on"]
    g["in_snapshot"] = np.zeros(len(ghost_hh), bool)
    g["line"] = np.full(len(ghost_hh), 0)
    g["born_on"] = g["died_on"] - (g["age"] * 365.25 + rng.integers(0, 365, len(ghost_hh))).astype(
        "timedelta64[D]"
    )
    return g


def _spouses(
    rng: np.random.Generator,
    people: Table,
    splits: np.ndarray,
    new_ids: np.ndarray,
    dates: np.ndarray,
) -> Table:
    s = _blank(people, len(splits))
    s["hh"] = np.full(len(splits), -1)
    s["hh_now"] = new_ids
    s["female"] = ~people["female"][splits]
    s["age"] = np.maximum(
        people["age"][splits] + rng.integers(-3, 6, len(splits)) * np.where(s["female"], -1, 1), 18
    )
    s["marital"] = np.full(len(splits), 1, np.int8)  # unmarried when they were single
    s["marital_now"] = np.full(len(splits), 2, np.int8)
    s["disability"] = np.ones(len(splits), np.int16)
    s["relationship"] = np.zeros(len(splits), np.int8)
    s["relationship_now"] = np.where(s["female"], SPOUSE, HEAD).astype(np.int8)
    s["joined_on"] = dates
    s["in_snapshot"] = np.zeros(len(splits), bool)
    s["married_in"] = np.ones(len(splits), bool)
    s["born_on"] = np.datetime64(SNAPSHOT, "D") - (
        s["age"] * 365.25 + rng.integers(0, 365, len(splits))
    ).astype("timedelta64[D]")
    return s


def _babies(
    rng: np.random.Generator, people: Table, mothers: np.ndarray, dates: np.ndarray
) -> Table:
    b = _blank(people, len(mothers))
    b["hh"] = np.full(len(mothers), -1)
    b["hh_now"] = people["hh_now"][mothers]
    b["female"] = rng.random(len(mothers)) < 0.49
    b["age"] = np.zeros(len(mothers), np.int64)
    b["marital"] = np.ones(len(mothers), np.int8)
    b["marital_now"] = b["marital"].copy()
    b["disability"] = np.ones(len(mothers), np.int16)
    b["relationship"] = np.zeros(len(mothers), np.int8)
    mum_rel = people["relationship_now"][mothers]
    b["relationship_now"] = np.where(np.isin(mum_rel, [HEAD, SPOUSE]), CHILD, GRANDCHILD).astype(
        np.int8
    )
    b["joined_on"] = dates
    b["born_on"] = dates
    b["in_snapshot"] = np.zeros(len(mothers), bool)
    b["mother"] = mothers
    b["birth_order"] = np.full(len(mothers), 9)
    return b


def _promote_new_heads(people: Table, households: np.ndarray) -> None:
    """Make the surviving spouse, else the eldest surviving member, head of each household."""
    if len(households) == 0:
        return
    alive = np.isnat(people["died_on"])
    hh_now = people["hh_now"]
    cand = np.flatnonzero(alive & np.isin(hh_now, households))
    if len(cand) == 0:
        return
    is_spouse = people["relationship_now"][cand] == SPOUSE
    # Sort: household, spouse first, then oldest first; take the first of each household.
    order = np.lexsort((-people["age"][cand], ~is_spouse, hh_now[cand]))
    cand = cand[order]
    first = np.r_[True, hh_now[cand][1:] != hh_now[cand][:-1]]
    new_heads = cand[first]
    people["relationship_now"][new_heads] = HEAD
