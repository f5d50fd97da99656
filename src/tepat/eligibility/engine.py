"""The batch engine: every program for every household and living member, in DuckDB SQL.

:func:`evaluate` reads ``rank_households`` and ``rank_members`` (the ranking step's tables, see
``docs/ELIGIBILITY.md``) and writes:

- ``eligibility_households`` and ``eligibility_persons``: one row per household / per living
  member of a household, with the fields the rules read and, per program of that unit,
  ``<program>_mask`` (bit i set when reason i of :meth:`RuleSet.reasons` failed; 0 = eligible)
  and ``<program>_amount`` (the yearly amount the unit would get, NULL if it has none);
- ``<program>_components`` for each program with components (``pkh_components``);
- ``eligibility_quota``: per quota program and region, the eligible units, the quota, how many
  got in and the last unit admitted (what the explanations compare to);
- ``eligibility_masks``: the failed-reason list of every mask that can occur;
- ``eligibility``: one row per program and unit with ``eligible``, ``amount_year`` and the
  ``failed`` reason ids. A table by default; a view over the tables above with
  ``materialize=False`` (the same rows, without writing ~7 rows per person).

Columns whose names start with ``_`` are the engine's working columns.

The SQL is generated from the rules by :func:`build_sql` (pure) as a handful of set-based
statements, one pass over the members for the household table and one join for the person
table; no Python loop touches a row. Caps and quotas only rank where they can bite: the
families with more candidates than a cap, the regions where a quota binds (PBI-JK-like quotas
ordered by household fields rank families, and people only in the tied group at the cut-off).
Losers get their bit set by an UPDATE.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

from tepat.eligibility.catalogue import (
    CATALOGUE,
    HOUSEHOLD_COLUMNS,
    LIVING_STATUS,
    MEMBER_COLUMNS,
    REGION_FIELDS,
    field_sql,
)
from tepat.eligibility.explain import check_agreement, explain
from tepat.eligibility.rules import NO_AMOUNT, NO_COMPONENT, Program, RuleSet
from tepat.eligibility.sql import all_hold, ident, literal, mask, order_sql, text
from tepat.errors import InvalidInput

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "Statement",
    "build_sql",
    "check_agreement",  # re-exported: the explanations live in explain.py
    "evaluate",
    "explain",
]

HOUSEHOLDS: Final = "eligibility_households"
PERSONS: Final = "eligibility_persons"
QUOTA_TABLE: Final = "eligibility_quota"
MASKS: Final = "eligibility_masks"
RESULT_TABLE: Final = "eligibility"
_TABLE_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
_COLUMN_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def components_table(program_id: str) -> str:
    return f"{program_id}_components"


def mask_column(program_id: str) -> str:
    return f"{program_id}_mask"


def amount_column(program_id: str) -> str:
    return f"{program_id}_amount"


def _count_column(program_id: str) -> str:
    return f"_n_{program_id}"


def _rank_table(program_id: str) -> str:
    return f"_elig_rank_{program_id}"


def _edge_table(program_id: str) -> str:
    return f"_elig_edge_{program_id}"


def _quota_count_column(program_id: str) -> str:
    return f"_q_{program_id}"


# The family's row in the household table (its rowid, which UPDATEs keep): an integer key the
# person table carries so that the steps grouping a family's members (caps, components, family
# quotas) hash and sort integers, not family ids.
FAMILY_ROW: Final = "_family_row"


def by_family(program: Program) -> bool:
    """A person quota ordered by household fields only is ranked family by family: members of
    one family are consecutive except where families tie, so only the tied group at each
    region's cut-off needs ranking person by person."""
    quota = program.quota
    return (
        program.unit == "person"
        and quota is not None
        and all(CATALOGUE[k.field].level == "household" for k in quota.order_by)
    )


def unit_table(program: Program) -> str:
    return HOUSEHOLDS if program.unit == "household" else PERSONS


@dataclass(frozen=True)
class Statement:
    """One SQL statement and what it makes (for timing and errors)."""

    makes: str
    sql: str


def evaluate(
    con: duckdb.DuckDBPyConnection,
    rules: RuleSet,
    reference_date: date,
    *,
    quota_overrides: str | None = None,
    materialize: bool = True,
    aggregates: str | None = None,
    key: str = "family_id",
) -> None:
    """Evaluate every program; (re)create ``eligibility`` and its companion tables.

    ``quota_overrides`` names a table or view with columns ``program``, ``region_code`` and
    ``quota``: a region listed there gets that quota instead of its share, and the total left
    for the other regions shrinks by it. ``materialize=False`` makes ``eligibility`` a view.
    ``aggregates`` names a table, one row per family with living members, holding the family
    key and the columns of :func:`family_aggregates` computed for the same ``reference_date``
    (others are ignored): the engine then does not aggregate the members itself. ``key`` is the
    column that names a family in both input tables (and in ``aggregates``): ``family_id``, or
    an integer column standing one to one for it, which joins faster;
    ``eligibility_households`` then holds it too.
    """
    if not _COLUMN_NAME.fullmatch(key):
        raise InvalidInput(f"{key!r} is not a column name")
    _check_inputs(con, rules, key)
    if quota_overrides is not None:
        _check_overrides(con, rules, quota_overrides)
    if aggregates is not None:
        _check_aggregates(con, rules, reference_date, aggregates, key)
    _drop_relation(con, RESULT_TABLE)  # it may be a view from an earlier run, or a table
    for statement in build_sql(
        rules,
        reference_date,
        quota_overrides=quota_overrides,
        materialize=materialize,
        aggregates=aggregates,
        key=key,
    ):
        con.execute(statement.sql)


