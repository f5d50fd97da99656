"""Loading a synthetic population into the registry, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tepat.errors import Conflict, InvalidInput
from tepat.registry.load import load_synthetic
from tepat.registry.models import Household, Membership, Person, Provenance
from tepat.registry.summary import registry_counts
from tepat.synth.run import synthesize


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("load") / "pop"
    synthesize(scope="11.12", seed=11, people=1500, as_of=date(2025, 6, 30), out=out)
    return out


def _count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_load_writes_every_truth_row_with_provenance(session: Session, population: Path) -> None:
    result = load_synthetic(session.connection(), population)
    truth = population / "truth"
    assert (
        result.households
        == _count(session, Household)
        == pq.read_metadata(truth / "households.parquet").num_rows
    )
    assert (
        result.people
        == _count(session, Person)
        == pq.read_metadata(truth / "people.parquet").num_rows
    )
    assert result.memberships == _count(session, Membership)
    assert _count(session, Provenance) == result.households + result.people + result.memberships
    deceased = session.execute(
        select(func.count()).select_from(Person).where(Person.status == "deceased")
    ).scalar_one()
    assert deceased > 0, "deceased people are flagged, not dropped"
    source = session.execute(
        select(Provenance.source)
        .where(Provenance.entity == "person", Provenance.fields.like("%,nik,%"))
        .limit(1)
    ).scalar_one()
    assert source == "synthetic"
    rows = registry_counts(session.connection())
    assert rows[0]["regency_code"] == "11.12"
    assert rows[0]["alive"] == result.people - deceased


def test_a_second_load_is_refused_without_replace(session: Session, population: Path) -> None:
    load_synthetic(session.connection(), population)
    with pytest.raises(Conflict, match="--replace"):
        load_synthetic(session.connection(), population)
    again = load_synthetic(session.connection(), population, replace=True)
    assert _count(session, Household) == again.households


def test_a_folder_that_is_not_a_population_is_refused(session: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"summary\.json"):
        load_synthetic(session.connection(), tmp_path)
    assert _count(session, Household) == 0
