"""Transitions of a proposal: assign, verify, approve (and apply), reject, withdraw.

Each checks the role (403), loads the proposal in the caller's scope (404), asks the state
machine (409 naming the allowed actions), writes the new state and one step, and appends one
audit entry. Approval applies the change to the registry through
:func:`tepat.registry.events.apply_event` with ``source="field_verification"`` in the same
transaction, and flags the household for the next cycle. Services flush, never commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Conflict, InvalidInput
from tepat.registry.event_schemas import EVENT_ADAPTER
from tepat.registry.events import apply_event
from tepat.registry.models import Household
from tepat.workflow import ground_check
from tepat.workflow.common import choose_facilitator, flag_household, step, utcnow
from tepat.workflow.models import Proposal
from tepat.workflow.outputs import ProposalOut
from tepat.workflow.proposals import current_members, load, number_of, to_out
from tepat.workflow.schemas import AssignIn, DecisionIn, GroundCheckIn, NoteIn
from tepat.workflow.states import PROPOSAL, describe_allowed, next_state, require_role


def _move(
    db: Session, principal: Principal | None, row: Proposal, action: str, note: str | None
) -> None:
    target = next_state(PROPOSAL, row.state, action, label=f"proposal {number_of(row)}")
    now = utcnow()
    step(
        db,
        item="proposal",
        item_id=row.id,
        action=action,
        from_state=row.state,
        to_state=target,
        principal=principal,
        note=note,
        at=now,
    )
    row.state, row.updated_at = target, now
    db.flush()


def _start(db: Session, principal: Principal, number: str, action: str) -> tuple[Proposal, str]:
    require_role(PROPOSAL, action, principal.role)
    row = load(db, principal, number, acting=True)
    next_state(PROPOSAL, row.state, action, label=f"proposal {number_of(row)}")
    return row, number_of(row)


def _audit(
    db: Session,
    principal: Principal,
    purpose: str | None,
    row: Proposal,
    action: str,
    **detail: Any,
) -> ProposalOut:
    audit.record(
        db,
        principal,
        action=f"workflow.proposal.{action}",
        purpose=purpose,
        entity="proposal",
        entity_id=number_of(row),
        region_code=row.village_code,
        detail={"state": row.state, **detail},
    )
    return to_out(db, principal, [row])[0]


def assign(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: AssignIn
) -> ProposalOut:
    """Assign a facilitator who holds the village (named, or chosen by the system)."""
    row, _ = _start(db, principal, number, "assign")
    who, how = choose_facilitator(db, row.village_code, body.facilitator)
    row.assignee = who
    _move(db, principal, row, "assign", "; ".join(filter(None, [f"{how}: {who}", body.note])))
    return _audit(db, principal, purpose, row, "assign", assignee=who)


def _differences(db: Session, row: Proposal, observed: dict[str, Any]) -> dict[str, Any]:
    if row.kind == "new_family":
        claimed = dict(row.payload.get("attributes", {}))
    else:
        household = db.get(Household, row.household_id) if row.household_id else None
        claimed = {k: getattr(household, k, None) for k in observed} if household else {}
        claimed.update(row.payload.get("household_changes", {}))
    return {
        k: {"claimed": claimed[k], "observed": v}
        for k, v in observed.items()
        if claimed.get(k) is not None and claimed[k] != v
    }


def _check_members(db: Session, row: Proposal, body: GroundCheckIn) -> None:
    lines = len(row.payload.get("members", []))
    known = set(current_members(db, row.household_id)) if row.household_id else set()
    for i, member in enumerate(body.members):
        if member.line is not None and member.line > lines:
            raise InvalidInput(
                f"line {member.line} is not a member of the proposed family ({lines} members)",
                code="not_a_member",
                field=f"members.{i}.line",
            )
        if member.person_id is not None and member.person_id not in known:
            raise InvalidInput(
                f"person {member.person_id} is not a current member of the household",
                code="not_a_member",
                field=f"members.{i}.person_id",
            )


def verification_record(
    principal: Principal, body: GroundCheckIn, differences: dict[str, Any]
) -> dict[str, Any]:
    """What is kept of a ground check: the form, the evidence, and who recorded it when."""
    return {
        **body.model_dump(mode="json"),
        "answered": len(body.answers) + sum(len(m.answers) for m in body.members),
        "observed": ground_check.observed_attributes(body.answers),
        "differences": differences,
        "verified_by": principal.username,
        "recorded_at": utcnow().isoformat(timespec="seconds"),
    }


def verify(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: GroundCheckIn
) -> ProposalOut:
    """The assigned facilitator records the ground check and its verdict."""
    row, label = _start(db, principal, number, "verify")
    if row.assignee != principal.username:
        raise Conflict(
            f"proposal {label} is assigned to {row.assignee}, not to you: only the assigned "
            f"facilitator may verify it; allowed actions: {describe_allowed(PROPOSAL, row.state)}",
            code="not_assigned_to_you",
        )
    _check_members(db, row, body)
    observed = ground_check.observed_attributes(body.answers)
    record = verification_record(principal, body, _differences(db, row, observed))
    household = db.get(Household, row.household_id) if row.household_id else None
    record["household_version"] = None if household is None else household.version
    row.verification = record
    row.verdict = body.verdict
    _move(db, principal, row, "verify", f"verdict {body.verdict}: {body.notes or ''}".strip(": "))
    return _audit(db, principal, purpose, row, "verify", verdict=body.verdict)


def _event(row: Proposal, number: str, today: date) -> dict[str, Any] | None:
    """The registry event that carries out an approved proposal (None: flag only)."""
    p = row.payload
    base = {"event_id": number, "effective_date": today.isoformat(), "source_record_id": number}
    minutes = f"usulan {number}, berita acara {row.minutes_number or '-'}"
    if row.kind == "new_family":
        keys = ("village", "kk_number", "address", "rt", "rw", "attributes", "members")
        return {**base, "type": "new_household", **{k: p[k] for k in keys if p.get(k)}}
    if row.kind == "update":
        return {
            **base,
            "type": "update_household",
            "household_id": row.household_id,
            "household_changes": p.get("household_changes", {}),
            "person_changes": p.get("person_changes", []),
            "reason": f"{row.reason} ({minutes})"[:500],
        }
    reason, person = p["removal_reason"], p.get("person_id")
    why = f"{reason}: {row.reason} ({minutes})"[:500]
    if reason == "not_eligible":
        return None
    if person is not None and reason == "deceased":
        return {**base, "type": "death", "person_id": person, "effective_date": p["died_on"]}
    if person is not None:
        return {
            **base,
            "type": "remove_member",
            "household_id": row.household_id,
            "person_id": person,
            "reason": why,
        }
    return {**base, "type": "remove_household", "household_id": row.household_id, "reason": why}


def approve(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: DecisionIn
) -> ProposalOut:
    """The district office approves a verified proposal; the change is applied at once."""
    row, label = _start(db, principal, number, "approve")
    if row.verdict != "confirmed":
        raise Conflict(
            f"proposal {label} was not confirmed on the ground (verdict {row.verdict}): it can "
            "only be rejected; allowed actions: reject (district_office)",
            code="verdict_not_confirmed",
        )
    row.decision_note = body.reason
    _move(db, principal, row, "approve", body.reason)
    spec = _event(row, label, date.today())
    household_id = row.household_id
    if spec is not None:
        try:
            event = EVENT_ADAPTER.validate_python(spec)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidInput(
                f"the proposal cannot be applied as it is: {first['msg']}",
                code="proposal_not_applicable",
            ) from None
        result = apply_event(
            db=db, principal=principal, event=event, source="field_verification", purpose=purpose
        )
        row.event_id, household_id = result.event_id, result.household_id
    row.result_household_id = household_id
    if household_id is not None:
        exclude = row.kind == "removal" and row.payload.get("removal_reason") == "not_eligible"
        flag_household(
            db,
            household_id=household_id,
            village=row.village_code,
            kind="exclude" if exclude else "rerank",
            source="proposal",
            reference=label,
            note=row.reason or "new family",
            at=utcnow(),
        )
    applied = f"applied as registry event {row.event_id}" if row.event_id else "flagged only"
    _move(db, None, row, "apply", applied)
    return _audit(db, principal, purpose, row, "approve", event_id=row.event_id)


def reject(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: DecisionIn
) -> ProposalOut:
    """The district office rejects a verified proposal, with the reason."""
    row, _ = _start(db, principal, number, "reject")
    row.decision_note = body.reason
    _move(db, principal, row, "reject", body.reason)
    return _audit(db, principal, purpose, row, "reject")


def withdraw(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: NoteIn
) -> ProposalOut:
    """The village office withdraws its proposal before it is verified."""
    row, _ = _start(db, principal, number, "withdraw")
    _move(db, principal, row, "withdraw", body.note)
    return _audit(db, principal, purpose, row, "withdraw")
