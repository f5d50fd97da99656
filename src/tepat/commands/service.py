"""Commands of the registry service: ``serve``, ``users add`` / ``users list``, ``audit verify``,
``events import``.

Heavy imports (FastAPI, uvicorn, argon2) happen inside the commands, so ``tepat --help`` stays
fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tepat.commands.common import err, out, run, settings

users_app = typer.Typer(help="Accounts of the registry service.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes (PostgreSQL only; SQLite has one writer, so one process)",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Run the registry service (REST API and pages; OpenAPI at /docs) with uvicorn."""
    import uvicorn

    from tepat.db.engine import engine_from_settings
    from tepat.db.migrate import current_revision, head_revision
    from tepat.web.app import create_app

    config = settings()
    engine = engine_from_settings(config)
    try:
        at, head = current_revision(engine), head_revision()
        if at != head:
            err.print(
                f"[yellow]warning:[/] the database is at {at or 'no revision'}, the code needs "
                f"{head}: run `tepat db upgrade` (/ready answers 503 until then)"
            )
    except Exception as exc:  # the service still starts; /ready tells the orchestrator
        err.print(f"[yellow]warning:[/] the database does not answer ({type(exc).__name__})")
    finally:
        engine.dispose()
    if workers > 1 and engine.dialect.name == "sqlite":
        err.print("[yellow]warning:[/] SQLite has a single writer: serving with one worker")
        workers = 1
    out.print(f"serving on http://{host}:{port} (pages at /, API docs at /docs)")
    if workers == 1:
        uvicorn.run(create_app(config), host=host, port=port)
    else:
        # Each worker process builds its app from the same environment (TEPAT_* variables).
        uvicorn.run("tepat.web.app:create_app", factory=True, host=host, port=port, workers=workers)


def _read_password(username: str) -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            err.print("[bold red]error:[/] no password on standard input (one line expected)")
            raise typer.Exit(2)
        return password
    value: str = typer.prompt(f"password for {username}", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name: lowercase letters, digits, . _ -")],
    role: Annotated[
        str,
        typer.Option(
            help="village_operator, facilitator, district_office, "
            "province_office, national_admin, program_manager, auditor"
        ),
    ],
    region: Annotated[
        list[str] | None,
        typer.Option(help="Region code the account holds (repeat for several); ID = national"),
    ] = None,
) -> None:
    """Create an account. The password is read from standard input, or prompted for."""
    from tepat.access.roles import ROLE_INFO, role_problem
    from tepat.access.service import create_user, normalise_regions
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work

    codes = list(region or [])
    if role in ROLE_INFO and not codes and ROLE_INFO[role].levels == ("national",):
        codes = ["ID"]
    # Check the role and regions before asking for a password.
    problem = role_problem(role, run(lambda: normalise_regions(codes)))
    if problem:
        err.print(f"[bold red]error:[/] {problem}", highlight=False)
        raise typer.Exit(2)
    password = _read_password(username)
    engine = engine_from_settings(settings())
    with unit_of_work(session_factory(engine)) as db:
        user = run(
            lambda: create_user(
                db=db, username=username, password=password, role=role, regions=codes
            )
        )
        held = ", ".join(r.region_code for r in user.regions)
        out.print(f"created {user.username} ({user.role}) holding {held}", highlight=False)


@users_app.command("list")
def users_list() -> None:
    """List the accounts with their roles and regions."""
    from tepat.access.service import list_users
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work

    engine = engine_from_settings(settings())
    table = Table("username", "role", "regions", "active", "created")
    with unit_of_work(session_factory(engine)) as db:
        for user in run(lambda: list_users(db=db)):
            table.add_row(
                user.username,
                user.role,
                ", ".join(r.region_code for r in user.regions),
                "yes" if user.active else "no",
                f"{user.created_at:%Y-%m-%d %H:%M}",
            )
    out.print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain: exit 0 with the count if intact, 1 naming the first bad entry."""
    from tepat.access.audit import verify
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work

    engine = engine_from_settings(settings())
    with unit_of_work(session_factory(engine)) as db:
        check = run(lambda: verify(db))
    if check.ok:
        out.print(f"audit chain intact: {check.entries:,} entries")
        return
    err.print(
        f"[bold red]audit chain broken[/] at entry {check.bad_id}: {check.problem} "
        f"({check.entries:,} entries verified before it)",
        highlight=False,
    )
    raise typer.Exit(1)


events_app = typer.Typer(help="Life events and civil-registry feeds.", no_args_is_help=True)


@events_app.command("import")
def events_import(
    file: Annotated[Path, typer.Argument(help="Events: JSON lines (.jsonl) or CSV (.csv)")],
    source: Annotated[str, typer.Option(help="Provenance source of the values")] = "dukcapil",
    actor: Annotated[str, typer.Option(help="Actor name in the audit log")] = "dukcapil-feed",
    chunk_size: Annotated[
        int, typer.Option(help="Events per chunk (one commit each)", min=1)
    ] = 5000,
    file_format: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv (default: by the file's suffix)")
    ] = None,
) -> None:
    """Apply a civil-registry event file as the national system account, line by line.

    Exit code 0 when every line was applied or already applied, 1 when some were rejected
    (they are listed), 2 when the file cannot be read.
    """
    import time

    from tepat.access.principal import Principal
    from tepat.db.engine import engine_from_settings, session_factory
    from tepat.registry.event_batch import apply_batch, read_lines

    fmt = file_format or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    if fmt not in ("jsonl", "csv"):
        err.print(f"[bold red]error:[/] --format must be jsonl or csv, not {fmt!r}")
        raise typer.Exit(2)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"[bold red]error:[/] cannot read {file}: {exc}", highlight=False)
        raise typer.Exit(2) from None
    system = Principal(user_id=0, username=actor[:64], role="national_admin", regions=("ID",))
    engine = engine_from_settings(settings())
    started = time.perf_counter()
    with session_factory(engine)() as db:
        summary = run(
            lambda: apply_batch(
                db=db,
                principal=system,
                lines=read_lines(text, fmt),
                source=source,
                purpose="civil registry feed (lampid)",
                chunk_size=chunk_size,
                after_chunk=db.commit,
            )
        )
        db.commit()
    seconds = time.perf_counter() - started
    rate = summary.applied / seconds if seconds > 0 else 0.0
    out.print(
        f"{summary.received:,} events received: {summary.applied:,} applied, "
        f"{summary.duplicates:,} already applied, {len(summary.rejected):,} rejected "
        f"in {seconds:.1f} s ({rate:,.0f} events/s)"
    )
    for rejected in summary.rejected[:50]:
        out.print(
            f"  line {rejected.line} ({rejected.event_id or 'no event_id'}): {rejected.reason}",
            markup=False,
            highlight=False,
        )
    if len(summary.rejected) > 50:
        out.print(f"  ... and {len(summary.rejected) - 50:,} more")
    if summary.rejected:
        raise typer.Exit(1)
