"""Explanations: per program and member, in words a family can read, JSON-ready."""

from __future__ import annotations

import json

import duckdb
import pytest

from tepat.eligibility import RuleSet, evaluate, explain
from tepat.errors import InvalidInput, NotFound

from .builders import REF, as_release, families
from .conftest import Builder


@pytest.fixture
def con(make_db: Builder, rules: RuleSet) -> duckdb.DuckDBPyConnection:
    connection = make_db(*families())
    connection.execute(
        "CREATE TABLE fix AS SELECT 'pbi_jk' AS program, '11.13' AS region_code, 4 AS quota"
    )
    evaluate(connection, rules, REF, quota_overrides="fix")
    return connection


def test_pkh_explanation(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> None:
    x = explain(con, rules, "A", REF)
    pkh = x.program("pkh")
    assert pkh.eligible and pkh.amount_year == 8_900_000
    (unit,) = pkh.units
    desil = next(c for c in unit.checks if c.id == "desil")
    assert (desil.field, desil.op, desil.expected, desil.actual, desil.status) == (
        "desil", "<=", 4, 2, "met",
    )  # fmt: skip
    assert desil.label == "Keluarga berada di desil 1–4"
    reasons = {(c.person_key, c.component): c.reason for c in unit.components}
    assert reasons[("A6", "sd")] == "capped:max_school_children"
    assert reasons[("A2", "disability")] == "superseded:higher_component"
    assert x.facts["members"] == 7 and x.facts["desil"] == 2


def test_text_in_both_languages(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> None:
    x = explain(con, rules, "A", REF)
    text_id = x.render_text("id")
    assert "Keluarga ini berada di desil 2" in text_id
    assert "PKH (Program Keluarga Harapan): layak, Rp8.900.000 per tahun." in text_id
    assert "Keluarga berada di desil 1–4: terpenuhi (desil: 2)." in text_id
    assert "Anggota 6 (anak, 11 tahun): Anak sekolah SD/sederajat, Rp900.000: tidak dihitung" in (
        text_id
    )
    text_en = x.render_text("en")
    assert "PKH (Family Hope Programme (conditional cash transfer)): eligible, Rp8,900,000" in (
        text_en
    )
    assert "The family is in decile 1–4: met (desil: 2)." in text_en
    with pytest.raises(InvalidInput):
        x.render_text("fr")


def test_unknown_values_and_uncounted_members(
    con: duckdb.DuckDBPyConnection, rules: RuleSet
) -> None:
    x = explain(con, rules, "C", REF)
    pip = {u.person_key: u for u in x.program("pip").units}
    assert set(pip) == {"C2", "C4"}  # the deceased and unknown-status members have no rows
    statuses = {c.id: (c.actual, c.status) for c in pip["C4"].checks}
    assert statuses["in_school"] == (None, "unknown")
    assert statuses["age"] == (None, "unknown")
    assert pip["C4"].failed == ("in_school", "age")
    counted = {m.person_key: m.counted for m in x.members}
    assert counted == {"C1": False, "C2": True, "C3": False, "C4": True}
    text = x.render_text("id")
    assert "Tidak dihitung:" in text and "meninggal" in text
    assert "tidak diketahui (jenjang sekolah: tidak diketahui, data kosong)" in text


def test_quota_and_family_cap_notes(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> None:
    pbi = {u.person_key: u for u in explain(con, rules, "H2", REF).program("pbi_jk").units}
    assert pbi["H2-a"].eligible and not pbi["H2-c"].eligible
    (note,) = pbi["H2-c"].ranks
    assert (note.admitted, note.region_code, note.quota, note.eligible_units) == (
        False, "11.13", 4, 5,
    )  # fmt: skip
    assert "di luar kuota" in explain(con, rules, "H2", REF).render_text("id")
    prakerja = {u.person_key: u for u in explain(con, rules, "F", REF).program("prakerja").units}
    (cap,) = prakerja["F4"].ranks
    assert (cap.position, cap.limit, cap.admitted) == (3, 2, False)
    assert "urutan ke-3, tidak terpilih" in explain(con, rules, "F", REF).render_text("id")


def test_as_dict_is_json(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> None:
    data = json.loads(json.dumps(explain(con, rules, "A", REF).as_dict()))
    assert data["reference_date"] == "2025-06-30"
    assert data["rules_version"] == rules.version
    pkh = next(p for p in data["programs"] if p["id"] == "pkh")
    assert pkh["amount_year"] == 8_900_000
    assert pkh["program"] == "pkh" and pkh["conditions"][2]["status"] == "met"
    assert [c["reason"] for c in pkh["components"]].count("counted") == 4
    pip = next(p for p in data["programs"] if p["id"] == "pip")
    assert [c["id"] for c in pip["conditions"]] == ["living_member", "no_state_employee", "desil"]
    members = {m["person_key"]: m for m in pip["members"]}
    assert members["A4"]["amount_year"] == 750_000
    assert members["A1"]["failed"] == ["in_school", "age"]


def test_explain_on_a_release(make_db: Builder, rules: RuleSet) -> None:
    con = make_db(*families())
    con.execute(
        "CREATE TABLE fix AS SELECT 'pbi_jk' AS program, '11.13' AS region_code, 4 AS quota"
    )
    evaluate(con, rules, REF, quota_overrides="fix")
    as_release(con)
    pbi = {u.person_key: u for u in explain(con, rules, "H2", REF).program("pbi_jk").units}
    assert pbi["H2-a"].eligible and not pbi["H2-c"].eligible
    assert pbi["H2-c"].ranks[0].quota == 4  # rebuilt: the number admitted


def test_unknown_family_and_missing_batch(make_db: Builder, rules: RuleSet) -> None:
    con = make_db(*families())
    with pytest.raises(InvalidInput, match="run evaluate"):
        explain(con, rules, "A", REF)
    evaluate(con, rules, REF)
    with pytest.raises(NotFound) as caught:
        explain(con, rules, "3201010101010001", REF)
    assert "3201010101010001" not in str(caught.value)  # a KK number is masked
