"""Linkage accuracy against ground truth: pairwise and cluster precision, recall and F1.

Definitions (all over record pairs, counted without enumerating true pairs):
- *pairwise*: the pairs Splink scored at or above the match threshold, against true pairs;
- *cluster*: every pair of records placed in the same cluster (after transitive closure),
  against true pairs; plus the share of predicted clusters that are exactly a true person
  (exact-cluster precision) and of true persons recovered exactly (exact-cluster recall);
- *by noise type*: for each noise label, the cluster recall of true pairs that involve a record
  carrying that noise, and the cluster precision of predicted pairs involving one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 with the counts behind them."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    actual: int

    @classmethod
    def of(cls, tp: int, predicted: int, actual: int) -> Scores:
        """Scores from counts (an empty denominator scores 1.0: nothing to get wrong)."""
        p = tp / predicted if predicted else 1.0
        r = tp / actual if actual else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(round(p, 6), round(r, 6), round(f, 6), tp, predicted, actual)


@dataclass
class LinkageReport:
    """Everything ``tepat evaluate linkage`` prints and writes."""

    records: int
    true_persons: int
    predicted_clusters: int
    threshold: float
    pairwise: Scores
    cluster: Scores
    exact_cluster_precision: float
    exact_cluster_recall: float
    by_noise: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_source_pair: dict[str, Scores] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def _pairs_sql(group_col: str, table: str) -> str:
    return (
        "SELECT coalesce(sum(n * (n - 1) / 2), 0) "
        f"FROM (SELECT count(*) n FROM {table} GROUP BY {group_col})"
    )


def evaluate(
    *,
    records: pa.Table,
    clusters: pa.Table,
    pairs: pa.Table,
    truth: pa.Table,
    threshold: float,
) -> LinkageReport:
    """Score a linkage run.

    Args:
        records: ``uid``, ``source``, ``record_id`` of every linked record.
        clusters: ``uid``, ``cluster_id``.
        pairs: ``uid_l``, ``uid_r``, ``match_probability`` (the scored pairs).
        truth: ``source``, ``record_id``, ``person_id``, ``noise`` (comma-separated labels).
        threshold: the match threshold the pairwise scores use.
    """
    con = duckdb.connect()
    for name, table in (
        ("records", records),
        ("clusters", clusters),
        ("pairs", pairs),
        ("truth", truth),
    ):
        con.register(f"{name}_in", table)
    con.execute(
        "CREATE TABLE lab AS SELECT r.uid, r.source, t.person_id, c.cluster_id, "
        "coalesce(t.noise, '') AS noise FROM records_in r "
        "JOIN truth_in t USING (source, record_id) JOIN clusters_in c USING (uid)"
    )
    n_records = con.execute("SELECT count(*) FROM lab").fetchall()[0][0]
    actual = con.execute(_pairs_sql("person_id", "lab")).fetchall()[0][0]
    in_clusters = con.execute(_pairs_sql("cluster_id", "lab")).fetchall()[0][0]
    both = con.execute(_pairs_sql("cluster_id, person_id", "lab")).fetchall()[0][0]
    cluster = Scores.of(int(both), int(in_clusters), int(actual))
    scored = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE a.person_id = b.person_id) FROM pairs_in p "
        "JOIN lab a ON a.uid = p.uid_l JOIN lab b ON b.uid = p.uid_r "
        f"WHERE p.match_probability >= {float(threshold)}"
    ).fetchall()[0]
    pairwise = Scores.of(int(scored[1]), int(scored[0]), int(actual))
    exact = con.execute(
        "WITH c AS (SELECT cluster_id, min(person_id) lo, max(person_id) hi, count(*) n "
        "FROM lab GROUP BY cluster_id), p AS (SELECT person_id, count(*) n FROM lab GROUP BY "
        "person_id) SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM p), "
        "(SELECT count(*) FROM c JOIN p ON c.lo = c.hi AND p.person_id = c.lo AND p.n = c.n)"
    ).fetchall()[0]
    n_clusters, n_persons, n_exact = (int(x) for x in exact)
    by_noise = _by_noise(con)
    by_source = _by_source_pair(con)
    return LinkageReport(
        records=int(n_records),
        true_persons=n_persons,
        predicted_clusters=n_clusters,
        threshold=threshold,
        pairwise=pairwise,
        cluster=cluster,
        exact_cluster_precision=round(n_exact / n_clusters, 6) if n_clusters else 1.0,
        exact_cluster_recall=round(n_exact / n_persons, 6) if n_persons else 1.0,
        by_noise=by_noise,
        by_source_pair=by_source,
    )


def _by_noise(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Cluster recall and precision of pairs that involve a record with each noise label."""
    con.execute(
        "CREATE TABLE lab_noise AS SELECT uid, unnest(string_split(noise, ',')) AS label "
        "FROM lab WHERE noise <> ''"
    )
    rows = con.execute(
        """
        WITH noisy AS (SELECT DISTINCT n.label, l.uid, l.person_id, l.cluster_id
                       FROM lab_noise n JOIN lab l USING (uid)),
        true_pairs AS (
            SELECT n.label, count(*) AS actual,
                   count(*) FILTER (WHERE o.cluster_id = n.cluster_id) AS found
            FROM noisy n JOIN lab o ON o.person_id = n.person_id AND o.uid <> n.uid
            GROUP BY n.label),
        predicted AS (
            SELECT n.label, count(*) AS predicted,
                   count(*) FILTER (WHERE o.person_id = n.person_id) AS right
            FROM noisy n JOIN lab o ON o.cluster_id = n.cluster_id AND o.uid <> n.uid
            GROUP BY n.label),
        records AS (SELECT label, count(DISTINCT uid) AS records FROM noisy GROUP BY label)
        SELECT r.label, r.records, coalesce(t.actual, 0), coalesce(t.found, 0),
               coalesce(p.predicted, 0), coalesce(p.right, 0)
        FROM records r LEFT JOIN true_pairs t USING (label) LEFT JOIN predicted p USING (label)
        ORDER BY r.label
        """
    ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for label, records, actual, found, predicted, right in rows:
        out[str(label)] = {
            "records": int(records),
            "true_pairs": int(actual),
            "cluster_recall": round(found / actual, 6) if actual else None,
            "cluster_precision": round(right / predicted, 6) if predicted else None,
        }
    return out


def _by_source_pair(con: duckdb.DuckDBPyConnection) -> dict[str, Scores]:
    """Cluster scores of pairs within and across sources (dtks-dtks, dtks-regsosek, ...)."""
    rows = con.execute(
        """
        WITH cand AS (
            SELECT a.uid AS ua, b.uid AS ub FROM lab a JOIN lab b
              ON a.person_id = b.person_id AND a.uid < b.uid
            UNION
            SELECT a.uid, b.uid FROM lab a JOIN lab b
              ON a.cluster_id = b.cluster_id AND a.uid < b.uid),
        pr AS (
            SELECT least(a.source, b.source) || '-' || greatest(a.source, b.source) AS pair,
                   a.person_id = b.person_id AS same_person,
                   a.cluster_id = b.cluster_id AS same_cluster
            FROM cand JOIN lab a ON a.uid = cand.ua JOIN lab b ON b.uid = cand.ub)
        SELECT pair, count(*) FILTER (WHERE same_person AND same_cluster),
               count(*) FILTER (WHERE same_cluster), count(*) FILTER (WHERE same_person)
        FROM pr GROUP BY pair ORDER BY pair
        """
    ).fetchall()
    return {str(pair): Scores.of(int(tp), int(pred), int(act)) for pair, tp, pred, act in rows}


def evaluate_families(*, records: pa.Table, families: pa.Table, truth: pa.Table) -> Scores:
    """Pairwise scores of family linkage over source family records.

    Args:
        records: ``source``, ``record_id``, ``household_key`` of every linked record.
        families: ``family_key`` (``source:household_key``), ``family_id``.
        truth: ``source``, ``record_id``, ``household_id`` (the true family of each row).
    A source family's true family is the one most of its rows belong to.
    """
    con = duckdb.connect()
    con.register("records_in", records)
    con.register("families_in", families)
    con.register("truth_in", truth)
    con.execute(
        "CREATE TABLE ft AS SELECT r.source || ':' || r.household_key AS family_key, "
        "mode(t.household_id) AS true_family FROM records_in r "
        "JOIN truth_in t USING (source, record_id) WHERE r.household_key IS NOT NULL GROUP BY 1"
    )
    con.execute("CREATE TABLE fl AS SELECT * FROM families_in JOIN ft USING (family_key)")
    tp = con.execute(_pairs_sql("family_id, true_family", "fl")).fetchall()[0][0]
    predicted = con.execute(_pairs_sql("family_id", "fl")).fetchall()[0][0]
    actual = con.execute(_pairs_sql("true_family", "fl")).fetchall()[0][0]
    return Scores.of(int(tp), int(predicted), int(actual))
