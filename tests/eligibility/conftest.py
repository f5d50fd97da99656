"""Fixtures for the eligibility tests: the shipped rules and an in-memory DuckDB builder."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import duckdb
import pytest

from tepat.eligibility import RuleSet, load_rules

from .builders import load

Builder = Callable[[Sequence[dict], Sequence[dict]], duckdb.DuckDBPyConnection]


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def make_db() -> Iterator[Builder]:
    """Build an in-memory DuckDB with rank_households and rank_members from row dicts."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def build(households: Sequence[dict], members: Sequence[dict]) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        opened.append(con)
        load(con, households, members)
        return con

    yield build
    for con in opened:
        con.close()
