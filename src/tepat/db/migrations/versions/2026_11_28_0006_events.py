"""events: registry events, household and person versions, households.needs_reranking

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NULL_SINCE = "null: since first recorded"


def _version_columns(entity: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column(f"{entity}_id", _BIG, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True, comment=_NULL_SINCE),
        sa.Column("valid_to", sa.Date(), nullable=True, comment="null: still valid"),
        sa.Column(
            "event_id", sa.String(length=64), nullable=True, comment="null: before any event"
        ),
        sa.Column(
            "changed_fields", sa.Text(), nullable=False, comment="comma-wrapped, like provenance"
        ),
        sa.Column(
            "whole",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="data holds the whole state (before the first event, or as created)",
        ),
    ]


def _version_table(table: str, entity: str, parent: str, *, member_changes: bool) -> None:
    columns = _version_columns(entity)
    if member_changes:
        columns.append(sa.Column("member_changes", sa.JSON(), nullable=True))
    op.create_table(
        table,
        *columns,
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["registry_events.event_id"],
            name=op.f(f"fk_{table}_event_id_registry_events"),
        ),
        sa.ForeignKeyConstraint(
            [f"{entity}_id"],
            [f"{parent}.id"],
            name=op.f(f"fk_{table}_{entity}_id_{parent}"),
            ondelete="CASCADE",  # only a wipe deletes households or people
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(f"{entity}_id", "version", name=op.f(f"uq_{table}_{entity}_id")),
    )
    op.create_index(op.f(f"ix_{table}_event_id"), table, ["event_id"])


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(
            sa.Column(
                "needs_reranking",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="an event changed a ranking input since the last ranking",
            )
        )
    op.create_table(
        "registry_events",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False, comment="client's key"),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False, comment="when it happened"),
        sa.Column("household_id", _BIG, nullable=True, comment="the household it was about"),
        sa.Column(
            "region_code",
            sa.String(length=13),
            nullable=True,
            comment="village of that household before the event",
        ),
        sa.Column(
            "to_region_code",
            sa.String(length=13),
            nullable=True,
            comment="receiving village of a hand-over",
        ),
        sa.Column(
            "source", sa.String(length=24), nullable=False, comment="operator, dukcapil, ..."
        ),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "payload_hash", sa.String(length=64), nullable=False, comment="sha256 of the payload"
        ),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False, comment="UTC"),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_registry_events_household_id_households"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_registry_events_event_id")),
    )
    op.create_index(op.f("ix_registry_events_household_id"), "registry_events", ["household_id"])
    _version_table("household_versions", "household", "households", member_changes=True)
    _version_table("person_versions", "person", "people", member_changes=False)


def downgrade() -> None:
    for table in ("person_versions", "household_versions"):
        op.drop_index(op.f(f"ix_{table}_event_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_registry_events_household_id"), table_name="registry_events")
    op.drop_table("registry_events")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("needs_reranking")
