"""Declarative base with a naming convention: constraints get the same names on every database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every transactional table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Indexes that only the PostgreSQL migrations create, on expressions the models cannot declare
# portably: a trigram index for name search (0009) and a partial index of invalid NIKs (0010).
DATABASE_ONLY_INDEXES = frozenset({"ix_people_full_name_trgm", "ix_people_nik_invalid"})


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter for comparing models with a database: skip the indexes above."""
    return not (type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES)
