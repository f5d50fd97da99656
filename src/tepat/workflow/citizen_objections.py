"""Citizens and objections (sanggah): the recipient list of the resident's own village, filing
an objection against a listed recipient there, and following it by number.

The objector must be a living member of an active household (NIK and name) in the same village
as the recipient, which must receive a program in the current release; anything else is
refused with one message that does not say which check failed.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Conflict, Forbidden, InvalidInput
from tepat.reference.regions import regions
from tepat.registry.models import Household, Membership, Person
from tepat.release.models import ReleaseBeneficiary, ReleaseHousehold
from tepat.workflow import objections
from tepat.workflow.citizen import audit_item, current_release, identify, rank, require
from tepat.workflow.common import due, step, utcnow
from tepat.workflow.models import Objection
from tepat.workflow.public_schemas import ObjectionIn, PublicObjectionOut, Recipient, RecipientsOut
from tepat.workflow.rules import days_overdue, mask_name
from tepat.workflow.states import OBJECTION

_OPEN = Membership.end_date.is_(None)


def recipients(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    nik: str,
    name: str,
    offset: int,
    limit: int,
) -> RecipientsOut:
    """The recipients of the current release in the resident's own village, names masked."""
    _person, own = require(db, nik, name)
    village = own.village_code
    release = current_release(db)
    items: list[Recipient] = []
    total = 0
    if release is not None:
        listed = (
            select(ReleaseHousehold.household_id, ReleaseHousehold.family_id)
            .join(Household, Household.id == ReleaseHousehold.household_id)
            .where(
                ReleaseHousehold.release_id == release.id,
                Household.village_code == village,
                Household.status == "active",
                exists().where(
                    ReleaseBeneficiary.release_id == release.id,
                    ReleaseBeneficiary.family_id == ReleaseHousehold.family_id,
                ),
            )
        )
        total = db.scalar(select(func.count()).select_from(listed.subquery())) or 0
        page = db.execute(
            listed.order_by(ReleaseHousehold.household_id).offset(offset).limit(limit)
        ).all()
        families = {r.family_id: r.household_id for r in page}
        programs: dict[str, list[str]] = {f: [] for f in families}
        for family, program in db.execute(
            select(ReleaseBeneficiary.family_id, ReleaseBeneficiary.program)
            .where(
                ReleaseBeneficiary.release_id == release.id,
                ReleaseBeneficiary.family_id.in_(list(families)),
            )
            .distinct()
            .order_by(ReleaseBeneficiary.program)
        ):
            programs[family].append(program)
        heads = dict(
            db.execute(
                select(Membership.household_id, Person.full_name)
                .join(Person, Person.id == Membership.person_id)
                .where(
                    Membership.household_id.in_(list(families.values())),
                    Membership.role == "head",
                    _OPEN,
                )
            ).all()
        )
        items = [
            Recipient(household_id=hid, name=mask_name(heads.get(hid)), programs=programs[fam])
            for fam, hid in families.items()
        ]
    audit.record(
        db,
        principal,
        action="workflow.public.recipients",
        purpose=purpose,
        entity="village",
        entity_id=village,
        region_code=village,
        detail={"ids": [i.household_id for i in items], "total": total},
    )
    region = regions().find(village)
    return RecipientsOut(
        village_code=village,
        village_name=None if region is None else region.name,
        release_id=None if release is None else release.id,
        items=items,
        total=total,
        page=offset // max(limit, 1) + 1,
        size=limit,
    )


def _objection_out(row: Objection, message: str) -> PublicObjectionOut:
    today = utcnow().date()
    late = days_overdue(row.due_on, today, still_open=OBJECTION.is_open(row.state))
    return PublicObjectionOut(
        number=objections.number_of(row),
        state=row.state,
        filed_on=row.created_at.date(),
        deadline=row.due_on,
        overdue=late > 0,
        days_overdue=late,
        outcome=None if OBJECTION.is_open(row.state) else row.state,
        message=message,
    )


def file_objection(
    *, db: Session, principal: Principal, purpose: str | None, body: ObjectionIn, days: int
) -> PublicObjectionOut:
    """A resident objects to a listed recipient of the same village."""
    person, own = require(db, body.nik, body.name)
    if body.household_id is not None:
        target = db.get(Household, body.household_id)
    else:
        target = db.scalar(
            select(Household).where(
                Household.kk_number == body.kk_number, Household.status == "active"
            )
        )
    release = current_release(db)
    programs: list[str] = []
    if target is not None and target.village_code == own.village_code:
        programs = rank(db, release, target.id)[1]
    if target is None or not programs or target.status != "active":
        raise Forbidden(
            f"you can object only to a recipient listed in your own village ({own.village_code}); "
            "this household is not on that list. See GET /api/v1/public/recipients for the list",
            code="not_a_recipient_of_your_village",
            field="household_id" if body.household_id is not None else "kk_number",
        )
    if target.id == own.id:
        raise InvalidInput(
            "this is your own family: to change its data, propose an update instead",
            code="own_family",
            field="household_id",
        )
    earlier = db.scalar(
        select(Objection).where(
            Objection.household_id == target.id,
            Objection.objector_person_id == person.id,
            Objection.state.not_in(sorted(OBJECTION.final)),
        )
    )
    if earlier is not None:
        raise Conflict(
            f"you already objected to this recipient: objection {objections.number_of(earlier)} "
            f"is {earlier.state}",
            code="already_objected",
        )
    now = utcnow()
    row = Objection(
        state=OBJECTION.initial,
        village_code=target.village_code,
        household_id=target.id,
        objector_person_id=person.id,
        release_id=None if release is None else release.id,
        programs=programs,
        reason_code=body.reason_code,
        reason_text=body.reason_text,
        photos=[p.model_dump(mode="json") for p in body.photos],
        latitude=body.latitude,
        longitude=body.longitude,
        created_at=now,
        updated_at=now,
        due_on=due(now, days),
    )
    db.add(row)
    db.flush()
    step(
        db,
        item="objection",
        item_id=row.id,
        action="file",
        from_state=None,
        to_state=row.state,
        principal=principal,
        note=body.reason_code,
        at=now,
    )
    audit_item(db, principal, purpose, "workflow.objection.file", objections.number_of(row), row)
    return _objection_out(
        row, f"objection received; the region verifies it within {days} days (by {row.due_on})"
    )


def objection_status(
    *, db: Session, principal: Principal, purpose: str | None, number: str, nik: str, name: str
) -> PublicObjectionOut:
    """The objector follows its objection by number (anyone else: not found)."""
    row = objections.find(db, number)
    found = identify(db, nik, name)
    if row is None or found is None or row.objector_person_id != found[0].id:
        raise objections.not_found(number)
    audit_item(db, principal, purpose, "workflow.objection.status", number, row)
    return _objection_out(row, f"objection {row.state}")
