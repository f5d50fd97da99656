"""National deciles (desil 1-10) from predicted per-capita expenditure.

Households are sorted poorest first by predicted log pce; ties are broken by a hash of the
family id (not by the order rows arrived in), so the same data always gives the same deciles.
With ``base = "people"`` (the default) each household sits at the midpoint of the people-weighted
cumulative distribution, so each decile holds about 10% of the *people*; with ``base =
"households"`` each decile holds about 10% of the households (BPS's choice is not public:
DTSEN.md §2 [U]). The percentile (0-100) is kept beside the decile.
"""

from __future__ import annotations

from typing import Final, Literal

import duckdb

from tepat.errors import InvalidInput
from tepat.ranking.features import family_key

Base = Literal["people", "households"]
BASES: Final = ("people", "households")


def rank(
    con: duckdb.DuckDBPyConnection,
    *,
    scores: str = "pmt_scores",
    base: Base = "people",
    out: str = "ranked",
    ordered: bool = True,
    key: str = "family_id",
) -> dict[str, int]:
    """Write ``out``: family_id, members, log_pce, predicted_pce, percentile, desil; in
    family_id order unless ``ordered=False`` (the same rows, in no particular order). ``key``
    joins ``scores`` to ``rank_households``: ``family_id``, or an integer column standing one
    to one for it (``out`` then holds it too; ties are still broken by the family id)."""
    if base not in BASES:
        raise InvalidInput(f"decile base must be one of {', '.join(BASES)}, not {base!r}")
    family_key(key)
    weight = "greatest(h.members, 1)" if base == "people" else "1"
    also = "" if key == "family_id" else f", {key}"
    # The weights are whole numbers, so their sums are exact in any order: the total is summed
    # apart from the window (one pass, no second window over all rows).
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {out} AS
        WITH s AS (
            SELECT h.family_id{also}, h.members, s.log_pce, {weight}::DOUBLE AS w
            FROM rank_households h JOIN {scores} s USING ({key})
        ),
        c AS (
            SELECT *, sum(w) OVER (ORDER BY log_pce, hash(family_id), family_id
                                   ROWS UNBOUNDED PRECEDING) AS upto,
                   (SELECT sum(w) FROM s) AS total
            FROM s
        )
        SELECT family_id{also}, members, log_pce, exp(log_pce) AS predicted_pce,
               round(100 * (upto - w / 2) / total, 4) AS percentile,
               least(10, 1 + floor(10 * (upto - w / 2) / total))::SMALLINT AS desil
        FROM c {"ORDER BY family_id" if ordered else ""}
        """
    )
    rows = con.execute(f"SELECT count(*), coalesce(sum(members), 0) FROM {out}").fetchall()[0]
    return {"households": int(rows[0]), "people": int(rows[1])}


def distribution(con: duckdb.DuckDBPyConnection, table: str = "ranked") -> list[dict[str, float]]:
    """People and households per desil, with the share of people."""
    rows = con.execute(
        f"""
        SELECT desil, sum(members) AS people, count(*) AS households
        FROM {table} GROUP BY desil ORDER BY desil
        """
    ).fetchall()
    total = sum(int(r[1]) for r in rows) or 1
    return [
        {
            "desil": int(d),
            "people": int(p),
            "households": int(h),
            "share_people": round(int(p) / total, 4),
        }
        for d, p, h in rows
    ]
