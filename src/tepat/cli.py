"""The ``tepat`` command line: thin wrappers that parse arguments and call services."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

app = typer.Typer(
    help="Tepat: DTSEN, Indonesia's socio-economic registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Create or migrate the registry database.", no_args_is_help=True)
regions_app = typer.Typer(help="Kemendagri region codes (2025).", no_args_is_help=True)
nik_app = typer.Typer(help="Check NIK numbers.", no_args_is_help=True)
kk_app = typer.Typer(help="Check KK (family card) numbers.", no_args_is_help=True)
registry_app = typer.Typer(help="Load and inspect the registry.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(regions_app, name="regions")
app.add_typer(nik_app, name="nik")
app.add_typer(kk_app, name="kk")
app.add_typer(registry_app, name="registry")

from tepat.commands.common import err, out  # noqa: E402 - after the apps, as they are used
from tepat.commands.common import parse_date as _parse_date  # noqa: E402
from tepat.commands.common import run as _run  # noqa: E402
from tepat.commands.common import settings as _settings  # noqa: E402


# --------------------------------------------------------------------------- db
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the newest schema."""
    from tepat.db.engine import engine_from_settings
    from tepat.db.migrate import upgrade

    settings = _settings()
    engine = engine_from_settings(settings)
    before, after = _run(lambda: upgrade(engine))
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        out.print(f"database {where} is up to date (revision {after})")
    else:
        out.print(f"database {where} migrated from {before or 'empty'} to {after}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one this code knows."""
    from tepat.db.engine import engine_from_settings
    from tepat.db.migrate import current_revision, head_revision

    engine = engine_from_settings(_settings())
    out.print(f"database: {current_revision(engine) or 'not created'}; code: {head_revision()}")


# ---------------------------------------------------------------------- regions
def _region_table(rows: list[Any]) -> Table:
    table = Table("code", "name", "kind")
    for r in rows:
        table.add_row(r.code, r.name, r.kind)
    return table


@regions_app.command("show")
def regions_show(code: str) -> None:
    """Show a region, its parents and how many children it has."""
    from tepat.reference import regions

    repo = regions()
    region = _run(lambda: repo.get(code))
    out.print(f"{region.code}  {region.display_name}  ({region.kind})")
    for parent in repo.ancestors(region.code):
        out.print(f"  in {parent.code}  {parent.display_name}")
    out.print(f"  children: {len(repo.children(region.code)):,}")


@regions_app.command("children")
def regions_children(code: Annotated[str, typer.Argument(help="Parent code, e.g. 11.12")]) -> None:
    """List the regions directly under CODE."""
    from tepat.reference import regions

    repo = regions()
    _run(lambda: repo.get(code))
    out.print(_region_table(list(repo.children(code))))


@regions_app.command("search")
def regions_search(text: str, limit: int = 20) -> None:
    """Find regions by name."""
    from tepat.reference import regions

    found = regions().search(text, limit=limit)
    if not found:
        err.print(f"no region name matches {text!r}")
        raise typer.Exit(1)
    out.print(_region_table(list(found)))


@regions_app.command("counts")
def regions_counts() -> None:
    """Count regions by level and kind."""
    from tepat.reference import regions

    repo = regions()
    for level, n in repo.counts().items():
        out.print(f"{level.name.lower():10s} {n:>7,}")
    for kind, n in repo.kind_counts().items():
        out.print(f"  {kind:12s} {n:>7,}")


# -------------------------------------------------------------------- nik / kk
def _print_check(label: str, check: Any) -> None:
    for issue in check.errors:
        err.print(f"[red]error[/]   {issue.code}: {issue.message}", highlight=False)
    for issue in check.warnings:
        out.print(f"[yellow]warning[/] {issue.code}: {issue.message}", highlight=False)
    if not check.valid:
        raise typer.Exit(1)
    out.print(f"[green]valid[/] {label}", highlight=False)


@nik_app.command("check")
def nik_check(
    nik: str,
    birth_date: Annotated[str | None, typer.Option(help="Recorded birth date, YYYY-MM-DD")] = None,
    sex: Annotated[str | None, typer.Option(help="Recorded sex: M/F or L/P")] = None,
) -> None:
    """Validate a NIK and show what it encodes (exit 1 if invalid)."""
    from tepat.reference import check_nik

    recorded = _parse_date(birth_date, "--birth-date") if birth_date else None
    check = check_nik(nik, recorded_birth_date=recorded, recorded_sex=sex)
    info = check.info
    label = (
        (
            f"{info.masked}: district {info.district_code}, born {info.birth_date}, "
            f"sex {info.sex}, serial {info.serial}"
        )
        if info
        else nik
    )
    _print_check(label, check)


@kk_app.command("check")
def kk_check(kk: str) -> None:
    """Validate a KK number and show what it encodes (exit 1 if invalid)."""
    from tepat.reference import check_kk

    check = check_kk(kk)
    info = check.info
    label = (
        (
            f"{info.masked}: issued in district {info.district_code}, date "
            f"{info.issue_date or 'unreadable'}"
        )
        if info
        else kk
    )
    _print_check(label, check)


# ------------------------------------------------------------------------ synth
def _synth_report(summary: dict[str, Any], folder: Path, seconds: float | None) -> None:
    s = summary
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    out.print(
        f"[bold]Synthetic population of {s['scope']['name']} ({s['scope']['code']})[/], "
        f"seed {s['seed']}, data cut {s['as_of']}{took}"
    )
    h, p = s["households"], s["people"]
    out.print(
        f"  households: {h['at_snapshot']:,} at the Regsosek snapshot, {h['now_active']:,} "
        f"active now ({h['moved_out_of_scope']:,} moved away, {h['dissolved']:,} dissolved)"
    )
    out.print(
        f"  people: {p['at_snapshot']:,} at the snapshot, {p['alive_now']:,} alive now, "
        f"{p['without_nik']:,} without a NIK yet"
    )
    out.print("  life events: " + ", ".join(f"{k} {v:,}" for k, v in s["events"].items()))
    table = Table("source", "files", "rows", "noise injected (rows)", "duplicates")
    for name, src in s["sources"].items():
        noise_rows = sum(v for k, v in src["noise"].items() if not k.startswith("row:"))
        table.add_row(
            name,
            ", ".join(src["files"]),
            f"{src['rows']:,}",
            f"{noise_rows:,}",
            f"{src['noise'].get('row:duplicate', 0):,}",
        )
    out.print(table)
    for name, src in s["sources"].items():
        detail = ", ".join(f"{k} {v:,}" for k, v in src["noise"].items())
        out.print(f"  {name} noise: {detail}", highlight=False)
    d = s["sources"].get("dtks", {})
    if d:
        out.print(
            f"  dtks staleness: {d.get('listed_deceased', 0):,} rows of deceased people, "
            f"{d.get('listed_at_old_address', 0):,} rows at an old address"
        )
    c = s["targeting_check"]
    a = c["anchor_alatas_2012"]
    out.print(
        f"  targeting check (plain PMT on {c['survey_households']:,} survey households): "
        f"R^2 {c['r_squared']:.3f}; at a 30% cut mistargeting {c['mistargeting']:.3f} "
        f"(anchor {a['mistargeting']}), inclusion {c['inclusion_error']:.3f} "
        f"({a['inclusion_error']}), exclusion {c['exclusion_error']:.3f} "
        f"({a['exclusion_error']})"
    )
    out.print(f"  written to {folder}/ (sources/, truth/, survey/, summary.json)")


@app.command()
def synth(
    region: Annotated[str, typer.Option(help="Regency (11.12), province (11) or ID for all")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder")],
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes")] = 1,
    people: Annotated[int | None, typer.Option(help="Target number of people")] = None,
    as_of: Annotated[str, typer.Option(help="Data cut date, YYYY-MM-DD")] = "2025-06-30",
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty output folder")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Generate a synthetic population with its DTKS, Regsosek and P3KE exports."""
    from tepat.synth.run import synthesize

    cut = _parse_date(as_of, "--as-of")
    started = time.perf_counter()
    with err.status("generating...") as status:
        summary = _run(
            lambda: synthesize(
                scope=region,
                seed=seed,
                people=people,
                as_of=cut,
                out=out_dir,
                overwrite=overwrite,
                progress=lambda m: status.update(m + "..."),
            )
        )
    if json_out:
        sys.stdout.write(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    else:
        _synth_report(summary, out_dir, time.perf_counter() - started)


# --------------------------------------------------------------------- registry
@registry_app.command("load-synthetic")
def registry_load(
    folder: Annotated[Path, typer.Argument(help="Output folder of `tepat synth`")],
    replace: Annotated[bool, typer.Option(help="Empty the registry first")] = False,
) -> None:
    """Load a synthetic population's truth into the registry (one transaction)."""
    from tepat.db.engine import engine_from_settings
    from tepat.db.migrate import upgrade
    from tepat.registry.load import load_synthetic

    engine = engine_from_settings(_settings())
    _run(lambda: upgrade(engine))
    with err.status("loading...") as status, engine.begin() as conn:
        result = _run(
            lambda: load_synthetic(
                conn, folder, replace=replace, progress=lambda m: status.update(m)
            )
        )
    out.print(
        f"loaded {result.households:,} households, {result.people:,} people, "
        f"{result.memberships:,} memberships, {result.provenance:,} provenance records"
    )


@registry_app.command("summary")
def registry_summary() -> None:
    """Counts of the registry by regency."""
    from tepat.db.engine import engine_from_settings
    from tepat.registry.summary import registry_counts

    engine = engine_from_settings(_settings())
    with engine.connect() as conn:
        rows = _run(lambda: registry_counts(conn))
    table = Table("regency", "households", "active", "people alive", "deceased")
    for r in rows:
        table.add_row(
            r["regency_code"],
            f"{r['households']:,}",
            f"{r['active']:,}",
            f"{r['alive']:,}",
            f"{r['deceased']:,}",
        )
    out.print(table)


# ----------------------------------------------------------------------- ingest
@app.command("ingest")
def ingest_files(
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE FILE",
            help="dtks FILE.csv | regsosek KELUARGA.parquet ART.parquet | p3ke FILE.xlsx; "
            "with --mapping, only the files",
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(help="A mapping file (TOML) describing the files; the source name is its own"),
    ] = None,
) -> None:
    """Stage a source's files, quarantine the rows that fail, and print the reconciliation."""
    from rich.markup import escape

    from tepat.db.engine import engine_from_settings
    from tepat.db.migrate import upgrade
    from tepat.sources.ingest import ingest
    from tepat.sources.mapping import builtin_mapping, load_mapping

    settings = _settings()
    if mapping is not None:
        chosen = _run(lambda: load_mapping(mapping))
        # `tepat ingest NAME FILE --mapping M` is accepted too: NAME is not a file.
        if args and args[0] == chosen.name and not Path(args[0]).exists():
            args = args[1:]
        files = [Path(a) for a in args]
    else:
        chosen = _run(lambda: builtin_mapping(args[0]))
        files = [Path(a) for a in args[1:]]
    engine = engine_from_settings(settings)
    _run(lambda: upgrade(engine))
    with err.status(f"ingesting {chosen.name}..."), engine.begin() as conn:
        result = _run(
            lambda: ingest(
                source=chosen.name,
                files=files,
                data_dir=settings.data_dir,
                db=conn,
                mapping=chosen,
            )
        )
    state = "already ingested: nothing new written" if result.already_ingested else "new"
    out.print(f"[bold]{result.source}[/] batch {result.batch_id} ({state})", highlight=False)
    table = Table("role", "rows in", "staged", "quarantined", "blank lines")
    table.add_column("file", overflow="fold")
    for f in result.files:
        table.add_row(
            f.role,
            f"{f.rows_in:,}",
            f"{f.staged:,}",
            f"{f.quarantined:,}",
            f"{f.blank:,}",
            escape(f.name),
        )
    out.print(table)
    mark = "[green]reconciled[/]" if result.reconciled else "[bold red]DOES NOT RECONCILE[/]"
    out.print(
        f"  {result.rows_in:,} rows in = {result.rows_staged:,} staged + "
        f"{result.rows_quarantined:,} quarantined: {mark}",
        highlight=False,
    )
    if result.reasons:
        total = sum(n for _, n in result.reasons)
        out.print(f"  quarantine reasons ({total:,} rows; a row's reasons are joined by ';'):")
        for reason, count in result.reasons[:8]:
            out.print(f"    {count:>8,}  {reason}", markup=False, highlight=False)
        if len(result.reasons) > 8:
            out.print(f"    ... and {len(result.reasons) - 8} more reasons", highlight=False)
    out.print(f"  unresolved addresses (village code left empty): {result.unresolved_addresses:,}")
    out.print(f"  staged rows: {result.staged_path}", markup=False, highlight=False)
    if not result.reconciled:
        raise typer.Exit(1)


# ------------------------------------------------------------------------- demo
@app.command()
def demo(
    region: Annotated[str, typer.Option(help="Kabupaten/kota to synthesise")] = "11.12",
    seed: int = 1,
) -> None:
    """Run everything that exists end to end on the embedded database and say what it did."""
    from tepat.db.engine import engine_from_settings
    from tepat.db.migrate import upgrade
    from tepat.registry.summary import registry_counts
    from tepat.synth.run import synthesize

    settings = _settings()
    folder = settings.data_dir / "demo" / f"synth-{region.replace('.', '')}-seed{seed}"
    out.rule("1. Synthetic population and source exports")
    started = time.perf_counter()
    with err.status("generating...") as status:
        summary = _run(
            lambda: synthesize(
                scope=region,
                seed=seed,
                people=None,
                as_of=date(2025, 6, 30),
                out=folder,
                overwrite=True,
                progress=lambda m: status.update(m + "..."),
            )
        )
    _synth_report(summary, folder, time.perf_counter() - started)
    out.rule("2. Ingest the three sources into staging")
    engine = engine_from_settings(settings)
    before, after = _run(lambda: upgrade(engine))
    out.print(
        f"registry schema {before or 'empty'} -> {after} at "
        f"{engine.url.render_as_string(hide_password=True)}"
    )
    src = folder / "sources"
    for args in (
        [
            "regsosek",
            str(src / "regsosek2022_keluarga.parquet"),
            str(src / "regsosek2022_art.parquet"),
        ],
        ["dtks", str(src / "dtks_siksng.csv")],
        ["p3ke", str(src / "p3ke_2021.xlsx")],
    ):
        ingest_files(args=args, mapping=None)
    out.rule("3. Link people and families, build golden records, load the registry")
    _integration.integrate_command(as_of="2025-06-30", load=True, model=None, memory_limit="4GB")
    out.rule("4. Accuracy against the synthetic ground truth")
    _integration.evaluate_linkage(truth=folder, run_folder=None, threshold=0.9, json_out=False)
    with engine.connect() as conn:
        for r in registry_counts(conn):
            out.print(
                f"  registry {r['regency_code']}: {r['households']:,} households, "
                f"{r['alive']:,} people"
            )
    out.rule("5. Rank welfare, apply the program rules, publish a release")
    _cycle.cycle_command(
        survey=folder / "survey" / "susenas_sample.parquet",
        model=None,
        truth=folder / "truth",
        rules=None,
        data_cut="2025-06-30",
        decile_base="people",
        integrate=False,
        memory_limit="4GB",
        lang="id",
    )
    out.rule("6. Demo accounts for the registry service (shown once)")
    from tepat.access.demo import seed_demo_users
    from tepat.db.engine import session_factory, unit_of_work

    with unit_of_work(session_factory(engine)) as session:
        accounts = _run(lambda: seed_demo_users(session, region))
    for username, role, regions_held, password in accounts:
        out.print(f"  {username:<22} {role:<18} {regions_held:<30} {password}")
    out.print(
        "  start the service with `.venv/bin/tepat serve`, open http://127.0.0.1:8000/masuk and "
        "sign in with one of these (API docs at /docs)"
    )
    out.rule("What next")
    out.print(f"  sources:        {folder / 'sources'}")
    out.print(f"  ground truth:   {folder / 'truth'}")
    out.print(
        f"  staging, runs:  {settings.data_dir / 'staging'}, {settings.data_dir / 'integration'}"
    )
    out.print("  review queue:   .venv/bin/tepat review list")
    out.print("  try:            .venv/bin/tepat nik check 1112014501900001")
    out.print("                  .venv/bin/tepat regions show 11.12")
    out.print("  releases:       .venv/bin/tepat release list; .venv/bin/tepat release show")
    out.print("  targeting:      .venv/bin/tepat evaluate targeting")
    example = _example_family(settings.data_dir)
    out.print(f"  explain:        .venv/bin/tepat eligibility explain {example}")
    out.print("  simulate:       .venv/bin/tepat eligibility simulate --set pkh.max_desil=3")
    out.print(
        "  service:        .venv/bin/tepat serve: pages at http://127.0.0.1:8000/ (Bahasa "
        "Indonesia; English via the link at the top), API docs at /docs"
    )
    out.print("  screenshots:    `make test` writes them to tests/artifacts/screenshots/")
    out.print("  `make test` runs the test suite")


def _example_family(data_dir: Path) -> str:
    """A PKH family of the current release, to show `tepat eligibility explain` on."""
    import pyarrow.parquet as pq

    from tepat.release.publish import current_release, releases_dir

    rid = current_release(data_dir)
    path = releases_dir(data_dir) / str(rid) / "lists" / "pkh.parquet"
    if rid is None or not path.exists():
        return "FAMILY_ID"
    ids = pq.read_table(path, columns=["family_id"]).column("family_id").to_pylist()
    return str(ids[len(ids) // 2]) if ids else "FAMILY_ID"


def main() -> None:
    """Entry point for ``python -m tepat``."""
    app()


if __name__ == "__main__":
    main()


# ------------------------------------------------------------- integration commands
from tepat.commands import integration as _integration  # noqa: E402 - keeps heavy imports lazy

app.command("integrate")(_integration.integrate_command)
app.add_typer(_integration.evaluate_app, name="evaluate")
app.add_typer(_integration.review_app, name="review")
app.command("link")(__import__("tepat.commands.link", fromlist=["link_command"]).link_command)

# ------------------------------------------------------ ranking, eligibility, releases
from tepat.commands import cycle as _cycle  # noqa: E402 - keeps heavy imports lazy

app.command("cycle")(_cycle.cycle_command)
app.add_typer(_cycle.rank_app, name="rank")
app.add_typer(_cycle.eligibility_app, name="eligibility")
app.add_typer(_cycle.release_app, name="release")
_integration.evaluate_app.command("targeting")(_cycle.evaluate_targeting)

# ------------------------------------------------------------------- registry service
from tepat.commands import service as _service  # noqa: E402 - keeps heavy imports lazy

app.command("serve")(_service.serve_command)
app.add_typer(_service.users_app, name="users")
app.add_typer(_service.audit_app, name="audit")
app.add_typer(_service.events_app, name="events")

# ------------------------------------------------------------------------- workflow
from tepat.workflow.cli import workflow_app as _workflow_app  # noqa: E402 - lazy inside

app.add_typer(_workflow_app, name="workflow")
