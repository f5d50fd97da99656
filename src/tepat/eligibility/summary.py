"""Beneficiaries and yearly cost per program, nationally or per region, from the batch tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from tepat.errors import InvalidInput

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

Level = Literal["national", "province", "regency", "district", "village"]
LEVELS: Final[tuple[Level, ...]] = ("national", "province", "regency", "district", "village")


def summarise(con: duckdb.DuckDBPyConnection, level: Level = "national") -> pa.Table:
    """One row per program (and region code at ``level``) after :func:`evaluate`.

    Columns: ``program``, ``unit`` (household or person), ``region_code`` (NULL nationally),
    ``households`` (families with at least one beneficiary), ``people`` (beneficiaries of a
    person program; living members of beneficiary families for a household program) and
    ``cost_year`` (Rupiah per year).
    """
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    region = "CAST(NULL AS VARCHAR)" if level == "national" else f"h.{level}_code"
    sql = f"""
        SELECT e.program,
          CASE WHEN bool_and(e.person_key IS NULL) THEN 'household' ELSE 'person' END AS unit,
          {region} AS region_code,
          count(DISTINCT e.family_id) AS households,
          CAST(sum(CASE WHEN e.person_key IS NULL THEN h.members ELSE 1 END) AS BIGINT)
            AS people,
          CAST(sum(e.amount_year) AS BIGINT) AS cost_year
        FROM eligibility e JOIN eligibility_households h ON h.family_id = e.family_id
        WHERE e.eligible
        GROUP BY e.program, {region}
        ORDER BY e.program, region_code NULLS FIRST
    """
    relation = con.sql(sql)
    # DuckDB >= 1.4 names it to_arrow_table; older versions arrow.
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    table: pa.Table = fetch()
    return table
