"""interop: the dci_client role (calling systems of the DCI Social Registry API)

The DCI API needs no table of its own; its one schema change is a new value in the check
constraint on ``users.role``. SQLite cannot alter a constraint, so the table is rebuilt (batch
mode); see ``_sqlite_rebuild`` for why the rows that reference it are kept and put back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "village_operator",
    "facilitator",
    "district_office",
    "province_office",
    "national_admin",
    "program_manager",
    "auditor",
    "public",
)
_AFTER = (*_BEFORE[:-1], "dci_client", "public")
_CHILDREN = {
    "user_regions": ("user_id", "region_code"),
    "api_tokens": ("id", "token_hash", "user_id", "created_at", "expires_at", "revoked"),
}


def _check(roles: tuple[str, ...]) -> str:
    return "role in (" + ", ".join(f"'{r}'" for r in roles) + ")"


def _sqlite_rebuild(roles: tuple[str, ...]) -> None:
    # Batch mode copies ``users`` into a new table and drops the old one. Migrations run with
    # foreign_keys=ON inside a transaction (where the pragma cannot be switched off), so the
    # DROP deletes the referencing rows through ON DELETE CASCADE: keep them and put them back.
    bind = op.get_bind()
    saved = {
        table: [
            dict(row._mapping)
            for row in bind.execute(sa.text(f"SELECT {', '.join(cols)} FROM {table}"))
        ]
        for table, cols in _CHILDREN.items()
    }
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), sa.text(_check(roles)))
    for table, cols in _CHILDREN.items():
        bind.execute(sa.text(f"DELETE FROM {table}"))
        if saved[table]:
            names = ", ".join(cols)
            values = ", ".join(f":{c}" for c in cols)
            bind.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({values})"), saved[table])


def _replace_role_check(roles: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(roles)
        return
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", sa.text(_check(roles)))


def upgrade() -> None:
    _replace_role_check(_AFTER)


def downgrade() -> None:
    count = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'dci_client'"))
    if count:
        raise RuntimeError(
            f"{count} dci_client account(s) exist: delete them or give them another role "
            "before downgrading below 0007"
        )
    _replace_role_check(_BEFORE)
