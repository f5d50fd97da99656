"""Read services of the registry, always limited to the caller's regions and audited.

Each function takes the caller's ``Principal`` and purpose, applies the region scope in SQL (so
another region's data never appears in lists, counts or search), masks NIK/KK for roles that may
not see them, and appends one audit entry naming the entity ids read. A record outside the scope
is reported exactly like a missing one (:class:`NotFound`). Services flush, never commit.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Forbidden, InvalidInput, NotFound
from tepat.reference.regions import RegionLevel, UnknownRegion, regions
from tepat.registry.fields import HOUSEHOLD_ITEMS, PERSON_ITEMS
from tepat.registry.models import Household, Membership, Person, Provenance, unwrap_fields
from tepat.registry.schemas import (
    HouseholdDetail,
    HouseholdSummary,
    Member,
    PersonDetail,
    Residence,
    SourceSummary,
)

_OPEN = Membership.end_date.is_(None)
# Each level's indexed code column: scope by equality rather than LIKE.
_LEVELS = {
    2: Household.province_code,
    5: Household.regency_code,
    8: Household.district_code,
    13: Household.village_code,
}
_SEPARATORS = re.compile(r"[\s.\-]")
MIN_NAME_QUERY = 2


def household_scope(principal: Principal) -> Any:
    """The SQL condition limiting ``households`` to the principal's regions."""
    return principal.sql_scope(Household.village_code, levels=_LEVELS)


def _village_name(code: str) -> str | None:
    region = regions().find(code)
    return None if region is None else region.name


def check_village(principal: Principal, code: str, *, field: str = "village") -> str:
    """The canonical village code, if it is one and the principal holds it (else 422 / 403)."""
    try:
        region = regions().get(code)
    except UnknownRegion as exc:
        raise InvalidInput(exc.message, code=exc.code, field=field) from None
    if region.level is not RegionLevel.VILLAGE:
        raise InvalidInput(
            f"{field} must be a village code (PP.KK.CC.DDDD); {region.code} is a {region.kind}",
            code="not_a_village",
            field=field,
        )
    principal.require_covers(region.code, field=field)
    return region.code


def _classify_query(principal: Principal, q: str | None) -> tuple[str | None, str | None]:
    """("identity", 16 digits) | ("name", lowered text) | (None, None)."""
    text = " ".join((q or "").split())
    if not text:
        return None, None
    digits = _SEPARATORS.sub("", text)
    if digits.isdigit():
        if len(digits) != 16:
            raise InvalidInput(
                f"q looks like a NIK or KK number but has {len(digits)} digits; both have 16",
                code="invalid_identity_query",
                field="q",
            )
        if not principal.may_see_identity:
            raise Forbidden(
                f"role {principal.role} may not search by NIK or KK; search by name instead",
                code="identity_search_not_allowed",
                field="q",
            )
        return "identity", digits
    if len(text) < MIN_NAME_QUERY:
        raise InvalidInput(
            f"q must have at least {MIN_NAME_QUERY} characters to search by name",
            code="query_too_short",
            field="q",
        )
    return "name", text.lower()


def search_households(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    village: str | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[HouseholdSummary], int]:
    """Households in the caller's scope matching ``village`` and ``q``, and the total count.

    ``q`` of 16 digits matches a household's KK or a current member's NIK exactly (refused for
    roles that may not see identity numbers); other text matches current members' names.
    """
    conditions: list[Any] = [household_scope(principal)]
    if village is not None:
        village = check_village(principal, village)
        conditions.append(Household.village_code == village)
    kind, term = _classify_query(principal, q)
    if kind == "identity":
        # Two index lookups first: an OR of a KK match and a member's NIK match would make the
        # database test every household of a large scope (a province, the country).
        ids = set(db.scalars(select(Household.id).where(Household.kk_number == term)))
        ids.update(
            db.scalars(
                select(Membership.household_id)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.nik == term, _OPEN)
            )
        )
        conditions.append(Household.id.in_(sorted(ids) or [-1]))
    elif kind == "name":
        # A semi-join from the matching people (PostgreSQL: the trigram index of migration 0009).
        conditions.append(
            Household.id.in_(
                select(Membership.household_id)
                .join(Person, Person.id == Membership.person_id)
                .where(_OPEN, func.lower(Person.full_name).contains(term, autoescape=True))
            )
        )
    total = db.scalar(select(func.count(Household.id)).where(*conditions)) or 0
    head = (
        select(Person.full_name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.household_id == Household.id, Membership.role == "head", _OPEN)
        .limit(1)
        .scalar_subquery()
    )
    members = (
        select(func.count(Membership.id))
        .where(Membership.household_id == Household.id, _OPEN)
        .scalar_subquery()
    )
    rows = db.execute(
        select(
            Household.id,
            Household.kk_number,
            Household.village_code,
            Household.address,
            Household.status,
            head.label("head_name"),
            members.label("members"),
        )
        .where(*conditions)
        .order_by(Household.id)
        .offset(offset)
        .limit(limit)
    ).all()
    items = [
        HouseholdSummary(
            id=r.id,
            kk_number=principal.kk(r.kk_number),
            village_code=r.village_code,
            village_name=_village_name(r.village_code),
            address=r.address,
            head_name=r.head_name,
            members=int(r.members or 0),
            status=r.status,
        )
        for r in rows
    ]
    audit.record(
        db,
        principal,
        action="registry.household.search",
        read=True,
        purpose=purpose,
        entity="household",
        region_code=village,
        detail={
            "ids": [i.id for i in items],
            "total": int(total),
            "query_kind": kind,
            "query": q,  # audit.append masks any NIK/KK in it
            "offset": offset,
        },
    )
    return items, int(total)


