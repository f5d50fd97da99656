"""``tepat link``: find the same people in any person file, described by a mapping file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tepat.commands.common import err, parse_date, run
from tepat.commands.common import out as console

# tepat.linkage.anyfile.MATCH_THRESHOLD and PAIR_THRESHOLD, repeated here so that the command
# line starts without importing the linkage stack (a test checks they agree).
MATCH_THRESHOLD = 0.95
PAIR_THRESHOLD = 0.5


def link_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE", help="The file(s) the mapping describes, in the order of its files"
        ),
    ],
    mapping: Annotated[
        Path,
        typer.Option(help="Mapping file (TOML) from the file's columns to ours: docs/MAPPING.md"),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Output folder: new, empty, or an earlier `tepat link` output (replaced)"
        ),
    ],
    threshold: Annotated[
        float,
        typer.Option(help="Match probability at or above which two records are one person"),
    ] = MATCH_THRESHOLD,
    as_of: Annotated[
        str | None,
        typer.Option(help="Data cut, YYYY-MM-DD: later birth dates are refused (default today)"),
    ] = None,
) -> None:
    """Link the people of a person file that is not one of our sources, given a mapping.

    Writes pairs with match probabilities, clusters (one per person), the quarantined rows and
    a summary to --out.
    """
    from tepat.linkage.anyfile import link_file
    from tepat.linkage.link import LinkageSettings
    from tepat.sources.mapping import load_mapping

    reference = parse_date(as_of, "--as-of") if as_of else date.today()
    if not 0.0 < threshold <= 1.0:
        err.print(f"[bold red]error:[/] --threshold must be above 0 and at most 1, not {threshold}")
        raise typer.Exit(2)
    # A bad mapping or a missing file exits 2 with the file and the reason.
    chosen = run(lambda: load_mapping(mapping))
    settings = LinkageSettings(
        match_threshold=threshold, review_threshold=min(PAIR_THRESHOLD, threshold)
    )
    with err.status(f"linking {chosen.name}...") as status:
        result = run(
            lambda: link_file(
                files=files,
                mapping=chosen,
                out_dir=out,
                reference_date=reference,
                settings=settings,
                progress=lambda m: status.update(f"{chosen.name}: {m}..."),
            )
        )
    console.print(
        f"[bold]tepat link[/] {escape(result.source)} with {escape(str(mapping))}",
        highlight=False,
    )
    for f in result.files:
        console.print(
            f"  {escape(f.name)} ({f.role}): {f.rows_in:,} rows in, {f.staged:,} staged, "
            f"{f.quarantined:,} quarantined, {f.blank:,} blank lines",
            highlight=False,
        )
    mark = "[green]reconciled[/]" if result.reconciled else "[bold red]DOES NOT RECONCILE[/]"
    console.print(
        f"  rows in {result.rows_in:,} = staged {result.rows_staged:,} + quarantined "
        f"{result.rows_quarantined:,}: {mark}",
        highlight=False,
    )
    for reason, count in result.reasons[:8]:
        console.print(f"    {count:>8,}  {reason}", markup=False, highlight=False)
    if len(result.reasons) > 8:
        console.print(f"    ... and {len(result.reasons) - 8} more reasons", highlight=False)
    console.print(
        f"  records linked: {result.records_linked:,} (compared on "
        f"{', '.join(result.comparisons)})",
        highlight=False,
    )
    console.print(
        f"  pairs scored: {result.pairs_compared:,} compared, {result.pairs_scored:,} at "
        f"p >= {result.pair_threshold:g} written, {result.pairs_linked:,} linked at "
        f"p >= {result.match_threshold:g}",
        highlight=False,
    )
    console.print(
        f"  clusters: {result.clusters:,} people, {result.clusters_multi:,} with 2+ records "
        f"(holding {result.records_in_multi:,} records)",
        highlight=False,
    )
    console.print(
        f"  written to {result.out_dir}/ (pairs.parquet, clusters.parquet, clusters.csv, "
        "quarantine.csv, summary.json)",
        markup=False,
        highlight=False,
    )
    if not result.reconciled:
        raise typer.Exit(1)
