"""release summary: per-village aggregates of each release for the dashboard

A loaded release never changes, so the dashboard's release numbers (households by desil,
households reached, program beneficiaries and cost, by region) are summed once when the release
is loaded (``tepat.release.store.summarise_release``) into small tables, one row per village
and desil or per village and program, with each region level's code in its own indexed column,
and the same summed per district (what national and province scopes read).
Releases already loaded are back-filled here with ``INSERT ... SELECT ... GROUP BY``.

PostgreSQL only: the invalid-NIK count of the dashboard read every person's NIK (about 0.5-0.8 s
at 1,000,000 people). ``tepat_nik_invalid(nik)`` is the same test as
``tepat.pages.queries.dashboard.invalid_nik`` (provinces and day-months of the reference data of
this revision) and the partial index ``ix_people_nik_invalid`` holds only the people it flags, so
the count reads a few thousand index entries. A later change to the NIK rule or to the province
list must replace the function (and so rebuild the index) in a new migration.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of tepat.release.store.VILLAGE_SUMMARY_SQL / PROGRAM_SUMMARY_SQL (all releases).
_VILLAGES = """
INSERT INTO release_village_summary (release_id, village_code, desil, province_code,
    regency_code, district_code, households, people, reached, cost_year)
SELECT h.release_id, h.village_code, h.desil, substr(h.village_code, 1, 2),
    substr(h.village_code, 1, 5), substr(h.village_code, 1, 8), count(*), sum(h.members),
    count(b.family_id), coalesce(sum(b.cost_year), 0)
FROM release_households h
LEFT JOIN (
    SELECT release_id, family_id, sum(amount_year) AS cost_year
    FROM release_beneficiaries
    GROUP BY release_id, family_id
) b ON b.release_id = h.release_id AND b.family_id = h.family_id
GROUP BY h.release_id, h.village_code, h.desil
"""

_PROGRAMS = """
INSERT INTO release_program_summary (release_id, village_code, program, province_code,
    regency_code, district_code, beneficiaries, households, cost_year)
SELECT b.release_id, h.village_code, b.program, substr(h.village_code, 1, 2),
    substr(h.village_code, 1, 5), substr(h.village_code, 1, 8), count(*),
    count(DISTINCT b.family_id), sum(b.amount_year)
FROM release_beneficiaries b
JOIN release_households h ON h.release_id = b.release_id AND h.family_id = b.family_id
GROUP BY b.release_id, h.village_code, b.program
"""

_DISTRICTS = """
INSERT INTO release_district_summary (release_id, district_code, desil, province_code,
    regency_code, households, people, reached, cost_year)
SELECT release_id, district_code, desil, province_code, regency_code, sum(households),
    sum(people), sum(reached), sum(cost_year)
FROM release_village_summary
GROUP BY release_id, district_code, desil, province_code, regency_code
"""

_DISTRICT_PROGRAMS = """
INSERT INTO release_district_program_summary (release_id, district_code, program, province_code,
    regency_code, beneficiaries, households, cost_year)
SELECT release_id, district_code, program, province_code, regency_code, sum(beneficiaries),
    sum(households), sum(cost_year)
FROM release_program_summary
GROUP BY release_id, district_code, program, province_code, regency_code
"""

_PROVINCE_LIST = (
    "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 71 72 73 74 75 76 "
    "81 82 91 92 93 94 95 96"
)
_PROVINCES = sorted(_PROVINCE_LIST.split())
_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
_DDMM = sorted(
    f"{day + offset:02d}{month:02d}"
    for month, days in _DAYS.items()
    for day in range(1, days + 1)
    for offset in (0, 40)
)


def _quoted(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


_NIK_FUNCTION = f"""
CREATE OR REPLACE FUNCTION tepat_nik_invalid(nik text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN nik IS NOT NULL AND (
        length(nik) <> 16
        OR nik ~ '[^0-9]'
        OR substr(nik, 1, 2) NOT IN ({_quoted(_PROVINCES)})
        OR substr(nik, 3, 2) = '00'
        OR substr(nik, 5, 2) = '00'
        OR substr(nik, 7, 4) NOT IN ({_quoted(_DDMM)})
        OR substr(nik, 13, 4) = '0000'
    );
END
$$
"""


_TABLES = (
    "release_district_program_summary",
    "release_district_summary",
    "release_program_summary",
    "release_village_summary",
)


def _summary_table(
    name: str, key: sa.Column[Any], *counts: sa.Column[Any], grain: str = "village"
) -> None:
    levels = ("province", "regency", "district") if grain == "village" else ("province", "regency")
    op.create_table(
        name,
        sa.Column("release_id", sa.String(length=40), nullable=False),
        sa.Column(
            f"{grain}_code", sa.String(length=13 if grain == "village" else 8), nullable=False
        ),
        key,
        *(
            sa.Column(
                f"{level}_code",
                sa.String(length={"province": 2, "regency": 5, "district": 8}[level]),
                nullable=False,
            )
            for level in levels
        ),
        *counts,
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f(f"fk_{name}_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", f"{grain}_code", key.name, name=op.f(f"pk_{name}")),
    )
    for level in levels:
        op.create_index(f"ix_{name}_{level}", name, ["release_id", f"{level}_code"])


def upgrade() -> None:
    _summary_table(
        "release_village_summary",
        sa.Column("desil", sa.SmallInteger(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False, comment="ranked households"),
        sa.Column("people", sa.Integer(), nullable=False, comment="their members"),
        sa.Column(
            "reached", sa.Integer(), nullable=False, comment="households receiving any program"
        ),
        sa.Column(
            "cost_year", sa.BigInteger(), nullable=False, comment="yearly cost of all programs"
        ),
    )
    _summary_table(
        "release_program_summary",
        sa.Column("program", sa.String(length=30), nullable=False),
        sa.Column(
            "beneficiaries", sa.Integer(), nullable=False, comment="households or people paid"
        ),
        sa.Column("households", sa.Integer(), nullable=False, comment="households reached"),
        sa.Column("cost_year", sa.BigInteger(), nullable=False),
    )
    _summary_table(
        "release_district_summary",
        sa.Column("desil", sa.SmallInteger(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("cost_year", sa.BigInteger(), nullable=False),
        grain="district",
    )
    _summary_table(
        "release_district_program_summary",
        sa.Column("program", sa.String(length=30), nullable=False),
        sa.Column("beneficiaries", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("cost_year", sa.BigInteger(), nullable=False),
        grain="district",
    )
    for statement in (_VILLAGES, _PROGRAMS, _DISTRICTS, _DISTRICT_PROGRAMS):
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"ANALYZE {table}")
        op.execute(_NIK_FUNCTION)
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_people_nik_invalid ON people (id) "
            "WHERE tepat_nik_invalid(nik)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_people_nik_invalid")
        op.execute("DROP FUNCTION IF EXISTS tepat_nik_invalid(text)")
    for table in _TABLES:
        op.drop_table(table)
