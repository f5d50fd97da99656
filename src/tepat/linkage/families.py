"""Family reconciliation: which source families are the same family, and where each person
belongs when sources disagree.

A *family record* is one source's family (DTKS ``IDJTG``, Regsosek ``id_keluarga``, P3KE family
id). Two family records are the same family when most members of the smaller one are the same
people (person clusters) as members of the other, or when they carry the same valid KK number
and share at least one person. Families are the connected groups of that graph.

A person found in two families keeps the membership with the most recent evidence
(``observed_on``; ties go to the source listed first in ``SOURCE_RECENCY``), and the conflict is
recorded with both sides.
"""

from __future__ import annotations

from typing import Final

import duckdb

# When two observations share a date, the source that is usually more current wins.
SOURCE_RECENCY: Final = ("field_verification", "regsosek", "p3ke", "dtks")


def reconcile_families(con: duckdb.DuckDBPyConnection, linked: str) -> dict[str, int]:
    """Build ``family_records``, ``family_edges``, ``families``, ``person_family`` and
    ``membership_conflicts`` in ``con`` from table ``linked`` (uid, source, household_key,
    cluster_id, kk_clean, observed_on). Returns counts.
    """
    from splink import DuckDBAPI
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    recency = ", ".join(f"('{s}', {i})" for i, s in enumerate(SOURCE_RECENCY))
    con.execute(
        f"""
        CREATE OR REPLACE TABLE family_records AS
        SELECT source || ':' || household_key AS family_key, source,
               count(DISTINCT cluster_id) AS persons,
               mode(kk_clean) AS kk, max(observed_on) AS observed_on
        FROM {linked} WHERE household_key IS NOT NULL
        GROUP BY ALL
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE family_members AS
        SELECT DISTINCT source || ':' || household_key AS family_key, cluster_id
        FROM {linked} WHERE household_key IS NOT NULL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE family_edges AS
        WITH shared AS (
            SELECT a.family_key AS key_l, b.family_key AS key_r, count(*) AS shared
            FROM family_members a JOIN family_members b
              ON a.cluster_id = b.cluster_id AND a.family_key < b.family_key
            GROUP BY ALL)
        SELECT s.key_l, s.key_r, s.shared,
               CASE WHEN s.shared * 2 >= least(fl.persons, fr.persons)
                      OR (fl.kk IS NOT NULL AND fl.kk = fr.kk)
                    THEN 1.0 ELSE 0.0 END AS match_probability
        FROM shared s
        JOIN family_records fl ON fl.family_key = s.key_l
        JOIN family_records fr ON fr.family_key = s.key_r
        """
    )
    db_api = DuckDBAPI(con)
    clusters = cluster_pairwise_predictions_at_threshold(
        "family_records",
        "family_edges",
        db_api,
        node_id_column_name="family_key",
        edge_id_column_name_left="key_l",
        edge_id_column_name_right="key_r",
        threshold_match_probability=0.5,
    )
    con.execute(
        "CREATE OR REPLACE TABLE families AS SELECT family_key, cluster_id AS family_id "
        f"FROM {clusters.physical_name}"
    )
    # Each person's candidate families, newest evidence first.
    con.execute(
        f"""
        CREATE OR REPLACE TABLE person_family_candidates AS
        SELECT l.cluster_id, f.family_id, max(l.observed_on) AS observed_on,
               min(coalesce(r.rank, 99)) AS source_rank, count(*) AS records,
               string_agg(DISTINCT l.source || ':' || l.household_key, ',') AS family_keys
        FROM {linked} l
        JOIN families f ON f.family_key = l.source || ':' || l.household_key
        LEFT JOIN (VALUES {recency}) r(source, rank) ON r.source = l.source
        GROUP BY l.cluster_id, f.family_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE person_family AS
        SELECT cluster_id, arg_max(family_id, (observed_on, -source_rank, family_id)) AS family_id
        FROM person_family_candidates GROUP BY cluster_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE membership_conflicts AS
        SELECT c.cluster_id, c.family_id AS other_family, c.family_keys AS other_keys,
               c.observed_on AS other_observed_on, p.family_id AS chosen_family,
               'most recent evidence wins' AS reason
        FROM person_family_candidates c JOIN person_family p USING (cluster_id)
        WHERE c.family_id <> p.family_id
        """
    )
    counts = con.execute(
        "SELECT (SELECT count(*) FROM family_records), (SELECT count(DISTINCT family_id) FROM "
        "families), (SELECT count(*) FROM membership_conflicts)"
    ).fetchall()[0]
    return {
        "family_records": int(counts[0]),
        "families": int(counts[1]),
        "membership_conflicts": int(counts[2]),
    }
