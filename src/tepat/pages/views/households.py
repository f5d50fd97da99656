"""Households: search (``/rumah-tangga``), one household (``/rumah-tangga/{id}``) and the lists
behind the dashboard's data-quality tiles (``/rumah-tangga/tanda/{meninggal|nik}``).

Every personal read goes through the registry service (region scope, masking, audit): a
household of another region answers the same 404 page as an unknown one. The household page
shows the members, the attributes in words with the source of each value, a timeline (events,
proposals and objections with their steps, membership changes) and, from the current release,
the desil and each program's decision explained condition by condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.access.roles import Role
from tepat.eligibility.catalogue import CATALOGUE
from tepat.eligibility.explain import Explanation, ProgramExplanation
from tepat.errors import Forbidden, InvalidInput, NotFound
from tepat.pages import household_words as words
from tepat.pages.i18n import Lang, Translate, translator
from tepat.pages.queries import dashboard as q
from tepat.pages.queries.explain import release_explanation
from tepat.pages.render import render, request_lang, rupiah
from tepat.pages.session import PageUser, require_page_role
from tepat.reference.nik import mask_nik
from tepat.reference.regions import RegionLevel, regions
from tepat.registry import history as registry_history
from tepat.registry import service as registry
from tepat.registry.models import Household, Membership, Person, Provenance, unwrap_fields
from tepat.registry.schemas import HouseholdDetail
from tepat.release.models import ReleaseBeneficiary, ReleaseHousehold
from tepat.web.deps import AppSettings, DbSession
from tepat.workflow.common import READERS, histories
from tepat.workflow.models import Objection, Proposal
from tepat.workflow.rules import format_number

router = APIRouter()

PAGE_SIZE: Final = 20
MAX_PAGE: Final = 100_000
MAX_VILLAGE_OPTIONS: Final = 400
HOUSEHOLD_ROLES: Final[tuple[Role, ...]] = (
    "village_operator",
    "facilitator",
    "district_office",
    "province_office",
    "national_admin",
    "program_manager",
    "auditor",
)
FLAG_ROLES: Final[tuple[Role, ...]] = (
    "village_operator",
    "district_office",
    "province_office",
    "national_admin",
)
FLAGS: Final = ("meninggal", "nik")
TIMELINE_LIMIT: Final = 200
SIXTEEN_DIGITS: Final = re.compile(r"\d{16}")


def _page_number(value: str | None) -> int:
    """``?page=`` as a number from 1 (anything else is page 1)."""
    try:
        page = int((value or "1").strip())
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def _message(t: Translate, code: str, fallback: str) -> str:
    key = f"households.error_{code}"
    text = t(key)
    return fallback if text == key else text


# -- search -----------------------------------------------------------------------------------


def _village_options(user: Principal) -> list[tuple[str, str]] | None:
    """The villages of the user's regions for a select, or None when there are too many (the
    filter is then a text field)."""
    if user.is_national:
        return None
    repo = regions()
    codes: list[str] = []
    for region in user.regions:
        found = repo.find(region)
        if found is None:
            continue
        if found.level is RegionLevel.VILLAGE:
            codes.append(found.code)
        else:
            codes += repo.descendant_codes(found.code, RegionLevel.VILLAGE)
        if len(codes) > MAX_VILLAGE_OPTIONS:
            return None
    return [(c, f"{repo.name(c)} ({c})") for c in sorted(set(codes))]


@router.get("/rumah-tangga")
def search_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    q: str | None = None,
    desa: str | None = None,
    page: str | None = None,
) -> Response:
    """Households of the user's regions by name, NIK or KK, with a village filter."""
    require_page_role(user, *HOUSEHOLD_ROLES)
    lang = request_lang(request)
    t = translator(lang)
    query = (q or "").strip()[:100]
    village = (desa or "").strip()[:20]
    number_ = _page_number(page)
    errors: dict[str, str] = {}
    items: list[Any] = []
    total = 0
    status = 200
    searched = bool(query or village)
    if searched:
        try:
            items, total = registry.search_households(
                db=db,
                principal=user,
                purpose=None,
                village=village or None,
                q=query or None,
                offset=(number_ - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
        except (InvalidInput, Forbidden) as exc:
            field = "desa" if exc.field == "village" else "q"
            errors[field] = _message(t, exc.code, t("households.error_generic"))
            status = 422
    shown = query
    if not user.may_see_identity and SIXTEEN_DIGITS.search(query):
        shown = SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group(0)), query)  # never echoed whole
    params = [f"q={quote(query)}" if query else "", f"desa={quote(village)}" if village else ""]
    base = "/rumah-tangga?" + "&".join(p for p in params if p)
    return render(
        request,
        "households/search.html",
        {
            "title": t("households.search_title"),
            "query": "" if shown != query else str(request.url.query),
            "q": shown,
            "desa": village,
            "villages": _village_options(user),
            "errors": errors,
            "items": items,
            "total": total,
            "page": number_,
            "size": PAGE_SIZE,
            "base": base.rstrip("?"),
            "searched": searched,
            "may_search_identity": user.may_see_identity,
        },
        status_code=status,
    )


# -- data-quality lists -----------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedHousehold:
    """A household on a data-quality list."""

    id: int
    kk_number: str | None
    village_code: str
    village_name: str
    address: str | None
    head_name: str | None
    people: list[str]


