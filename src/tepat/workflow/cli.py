"""Commands of the workflow: ``workflow notices`` (after loading a release) and
``workflow flags`` (what the next cycle will read). Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tepat.commands.common import out, run, settings

workflow_app = typer.Typer(
    help="Proposals, objections, notices and appeals (see docs/WORKFLOW.md).", no_args_is_help=True
)


@workflow_app.command("notices")
def notices_command(
    release_id: Annotated[str, typer.Argument(help="The release just loaded (now current).")],
    folder: Annotated[
        Path | None,
        typer.Option(help="The release's folder: reasons from its eligibility decisions."),
    ] = None,
) -> None:
    """Create a notice for every family that lost a program since the previous release."""
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work
    from tepat.workflow.notices import create_notices_for_release

    config = settings()
    engine = engine_from_settings(config)
    with unit_of_work(session_factory(engine)) as db:
        created = run(
            lambda: create_notices_for_release(
                db=db, release_id=release_id, appeal_days=config.appeal_days, folder=folder
            )
        )
    out.print(f"{created:,} notices created for release {release_id}")


@workflow_app.command("flags")
def flags_command() -> None:
    """List the open household flags (what the next cycle reads)."""
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work
    from tepat.workflow.common import open_flags

    engine = engine_from_settings(settings())
    with unit_of_work(session_factory(engine)) as db:
        flags = open_flags(db)
        table = Table("household", "village", "kind", "source", "reference", "since")
        for f in flags:
            table.add_row(
                str(f.household_id),
                f.village_code,
                f.kind,
                f.source,
                f.reference,
                f.created_at.isoformat(timespec="minutes"),
            )
    out.print(table)
    out.print(f"{len(flags):,} open flags")
