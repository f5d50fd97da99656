"""Regsosek-coded housing, assets and member attributes, correlated with latent welfare.

Each ordinal item is drawn by ranking a noisy welfare score and cutting it at the item's target
shares (poorest category first), so marginals are right and the correlation with welfare is set
by the noise: a weak signal per item, as in real registry data, so that no proxy-means test
recovers welfare exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tepat.synth.population import Table


def ordinal(
    rng: np.random.Generator,
    score: np.ndarray,
    codes_poor_to_rich: Sequence[int],
    shares: Sequence[float],
    noise: float,
) -> np.ndarray:
    """Assign codes by cutting ``score + noise`` at cumulative ``shares`` (poorest first)."""
    s = score + rng.normal(0.0, noise, len(score))
    cuts = np.quantile(s, np.cumsum(shares)[:-1] / np.sum(shares)) if len(s) else []
    return np.asarray(codes_poor_to_rich, dtype=np.int16)[np.searchsorted(cuts, s)]


def binary(rng: np.random.Generator, score: np.ndarray, share: float, noise: float) -> np.ndarray:
    """True for the richest ``share`` of ``score + noise``."""
    return ordinal(rng, score, [0, 1], [1 - share, share], noise).astype(bool)


def household_attributes(rng: np.random.Generator, hh: Table, size: np.ndarray) -> Table:
    """Blocks III and V for every household."""
    n = len(hh["latent"])
    w = hh["latent"] + 1.2 * hh["region_effect"]
    urban = hh["urban"]
    prov = hh["province"]
    java_bali = np.isin(prov, ["31", "32", "33", "34", "35", "36", "51"])
    papua = np.char.startswith(prov.astype(str), "9")
    christian_pig = np.isin(
        prov, ["12", "51", "53", "71", "81", "91", "92", "93", "94", "95", "96"]
    )
    a: Table = {}
    a["building_ownership"] = np.where(
        rng.random(n) < np.where(urban, 0.22, 0.1),
        rng.choice([2, 3, 4, 5], size=n, p=[0.55, 0.38, 0.04, 0.03]),
        1,
    ).astype(np.int16)
    a["land_title"] = np.where(
        a["building_ownership"] == 1,
        ordinal(rng, w, [5, 4, 6, 2, 3, 1], [0.08, 0.3, 0.04, 0.1, 0.05, 0.43], 1.3),
        0,
    )
    area = np.exp(3.45 + 0.22 * w + 0.08 * np.log(size) + rng.normal(0, 0.38, n))
    a["floor_area_m2"] = np.clip(np.round(area), 6, 997).astype(np.int16)
    a["floor_material"] = ordinal(
        rng,
        w - 0.4 * papua,
        [8, 7, 5, 6, 4, 2, 3, 1],
        [0.05, 0.02, 0.09, 0.19, 0.07, 0.55, 0.01, 0.02],
        1.0,
    )
    a["wall_material"] = ordinal(
        rng, w - 0.5 * papua, [6, 4, 5, 3, 2, 1], [0.02, 0.05, 0.01, 0.17, 0.03, 0.72], 1.0
    )
    roof_rich = np.where(java_bali, 2, 3)
    roof = ordinal(rng, w, [7, 5, 6, 4, 0, 1], [0.02, 0.005, 0.015, 0.1, 0.82, 0.04], 1.2)
    a["roof_material"] = np.where(roof == 0, roof_rich, roof).astype(np.int16)
    a["drinking_water"] = ordinal(
        rng,
        w + 0.4 * urban,
        [9, 8, 6, 10, 7, 5, 4, 3, 2, 1],
        [0.03, 0.03, 0.05, 0.02, 0.06, 0.12, 0.14, 0.1, 0.38, 0.07],
        1.3,
    )
    a["sewage_distance_ok"] = binary(rng, w, 0.7, 1.5)
    a["lighting"] = ordinal(rng, w - 1.2 * papua, [4, 3, 2, 1], [0.012, 0.02, 0.05, 0.918], 0.8)
    a["power_va"] = np.where(
        a["lighting"] == 1, ordinal(rng, w, [1, 2, 3, 4, 5], [0.32, 0.44, 0.16, 0.06, 0.02], 0.9), 0
    ).astype(np.int16)
    fuel = ordinal(
        rng,
        w - 0.5 * (~urban),
        [9, 8, 6, 4, 2, 3, 1],
        [0.15, 0.005, 0.02, 0.755, 0.03, 0.03, 0.01],
        1.0,
    )
    a["cooking_fuel"] = np.where(rng.random(n) < 0.008, 0, fuel).astype(np.int16)
    a["toilet_facility"] = ordinal(
        rng, w, [6, 5, 4, 3, 2, 1], [0.06, 0.01, 0.03, 0.02, 0.06, 0.82], 1.1
    )
    a["toilet_type"] = np.where(
        a["toilet_facility"] != 6, ordinal(rng, w, [4, 3, 2, 1], [0.06, 0.02, 0.02, 0.9], 1.0), 0
    ).astype(np.int16)
    a["excreta_disposal"] = ordinal(
        rng, w, [5, 3, 4, 6, 2, 1], [0.04, 0.1, 0.1, 0.01, 0.02, 0.73], 1.1
    )
    electric = a["lighting"] != 4
    lpg = np.isin(a["cooking_fuel"], [2, 3])
    a["has_lpg_tank"] = lpg
    for name, share, noise, needs_power in (
        ("has_fridge", 0.55, 1.0, True),
        ("has_ac", 0.07, 0.7, True),
        ("has_water_heater", 0.04, 0.7, True),
        ("has_landline", 0.02, 1.2, False),
        ("has_flat_tv", 0.3, 1.0, True),
        ("has_gold", 0.12, 1.2, False),
        ("has_computer", 0.14, 0.9, True),
        ("has_motorbike", 0.8, 1.2, False),
        ("has_bicycle", 0.3, 2.5, False),
        ("has_car", 0.1, 0.8, False),
        ("has_smartphone", 0.85, 1.1, False),
        ("land_elsewhere", 0.2, 1.8, False),
        ("house_elsewhere", 0.06, 1.2, False),
        ("internet_access", 0.65, 1.2, False),
        ("bank_account", 0.5, 1.2, False),
    ):
        v = binary(rng, w + 0.3 * urban, share, noise)
        a[name] = v & electric if needs_power else v
    coastal = rng.random(n) < 0.15
    a["has_boat"] = coastal & (rng.random(n) < 0.15)
    a["has_motorboat"] = coastal & binary(rng, w, 0.06, 1.0)
    rural = ~urban
    herd = rural & binary(rng, w, 0.35, 2.0)
    a["cattle"] = np.where(herd & (rng.random(n) < 0.35), rng.integers(1, 6, n), 0).astype(np.int16)
    a["buffalo"] = np.where(herd & (rng.random(n) < 0.05), rng.integers(1, 4, n), 0).astype(
        np.int16
    )
    a["horses"] = np.where(herd & (rng.random(n) < 0.01), 1, 0).astype(np.int16)
    a["pigs"] = np.where(
        herd & christian_pig & (rng.random(n) < 0.4), rng.integers(1, 6, n), 0
    ).astype(np.int16)
    a["goats"] = np.where(rural & (rng.random(n) < 0.12), rng.integers(1, 9, n), 0).astype(np.int16)
    return a


def person_attributes(
    rng: np.random.Generator, people: Table, hh_w: np.ndarray, urban: np.ndarray
) -> Table:
    """Block IV (education, work, business, health) for every person at the snapshot."""
    n = len(people["hh"])
    age = people["age"]
    female = people["female"]
    w = hh_w[people["hh"]] + rng.normal(0, 0.6, n)
    a: Table = {}
    # Education: attainment rises for younger cohorts and with welfare.
    cohort = np.clip((60 - age) / 40.0, -0.5, 1.2)
    edu_score = w * 0.9 + cohort * 1.1 + 0.3 * urban[people["hh"]] + rng.normal(0, 0.8, n)
    # attainment tiers: 0 none, 1 primary, 2 junior, 3 senior, 4 diploma, 5 bachelor, 6 master
    tier = np.searchsorted([-1.6, -0.25, 0.45, 1.65, 2.05, 3.1], edu_score)
    in_school_age = (age >= 7) & (age <= 18)
    dropout = rng.random(n) < np.clip(0.08 - 0.05 * w + 0.06 * (age >= 16), 0.0, 0.6)
    schooling = in_school_age & ~dropout
    school_tier = np.select([age <= 12, age <= 15], [1, 2], 3)
    tier = np.where(
        age < 7,
        -1,
        np.where(
            schooling,
            school_tier,
            np.minimum(
                tier, np.where(age <= 12, 1, np.where(age <= 15, 2, np.where(age <= 18, 3, 9)))
            ),
        ),
    )
    level_by_tier = {
        1: (3, 4, 1),
        2: (8, 9, 6),
        3: (13, 14, 15, 16, 11),
        4: (18, 19),
        5: (20, 21),
        6: (22, 23),
    }
    p_by_tier = {
        1: (0.82, 0.16, 0.02),
        2: (0.75, 0.22, 0.03),
        3: (0.48, 0.15, 0.32, 0.02, 0.03),
        4: (0.35, 0.65),
        5: (0.95, 0.05),
        6: (0.97, 0.03),
    }
    level = np.zeros(n, np.int16)
    for t_, codes in level_by_tier.items():
        m = tier == t_
        level[m] = rng.choice(codes, size=m.sum(), p=p_by_tier[t_])
    a["school_participation"] = np.where(
        age < 5,
        0,
        np.where(
            schooling | ((age >= 5) & (age < 7) & (rng.random(n) < 0.4)),
            1,
            np.where(tier <= 0, 0, 2),
        ),
    ).astype(np.int16)
    a["education_level"] = level
    grade_in = np.select([school_tier == 1, school_tier == 2], [age - 6, age - 12], age - 15)
    a["grade"] = np.where(
        schooling, np.clip(grade_in, 1, 6), np.where(level > 0, np.where(tier == 1, 6, 3), 0)
    ).astype(np.int16)
    diploma = np.clip(np.where(schooling, tier - 1, tier), 0, 7)
    a["diploma"] = np.where(age < 5, 0, diploma).astype(np.int16)

    # Work, for people 15+ (Regsosek asks from 5; children rarely work in our population).
    adult = (age >= 15) & ~schooling
    p_work = (
        np.where(female, 0.52, 0.86) * np.where(age >= 65, 0.5, 1.0) * np.where(age >= 75, 0.4, 1.0)
    )
    works = adult & (rng.random(n) < p_work)
    a["worked_last_week"] = np.where(age >= 5, works, False)
    a["work_hours"] = np.where(works, np.clip(rng.normal(38, 12, n), 4, 84), 0).astype(np.int16)
    job_score = w + 0.7 * tier.clip(0, 6) / 3 + rng.normal(0, 0.7, n)
    status = ordinal(
        rng,
        job_score,
        [8, 6, 7, 1, 2, 4, 3, 5],
        [0.12, 0.1, 0.12, 0.24, 0.08, 0.24, 0.04, 0.06],
        0.5,
    )
    a["employment_status"] = np.where(works, status, 0).astype(np.int16)
    rural = ~urban[people["hh"]]
    farm = np.where(rural, 0.55, 0.08) * np.where(np.isin(status, [5, 3]), 0.2, 1.0)
    is_farm = works & (rng.random(n) < farm)
    farm_ind = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.45, 0.12, 0.25, 0.08, 0.06, 0.04])
    # Non-farm industries 7..26, weighted like rural/urban informal employment.
    ind_w = np.array([1, 14, 0.5, 0.5, 10, 28, 7, 8, 1, 1, 0.5, 2, 6, 8, 4, 12, 0.5, 3, 0.1, 0.5])
    other_ind = rng.choice(np.arange(7, 27), size=n, p=ind_w / ind_w.sum())
    govt = status == 5
    other_ind = np.where(govt, rng.choice([19, 20, 21], size=n, p=[0.5, 0.35, 0.15]), other_ind)
    a["industry"] = np.where(works, np.where(is_farm, farm_ind, other_ind), 0).astype(np.int16)
    occ = rng.choice(
        ["asn", "tni", "polri", "bumn", "village_official"], size=n, p=[0.58, 0.1, 0.1, 0.14, 0.08]
    )
    a["occupation_group"] = np.where(works & govt, occ, None).astype(object)
    a["has_npwp"] = works & binary(rng, job_score, 0.2, 0.8)
    own = works & np.isin(status, [1, 2, 3])
    a["has_business"] = own & ~is_farm
    a["business_turnover"] = np.where(
        a["has_business"],
        ordinal(rng, w, [1, 2, 3, 4, 5, 6, 7], [0.45, 0.25, 0.14, 0.08, 0.05, 0.02, 0.01], 1.0),
        0,
    ).astype(np.int16)

    # Health: functional difficulty and chronic disease rise steeply with age.
    p_dis = np.clip(0.01 + 0.0009 * np.maximum(age - 40, 0) ** 1.5 / 10, 0, 0.6)
    dis = rng.random(n) < p_dis
    severity = np.where(dis, rng.choice([2, 3, 4], size=n, p=[0.55, 0.33, 0.12]), 1)
    a["disability"] = severity.astype(np.int16)
    domains = np.where(
        dis,
        1 << rng.choice(10, size=n, p=[0.2, 0.15, 0.3, 0.06, 0.06, 0.03, 0.04, 0.06, 0.07, 0.03]),
        0,
    )
    a["disability_domains"] = domains.astype(np.int16)
    p_chronic = np.clip(0.02 + 0.006 * np.maximum(age - 35, 0), 0, 0.55)
    chronic = rng.random(n) < p_chronic
    a["chronic_disease"] = np.where(
        chronic,
        rng.choice(
            np.arange(1, 19),
            size=n,
            p=np.array([30, 12, 8, 8, 12, 3, 4, 2, 2, 1, 1, 6, 2, 0.5, 2, 0.5, 0.5, 5.5]) / 100,
        ),
        0,
    ).astype(np.int16)
    fertile = female & (age >= 15) & (age <= 45) & (people["marital"] == 2)
    a["pregnant"] = fertile & (rng.random(n) < 0.06)
    # r411 bitmask: birth certificate for younger cohorts, KTP from 17.
    birth_cert = rng.random(n) < np.clip(0.95 - 0.012 * np.maximum(age - 10, 0), 0.2, 0.95)
    ktp = (age >= 17) & (rng.random(n) < 0.96)
    kia = (age < 17) & (rng.random(n) < 0.3)
    a["id_documents"] = (birth_cert * 1 + kia * 2 + ktp * 4).astype(np.int16)
    # r431a bitmask: 1 PBI-JKN (state-paid, for the poor), 2 self-paid, 4 employer.
    pbi = rng.random(n) < np.clip(0.45 - 0.3 * w, 0.02, 0.85)
    employer = np.isin(status, [4, 5]) & works & (rng.random(n) < 0.6)
    self_paid = ~pbi & (rng.random(n) < np.clip(0.15 + 0.12 * w, 0.01, 0.6))
    a["health_insurance"] = (pbi * 1 + self_paid * 2 + employer * 4).astype(np.int16)
    a["kur"] = a["has_business"] & (rng.random(n) < 0.08)
    a["umi"] = a["has_business"] & (rng.random(n) < 0.04)
    a["pip"] = schooling & (rng.random(n) < np.clip(0.35 - 0.25 * w, 0.02, 0.8))
    a["prakerja"] = (age >= 18) & (age <= 64) & (rng.random(n) < 0.03)
    return a
