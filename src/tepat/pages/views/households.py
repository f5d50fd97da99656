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
from datetime import date
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.access.roles import Role
from tepat.errors import Forbidden, InvalidInput, NotFound
from tepat.pages import household_words as words
from tepat.pages.household_parts import (
    Moment,
    age_on,
    as_of_date,
    attributes_in_words,
    field_sources,
    moment_key,
    release_part,
    timeline_of,
)
from tepat.pages.i18n import Translate, translator
from tepat.pages.queries import dashboard as q
from tepat.pages.render import render, request_lang
from tepat.pages.session import PageUser, require_page_role
from tepat.reference.nik import mask_nik
from tepat.reference.regions import RegionLevel, regions
from tepat.registry import history as registry_history
from tepat.registry import service as registry
from tepat.registry.models import Household, Membership, Person
from tepat.registry.schemas import HouseholdDetail
from tepat.web.deps import AppSettings, DbSession

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
    on, date_error = as_of_date(tanggal, t)
    shown: HouseholdDetail = detail
    if on is not None:
        try:
            shown = registry_history.household_as_of(
                db=db, principal=user, household_id=household_id, on=on, purpose=None
            )
        except NotFound:
            date_error, on = t("households.not_yet_formed"), None
    sources = field_sources(db, household_id)
    members = [
        {
            "id": m.person_id,
            "name": m.full_name,
            "nik": m.nik,
            "sex": t(f"households.sex_{m.sex}"),
            "birth_date": m.birth_date,
            "age": age_on(m.birth_date, on or date.today()),
            "relationship": words.relationship(m.relationship_code, lang),
            "status": t(f"households.person_status.{m.status}"),
            "deceased": m.status == "deceased",
            "since": m.since,
        }
        for m in shown.members
    ]
    timeline = timeline_of(db, user, household_id, lang, t)
    release = None if on is not None else release_part(db, settings, detail, lang, t)
    if release is not None and release.get("ranked"):
        ranked = Moment(
            release["data_cut"],
            t("households.tl_release"),
            t("households.tl_ranked", id=release["id"], n=release["desil"]),
        )
        timeline = sorted([*timeline, ranked], key=moment_key, reverse=True)
    context = {
        "title": t("households.household_title", id=detail.id),
        "h": shown,
        "members": members,
        "attributes": attributes_in_words(shown, sources if on is None else {}, lang, t),
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
