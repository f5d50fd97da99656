"""Ingest bookkeeping tables: one row per ingested batch of source files, and its quarantine.

The staged rows themselves live in Parquet (``<data_dir>/staging/<source>/<batch_id>.parquet``);
these tables record what was read, from which files (by SHA-256, so a re-ingest is recognised),
and every row that was refused, with its reason and the row as read (NIK and KK masked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tepat.db.base import Base

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class IngestBatch(Base):
    """One ingest of a source's file(s); counts are of the row file (the one staged from)."""

    __tablename__ = "ingest_batches"
    __table_args__ = (UniqueConstraint("source", "sha256"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="<source>-<date>-<hash8>")
    source: Mapped[str] = mapped_column(String(40), index=True)
    files: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="per file: name, role, sha256, rows_in, staged, quarantined, blank"
    )
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 over the files' SHA-256s")
    rows_in: Mapped[int] = mapped_column(Integer)
    rows_staged: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    unresolved_addresses: Mapped[int] = mapped_column(Integer)
    staged_path: Mapped[str] = mapped_column(Text, comment="relative to the data directory")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class QuarantineRow(Base):
    """A source row that was not staged: where it was, why, and the row as read (masked)."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("ingest_batches.id", ondelete="CASCADE"), index=True
    )
    file: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(BigInteger, comment="1-based line or row number")
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text, comment="the row as JSON, NIK/KK masked")
