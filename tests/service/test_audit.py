"""The audit log: entries chain by hash; an altered, deleted or reordered row is found."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.audit_writer import AuditWriter
from tepat.access.models import GENESIS_HASH, AuditChain, AuditEntry
from tepat.access.principal import Principal
from tepat.db.engine import session_factory, unit_of_work

from .conftest import SIXTEEN_DIGITS, World, assert_error


def _append(db: Session, n: int, **detail: Any) -> list[AuditEntry]:
    return [
        audit.append(
            db, actor="tester", role="auditor", action="test.append", detail={"n": i, **detail}
        )
        for i in range(n)
    ]


def test_entries_chain_from_the_genesis_hash_and_verify(session: Session) -> None:
    before = audit.verify(session)
    assert before.ok, before
    entries = _append(session, 3)
    if before.entries == 0:
        assert entries[0].id == 1 and entries[0].prev_hash == GENESIS_HASH
    assert [e.id for e in entries] == [entries[0].id + i for i in range(3)]
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    check = audit.verify(session)
    assert check.ok and check.entries == before.entries + 3


def test_details_and_purposes_never_keep_a_full_nik(session: Session) -> None:
    [entry] = _append(session, 1, note="NIK 1112014505900001 KK 1112011501200001", ids=[12])
    entry = audit.append(
        session, actor="a", role="auditor", action="x", purpose="cek 1112014505900001"
    )
    session.expire_all()
    rows = session.execute(select(AuditEntry.detail, AuditEntry.purpose)).all()
    assert not any(SIXTEEN_DIGITS.search(f"{d} {p}") for d, p in rows)
    assert entry.purpose == "cek 1112********0001"


def test_an_altered_row_is_named(session: Session) -> None:
    entries = _append(session, 4)
    victim = entries[2]
    session.execute(
        text("UPDATE audit_log SET detail = :d WHERE id = :id"),
        {"d": '{"n": 99}', "id": victim.id},
    )
    check = audit.verify(session)
    assert not check.ok and check.bad_id == victim.id
    assert check.problem == f"entry {victim.id}: hash does not match (row altered)"


def test_a_rehashed_row_breaks_the_link_to_its_successor(session: Session) -> None:
    entries = _append(session, 3)
    session.execute(
        text("UPDATE audit_log SET hash = :h WHERE id = :id"), {"h": "f" * 64, "id": entries[0].id}
    )
    check = audit.verify(session)
    assert not check.ok and check.bad_id == entries[0].id  # its own hash no longer matches


@pytest.mark.parametrize("which", ["middle", "last"])
def test_a_deleted_row_is_detected(session: Session, which: str) -> None:
    entries = _append(session, 4)
    victim = entries[1] if which == "middle" else entries[-1]
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": victim.id})
    check = audit.verify(session)
    assert not check.ok
    if which == "middle":
        assert check.bad_id == victim.id + 1
        assert check.problem == f"entry {victim.id} missing before entry {victim.id + 1}"
    else:
        assert check.bad_id == victim.id
        assert check.problem == f"entry {victim.id} missing at the end of the log"


def test_concurrent_appenders_never_fork_the_chain(world: World, engine: Engine) -> None:
    factory = session_factory(engine)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(5):
                with unit_of_work(factory) as db:
                    audit.append(
                        db, actor=f"w{k}", role="auditor", action="test.concurrent", detail={"i": i}
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with unit_of_work(factory) as db:
        check = audit.verify(db)
        assert check.ok, check
        head = db.get(AuditChain, 1)
        assert head is not None and head.last_id == check.entries
        n = db.scalar(
            select(AuditEntry.id)
            .where(AuditEntry.action == "test.concurrent")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        assert n is not None


def test_the_audit_api_is_for_auditors_and_is_itself_audited(world: World) -> None:
    world.get(f"/api/v1/households/{world.households['hb']}", "op-b")
    response = world.get(
        "/api/v1/audit", "auditor", params={"actor": "op-b", "action": "registry.", "size": 5}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] >= 1
    first = body["items"][0]
    assert first["actor"] == "op-b" and first["action"] == "registry.household.read"
    assert first["entity_id"] == str(world.households["hb"])
    with world.session() as db:
        last = db.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert last is not None and (last.actor, last.action) == ("auditor", "audit.read")
        assert audit.verify(db).ok
    assert_error(world.get("/api/v1/audit", "dinsos"), 403, "role_not_allowed")


def test_the_writer_group_commits_reads_from_many_threads(world: World, engine: Engine) -> None:
    """Reads handed to the AuditWriter from several threads are all appended, chained, and
    committed before each submitter's future completes; a failing batch fails every waiter."""
    writer = AuditWriter(engine)
    principal = Principal(user_id=1, username="reader", role="auditor", regions=("ID",))
    factory = session_factory(engine)

    def rows(k: int) -> list[dict[str, Any]]:
        with factory() as db:
            audit.defer_to_commit(db)
            for i in range(3):
                audit.record(
                    db,
                    principal,
                    action="test.writer",
                    purpose=None,
                    detail={"k": k, "i": i},
                    read=True,
                )
            return audit.take_reads(db)

    futures = []
    threads = [
        threading.Thread(target=lambda k=k: futures.append(writer.submit(rows(k))))
        for k in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for done in futures:
        done.result(timeout=30)  # committed when this returns
    with unit_of_work(factory) as db:
        written = db.scalars(select(AuditEntry).where(AuditEntry.action == "test.writer")).all()
        assert len(written) == 15
        assert audit.verify(db).ok
    broken = writer.submit([{"action": "test.writer"}])  # not a row: the batch fails
    with pytest.raises(KeyError):
        broken.result(timeout=30)
    writer.close()
