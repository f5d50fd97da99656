"""The cycle: integrate -> rank -> eligibility -> an immutable, versioned release.

``run_cycle`` chains the steps that exist: the integration of the newest staged batches (ingest
is done before, by ``tepat ingest`` or ``tepat cycle --source``), the PMT (a given model, or one
fitted on the survey sample), national deciles, every program rule, and, when a synthetic truth
folder is given, targeting accuracy with its baselines and a simulated field verification. It
writes the release into a temporary folder, hashes it, and publishes it atomically
(``release.publish``); the caller then loads it into the registry database (``release.store``).

Release folder:
  households.parquet    family_id, region codes, members, desil, percentile, predicted_pce
  members.parquet       the rule inputs per person (no name, no NIK)
  eligibility.parquet   every (program, family or person) decision with failed conditions
  pkh_components.parquet  PKH components per member, counted or capped and why
  eligibility_quota.parquet  quota programs: eligible, quota and admitted per region
  lists/<program>/<regency>.csv and lists/<program>.parquet  beneficiary lists (personal data)
  model.json            the PMT and its model card
  rules/*.toml          the program rules used
  targeting.json        (synthetic truth only) errors vs the anchor, baselines, verification
  truth_deciles.parquet (synthetic truth only) each family's true desil, for simulations
  diff.json             changes since the previous release
  report.html           the offline report
  manifest.json         counts, versions, input files and hashes, every file's sha256
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from tepat import __version__
from tepat.eligibility import RuleSet, evaluate, load_rules
from tepat.eligibility.simulate import program_errors, true_decile_decisions
from tepat.errors import InvalidInput
from tepat.pipeline.integrate import integrate, latest_batches, latest_run
from tepat.ranking import deciles, pmt, targeting
from tepat.ranking.inputs import load_inputs
from tepat.reference.regions import regions
from tepat.release import publish as pub
from tepat.release.diff import diff_releases
from tepat.release.report import write_report

Progress = Callable[[str], None]
TARGET_CUT = 4  # desil 1-4: PKH and BLT Kesra; the cut the targeting figures use


@dataclass
class CycleOptions:
    """What a cycle uses; everything else comes from the staged data and the settings."""

    data_cut: date
    survey: Path | None = None
    model: Path | None = None
    truth: Path | None = None
    rules_dir: Path | None = None
    decile_base: deciles.Base = "people"
    integrate: bool = True
    memory_limit: str = "4GB"
    lang: str = "id"


@dataclass
class CycleResult:
    """What the cycle published."""

    release_id: str
    folder: Path
    fresh: bool
    previous_release_id: str | None
    manifest: dict[str, Any]
    report_data: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _write_parquet(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> int:
    """Write a query's rows (already ordered by the query) with pyarrow: byte-stable output."""
    table = con.sql(sql).to_arrow_table()
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return int(table.num_rows)


def scope_quotas(rules: RuleSet, people: int) -> tuple[RuleSet, dict[str, Any]]:
    """Quotas for the share of the nation being ranked.

    A program whose parameters name a ``national_quota`` and the ``national_population`` gets,
    when fewer people than the whole nation are ranked, the quota of their population share, so
    a kabupaten's cycle admits as many as its share of the national quota would.
    """
    overrides: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    for pid, program in sorted(rules.programs.items()):
        params = program.parameters
        if "national_quota" not in params or "national_population" not in params:
            continue
        total = int(params["national_quota"].value)
        nation = int(params["national_population"].value)
        if people >= nation:
            continue
        scaled = round(total * people / nation)
        overrides[f"{pid}.national_quota"] = scaled
        notes[pid] = {
            "national_quota": total,
            "national_population": nation,
            "people_ranked": people,
            "quota_applied": scaled,
        }
    return (rules.with_overrides(overrides) if overrides else rules), notes


