"""Notices of loss between two releases (:func:`create_notices_for_release`) and their reading.

When a release becomes current, every family that received a program in the previous release
and does not in this one gets a notice: the program, the reason, and an appeal window. Appeals
are in ``appeals``. Services flush, never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import NotFound
from tepat.registry.service import check_village
from tepat.release.models import Release, ReleaseBeneficiary, ReleaseHousehold
from tepat.workflow.common import audited_page, require_reader, utcnow
from tepat.workflow.models import Appeal, Notice
from tepat.workflow.outputs import NoticeOut
from tepat.workflow.rules import format_number

log = logging.getLogger(__name__)
CHUNK = 1000


def previous_release(db: Session, release: Release) -> str | None:
    """The release before ``release``: its ``previous_id`` if loaded, else the latest earlier."""
    if release.previous_id and db.get(Release, release.previous_id) is not None:
        return release.previous_id
    return db.scalar(
        select(Release.id)
        .where(Release.id != release.id, Release.data_cut < release.data_cut)
        .order_by(Release.data_cut.desc(), Release.loaded_at.desc())
        .limit(1)
    )


def reason_for(
    old_desil: int | None, new_desil: int | None, failed: list[str] | None
) -> tuple[str, str]:
    """(code, Indonesian text) of why a family lost a program."""
    if new_desil is None:
        return "household_gone", "keluarga tidak lagi tercatat dalam rilis ini"
    moved = (
        f"desil naik dari {old_desil} ke {new_desil}"
        if old_desil is not None and new_desil > old_desil
        else None
    )
    if failed:
        text = "tidak lagi memenuhi syarat: " + ", ".join(failed)
        return "rule:" + ",".join(failed), f"{moved}; {text}" if moved else text
    if moved:
        return "desil_up", moved
    return "rule_change", "tidak lagi memenuhi syarat program (aturan, kuota atau data berubah)"


def failed_rules(folder: Path, lost: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The reasons (``failed``) of the release's eligibility decisions for the lost families."""
    path = folder / "eligibility.parquet"
    if not path.exists() or not lost:
        return {}
    import pyarrow.parquet as pq  # the batch stack, only when a release folder is given

    out: dict[tuple[str, str], list[str]] = {}
    columns = ["program", "family_id", "eligible", "failed"]
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536, columns=columns):
        for row in batch.to_pylist():
            key = (row["family_id"], row["program"])
            if row["eligible"] or key not in lost:
                continue
            out.setdefault(key, [])
            out[key] += [f for f in row["failed"] or () if f not in out[key]]
    return out


def _reason_sql(old: Any, new: Any) -> tuple[Any, Any]:
    """:func:`reason_for` without failed conditions, as SQL (code, text) over two desil columns."""
    gone = new.is_(None)
    up = and_(old.is_not(None), new > old)
    code = case((gone, "household_gone"), (up, "desil_up"), else_="rule_change")
    moved = literal("desil naik dari ") + cast(old, String) + literal(" ke ") + cast(new, String)
    text = case(
        (gone, literal(reason_for(1, None, None)[1])),
        (up, moved),
        else_=literal(reason_for(1, 1, None)[1]),
    )
    return code, text


def create_notices_for_release(
    *,
    db: Session,
    release_id: str,
    appeal_days: int = 30,
    folder: Path | None = None,
    today: date | None = None,
) -> int:
    """Create a notice for every family that lost a program since the previous release.

    Call it after loading a release (it is then current), with ``Settings.appeal_days``.
    ``folder`` (the release's folder, optional) supplies the eligibility decisions' reasons;
    without it the reason is the desil move. One ``INSERT ... SELECT``, so a national release
    never passes through Python. Idempotent: a notice that exists is not created again. Returns
    the number of notices created.
    """
    release = db.get(Release, release_id)
    if release is None:
        raise NotFound(f"release {release_id} is not loaded", code="release_not_found")
    previous = previous_release(db, release)
    if previous is None:
        log.info("release %s has no previous release: no notices", release_id)
        return 0
    old, new = aliased(ReleaseBeneficiary), aliased(ReleaseBeneficiary)
    lost = (
        select(old.family_id, old.program)
        .where(old.release_id == previous)
        .where(
            ~exists().where(
                new.release_id == release_id,
                new.family_id == old.family_id,
                new.program == old.program,
            )
        )
        .distinct()
        .subquery()
    )
    ho, hn = aliased(ReleaseHousehold), aliased(ReleaseHousehold)
    code, text = _reason_sql(ho.desil, hn.desil)
    now = utcnow()
    until = (today or now.date()) + timedelta(days=appeal_days)
    rows = (
        select(
            literal(release_id, String),
            literal(previous, String),
            lost.c.family_id,
            func.coalesce(hn.household_id, ho.household_id),
            func.coalesce(hn.village_code, ho.village_code, ""),
            lost.c.program,
            code,
            text,
            ho.desil,
            hn.desil,
            literal(until, Date),
            literal(now, DateTime),
        )
        .select_from(lost)
        .outerjoin(ho, and_(ho.release_id == previous, ho.family_id == lost.c.family_id))
        .outerjoin(hn, and_(hn.release_id == release_id, hn.family_id == lost.c.family_id))
        .where(
            ~exists().where(
                Notice.release_id == release_id,
                Notice.family_id == lost.c.family_id,
                Notice.program == lost.c.program,
            )
        )
    )
    columns = [
        "release_id",
        "previous_release_id",
        "family_id",
        "household_id",
        "village_code",
        "program",
        "reason_code",
        "reason",
        "old_desil",
        "new_desil",
        "appeal_until",
        "created_at",
    ]
    last = db.scalar(select(func.max(Notice.id))) or 0
    db.execute(insert(Notice).from_select(columns, rows))
    new_rows = and_(Notice.release_id == release_id, Notice.id > last)
    created = db.scalar(select(func.count(Notice.id)).where(new_rows)) or 0
    if folder is not None and created:
        _apply_failed_rules(db, new_rows, folder)
    audit.append(
        db,
        actor="system",
        role="system",
        action="workflow.notice.create",
        entity="release",
        entity_id=release_id,
        purpose="notices of loss after a new release",
        detail={"previous_release_id": previous, "notices": created},
    )
    db.flush()
    return created


