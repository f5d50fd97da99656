"""The rules evaluated in plain Python for one family: the second implementation.

The batch engine (``engine.py``) compiles the rules to SQL; this module reads the same resolved
rules and the same field catalogue and decides, row by row, for one family. The explanations are
built from it, and :func:`~tepat.eligibility.explain.check_agreement` compares it with the batch.
Nothing here touches a database: inputs are plain mappings (one household row, its member rows)
and, for quota programs, the cut-off the batch recorded per region (:class:`QuotaContext`).

Order of decisions for a unit (each later step only for units that passed the earlier ones):
the conditions (exclusions first, then the program's, in file order), the amount (components
for PKH-like programs: none counted -> ``no_component``; an amount by case with no case ->
``no_amount``), the family cap, the quota.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from tepat.eligibility.catalogue import CATALOGUE, household_values, living
from tepat.eligibility.rules import (
    NO_AMOUNT,
    NO_COMPONENT,
    Component,
    OrderKey,
    Program,
    RuleSet,
    Test,
)

Row = Mapping[str, Any]
Status = Literal["met", "not_met", "unknown"]
SUPERSEDED = "superseded:higher_component"
COUNTED = "counted"


@dataclass(frozen=True)
class CheckResult:
    """One condition for one unit: what was expected, what the data says, whether it held."""

    id: str
    label: str
    label_en: str
    field: str
    op: str
    expected: Any
    actual: Any
    held: bool | None  # None: the value is missing (NULL), so the condition fails as unknown

    @property
    def status(self) -> Status:
        if self.held is None:
            return "unknown"
        return "met" if self.held else "not_met"


@dataclass(frozen=True)
class ComponentLine:
    """A member who fits a component, its yearly amount, and whether it was counted."""

    person_key: str
    component: str
    label: str
    label_en: str
    amount_year: int
    counted: bool
    reason: str  # counted, superseded:higher_component, capped:<cap id>
    cap_label: str = ""  # the cap's label when capped
    cap_label_en: str = ""


@dataclass(frozen=True)
class QuotaContext:
    """What the batch recorded for one quota program and region (``eligibility_quota``)."""

    program: str
    region_code: str | None
    eligible_units: int
    quota: int
    admitted: int
    cutoff: tuple[Any, ...] | None  # sort key of the last unit admitted, when the quota binds
    quota_source: str = "share"


@dataclass(frozen=True)
class RankNote:
    """Where a unit stood for a family cap or a quota."""

    id: str
    label: str
    label_en: str
    admitted: bool
    position: int | None = None  # family cap: place among the family's candidates (1-based)
    limit: int | None = None
    region_code: str | None = None
    eligible_units: int | None = None
    quota: int | None = None


@dataclass(frozen=True)
class UnitOutcome:
    """One program for one unit (the household, or one living member): one batch row."""

    program: str
    family_id: str
    person_key: str | None
    eligible: bool
    amount_year: int
    failed: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    would_get: int | None = None  # the amount before the cap and quota (None: no amount)
    components: tuple[ComponentLine, ...] = ()
    ranks: tuple[RankNote, ...] = ()


@dataclass(frozen=True)
class FamilyOutcome:
    """Every program for one family."""

    family_id: str
    values: Mapping[str, Any]  # household and family fields
    living_members: tuple[Row, ...]
    other_members: tuple[Row, ...]  # deceased, unknown status: never counted
    units: Mapping[str, tuple[UnitOutcome, ...]] = field(default_factory=dict)
    # per program, its conditions on household fields, checked once for the family
    family_checks: Mapping[str, tuple[CheckResult, ...]] = field(default_factory=dict)


def check(test: Test, value: Any) -> CheckResult:
    """Evaluate one condition on one value (None -> unknown, which fails)."""
    held: bool | None
    if value is None:
        held = None
    else:
        expected = test.value
        op = test.op
        if op == "=":
            held = value == expected
        elif op == "!=":
            held = value != expected
        elif op == "<":
            held = value < expected
        elif op == "<=":
            held = value <= expected
        elif op == ">":
            held = value > expected
        elif op == ">=":
            held = value >= expected
        elif op == "in":
            held = value in expected
        elif op == "not_in":
            held = value not in expected
        elif op == "between":
            held = expected[0] <= value <= expected[1]
        else:  # pragma: no cover - the parser refuses other operators
            raise ValueError(f"unknown operator {op!r}")
    return CheckResult(
        test.id, test.label, test.label_en, test.field, test.op, test.value, value, held
    )


def person_values(member: Row, family: Mapping[str, Any], reference_date: date) -> dict[str, Any]:
    """Every field for one member: the family's household fields and the member's own."""
    values = dict(family)
    for spec in CATALOGUE.values():
        if spec.source == "person":
            values[spec.name] = spec.py(member, reference_date)
    return values


def sort_key(values: Mapping[str, Any], keys: Sequence[OrderKey], unit_key: str) -> tuple[Any, ...]:
    """A tuple that orders like the SQL ``ORDER BY key [DESC] NULLS LAST, ..., unit_key``."""
    parts: list[Any] = []
    for key in keys:
        value = values.get(key.field)
        if value is not None and key.descending:
            value = -value.toordinal() if isinstance(value, date) else -value
        parts += [value is None, value]
    parts.append(unit_key)
    return tuple(parts)


def evaluate_family(
    rules: RuleSet,
    household: Row,
    members: Sequence[Row],
    reference_date: date,
    quotas: Mapping[tuple[str, str | None], QuotaContext] | None = None,
) -> FamilyOutcome:
    """Every program for one family. ``quotas`` maps (program, region code) to the batch's
    quota context; a quota program without one admits nobody (the batch had no candidate)."""
    alive = tuple(sorted((m for m in members if living(m)), key=lambda m: str(m["person_key"])))
    others = tuple(m for m in members if not living(m))
    family = household_values(household, alive, reference_date)
    people = [(m, person_values(m, family, reference_date)) for m in alive]
    family_id = str(household["family_id"])
    units: dict[str, tuple[UnitOutcome, ...]] = {}
    family_checks = {
        p.id: tuple(
            check(t, family[t.field]) for t in rules.conditions(p.id) if t.spec.level == "household"
        )
        for p in rules.programs.values()
    }
    for program in rules.programs.values():
        if program.unit == "household":
            units[program.id] = (
                _household_unit(rules, program, family_id, family, people, quotas or {}),
            )
        else:
            units[program.id] = _person_units(rules, program, family_id, people, quotas or {})
    return FamilyOutcome(family_id, family, alive, others, units, family_checks)


# -- household programs -----------------------------------------------------------------------


def _household_unit(
    rules: RuleSet,
    program: Program,
    family_id: str,
    family: Mapping[str, Any],
    people: Sequence[tuple[Row, Mapping[str, Any]]],
    quotas: Mapping[tuple[str, str | None], QuotaContext],
) -> UnitOutcome:
    checks = tuple(check(t, family[t.field]) for t in rules.conditions(program.id))
    failed = [c.id for c in checks if c.held is not True]
    lines: tuple[ComponentLine, ...] = ()
    amount: int | None = None
    if not failed:
        if program.components:
            lines = component_lines(program, people)
            counted = [line.amount_year for line in lines if line.counted]
            amount = sum(counted) if counted else None
            if amount is None:
                failed.append(NO_COMPONENT)
        else:
            amount = _amount(program, family)
            if amount is None:
                failed.append(NO_AMOUNT)
    ranks: list[RankNote] = []
    if not failed and program.quota is not None:
        note = _quota_note(program, family, family_id, quotas)
        ranks.append(note)
        if not note.admitted:
            failed.append(program.quota.id)
    return UnitOutcome(
        program.id,
        family_id,
        None,
        not failed,
        amount if not failed and amount is not None else 0,
        tuple(failed),
        checks,
        amount,
        lines,
        tuple(ranks),
    )


def _amount(program: Program, values: Mapping[str, Any]) -> int | None:
    amount = program.amount
    assert amount is not None
    if amount.by is None:
        return amount.fixed
    return amount.cases.get(values.get(amount.by))


def component_lines(
    program: Program, people: Sequence[tuple[Row, Mapping[str, Any]]]
) -> tuple[ComponentLine, ...]:
    """Each member's fitting components; the best one counts, then the caps in file order."""
    rows: list[list[Any]] = []  # [component, person_key, reason, cap]
    for member, values in people:
        fits = [
            c for c in program.components if all(check(t, values[t.field]).held for t in c.when)
        ]
        if not fits:
            continue
        best = min(fits, key=lambda c: (-c.amount_year, c.order))
        for comp in fits:
            reason = None if comp is best else SUPERSEDED
            rows.append([comp, str(member["person_key"]), reason, None])
    for cap in program.caps:
        within = [
            r
            for r in rows
            if r[2] is None and (cap.components is None or r[0].id in cap.components)
        ]
        within.sort(key=_component_rank)
        for row in within[cap.max :]:
            row[2], row[3] = cap.reason, cap
    return tuple(
        ComponentLine(
            person_key=key,
            component=comp.id,
            label=comp.label,
            label_en=comp.label_en,
            amount_year=comp.amount_year,
            counted=reason is None,
            reason=reason or COUNTED,
            cap_label=cap.label if cap else "",
            cap_label_en=cap.label_en if cap else "",
        )
        for comp, key, reason, cap in rows
    )


