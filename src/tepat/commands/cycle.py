"""Commands for ranking, eligibility and releases: ``tepat rank``, ``tepat eligibility``,
``tepat cycle``, ``tepat release``, ``tepat evaluate targeting``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tepat.commands.common import err, out, parse_date, run, settings

rank_app = typer.Typer(help="Fit and apply the PMT welfare model.", no_args_is_help=True)
eligibility_app = typer.Typer(
    help="Program rules: check, explain a household, simulate a change.", no_args_is_help=True
)
release_app = typer.Typer(help="Published releases.", no_args_is_help=True)

_DATA_CUT = "2025-06-30"


def _rupiah(value: float) -> str:
    if abs(value) >= 1e9:
        return f"Rp {value / 1e9:,.2f} bn"
    if abs(value) >= 1e6:
        return f"Rp {value / 1e6:,.1f} M"
    return f"Rp {value:,.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _short(rules_version: str) -> str:
    """The digest part of a rules version (the whole string lists every program's version)."""
    return rules_version.rpartition("sha256=")[2][:12] or rules_version


def print_desil(desil: list[dict[str, Any]]) -> None:
    """The desil distribution as a table with a bar."""
    table = Table(title="Desil distribution (people)")
    for col in ("desil", "people", "households", "share", ""):
        table.add_column(col, justify="right" if col else "left")
    for row in desil:
        table.add_row(
            str(row["desil"]),
            f"{row['people']:,}",
            f"{row['households']:,}",
            _pct(row["share_people"]),
            "#" * round(row["share_people"] * 200),
        )
    out.print(table)


def print_programs(programs: list[dict[str, Any]]) -> None:
    """Beneficiaries and yearly cost per program."""
    table = Table(title="Programs: beneficiaries and yearly cost")
    for col in ("program", "unit", "beneficiaries", "people covered", "cost per year"):
        table.add_column(col, justify="left" if col in ("program", "unit") else "right")
    total = 0
    for p in programs:
        total += p["cost_year"]
        table.add_row(
            f"{p['program']} ({p['name']})",
            p["unit"],
            f"{p['beneficiaries']:,}",
            f"{p['people_covered']:,}",
            _rupiah(p["cost_year"]),
        )
    table.add_row("[bold]total[/]", "", "", "", f"[bold]{_rupiah(total)}[/]")
    out.print(table)


def print_targeting(t: dict[str, Any]) -> None:
    """Targeting errors beside the anchor and the baselines."""
    table = Table(title=f"Targeting at desil 1-{t['cut']} (people-weighted, vs synthetic truth)")
    for col in ("selection", "mistargeting", "inclusion error", "exclusion error", "right desil"):
        table.add_column(col, justify="left" if col == "selection" else "right")
    rows = [("Tepat PMT (this release)", t["model"])]
    rows += [
        (label, t["baselines"][key])
        for key, label in (
            ("plain_pmt", "plain national OLS PMT"),
            ("housing_score", "housing score"),
        )
        if key in t["baselines"]
    ]
    rows.append(("after simulated verification", t["after_verification"]))
    rows.append(("anchor: Alatas et al. 2012, Table 3 (PMT)", t["anchor_alatas_2012"]))
    for label, e in rows:
        table.add_row(
            label,
            _pct(e["mistargeting"]),
            _pct(e["inclusion_error"]),
            _pct(e["exclusion_error"]),
            _pct(e.get("right_decile_share")),
        )
    out.print(table)
    v = t["after_verification"]
    out.print(
        f"  verification simulated: {v['proposals_verified']:,} proposals checked "
        f"({v['proposals_accepted']:,} added), {v['objections_verified']:,} objections checked "
        f"({v['objections_upheld']:,} removed)"
    )
    if t.get("programs"):
        table = Table(title="Per program: decisions on predicted vs true deciles")
        for col in ("program", "inclusion error", "exclusion error"):
            table.add_column(col, justify="left" if col == "program" else "right")
        for p in t["programs"]:
            table.add_row(p["program"], _pct(p["inclusion_error"]), _pct(p["exclusion_error"]))
        out.print(table)


def cycle_command(
    survey: Annotated[
        Path | None, typer.Option(help="Susenas-like sample to fit the PMT on (Parquet)")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Use this PMT model (JSON) instead")] = None,
    truth: Annotated[
        Path | None, typer.Option(help="Synthetic truth folder: measure targeting error")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="Folder of program rules (default: the built-in rules)")
    ] = None,
    data_cut: Annotated[str, typer.Option(help="Data cut / reference date")] = _DATA_CUT,
    decile_base: Annotated[str, typer.Option(help="Deciles over 'people' or 'households'")] = (
        "people"
    ),
    integrate: Annotated[
        bool, typer.Option(help="Run integration first (else use the newest run)")
    ] = True,
    memory_limit: Annotated[str, typer.Option(help="Memory budget of DuckDB")] = "4GB",
    lang: Annotated[str, typer.Option(help="Report language: id or en")] = "id",
) -> None:
    """Integrate, rank, apply the program rules and publish an immutable release."""
    from tepat.db.engine import engine_from_settings, session_factory, unit_of_work
    from tepat.db.migrate import upgrade
    from tepat.pipeline.cycle import CycleOptions, run_cycle
    from tepat.registry.load_golden import load_golden
    from tepat.release import publish as pub
    from tepat.release.store import load_release

    cfg = settings()
    if decile_base not in ("people", "households"):
        err.print("[bold red]error:[/] --decile-base must be 'people' or 'households'")
        raise typer.Exit(2)
    options = CycleOptions(
        data_cut=parse_date(data_cut, "--data-cut"),
        survey=survey,
        model=model,
        truth=truth,
        rules_dir=rules,
        decile_base=decile_base,  # type: ignore[arg-type]
        integrate=integrate,
        memory_limit=memory_limit,
        lang=lang,
    )
    engine = engine_from_settings(cfg)
    run(lambda: upgrade(engine))
    factory = session_factory(engine)
    previous = pub.current_release(cfg.data_dir)
    with err.status("running the cycle...") as status, unit_of_work(factory) as session:
        result = run(
            lambda: run_cycle(
                session=session,
                data_dir=cfg.data_dir,
                options=options,
                progress=lambda m: status.update(m + "..."),
            )
        )
        try:
            status.update("loading the release into the registry...")
            from tepat.pipeline.integrate import latest_run

            if integrate:
                load_golden(session.connection(), latest_run(cfg.data_dir), replace=True)
            loaded = load_release(session.connection(), result.folder)
            notices = 0
            if result.fresh and previous is not None:
                from tepat.workflow.notices import create_notices_for_release

                # Families losing a program get a notice with the reason and an appeal window.
                notices = create_notices_for_release(
                    db=session,
                    release_id=result.release_id,
                    appeal_days=cfg.appeal_days,
                    folder=result.folder,
                )
        except BaseException:
            # The database did not take it: the previous release stays current.
            pub.set_current(cfg.data_dir, previous)
            if result.fresh:
                import shutil

                shutil.rmtree(result.folder, ignore_errors=True)
            raise
    m = result.manifest
    state = "published" if result.fresh else "identical to an existing release, made current"
    out.print(f"[bold]Release {result.release_id}[/] ({state})")
    out.print(
        f"  data cut {m['data_cut']}, scope {m['scope']['name']} ({m['scope']['code']}); "
        f"model {m['versions']['model']}, rules sha256 {_short(m['versions']['rules'])}"
    )
    out.print(
        f"  {m['counts']['people']:,} people in {m['counts']['households']:,} families ranked; "
        f"{loaded['beneficiaries']:,} beneficiary rows loaded into the registry"
    )
    print_desil(m["desil"])
    print_programs(m["programs"])
    target = result.report_data.get("targeting")
    if target:
        print_targeting(target)
    diff = result.report_data.get("diff")
    if notices:
        out.print(f"  notices: {notices:,} families lose a program; each may appeal")
    if diff:
        moved = diff["households_changed_desil"]
        out.print(
            f"  since {diff['previous_release_id']}: {moved:,} households changed desil, "
            f"{diff['new_households']:,} new, {diff['gone_households']:,} gone"
        )
    t = result.timings
    out.print("  time: " + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in t.items()))
    out.print(f"  release:  {result.folder}")
    out.print(f"  report:   {result.folder / 'report.html'} (opens offline)")
    out.print(f"  lists:    {result.folder / 'lists'} (CSV per regency, Parquet per program)")