def _rank(
    con: duckdb.DuckDBPyConnection, options: CycleOptions, data_dir: Path, say: Progress
) -> pmt.PmtModel:
    """Fit or load the model, score and rank; leaves ``ranked`` and desil on rank_households."""
    if options.model is not None:
        model = pmt.PmtModel.load(options.model)
    else:
        if options.survey is None:
            raise InvalidInput(
                "a cycle needs a PMT: give --model MODEL.json, or --survey SAMPLE.parquet "
                "to fit one"
            )
        say("fitting the PMT on the survey sample")
        model = pmt.fit(con, options.survey, training={"data_cut": options.data_cut.isoformat()})
        model.save(data_dir / "models" / f"{model.version}.json")
    say("ranking households")
    pmt.apply(con, model)
    deciles.rank(con, base=options.decile_base)
    con.execute(
        """
        CREATE OR REPLACE TABLE rank_households AS
        SELECT h.*, r.desil, r.percentile, r.predicted_pce
        FROM rank_households h JOIN ranked r USING (family_id) ORDER BY family_id
        """
    )
    return model


def _targeting(
    con: duckdb.DuckDBPyConnection,
    options: CycleOptions,
    run_folder: Path,
    rules: RuleSet,
    names: dict[str, str],
    say: Progress,
) -> dict[str, Any]:
    """Targeting errors of the model, the two baselines and after verification (truth only)."""
    assert options.truth is not None
    say("measuring targeting against the synthetic truth")
    targeting.load_truth(con, options.truth, run_folder)
    targeting.true_deciles(con)
    con.execute(
        "CREATE OR REPLACE TABLE truth_deciles AS "
        "SELECT family_id, desil AS true_desil FROM true_ranked ORDER BY family_id"
    )
    result: dict[str, Any] = {"cut": TARGET_CUT, "anchor_alatas_2012": targeting.ANCHOR}
    result["model"] = targeting.errors_at(con, "ranked", TARGET_CUT).as_dict()
    baselines: dict[str, Any] = {}
    if options.survey is not None:
        plain = pmt.fit(con, options.survey, specification="plain")
        pmt.apply(con, plain, "plain_scores")
        deciles.rank(con, scores="plain_scores", base=options.decile_base, out="plain_ranked")
        baselines["plain_pmt"] = {
            **targeting.errors_at(con, "plain_ranked", TARGET_CUT).as_dict(),
            "model_version": plain.version,
            "r_squared": plain.statistics["r_squared"],
        }
    targeting.housing_scores(con)
    deciles.rank(con, scores="housing_scores", base=options.decile_base, out="housing_ranked")
    baselines["housing_score"] = targeting.errors_at(con, "housing_ranked", TARGET_CUT).as_dict()
    result["baselines"] = baselines
    verification = targeting.simulate_verification(con, "ranked", TARGET_CUT)
    result["after_verification"] = {
        **verification["after"],
        "proposals_verified": verification["proposals_verified"],
        "proposals_accepted": verification["proposals_accepted"],
        "objections_verified": verification["objections_verified"],
        "objections_upheld": verification["objections_upheld"],
        "assumptions": verification["assumptions"],
    }
    result["by_region"] = [
        {**row, "name": names.get(row["code"], row["code"])}
        for row in targeting.errors_by_region(con, "ranked", TARGET_CUT)
    ]
    result["programs"] = _program_errors(con, rules, options.data_cut)
    return result


def _program_errors(
    con: duckdb.DuckDBPyConnection, rules: RuleSet, data_cut: date
) -> list[dict[str, Any]]:
    """Per program: the decisions on predicted deciles vs the same rules on true deciles."""
    con.execute("ALTER TABLE eligibility RENAME TO _model_decisions")
    try:
        true_decile_decisions(con, rules, data_cut, "_true_decisions")
        errors = program_errors(con, "_model_decisions", "_true_decisions")
    finally:
        con.execute("DROP TABLE IF EXISTS eligibility")
        con.execute("DROP TABLE IF EXISTS _true_decisions")
        con.execute("ALTER TABLE _model_decisions RENAME TO eligibility")
    return [{"program": p, **errors[p]} for p in sorted(errors)]