def _component_rank(row: list[Any]) -> tuple[int, int, str]:
    comp: Component = row[0]
    return (-comp.amount_year, comp.order, row[1])


# -- person programs --------------------------------------------------------------------------


def _person_units(
    rules: RuleSet,
    program: Program,
    family_id: str,
    people: Sequence[tuple[Row, Mapping[str, Any]]],
    quotas: Mapping[tuple[str, str | None], QuotaContext],
) -> tuple[UnitOutcome, ...]:
    tests = rules.conditions(program.id)
    staged: list[dict[str, Any]] = []
    for member, values in people:
        checks = tuple(check(t, values[t.field]) for t in tests)
        failed = [c.id for c in checks if c.held is not True]
        amount = None
        if not failed:
            amount = _amount(program, values)
            if amount is None:
                failed.append(NO_AMOUNT)
        staged.append(
            {
                "key": str(member["person_key"]),
                "values": values,
                "checks": checks,
                "failed": failed,
                "amount": amount,
                "ranks": [],
            }
        )
    cap = program.family_cap
    if cap is not None:
        candidates = [s for s in staged if not s["failed"]]
        candidates.sort(key=lambda s: sort_key(s["values"], cap.order_by, s["key"]))
        for position, unit in enumerate(candidates, start=1):
            admitted = position <= cap.max
            unit["ranks"].append(
                RankNote(cap.id, cap.label, cap.label_en, admitted, position, cap.max)
            )
            if not admitted:
                unit["failed"].append(cap.id)
    if program.quota is not None:
        for unit in staged:
            if not unit["failed"]:
                note = _quota_note(program, unit["values"], unit["key"], quotas)
                unit["ranks"].append(note)
                if not note.admitted:
                    unit["failed"].append(program.quota.id)
    return tuple(
        UnitOutcome(
            program.id,
            family_id,
            s["key"],
            not s["failed"],
            s["amount"] if not s["failed"] and s["amount"] is not None else 0,
            tuple(s["failed"]),
            s["checks"],
            s["amount"],
            (),
            tuple(s["ranks"]),
        )
        for s in staged
    )


