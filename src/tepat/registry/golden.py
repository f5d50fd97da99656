"""Golden records: one person per person cluster, one household per family, each field chosen
by the survivorship rules in ``survivorship.toml``, each value with the record it came from
(``<field>__uid``, resolved to source, record id and date through the run's ``records``).

The rules are data (a program manager edits the TOML); this module turns them into one DuckDB
aggregate per entity, so 2 million records consolidate in one pass.
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
    "pregnant",
    "school_participation",
    "worked_last_week",
    "has_business",
)
HOUSEHOLD_FIELDS: Final = (
    "kk",
    "village_code",
    "address",
    "rt",
    "rw",
    *HOUSEHOLD_ITEMS,
    "programs_received",
)
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
    """A sort key (smaller wins) for choosing ``field`` (stored in ``column``) by ``rule``.

    The key is one 128-bit integer, each criterion six decimal digits wide and the record's
    ``uid`` last, so choosing is a fast integer ``arg_min`` and ties break deterministically.
    Every criterion is a non-negative number below 10^6.
    """
    src = "src_rank"
    # Newest first: days before 2400-01-01 (observations are after 1900).
    recent = "(DATE '2400-01-01' - coalesce(observed_on, DATE '1900-01-01'))"
    majority = f"(1000000 - count(*) OVER (PARTITION BY {entity}, {column}))"
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
    expression = "0::HUGEINT"
    for key in keys:
        expression = f"({expression} * 1000000 + {key})"
    return f"({expression} * 1000000000000 + uid)"


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
    """SQL choosing every field of ``entity`` and the record (``uid``) it came from.

    Fields that share a rule share one sort key, so fifty household items under "precedence"
    cost one key, not fifty.
    """
    # The value column a rule compares: NIK and KK compare their cleaned form.
    value = {"nik": "nik_clean", "kk": "kk_clean"}
    key_names: dict[str, str] = {}
    picks = []
    for field in fields:
        column = value.get(field, field)
        expression = _order_key(field, column, rules[field], entity)
        key_name = key_names.setdefault(expression, f"k{len(key_names)}")
        picks.append(
            f"arg_min({column}, {key_name}) FILTER (WHERE {column} IS NOT NULL) AS {field}, "
            f"arg_min(uid, {key_name}) FILTER (WHERE {column} IS NOT NULL) AS {field}__uid"
        )
    keys = ", ".join(f"{expr} AS {name}" for expr, name in key_names.items())
    # Only the columns the choice needs travel through the sort keys and the aggregate.
    needed = {
        entity,
        "uid",
        "source",
        "record_id",
        "observed_on",
        "src_rank",
        *(value.get(f, f) for f in fields),
        *_VALIDITY.values(),
    }
    available = {
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]
        ).fetchall()
    }
    needed |= {c for c in ("golden_nik_birth_date", "golden_nik_sex") if c in available}
    columns = ", ".join(sorted(needed & available))
    singles = ", ".join(
        f"{value.get(f, f)} AS {f}, CASE WHEN {value.get(f, f)} IS NOT NULL THEN uid END "
        f"AS {f}__uid"
        for f in fields
    )
    # Most people have one record: their values need no choosing. Only groups of two or more
    # records go through the sort keys.
    return (
        f"WITH sized AS (SELECT {columns}, count(*) OVER (PARTITION BY {entity}) AS n "
        f"FROM {table} WHERE {entity} IS NOT NULL) "
        f"SELECT {entity}, 1::BIGINT AS records, [source] AS sources, {singles} "
        "FROM sized WHERE n = 1 UNION ALL BY NAME "
        f"SELECT {entity}, count(*) AS records, list(DISTINCT source ORDER BY source) AS sources, "
        + ", ".join(picks)
        + f" FROM (SELECT *, {keys} FROM sized WHERE n > 1) GROUP BY {entity}"
    )