def build_sql(
    rules: RuleSet,
    reference_date: date,
    *,
    quota_overrides: str | None = None,
    materialize: bool = True,
    aggregates: str | None = None,
    key: str = "family_id",
) -> list[Statement]:
    """The statements :func:`evaluate` runs, in order."""
    programs = list(rules.programs.values())
    out = [_households_sql(rules, reference_date, aggregates, key)]
    if _needs_persons(programs):
        out.append(_persons_sql(rules, reference_date, key))
    for program in programs:
        if program.components:
            out += _components_sql(rules, program)
    for program in programs:
        if program.family_cap is not None:
            out.append(_family_cap_sql(rules, program))
    out.append(_quota_sql(programs, quota_overrides))
    for program in programs:
        if by_family(program):
            out += _family_quota_sql(rules, program)
        elif program.quota is not None:
            out += [_rank_sql(program), _cutoff_sql(program), _quota_losers_sql(rules, program)]
    out.append(_masks_sql(rules, programs))
    out.append(_result_sql(programs, materialize))
    out += [
        Statement("cleanup", f"DROP TABLE IF EXISTS {table}")
        for p in programs
        if p.quota is not None
        for table in (_rank_table(p.id), _edge_table(p.id))
    ]
    return out


# -- which fields -----------------------------------------------------------------------------


def used_fields(rules: RuleSet) -> set[str]:
    """Every catalogue field the rules read."""
    used: set[str] = set()
    for program in rules.programs.values():
        used.update(t.field for t in rules.conditions(program.id))
        for component in program.components:
            used.update(t.field for t in component.when)
        if program.amount is not None and program.amount.by is not None:
            used.add(program.amount.by)
        for ranked in (program.family_cap, program.quota):
            if ranked is not None:
                used.update(k.field for k in ranked.order_by)
        if program.quota is not None and program.quota.allocate_by is not None:
            used.add(program.quota.allocate_by)
    return used


def _ranking_fields(rules: RuleSet, unit: str) -> set[str]:
    """Fields the family caps and quotas of ``unit`` programs order or group by."""
    out: set[str] = set()
    for program in rules.programs.values():
        if program.unit != unit:
            continue
        if program.family_cap is not None:
            out.update(k.field for k in program.family_cap.order_by)
        if program.quota is not None and not by_family(program):
            out.update(k.field for k in program.quota.order_by)
            if program.quota.allocate_by is not None:
                out.add(program.quota.allocate_by)
    return out


def _needs_persons(programs: Sequence[Program]) -> bool:
    return any(p.unit == "person" or p.components for p in programs)


def _bit(rules: RuleSet, program: Program, reason: str) -> int:
    return 1 << rules.reasons(program.id).index(reason)


def _amount_sql(program: Program, col: Callable[[str], str] = ident) -> str:
    """The yearly amount of a unit, NULL when it has none (components come later)."""
    if program.components:
        return "CAST(NULL AS BIGINT)"
    amount = program.amount
    assert amount is not None
    if amount.by is None:
        return f"CAST({amount.fixed} AS BIGINT)"
    spec = CATALOGUE[amount.by]
    cases = " ".join(
        f"WHEN {literal(k, spec)} THEN CAST({v} AS BIGINT)" for k, v in amount.cases.items()
    )
    return f"CASE {col(amount.by)} {cases} END"


def _final_mask(rules: RuleSet, program: Program) -> str:
    """The conditions' mask, plus the no_amount bit when they hold and there is no amount."""
    cond = ident(f"_c_{program.id}")
    if program.amount is not None and program.amount.by is not None:
        bit = _bit(rules, program, NO_AMOUNT)
        return (
            f"CASE WHEN {cond} = 0 AND {ident(amount_column(program.id))} IS NULL "
            f"THEN {bit} ELSE {cond} END"
        )
    return cond


def stores_amount(program: Program) -> bool:
    """Whether the unit table has an amount column (else the amount is the fixed one)."""
    return bool(program.components) or (
        program.amount is not None and program.amount.by is not None
    )


def amount_sql(program: Program, prefix: str = "") -> str:
    """The yearly amount of a unit of the program, from its unit table row."""
    if stores_amount(program):
        return f"{prefix}{ident(amount_column(program.id))}"
    assert program.amount is not None
    return f"CAST({program.amount.fixed} AS BIGINT)"


def _mask_columns(
    rules: RuleSet, programs: Sequence[Program], *, household_part: bool = False
) -> tuple[list[str], list[str]]:
    """SELECT items for (condition masks and amounts) and (final masks, stored amounts).

    With ``household_part`` the household conditions' bits come ready in ``_hm_<program>``
    (computed once per household) and only the person conditions are evaluated here.
    """
    first: list[str] = []
    final: list[str] = []
    for p in programs:
        tests = rules.conditions(p.id)
        if household_part:
            cond = f"{ident(_household_mask_column(p.id))} + {mask(tests, only='person')}"
        else:
            cond = mask(tests)
        first.append(f"{cond} AS {ident(f'_c_{p.id}')}")
        if stores_amount(p):
            first.append(f"{_amount_sql(p)} AS {ident(amount_column(p.id))}")
            final.append(ident(amount_column(p.id)))
        final.append(f"CAST({_final_mask(rules, p)} AS INTEGER) AS {ident(mask_column(p.id))}")
    return first, final


def _household_mask_column(program_id: str) -> str:
    return f"_hm_{program_id}"


