"""The SQL batch and the Python explanations agree on 2,000 random families (seeded)."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from tepat.eligibility import RuleSet, check_agreement, evaluate, load_rules
from tepat.eligibility.rules import BUILTIN_DIR

from .builders import REF, as_release, load

FAMILIES = 2_000
REGENCIES = ("11.12", "11.13", "32.01", None)
# Ages whose birthday falls exactly on the reference date: every threshold in the rules.
EDGE_AGES = (0, 5, 6, 7, 17, 18, 21, 22, 59, 60, 64, 65, 69, 70)


def random_population(seed: int) -> tuple[list[dict], list[dict]]:
    rng = np.random.default_rng(seed)
    households: list[dict] = []
    members: list[dict] = []
    for f in range(FAMILIES):
        family_id = f"K{f:05d}"
        regency = REGENCIES[int(rng.choice(4, p=[0.45, 0.3, 0.2, 0.05]))]
        desil = None if rng.random() < 0.06 else int(rng.integers(1, 11))
        # Whole percentiles: plenty of ties between families, broken by person_key.
        percentile = (
            None
            if desil is None or rng.random() < 0.03
            else float((desil - 1) * 10 + int(rng.integers(0, 10)))
        )
        households.append(
            {
                "family_id": family_id,
                "province_code": regency[:2] if regency else None,
                "regency_code": regency,
                "district_code": f"{regency}.0{int(rng.integers(1, 4))}" if regency else None,
                "village_code": None,
                "urban": bool(rng.random() < 0.5),
                "members": None,
                "desil": desil,
                "percentile": percentile,
                "predicted_pce": float(rng.uniform(3e5, 3e6)),
                "programs_received": None if rng.random() < 0.1 else int(rng.integers(0, 128)),
            }
        )
        size = int(
            rng.choice([0, 1, 2, 3, 4, 5, 6, 8], p=[0.02, 0.1, 0.2, 0.22, 0.2, 0.13, 0.08, 0.05])
        )
        for i in range(size):
            members.append(_member(rng, family_id, i))
    return households, members


def _member(rng: np.random.Generator, family_id: str, i: int) -> dict:
    roll = rng.random()
    if roll < 0.05:
        birth = None
    elif roll < 0.20:
        age = int(rng.choice(EDGE_AGES))
        shift = int(rng.choice([0, 0, 1, -1]))  # on, before or after the birthday
        birth = date(REF.year - age, REF.month, REF.day) + timedelta(days=shift)
    elif roll < 0.22:
        birth = date(int(rng.choice([2004, 2008, 1960])), 2, 29)
    elif roll < 0.23:
        birth = REF + timedelta(days=int(rng.integers(1, 400)))  # recorded after the data cut
    else:
        birth = REF - timedelta(days=int(rng.integers(0, 95 * 365)))

    def maybe(value: object, share: float = 0.05) -> object:
        return None if rng.random() < share else value

    status = str(rng.choice(["alive", "deceased", "unknown", "x"], p=[0.92, 0.04, 0.03, 0.01]))
    school = int(rng.integers(0, 3))
    return {
        # Random prefixes so that person_key order differs from family order.
        "person_key": f"{int(rng.integers(0, 10**6)):06d}-{family_id}-{i}",
        "family_id": family_id,
        "sex": maybe(str(rng.choice(["M", "F"]))),
        "birth_date": birth,
        "relationship": maybe(int(rng.integers(1, 9))),
        "marital_status": maybe(int(rng.integers(1, 5))),
        "pregnant": maybe(bool(rng.random() < 0.08)),
        "school_participation": maybe(school, 0.08),
        "education_level": maybe(int(rng.integers(1, 24)), 0.08),
        "employment_status": maybe(5 if rng.random() < 0.03 else int(rng.integers(0, 9))),
        "worked_last_week": maybe(bool(rng.random() < 0.5)),
        "has_business": maybe(bool(rng.random() < 0.2)),
        "disability": maybe(int(rng.choice([1, 2, 3, 4], p=[0.8, 0.08, 0.06, 0.06]))),
        "chronic_disease": maybe(int(rng.integers(0, 19))),
        "status": None if status == "x" else status,
    }


@pytest.fixture(scope="module")
def population() -> tuple[list[dict], list[dict]]:
    return random_population(seed=20250630)


def _reasons(con: duckdb.DuckDBPyConnection) -> Counter[str]:
    rows = con.execute("SELECT unnest(failed) AS r, count(*) FROM eligibility GROUP BY r")
    return Counter({r: n for r, n in rows.fetchall()})


def test_default_rules_with_a_binding_regional_quota(
    population: tuple[list[dict], list[dict]], rules: RuleSet
) -> None:
    con = duckdb.connect()
    load(con, *population)
    con.execute(
        "CREATE TABLE fix AS SELECT * FROM (VALUES ('pbi_jk', '11.13', 300), "
        "('pbi_jk', '99.99', 10)) t(program, region_code, quota)"
    )
    evaluate(con, rules, REF, quota_overrides="fix")
    assert check_agreement(con, rules, REF) == []
    seen = _reasons(con)
    # The random data reaches the paths that matter.
    for reason in ("quota", "max_per_family", "no_component", "living_member",
                   "no_state_employee", "desil", "age", "in_school"):  # fmt: skip
        assert seen[reason] > 0, reason
    capped = con.execute(
        "SELECT count(DISTINCT reason) FROM pkh_components WHERE reason LIKE 'capped:%'"
    ).fetchone()
    assert capped is not None and capped[0] >= 2


def test_tight_overrides_as_a_view(
    population: tuple[list[dict], list[dict]], tmp_path: Path
) -> None:
    # Edited rules: PIP without an SMA amount, so SMA pupils meet the conditions but get
    # no_amount; then tight caps and a national quota that binds everywhere.
    folder = tmp_path / "rules"
    shutil.copytree(BUILTIN_DIR, folder)
    pip = (folder / "pip.toml").read_text(encoding="utf-8")
    pip = pip.replace('sma = "$sma_amount"\n', "").replace("sma_amount = 1_000_000\n", "")
    (folder / "pip.toml").write_text(pip, encoding="utf-8")
    # Quotas ranked person by person (a person field in order_by) and family by family (a
    # household program), not only the family-level ranking PBI-JK uses by default.
    pbi = (folder / "pbi_jk.toml").read_text(encoding="utf-8")
    pbi = pbi.replace('order_by = ["percentile asc"]', 'order_by = ["age desc", "percentile asc"]')
    (folder / "pbi_jk.toml").write_text(pbi, encoding="utf-8")
    bpnt = (
        (folder / "bpnt.toml")
        .read_text(encoding="utf-8")
        .replace("months = 12\n", "months = 12\nkpm_quota = 300\n", 1)
    )
    bpnt += (
        '\n[quota]\ntotal = "$kpm_quota"\nallocate_by = "district_code"\n'
        'order_by = ["percentile asc", "members desc"]\nlabel = "Kuota"\nlabel_en = "Quota"\n'
    )
    (folder / "bpnt.toml").write_text(bpnt, encoding="utf-8")
    tight = load_rules(folder).with_overrides(
        {
            "pbi_jk.national_quota": 1_500,
            "pkh.max_components": 2,
            "pkh.max_school_children": 1,
            "pkh.max_early_childhood": 1,
            "pkh.max_pregnancies": 0,
            "pkh.elderly_min_age": 70,
            "pkh.severe_disability_min": 3,
            "prakerja.max_per_family": 1,
            "prakerja.exclude_desil_up_to": 2,
            "pip.max_desil": 6,
        }
    )
    con = duckdb.connect()
    load(con, *population)
    evaluate(con, tight, REF, materialize=False)
    assert check_agreement(con, tight, REF) == []
    assert _reasons(con)["no_amount"] > 0
    losers = dict(
        con.execute(
            "SELECT program, count(*) FROM eligibility WHERE list_contains(failed, 'quota') "
            "GROUP BY program"
        ).fetchall()
    )
    assert losers.get("pbi_jk", 0) > 0 and losers.get("bpnt", 0) > 0
    quota = con.execute(
        "SELECT sum(quota), count(*) FILTER (WHERE admitted < eligible_units) "
        "FROM eligibility_quota"
    ).fetchone()
    assert quota is not None and quota[0] == 1_500 + 300 and quota[1] >= 3  # binds everywhere
    # The same from what a published release keeps (no quota table, eligibility a table).
    as_release(con)
    assert check_agreement(con, tight, REF) == []
    # A sample through the per-family path as well.
    assert (
        check_agreement(con, tight, REF, family_ids=[f"K{i:05d}" for i in range(0, 2000, 7)]) == []
    )
