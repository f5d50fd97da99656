"""Load an integration run's golden records into the registry, with per-field provenance.

Households are golden families, people golden persons, memberships the family each person was
placed in (most recent evidence). Every field's provenance names the source record that
supplied it; fields supplied by the same record share one provenance row. A person listed by an
older source but absent from the newest census of a family that census did enumerate is kept
with status ``unknown`` (possibly deceased or moved), not dropped. The caller owns the
transaction; on any error nothing is loaded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import Connection

from tepat.errors import InvalidInput
from tepat.registry.bulk import empty_registry, insert_chunked, reset_sequences
from tepat.registry.golden import HOUSEHOLD_FIELDS, PERSON_FIELDS
from tepat.registry.models import Household, Membership, Person, Provenance, wrap_fields

# Column names in the registry where they differ from the golden field names.
_HOUSEHOLD_COLUMN = {"kk": "kk_number"}
_PERSON_COLUMN = {"relationship": "relationship", "marital_status": "marital_status"}
_NOT_PERSON_COLUMNS = {"relationship"}  # lives on the membership


@dataclass(frozen=True)
class GoldenLoadResult:
    """Rows written, and people whose status could not be confirmed."""

    households: int
    people: int
    memberships: int
    provenance: int
    unconfirmed_people: int
    heads_demoted: int


def _provenance(
    entity: str,
    entity_id: int,
    row: dict[str, Any],
    fields: tuple[str, ...],
    columns: dict[str, str],
    origins: dict[int, tuple[str, str, Any]],
) -> list[dict[str, Any]]:
    """One provenance row per source record that supplied some of ``row``'s fields."""
    by_record: dict[tuple[str, str, Any], list[str]] = defaultdict(list)
    for field in fields:
        uid = row.get(f"{field}__uid")
        if uid is not None and row.get(field) is not None:
            by_record[origins[uid]].append(columns.get(field, field))
    return [
        {
            "entity": entity,
            "entity_id": entity_id,
            "fields": wrap_fields(names),
            "source": source,
            "source_record_id": record_id,
            "observed_on": observed,
        }
        for (source, record_id, observed), names in sorted(
            by_record.items(), key=lambda kv: kv[0][:2]
        )
    ]


def _sex(person: dict[str, Any]) -> str:
    """The golden sex; when no record gave one, what the NIK encodes (day + 40 for women)."""
    sex = person.get("sex")
    if sex in ("M", "F"):
        return str(sex)
    nik = person.get("nik") or ""
    return "F" if len(nik) == 16 and nik[6:8].isdigit() and int(nik[6:8]) > 40 else "M"


def load_golden(
    conn: Connection,
    run_folder: Path,
    *,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> GoldenLoadResult:
    """Replace the registry's content with the golden records of ``run_folder``."""
    say = progress or (lambda _m: None)
    for name in ("golden_people", "golden_households"):
        if not (run_folder / f"{name}.parquet").exists():
            raise InvalidInput(f"{run_folder} has no {name}.parquet: is it an integration run?")
    empty_registry(conn, replace=replace)
    records = pq.read_table(
        run_folder / "records.parquet", columns=["uid", "source", "record_id", "observed_on"]
    )
    origins = {
        uid: (src, rid, seen)
        for uid, src, rid, seen in zip(
            *(records.column(c).to_pylist() for c in ("uid", "source", "record_id", "observed_on")),
            strict=True,
        )
    }
    households = pq.read_table(run_folder / "golden_households.parquet").to_pylist()
    people = pq.read_table(run_folder / "golden_people.parquet").to_pylist()
    households.sort(key=lambda h: h["family_id"])
    people.sort(key=lambda p: str(p["cluster_id"]))
    family_ids = {h["family_id"]: i + 1 for i, h in enumerate(households)}
    census_families = {h["family_id"] for h in households if "regsosek" in (h["sources"] or [])}

    say(f"loading {len(households):,} households")
    hh_rows, prov = [], []
    for h in households:
        village = h.get("village_code")
        hid = family_ids[h["family_id"]]
        row = {
            "id": hid,
            "kk_number": h.get("kk"),
            "family_key": h["family_id"],
            "village_code": village or "",
            "province_code": (village or "")[:2],
            "regency_code": (village or "")[:5],
            "district_code": (village or "")[:8],
            "address": h.get("address"),
            "rt": h.get("rt"),
            "rw": h.get("rw"),
            "status": "active",
            **{
                f: h.get(f)
                for f in HOUSEHOLD_FIELDS
                if f not in ("kk", "village_code", "address", "rt", "rw")
            },
        }
        hh_rows.append(row)
        prov += _provenance("household", hid, h, HOUSEHOLD_FIELDS, _HOUSEHOLD_COLUMN, origins)
    insert_chunked(conn, Household, hh_rows)

    say(f"loading {len(people):,} people")
    person_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    unconfirmed = demoted = 0
    heads: set[int] = set()
    for pid, p in enumerate(people, start=1):
        family = p.get("family_id")
        in_census_family = family in census_families
        status = "alive"
        if in_census_family and "regsosek" not in (p["sources"] or []):
            status, unconfirmed = "unknown", unconfirmed + 1
        person_rows.append(
            {
                "id": pid,
                "nik": p.get("nik"),
                "full_name": p.get("full_name") or "",
                "sex": _sex(p),
                "birth_date": p.get("birth_date"),
                "birth_place": p.get("birth_place"),
                "mother_name": p.get("mother_name"),
                "marital_status": p.get("marital_status"),
                "education_level": p.get("education_level"),
                "employment_status": p.get("employment_status"),
                "disability": p.get("disability"),
                "chronic_disease": p.get("chronic_disease"),
                "pregnant": p.get("pregnant"),
                "school_participation": p.get("school_participation"),
                "worked_last_week": p.get("worked_last_week"),
                "has_business": p.get("has_business"),
                "status": status,
            }
        )
        prov += _provenance(
            "person",
            pid,
            p,
            tuple(f for f in PERSON_FIELDS if f not in _NOT_PERSON_COLUMNS),
            _PERSON_COLUMN,
            origins,
        )
        if family in family_ids:
            hid = family_ids[family]
            rel = p.get("relationship") or 8
            if rel == 1 and hid in heads:
                rel, demoted = 8, demoted + 1  # one head per family: the first one stays
            if rel == 1:
                heads.add(hid)
            member_rows.append(
                {
                    "id": len(member_rows) + 1,
                    "person_id": pid,
                    "household_id": hid,
                    "role": "head" if rel == 1 else "member",
                    "relationship_code": rel,
                }
            )
    insert_chunked(conn, Person, person_rows)
    insert_chunked(conn, Membership, member_rows)
    say(f"recording provenance ({len(prov):,} rows)")
    insert_chunked(conn, Provenance, prov)
    reset_sequences(conn)
    return GoldenLoadResult(
        len(hh_rows), len(person_rows), len(member_rows), len(prov), unconfirmed, demoted
    )