@release_app.command("list")
def release_list() -> None:
    """The published releases, newest last."""
    from tepat.release.publish import list_releases

    cfg = settings()
    table = Table(title=f"Releases under {cfg.data_dir / 'releases'}")
    for col in ("release", "current", "published", "data cut", "people", "model", "rules"):
        table.add_column(col)
    for r in list_releases(cfg.data_dir):
        table.add_row(
            r["release_id"],
            "yes" if r["current"] else "",
            r["published_at"] or "",
            r["data_cut"] or "",
            f"{r['counts'].get('people', 0):,}",
            r["versions"].get("model", ""),
            _short(r["versions"].get("rules", "")),
        )
    out.print(table)


@release_app.command("show")
def release_show(
    release_id: Annotated[str | None, typer.Argument(help="Default: the current release")] = None,
) -> None:
    """A release's manifest figures."""
    from tepat.release.publish import MANIFEST, release_folder

    cfg = settings()
    folder = run(lambda: release_folder(cfg.data_dir, release_id))
    m = json.loads((folder / MANIFEST).read_text())
    out.print(f"[bold]Release {m['release_id']}[/] in {folder}")
    print_desil(m["desil"])
    print_programs(m["programs"])
    if (folder / "targeting.json").exists():
        print_targeting(json.loads((folder / "targeting.json").read_text()))