def _ok_column(program_id: str) -> str:
    return f"_ok_{program_id}"


def _bits_column(number: int) -> str:
    return f"_hh_bits_{number}"


_PACKED_BITS: Final = 62


@dataclass(frozen=True)
class _Packed:
    """A household working column the person table needs, packed into ``_hh_bits_<number>``."""

    column: str
    number: int
    offset: int
    width: int
    flag: bool  # BOOLEAN (else an INTEGER mask half)


def _packed_layout(rules: RuleSet) -> list[_Packed]:
    """Where the household table packs what the person table needs of the family: the household
    half of each person program's mask and each component program's conditions flag. One
    BIGINT per 62 bits, so the person join carries a column or two instead of one per program
    (a narrower build side, a faster join)."""
    items = [
        (_household_mask_column(p.id), len(rules.reasons(p.id)), False)
        for p in rules.programs.values()
        if p.unit == "person"
    ]
    items += [(_ok_column(p.id), 1, True) for p in rules.programs.values() if p.components]
    layout: list[_Packed] = []
    number, offset = 0, 0
    for column, width, flag in items:
        if offset + width > _PACKED_BITS:
            number, offset = number + 1, 0
        layout.append(_Packed(column, number, offset, width, flag))
        offset += width
    return layout


def _pack_sql(rules: RuleSet) -> list[str]:
    """The packed columns of the household table, from its working columns."""
    parts: dict[int, list[str]] = {}
    for item in _packed_layout(rules):
        parts.setdefault(item.number, []).append(
            f"(CAST({ident(item.column)} AS BIGINT) << {item.offset})"
        )
    return [f"{' | '.join(p)} AS {ident(_bits_column(n))}" for n, p in sorted(parts.items())]


def _unpack_sql(rules: RuleSet, alias: str) -> list[str]:
    """The working columns again, in the person join, from ``alias``'s packed columns."""
    out = []
    for item in _packed_layout(rules):
        packed = f"{alias}.{ident(_bits_column(item.number))}"
        bits = f"({packed} >> {item.offset}) & {(1 << item.width) - 1}"
        if item.flag:
            out.append(f"({bits}) = 1 AS {ident(item.column)}")
        else:
            out.append(f"CAST({bits} AS INTEGER) AS {ident(item.column)}")
    return out


def _fit_column(program_id: str) -> str:
    return f"_fit_{program_id}"


def _fit_sql(rules: RuleSet, program: Program) -> str:
    """Bit k set when the member fits component k and the family meets the conditions."""
    fits = " + ".join(
        f"(CASE WHEN {all_hold(c.when)} THEN {1 << c.order} ELSE 0 END)" for c in program.components
    )
    return f"CASE WHEN {ident(_ok_column(program.id))} THEN {fits} ELSE 0 END"


def _household_fields_for_persons(rules: RuleSet) -> set[str]:
    """Household fields the person table still needs (the conditions come as masks)."""
    out: set[str] = set()
    for program in rules.programs.values():
        for component in program.components:
            out.update(t.field for t in component.when)
        if program.unit == "person" and program.amount is not None and program.amount.by:
            out.add(program.amount.by)
    out |= _ranking_fields(rules, "person")
    return {f for f in out if CATALOGUE[f].level == "household"}


# -- households and persons -------------------------------------------------------------------


def _person_part(rules: RuleSet, program: Program, col: Callable[[str], str]) -> str:
    """A member meets the program's person conditions and has an amount (if that depends on
    the member); household conditions are the same for the whole family."""
    tests = [t for t in rules.conditions(program.id) if t.spec.level == "person"]
    wanted = all_hold(tests, col)
    by = program.amount.by if program.amount is not None else None
    if by is not None and CATALOGUE[by].level == "person":
        wanted += f" AND ({_amount_sql(program, col)}) IS NOT NULL"
    return wanted


def _family_candidates(rules: RuleSet, program: Program) -> str:
    """How many members of the family reach the quota (after the family cap)."""
    tests = [t for t in rules.conditions(program.id) if t.spec.level == "household"]
    wanted = all_hold(tests)
    by = program.amount.by if program.amount is not None else None
    if by is not None and CATALOGUE[by].level == "household":
        wanted += f" AND ({_amount_sql(program)}) IS NOT NULL"
    count = ident("_qn_" + program.id)
    if program.family_cap is not None:
        count = f"least({count}, {program.family_cap.max})"
    return f"CASE WHEN {wanted} THEN {count} ELSE 0 END"


def _household_field_names(rules: RuleSet) -> list[str]:
    used = used_fields(rules)
    return sorted(
        {"members", *REGION_FIELDS} | {f for f in used if CATALOGUE[f].source != "person"}
    )


def family_aggregates(rules: RuleSet, reference_date: date) -> list[str]:
    """The per-family aggregates the household table needs, as SELECT items over the living
    members ``m`` of a family (``FROM rank_members m WHERE m.status = 'alive' GROUP BY`` the
    family key): the family fields, and per capped or family-ranked program the number of
    members meeting its person conditions. Another step can compute them in its own pass over
    the members and hand the table to :func:`evaluate` (``aggregates``)."""
    family = [
        CATALOGUE[n] for n in _household_field_names(rules) if CATALOGUE[n].source == "family"
    ]

    def member_col(name: str) -> str:
        return f"({field_sql(CATALOGUE[name], reference_date)})"

    aggregates = [f"{field_sql(f, reference_date)} AS {ident(f.name)}" for f in family]
    for program in rules.programs.values():
        if program.family_cap is not None:
            # People of the family who meet the program's person conditions: only families
            # with more of them than the cap need ranking.
            wanted = _person_part(rules, program, member_col)
            aggregates.append(
                f"count(*) FILTER (WHERE {wanted}) AS {ident(_count_column(program.id))}"
            )
    for program in rules.programs.values():
        if by_family(program):
            aggregates.append(
                f"count(*) FILTER (WHERE {_person_part(rules, program, member_col)}) "
                f"AS {ident('_qn_' + program.id)}"
            )
    return aggregates


