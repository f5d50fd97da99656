"""Alembic environment: the URL and connection come from ``tepat.db.migrate``, never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tepat.access import models as _access_models  # noqa: F401 - registers the tables
from tepat.db.base import Base, include_object
from tepat.linkage import models as _linkage_models  # noqa: F401 - registers the tables
from tepat.registry import models as _registry_models  # noqa: F401 - registers the tables
from tepat.release import models as _release_models  # noqa: F401 - registers the tables
from tepat.sources import models as _sources_models  # noqa: F401 - registers the tables
from tepat.workflow import models as _workflow_models  # noqa: F401 - registers the tables

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through tepat.db.migrate (tepat db upgrade)")
_run(connection)
