"""Rule files: the shipped ones load; every mistake is refused with file, line and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tepat.eligibility import RulesError, RuleSet, load_rules, parse_program
from tepat.eligibility.catalogue import CATALOGUE
from tepat.eligibility.parse import parse_exclusions
from tepat.eligibility.rules import BUILTIN_DIR
from tepat.errors import InvalidInput

GOOD = """\
[program]
id = "demo"
name = "Program Contoh"
name_en = "Demo programme"
unit = "household"
version = "1"
source = "test"

[parameters]
max_desil = 4
monthly_amount = 100_000   # [U] not confirmed

[[conditions]]
id = "desil"
field = "desil"
op = "<="
value = "$max_desil"
label = "Desil 1–{max_desil}"
label_en = "Decile 1–{max_desil}"

[amount]
per_month = "$monthly_amount"
"""


def refused(text: str, match: str) -> RulesError:
    with pytest.raises(RulesError, match=match) as caught:
        parse_program(text, "demo.toml")
    assert caught.value.file == "demo.toml"
    return caught.value


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_a_good_file() -> None:
    program = parse_program(GOOD, "demo.toml")
    assert program.conditions[0].value == 4
    assert program.conditions[0].label == "Desil 1–4"
    assert program.amount is not None and program.amount.fixed == 1_200_000
    assert program.parameters["monthly_amount"].uncertain
    assert not program.parameters["max_desil"].uncertain
    assert program.parameters["monthly_amount"].line == line_of(GOOD, "monthly_amount =")


@pytest.mark.parametrize(
    ("old", "new", "fragment", "reason"),
    [
        ('field = "desil"', 'field = "desl"', "desl", r"unknown field 'desl' \(did you mean desil"),
        ('op = "<="', 'op = "=<"', '"=<"', "unknown operator '=<'"),
        ('value = "$max_desil"', 'value = "$max_desl"', "$max_desl", r"unknown parameter \$max_"),
        ("max_desil = 4", "max_desil = 11", "max_desil = 11", "desil is between 1 and 10, not 11"),
        ("max_desil = 4", 'max_desil = "four"', "max_desil =", "desil takes a whole number"),
        ("monthly_amount = 100_000", "monthly_amount = -5", "monthly_amount", "cannot be negative"),
        ("monthly_amount = 100_000", "monthly_amount = 1.5", "monthly_amount", "whole number"),
        ('label = "Desil', 'lable = "Desil', "lable", "unknown key 'lable'"),
        ('label_en = "Decile 1–{max_desil}"', 'label_en = "D {maks}"', "{maks}", "placeholder"),
        ('unit = "household"', 'unit = "family"', "unit =", "unit must be 'household' or 'person'"),
        ('field = "desil"', 'field = "age"', "age", "person field"),
        ('op = "<="', 'op = "in"', "$max_desil", "takes a list of values"),
    ],
)  # fmt: skip
def test_mistakes_name_the_line(old: str, new: str, fragment: str, reason: str) -> None:
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    error = refused(text, reason)
    assert error.line == line_of(text, fragment)
    assert f"demo.toml:{error.line}" in str(error)


def test_syntax_error_has_the_line() -> None:
    text = GOOD.replace('version = "1"', 'version = "1')
    error = refused(text, "TOML syntax")
    assert error.line == line_of(text, 'version = "1')


def test_impossible_literal_values() -> None:
    text = GOOD.replace(
        'field = "desil"\nop = "<="\nvalue = "$max_desil"',
        'field = "members"\nop = "between"\nvalue = [1, "$max_desil", 3]',
    )
    assert refused(text, r"'between' takes \[lowest, highest\]").line == line_of(text, "value =")
    person = GOOD.replace('unit = "household"', 'unit = "person"')
    age = person.replace(
        'field = "desil"\nop = "<="\nvalue = "$max_desil"',
        'field = "age"\nop = "between"\nvalue = [0, 200]',
    ).replace("{max_desil}", "")
    age = age.replace("max_desil = 4\n", "")
    error = refused(age, "age is between 0 and 130, not 200")
    assert error.line == line_of(age, "value = [0, 200]")
    wrong_type = person.replace('value = "$max_desil"', "value = true")
    assert refused(wrong_type, "desil takes a whole number, not True").line == line_of(
        wrong_type, "value = true"
    )
    backwards = person.replace('value = "$max_desil"', "value = [6, 2]").replace(
        'op = "<="', 'op = "between"'
    )
    assert refused(backwards, "lowest 6 > highest 2").line == line_of(backwards, "value = [6")


def test_caps_cannot_be_negative() -> None:
    text = (BUILTIN_DIR / "pkh.toml").read_text(encoding="utf-8")
    bad = text.replace("max_components = 4 ", "max_components = -1 ")
    with pytest.raises(RulesError, match="must be between 0 and 1000, not -1") as caught:
        parse_program(bad, "pkh.toml")
    assert caught.value.line == line_of(bad, "max_components = -1")


def test_structure_mistakes() -> None:
    unused = GOOD.replace("max_desil = 4", "max_desil = 4\nmax_desl = 3")
    assert refused(unused, "max_desl is not used").line == line_of(unused, "max_desl = 3")
    no_amount = GOOD[: GOOD.index("[amount]")].replace(
        "monthly_amount = 100_000   # [U] not confirmed\n", ""
    )
    refused(no_amount, r"missing \[amount\]")
    twice = GOOD.replace(
        "[amount]", GOOD[GOOD.index("[[conditions]]") : GOOD.index("[amount]")] + "[amount]"
    )
    refused(twice, "id 'desil' is used twice")
    reserved = GOOD.replace('id = "desil"', 'id = "no_amount"')
    refused(reserved, "reserved")
    top = GOOD + "\n[extra]\nx = 1\n"
    assert refused(top, "unknown key 'extra'").line == line_of(top, "[extra]")
    cap = GOOD + '\n[family_cap]\nmax = 2\nlabel = "a"\nlabel_en = "b"\n'
    refused(cap, "for person programs only")


def test_exclusions_file() -> None:
    rules = load_rules()
    text = (BUILTIN_DIR / "exclusions.toml").read_text(encoding="utf-8")
    bad = text.replace('except = ["prakerja"]', 'except = ["prakerja", "kartu_sakti"]')
    with pytest.raises(RulesError, match="unknown program 'kartu_sakti'") as caught:
        parse_exclusions(bad, "exclusions.toml", rules.programs)
    assert caught.value.line == line_of(bad, "kartu_sakti")
    person = text.replace('field = "members"', 'field = "age"')
    with pytest.raises(RulesError, match="person field"):
        parse_exclusions(person, "exclusions.toml", rules.programs)


def test_folder_checks(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(BUILTIN_DIR, folder)
    (folder / "exclusions.toml").unlink()
    with pytest.raises(RulesError, match="missing"):
        load_rules(folder)
    shutil.copy(BUILTIN_DIR / "exclusions.toml", folder)
    (folder / "bansos.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(RulesError, match="must match the file name"):
        load_rules(folder)
    with pytest.raises(RulesError, match="not a folder"):
        load_rules(tmp_path / "nowhere")


def test_shipped_rules(rules: RuleSet) -> None:
    assert set(rules.programs) == {
        "beasiswa", "blt_kesra", "bpnt", "kip_kuliah", "pbi_jk", "pip", "pkh", "prakerja",
        "sekolah_rakyat", "umkm",
    }  # fmt: skip
    pkh = rules.program("pkh")
    assert {c.id: c.amount_year for c in pkh.components} == {
        "pregnancy": 3_000_000, "early_childhood": 3_000_000, "sd": 900_000, "smp": 1_500_000,
        "sma": 2_000_000, "elderly": 2_400_000, "disability": 2_400_000,
    }  # fmt: skip
    assert pkh.parameters["elderly_min_age"].uncertain
    assert rules.program("kip_kuliah").amount.fixed == 1_100_000 * 12 + 4_000_000 * 2  # type: ignore[union-attr]
    assert rules.program("bpnt").amount.fixed == 2_400_000  # type: ignore[union-attr]
    assert rules.conditions("prakerja")[0].id == "living_member"
    assert "no_state_employee" not in [t.id for t in rules.conditions("prakerja")]
    assert rules.reasons("pip")[-1] == "no_amount"
    assert rules.reasons("pbi_jk")[-1] == "quota"
    assert rules.version.startswith("beasiswa=2025.1;")
    assert [f.name for f in rules.files][-1] == "exclusions.toml"
    assert {f.parent for f in rules.files} == {BUILTIN_DIR}
    assert len(rules.version.rsplit("sha256=", 1)[1]) == 64


def test_every_field_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "ELIGIBILITY.md").read_text(encoding="utf-8")
    for name in CATALOGUE:
        assert f"`{name}`" in doc, name


def test_overrides(rules: RuleSet) -> None:
    changed = rules.with_overrides(
        {"pkh.max_desil": 3, "bpnt.monthly_amount": 250_000, "pbi_jk.national_quota": 80_000_000}
    )
    assert changed.conditions("pkh")[-1].value == 3
    assert changed.conditions("pkh")[-1].label == "Keluarga berada di desil 1–3"
    assert changed.program("bpnt").amount.fixed == 3_000_000  # type: ignore[union-attr]
    assert changed.program("pbi_jk").quota.total == 80_000_000  # type: ignore[union-attr]
    assert rules.conditions("pkh")[-1].value == 4  # the original is untouched
    assert changed.version != rules.version and ";overrides;" in changed.version
    again = changed.with_overrides({"pkh.max_desil": 2})
    assert again.conditions("pkh")[-1].value == 2
    assert again.program("bpnt").amount.fixed == 3_000_000  # type: ignore[union-attr]
    assert rules.with_overrides({}).version == rules.version


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"pkh.max_desil": 11}, r"override pkh.max_desil = 11: desil is between 1 and 10"),
        ({"pkh.max_desil": "3"}, "desil takes a whole number"),
        ({"bpnt.monthly_amount": -1}, "cannot be negative"),
        ({"pkh.max_components": -2}, "between 0 and 1000"),
        ({"pkh.elderly_min_age": 200}, "age is between 0 and 130"),
        ({"pkh.nothing": 1}, "has no parameter 'nothing'"),
        ({"kartu.max_desil": 1}, "unknown program 'kartu'"),
        ({"max_desil": 1}, "write <program>.<parameter>"),
        ({"exclusions.min_members": 2}, "exclusions has no parameter 'min_members'"),
    ],
)
def test_bad_overrides(rules: RuleSet, overrides: dict, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        rules.with_overrides(overrides)