def _key_sql(key: str) -> str:
    return key if key == "family_id" else ident(key)


def _households_sql(
    rules: RuleSet,
    reference_date: date,
    aggregates_table: str | None = None,
    key: str = "family_id",
) -> Statement:
    """One row per household: household and family fields, household-program masks."""
    names = _household_field_names(rules)
    household = [CATALOGUE[n] for n in names if CATALOGUE[n].source == "household"]
    family = [CATALOGUE[n] for n in names if CATALOGUE[n].source == "family"]
    capped = [p for p in rules.programs.values() if p.family_cap is not None]
    quota_families = [p for p in rules.programs.values() if by_family(p)]
    aggregates = family_aggregates(rules, reference_date)
    k = _key_sql(key)
    columns = ["h.family_id"] + ([] if key == "family_id" else [f"h.{k}"])
    columns += [f"{field_sql(f, reference_date)} AS {ident(f.name)}" for f in household]
    columns += [
        f"coalesce(a.{ident(f.name)}, {literal(f.empty)}) AS {ident(f.name)}" for f in family
    ]
    columns += [
        f"coalesce(a.{ident(_count_column(p.id))}, 0) AS {ident(_count_column(p.id))}"
        for p in capped
    ]
    source = "rank_households h"
    if aggregates and aggregates_table is not None:
        source += f" LEFT JOIN {aggregates_table} a ON a.{k} = h.{k}"
    elif aggregates:
        source += (
            f" LEFT JOIN (SELECT m.{k}, {', '.join(aggregates)} FROM rank_members m "
            f"WHERE m.status = {text(LIVING_STATUS)} GROUP BY m.{k}) a "
            f"ON a.{k} = h.{k}"
        )
    programs = [p for p in rules.programs.values() if p.unit == "household"]
    keep = ["family_id", *([] if key == "family_id" else [k]), *(ident(n) for n in names)]
    keep += [ident(_count_column(p.id)) for p in capped]
    columns += [
        f"coalesce(a.{ident('_qn_' + p.id)}, 0) AS {ident('_qn_' + p.id)}" for p in quota_families
    ]
    quota_counts = [
        f"CAST({_family_candidates(rules, p)} AS BIGINT) AS {ident(_quota_count_column(p.id))}"
        for p in quota_families
    ]
    keep += [ident(_quota_count_column(p.id)) for p in quota_families]
    inner = f"SELECT {', '.join(columns)} FROM {source}"
    if quota_counts:
        inner = f"SELECT *, {', '.join(quota_counts)} FROM ({inner})"
    sql = f"CREATE OR REPLACE TABLE {HOUSEHOLDS} AS "
    first, final = _mask_columns(rules, programs)
    for program in rules.programs.values():
        if program.unit == "person":
            column = ident(_household_mask_column(program.id))
            first.append(f"{mask(rules.conditions(program.id), only='household')} AS {column}")
        if program.components:
            column = ident(_ok_column(program.id))
            first.append(f"{all_hold(rules.conditions(program.id))} AS {column}")
    final += _pack_sql(rules)
    if first:
        sql += (
            f"SELECT {', '.join(keep + final)} FROM (SELECT *, {', '.join(first)} FROM ({inner}))"
        )
    else:
        sql += inner
    return Statement(HOUSEHOLDS, sql)


def _persons_sql(rules: RuleSet, reference_date: date, key: str = "family_id") -> Statement:
    """One row per living member of a known household: fields and person-program masks."""
    used = used_fields(rules)
    person = [CATALOGUE[f] for f in sorted(used) if CATALOGUE[f].source == "person"]
    household = sorted(_household_fields_for_persons(rules))
    capped = [p for p in rules.programs.values() if p.family_cap is not None]
    programs = [p for p in rules.programs.values() if p.unit == "person"]
    with_components = [p for p in rules.programs.values() if p.components]
    columns = ["m.person_key", "m.family_id", f"f.rowid AS {FAMILY_ROW}"]
    columns += [f"{field_sql(f, reference_date)} AS {ident(f.name)}" for f in person]
    columns += [f"f.{ident(name)}" for name in household]
    columns += [f"f.{ident(_count_column(p.id))}" for p in capped]
    columns += _unpack_sql(rules, "f")
    inner = (
        f"SELECT {', '.join(columns)} FROM rank_members m "
        f"JOIN {HOUSEHOLDS} f ON f.{_key_sql(key)} = m.{_key_sql(key)} "
        f"WHERE m.status = {text(LIVING_STATUS)}"
    )
    keep = ["person_key", "family_id"]
    if capped or with_components or any(by_family(p) for p in programs):
        keep.append(FAMILY_ROW)
    keep += [ident(f) for f in sorted(_ranking_fields(rules, "person"))]
    keep += [ident(_count_column(p.id)) for p in capped]
    first, final = _mask_columns(rules, programs, household_part=True)
    first += [f"{_fit_sql(rules, p)} AS {ident(_fit_column(p.id))}" for p in with_components]
    final += [ident(_fit_column(p.id)) for p in with_components]
    sql = (
        f"CREATE OR REPLACE TABLE {PERSONS} AS SELECT {', '.join(keep + final)} "
        f"FROM (SELECT *, {', '.join(first)} FROM ({inner}))"
    )
    return Statement(PERSONS, sql)


