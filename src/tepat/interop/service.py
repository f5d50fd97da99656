"""DCI sync search: answer each search request inside the caller's regions, and audit it.

Each item of ``search_request`` is parsed (``query.parse_item``), run with the region scope in
SQL, so another region's person or family is simply not found, and written to the audit log
as one ``interop.dci.search`` entry, answered or rejected. A rejected item does not stop the
others. Services flush, never commit.

A person's place is their current household, or their last one when they have none (after a
death or a move out), as in ``registry.service.person_detail``; a person who never had a
household is visible to national accounts only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from tepat.access import audit
from tepat.access.audit import mask_identifiers
from tepat.access.principal import Principal
from tepat.interop import query as q
from tepat.interop.fields import Entity
from tepat.interop.records import group_record, member_record
from tepat.interop.schemas import (
    Envelope,
    MessageIn,
    PaginationOut,
    ResponseHeader,
    SearchData,
    SearchResponseItem,
    SearchResponseMessage,
    SyncSearchResponse,
)
from tepat.registry.models import Household, Membership, Person
from tepat.registry.service import household_scope

ACTION = "interop.dci.search"
_OPEN = Membership.end_date.is_(None)
_LEVEL_COLUMNS = {
    2: Household.province_code,
    5: Household.regency_code,
    8: Household.district_code,
    13: Household.village_code,
}
_GROUP_SIZE = (
    select(func.count(Membership.id))
    .where(Membership.household_id == Household.id, _OPEN)
    .correlate(Household)
    .scalar_subquery()
)


def now() -> str:
    """The current UTC time, ISO 8601 with its zone."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def clean(text: str | None, limit: int) -> str | None:
    """One printable line of at most ``limit`` characters (None when nothing is left)."""
    if text is None:
        return None
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line[:limit] or None


# -- conditions ------------------------------------------------------------------------------


def _column(entity: Entity, field: str) -> Any:
    if entity == "Member":
        return {"sex": Person.sex, "birth_date": Person.birth_date, "status": Person.status}[field]
    return {"status": Household.status, "group_size": _GROUP_SIZE}[field]


def _compare(entity: Entity, node: q.Compare) -> ColumnElement[bool]:
    if node.field == "region_code":
        codes = node.value if node.op == "in" else (node.value,)
        return or_(*(_LEVEL_COLUMNS[len(code)] == code for code in codes))
    column = _column(entity, node.field)
    ops = {
        "eq": column.__eq__,
        "gt": column.__gt__,
        "lt": column.__lt__,
        "ge": column.__ge__,
        "le": column.__le__,
        "in": column.in_,
    }
    result: ColumnElement[bool] = ops[node.op](node.value)
    return result


def condition(entity: Entity, node: q.IdLookup | q.Condition) -> ColumnElement[bool]:
    """SQL for a parsed query (Member queries see ``Household`` as the person's place)."""
    if isinstance(node, q.IdLookup):
        if node.id_type == "KK":
            return Household.kk_number == node.value
        if entity == "Member":
            return Person.nik == node.value
        return exists().where(
            Membership.household_id == Household.id,
            _OPEN,
            Membership.person_id == Person.id,
            Person.nik == node.value,
        )
    if isinstance(node, q.Compare):
        return _compare(entity, node)
    if isinstance(node, q.Negate):
        return not_(condition(entity, node.part))
    parts = [condition(entity, p) for p in node.parts]
    return and_(*parts) if isinstance(node, q.AllOf) else or_(*parts)


def _place_of_person() -> ColumnElement[bool]:
    # The membership that gives a person's place: the open one, else the one that ended last.
    later = aliased(Membership)
    newer = exists().where(
        later.person_id == Membership.person_id,
        or_(
            later.end_date.is_(None),
            later.end_date > Membership.end_date,
            and_(later.end_date == Membership.end_date, later.id > Membership.id),
        ),
    )
    return and_(Membership.person_id == Person.id, or_(_OPEN, ~newer))


def _order(search: q.Search, columns: dict[str, Any], tie: Any) -> list[Any]:
    keys = [
        (columns[name].desc() if desc else columns[name].asc()).nulls_last()
        for name, desc in search.sort
    ]
    return [*keys, tie]


# -- searches --------------------------------------------------------------------------------


def _members(
    db: Session, principal: Principal, search: q.Search
) -> tuple[list[dict[str, Any]], int, list[int]]:
    scope = true() if principal.is_national else household_scope(principal)
    where = and_(scope, condition("Member", search.where))
    joined = (
        select(Person, Membership, Household)
        .select_from(Person)
        .outerjoin(Membership, _place_of_person())
        .outerjoin(Household, Household.id == Membership.household_id)
        .where(where)
    )
    total = db.scalar(select(func.count()).select_from(joined.subquery())) or 0
    columns = {
        "name": Person.full_name,
        "birth_date": Person.birth_date,
        "region_code": Household.village_code,
    }
    rows = db.execute(
        joined.order_by(*_order(search, columns, Person.id))
        .offset((search.page_number - 1) * search.page_size)
        .limit(search.page_size)
    ).all()
    records = [member_record(p, m, h, principal) for p, m, h in rows]
    return records, int(total), [p.id for p, _m, _h in rows]


