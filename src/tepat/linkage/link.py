"""Run person linkage with Splink on DuckDB: train (or reuse) the model, predict, cluster.

The input is a standardised table (``tepat.linkage.standardise``) with a ``uid`` column. Pairs
scored at or above ``match_threshold`` are merged; pairs between ``review_threshold`` and the
match threshold are returned for clerical review. Reviewers' decisions (by record keys, so they
survive re-runs) override the model: an accepted pair is merged whatever its score, a rejected
pair never is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from tepat.linkage import model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkageSettings:
    """Thresholds and training effort."""

    match_threshold: float = 0.9
    review_threshold: float = 0.5
    u_max_pairs: float = 2e6
    em_max_pairs: float = 2e6
    seed: int = 1


@dataclass(frozen=True)
class Decision:
    """A reviewer's verdict on a pair of records, keyed by ``source:record_id``."""

    left: str
    right: str
    accept: bool


@dataclass
class LinkageRun:
    """What one linkage run produced."""

    pairs: pa.Table  # uid_l, uid_r, match_probability, match_weight
    clusters: pa.Table  # uid, cluster_id
    review: pa.Table  # uid_l, uid_r, match_probability: undecided pairs in the review band
    model: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    blocked_pairs: int = 0


def record_key(source: str, record_id: str) -> str:
    """Stable key of a source record across runs (uids are per run)."""
    return f"{source}:{record_id}"


def _train(linker: Any, settings: LinkageSettings) -> None:
    linker.training.estimate_probability_two_random_records_match(
        ["l.nik_clean = r.nik_clean and l.name_std = r.name_std"], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.u_max_pairs, seed=settings.seed
    )
    for rule in model.TRAINING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=settings.em_max_pairs
        )


def link_records(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    *,
    settings: LinkageSettings | None = None,
    trained_model: dict[str, Any] | None = None,
    decisions: Iterable[Decision] = (),
) -> LinkageRun:
    """Link the standardised records in DuckDB table ``table_name`` (needs ``uid``, ``source``,
    ``record_id`` and the standardised columns).

    Args:
        con: the DuckDB connection holding the table; Splink works inside it.
        table_name: the input table.
        settings: thresholds and training effort.
        trained_model: a model saved by an earlier run (``LinkageRun.model``); when given, no
            training happens (quarterly runs keep their parameters).
        decisions: reviewers' verdicts to apply before clustering.
    """
    from splink import DuckDBAPI, Linker
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    settings = settings or LinkageSettings()
    timings: dict[str, float] = {}
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.WARNING)
    db_api = DuckDBAPI(con)
    sdf = db_api.register(table_name)
    started = time.perf_counter()
    if trained_model is not None:
        linker = Linker(sdf, trained_model, log_level=logging.WARNING)
    else:
        linker = Linker(sdf, model.settings(), log_level=logging.WARNING)
        _train(linker, settings)
    timings["train_s"] = time.perf_counter() - started

    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=settings.review_threshold)
    con.execute(
        "CREATE OR REPLACE TABLE link_pairs AS SELECT uid_l, uid_r, match_probability, "
        f"match_weight FROM {predictions.physical_name}"
    )
    timings["predict_s"] = time.perf_counter() - started

    started = time.perf_counter()
    _apply_decisions(con, table_name, decisions)
    con.execute(f"CREATE OR REPLACE TABLE link_nodes AS SELECT uid FROM {table_name}")
    clusters = cluster_pairwise_predictions_at_threshold(
        "link_nodes",
        "link_edges",
        db_api,
        node_id_column_name="uid",
        edge_id_column_name_left="uid_l",
        edge_id_column_name_right="uid_r",
        threshold_match_probability=settings.match_threshold,
    )
    con.execute(
        f"CREATE OR REPLACE TABLE link_clusters AS SELECT uid, cluster_id "
        f"FROM {clusters.physical_name}"
    )
    timings["cluster_s"] = time.perf_counter() - started
    review = con.sql(
        "SELECT e.uid_l, e.uid_r, e.match_probability FROM link_edges e "
        f"WHERE e.decided = false AND e.match_probability < {settings.match_threshold}"
    ).to_arrow_table()
    blocked = con.execute("SELECT count(*) FROM link_pairs").fetchall()[0]
    return LinkageRun(
        pairs=con.sql("SELECT * FROM link_pairs").to_arrow_table(),
        clusters=con.sql("SELECT * FROM link_clusters").to_arrow_table(),
        review=review,
        model=linker.misc.save_model_to_json(),
        timings=timings,
        blocked_pairs=int(blocked[0]) if blocked else 0,
    )


def _apply_decisions(
    con: duckdb.DuckDBPyConnection, table_name: str, decisions: Iterable[Decision]
) -> None:
    """Build ``link_edges``: scored pairs, accepted pairs forced to 1, rejected ones to 0."""
    rows = [(d.left, d.right, d.accept) for d in decisions]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE link_decisions (a VARCHAR, b VARCHAR, accept BOOLEAN)"
    )
    if rows:
        con.executemany("INSERT INTO link_decisions VALUES (?, ?, ?)", rows)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE decided AS
        SELECT least(l.uid, r.uid) AS uid_l, greatest(l.uid, r.uid) AS uid_r, d.accept
        FROM link_decisions d
        JOIN {table_name} l ON l.source || ':' || l.record_id = d.a
        JOIN {table_name} r ON r.source || ':' || r.record_id = d.b
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE link_edges AS
        SELECT coalesce(p.uid_l, d.uid_l) AS uid_l, coalesce(p.uid_r, d.uid_r) AS uid_r,
               CASE WHEN d.accept THEN 1.0 WHEN NOT d.accept THEN 0.0
                    ELSE p.match_probability END AS match_probability,
               d.accept IS NOT NULL AS decided
        FROM link_pairs p FULL OUTER JOIN decided d
          ON least(p.uid_l, p.uid_r) = d.uid_l AND greatest(p.uid_l, p.uid_r) = d.uid_r
        """
    )