# -- components (PKH) -------------------------------------------------------------------------


def _cap_stages(program: Program) -> list[list[int]]:
    """Caps in file order, grouped so that one window applies a run of caps over disjoint
    component sets at once (a cap over all components is a stage of its own)."""
    stages: list[list[int]] = []
    taken: set[str] = set()
    for index, cap in enumerate(program.caps):
        if (
            not stages
            or cap.components is None
            or program.caps[stages[-1][0]].components is None
            or taken & cap.components
        ):
            stages.append([index])
            taken = set(cap.components or ())
        else:
            stages[-1].append(index)
            taken |= cap.components
    return stages


def _in_set(components: frozenset[str] | None) -> str:
    if components is None:
        return "TRUE"
    return f"component IN ({', '.join(text(c) for c in sorted(components))})"


def _components_sql(rules: RuleSet, program: Program) -> list[Statement]:
    """The component rows of families meeting the program's conditions; their sum."""
    comps = program.components
    fit = ident(_fit_column(program.id))
    best_order = sorted(comps, key=lambda c: (-c.amount_year, c.order))
    best = (
        "CASE "
        + " ".join(f"WHEN {fit} & {1 << c.order} <> 0 THEN {text(c.id)}" for c in best_order)
        + " END"
    )
    ids = "[" + ", ".join(text(c.id) for c in comps) + "]"
    amounts = "[" + ", ".join(str(c.amount_year) for c in comps) + "]"
    rows = (
        f"SELECT family_id, {FAMILY_ROW}, person_key, {ids}[k + 1] AS component, "
        f"CAST({amounts}[k + 1] AS BIGINT) AS amount_year, k AS ord, "
        f"CASE WHEN {ids}[k + 1] = best THEN NULL ELSE 'superseded:higher_component' END AS reason "
        f"FROM (SELECT family_id, {FAMILY_ROW}, person_key, {best} AS best, "
        f"unnest([k FOR k IN range({len(comps)}) IF ({fit} >> k) & 1 = 1]) AS k "
        f"FROM {PERSONS} WHERE {fit} <> 0)"
    )
    ranking = "amount_year DESC, ord ASC, person_key ASC"
    stages = _cap_stages(program)
    # A cap can only bite in a family with more uncapped rows in its set than its max (caps
    # only remove rows), so only those families are ranked.
    over = " OR ".join(
        f"count(*) FILTER (WHERE {_in_set(cap.components)}) > {cap.max}" for cap in program.caps
    )
    ctes = [
        f"rows AS MATERIALIZED ({rows})",
        f"hot AS (SELECT {FAMILY_ROW} FROM rows WHERE reason IS NULL GROUP BY {FAMILY_ROW} "
        f"HAVING {over or 'false'})",
        f"s0 AS (SELECT * FROM rows SEMI JOIN hot USING ({FAMILY_ROW}))",
    ]
    for number, stage in enumerate(stages, start=1):
        caps = [program.caps[i] for i in stage]
        if caps[0].components is None:
            group = "CASE WHEN reason IS NULL THEN 0 END"
        else:
            group = (
                "CASE WHEN reason IS NOT NULL THEN NULL "
                + " ".join(f"WHEN {_in_set(cap.components)} THEN {k}" for k, cap in enumerate(caps))
                + " END"
            )
        limit = "CASE g " + " ".join(f"WHEN {k} THEN {cap.max}" for k, cap in enumerate(caps))
        why = "CASE g " + " ".join(
            f"WHEN {k} THEN {text(cap.reason)}" for k, cap in enumerate(caps)
        )
        ctes.append(
            f"s{number} AS (SELECT family_id, {FAMILY_ROW}, person_key, component, amount_year, "
            f"ord, CASE WHEN g IS NOT NULL AND row_number() OVER (PARTITION BY {FAMILY_ROW}, g "
            f"ORDER BY {ranking}) > {limit} END THEN {why} END ELSE reason END AS reason "
            f"FROM (SELECT *, {group} AS g FROM s{number - 1}))"
        )
    table = components_table(program.id)
    create = Statement(
        table,
        f"CREATE OR REPLACE TABLE {ident(table)} AS WITH {', '.join(ctes)} "
        f"SELECT family_id, person_key, component, amount_year, reason IS NULL AS counted, "
        f"coalesce(reason, 'counted') AS reason FROM (SELECT * FROM s{len(stages)} UNION ALL "
        f"SELECT family_id, {FAMILY_ROW}, person_key, component, amount_year, ord, reason "
        f"FROM rows ANTI JOIN hot USING ({FAMILY_ROW}))",
    )
    amount_col, mask_col = ident(amount_column(program.id)), ident(mask_column(program.id))
    paid = Statement(
        HOUSEHOLDS,
        f"UPDATE {HOUSEHOLDS} SET {amount_col} = s.amt FROM (SELECT family_id, "
        f"sum(amount_year) AS amt FROM {ident(table)} WHERE counted GROUP BY family_id) s "
        f"WHERE {HOUSEHOLDS}.family_id = s.family_id",
    )
    bit = _bit(rules, program, NO_COMPONENT)
    none = Statement(
        HOUSEHOLDS,
        f"UPDATE {HOUSEHOLDS} SET {mask_col} = {mask_col} | {bit} "
        f"WHERE {mask_col} = 0 AND {amount_col} IS NULL",
    )
    return [create, paid, none]


