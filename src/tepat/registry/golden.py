"""Golden records: one person per person cluster, one household per family, each field chosen
by the survivorship rules in ``survivorship.toml``, each value with its provenance.

The rules are data (a program manager edits the TOML); this module turns them into one DuckDB
aggregate per entity, so 2 million records consolidate in one pass. For every field the chosen
record's ``source``, ``record_id`` and ``observed_on`` are kept beside the value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import duckdb

from tepat.errors import InvalidInput
from tepat.registry.fields import HOUSEHOLD_ITEMS

RULES: Final = frozenset(
    {"precedence", "recent", "majority", "valid_then_majority", "agrees_with_nik"}
)
PERSON_FIELDS: Final = (
    "nik",
    "full_name",
    "sex",
    "birth_date",
    "birth_place",
    "mother_name",
    "relationship",
    "marital_status",
    "education_level",
    "employment_status",
    "disability",
    "chronic_disease",
)
HOUSEHOLD_FIELDS: Final = ("kk", "village_code", "address", "rt", "rw", *HOUSEHOLD_ITEMS)
_VALIDITY: Final = {"nik": "nik_valid", "kk": "kk_valid"}


@dataclass(frozen=True)
class Survivorship:
    """Parsed rules: source precedence and a rule per field."""

    precedence: tuple[str, ...]
    person: dict[str, str]
    household: dict[str, str]


def _check_section(
    path: str, name: str, section: dict[str, Any], fields: tuple[str, ...]
) -> dict[str, str]:
    default = section.get("default", "precedence")
    out = {}
    for key, rule in section.items():
        if key != "default" and key not in fields:
            raise InvalidInput(
                f"{path}: [{name}] has an unknown field {key!r}; known: {', '.join(fields)}"
            )
        if rule not in RULES:
            raise InvalidInput(
                f"{path}: [{name}] {key} = {rule!r} is not a rule; use one of "
                f"{', '.join(sorted(RULES))}"
            )
        if rule in ("valid_then_majority",) and key not in _VALIDITY:
            raise InvalidInput(f"{path}: [{name}] {key}: {rule} applies to nik and kk only")
    for field in fields:
        out[field] = section.get(field, default)
    return out


def load_survivorship(path: Path | None = None) -> Survivorship:
    """Read and validate the rules (the packaged ``survivorship.toml`` by default)."""
    if path is None:
        text = resources.files("tepat.registry").joinpath("survivorship.toml").read_text()
        where = "survivorship.toml (packaged)"
    else:
        text, where = path.read_text(), str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    unknown = set(data) - {"sources", "person", "household"}
    if unknown:
        raise InvalidInput(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    precedence = tuple(data.get("sources", {}).get("precedence", ()))
    if not precedence:
        raise InvalidInput(f"{where}: [sources] precedence must list the sources in order")
    return Survivorship(
        precedence=precedence,
        person=_check_section(where, "person", data.get("person", {}), PERSON_FIELDS),
        household=_check_section(where, "household", data.get("household", {}), HOUSEHOLD_FIELDS),
    )


def _order_key(field: str, column: str, rule: str, entity: str) -> str:
    """A sort key (smaller wins) for choosing ``field`` (stored in ``column``) by ``rule``."""
    src = "src_rank"
    recent = "-epoch(coalesce(observed_on, DATE '1900-01-01'))"
    majority = f"-count(*) OVER (PARTITION BY {entity}, {column})"
    if rule == "precedence":
        keys = [src, recent]
    elif rule == "recent":
        keys = [recent, src]
    elif rule == "majority":
        keys = [majority, src, recent]
    elif rule == "valid_then_majority":
        keys = [f"CASE WHEN {_VALIDITY[field]} THEN 0 ELSE 1 END", majority, recent, src]
    else:  # agrees_with_nik
        nik_value = "nik_birth_date" if field == "birth_date" else "nik_sex"
        keys = [f"CASE WHEN {column} = golden_{nik_value} THEN 0 ELSE 1 END", majority, src]
    return "(" + ", ".join(keys) + ", source, record_id)"


def consolidate(con: duckdb.DuckDBPyConnection, linked: str, rules: Survivorship) -> dict[str, int]:
    """Build ``golden_people`` and ``golden_households`` from ``linked`` (standardised records
    with ``cluster_id``, ``family_id``) and the rules. Returns counts.
    """
    ranks = ", ".join(f"('{s}', {i})" for i, s in enumerate(rules.precedence))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_in AS
        SELECT l.*, coalesce(r.rank, 99) AS src_rank
        FROM {linked} l LEFT JOIN (VALUES {ranks}) r(source, rank) ON r.source = l.source
        """
    )
    # The golden NIK first: birth date and sex then prefer the values it encodes.
    nik_key = _order_key("nik", "nik_clean", "valid_then_majority", "cluster_id")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_nik AS
        SELECT cluster_id,
               arg_min(nik_birth_date, k) FILTER (WHERE nik_clean IS NOT NULL AND nik_valid)
                   AS golden_nik_birth_date,
               arg_min(nik_sex, k) FILTER (WHERE nik_clean IS NOT NULL AND nik_valid)
                   AS golden_nik_sex
        FROM (SELECT *, {nik_key} AS k FROM g_in) GROUP BY cluster_id
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE g_people_in AS SELECT g.*, n.golden_nik_birth_date, "
        "n.golden_nik_sex FROM g_in g JOIN g_nik n USING (cluster_id)"
    )
    people = _pick(con, "g_people_in", "cluster_id", rules.person, PERSON_FIELDS)
    con.execute(f"CREATE OR REPLACE TABLE golden_people AS {people}")
    households = _pick(con, "g_in", "family_id", rules.household, HOUSEHOLD_FIELDS)
    con.execute(f"CREATE OR REPLACE TABLE golden_households AS {households}")
    counts = con.execute(
        "SELECT (SELECT count(*) FROM golden_people), (SELECT count(*) FROM golden_households)"
    ).fetchall()[0]
    return {"people": int(counts[0]), "households": int(counts[1])}


def _pick(
    con: duckdb.DuckDBPyConnection,
    table: str,
    entity: str,
    rules: dict[str, str],
    fields: tuple[str, ...],
) -> str:
    """SQL choosing every field of ``entity`` and the record it came from."""
    # The value column a rule compares: NIK and KK compare their cleaned form.
    value = {"nik": "nik_clean", "kk": "kk_clean"}
    keys = []
    picks = []
    for field in fields:
        column = value.get(field, field)
        key_name = f"k_{field}"
        keys.append(f"{_order_key(field, column, rules[field], entity)} AS {key_name}")
        picks.append(
            f"arg_min({column}, {key_name}) FILTER (WHERE {column} IS NOT NULL) AS {field}, "
            f"arg_min(struct_pack(source := source, record_id := record_id, "
            f"observed_on := observed_on), {key_name}) FILTER (WHERE {column} IS NOT NULL) "
            f"AS {field}__from"
        )
    return (
        f"SELECT {entity}, count(*) AS records, list(DISTINCT source ORDER BY source) AS sources, "
        + ", ".join(picks)
        + f" FROM (SELECT *, {', '.join(keys)} FROM {table} WHERE {entity} IS NOT NULL) "
        f"GROUP BY {entity}"
    )