def _quota_note(
    program: Program,
    values: Mapping[str, Any],
    unit_key: str,
    quotas: Mapping[tuple[str, str | None], QuotaContext],
) -> RankNote:
    quota = program.quota
    assert quota is not None
    region = values.get(quota.allocate_by) if quota.allocate_by else None
    context = quotas.get((program.id, region))
    if context is None:
        return RankNote(quota.id, quota.label, quota.label_en, False, region_code=region)
    if context.admitted >= context.eligible_units:
        admitted = True
    elif context.admitted <= 0 or context.cutoff is None:
        admitted = False
    else:
        admitted = sort_key(values, quota.order_by, unit_key) <= context.cutoff
    return RankNote(
        quota.id,
        quota.label,
        quota.label_en,
        admitted,
        region_code=region,
        eligible_units=context.eligible_units,
        quota=context.quota,
    )


def quota_candidate(outcome: UnitOutcome, program: Program) -> bool:
    """Whether the unit reached the quota (met everything before it)."""
    return program.quota is not None and (
        not outcome.failed or outcome.failed == (program.quota.id,)
    )


def allocate(
    total: int, eligible: Mapping[str | None, int], overrides: Mapping[str | None, int]
) -> dict[str | None, int]:
    """Quota per region: overrides as given; the rest of ``total`` shared in proportion to the
    eligible units by largest remainders (ties: region code, missing code last)."""
    rest = max(total - sum(overrides.values()), 0)
    shared = {r: e for r, e in eligible.items() if r not in overrides}
    pool = sum(shared.values())
    out: dict[str | None, int] = dict(overrides)
    if not shared:
        return out
    base = {r: (rest * e // pool if pool else 0) for r, e in shared.items()}
    remainder = {r: (rest * e % pool if pool else 0) for r, e in shared.items()}
    leftover = rest - sum(base.values())

    def order(a: str | None, b: str | None) -> int:
        if remainder[a] != remainder[b]:
            return -1 if remainder[a] > remainder[b] else 1
        if a == b:
            return 0
        if a is None or b is None:
            return 1 if a is None else -1
        return -1 if a < b else 1

    ranked = sorted(shared, key=functools.cmp_to_key(order))
    for position, region in enumerate(ranked, start=1):
        out[region] = base[region] + (1 if position <= leftover else 0)
    return out
