"""Bulk-load a synthetic population's ground truth into the registry (the state at its data cut).

Until linkage and consolidation build golden records from the sources, the synthetic truth is
the registry's content; every loaded value carries provenance ``synthetic``. The caller owns the
transaction: on any error nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import Connection

from tepat.errors import InvalidInput
from tepat.registry.bulk import empty_registry, insert_chunked, reset_sequences
from tepat.registry.fields import HOUSEHOLD_ITEMS, PERSON_ITEMS
from tepat.registry.models import Household, Membership, Person, Provenance, wrap_fields

_HOUSEHOLD_FIELDS = (*HOUSEHOLD_ITEMS, "programs_received", "urban", "rt", "rw")
_PERSON_FIELDS = (
    "nik",
    "full_name",
    "sex",
    "mother_name",
    *PERSON_ITEMS,
)


@dataclass(frozen=True)
class LoadResult:
    """Rows written per table."""

    households: int
    people: int
    memberships: int
    provenance: int


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise InvalidInput(f"{path} is missing: is this the output folder of `tepat synth`?")
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def load_synthetic(
    conn: Connection,
    folder: Path,
    *,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> LoadResult:
    """Load ``folder/truth`` (written by ``tepat synth``) into an empty or replaced registry."""
    say = progress or (lambda _m: None)
    truth = folder / "truth"
    summary = folder / "summary.json"
    if not summary.exists():
        raise InvalidInput(
            f"{folder} has no summary.json: is it the output folder of `tepat synth`?"
        )
    import json

    as_of = date.fromisoformat(json.loads(summary.read_text())["as_of"])
    empty_registry(conn, replace=replace)
    households = _rows(truth / "households.parquet")
    people = _rows(truth / "people.parquet")
    memberships = _rows(truth / "memberships.parquet")
    # A dissolved family ended when its last member's membership did.
    last_end: dict[int, date] = {}
    for m in memberships:
        end = m["end_date"]
        if end is not None and (
            m["household_id"] not in last_end or end > last_end[m["household_id"]]
        ):
            last_end[m["household_id"]] = end
    say(f"loading {len(households):,} households")
    hh_rows = (
        {
            "id": h["household_id"] + 1,
            "kk_number": h["kk_now"],
            "province_code": (h["village_now"] or h["village_snapshot"])[:2],
            "regency_code": (h["village_now"] or h["village_snapshot"])[:5],
            "district_code": (h["village_now"] or h["village_snapshot"])[:8],
            "village_code": h["village_now"] or h["village_snapshot"],
            "address": f"RT {h['rt']:03d} RW {h['rw']:03d} NO. {h['house_number']}",
            "status": h["status"],
            "formed_on": h["formed_on"],
            "dissolved_on": last_end.get(h["household_id"]) if h["status"] == "dissolved" else None,
            **{f: h[f] for f in _HOUSEHOLD_FIELDS if f not in ("rt", "rw")},
            "rt": f"{h['rt']:03d}",
            "rw": f"{h['rw']:03d}",
        }
        for h in households
    )
    insert_chunked(conn, Household, hh_rows)
    say(f"loading {len(people):,} people")
    person_rows = (
        {
            "id": p["person_id"] + 1,
            "birth_date": p["born_on"],
            "marital_status": p["marital_now"],
            "status": "alive" if p["died_on"] is None else "deceased",
            "died_on": p["died_on"],
            **{f: p[f] for f in _PERSON_FIELDS},
        }
        for p in people
    )
    insert_chunked(conn, Person, person_rows)
    say(f"loading {len(memberships):,} memberships")
    member_rows = (
        {
            "id": k + 1,
            "person_id": m["person_id"] + 1,
            "household_id": m["household_id"] + 1,
            "role": "head" if m["relationship"] == 1 else "member",
            "relationship_code": m["relationship"],
            "start_date": m["start_date"],
            "end_date": m["end_date"],
            "end_reason": m["end_reason"],
        }
        for k, m in enumerate(memberships)
    )
    insert_chunked(conn, Membership, member_rows)
    hh_fields = wrap_fields(
        [
            "kk_number",
            "province_code",
            "regency_code",
            "district_code",
            "village_code",
            "address",
            "status",
            "formed_on",
            "dissolved_on",
            *_HOUSEHOLD_FIELDS,
        ]
    )
    p_fields = wrap_fields(["birth_date", "marital_status", "status", "died_on", *_PERSON_FIELDS])
    m_fields = wrap_fields(
        [
            "person_id",
            "household_id",
            "role",
            "relationship_code",
            "start_date",
            "end_date",
            "end_reason",
        ]
    )
    prov_rows = (
        [
            {
                "entity": "household",
                "entity_id": h["household_id"] + 1,
                "fields": hh_fields,
                "source": "synthetic",
                "source_record_id": f"truth:household:{h['household_id']}",
                "observed_on": as_of,
            }
            for h in households
        ]
        + [
            {
                "entity": "person",
                "entity_id": p["person_id"] + 1,
                "fields": p_fields,
                "source": "synthetic",
                "source_record_id": f"truth:person:{p['person_id']}",
                "observed_on": as_of,
            }
            for p in people
        ]
        + [
            {
                "entity": "membership",
                "entity_id": k + 1,
                "fields": m_fields,
                "source": "synthetic",
                "source_record_id": f"truth:membership:{k}",
                "observed_on": as_of,
            }
            for k in range(len(memberships))
        ]
    )
    say(f"recording provenance for {len(prov_rows):,} records")
    insert_chunked(conn, Provenance, prov_rows)
    reset_sequences(conn)
    return LoadResult(len(households), len(people), len(memberships), len(prov_rows))