def _flag_rows(
    db: Session, user: Principal, kind: str, ids: list[int], query: Any
) -> list[FlaggedHousehold]:
    if not ids:
        return []
    _open = Membership.end_date.is_(None)
    head = (
        select(Person.full_name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.household_id == Household.id, Membership.role == "head", _open)
        .limit(1)
        .scalar_subquery()
    )
    rows = db.execute(
        select(Household.id, Household.kk_number, Household.village_code, Household.address, head)
        .where(Household.id.in_(ids))
        .order_by(Household.id)
    ).all()
    inner = query.subquery()
    who: dict[int, list[str]] = {}
    for hid, name in db.execute(
        select(inner.c[0], Person.full_name)
        .join(Person, Person.id == inner.c[1])
        .where(inner.c[0].in_(ids))
        .order_by(Person.id)
    ):
        who.setdefault(int(hid), []).append(str(name))
    return [
        FlaggedHousehold(
            r[0], user.kk(r[1]), r[2], q.region_name(r[2]), r[3], r[4], who.get(r[0], [])[:10]
        )
        for r in rows
    ]


@router.get("/rumah-tangga/tanda/{kind}")
def flagged_page(
    kind: str, request: Request, db: DbSession, user: PageUser, page: str | None = None
) -> Response:
    """Households of the user's regions behind a data-quality tile: with a deceased recipient,
    or with a member whose NIK is invalid."""
    require_page_role(user, *FLAG_ROLES)
    if kind not in FLAGS:
        raise NotFound(f"no list {kind!r}", code="not_found")
    lang = request_lang(request)
    t = translator(lang)
    number_ = _page_number(page)
    release = q.current_release(db)
    query: Any
    if kind == "meninggal":
        query = None if release is None else q.deceased_recipients_query(user, release.id)
    else:
        query = q.invalid_nik_query(user)
    ids: list[int] = []
    total = 0
    if query is not None:
        ids, total = q.flagged_households(
            db, query, offset=(number_ - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    rows = [] if query is None else _flag_rows(db, user, kind, ids, query)
    audit.record(
        db,
        user,
        action="registry.household.search",
        purpose=None,
        entity="household",
        detail={
            "ids": ids,
            "total": total,
            "query_kind": f"flag:{kind}",
            "offset": (number_ - 1) * PAGE_SIZE,
        },
    )
    return render(
        request,
        "households/flagged.html",
        {
            "title": t(f"households.flag_title_{kind}"),
            "kind": kind,
            "rows": rows,
            "total": total,
            "page": number_,
            "size": PAGE_SIZE,
            "base": f"/rumah-tangga/tanda/{kind}",
            "no_release": release is None and kind == "meninggal",
            "propose_link": "/usulan"
            if user.role in ("village_operator", "district_office", "national_admin")
            else None,
        },
    )


# -- one household ----------------------------------------------------------------------------


def _as_of_date(value: str | None, t: Translate) -> tuple[date | None, str | None]:
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


def _provenance(db: Session, household_id: int) -> dict[str, tuple[str, str | None, date | None]]:
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


def _attributes(
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


def _sort_key(m: Moment) -> tuple[date, str]:
    if m.when is None:
        return (date.min, "")
    when = m.when.date() if isinstance(m.when, datetime) else m.when
    return (when, m.when.isoformat() if isinstance(m.when, datetime) else "")


def _timeline(
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
    moments.sort(key=_sort_key, reverse=True)
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


def _release_part(
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


@router.get("/rumah-tangga/{household_id}")
def household_page(
    household_id: int,
    request: Request,
    db: DbSession,
    user: PageUser,
    settings: AppSettings,
    tanggal: str | None = None,
) -> Response:
    """One household of the user's regions (404 page for any other)."""
    require_page_role(user, *HOUSEHOLD_ROLES)
    lang = request_lang(request)
    t = translator(lang)
    detail = registry.household_detail(
        db=db, principal=user, purpose=None, household_id=household_id
    )
    on, date_error = _as_of_date(tanggal, t)
    shown: HouseholdDetail = detail
    if on is not None:
        try:
            shown = registry_history.household_as_of(
                db=db, principal=user, household_id=household_id, on=on, purpose=None
            )
        except NotFound:
            date_error, on = t("households.not_yet_formed"), None
    sources = _provenance(db, household_id)
    members = [
        {
            "id": m.person_id,
            "name": m.full_name,
            "nik": m.nik,
            "sex": t(f"households.sex_{m.sex}"),
            "birth_date": m.birth_date,
            "age": _age(m.birth_date, on or date.today()),
            "relationship": words.relationship(m.relationship_code, lang),
            "status": t(f"households.person_status.{m.status}"),
            "deceased": m.status == "deceased",
            "since": m.since,
        }
        for m in shown.members
    ]
    timeline = _timeline(db, user, household_id, lang, t)
    release = None if on is not None else _release_part(db, settings, detail, lang, t)
    if release is not None and release.get("ranked"):
        ranked = Moment(
            release["data_cut"],
            t("households.tl_release"),
            t("households.tl_ranked", id=release["id"], n=release["desil"]),
        )
        timeline = sorted([*timeline, ranked], key=_sort_key, reverse=True)
    context = {
        "title": t("households.household_title", id=detail.id),
        "h": shown,
        "members": members,
        "attributes": _attributes(shown, sources if on is None else {}, lang, t),
        "sources": detail.provenance,
        "timeline": timeline,
        "release": release,
        "as_of": on,
        "tanggal_value": (tanggal or "").strip()[:20],
        "date_error": date_error,
        "region": " · ".join(
            q.region_name(c) for c in (shown.village_code, shown.district_code, shown.regency_code)
        ),
        "status_word": t(f"households.household_status.{shown.status}"),
        "masked": not user.may_see_identity,
    }
    return render(
        request, "households/detail.html", context, status_code=422 if date_error else 200
    )


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
