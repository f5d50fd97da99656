"""Build the true synthetic population: households, people, history, expenditure, survey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from tepat.synth import attributes, events, expenditure, identity, names
from tepat.synth.calibration import TargetingCheck, design_matrix, targeting_check
from tepat.synth.geography import Villages, default_population, load_villages
from tepat.synth.population import HEAD, SNAPSHOT, Table, birth_dates, make_households, make_people

MEAN_HH_SIZE = 3.77
SURVEY_SHARE = 0.03


@dataclass
class Population:
    """The ground truth of one generated population (aligned numpy columns)."""

    villages: Villages
    households: Table
    people: Table
    events: Table
    memberships: Table
    survey: Table
    calibration: TargetingCheck
    as_of: date
    seed: int


def _sizes(hh_index: np.ndarray, mask: np.ndarray, n_h: int) -> np.ndarray:
    return np.bincount(hh_index[mask], minlength=n_h)


def generate(*, scope: str, seed: int, people: int | None, as_of: date) -> Population:
    """Generate the population of ``scope`` (province/regency code or ``ID``) reproducibly."""
    rng = np.random.default_rng([seed, 20221015])
    villages = load_villages(scope, rng)
    if people is None:
        from tepat.reference import RegionLevel, regions

        repo = regions()
        counts = {
            r.code: len(repo.descendant_codes(r.code, RegionLevel.VILLAGE))
            for r in repo.all(RegionLevel.PROVINCE)
        }
        people = default_population(villages, counts)
    n_h = max(1, round(people / MEAN_HH_SIZE))

    hh = make_households(rng, villages, n_h)
    ppl = make_people(rng, hh)
    ppl["born_on"] = birth_dates(rng, ppl["age"], SNAPSHOT)
    ppl["mother"] = np.full(len(ppl["hh"]), -1)
    size22 = np.bincount(ppl["hh"], minlength=n_h)
    hh["size"] = size22
    hh["children"] = _sizes(ppl["hh"], ppl["age"] < 15, n_h)
    hh["elderly"] = _sizes(ppl["hh"], ppl["age"] >= 60, n_h)
    hh.update(attributes.household_attributes(rng, hh, size22))
    welfare = hh["latent"] + hh["region_effect"]
    ppl.update(attributes.person_attributes(rng, ppl, welfare, hh["urban"]))
    hh["log_pce_snapshot"] = expenditure.snapshot_log_pce(
        rng, hh, size22, hh["children"], hh["elderly"]
    )

    hh, ppl, ev = events.apply_events(rng, hh, ppl, len(villages.codes), as_of)
    n_h = len(hh["latent"])
    # Families formed after the snapshot had no snapshot size.
    for col in ("size", "children", "elderly"):
        hh[col] = np.where(hh["split_from"] >= 0, 0, hh[col])
    alive_now = np.isnat(ppl["died_on"])
    size_now = np.bincount(ppl["hh_now"][alive_now], minlength=n_h)
    hh["size_now"] = size_now
    # New families have no snapshot value: they start from their own latent welfare.
    new = hh["split_from"] >= 0
    base = np.where(
        new,
        expenditure.snapshot_log_pce(
            rng, hh, np.maximum(size_now, 1), np.zeros(n_h), np.zeros(n_h)
        ),
        hh["log_pce_snapshot"],
    )
    hh["log_pce_snapshot"] = np.where(new, np.nan, hh["log_pce_snapshot"])
    hh["log_pce_now"] = expenditure.current_log_pce(
        rng, base, hh["shock"], np.where(new, size_now, hh["size"]), size_now
    )
    hh["pce_now"] = np.round(np.exp(hh["log_pce_now"]), -2)

    _assign_identity(rng, villages, hh, ppl, as_of)
    memberships = _memberships(hh, ppl)

    # Susenas-like survey: a few percent of snapshot households, expenditure with recall error.
    existed = hh["split_from"] < 0
    survey_mask = existed & (rng.random(n_h) < SURVEY_SHARE)
    observed = hh["log_pce_snapshot"] + rng.normal(0.0, 0.08, n_h)
    survey: Table = {
        "household": np.flatnonzero(survey_mask),
        "pce_observed": np.round(np.exp(observed[survey_mask]), -2),
    }

    heads = _snapshot_heads(ppl, len(hh["hh_type"]))
    snap_rows = np.flatnonzero(existed)
    x = design_matrix(
        {k: v[snap_rows] for k, v in hh.items()}, {k: v[snap_rows] for k, v in heads.items()}
    )
    evaluate = hh["status"][snap_rows] == "active"
    check = targeting_check(
        x, survey_mask[snap_rows], observed[snap_rows], hh["log_pce_now"][snap_rows], evaluate
    )
    return Population(
        villages=villages,
        households=hh,
        people=ppl,
        events=ev,
        memberships=memberships,
        survey=survey,
        calibration=check,
        as_of=as_of,
        seed=seed,
    )


def _snapshot_heads(ppl: Table, n_h: int) -> Table:
    head = np.flatnonzero(ppl["in_snapshot"] & (ppl["relationship"] == HEAD))
    idx = np.full(n_h, -1)
    idx[ppl["hh"][head]] = head
    idx = np.where(idx < 0, 0, idx)
    edu = ppl["education_level"][idx]
    tier = np.select(
        [edu == 0, edu <= 5, edu <= 10, edu <= 17, edu <= 19, edu <= 21], [0, 1, 2, 3, 4, 5], 6
    )
    return {
        "female": ppl["female"][idx],
        "age": ppl["age"][idx],
        "tier": tier,
        "employment_status": ppl["employment_status"][idx],
        "worked_last_week": ppl["worked_last_week"][idx],
    }


def _assign_identity(
    rng: np.random.Generator, villages: Villages, hh: Table, ppl: Table, as_of: date
) -> None:
    """Names, NIK and KK numbers, consistent with the history."""
    from tepat.reference import RegionLevel, regions

    n_h, n_p = len(hh["latent"]), len(ppl["hh"])
    codes = villages.codes
    home_hh = np.where(ppl["hh"] >= 0, ppl["hh"], ppl["hh_now"])
    # Households: ethnic group from the province of the first village; split families keep it.
    groups = names.draw_groups(rng, villages.province_codes[hh["village"]])
    split = hh["split_from"] >= 0
    groups[split] = groups[hh["split_from"][split]]
    family = names.draw_family_names(rng, groups)
    # A son's new family keeps the father's family name; a daughter's takes her husband's.
    founder = np.full(n_h, -1)
    new_rows = np.flatnonzero(
        ~np.isnat(ppl["left_on"]) & ppl["in_snapshot"] & (ppl["hh_now"] != ppl["hh"])
    )
    founder[ppl["hh_now"][new_rows]] = new_rows
    son = split & (founder >= 0)
    son[son] = ~ppl["female"][founder[son]]
    family[son] = family[hh["split_from"][son]]
    hh["group"] = groups
    hh["family_name"] = family

    married_in = (
        ppl["married_in"]
        | (ppl["relationship"] == 2)
        | (ppl["relationship"] == 4)
        | ((ppl["relationship"] == 6) & ppl["female"])
    )
    sexes = np.where(ppl["female"], "F", "M")
    ppl["full_name"] = names.draw_person_names(
        rng, groups[home_hh], sexes, family[home_hh], np.maximum(ppl["birth_order"], 1), married_in
    )
    # Mother's name (DTKS asks for it): the household's wife/female head for children, else drawn.
    fallback = names.draw_person_names(
        rng,
        groups[home_hh],
        np.full(n_p, "F"),
        np.full(n_p, "", dtype=object),
        np.ones(n_p, np.int64),
        np.ones(n_p, bool),
    )
    mother_of_hh = np.full(n_h, -1)
    wife = np.flatnonzero(ppl["in_snapshot"] & ppl["female"] & np.isin(ppl["relationship"], [1, 2]))
    mother_of_hh[ppl["hh"][wife]] = wife
    mum = np.where(
        ppl["mother"] >= 0,
        ppl["mother"],
        np.where(
            np.isin(ppl["relationship"], [3]) & (ppl["hh"] >= 0),
            mother_of_hh[np.maximum(ppl["hh"], 0)],
            -1,
        ),
    )
    ppl["mother_name"] = np.where(mum >= 0, ppl["full_name"][np.maximum(mum, 0)], fallback)

    # NIK: first registered in the home district (85%), else elsewhere in the scope or country.
    repo = regions()
    all_districts = np.array([r.code for r in repo.all(RegionLevel.DISTRICT)], dtype=object)
    scope_districts = np.unique(np.array([c[:8] for c in codes], dtype=object))
    home_village = np.where(ppl["hh"] >= 0, hh["village"][home_hh], hh["village_now"][home_hh])
    home = np.array([c[:8] for c in codes[home_village]], dtype=object)
    r = rng.random(n_p)
    born_here = (
        ~ppl["in_snapshot"] & ~ppl["married_in"] & (ppl["born_on"] >= np.datetime64(SNAPSHOT, "D"))
    )
    district = np.where(
        born_here | (r < 0.85),
        home,
        np.where(
            r < 0.95,
            scope_districts[rng.integers(0, len(scope_districts), n_p)],
            all_districts[rng.integers(0, len(all_districts), n_p)],
        ),
    )
    niks = identity.make_niks(district, ppl["born_on"], ppl["female"].astype(np.int64))
    # Babies are registered with a lag: some have no NIK yet at the data cut.
    no_nik_yet = born_here & (rng.random(n_p) < 0.15)
    ppl["nik"] = np.where(no_nik_yet, None, niks)
    ppl["nik_district"] = district

    # KK numbers: one at the snapshot, and a new one when the family splits off, moves district
    # or loses its head.
    village_dist = np.array([c[:8] for c in codes], dtype=object)
    d22 = village_dist[hh["village"]]
    stale = rng.random(n_h) < 0.03
    d22 = np.where(stale, scope_districts[rng.integers(0, len(scope_districts), n_h)], d22)
    issued22 = np.datetime64("2008-01-01") + rng.integers(
        0, (np.datetime64(SNAPSHOT) - np.datetime64("2008-01-01")).astype(int), n_h
    ).astype("timedelta64[D]")
    moved_district = ~np.isnat(hh["moved_on"]) & (
        village_dist[hh["village_now"]] != village_dist[hh["village"]]
    )
    # A family that left the scope was issued its new KK where it went.
    out = hh["moved_out_of_scope"]
    moved_district |= out
    lag = rng.integers(7, 60, n_h).astype("timedelta64[D]")
    new_on = np.where(
        split,
        hh["formed_on"],
        np.where(moved_district, hh["moved_on"] + lag, hh["head_changed_on"] + lag),
    )
    new_on = np.minimum(new_on, np.datetime64(as_of, "D"))
    needs_new = split | moved_district | ~np.isnat(hh["head_changed_on"])
    kk_district_now = np.where(
        out,
        all_districts[rng.integers(0, len(all_districts), n_h)],
        village_dist[hh["village_now"]],
    )
    all_districts_kk = np.concatenate([d22, kk_district_now])
    all_dates = np.concatenate([issued22, np.where(needs_new, new_on, issued22)])
    kks = identity.make_kks(all_districts_kk, all_dates)
    hh["kk_snapshot"] = np.where(split, None, kks[:n_h])
    hh["kk_now"] = np.where(needs_new, kks[n_h:], kks[:n_h])
    hh["kk_issued_now"] = np.where(needs_new, new_on, issued22)
    hh["moved_district"] = moved_district
    hh["rt"] = rng.integers(1, 16, n_h)
    hh["rw"] = rng.integers(1, 8, n_h)
    hh["house_number"] = rng.integers(1, 250, n_h)


def _memberships(hh: Table, ppl: Table) -> Table:
    """Membership history: who belonged to which household, from when to when, in what role."""
    n_p = len(ppl["hh"])
    ids = np.arange(n_p)
    start = np.where(ppl["in_snapshot"], np.datetime64("NaT"), ppl["joined_on"])
    start = np.where(np.isnat(start) & ~ppl["in_snapshot"], ppl["born_on"], start)
    # The snapshot household: ends on death, or when the person leaves to found a family.
    first_hh = np.where(ppl["hh"] >= 0, ppl["hh"], ppl["hh_now"])
    first_end = np.where(~np.isnat(ppl["left_on"]), ppl["left_on"], ppl["died_on"])
    promoted = (
        (ppl["relationship_now"] != ppl["relationship"])
        & (ppl["hh_now"] == ppl["hh"])
        & ppl["in_snapshot"]
    )
    promoted_on = hh["head_changed_on"][np.maximum(ppl["hh_now"], 0)]
    first_end = np.where(promoted, promoted_on, first_end)
    first_rel = np.where(ppl["in_snapshot"], ppl["relationship"], ppl["relationship_now"])
    rows = {
        "person": ids,
        "household": first_hh,
        "relationship": first_rel.astype(np.int8),
        "start": start,
        "end": first_end,
        "end_reason": np.where(
            ~np.isnat(ppl["left_on"]) & ppl["in_snapshot"] & (ppl["hh_now"] != ppl["hh"]),
            "household_split",
            np.where(promoted, "new_head", np.where(~np.isnat(ppl["died_on"]), "death", None)),
        ),
    }
    second = (ppl["hh_now"] != first_hh) | promoted
    sec = {
        "person": ids[second],
        "household": ppl["hh_now"][second],
        "relationship": ppl["relationship_now"][second].astype(np.int8),
        "start": np.where(promoted[second], promoted_on[second], ppl["left_on"][second]),
        "end": ppl["died_on"][second],
        "end_reason": np.where(~np.isnat(ppl["died_on"][second]), "death", None),
    }
    out = {k: np.concatenate([rows[k], sec[k]]) for k in rows}
    order = np.lexsort((out["start"].astype(np.int64), out["person"]))
    return {k: v[order] for k, v in out.items()}
