"""releases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(
            sa.Column(
                "family_key",
                sa.String(length=80),
                nullable=True,
                comment="the integration's family id (source:household key)",
            )
        )
        batch.create_index("ix_households_family_key", ["family_key"])
    op.create_table(
        "releases",
        sa.Column("id", sa.String(length=40), nullable=False, comment="R<data cut>-<hash>"),
        sa.Column("data_cut", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=60), nullable=False),
        sa.Column("rules_version", sa.Text(), nullable=False),
        sa.Column("previous_id", sa.String(length=40), nullable=True),
        sa.Column("is_current", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    op.create_table(
        "release_households",
        sa.Column("release_id", sa.String(length=40), nullable=False),
        sa.Column("family_id", sa.String(length=80), nullable=False),
        sa.Column("household_id", _BIG, nullable=True),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("members", sa.SmallInteger(), nullable=False),
        sa.Column("desil", sa.SmallInteger(), nullable=False),
        sa.Column("percentile", sa.Float(), nullable=False),
        sa.Column("predicted_pce", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_households_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "family_id", name=op.f("pk_release_households")),
    )
    op.create_index(
        "ix_release_households_village", "release_households", ["release_id", "village_code"]
    )
    op.create_index(
        op.f("ix_release_households_household_id"), "release_households", ["household_id"]
    )
    op.create_table(
        "release_beneficiaries",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(length=40), nullable=False),
        sa.Column("program", sa.String(length=30), nullable=False),
        sa.Column("family_id", sa.String(length=80), nullable=False),
        sa.Column("person_key", sa.String(length=120), nullable=True),
        sa.Column("amount_year", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_beneficiaries_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_beneficiaries")),
    )
    op.create_index(
        op.f("ix_release_beneficiaries_release_id"), "release_beneficiaries", ["release_id"]
    )
    op.create_index(
        "ix_release_beneficiaries_family", "release_beneficiaries", ["release_id", "family_id"]
    )


def downgrade() -> None:
    op.drop_table("release_beneficiaries")
    op.drop_table("release_households")
    op.drop_table("releases")
    with op.batch_alter_table("households") as batch:
        batch.drop_index("ix_households_family_key")
        batch.drop_column("family_key")