# -- family caps and quotas -------------------------------------------------------------------


def _family_cap_sql(rules: RuleSet, program: Program) -> Statement:
    """Mark the people past the cap in families with more candidates than the cap."""
    cap = program.family_cap
    assert cap is not None
    mask_col = ident(mask_column(program.id))
    losers = (
        f"SELECT unit_row FROM (SELECT rowid AS unit_row, row_number() OVER "
        f"(PARTITION BY {FAMILY_ROW} ORDER BY {order_sql(cap.order_by, 'person_key')}) AS r "
        f"FROM {PERSONS} "
        f"WHERE {mask_col} = 0 AND {ident(_count_column(program.id))} > {cap.max}) "
        f"WHERE r > {cap.max}"
    )
    return Statement(
        PERSONS,
        f"UPDATE {PERSONS} SET {mask_col} = {mask_col} | {_bit(rules, program, cap.id)} "
        f"WHERE rowid IN ({losers})",
    )


def _region_sql(program: Program) -> str:
    quota = program.quota
    assert quota is not None
    return ident(quota.allocate_by) if quota.allocate_by else "CAST(NULL AS VARCHAR)"


def _counts_sql(program: Program) -> str:
    """Units reaching the quota, per region."""
    region = _region_sql(program)
    if by_family(program):
        n = ident(_quota_count_column(program.id))
        return (
            f"SELECT {region} AS region, sum({n}) AS e FROM {HOUSEHOLDS} WHERE {n} > 0 GROUP BY ALL"
        )
    return (
        f"SELECT {region} AS region, count(*) AS e FROM {unit_table(program)} "
        f"WHERE {ident(mask_column(program.id))} = 0 GROUP BY ALL"
    )


def _quota_sql(programs: Sequence[Program], overrides: str | None) -> Statement:
    """Per quota program and region: eligible units and the quota (an override or a share of
    the total by largest remainders, ties by region code); ``admitted`` is the smaller."""
    parts: list[str] = []
    for program in programs:
        quota = program.quota
        if quota is None:
            continue
        ov = (
            f"SELECT region_code AS region, CAST(quota AS BIGINT) AS oq FROM {overrides} "
            f"WHERE program = {text(program.id)}"
            if overrides
            else "SELECT CAST(NULL AS VARCHAR) AS region, CAST(NULL AS BIGINT) AS oq LIMIT 0"
        )
        field = text(quota.allocate_by) if quota.allocate_by else "CAST(NULL AS VARCHAR)"
        parts.append(
            f"""
SELECT {text(program.id)} AS program, {field} AS region_field, r.region AS region_code,
  r.e AS eligible_units, r.quota, r.quota_source, least(r.quota, r.e) AS admitted,
  CAST(NULL AS VARCHAR) AS cutoff_family_id, CAST(NULL AS VARCHAR) AS cutoff_person_key
FROM (
  WITH counts AS ({_counts_sql(program)}),
  ov AS ({ov}),
  alloc AS (
    SELECT coalesce(c.region, o.region) AS region, coalesce(c.e, 0) AS e, o.oq
    FROM counts c FULL OUTER JOIN ov o ON c.region IS NOT DISTINCT FROM o.region),
  tot AS (
    SELECT CAST(greatest({quota.total} - coalesce(sum(oq), 0), 0) AS HUGEINT) AS n,
      CAST(coalesce(sum(e) FILTER (WHERE oq IS NULL), 0) AS HUGEINT) AS en FROM alloc),
  share AS (
    SELECT a.region, a.e, a.oq,
      CASE WHEN a.oq IS NULL THEN CASE WHEN t.en = 0 THEN 0 ELSE (t.n * a.e) // t.en END END
        AS base,
      CASE WHEN a.oq IS NULL THEN CASE WHEN t.en = 0 THEN 0 ELSE (t.n * a.e) % t.en END END
        AS rem,
      t.n
    FROM alloc a CROSS JOIN tot t),
  ranked AS (
    SELECT *, n - coalesce(sum(base) OVER (), 0) AS leftover,
      row_number() OVER (ORDER BY oq IS NOT NULL, rem DESC, region ASC NULLS LAST) AS rr
    FROM share)
  SELECT region, e,
    CAST(CASE WHEN oq IS NOT NULL THEN oq
      ELSE base + CASE WHEN rr <= leftover THEN 1 ELSE 0 END END AS BIGINT) AS quota,
    CASE WHEN oq IS NOT NULL THEN 'override' ELSE 'share' END AS quota_source
  FROM ranked
) r"""
        )
    if not parts:
        body = (
            "SELECT CAST(NULL AS VARCHAR) AS program, CAST(NULL AS VARCHAR) AS region_field, "
            "CAST(NULL AS VARCHAR) AS region_code, CAST(NULL AS BIGINT) AS eligible_units, "
            "CAST(NULL AS BIGINT) AS quota, CAST(NULL AS VARCHAR) AS quota_source, "
            "CAST(NULL AS BIGINT) AS admitted, CAST(NULL AS VARCHAR) AS cutoff_family_id, "
            "CAST(NULL AS VARCHAR) AS cutoff_person_key LIMIT 0"
        )
    else:
        body = " UNION ALL ".join(f"SELECT * FROM ({p})" for p in parts)
    return Statement(QUOTA_TABLE, f"CREATE OR REPLACE TABLE {QUOTA_TABLE} AS {body}")


