"""Citizens' self-service (no account): status check, own proposal (usul), appeal against a
notice. Objections (sanggah) and the recipient list are in ``citizen_objections``.

Every request names a NIK and the name on the KTP/KK; they must match a living member of an
active household (:func:`identify`). A wrong name for a valid NIK is answered exactly like an
unknown NIK, so the endpoints are no oracle of who is registered. Answers disclose the minimum:
a desil band, program names, numbers and states; never another person's NIK or full name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Conflict, InvalidInput, NotFound
from tepat.reference.regions import RegionLevel, UnknownRegion, regions
from tepat.registry.models import Household, Membership, Person
from tepat.release.models import Release, ReleaseBeneficiary, ReleaseHousehold
from tepat.workflow import proposals
from tepat.workflow.appeals import file_appeal
from tepat.workflow.appeals import number_of as appeal_number
from tepat.workflow.common import utcnow
from tepat.workflow.models import Notice, Proposal
from tepat.workflow.notices import appeals_of
from tepat.workflow.public_schemas import (
    CitizenProposalIn,
    PublicAppealIn,
    PublicAppealOut,
    PublicNotice,
    PublicProposal,
    PublicProposalOut,
    StatusOut,
)
from tepat.workflow.rules import desil_band, same_name
from tepat.workflow.states import PROPOSAL

_OPEN = Membership.end_date.is_(None)
NOT_REGISTERED = (
    "no registered family member matches this NIK and name; check both as written on the KTP "
    "or KK, or ask the village office"
)


def identify(db: Session, nik: str, name: str) -> tuple[Person, Household] | None:
    """The living person with this NIK and name in an active household, if there is one."""
    rows = db.execute(
        select(Person, Household)
        .join(Membership, and_(Membership.person_id == Person.id, _OPEN))
        .join(Household, Household.id == Membership.household_id)
        .where(Person.nik == nik, Person.status == "alive", Household.status == "active")
        .order_by(Person.id)
    ).all()
    for person, household in rows:
        if same_name(name, person.full_name):
            return person, household
    return None


def require(db: Session, nik: str, name: str) -> tuple[Person, Household]:
    found = identify(db, nik, name)
    if found is None:
        raise NotFound(NOT_REGISTERED, code="not_registered", field="nik")
    return found


def current_release(db: Session) -> Release | None:
    """The current release, if one is loaded."""
    return db.scalar(
        select(Release).where(Release.is_current.is_(True)).order_by(Release.loaded_at.desc())
    )


def rank(db: Session, release: Release | None, household_id: int) -> tuple[int | None, list[str]]:
    if release is None:
        return None, []
    ranked = db.execute(
        select(ReleaseHousehold.family_id, ReleaseHousehold.desil).where(
            ReleaseHousehold.release_id == release.id,
            ReleaseHousehold.household_id == household_id,
        )
    ).first()
    if ranked is None:
        return None, []
    programs = db.scalars(
        select(ReleaseBeneficiary.program)
        .where(
            ReleaseBeneficiary.release_id == release.id,
            ReleaseBeneficiary.family_id == ranked.family_id,
        )
        .distinct()
        .order_by(ReleaseBeneficiary.program)
    ).all()
    return int(ranked.desil), list(programs)


# The status check's statements, built once (its hot path: building them per request costs
# about as much as running them).
_OPEN_PROPOSALS = Proposal.state.not_in(sorted(PROPOSAL.final))
_PENDING_BY_NIK_OR_HOUSEHOLD = select(Proposal).where(
    or_(Proposal.applicant_nik == bindparam("nik"), Proposal.household_id == bindparam("hid")),
    _OPEN_PROPOSALS,
)
_PROGRAMS_OF_FAMILY = (
    select(func.aggregate_strings(ReleaseBeneficiary.program, ","))
    .where(
        ReleaseBeneficiary.release_id == Release.id,
        ReleaseBeneficiary.family_id == ReleaseHousehold.family_id,
    )
    .correlate(Release, ReleaseHousehold)
    .scalar_subquery()
)
# Everything the answer needs about a registered person in one round trip: the person and
# household (as identify), the current release, the desil and programs in it, and whether the
# household has notices (read only when it has).
_STATUS = (
    select(
        Person.id,
        Person.full_name,
        Household.id.label("hid"),
        Household.village_code,
        Release.id.label("rid"),
        ReleaseHousehold.desil,
        _PROGRAMS_OF_FAMILY.label("programs"),
        exists().where(Notice.household_id == Household.id).label("has_notices"),
    )
    .join(Membership, and_(Membership.person_id == Person.id, _OPEN))
    .join(Household, Household.id == Membership.household_id)
    .outerjoin(Release, Release.is_current.is_(True))
    .outerjoin(
        ReleaseHousehold,
        and_(
            ReleaseHousehold.release_id == Release.id, ReleaseHousehold.household_id == Household.id
        ),
    )
    .where(Person.nik == bindparam("nik"), Person.status == "alive", Household.status == "active")
    .order_by(Person.id)
)


def status(
    *, db: Session, principal: Principal, purpose: str | None, nik: str, name: str
) -> StatusOut:
    """Registered or not; the desil band, programs, pending proposals and notices."""
    row = next(
        (r for r in db.execute(_STATUS, {"nik": nik}).all() if same_name(name, r.full_name)), None
    )
    found = None if row is None else (int(row.id), int(row.hid), str(row.village_code))
    pending = sorted(
        db.scalars(
            _PENDING_BY_NIK_OR_HOUSEHOLD, {"nik": nik, "hid": -1 if found is None else found[1]}
        ).all(),
        key=lambda p: p.id,
    )
    mine = [
        PublicProposal(
            number=proposals.number_of(p),
            kind=p.kind,
            state=p.state,
            submitted_on=p.created_at.date(),
        )
        for p in pending
        if (found is not None and p.household_id == found[1])
        or (p.applicant_nik == nik and same_name(name, p.applicant_name))
    ]
    out = StatusOut(registered=False, proposals=mine, message=NOT_REGISTERED)
    if row is not None:
        desil = None if row.desil is None else int(row.desil)
        out = StatusOut(
            registered=True,
            village_code=str(row.village_code),
            release_id=row.rid,
            desil_band=desil_band(desil),
            programs=sorted(set(row.programs.split(","))) if row.programs else [],
            proposals=mine,
            notices=_notices(db, int(row.hid)) if row.has_notices else [],
            message="registered" if desil else "registered; not ranked in the current release",
        )
    audit.record(
        db,
        principal,
        action="workflow.public.status",
        read=True,
        purpose=purpose,
        entity="person",
        entity_id=None if found is None else found[0],
        region_code=None if found is None else found[2],
        detail={"registered": found is not None, "proposals": [p.number for p in mine]},
    )
    return out


_NOTICES = select(Notice).where(Notice.household_id == bindparam("hid")).order_by(Notice.id.desc())


def _notices(db: Session, household_id: int) -> list[PublicNotice]:
    rows = db.scalars(_NOTICES, {"hid": household_id}).all()
    appeals = appeals_of(db, [r.id for r in rows])
    today = utcnow().date()
    out = []
    for r in rows:
        appeal = appeals.get(r.id)
        out.append(
            PublicNotice(
                id=r.id,
                program=r.program,
                reason=r.reason,
                appeal_until=r.appeal_until,
                appeal_open=appeal is None and today <= r.appeal_until,
                appeal_number=None if appeal is None else appeal_number(appeal),
                appeal_state=None if appeal is None else appeal.state,
            )
        )
    return out


def audit_item(
    db: Session, principal: Principal, purpose: str | None, action: str, number: str, row: Any
) -> None:
    audit.record(
        db,
        principal,
        action=action,
        purpose=purpose,
        entity=action.split(".")[1],
        entity_id=number,
        region_code=row.village_code,
        detail={"state": row.state},
    )


def _village(code: str) -> str:
    try:
        region = regions().get(code)
    except UnknownRegion as exc:
        raise InvalidInput(exc.message, code=exc.code, field="proposal.village") from None
    if region.level is not RegionLevel.VILLAGE:
        raise InvalidInput(
            f"{region.code} is a {region.kind}, not a village (PP.KK.CC.DDDD)",
            code="not_a_village",
            field="proposal.village",
        )
    return region.code


def propose(
    *, db: Session, principal: Principal, purpose: str | None, body: CitizenProposalIn, days: int
) -> PublicProposalOut:
    """A citizen's own proposal: a new family including them, or an update of their family."""
    data = body.proposal
    payload = data.model_dump(mode="json", exclude={"kind"})
    household_id = None
    if data.kind == "new_family":
        village = payload["village"] = _village(data.village)
        if not any(m.nik == body.nik and same_name(body.name, m.full_name) for m in data.members):
            raise InvalidInput(
                "your NIK and name must be those of one of the members listed",
                code="applicant_not_member",
                field="proposal.members",
            )
        if identify(db, body.nik, body.name) is not None:
            raise Conflict(
                "you are already registered in a family: propose an update of it instead",
                code="already_registered",
                field="nik",
            )
        proposals.check_new_family(db, data, strict=False)
        reason = None
    else:
        _person, household = require(db, body.nik, body.name)
        village, household_id, reason = household.village_code, household.id, data.reason
    row = proposals.insert(
        db,
        principal=principal,
        channel="citizen",
        kind=data.kind,
        village=village,
        household_id=household_id,
        payload=payload,
        reason=reason,
        applicant=(body.nik, body.name),
        minutes=None,
        note="submitted by the citizen",
        days=days,
    )
    number = proposals.number_of(row)
    audit_item(db, principal, purpose, "workflow.proposal.create", number, row)
    return PublicProposalOut(
        number=number,
        kind=row.kind,
        state=row.state,
        submitted_on=row.created_at.date(),
        message="proposal received; the village and district offices will verify it",
    )


def appeal(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    notice_id: int,
    body: PublicAppealIn,
    days: int,
) -> PublicAppealOut:
    """A member of the family appeals a notice of loss."""
    found = identify(db, body.nik, body.name)
    notice = db.get(Notice, notice_id)
    if found is None or notice is None or notice.household_id != found[1].id:
        raise NotFound(f"notice {notice_id} not found", code="notice_not_found")
    row = file_appeal(
        db, principal=principal, notice=notice, channel="citizen", reason=body.reason, days=days
    )
    number = appeal_number(row)
    audit_item(db, principal, purpose, "workflow.appeal.file", number, row)
    return PublicAppealOut(number=number, state=row.state, message="appeal received")