def evaluate_targeting(
    release_id: Annotated[str | None, typer.Option("--release", help="Default: current")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Targeting error of a release against the synthetic truth it was run with."""
    from tepat.release.publish import release_folder

    cfg = settings()
    folder = run(lambda: release_folder(cfg.data_dir, release_id))
    path = folder / "targeting.json"
    if not path.exists():
        err.print(
            f"[bold red]error:[/] release {folder.name} was not run against a synthetic truth; "
            "run `tepat cycle --truth SYNTH/truth ...` to measure targeting"
        )
        raise typer.Exit(2)
    data = json.loads(path.read_text())
    if json_out:
        out.print_json(data=data)
        return
    print_targeting(data)
    table = Table(title="By district")
    for col in ("district", "people", "mistargeting", "inclusion error", "exclusion error"):
        table.add_column(col, justify="left" if col == "district" else "right")
    for row in data.get("by_region", []):
        table.add_row(
            f"{row['code']} {row['name']}",
            f"{row['people']:,}",
            _pct(row["mistargeting"]),
            _pct(row["inclusion_error"]),
            _pct(row["exclusion_error"]),
        )
    out.print(table)


def _inputs_connection(data_cut: str, run_folder: Path | None) -> Any:
    import duckdb

    from tepat.pipeline.integrate import latest_run
    from tepat.ranking.inputs import load_inputs

    cfg = settings()
    folder = run_folder or run(lambda: latest_run(cfg.data_dir))
    con = duckdb.connect()
    run(lambda: load_inputs(con, folder, parse_date(data_cut, "--data-cut")))
    return con, folder


@rank_app.command("fit")
def rank_fit(
    survey: Annotated[Path, typer.Option(help="Susenas-like sample (Parquet: kk_number, pce)")],
    specification: Annotated[str, typer.Option(help="tepat (default) or plain")] = "tepat",
    run_folder: Annotated[
        Path | None, typer.Option("--run", help="Integration run (default: newest)")
    ] = None,
    data_cut: Annotated[str, typer.Option(help="Data cut / reference date")] = _DATA_CUT,
) -> None:
    """Fit the PMT on the survey households found in the registry; store it with its card."""
    from tepat.ranking import pmt

    cfg = settings()
    con, folder = _inputs_connection(data_cut, run_folder)
    model = run(
        lambda: pmt.fit(
            con,
            survey,
            specification=specification,
            training={"data_cut": data_cut, "integration_run": folder.name},
        )
    )
    path = model.save(cfg.data_dir / "models" / f"{model.version}.json")
    s, t = model.statistics, model.training
    out.print(f"[bold]PMT {model.version}[/] saved to {path}")
    out.print(
        f"  trained on {s['households']:,} survey households ({t['matched_households']:,} of "
        f"{t['survey_households']:,} matched by KK), {s['features']} variables, "
        f"ridge lambda {model.ridge_lambda:g}"
    )
    out.print(
        f"  R^2 {s['r_squared']:.3f} (cross-validated {s['cv_r_squared']}), "
        f"RMSE {s['rmse_log']:.3f} in log pce"
    )
    top = sorted(
        ((k, v) for k, v in model.coefficients.items() if k != "const"), key=lambda kv: -abs(kv[1])
    )[:10]
    out.print("  largest coefficients: " + ", ".join(f"{k} {v:+.3f}" for k, v in top))


@rank_app.command("apply")
def rank_apply(
    model_path: Annotated[Path, typer.Option("--model", help="A model JSON from `rank fit`")],
    base: Annotated[str, typer.Option(help="Deciles over 'people' or 'households'")] = "people",
    run_folder: Annotated[
        Path | None, typer.Option("--run", help="Integration run (default: newest)")
    ] = None,
    data_cut: Annotated[str, typer.Option(help="Data cut / reference date")] = _DATA_CUT,
) -> None:
    """Score every household, cut national deciles, write a rank snapshot (model x data cut)."""
    import pyarrow.parquet as pq

    from tepat.ranking import deciles, pmt

    cfg = settings()
    model = run(lambda: pmt.PmtModel.load(model_path))
    con, folder = _inputs_connection(data_cut, run_folder)
    pmt.apply(con, model)
    run(lambda: deciles.rank(con, base=base))  # type: ignore[arg-type]
    target = cfg.data_dir / "ranking" / f"{model.version}_{data_cut}_{folder.name}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(con.sql("SELECT * FROM ranked ORDER BY family_id").to_arrow_table(), target)
    print_desil(deciles.distribution(con))
    out.print(f"  rank snapshot: {target}")


def _parse_overrides(values: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            err.print(f"[bold red]error:[/] --set wants PROGRAM.PARAMETER=VALUE, not {item!r}")
            raise typer.Exit(2)
        text = raw.strip().replace("_", "")
        value: Any
        try:
            value = json.loads(text)
        except ValueError:
            value = raw.strip()
        overrides[key.strip()] = value
    return overrides


@eligibility_app.command("explain")
def eligibility_explain(
    family_id: Annotated[str, typer.Argument(help="The family id (see the release's lists)")],
    release_id: Annotated[str | None, typer.Option("--release", help="Default: current")] = None,
    lang: Annotated[str, typer.Option(help="id or en")] = "id",
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Why a family gets (or does not get) each program, condition by condition, with amounts."""
    from datetime import date

    from tepat.eligibility import explain
    from tepat.release.publish import release_folder
    from tepat.release.read import open_release

    cfg = settings()
    folder = run(lambda: release_folder(cfg.data_dir, release_id))
    con, manifest = open_release(folder)
    rules = _release_rules(folder)
    ex = run(lambda: explain(con, rules, family_id, date.fromisoformat(manifest["data_cut"])))
    if json_out:
        out.print_json(data=ex.as_dict())
    else:
        out.print(ex.render_text(lang=lang), highlight=False)


def _release_rules(folder: Path) -> Any:
    from tepat.release.read import release_rules

    return run(lambda: release_rules(folder))


@eligibility_app.command("check")
def eligibility_check(
    rules: Annotated[
        Path | None, typer.Argument(help="A folder of rules (default: built-in)")
    ] = None,
) -> None:
    """Validate a folder of program rules; print each program's version, or the first error."""
    from tepat.eligibility import load_rules

    loaded = run(lambda: load_rules(rules))
    table = Table(title=f"Program rules ({rules or 'built-in'})")
    for col in ("program", "name", "unit", "version", "conditions"):
        table.add_column(col)
    for pid, program in sorted(loaded.programs.items()):
        table.add_row(
            pid, program.name, program.unit, program.version, str(len(loaded.conditions(pid)))
        )
    out.print(table)
    out.print(f"  rules version: {loaded.version}")


@eligibility_app.command("simulate")
def eligibility_simulate(
    changes: Annotated[
        list[str],
        typer.Option("--set", help="PROGRAM.PARAMETER=VALUE, e.g. pkh.max_desil=3 (repeatable)"),
    ],
    release_id: Annotated[str | None, typer.Option("--release", help="Default: current")] = None,
    by: Annotated[str, typer.Option(help="Region level: regency, district or village")] = (
        "district"
    ),
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Change a decile cut, an amount or a quota; compare beneficiaries, cost and errors."""
    from datetime import date

    from tepat.eligibility.simulate import simulate
    from tepat.release.publish import release_folder
    from tepat.release.read import open_release

    cfg = settings()
    folder = run(lambda: release_folder(cfg.data_dir, release_id))
    con, manifest = open_release(folder)
    current = _release_rules(folder)
    changed = run(lambda: current.with_overrides(_parse_overrides(changes)))
    result = run(
        lambda: simulate(
            con, current, changed, date.fromisoformat(manifest["data_cut"]), level=f"{by}_code"
        )
    )
    if json_out:
        out.print_json(data=result)
        return
    out.print(f"[bold]Simulation on release {manifest['release_id']}[/]: " + ", ".join(changes))
    table = Table(title="Per program: current -> simulated")
    cols = ["program", "beneficiaries", "cost per year", "entered", "left"]
    if result["has_truth"]:
        cols += ["inclusion error", "exclusion error"]
    for col in cols:
        table.add_column(col, justify="left" if col == "program" else "right")
    for p in result["programs"]:
        b, c = p["beneficiaries"], p["cost_year"]
        row = [
            p["program"],
            f"{b['current']:,} -> {b['simulated']:,}",
            f"{_rupiah(c['current'])} -> {_rupiah(c['simulated'])}",
            f"{p['entered']:,}",
            f"{p['left']:,}",
        ]
        if result["has_truth"]:
            e = p["errors"]
            cur, sim = e["current"] or {}, e["simulated"] or {}
            for key in ("inclusion_error", "exclusion_error"):
                row.append(f"{_pct(cur.get(key))} -> {_pct(sim.get(key))}")
        table.add_row(*row)
    out.print(table)
    changed_regions = result["regions_changed"]
    if changed_regions:
        table = Table(title=f"Regions that change ({by})")
        for col in ("program", "region", "beneficiaries", "cost per year"):
            table.add_column(col, justify="left" if col in ("program", "region") else "right")
        for r in changed_regions[:40]:
            b, c = r["beneficiaries"], r["cost_year"]
            table.add_row(
                r["program"],
                str(r["region"]),
                f"{b['current']:,} -> {b['simulated']:,}",
                f"{_rupiah(c['current'])} -> {_rupiah(c['simulated'])}",
            )
        out.print(table)
        if len(changed_regions) > 40:
            out.print(f"  ... and {len(changed_regions) - 40} more (use --json)")