def _binding(program: Program) -> str:
    return (
        f"(SELECT region_code, admitted FROM {QUOTA_TABLE} WHERE program = {text(program.id)} "
        "AND admitted < eligible_units)"
    )


def _family_quota_sql(rules: RuleSet, program: Program) -> list[Statement]:
    """Rank families by the quota's (household) keys with cumulative candidate counts; rank
    people by person_key only in the group of tied families at each region's cut-off."""
    quota = program.quota
    assert quota is not None
    n = ident(_quota_count_column(program.id))
    keys = (
        ", ".join(
            f"{ident(k.field)} {'DESC' if k.descending else 'ASC'} NULLS LAST"
            for k in quota.order_by
        )
        or "1"
    )
    window = f"PARTITION BY region ORDER BY {keys}"
    ranked, edge = _rank_table(program.id), _edge_table(program.id)
    rank = Statement(
        ranked,
        f"CREATE OR REPLACE TEMP TABLE {ranked} AS SELECT family_id, {FAMILY_ROW}, region, "
        f"admitted, upto - grp AS before, upto FROM (SELECT family_id, {FAMILY_ROW}, region, "
        f"sum({n}) OVER ({window} RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto, "
        f"sum({n}) OVER ({window} RANGE BETWEEN CURRENT ROW AND CURRENT ROW) AS grp "
        f"FROM (SELECT *, rowid AS {FAMILY_ROW}, {_region_sql(program)} AS region "
        f"FROM {HOUSEHOLDS} WHERE {n} > 0) h "
        f"SEMI JOIN {_binding(program)} b ON b.region_code IS NOT DISTINCT FROM h.region) r "
        f"JOIN {_binding(program)} q ON q.region_code IS NOT DISTINCT FROM r.region",
    )
    mask_col = ident(mask_column(program.id))
    tied = Statement(
        edge,
        f"CREATE OR REPLACE TEMP TABLE {edge} AS SELECT p.person_key, p.rowid AS person_row, "
        f"p.family_id, r.region, r.admitted - r.before AS slots, row_number() OVER "
        f"(PARTITION BY r.region ORDER BY p.person_key) AS k FROM {PERSONS} p "
        f"JOIN (SELECT * FROM {ranked} WHERE before < admitted AND admitted <= upto) r "
        f"ON r.{FAMILY_ROW} = p.{FAMILY_ROW} WHERE p.{mask_col} = 0",
    )
    cutoff = Statement(
        QUOTA_TABLE,
        f"UPDATE {QUOTA_TABLE} q SET cutoff_family_id = e.family_id, "
        f"cutoff_person_key = e.person_key FROM {edge} e "
        f"WHERE q.program = {text(program.id)} AND e.region IS NOT DISTINCT FROM q.region_code "
        "AND e.k = e.slots",
    )
    losers = Statement(
        PERSONS,
        f"UPDATE {PERSONS} SET {mask_col} = {mask_col} | {_bit(rules, program, quota.id)} "
        f"WHERE {mask_col} = 0 AND ({FAMILY_ROW} IN (SELECT {FAMILY_ROW} FROM {ranked} "
        f"WHERE before >= admitted) OR rowid IN (SELECT person_row FROM {edge} "
        "WHERE k > slots))",
    )
    return [rank, tied, cutoff, losers]


def _rank_sql(program: Program) -> Statement:
    """Candidates (mask 0) of the regions where the quota binds, ranked within the region."""
    quota = program.quota
    assert quota is not None
    key = program.key
    region = _region_sql(program)
    person = "person_key" if program.unit == "person" else "CAST(NULL AS VARCHAR) AS person_key"
    table = _rank_table(program.id)
    return Statement(
        table,
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {key} AS unit_key, family_id, "
        f"{person}, region, row_number() OVER (PARTITION BY region "
        f"ORDER BY {order_sql(quota.order_by, key)}) AS q_rank "
        f"FROM (SELECT *, {region} AS region FROM {unit_table(program)} "
        f"WHERE {ident(mask_column(program.id))} = 0) u "
        f"SEMI JOIN (SELECT region_code FROM {QUOTA_TABLE} WHERE program = {text(program.id)} "
        "AND admitted < eligible_units) b ON b.region_code IS NOT DISTINCT FROM u.region",
    )


def _cutoff_sql(program: Program) -> Statement:
    """The last unit admitted in each region where the quota binds."""
    return Statement(
        QUOTA_TABLE,
        f"UPDATE {QUOTA_TABLE} q SET cutoff_family_id = r.family_id, "
        f"cutoff_person_key = r.person_key FROM {_rank_table(program.id)} r "
        f"WHERE q.program = {text(program.id)} AND r.region IS NOT DISTINCT FROM q.region_code "
        "AND r.q_rank = q.admitted",
    )


def _quota_losers_sql(rules: RuleSet, program: Program) -> Statement:
    quota = program.quota
    assert quota is not None
    mask_col = ident(mask_column(program.id))
    table = unit_table(program)
    losers = (
        f"SELECT r.unit_key FROM {_rank_table(program.id)} r JOIN {QUOTA_TABLE} q "
        f"ON q.program = {text(program.id)} AND q.region_code IS NOT DISTINCT FROM r.region "
        "WHERE r.q_rank > q.admitted"
    )
    return Statement(
        table,
        f"UPDATE {table} SET {mask_col} = {mask_col} | {_bit(rules, program, quota.id)} "
        f"WHERE {program.key} IN ({losers})",
    )


# -- the long table ---------------------------------------------------------------------------


