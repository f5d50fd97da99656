"""Explanations a family can read, and the check that they agree with the batch.

:func:`explain` reads one family's rows from ``rank_households`` / ``rank_members`` (and, for
quota programs, the cut-off the batch recorded in ``eligibility_quota``), evaluates every program
in plain Python (:mod:`tepat.eligibility.pyeval`, a second implementation of the rules) and
returns an :class:`Explanation`: per program, whether the family or each member is eligible, the
amount, each condition with the expected and actual value, and PKH's component lines.

:func:`check_agreement` does the same for many families and lists every difference with the
batch tables; an empty list means the two implementations agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from tepat.eligibility.catalogue import (
    CATALOGUE,
    HOUSEHOLD_COLUMNS,
    LIVING_STATUS,
    MEMBER_COLUMNS,
    field_sql,
    household_values,
)
from tepat.eligibility.parse import format_value
from tepat.eligibility.pyeval import (
    COUNTED,
    SUPERSEDED,
    CheckResult,
    ComponentLine,
    QuotaContext,
    RankNote,
    UnitOutcome,
    allocate,
    evaluate_family,
    person_values,
    quota_candidate,
    sort_key,
)
from tepat.eligibility.rules import NO_AMOUNT, NO_COMPONENT, Program, RuleSet
from tepat.eligibility.sql import literal
from tepat.errors import InvalidInput, NotFound
from tepat.reference.kk import mask_kk

if TYPE_CHECKING:
    import duckdb

Row = Mapping[str, Any]

_RELATIONSHIP = {
    1: ("kepala keluarga", "head of family"),
    2: ("istri/suami", "spouse"),
    3: ("anak", "child"),
    4: ("menantu", "child-in-law"),
    5: ("cucu", "grandchild"),
    6: ("orang tua/mertua", "parent or parent-in-law"),
    7: ("pembantu/sopir", "domestic worker or driver"),
    8: ("lainnya", "other"),
}
_STATUS_WORDS = {
    "id": {"met": "terpenuhi", "not_met": "tidak terpenuhi", "unknown": "tidak diketahui"},
    "en": {"met": "met", "not_met": "not met", "unknown": "unknown"},
}
_FIELD_NAMES_ID = {
    "age": "umur",
    "members": "anggota yang masih hidup",
    "excluded_family": "ada anggota PNS/TNI/Polri/BUMN",
    "state_employee": "PNS/TNI/Polri/BUMN",
    "school_level": "jenjang sekolah",
    "school_participation": "partisipasi sekolah",
    "has_business": "punya usaha",
    "pregnant": "hamil",
    "disability": "tingkat kesulitan fungsional",
}


@dataclass(frozen=True)
class MemberFacts:
    """A member as the explanation shows them (numbered in the family's order)."""

    number: int
    person_key: str
    relationship: int | None
    age: int | None
    status: str | None
    counted: bool  # living: the only members any rule sees

    def describe(self, lang: str) -> str:
        rel = _RELATIONSHIP.get(self.relationship or 0)
        if lang == "id":
            parts = [rel[0] if rel else "hubungan tidak diketahui"]
            if self.age is not None:
                parts.append(f"{self.age} tahun")
            return f"Anggota {self.number} ({', '.join(parts)})"
        parts = [rel[1] if rel else "relationship unknown"]
        if self.age is not None:
            parts.append(f"{self.age} years")
        return f"Member {self.number} ({', '.join(parts)})"


@dataclass(frozen=True)
class ProgramExplanation:
    """One program for one family."""

    id: str
    name: str
    name_en: str
    unit: str
    version: str
    units: tuple[UnitOutcome, ...]
    conditions: tuple[CheckResult, ...] = ()  # the conditions on household fields, for the family

    @property
    def eligible(self) -> bool:
        """The family, or at least one member, is eligible."""
        return any(u.eligible for u in self.units)

    @property
    def amount_year(self) -> int:
        return sum(u.amount_year for u in self.units)


@dataclass(frozen=True)
class Explanation:
    """Every program for one family, with the reasons."""

    family_id: str
    reference_date: date
    rules_version: str
    facts: Mapping[str, Any]
    members: tuple[MemberFacts, ...]
    programs: tuple[ProgramExplanation, ...]

    def program(self, program_id: str) -> ProgramExplanation:
        for program in self.programs:
            if program.id == program_id:
                return program
        raise NotFound(f"no program {program_id!r} in this explanation")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, tuples as lists."""
        return {
            "family_id": self.family_id,
            "reference_date": self.reference_date.isoformat(),
            "rules_version": self.rules_version,
            "facts": {k: _json(v) for k, v in self.facts.items()},
            "members": [
                {
                    "number": m.number,
                    "person_key": m.person_key,
                    "relationship": m.relationship,
                    "age": m.age,
                    "status": m.status,
                    "counted": m.counted,
                }
                for m in self.members
            ],
            "programs": [_program_dict(p) for p in self.programs],
        }

    def render_text(self, lang: str = "id") -> str:
        """Plain sentences for the family, in Bahasa Indonesia (``id``) or English (``en``)."""
        if lang not in ("id", "en"):
            raise InvalidInput(f"lang must be 'id' or 'en', not {lang!r}")
        return "\n".join(_Renderer(self, lang).lines())


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    return value


def _check_dict(c: CheckResult) -> dict[str, Any]:
    return {
        "id": c.id,
        "label": c.label,
        "label_en": c.label_en,
        "field": c.field,
        "op": c.op,
        "expected": _json(c.expected),
        "actual": _json(c.actual),
        "status": c.status,
        "held": c.held,
    }


def _program_dict(p: ProgramExplanation) -> dict[str, Any]:
    """A program: the family's conditions; then the household's outcome (household programs)
    or one entry per living member (person programs)."""
    out: dict[str, Any] = {
        "id": p.id,
        "program": p.id,
        "name": p.name,
        "name_en": p.name_en,
        "unit": p.unit,
        "version": p.version,
        "eligible": p.eligible,
        "amount_year": p.amount_year,
        "conditions": [_check_dict(c) for c in p.conditions],
    }
    if p.unit == "household":
        unit = _unit_dict(p.units[0])
        out.update({k: unit[k] for k in ("failed", "components", "ranks")})
    else:
        out["members"] = [_unit_dict(u) for u in p.units]
    return out


def _unit_dict(u: UnitOutcome) -> dict[str, Any]:
    return {
        "person_key": u.person_key,
        "eligible": u.eligible,
        "amount_year": u.amount_year,
        "failed": list(u.failed),
        "conditions": [_check_dict(c) for c in u.checks],
        "components": [
            {
                "person_key": line.person_key,
                "component": line.component,
                "label": line.label,
                "label_en": line.label_en,
                "amount_year": line.amount_year,
                "counted": line.counted,
                "reason": line.reason,
            }
            for line in u.components
        ],
        "ranks": [
            {k: _json(v) for k, v in vars(note).items() if v is not None} for note in u.ranks
        ],
    }


# -- text -------------------------------------------------------------------------------------


class _Renderer:
    def __init__(self, explanation: Explanation, lang: str) -> None:
        self.x = explanation
        self.lang = lang
        self.id = lang == "id"
        self.by_key = {m.person_key: m for m in explanation.members}

    def t(self, indonesian: str, english: str) -> str:
        return indonesian if self.id else english

    def money(self, amount: int) -> str:
        return "Rp" + format_value(int(amount), self.lang)

    def value(self, field: str, value: Any) -> str:
        if value is None:
            return self.t("tidak diketahui, data kosong", "unknown, no data")
        if field == "school_level":
            return str(value).upper()
        return format_value(value, self.lang)

    def lines(self) -> list[str]:
        x = self.x
        facts = x.facts
        out = [
            self.t(
                f"Penjelasan kelayakan bantuan untuk keluarga {mask_kk(x.family_id)}, "
                f"data per {x.reference_date.isoformat()}.",
                f"Eligibility explanation for family {mask_kk(x.family_id)}, "
                f"data as of {x.reference_date.isoformat()}.",
            )
        ]
        desil = facts.get("desil")
        members = facts.get("members", 0)
        if desil is None:
            out.append(
                self.t(
                    f"Desil keluarga ini tidak diketahui; keluarga ini punya {members} anggota "
                    "yang masih hidup.",
                    f"This family's decile is unknown; it has {members} living members.",
                )
            )
        else:
            out.append(
                self.t(
                    f"Keluarga ini berada di desil {desil} dan punya {members} anggota yang "
                    "masih hidup.",
                    f"This family is in decile {desil} and has {members} living members.",
                )
            )
        not_counted = [m for m in x.members if not m.counted]
        if not_counted:
            names = ", ".join(
                f"{m.describe(self.lang)}: {self._status_word(m.status)}" for m in not_counted
            )
            out.append(self.t(f"Tidak dihitung: {names}.", f"Not counted: {names}."))
        for program in x.programs:
            out.append("")
            out += self.program(program)
        return out

    def _status_word(self, status: str | None) -> str:
        words = {
            "deceased": ("meninggal", "deceased"),
            "unknown": ("keberadaan tidak diketahui", "whereabouts unknown"),
        }
        pair = words.get(status or "", ("status tidak diketahui", "status unknown"))
        return pair[0] if self.id else pair[1]

    def title(self, program: ProgramExplanation) -> str:
        name = program.name if self.id else program.name_en
        return f"{program.id.upper()} ({name})"

    def program(self, program: ProgramExplanation) -> list[str]:
        if program.unit == "household":
            unit = program.units[0]
            head = f"{self.title(program)}: " + self.verdict(unit)
            return [head, *self.unit_details(unit, indent="  - ", every=True)]
        eligible = [u for u in program.units if u.eligible]
        total = sum(u.amount_year for u in eligible)
        if eligible:
            head = self.t(
                f"{self.title(program)}: {len(eligible)} anggota layak, jumlah "
                f"{self.money(total)} per tahun.",
                f"{self.title(program)}: {len(eligible)} member(s) eligible, "
                f"{self.money(total)} per year in total.",
            )
        else:
            head = self.t(
                f"{self.title(program)}: tidak ada anggota yang layak.",
                f"{self.title(program)}: no member is eligible.",
            )
        lines = [head]
        lines += [f"  - {self.condition(c)}" for c in program.conditions]
        if not program.units:
            lines.append(
                "  - " + self.t("Tidak ada anggota yang masih hidup.", "No living member.")
            )
        for unit in program.units:
            member = self.by_key.get(unit.person_key or "")
            who = member.describe(self.lang) if member else str(unit.person_key)
            lines.append(f"  - {who}: {self.verdict(unit)}")
            lines += self.unit_details(unit, indent="      ", every=False, own_only=True)
        return lines

    def verdict(self, unit: UnitOutcome) -> str:
        if unit.eligible:
            return self.t(
                f"layak, {self.money(unit.amount_year)} per tahun.",
                f"eligible, {self.money(unit.amount_year)} per year.",
            )
        return self.t("tidak layak.", "not eligible.")

    def unit_details(
        self, unit: UnitOutcome, indent: str, every: bool, own_only: bool = False
    ) -> list[str]:
        """Condition lines (all, or the failed ones; ``own_only``: person fields only, the
        family's having been said once), then the engine's own reasons and components."""
        lines: list[str] = []
        for c in unit.checks:
            if own_only and CATALOGUE[c.field].level == "household":
                continue
            if every or c.held is not True:
                lines.append(f"{indent}{self.condition(c)}")
        if NO_COMPONENT in unit.failed:
            lines.append(
                indent
                + self.t(
                    "Tidak ada anggota yang memenuhi salah satu komponen.",
                    "No member fits any component.",
                )
            )
        if NO_AMOUNT in unit.failed:
            lines.append(
                indent
                + self.t(
                    "Tidak ada besaran bantuan untuk keadaan ini.",
                    "The program has no amount for this case.",
                )
            )
        if unit.components:
            lines.append(indent + self.t("Komponen:", "Components:"))
            sub = " " * len(indent) + "  "
            for line in unit.components:
                lines.append(f"{sub}{self.component(line)}")
        for note in unit.ranks:
            if every or not note.admitted:
                lines.append(indent + self.rank(note))
        return lines

    def condition(self, c: CheckResult) -> str:
        label = c.label if self.id else c.label_en
        name = _FIELD_NAMES_ID.get(c.field, c.field) if self.id else c.field.replace("_", " ")
        word = _STATUS_WORDS[self.lang][c.status]
        return f"{label}: {word} ({name}: {self.value(c.field, c.actual)})."

    def component(self, line: ComponentLine) -> str:
        member = self.by_key.get(line.person_key)
        who = member.describe(self.lang) if member else line.person_key
        label = line.label if self.id else line.label_en
        if line.reason == COUNTED:
            why = self.t("dihitung", "counted")
        elif line.reason == SUPERSEDED:
            why = self.t(
                "tidak dihitung, karena orang ini sudah dihitung pada komponen yang lebih besar",
                "not counted: this person already counts under a higher-paid component",
            )
        else:
            why = self.t(
                f"tidak dihitung, karena batas tercapai: {line.cap_label}",
                f"not counted, a cap was reached: {line.cap_label_en}",
            )
        return f"- {who}: {label}, {self.money(line.amount_year)}: {why}."

    def rank(self, note: RankNote) -> str:
        label = note.label if self.id else note.label_en
        if note.position is not None:
            return self.t(
                f"{label}: urutan ke-{note.position}, "
                + ("terpilih." if note.admitted else "tidak terpilih."),
                f"{label}: place {note.position}, "
                + ("selected." if note.admitted else "not selected."),
            )
        where = note.region_code or "-"
        if note.quota is None:
            return self.t(
                f"{label}: kuota wilayah {where} tidak diketahui.",
                f"{label}: quota of region {where} unknown.",
            )
        quota = format_value(note.quota, self.lang)
        eligible = format_value(note.eligible_units or 0, self.lang)
        return self.t(
            f"{label}: wilayah {where} mendapat kuota {quota} untuk {eligible} yang memenuhi "
            "syarat; " + ("masuk kuota." if note.admitted else "di luar kuota."),
            f"{label}: region {where} has a quota of {quota} for {eligible} who qualify; "
            + ("within the quota." if note.admitted else "outside the quota."),
        )


# -- building explanations --------------------------------------------------------------------


def explain_family(
    rules: RuleSet,
    household: Row,
    members: Sequence[Row],
    reference_date: date,
    quotas: Mapping[tuple[str, str | None], QuotaContext] | None = None,
) -> Explanation:
    """The explanation for one family's rows (pure: no database)."""
    outcome = evaluate_family(rules, household, members, reference_date, quotas)
    ordered = sorted(
        members,
        key=lambda m: (m.get("relationship") or 99, m.get("birth_date") or date.max,
                       str(m["person_key"])),
    )  # fmt: skip
    facts_members = tuple(
        MemberFacts(
            number=i,
            person_key=str(m["person_key"]),
            relationship=m.get("relationship"),
            age=person_values(m, {}, reference_date)["age"],
            status=m.get("status"),
            counted=m in outcome.living_members,
        )
        for i, m in enumerate(ordered, start=1)
    )
    programs = tuple(
        ProgramExplanation(
            p.id,
            p.name,
            p.name_en,
            p.unit,
            p.version,
            outcome.units.get(p.id, ()),
            outcome.family_checks.get(p.id, ()),
        )
        for p in rules.programs.values()
    )
    return Explanation(
        outcome.family_id,
        reference_date,
        rules.version,
        dict(outcome.values),
        facts_members,
        programs,
    )


def explain(
    con: duckdb.DuckDBPyConnection, rules: RuleSet, family_id: str, reference_date: date
) -> Explanation:
    """Explain every program for one family, reading its rows from ``con``.

    Quota programs need the batch's ``eligibility_quota`` table (run :func:`evaluate` first).
    """
    households = _fetch(con, "SELECT * FROM rank_households WHERE family_id = ?", [family_id])
    if not households:
        raise NotFound(f"family {mask_kk(str(family_id))} is not in rank_households")
    members = _fetch(con, "SELECT * FROM rank_members WHERE family_id = ?", [family_id])
    regions = {
        p.id: households[0].get(p.quota.allocate_by) if p.quota.allocate_by else None
        for p in rules.programs.values()
        if p.quota is not None
    }
    quotas = load_quotas(con, rules, reference_date, regions)
    return explain_family(rules, households[0], members, reference_date, quotas)


def load_quotas(
    con: duckdb.DuckDBPyConnection,
    rules: RuleSet,
    reference_date: date,
    regions: Mapping[str, str | None] | None = None,
) -> dict[tuple[str, str | None], QuotaContext]:
    """The batch's quota rows (all, or one region per program), with each cut-off unit's sort
    key computed from its own rows by the Python field functions."""
    programs = {p.id: p for p in rules.programs.values() if p.quota is not None}
    if not programs:
        return {}
    if _exists(con, "eligibility_quota"):
        rows = _fetch(con, "SELECT * FROM eligibility_quota")
    elif _exists(con, "eligibility"):
        rows = _derived_quota_rows(con, programs.values(), reference_date)
    else:
        raise InvalidInput("eligibility_quota not found: run evaluate() before explaining")
    if regions is not None:
        rows = [
            r for r in rows if r["program"] in regions and regions[r["program"]] == r["region_code"]
        ]
    cutoff_families = sorted({str(r["cutoff_family_id"]) for r in rows if r["cutoff_family_id"]})
    households, members = _load_families(con, cutoff_families)
    out: dict[tuple[str, str | None], QuotaContext] = {}
    for row in rows:
        program = programs.get(row["program"])
        if program is None:
            continue
        cutoff = None
        if row["cutoff_family_id"] is not None:
            cutoff = _unit_sort_key(
                program,
                households.get(str(row["cutoff_family_id"])),
                members.get(str(row["cutoff_family_id"]), []),
                row["cutoff_person_key"],
                reference_date,
            )
        out[(program.id, row["region_code"])] = QuotaContext(
            program.id,
            row["region_code"],
            int(row["eligible_units"]),
            int(row["quota"]),
            int(row["admitted"]),
            cutoff,
            str(row["quota_source"]),
        )
    return out


def _derived_quota_rows(
    con: duckdb.DuckDBPyConnection, programs: Iterable[Program], reference_date: date
) -> list[dict[str, Any]]:
    """Quota rows rebuilt from ``eligibility`` alone (a published release has no quota table):
    per region, the units that reached the quota, those admitted, and the last one admitted.
    The shares themselves cannot be rebuilt; ``quota`` is then the number admitted."""
    out: list[dict[str, Any]] = []
    for program in programs:
        quota = program.quota
        assert quota is not None
        region = f"h.{quota.allocate_by}" if quota.allocate_by else "CAST(NULL AS VARCHAR)"
        family = [
            CATALOGUE[k.field] for k in quota.order_by if CATALOGUE[k.field].source == "family"
        ]
        keys: list[str] = []
        reverse: list[str] = []
        for k in quota.order_by:
            spec = CATALOGUE[k.field]
            expr = (
                f"coalesce(a.{spec.name}, {literal(spec.empty)})"
                if spec.source == "family"
                else f"({field_sql(spec, reference_date)})"
            )
            keys.append(f"{expr} AS k_{len(keys)}")
            reverse.append(f"k_{len(reverse)} {'ASC' if k.descending else 'DESC'} NULLS FIRST")
        reverse.append("unit_key DESC")
        last_first = ", ".join(reverse)
        unit_key = "e.person_key" if program.unit == "person" else "e.family_id"
        joins = "JOIN rank_households h ON h.family_id = e.family_id"
        if program.unit == "person":
            joins += " LEFT JOIN rank_members m ON m.person_key = e.person_key"
        if family:
            aggregates = ", ".join(f"{field_sql(f, reference_date)} AS {f.name}" for f in family)
            joins += (
                f" LEFT JOIN (SELECT m.family_id, {aggregates} FROM rank_members m "
                f"WHERE m.status = '{LIVING_STATUS}' GROUP BY m.family_id) a "
                "ON a.family_id = e.family_id"
            )
        sql = f"""
            WITH u AS (
                SELECT e.family_id, e.person_key, e.eligible, {unit_key} AS unit_key,
                    {region} AS region_code{"".join(", " + k for k in keys)}
                FROM eligibility e {joins}
                WHERE e.program = ? AND (len(e.failed) = 0 OR e.failed = [?])
            ),
            last AS (
                SELECT region_code, family_id, person_key FROM u WHERE eligible
                QUALIFY row_number() OVER (PARTITION BY region_code ORDER BY {last_first}) = 1
            )
            SELECT ? AS program, c.region_code, c.eligible_units, c.admitted AS quota,
                'derived' AS quota_source, c.admitted,
                CASE WHEN c.admitted < c.eligible_units THEN l.family_id END AS cutoff_family_id,
                CASE WHEN c.admitted < c.eligible_units THEN l.person_key END AS cutoff_person_key
            FROM (SELECT region_code, count(*) AS eligible_units,
                    count(*) FILTER (WHERE eligible) AS admitted FROM u GROUP BY region_code) c
            LEFT JOIN last l ON l.region_code IS NOT DISTINCT FROM c.region_code
        """
        out += _fetch(con, sql, [program.id, quota.id, program.id])
    return out


def _unit_sort_key(
    program: Program,
    household: Row | None,
    members: Sequence[Row],
    person_key: str | None,
    reference_date: date,
) -> tuple[Any, ...] | None:
    if household is None or program.quota is None:
        return None
    alive = [m for m in members if m.get("status") == "alive"]
    values = household_values(household, alive, reference_date)
    if program.unit == "person":
        member = next((m for m in members if m["person_key"] == person_key), None)
        if member is None:
            return None
        values = person_values(member, values, reference_date)
        return sort_key(values, program.quota.order_by, str(person_key))
    return sort_key(values, program.quota.order_by, str(household["family_id"]))


# -- agreement --------------------------------------------------------------------------------


def check_agreement(
    con: duckdb.DuckDBPyConnection,
    rules: RuleSet,
    reference_date: date,
    family_ids: Iterable[str] | None = None,
) -> list[str]:
    """Every difference between the batch tables and the Python explanations; [] = agree.

    Without ``family_ids``, every family, plus the quota table's counts and shares recomputed
    from the Python results. The messages name families and people by their keys.
    """
    wanted = None if family_ids is None else sorted({str(f) for f in family_ids})
    households, members = _load_families(con, wanted)
    problems: list[str] = []
    if wanted is not None:
        problems += [f"family {f}: not in rank_households" for f in wanted if f not in households]
    quotas = load_quotas(con, rules, reference_date)
    batch = _batch_rows(con, wanted)
    components = {
        p.id: _component_rows(con, p.id, wanted) for p in rules.programs.values() if p.components
    }
    candidates: dict[str, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for family_id, household in households.items():
        outcome = evaluate_family(
            rules, household, members.get(family_id, []), reference_date, quotas
        )
        mine = batch.pop(family_id, {})
        for program in rules.programs.values():
            for unit in outcome.units[program.id]:
                where = f"{program.id} family {family_id}" + (
                    f" person {unit.person_key}" if unit.person_key is not None else ""
                )
                expected = (unit.eligible, unit.amount_year, unit.failed)
                got = mine.pop((program.id, unit.person_key), None)
                if got is None:
                    problems.append(f"{where}: missing from the batch (explain: {expected})")
                elif got != expected:
                    problems.append(f"{where}: batch {got} != explain {expected}")
                if quota_candidate(unit, program) and program.quota is not None:
                    region = (
                        outcome.values.get(program.quota.allocate_by)
                        if program.quota.allocate_by
                        else None
                    )
                    candidates[program.id][region] += 1
            if program.components:
                lines = {
                    (line.person_key, line.component): (
                        line.amount_year,
                        line.counted,
                        line.reason,
                    )
                    for unit in outcome.units[program.id]
                    for line in unit.components
                }
                theirs = components[program.id].pop(family_id, {})
                if lines != theirs:
                    problems.append(
                        f"{program.id} family {family_id}: components batch "
                        f"{sorted(theirs.items())} != explain {sorted(lines.items())}"
                    )
        for program_id, person in sorted(mine, key=str):
            problems.append(f"{program_id} family {family_id} person {person}: only in the batch")
    if wanted is None:
        problems += [f"family {f}: rows in the batch but not in rank_households" for f in batch]
        problems += _check_quota_table(rules, quotas, candidates)
    return problems


def _check_quota_table(
    rules: RuleSet,
    quotas: Mapping[tuple[str, str | None], QuotaContext],
    candidates: Mapping[str, Mapping[str | None, int]],
) -> list[str]:
    problems: list[str] = []
    for program in rules.programs.values():
        if program.quota is None:
            continue
        rows = {region: q for (pid, region), q in quotas.items() if pid == program.id}
        counted = {r: n for r, n in candidates.get(program.id, {}).items() if n}
        theirs = {r: q.eligible_units for r, q in rows.items() if q.eligible_units}
        if counted != theirs:
            problems.append(f"{program.id} quota: eligible per region batch {theirs} != {counted}")
            continue
        if any(q.quota_source == "derived" for q in rows.values()):
            continue  # rebuilt from the decisions: there are no shares to recompute
        overrides = {r: q.quota for r, q in rows.items() if q.quota_source == "override"}
        shares = allocate(program.quota.total, counted, overrides)
        for region, q in rows.items():
            if shares.get(region) != q.quota:
                problems.append(
                    f"{program.id} quota region {region}: batch {q.quota} != {shares.get(region)}"
                )
            if q.admitted != min(q.quota, q.eligible_units):
                problems.append(f"{program.id} quota region {region}: admitted {q.admitted}")
    return problems


# -- reading ----------------------------------------------------------------------------------


def _fetch(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(found and found[0])


_LISTED = 64  # at most this many families are looked up by a parameter list


def _load_families(
    con: duckdb.DuckDBPyConnection, family_ids: Sequence[str] | None
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Household rows by family_id and member rows by family_id (all, or the given families)."""
    h_cols = ", ".join(c for c in HOUSEHOLD_COLUMNS)
    m_cols = ", ".join(c for c in MEMBER_COLUMNS)
    if family_ids is None:
        h_rows = _fetch(con, f"SELECT {h_cols} FROM rank_households")
        m_rows = _fetch(con, f"SELECT {m_cols} FROM rank_members")
    else:
        if not family_ids:
            return {}, {}
        if len(family_ids) <= _LISTED:  # a plain IN list: an index or zone maps can serve it
            where = f"WHERE family_id IN ({', '.join('?' * len(family_ids))})"
            params: list[Any] = [str(f) for f in family_ids]
        else:
            where = "WHERE family_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
            params = [list(family_ids)]
        h_rows = _fetch(con, f"SELECT {h_cols} FROM rank_households {where}", params)
        m_rows = _fetch(con, f"SELECT {m_cols} FROM rank_members {where}", params)
    households = {str(r["family_id"]): r for r in h_rows}
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in m_rows:
        members[str(row["family_id"])].append(row)
    return households, members


def _batch_rows(
    con: duckdb.DuckDBPyConnection, family_ids: Sequence[str] | None
) -> dict[str, dict[tuple[str, str | None], tuple[bool, int, tuple[str, ...]]]]:
    sql = "SELECT program, family_id, person_key, eligible, amount_year, failed FROM eligibility"
    params: list[Any] = []
    if family_ids is not None:
        sql += " WHERE family_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
        params.append(list(family_ids))
    out: dict[str, dict[tuple[str, str | None], tuple[bool, int, tuple[str, ...]]]] = defaultdict(
        dict
    )
    for row in _fetch(con, sql, params):
        out[str(row["family_id"])][(row["program"], row["person_key"])] = (
            bool(row["eligible"]),
            int(row["amount_year"]),
            tuple(row["failed"] or ()),
        )
    return out


def _component_rows(
    con: duckdb.DuckDBPyConnection, program_id: str, family_ids: Sequence[str] | None
) -> dict[str, dict[tuple[str, str], tuple[int, bool, str]]]:
    sql = (
        "SELECT family_id, person_key, component, amount_year, counted, reason "
        f'FROM "{program_id}_components"'
    )
    params: list[Any] = []
    if family_ids is not None:
        sql += " WHERE family_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
        params.append(list(family_ids))
    out: dict[str, dict[tuple[str, str], tuple[int, bool, str]]] = defaultdict(dict)
    for row in _fetch(con, sql, params):
        out[str(row["family_id"])][(str(row["person_key"]), row["component"])] = (
            int(row["amount_year"]),
            bool(row["counted"]),
            str(row["reason"]),
        )
    return out