def _provenance(db: Session, entity: str, entity_id: int) -> list[SourceSummary]:
    rows = db.scalars(
        select(Provenance).where(
            Provenance.entity == entity,
            Provenance.entity_id == entity_id,
            Provenance.superseded_at.is_(None),
        )
    )
    by_source: dict[str, list[Provenance]] = defaultdict(list)
    for row in rows:
        by_source[row.source].append(row)
    summaries = []
    for source, group in sorted(by_source.items()):
        dates = [r.observed_on for r in group if r.observed_on is not None]
        fields = sorted({f for r in group for f in unwrap_fields(r.fields)})
        summaries.append(
            SourceSummary(
                source=source,
                records=len(group),
                fields=fields,
                observed_on=max(dates, default=None),
            )
        )
    return summaries


def household_detail(
    *, db: Session, principal: Principal, purpose: str | None, household_id: int
) -> HouseholdDetail:
    """One household in the caller's scope, with its current members (404 otherwise)."""
    household = db.scalar(
        select(Household).where(Household.id == household_id, household_scope(principal))
    )
    if household is None:
        raise NotFound(f"household {household_id} not found", code="household_not_found")
    rows = db.execute(
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.household_id == household_id, _OPEN)
        .order_by(Membership.relationship_code, Membership.line_number, Person.id)
    ).all()
    members = [
        Member(
            person_id=p.id,
            full_name=p.full_name,
            nik=principal.nik(p.nik),
            sex=p.sex,
            birth_date=p.birth_date,
            status=p.status,
            role=m.role,
            relationship_code=m.relationship_code,
            line_number=m.line_number,
            since=m.start_date,
        )
        for m, p in rows
    ]
    attributes = {name: getattr(household, name) for name in HOUSEHOLD_ITEMS}
    attributes["programs_received"] = household.programs_received
    detail = HouseholdDetail(
        id=household.id,
        kk_number=principal.kk(household.kk_number),
        province_code=household.province_code,
        regency_code=household.regency_code,
        district_code=household.district_code,
        village_code=household.village_code,
        village_name=_village_name(household.village_code),
        address=household.address,
        rt=household.rt,
        rw=household.rw,
        urban=household.urban,
        status=household.status,
        formed_on=household.formed_on,
        dissolved_on=household.dissolved_on,
        attributes=attributes,
        members=members,
        provenance=_provenance(db, "household", household.id),
        version=household.version,
    )
    audit.record(
        db,
        principal,
        action="registry.household.read",
        read=True,
        purpose=purpose,
        entity="household",
        entity_id=household.id,
        region_code=household.village_code,
        detail={"members": [m.person_id for m in members]},
    )
    return detail


def _residence(db: Session, person_id: int) -> Residence | None:
    row = db.execute(
        select(Membership, Household.village_code)
        .join(Household, Household.id == Membership.household_id)
        .where(Membership.person_id == person_id)
        .order_by(_OPEN.desc(), Membership.end_date.desc(), Membership.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    membership, village = row
    return Residence(
        household_id=membership.household_id,
        village_code=village,
        role=membership.role,
        relationship_code=membership.relationship_code,
        since=membership.start_date,
        until=membership.end_date,
    )


def person_detail(
    *, db: Session, principal: Principal, purpose: str | None, person_id: int
) -> PersonDetail:
    """One person whose current (or last) household is in the caller's scope (404 otherwise).

    A person with no household at all is visible to national accounts only.
    """
    person = db.get(Person, person_id)
    residence = None if person is None else _residence(db, person_id)
    village = None if residence is None else residence.village_code
    if person is None or not principal.covers(village):
        raise NotFound(f"person {person_id} not found", code="person_not_found")
    attributes: dict[str, Any] = {name: getattr(person, name) for name in PERSON_ITEMS}
    attributes["marital_status"] = person.marital_status
    detail = PersonDetail(
        id=person.id,
        nik=principal.nik(person.nik),
        full_name=person.full_name,
        sex=person.sex,
        birth_date=person.birth_date,
        birth_place=person.birth_place,
        mother_name=person.mother_name if principal.may_see_identity else None,
        status=person.status,
        died_on=person.died_on,
        attributes=attributes,
        household=residence,
        provenance=_provenance(db, "person", person.id),
        version=person.version,
    )
    audit.record(
        db,
        principal,
        action="registry.person.read",
        read=True,
        purpose=purpose,
        entity="person",
        entity_id=person.id,
        region_code=village,
    )
    return detail