def _masks_sql(rules: RuleSet, programs: Sequence[Program]) -> Statement:
    """Each mask (that can occur), with its list of failed reason ids."""
    parts = []
    for program in programs:
        reasons = "[" + ", ".join(text(r) for r in rules.reasons(program.id)) + "]"
        mask_col = ident(mask_column(program.id))
        count = len(rules.reasons(program.id))
        # Few reasons: every mask (no scan); many: the masks that occur.
        masks = (
            f"SELECT CAST(range AS INTEGER) AS m FROM range({1 << count})"
            if count <= 12
            else f"SELECT DISTINCT {mask_col} AS m FROM {unit_table(program)}"
        )
        parts.append(
            f"SELECT {text(program.id)} AS program, m AS mask, "
            f"CAST([x FOR x, i IN {reasons} IF (m >> (i - 1)) & 1 = 1] AS VARCHAR[]) AS failed "
            f"FROM ({masks})"
        )
    return Statement(MASKS, f"CREATE OR REPLACE TABLE {MASKS} AS {' UNION ALL '.join(parts)}")


def _result_sql(programs: Sequence[Program], materialize: bool) -> Statement:
    selects = []
    for program in programs:
        mask_col = ident(mask_column(program.id))
        person = "u.person_key" if program.unit == "person" else "CAST(NULL AS VARCHAR)"
        selects.append(
            f"SELECT {text(program.id)} AS program, u.family_id, {person} AS person_key, "
            f"u.{mask_col} = 0 AS eligible, CAST(CASE WHEN u.{mask_col} = 0 "
            f"THEN {amount_sql(program, 'u.')} ELSE 0 END AS BIGINT) AS amount_year, "
            f"k.failed FROM {unit_table(program)} u JOIN {MASKS} k "
            f"ON k.program = {text(program.id)} AND k.mask = u.{mask_col}"
        )
    kind = "TABLE" if materialize else "VIEW"
    return Statement(
        RESULT_TABLE, f"CREATE OR REPLACE {kind} {RESULT_TABLE} AS {' UNION ALL '.join(selects)}"
    )


# -- input checks -----------------------------------------------------------------------------


def _drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop ``name`` whether it is a table or a view (so table and view modes can alternate)."""
    found = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_name = ? AND table_schema = current_schema()",
        [name],
    ).fetchone()
    if found is not None:
        kind = "VIEW" if "VIEW" in str(found[0]).upper() else "TABLE"
        con.execute(f"DROP {kind} {ident(name)}")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE {table}").fetchall()
    except Exception:  # duckdb.CatalogException; duckdb is imported lazily
        raise InvalidInput(
            f"table {table} not found: the ranking step writes rank_households and rank_members"
        ) from None
    return {str(r[0]): str(r[1]) for r in rows}


def _check_inputs(con: duckdb.DuckDBPyConnection, rules: RuleSet, key: str = "family_id") -> None:
    """Both input tables exist with the key columns and every column the rules read."""
    used = used_fields(rules) | {"members", *REGION_FIELDS}
    needed_h = {"family_id", key} | {c for c in HOUSEHOLD_COLUMNS if _reads(c, used, "h")}
    needed_m = {"person_key", "family_id", "status", key} | {
        c for c in MEMBER_COLUMNS if _reads(c, used, "m")
    }
    for table, needed in (("rank_households", needed_h), ("rank_members", needed_m)):
        have = _columns(con, table)
        missing = sorted(needed - set(have))
        if missing:
            raise InvalidInput(f"{table} lacks column(s) {', '.join(missing)}")


def _reads(column: str, used: set[str], alias: str) -> bool:
    """Whether a used field's SQL reads ``alias.column``."""
    return any(re.search(rf"\b{alias}\.{re.escape(column)}\b", CATALOGUE[f].sql) for f in used)


def _check_aggregates(
    con: duckdb.DuckDBPyConnection, rules: RuleSet, reference_date: date, table: str, key: str
) -> None:
    if not _TABLE_NAME.fullmatch(table):
        raise InvalidInput(f"member aggregates: {table!r} is not a table name")
    have = _columns(con, table)
    needed = {key} | {
        item.rsplit(" AS ", 1)[1].strip('"') for item in family_aggregates(rules, reference_date)
    }
    missing = sorted(needed - set(have))
    if missing:
        raise InvalidInput(f"member aggregates table {table} lacks column(s) {', '.join(missing)}")


def _check_overrides(con: duckdb.DuckDBPyConnection, rules: RuleSet, table: str) -> None:
    if not _TABLE_NAME.fullmatch(table):
        raise InvalidInput(f"quota overrides: {table!r} is not a table name")
    have = _columns(con, table)
    missing = {"program", "region_code", "quota"} - set(have)
    if missing:
        raise InvalidInput(
            f"quota overrides table {table} lacks column(s) {', '.join(sorted(missing))}"
        )
    quota_programs = [p.id for p in rules.programs.values() if p.quota is not None]
    bad = con.execute(
        f"SELECT program, region_code, quota FROM {table} "
        f"WHERE quota IS NULL OR quota < 0 OR program IS NULL "
        f"OR NOT list_contains(?, program) LIMIT 1",
        [quota_programs],
    ).fetchone()
    if bad is not None:
        raise InvalidInput(
            f"quota overrides table {table}: row {bad!r} needs a quota program "
            f"({', '.join(quota_programs) or 'none'}) and a quota >= 0"
        )
    dup = con.execute(
        f"SELECT program, region_code FROM {table} GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        raise InvalidInput(f"quota overrides table {table}: {dup!r} is listed twice")
