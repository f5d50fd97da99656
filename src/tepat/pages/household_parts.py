"""The parts of the household page (``/rumah-tangga/{id}``, tepat.pages.views.households): the
attributes in words with the source of each value, the timeline (events, membership changes,
proposals and objections with their steps) and the current release's decisions explained, each
built from the service's reads. Not a view module: it has no routes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.eligibility.catalogue import CATALOGUE
from tepat.eligibility.explain import Explanation, ProgramExplanation
from tepat.pages import household_words as words
from tepat.pages.i18n import Lang, Translate
from tepat.pages.queries import dashboard as q
from tepat.pages.queries.explain import release_explanation
from tepat.pages.render import rupiah
from tepat.registry import history as registry_history
from tepat.registry.models import Provenance, unwrap_fields
from tepat.registry.schemas import HouseholdDetail
from tepat.release.models import ReleaseBeneficiary, ReleaseHousehold
from tepat.workflow.common import READERS, histories
from tepat.workflow.models import Objection, Proposal
from tepat.workflow.rules import format_number

TIMELINE_LIMIT: Final = 200
SIXTEEN_DIGITS: Final = re.compile(r"\d{16}")


def as_of_date(value: str | None, t: Translate) -> tuple[date | None, str | None]:
    """The ``?tanggal=`` date, or the message explaining what is wrong with it."""
    text = (value or "").strip()
    if not text:
        return None, None
    try:
        when = date.fromisoformat(text[:20])
    except ValueError:
        return None, t("check.date_invalid")
    if when > date.today():
        return None, t("check.date_future")
    if when.year < 1900:
        return None, t("check.date_invalid")
    return when, None


@dataclass(frozen=True)
class Attribute:
    """One attribute in words with where its value came from."""

    name: str
    label: str
    value: str
    source: str | None
    record: str | None
    observed_on: date | None


def field_sources(db: Session, household_id: int) -> dict[str, tuple[str, str | None, date | None]]:
    """field -> (source, source record, observed date), from the current provenance rows."""
    out: dict[str, tuple[str, str | None, date | None]] = {}
    for row in db.scalars(
        select(Provenance)
        .where(
            Provenance.entity == "household",
            Provenance.entity_id == household_id,
            Provenance.superseded_at.is_(None),
        )
        .order_by(Provenance.id)
        .limit(200)
    ):
        for name in unwrap_fields(row.fields):
            out[name] = (row.source, row.source_record_id, row.observed_on)
    return out


def attributes_in_words(
    detail: Any, sources: dict[str, tuple[str, str | None, date | None]], lang: Lang, t: Translate
) -> list[tuple[str, list[Attribute]]]:
    groups: list[tuple[str, list[Attribute]]] = []
    for group, fields in words.GROUPS:
        rows = []
        for name in fields:
            value = detail.attributes.get(name)
            source = sources.get(name)
            rows.append(
                Attribute(
                    name,
                    t(f"households.attr.{name}"),
                    words.attribute_value(name, value, lang, t),
                    None if source is None else source[0],
                    None if source is None else source[1],
                    None if source is None else source[2],
                )
            )
        groups.append((t(f"households.group_{group}"), rows))
    received = detail.attributes.get("programs_received")
    source = sources.get("programs_received")
    groups.append(
        (
            t("households.group_programs_received"),
            [
                Attribute(
                    "programs_received",
                    t("households.attr.programs_received"),
                    words.attribute_value("programs_received", received, lang, t),
                    None if source is None else source[0],
                    None if source is None else source[1],
                    None if source is None else source[2],
                )
            ],
        )
    )
    return groups


@dataclass(frozen=True)
class Moment:
    """One line of the timeline."""

    when: date | datetime | None
    kind: str
    text: str
    detail: str = ""
    warn: bool = False


def moment_key(m: Moment) -> tuple[date, str]:
    if m.when is None:
        return (date.min, "")
    when = m.when.date() if isinstance(m.when, datetime) else m.when
    return (when, m.when.isoformat() if isinstance(m.when, datetime) else "")


def timeline_of(
    db: Session, user: Principal, household_id: int, lang: Lang, t: Translate
) -> list[Moment]:
    story = registry_history.household_history(
        db=db, principal=user, household_id=household_id, purpose=None
    )
    moments: list[Moment] = []
    for entry in story.entries:
        fields = ", ".join(
            t(f"households.attr.{f}") if t(f"households.attr.{f}") != f"households.attr.{f}" else f
            for f in entry.changed_fields[:12]
        )
        if entry.event is None:
            moments.append(
                Moment(entry.valid_from, t("households.tl_version"), t("households.tl_first"))
            )
            continue
        ev = entry.event
        label = t(f"households.event.{ev.type}")
        if label == f"households.event.{ev.type}":
            label = ev.type
        detail = t("households.tl_by", actor=ev.actor, source=ev.source)
        if fields:
            detail += " · " + t("households.tl_fields", fields=fields)
        if ev.reason:
            detail += " · " + ev.reason
        moments.append(Moment(ev.effective_date, t("households.tl_event"), label, detail))
    for period in story.memberships:
        who = f"{period.full_name} ({words.relationship(period.relationship_code, lang)})"
        if period.start_date is not None:
            moments.append(
                Moment(
                    period.start_date, t("households.tl_member"), t("households.tl_joined", who=who)
                )
            )
        if period.end_date is not None:
            reason = t(f"households.end.{period.end_reason}") if period.end_reason else ""
            if reason.startswith("households.end."):
                reason = str(period.end_reason)
            moments.append(
                Moment(
                    period.end_date,
                    t("households.tl_member"),
                    t("households.tl_left", who=who),
                    reason,
                    warn=period.end_reason == "death",
                )
            )
    if user.role in READERS:
        moments += _case_moments(db, user, household_id, t)
    moments.sort(key=moment_key, reverse=True)
    return moments[:TIMELINE_LIMIT]


def _case_moments(db: Session, user: Principal, household_id: int, t: Translate) -> list[Moment]:
    """Proposals and objections about the household, with each step (facilitators: their own)."""
    scope_p = [user.sql_scope(Proposal.village_code)]
    scope_o = [user.sql_scope(Objection.village_code)]
    if user.role == "facilitator":
        scope_p.append(Proposal.assignee == user.username)
        scope_o.append(Objection.assignee == user.username)
    proposals = list(
        db.scalars(
            select(Proposal)
            .where(
                or_(
                    Proposal.household_id == household_id,
                    Proposal.result_household_id == household_id,
                ),
                *scope_p,
            )
            .order_by(Proposal.id)
            .limit(50)
        )
    )
    objections = list(
        db.scalars(
            select(Objection)
            .where(Objection.household_id == household_id, *scope_o)
            .order_by(Objection.id)
            .limit(50)
        )
    )
    if proposals or objections:
        audit.record(
            db,
            user,
            action="workflow.household.cases",
            purpose=None,
            entity="household",
            entity_id=household_id,
            detail={
                "proposals": [p.id for p in proposals],
                "objections": [o.id for o in objections],
            },
        )
    out: list[Moment] = []
    steps = histories(db, "proposal", [p.id for p in proposals])
    for p in proposals:
        label = format_number("proposal", p.village_code, p.created_at.year, p.id)
        kind = t(f"households.proposal_kind.{p.kind}")
        for s in steps.get(p.id, []):
            out.append(
                Moment(
                    s.at,
                    t("households.tl_proposal"),
                    t(
                        "households.tl_case_step",
                        number=label,
                        what=kind,
                        state=t(f"dashboard.state_proposal_{s.to_state}"),
                    ),
                    t("households.tl_step_by", actor=s.actor) + (f" · {s.note}" if s.note else ""),
                    warn=s.to_state == "rejected",
                )
            )
    steps = histories(db, "objection", [o.id for o in objections])
    for o in objections:
        label = format_number("objection", o.village_code, o.created_at.year, o.id)
        reason = t(f"households.objection_reason.{o.reason_code}")
        for s in steps.get(o.id, []):
            out.append(
                Moment(
                    s.at,
                    t("households.tl_objection"),
                    t(
                        "households.tl_case_step",
                        number=label,
                        what=reason,
                        state=t(f"dashboard.state_objection_{s.to_state}"),
                    ),
                    t("households.tl_step_by", actor=s.actor),
                    warn=s.to_state == "upheld",
                )
            )
    return out


@dataclass(frozen=True)
class ProgramView:
    """One program of the release for this family, in words."""

    id: str
    name: str
    eligible: bool
    amount: str
    conditions: list[tuple[bool | None, str]]
    members: list[tuple[str, bool, str, list[str]]]  # who, eligible, amount, reasons
    components: list[str]
    ranks: list[str]
    unit: str


def _program_view(p: ProgramExplanation, x: Explanation, lang: Lang, t: Translate) -> ProgramView:
    by_key = {m.person_key: m for m in x.members}

    def who(key: str | None) -> str:
        member = by_key.get(key or "")
        return member.describe(lang) if member else t("households.someone")

    conditions = [(c.held, words.condition_sentence(c, lang, t)) for c in p.conditions]
    members: list[tuple[str, bool, str, list[str]]] = []
    components: list[str] = []
    ranks: list[str] = []
    if p.unit == "household" and p.units:
        unit = p.units[0]
        seen = {c.id for c in p.conditions}
        conditions += [
            (c.held, words.condition_sentence(c, lang, t)) for c in unit.checks if c.id not in seen
        ]
        components = [
            words.component_sentence(line, who(line.person_key), lang, t)
            for line in unit.components
        ]
        ranks = [words.rank_sentence(note, lang, t) for note in unit.ranks]
        if "no_component" in unit.failed:
            ranks.append(t("households.no_component"))
        if "no_amount" in unit.failed:
            ranks.append(t("households.no_amount"))
    else:
        for unit in p.units:
            reasons = [
                words.condition_sentence(c, lang, t)
                for c in unit.checks
                if c.held is not True and CATALOGUE[c.field].level != "household"
            ]
            reasons += [
                words.rank_sentence(note, lang, t) for note in unit.ranks if not note.admitted
            ]
            members.append(
                (who(unit.person_key), unit.eligible, rupiah(unit.amount_year, lang), reasons)
            )
    return ProgramView(
        p.id,
        f"{p.id.replace('_', ' ').upper()} · {p.name if lang == 'id' else p.name_en}",
        p.eligible,
        rupiah(p.amount_year, lang),
        conditions,
        members,
        components,
        ranks,
        p.unit,
    )


def release_part(
    db: Session, settings: Any, detail: HouseholdDetail, lang: Lang, t: Translate
) -> dict[str, Any] | None:
    release = q.current_release(db)
    if release is None:
        return None
    row = db.execute(
        select(ReleaseHousehold.family_id, ReleaseHousehold.desil, ReleaseHousehold.percentile)
        .where(
            ReleaseHousehold.release_id == release.id,
            ReleaseHousehold.household_id == detail.id,
        )
        .limit(1)
    ).first()
    out: dict[str, Any] = {
        "id": release.id,
        "data_cut": release.data_cut,
        "ranked": row is not None,
    }
    if row is None:
        return out
    paid = db.execute(
        select(ReleaseBeneficiary.program, func.count(), func.sum(ReleaseBeneficiary.amount_year))
        .where(
            ReleaseBeneficiary.release_id == release.id,
            ReleaseBeneficiary.family_id == row.family_id,
        )
        .group_by(ReleaseBeneficiary.program)
    ).all()
    out["desil"] = int(row.desil)
    out["paid"] = [
        (
            f"{p.replace('_', ' ').upper()}",
            int(c or 0),
            t("households.paid_people", n=n) if n > 1 else "",
        )
        for p, n, c in sorted(paid, key=lambda r: -(r[2] or 0))
    ]
    out["paid_total"] = sum(int(c or 0) for _p, _n, c in paid)
    explanation = release_explanation(settings.data_dir, release.id, str(row.family_id))
    out["explained"] = explanation is not None
    if explanation is not None:
        views = [_program_view(p, explanation, lang, t) for p in explanation.programs]
        out["programs"] = sorted(views, key=lambda v: (not v.eligible, v.id))
        out["living"] = explanation.facts.get("members")
        out["not_counted"] = [m.describe(lang) for m in explanation.members if not m.counted]
    return out


def age_on(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