def _program_summary(
    con: duckdb.DuckDBPyConnection, rules: RuleSet, names: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Beneficiaries and yearly cost per program, and per district."""
    rows = con.execute(
        """
        SELECT e.program, count(*) AS beneficiaries,
               sum(CASE WHEN e.person_key IS NULL THEN h.members ELSE 1 END) AS people,
               sum(e.amount_year) AS cost
        FROM eligibility e JOIN rank_households h USING (family_id)
        WHERE e.eligible GROUP BY e.program ORDER BY e.program
        """
    ).fetchall()
    got = {p: (int(b), int(pe), int(c)) for p, b, pe, c in rows}
    programs = []
    for pid, program in sorted(rules.programs.items()):
        b, pe, c = got.get(pid, (0, 0, 0))
        programs.append(
            {
                "program": pid,
                "name": program.name,
                "name_en": program.name_en,
                "unit": program.unit,
                "beneficiaries": b,
                "people_covered": pe,
                "cost_year": c,
            }
        )
    region_rows = con.execute(
        """
        WITH hh AS (
            SELECT district_code AS code, sum(members) AS people, count(*) AS households,
                   sum(members) FILTER (WHERE desil <= 4) AS poor
            FROM rank_households GROUP BY 1
        ),
        pr AS (
            SELECT h.district_code AS code, e.program, count(*) AS b, sum(e.amount_year) AS c
            FROM eligibility e JOIN rank_households h USING (family_id)
            WHERE e.eligible GROUP BY ALL
        )
        SELECT hh.code, hh.people, hh.households, coalesce(hh.poor, 0) / greatest(hh.people, 1),
               list(struct_pack(program := pr.program, b := pr.b, c := pr.c) ORDER BY pr.program)
               FILTER (WHERE pr.program IS NOT NULL)
        FROM hh LEFT JOIN pr USING (code) GROUP BY ALL ORDER BY hh.code
        """
    ).fetchall()
    regions_out = [
        {
            "code": code,
            "name": names.get(code, code),
            "people": int(people),
            "households": int(households),
            "desil_1_4_share": round(float(share), 4),
            "programs": {
                item["program"]: {"beneficiaries": int(item["b"]), "cost_year": int(item["c"])}
                for item in (plist or [])
            },
        }
        for code, people, households, share, plist in region_rows
    ]
    return programs, regions_out


def _region_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    repo = regions()
    codes = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT district_code FROM rank_households UNION "
            "SELECT DISTINCT regency_code FROM rank_households UNION "
            "SELECT DISTINCT village_code FROM rank_households"
        ).fetchall()
    ]
    out = {}
    for code in codes:
        region = repo.find(code)
        if region is not None:
            out[code] = region.name
    return out


def _write_release(
    con: duckdb.DuckDBPyConnection, build: Path, rules: RuleSet, model: pmt.PmtModel
) -> list[dict[str, Any]]:
    """The data files of the release; returns the beneficiary list outputs."""
    _write_parquet(
        con,
        """
        SELECT family_id, province_code, regency_code, district_code, village_code, urban,
               members, programs_received, desil, percentile,
               round(predicted_pce, 2) AS predicted_pce
        FROM rank_households ORDER BY family_id
        """,
        build / "households.parquet",
    )
    _write_parquet(
        con,
        "SELECT * EXCLUDE (nik, full_name) FROM rank_members ORDER BY person_key",
        build / "members.parquet",
    )
    _write_parquet(
        con,
        "SELECT * FROM eligibility ORDER BY program, family_id, person_key NULLS FIRST",
        build / "eligibility.parquet",
    )
    _write_parquet(
        con,
        "SELECT * FROM pkh_components ORDER BY family_id, person_key, component",
        build / "pkh_components.parquet",
    )
    _write_parquet(
        con, "SELECT * FROM eligibility_quota ORDER BY ALL", build / "eligibility_quota.parquet"
    )
    model.save(build / "model.json")
    (build / "rules").mkdir()
    for path in sorted(rules.files):
        shutil.copyfile(path, build / "rules" / path.name)
    if rules.overrides:  # e.g. a quota scaled to the scope: the release re-applies them
        (build / "rules" / "overrides.json").write_text(
            json.dumps(dict(rules.overrides), indent=1, sort_keys=True) + "\n"
        )
    outputs = []
    lists = con.sql(
        """
        SELECT e.program, h.regency_code, h.district_code, h.village_code, e.family_id,
               e.person_key, h.kk,
               coalesce(p.nik, hp.nik) AS nik, coalesce(p.full_name, hp.full_name) AS name,
               h.desil, e.amount_year
        FROM eligibility e
        JOIN rank_households h USING (family_id)
        LEFT JOIN rank_members p ON p.person_key = e.person_key
        LEFT JOIN (  -- the household's recipient: the head, else the oldest living member
            SELECT family_id, arg_min(nik, (coalesce(relationship, 9), -coalesce(age, 0))) AS nik,
                   arg_min(full_name, (coalesce(relationship, 9), -coalesce(age, 0))) AS full_name
            FROM rank_members WHERE status = 'alive' GROUP BY family_id
        ) hp ON hp.family_id = e.family_id AND e.person_key IS NULL
        WHERE e.eligible
        ORDER BY e.program, h.village_code, e.family_id, e.person_key NULLS FIRST
        """
    ).to_arrow_table()
    for program in sorted(set(lists.column("program").to_pylist())):
        part = lists.filter(pa.compute.equal(lists.column("program"), program))
        path = build / "lists" / f"{program}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, path, compression="zstd", write_statistics=False)
        outputs.append({"path": path.relative_to(build).as_posix(), "rows": part.num_rows})
        for regency in sorted(set(part.column("regency_code").to_pylist())):
            rows = part.filter(pa.compute.equal(part.column("regency_code"), regency))
            csv_path = build / "lists" / program / f"{regency}.csv"
            csv_path.parent.mkdir(parents=True, exist_ok=True)
            pacsv.write_csv(rows, csv_path)
            outputs.append({"path": csv_path.relative_to(build).as_posix(), "rows": rows.num_rows})
    return outputs


def run_cycle(
    *, session: Session, data_dir: Path, options: CycleOptions, progress: Progress | None = None
) -> CycleResult:
    """Run a cycle and publish its release; see the module docstring."""
    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    rules = load_rules(options.rules_dir)  # refuse bad rules before any work
    previous = pub.current_release(data_dir)
    started = time.perf_counter()
    if options.integrate:
        say("integrating the sources")
        run_folder = integrate(
            session=session,
            data_dir=data_dir,
            reference_date=options.data_cut,
            memory_limit=options.memory_limit,
            progress=say,
        ).folder
    else:
        run_folder = latest_run(data_dir)
    timings["integrate_s"] = time.perf_counter() - started
    inputs = [
        {"source": b.source, **{k: f[k] for k in ("name", "sha256", "rows_in")}}
        for b in latest_batches(session)
        for f in b.files
    ]
    build = pub.new_build_folder(data_dir)
    try:
        con = duckdb.connect(str(build / ".work.duckdb"))
        con.execute(f"SET memory_limit = '{options.memory_limit}'")
        con.execute(f"SET temp_directory = '{_q(build / '.spill')}'")
        started = time.perf_counter()
        say("reading golden records")
        counts = load_inputs(con, run_folder, options.data_cut)
        model = _rank(con, options, data_dir, say)
        timings["rank_s"] = time.perf_counter() - started
        started = time.perf_counter()
        say("applying program rules")
        ranked_people = int(
            con.execute("SELECT coalesce(sum(members), 0) FROM rank_households").fetchall()[0][0]
        )
        rules, quota_notes = scope_quotas(rules, ranked_people)
        evaluate(con, rules, options.data_cut)
        timings["eligibility_s"] = time.perf_counter() - started
        names = _region_names(con)
        programs, region_rows = _program_summary(con, rules, names)
        say("writing the release")
        started = time.perf_counter()
        # Written before targeting, which re-runs the rules on the true deciles.
        outputs = _write_release(con, build, rules, model)
        target = _targeting(con, options, run_folder, rules, names, say) if options.truth else None
        if target is not None:
            (build / "targeting.json").write_text(json.dumps(target, indent=1, sort_keys=True))
            # Synthetic truth only: lets `tepat eligibility simulate` measure errors too.
            _write_parquet(
                con,
                "SELECT * FROM truth_deciles ORDER BY family_id",
                build / "truth_deciles.parquet",
            )
        scope = _scope(con, names)
        body: dict[str, Any] = {
            "data_cut": options.data_cut.isoformat(),
            "scope": scope,
            "versions": {"model": model.version, "rules": rules.version, "code": __version__},
            "decile_base": options.decile_base,
            "counts": {
                "households": counts["households"],
                "people": counts["people_alive"],
                "people_unranked": counts["people_alive"]
                - int(con.execute("SELECT sum(members) FROM rank_households").fetchall()[0][0]),
            },
            "inputs": inputs,
            "quota_scaling": quota_notes,
        }
        desil = deciles.distribution(con)
        con.close()
        for leftover in (build / ".work.duckdb", build / ".work.duckdb.wal"):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(build / ".spill", ignore_errors=True)
        # The id hashes the data, not its history: the same inputs, model and rules give the
        # same release whatever was published in between.
        release_id = pub.content_id(body["data_cut"], {**body, "files": pub.manifest_files(build)})
        report_data = {
            "release_id": release_id,
            **body,
            "previous_release_id": previous,
            "desil": desil,
            "programs": programs,
            "regions": region_rows,
            "targeting": target,
            "diff": None,
            "movements": [],
            "outputs": outputs,
        }
        existing = pub.releases_dir(data_dir) / release_id / pub.MANIFEST
        if existing.exists():
            manifest = json.loads(existing.read_text())
        else:
            if previous is not None and previous != release_id:
                diff = diff_releases(
                    duckdb.connect(), pub.release_folder(data_dir, previous), build
                )
                for move in diff["movements"]:
                    move["village"] = names.get(move.pop("village_code"), "")
                (build / "diff.json").write_text(json.dumps(diff, indent=1, sort_keys=True))
                report_data["diff"] = diff
                report_data["movements"] = diff["movements"]
            write_report(report_data, build / "report.html", lang=options.lang)
            manifest = {
                "release_id": release_id,
                **body,
                "previous_release_id": previous,
                "desil": desil,
                "programs": programs,
                "files": pub.manifest_files(build),
            }
            (build / pub.MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        timings["write_s"] = time.perf_counter() - started
        folder, fresh = pub.publish(data_dir, build, release_id)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return CycleResult(
        release_id=release_id,
        folder=folder,
        fresh=fresh,
        previous_release_id=previous,
        manifest=manifest,
        report_data=report_data,
        timings=timings,
    )


def _scope(con: duckdb.DuckDBPyConnection, names: dict[str, str]) -> dict[str, str]:
    """The smallest region holding every household (a regency in the demo, else the nation)."""
    regencies = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT regency_code FROM rank_households ORDER BY 1"
        ).fetchall()
    ]
    if len(regencies) == 1:
        return {"code": regencies[0], "name": names.get(regencies[0], regencies[0])}
    provinces = sorted({r[:2] for r in regencies})
    if len(provinces) == 1:
        region = regions().find(provinces[0])
        return {"code": provinces[0], "name": region.name if region else provinces[0]}
    return {"code": "ID", "name": "Indonesia"}
