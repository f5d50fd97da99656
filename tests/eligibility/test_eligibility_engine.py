"""The batch engine on a few hand-made families, each built to hit rules; amounts by hand."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tepat.eligibility import RuleSet, check_agreement, evaluate, summarise
from tepat.errors import InvalidInput

from .builders import REF, as_release, families
from .conftest import Builder


def rows(con: duckdb.DuckDBPyConnection, program: str) -> dict[Any, tuple]:
    """(eligible, amount, failed) per unit key of one program."""
    out = {}
    for family_id, person_key, eligible, amount, failed in con.execute(
        "SELECT family_id, person_key, eligible, amount_year, failed FROM eligibility "
        "WHERE program = ?",
        [program],
    ).fetchall():
        out[person_key or family_id] = (eligible, amount, failed)
    return out


@pytest.fixture
def con(make_db: Builder, rules: RuleSet) -> duckdb.DuckDBPyConnection:
    connection = make_db(*families())
    connection.execute(
        "CREATE TABLE quota_fix AS SELECT 'pbi_jk' AS program, '11.13' AS region_code, 4 AS quota"
    )
    evaluate(connection, rules, REF, quota_overrides="quota_fix")
    return connection


def test_pkh_caps_supersession_and_amount(con: duckdb.DuckDBPyConnection) -> None:
    comps = {
        (p, c): (amount, counted, reason)
        for p, c, amount, counted, reason in con.execute(
            "SELECT person_key, component, amount_year, counted, reason FROM pkh_components "
            "WHERE family_id = 'A'"
        ).fetchall()
    }
    assert comps == {
        ("A2", "pregnancy"): (3_000_000, True, "counted"),
        ("A2", "disability"): (2_400_000, False, "superseded:higher_component"),
        ("A3", "sma"): (2_000_000, True, "counted"),
        ("A4", "smp"): (1_500_000, True, "counted"),
        # Two SD children: same amount, so the lower person_key stays within the school cap;
        # then five components survive and the cheapest is dropped by the cap of four.
        ("A5", "sd"): (900_000, False, "capped:max_components"),
        ("A6", "sd"): (900_000, False, "capped:max_school_children"),
        ("A7", "elderly"): (2_400_000, True, "counted"),
    }
    pkh = rows(con, "pkh")
    assert pkh["A"] == (True, 3_000_000 + 2_000_000 + 1_500_000 + 2_400_000, [])


def test_household_programs(con: duckdb.DuckDBPyConnection) -> None:
    pkh, bpnt, blt = rows(con, "pkh"), rows(con, "bpnt"), rows(con, "blt_kesra")
    assert pkh["B"] == (False, 0, ["no_state_employee"])
    assert pkh["C"] == (True, 2_400_000, [])  # C2 elderly; deceased C1 would also have been
    assert pkh["D"] == (False, 0, ["living_member"])
    assert pkh["E"] == (False, 0, ["desil"])  # NULL desil: the condition fails
    assert pkh["F"] == (False, 0, ["desil"])
    assert pkh["G"] == (False, 0, ["no_component"])
    assert bpnt["A"] == (True, 12 * 200_000, [])
    assert bpnt["G"] == (True, 2_400_000, [])
    assert bpnt["F"] == (False, 0, ["desil"])
    assert blt["C"] == (True, 3 * 300_000, [])
    # One row per household for every household program, whatever happened.
    (count,) = con.execute(
        "SELECT count(*) FROM eligibility WHERE person_key IS NULL"
    ).fetchone() or (0,)
    assert count == 10 * 3


def test_only_living_members_have_person_rows(con: duckdb.DuckDBPyConnection) -> None:
    keys = {k for (k,) in con.execute("SELECT DISTINCT person_key FROM eligibility").fetchall()}
    assert {"C1", "C3", "D1"}.isdisjoint(keys)
    assert {"C2", "C4"} <= keys
    (members,) = con.execute(
        "SELECT members FROM eligibility_households WHERE family_id = 'C'"
    ).fetchone() or (0,)
    assert members == 2


def test_person_programs(con: duckdb.DuckDBPyConnection) -> None:
    pip = rows(con, "pip")
    assert pip["A3"] == (True, 1_000_000, [])
    assert pip["A4"] == (True, 750_000, [])
    assert pip["A5"] == (True, 450_000, [])
    assert pip["A6"] == (True, 450_000, [])
    assert pip["A1"] == (False, 0, ["in_school", "age"])
    assert pip["B3"] == (False, 0, ["no_state_employee"])
    assert pip["C4"] == (False, 0, ["in_school", "age"])  # NULLs fail
    sekolah = rows(con, "sekolah_rakyat")
    assert {k for k, v in sekolah.items() if v[0]} == {"A3", "A4", "A5", "A6"}
    assert sekolah["A3"][1] == 48_000_000
    umkm = rows(con, "umkm")
    assert umkm["A1"] == (True, 2_400_000, [])
    assert umkm["C4"] == (False, 0, ["has_business"])


def test_prakerja_two_per_family_oldest_first_and_own_exclusion(
    con: duckdb.DuckDBPyConnection,
) -> None:
    prakerja = rows(con, "prakerja")
    assert prakerja["F1"] == (False, 0, ["age"])
    assert prakerja["F2"] == (True, 4_200_000, [])
    assert prakerja["F3"] == (True, 4_200_000, [])
    assert prakerja["F4"] == (False, 0, ["max_per_family"])
    assert prakerja["F5"] == (False, 0, ["age", "not_in_school"])
    # The civil servant is out, his wife is not: Prakerja excludes the person, not the family.
    assert prakerja["B1"] == (False, 0, ["not_state_employee"])
    assert prakerja["B2"] == (True, 4_200_000, [])
    assert prakerja["E1"] == (False, 0, ["desil", "not_low_desil"])


def test_quota_override_binds_with_ties_broken_by_person_key(
    con: duckdb.DuckDBPyConnection,
) -> None:
    pbi = rows(con, "pbi_jk")
    assert pbi["H1-a"] == (True, 12 * 42_000, [])
    assert pbi["H1-b"][0] and pbi["H2-a"][0]
    assert pbi["H2-b"] == (True, 504_000, [])  # family H3, same percentile as H2
    assert pbi["H2-c"] == (False, 0, ["quota"])
    assert pbi["B1"] == (False, 0, ["no_state_employee"])
    quota = con.execute(
        "SELECT region_code, eligible_units, quota, quota_source, admitted, cutoff_family_id, "
        "cutoff_person_key FROM eligibility_quota WHERE program = 'pbi_jk' ORDER BY 1"
    ).fetchall()
    # 11.12: A (7), C (2), G (1) qualify; the rest of the national quota covers them all.
    assert quota == [
        ("11.12", 10, 96_800_000 - 4, "share", 10, None, None),
        ("11.13", 5, 4, "override", 4, "H3", "H2-b"),
    ]


def test_national_quota_shared_by_largest_remainders(make_db: Builder, rules: RuleSet) -> None:
    con = make_db(*families())
    evaluate(con, rules.with_overrides({"pbi_jk.national_quota": 7}), REF)
    # 7 for 10 + 5 people: 70/15 = 4 rest 10 and 35/15 = 2 rest 5; the spare one goes to 11.12.
    quota = con.execute(
        "SELECT region_code, quota, admitted FROM eligibility_quota ORDER BY 1"
    ).fetchall()
    assert quota == [("11.12", 5, 5), ("11.13", 2, 2)]
    pbi = rows(con, "pbi_jk")
    admitted = sorted(k for k, v in pbi.items() if v[0])
    # The poorest first: family A (percentile 12) by person_key, then H1 (percentile 5).
    assert admitted == ["A1", "A2", "A3", "A4", "A5", "H1-a", "H1-b"]
    assert pbi["A6"] == (False, 0, ["quota"])
    assert pbi["G1"] == (False, 0, ["quota"])
    assert check_agreement(con, rules.with_overrides({"pbi_jk.national_quota": 7}), REF) == []


def test_overrides_change_the_outcome(make_db: Builder, rules: RuleSet) -> None:
    con = make_db(*families())
    changed = rules.with_overrides({"pkh.max_desil": 1, "bpnt.monthly_amount": 250_000})
    evaluate(con, changed, REF)
    assert rows(con, "pkh")["A"] == (False, 0, ["desil"])
    assert rows(con, "bpnt")["A"] == (True, 3_000_000, [])


def test_batch_and_explanations_agree(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> None:
    assert check_agreement(con, rules, REF) == []
    assert check_agreement(con, rules, REF, family_ids=["A", "H2", "C"]) == []


def test_agreement_reports_a_tampered_row(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> None:
    con.execute("UPDATE eligibility SET amount_year = 1 WHERE program = 'bpnt' AND family_id = 'A'")
    con.execute("DELETE FROM pkh_components WHERE person_key = 'A7'")
    problems = check_agreement(con, rules, REF, family_ids=["A", "nobody"])
    assert any(p.startswith("bpnt family A:") for p in problems)
    assert any(p.startswith("pkh family A: components") for p in problems)
    assert "family nobody: not in rank_households" in problems


def test_view_mode_gives_the_same_rows(make_db: Builder, rules: RuleSet) -> None:
    con = make_db(*families())
    evaluate(con, rules, REF, materialize=False)
    as_view = sorted(con.execute("SELECT * FROM eligibility").fetchall(), key=str)
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'eligibility'"
    ).fetchone()
    assert kind is not None and "VIEW" in kind[0]
    evaluate(con, rules, REF)
    as_table = sorted(con.execute("SELECT * FROM eligibility").fetchall(), key=str)
    assert as_view == as_table


def test_summary(con: duckdb.DuckDBPyConnection) -> None:
    national = {r["program"]: r for r in summarise(con).to_pylist()}
    assert national["pkh"]["households"] == 2  # A and C
    assert national["pkh"]["people"] == 7 + 2  # their living members
    assert national["pkh"]["cost_year"] == 8_900_000 + 2_400_000
    # A1, A2; B2; F2, F3; G1; the five adults of H1-H3 (no desil cut by default)
    assert national["prakerja"]["people"] == 2 + 1 + 2 + 1 + 5
    by_regency = summarise(con, "regency").to_pylist()
    pbi = {r["region_code"]: r["people"] for r in by_regency if r["program"] == "pbi_jk"}
    assert pbi == {"11.12": 10, "11.13": 4}
    with pytest.raises(InvalidInput):
        summarise(con, "street")  # type: ignore[arg-type]


def test_missing_inputs_are_refused(rules: RuleSet) -> None:
    con = duckdb.connect()
    with pytest.raises(InvalidInput, match="rank_households not found"):
        evaluate(con, rules, REF)
    con.execute("CREATE TABLE rank_households (family_id VARCHAR)")
    con.execute("CREATE TABLE rank_members (person_key VARCHAR, family_id VARCHAR)")
    with pytest.raises(InvalidInput, match="lacks column"):
        evaluate(con, rules, REF)


def test_bad_quota_overrides_are_refused(make_db: Builder, rules: RuleSet) -> None:
    con = make_db(*families())
    con.execute("CREATE TABLE q1 AS SELECT 'pkh' AS program, '11.12' AS region_code, 1 AS quota")
    with pytest.raises(InvalidInput, match="quota program"):
        evaluate(con, rules, REF, quota_overrides="q1")
    con.execute(
        "CREATE TABLE q2 AS SELECT * FROM (VALUES ('pbi_jk', '11.12', 1), ('pbi_jk', '11.12', 2))"
        " t(program, region_code, quota)"
    )
    with pytest.raises(InvalidInput, match="listed twice"):
        evaluate(con, rules, REF, quota_overrides="q2")
    with pytest.raises(InvalidInput, match="not a table name"):
        evaluate(con, rules, REF, quota_overrides="q1; DROP TABLE x")


def test_agreement_on_a_release_without_the_quota_table(
    con: duckdb.DuckDBPyConnection, rules: RuleSet
) -> None:
    as_release(con)
    assert check_agreement(con, rules, REF) == []
    # Tampering with a quota decision is still caught: the admitted set is no longer a prefix.
    con.execute(
        "UPDATE eligibility SET eligible = true, amount_year = 504000, failed = [] "
        "WHERE person_key = 'H2-c'"
    )
    con.execute(
        "UPDATE eligibility SET eligible = false, amount_year = 0, failed = ['quota'] "
        "WHERE person_key = 'H2-a'"
    )
    assert any("H2-a" in p for p in check_agreement(con, rules, REF))
