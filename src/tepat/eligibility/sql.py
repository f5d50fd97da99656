"""Compiling resolved rules to DuckDB SQL text (no database here; see ``engine.py``).

A condition becomes a boolean expression over a column named like its field; it is NULL when
the field is NULL, and the engine treats NULL as failed (``coalesce(cond, false)``). Values are
written as typed literals so DuckDB never guesses (``CAST(40.5 AS DOUBLE)``, ``DATE '...'``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from tepat.eligibility.catalogue import CATALOGUE, Field
from tepat.eligibility.rules import OrderKey, Test


def ident(name: str) -> str:
    """A quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def text(value: str) -> str:
    """A quoted text literal."""
    return "'" + value.replace("'", "''") + "'"


def literal(value: Any, field: Field | None = None) -> str:
    """``value`` as a SQL literal of the field's kind."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and (field is None or field.kind == "int"):
        return str(value)
    if isinstance(value, int | float):
        return f"CAST({float(value)!r} AS DOUBLE)"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return text(value)
    raise TypeError(f"no SQL literal for {value!r}")


def column(name: str) -> str:
    """The default place of a field: a column of the same name."""
    return ident(name)


def test_sql(test: Test, col: Callable[[str], str] = column) -> str:
    """The condition as a SQL boolean (NULL when the field is NULL); ``col`` places the field."""
    spec = CATALOGUE[test.field]
    where = col(test.field)
    if test.op in ("in", "not_in"):
        items = ", ".join(literal(v, spec) for v in test.value)
        return f"({where} {'IN' if test.op == 'in' else 'NOT IN'} ({items}))"
    if test.op == "between":
        low, high = test.value
        return f"({where} BETWEEN {literal(low, spec)} AND {literal(high, spec)})"
    op = "<>" if test.op == "!=" else test.op
    return f"({where} {op} {literal(test.value, spec)})"


def holds(test: Test, col: Callable[[str], str] = column) -> str:
    """True when the condition holds; false when it fails or the field is NULL."""
    return f"coalesce({test_sql(test, col)}, false)"


def all_hold(tests: Iterable[Test], col: Callable[[str], str] = column) -> str:
    parts = [holds(t, col) for t in tests]
    return " AND ".join(parts) if parts else "TRUE"


def mask(
    tests: Sequence[Test], col: Callable[[str], str] = column, *, only: str | None = None
) -> str:
    """An INTEGER with bit i set when condition i does not hold (0 when all hold).

    ``only`` (``household`` or ``person``) keeps the conditions on fields of that level, at
    their positions, so the two halves of a mask can be computed apart and added.
    """
    parts = [
        f"(CASE WHEN {holds(t, col)} THEN 0 ELSE {1 << i} END)"
        for i, t in enumerate(tests)
        if only is None or t.spec.level == only
    ]
    return " + ".join(parts) if parts else "0"


def order_sql(keys: Sequence[OrderKey], unit_key: str, prefix: str = "") -> str:
    """``ORDER BY`` items: the keys (NULLs last) then the unit key."""
    parts = [
        f"{prefix}{ident(k.field)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in keys
    ]
    parts.append(f"{prefix}{ident(unit_key)} ASC")
    return ", ".join(parts)


def list_literal(values: Iterable[str]) -> str:
    return "[" + ", ".join(text(v) for v in values) + "]"