def _groups(
    db: Session, principal: Principal, search: q.Search
) -> tuple[list[dict[str, Any]], int, list[int]]:
    where = and_(household_scope(principal), condition("Group", search.where))
    total = db.scalar(select(func.count(Household.id)).where(where)) or 0
    columns = {"region_code": Household.village_code, "group_size": _GROUP_SIZE}
    households = list(
        db.scalars(
            select(Household)
            .where(where)
            .order_by(*_order(search, columns, Household.id))
            .offset((search.page_number - 1) * search.page_size)
            .limit(search.page_size)
        )
    )
    ids = [h.id for h in households]
    members: dict[int, list[tuple[Membership, Person]]] = {i: [] for i in ids}
    if ids:
        rows = db.execute(
            select(Membership, Person)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.household_id.in_(ids), _OPEN)
            .order_by(
                Membership.relationship_code,
                Membership.line_number.asc().nulls_last(),
                Person.id,
            )
        ).all()
        for membership, person in rows:
            members[membership.household_id].append((membership, person))
    records = [group_record(h, members[h.id], principal) for h in households]
    return records, int(total), ids


def run_search(
    *, db: Session, principal: Principal, search: q.Search
) -> tuple[list[dict[str, Any]], int, list[int]]:
    """The page of records, the total count and the ids returned, inside the caller's scope."""
    if isinstance(search.where, q.IdLookup) and not principal.may_see_identity:
        raise q.Rejected(
            f"role {principal.role} may not search by NIK or KK (its answers mask them); "
            "use a predicate query"
        )
    if search.entity == "Member":
        return _members(db, principal, search)
    return _groups(db, principal, search)


# -- the message -----------------------------------------------------------------------------


def _query_text(raw: Any) -> str | None:
    criteria = raw.get("search_criteria") if isinstance(raw, dict) else None
    query = criteria.get("query") if isinstance(criteria, dict) else None
    return clean(json.dumps(query, ensure_ascii=False, default=str), 300)


def _answer(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    raw: Any,
    seen: set[str],
    context: dict[str, Any],
) -> SearchResponseItem:
    reference_id = q.reference_id_of(raw)
    search: q.Search | None = None
    try:
        if reference_id and reference_id in seen:
            raise q.Rejected(
                "reference_id repeats an earlier one in this message",
                code=q.REFERENCE_ID_DUPLICATE,
            )
        seen.add(reference_id)
        search = q.parse_item(raw)
        records, total, ids = run_search(db=db, principal=principal, search=search)
    except q.Rejected as exc:
        detail: dict[str, Any] = {"status": "rjct", "reason_code": exc.code}
        answer = SearchResponseItem(
            reference_id=reference_id,
            timestamp=now(),
            status="rjct",
            status_reason_code=exc.code,
            status_reason_message=mask_identifiers(exc.message)[:999],
        )
    else:
        detail = {"status": "succ", "ids": ids, "total": total, "page": search.page_number}
        answer = SearchResponseItem(
            reference_id=reference_id,
            timestamp=now(),
            status="succ",
            data=SearchData(reg_record_type=f"spdci:{search.entity}", reg_records=records),
            pagination=PaginationOut(
                page_size=search.page_size, page_number=search.page_number, total_count=total
            ),
        )
    entity = None if search is None else ("person" if search.entity == "Member" else "household")
    own_purpose = None if search is None else clean(search.purpose, 200)
    audit.record(
        db,
        principal,
        action=ACTION,
        read=True,
        purpose=own_purpose or purpose,
        entity=entity,
        detail={
            **context,
            "reference_id": clean(reference_id, 99),
            "query_type": None if search is None else search.query_type,
            "query": _query_text(raw),  # audit.append masks any NIK/KK in it
            **detail,
        },
    )
    return answer


def sync_search(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    envelope: Envelope,
    message: MessageIn,
    correlation_id: str,
) -> SyncSearchResponse:
    """Answer every search request of a valid envelope; the header says whether any succeeded.

    ``purpose`` (the ``X-Purpose`` header) is recorded for items without a consent or
    authorize purpose of their own; the role's default when neither is given.
    """
    header = envelope.header
    context = {
        "transaction_id": clean(message.transaction_id, 99),
        "message_id": clean(header.message_id, 99),
        "sender_id": clean(header.sender_id, 200),
    }
    seen: set[str] = set()
    answers = [
        _answer(db=db, principal=principal, purpose=purpose, raw=raw, seen=seen, context=context)
        for raw in message.search_request
    ]
    count = len(answers)
    answered = sum(a.status == "succ" for a in answers)
    return SyncSearchResponse(
        header=ResponseHeader(
            message_id=header.message_id,
            message_ts=now(),
            status="succ" if answered else "rjct",
            status_reason_message=None
            if answered
            else f"all {count} search request(s) were rejected: see message.search_response",
            total_count=count,
            completed_count=count,
            receiver_id=header.sender_id,
        ),
        message=SearchResponseMessage(
            transaction_id=message.transaction_id,
            correlation_id=correlation_id,
            search_response=answers,
        ),
    )
