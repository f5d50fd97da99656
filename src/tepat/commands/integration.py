"""Commands for integration: ``tepat integrate``, ``tepat evaluate linkage``, ``tepat review``."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tepat.commands.common import err, out, parse_date, run, settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

evaluate_app = typer.Typer(
    help="Measure accuracy against synthetic ground truth.", no_args_is_help=True
)
review_app = typer.Typer(help="Clerical review of uncertain record pairs.", no_args_is_help=True)


def integrate_command(
    as_of: Annotated[str, typer.Option(help="Reference date for NIK centuries, YYYY-MM-DD")] = (
        "2025-06-30"
    ),
    load: Annotated[bool, typer.Option(help="Load the golden records into the registry")] = True,
    model: Annotated[
        Path | None,
        typer.Option(
            help="A trained model (model.json of an earlier run) to reuse instead of training"
        ),
    ] = None,
    memory_limit: Annotated[str, typer.Option(help="Memory budget of the DuckDB engine")] = "4GB",
) -> None:
    """Link the newest batch of every source into people and families; build golden records."""
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work
    from tepat.db.migrate import upgrade
    from tepat.pipeline.integrate import integrate
    from tepat.registry.load_golden import load_golden

    cfg = settings()
    reference = parse_date(as_of, "--as-of")
    trained = json.loads(model.read_text()) if model else None
    engine = engine_from_settings(cfg)
    run(lambda: upgrade(engine))
    factory = session_factory(engine)
    with err.status("integrating...") as status, unit_of_work(factory) as session:
        result = run(
            lambda: integrate(
                session=session,
                data_dir=cfg.data_dir,
                reference_date=reference,
                trained_model=trained,
                memory_limit=memory_limit,
                progress=lambda m: status.update(m + "..."),
            )
        )
        loaded = None
        if load:
            status.update("loading golden records into the registry...")
            loaded = run(lambda: load_golden(session.connection(), result.folder, replace=True))
    t = result.timings
    out.print(f"[bold]Integration run {result.run_id}[/] over batches: {', '.join(result.batches)}")
    out.print(
        f"  {result.records:,} source records -> {result.persons:,} people in "
        f"{result.families:,} families ({result.blocked_pairs:,} pairs compared)"
    )
    out.print(
        f"  clerical review: {result.review_queued:,} new uncertain pairs, "
        f"{result.review_pending_total:,} waiting in the queue (`tepat review list`)"
    )
    out.print(
        f"  membership conflicts resolved by most recent evidence: {result.membership_conflicts:,}"
    )
    out.print("  time: " + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in t.items()))
    if loaded:
        out.print(
            f"  registry: {loaded.households:,} households, {loaded.people:,} people "
            f"({loaded.unconfirmed_people:,} not found in the newest census: status "
            f"unknown), {loaded.provenance:,} provenance records"
        )
    out.print(f"  outputs: {result.folder}")


def _scores_row(table: Table, label: str, s: Any) -> None:
    table.add_row(
        label,
        f"{s.precision:.4f}",
        f"{s.recall:.4f}",
        f"{s.f1:.4f}",
        f"{s.true_positives:,}",
        f"{s.predicted:,}",
        f"{s.actual:,}",
    )


@evaluate_app.command("linkage")
def evaluate_linkage(
    truth: Annotated[Path, typer.Option(help="Output folder of `tepat synth` (its truth/)")],
    run_folder: Annotated[
        Path | None, typer.Option("--run", help="Integration run folder (default: the newest)")
    ] = None,
    threshold: Annotated[float, typer.Option(help="Match threshold of the pairwise scores")] = 0.9,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON only")] = False,
) -> None:
    """Precision, recall and F1 of person and family linkage, by noise type and source pair."""
    import pyarrow.parquet as pq

    from tepat.errors import InvalidInput
    from tepat.linkage.evaluate import evaluate, evaluate_families
    from tepat.pipeline.integrate import latest_run

    cfg = settings()
    folder = run_folder or run(lambda: latest_run(cfg.data_dir))
    truth_file = truth / "truth" / "source_records.parquet"
    if not truth_file.exists():
        run(
            lambda: (_ for _ in ()).throw(
                InvalidInput(
                    f"{truth_file} is missing: --truth must be a `tepat synth` output folder"
                )
            )
        )
    source_truth = pq.read_table(truth_file)
    records = pq.read_table(folder / "records.parquet")
    report = evaluate(
        records=records.select(["uid", "source", "record_id"]),
        clusters=records.select(["uid", "cluster_id"]),
        pairs=pq.read_table(folder / "pairs.parquet"),
        truth=source_truth,
        threshold=threshold,
    )
    families = evaluate_families(
        records=records.select(["source", "record_id", "household_key"]),
        families=pq.read_table(folder / "families.parquet"),
        truth=source_truth.select(["source", "record_id", "household_id"]),
    )
    result = {**report.as_dict(), "families": families.__dict__}
    (folder / "evaluation.json").write_text(json.dumps(result, indent=2))
    if json_out:
        out.print_json(json.dumps(result))
        return
    out.print(
        f"[bold]Linkage accuracy[/] of {folder.name}: {report.records:,} records, "
        f"{report.true_persons:,} true people, {report.predicted_clusters:,} clusters"
    )
    table = Table("", "precision", "recall", "F1", "true pos.", "predicted", "actual")
    _scores_row(table, f"people, pairwise (p >= {threshold})", report.pairwise)
    _scores_row(table, "people, cluster", report.cluster)
    _scores_row(table, "families, pairwise", families)
    for pair, s in report.by_source_pair.items():
        _scores_row(table, f"  cluster {pair}", s)
    out.print(table)
    out.print(
        f"  exact clusters: precision {report.exact_cluster_precision:.4f}, recall "
        f"{report.exact_cluster_recall:.4f}"
    )
    noise = Table("noise type", "records", "true pairs", "cluster recall", "cluster precision")
    for label, v in report.by_noise.items():
        noise.add_row(
            label,
            f"{v['records']:,}",
            f"{v['true_pairs']:,}",
            f"{v['cluster_recall']:.4f}" if v["cluster_recall"] is not None else "-",
            f"{v['cluster_precision']:.4f}" if v["cluster_precision"] is not None else "-",
        )
    out.print(noise)
    out.print(f"  written to {folder / 'evaluation.json'}")


def _session() -> AbstractContextManager[Session]:
    """A unit of work on the migrated registry database."""
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work
    from tepat.db.migrate import upgrade

    engine = engine_from_settings(settings())
    run(lambda: upgrade(engine))
    return unit_of_work(session_factory(engine))


@review_app.command("list")
def review_list(limit: int = 20) -> None:
    """Pending pairs, most uncertain first."""
    from tepat.linkage.review import pending

    with _session() as session:
        rows = pending(session, limit=limit)
        table = Table("id", "probability", "left record", "right record")
        for r in rows:
            table.add_row(str(r.id), f"{r.match_probability or 0:.3f}", r.left_key, r.right_key)
    out.print(table if rows else "no pairs are waiting for review")


def _decide(review_id: int, accept: bool, by: str, reason: str | None) -> None:
    from tepat.linkage.review import decide

    with _session() as session:
        r = run(lambda: decide(session, review_id, accept=accept, actor=by, reason=reason))
        out.print(f"review {r.id}: {r.status} by {by}; the next `tepat integrate` applies it")


@review_app.command("accept")
def review_accept(
    review_id: int, by: Annotated[str, typer.Option(help="Reviewer")], reason: str | None = None
) -> None:
    """The two records are the same person: merge them."""
    _decide(review_id, True, by, reason)


@review_app.command("reject")
def review_reject(
    review_id: int, by: Annotated[str, typer.Option(help="Reviewer")], reason: str | None = None
) -> None:
    """The two records are different people: never merge them."""
    _decide(review_id, False, by, reason)


@review_app.command("split")
def review_split(
    left: str,
    right: str,
    by: Annotated[str, typer.Option(help="Reviewer")],
    reason: Annotated[str, typer.Option(help="Why the merge was wrong")],
) -> None:
    """Undo a merge of two records (keys SOURCE:RECORD_ID), made by a reviewer or the model."""
    from tepat.linkage.review import split

    with _session() as session:
        r = run(lambda: split(session, left, right, actor=by, reason=reason))
        out.print(f"{r.left_key} and {r.right_key} will be kept apart (review {r.id})")
