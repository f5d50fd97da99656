"""workflow: proposals, objections, notices, appeals, their steps, household flags

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_VERDICT = "verdict is null or verdict in ('confirmed', 'not_confirmed', 'not_found')"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in (" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


def _head() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
    ]


def _times() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="UTC"),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="UTC, last transition"),
        sa.Column("due_on", sa.Date(), nullable=False, comment="deadline of the decision"),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
    ]


def _fk(table: str, column: str, parent: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{parent}.id"], name=op.f(f"fk_{table}_{column}_{parent}"), ondelete=ondelete
    )


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "proposals",
        *_head(),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("household_id", _BIG, nullable=True),
        sa.Column(
            "applicant_nik",
            sa.String(length=16),
            nullable=True,
            comment="the citizen, or the head of a new family",
        ),
        sa.Column("applicant_name", sa.String(length=120), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False, comment="the proposed data"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("minutes_number", sa.String(length=60), nullable=True, comment="musdes/muskel"),
        sa.Column("minutes_date", sa.Date(), nullable=True),
        sa.Column("proposer", sa.String(length=64), nullable=False),
        sa.Column("proposer_role", sa.String(length=24), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column(
            "event_id", sa.String(length=64), nullable=True, comment="registry event applied"
        ),
        sa.Column("result_household_id", sa.BigInteger(), nullable=True),
        *_times(),
        sa.CheckConstraint(
            _in("channel", ("citizen", "operator")), name=op.f("ck_proposals_channel")
        ),
        sa.CheckConstraint(
            _in("kind", ("new_family", "removal", "update")), name=op.f("ck_proposals_kind")
        ),
        sa.CheckConstraint(
            _in(
                "state",
                (
                    "applied",
                    "approved",
                    "assigned",
                    "rejected",
                    "submitted",
                    "verified",
                    "withdrawn",
                ),
            ),
            name=op.f("ck_proposals_state"),
        ),
        sa.CheckConstraint(_VERDICT, name=op.f("ck_proposals_verdict")),
        _fk("proposals", "household_id", "households", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    _indexes("proposals", "applicant_nik", "assignee", "household_id", "village_code")
    op.create_index("ix_proposals_state_village", "proposals", ["state", "village_code"])

    op.create_table(
        "objections",
        *_head(),
        sa.Column("household_id", _BIG, nullable=True),
        sa.Column("objector_person_id", _BIG, nullable=True),
        sa.Column("release_id", sa.String(length=40), nullable=True),
        sa.Column("programs", sa.JSON(), nullable=False, comment="the recipient's programs then"),
        sa.Column("reason_code", sa.String(length=24), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        *_times(),
        sa.CheckConstraint(
            _in(
                "reason_code",
                (
                    "deceased",
                    "duplicate",
                    "excluded_occupation",
                    "moved",
                    "other",
                    "unknown_at_address",
                    "well_off",
                ),
            ),
            name=op.f("ck_objections_reason_code"),
        ),
        sa.CheckConstraint(
            _in("state", ("assigned", "dismissed", "filed", "upheld", "verified")),
            name=op.f("ck_objections_state"),
        ),
        sa.CheckConstraint(_VERDICT, name=op.f("ck_objections_verdict")),
        _fk("objections", "household_id", "households", "SET NULL"),
        _fk("objections", "objector_person_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    _indexes("objections", "assignee", "household_id", "objector_person_id", "village_code")
    op.create_index("ix_objections_state_village", "objections", ["state", "village_code"])

    op.create_table(
        "notices",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column(
            "release_id",
            sa.String(length=40),
            nullable=False,
            comment="the release that dropped it",
        ),
        sa.Column("previous_release_id", sa.String(length=40), nullable=False),
        sa.Column("family_id", sa.String(length=80), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("program", sa.String(length=30), nullable=False),
        sa.Column("reason_code", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old_desil", sa.SmallInteger(), nullable=True),
        sa.Column("new_desil", sa.SmallInteger(), nullable=True),
        sa.Column("appeal_until", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="UTC"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint(
            "release_id", "family_id", "program", name=op.f("uq_notices_release_id")
        ),
    )
    _indexes("notices", "household_id", "village_code")

    op.create_table(
        "appeals",
        *_head(),
        sa.Column("notice_id", _BIG, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        *_times(),
        sa.CheckConstraint(
            _in("channel", ("citizen", "operator")), name=op.f("ck_appeals_channel")
        ),
        sa.CheckConstraint(
            _in("state", ("dismissed", "filed", "under_review", "upheld")),
            name=op.f("ck_appeals_state"),
        ),
        _fk("appeals", "notice_id", "notices", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_appeals_notice_id")),
    )
    _indexes("appeals", "village_code")

    op.create_table(
        "workflow_steps",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("item", sa.String(length=10), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False, comment="UTC"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "item in ('proposal', 'objection', 'appeal')", name=op.f("ck_workflow_steps_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_steps")),
    )
    op.create_index("ix_workflow_steps_item", "workflow_steps", ["item", "item_id"])

    op.create_table(
        "household_flags",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("household_id", _BIG, nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column(
            "reference",
            sa.String(length=40),
            nullable=False,
            comment="the proposal/objection number",
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="UTC"),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_by", sa.String(length=40), nullable=True, comment="release id"),
        sa.CheckConstraint(
            _in("kind", ("exclude", "rerank", "reverify")), name=op.f("ck_household_flags_kind")
        ),
        sa.CheckConstraint(
            _in("source", ("appeal", "objection", "proposal")),
            name=op.f("ck_household_flags_source"),
        ),
        _fk("household_flags", "household_id", "households", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_flags")),
    )
    _indexes("household_flags", "household_id")
    op.create_index("ix_household_flags_open", "household_flags", ["cleared_at", "kind"])


def downgrade() -> None:
    for table in (
        "household_flags",
        "workflow_steps",
        "appeals",
        "notices",
        "objections",
        "proposals",
    ):
        op.drop_table(table)