def _apply_failed_rules(db: Session, new_rows: Any, folder: Path) -> None:
    """Replace the reasons of the notices just created by the decisions' failed conditions."""
    made = db.execute(
        select(
            Notice.id, Notice.family_id, Notice.program, Notice.old_desil, Notice.new_desil
        ).where(new_rows)
    ).all()
    reasons = failed_rules(folder, {(r.family_id, r.program) for r in made})
    changes = []
    for r in made:
        failed = reasons.get((r.family_id, r.program))
        if failed and r.new_desil is not None:
            code, text = reason_for(r.old_desil, r.new_desil, failed)
            changes.append({"id": r.id, "reason_code": code[:60], "reason": text})
    for start in range(0, len(changes), CHUNK):
        db.execute(update(Notice), changes[start : start + CHUNK])


def notice_out(row: Notice, appeal: Appeal | None, today: date) -> NoticeOut:
    """A notice with its appeal's number and state."""
    number = None
    if appeal is not None:
        number = format_number("appeal", appeal.village_code, appeal.created_at.year, appeal.id)
    return NoticeOut(
        id=row.id,
        release_id=row.release_id,
        previous_release_id=row.previous_release_id,
        family_id=row.family_id,
        household_id=row.household_id,
        village_code=row.village_code,
        program=row.program,
        reason_code=row.reason_code,
        reason=row.reason,
        old_desil=row.old_desil,
        new_desil=row.new_desil,
        appeal_until=row.appeal_until,
        appeal_open=appeal is None and today <= row.appeal_until,
        appeal_number=number,
        appeal_state=None if appeal is None else appeal.state,
        created_at=row.created_at,
    )


def appeals_of(db: Session, notice_ids: list[int]) -> Mapping[int, Appeal]:
    """The appeal of each notice that has one."""
    if not notice_ids:
        return {}
    return {
        a.notice_id: a for a in db.scalars(select(Appeal).where(Appeal.notice_id.in_(notice_ids)))
    }


def load_notice(db: Session, principal: Principal, notice_id: int) -> Notice:
    """A notice in the caller's scope (404 otherwise)."""
    row = db.get(Notice, notice_id)
    if row is None or not principal.covers(row.village_code):
        raise NotFound(f"notice {notice_id} not found", code="notice_not_found")
    return row


def get_notice(
    *, db: Session, principal: Principal, purpose: str | None, notice_id: int
) -> NoticeOut:
    """One notice."""
    require_reader(principal)
    row = load_notice(db, principal, notice_id)
    audit.record(
        db,
        principal,
        action="workflow.notice.read",
        purpose=purpose,
        entity="notice",
        entity_id=row.id,
        region_code=row.village_code,
    )
    return notice_out(row, appeals_of(db, [row.id]).get(row.id), utcnow().date())


def search_notices(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    village: str | None = None,
    program: str | None = None,
    release_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[NoticeOut], int]:
    """Notices in the caller's scope, newest release first."""
    require_reader(principal)
    conditions: list[Any] = [principal.sql_scope(Notice.village_code)]
    if village is not None:
        conditions.append(Notice.village_code == check_village(principal, village))
    if program is not None:
        conditions.append(Notice.program == program)
    if release_id is not None:
        conditions.append(Notice.release_id == release_id)
    rows, total = audited_page(
        db,
        principal,
        model=Notice,
        entity="notice",
        conditions=conditions,
        order_by=Notice.id.desc(),
        offset=offset,
        limit=limit,
        purpose=purpose,
        village=village,
    )
    appeals = appeals_of(db, [r.id for r in rows])
    today = utcnow().date()
    return [notice_out(r, appeals.get(r.id), today) for r in rows], total
