"""Quarantined rows never keep an identity number in clear, whatever its shape."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.sources.ingest import ingest
from tepat.sources.mapping import load_mapping
from tepat.sources.models import QuarantineRow

MAPPING = Path(__file__).parents[2] / "docs" / "examples" / "english_person_file.toml"
HEADER = "rec_id,given_name,surname,ssn,date_of_birth,sex,address_1,address_2,suburb,postcode\n"


def test_a_foreign_identity_number_is_masked_in_quarantine(
    session: Session, tmp_path: Path
) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        HEADER
        + "r1,JOHN,SMITH,123-45-6789,02/30/1980,male,1 HIGH ST,,SPRINGFIELD,2040\n"  # no 30 Feb
        + "r2,MARY,JONES,987-65-4321,01/15/1975,female,2 LOW RD,,SHELBYVILLE,2041\n"
        + "r3,PAUL,BROWN,555-12-3456\n"  # truncated: too few fields
    )
    result = ingest(
        source="people",
        files=[csv],
        data_dir=tmp_path,
        db=session.connection(),
        mapping=load_mapping(MAPPING),
    )
    assert result.rows_in == result.rows_staged + result.rows_quarantined == 3
    rows = session.scalars(select(QuarantineRow)).all()
    assert len(rows) == 2
    text = " ".join(r.raw or "" for r in rows)
    for number in ("123-45-6789", "123456789", "555-12-3456", "555123456"):
        assert number not in text
    assert "***-**-6789" in text  # the last four digits stay, to tell records apart
    assert any("JOHN" in json.dumps(r.raw) for r in rows)
