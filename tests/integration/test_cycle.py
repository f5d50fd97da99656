"""The cycle on a whole synthetic kabupaten (Aceh Barat Daya): rank, rules, release, targeting.

One module fixture synthesises the district, ingests its three sources, integrates and runs a
cycle (about a minute and a half); the tests then read what it published.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from tepat.db.engine import make_engine
from tepat.db.migrate import upgrade
from tepat.eligibility import check_agreement, explain, load_rules
from tepat.errors import InvalidInput
from tepat.pipeline.cycle import CycleOptions, CycleResult, run_cycle
from tepat.release import publish as pub
from tepat.release.models import Release, ReleaseBeneficiary, ReleaseHousehold
from tepat.release.read import open_release, release_rules
from tepat.release.store import load_release
from tepat.sources.ingest import ingest
from tepat.synth.run import synthesize

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cycle")
    pop = root / "pop"
    synthesize(scope="11.12", seed=1, people=None, as_of=AS_OF, out=pop)
    data_dir = root / "data"
    engine = make_engine(f"sqlite:///{data_dir / 'tepat.db'}")
    upgrade(engine)
    factory = sessionmaker(engine)
    src = pop / "sources"
    with factory() as session:
        for source, files in (
            ("regsosek", [src / "regsosek2022_keluarga.parquet", src / "regsosek2022_art.parquet"]),
            ("dtks", [src / "dtks_siksng.csv"]),
            ("p3ke", [src / "p3ke_2021.xlsx"]),
        ):
            ingest(source=source, files=files, data_dir=data_dir, db=session.connection())
        session.commit()
    options = CycleOptions(
        data_cut=AS_OF, survey=pop / "survey" / "susenas_sample.parquet", truth=pop / "truth"
    )
    with factory() as session:
        first = run_cycle(session=session, data_dir=data_dir, options=options)
        load_release(session.connection(), first.folder)
        session.commit()
    yield {
        "pop": pop,
        "data_dir": data_dir,
        "engine": engine,
        "factory": factory,
        "options": options,
        "first": first,
    }
    engine.dispose()


def _cycle(world: dict[str, Any], **changes: Any) -> CycleResult:
    options = CycleOptions(**{**world["options"].__dict__, "integrate": False, **changes})
    with world["factory"]() as session:
        return run_cycle(session=session, data_dir=world["data_dir"], options=options)


def test_each_desil_holds_ten_percent_of_people(world: dict[str, Any]) -> None:
    desil = world["first"].manifest["desil"]
    assert [d["desil"] for d in desil] == list(range(1, 11))
    for d in desil:
        assert abs(d["share_people"] - 0.10) <= 0.005, d
    total = sum(d["people"] for d in desil)
    assert total == world["first"].manifest["counts"]["people"]


def test_rerun_on_the_same_inputs_gives_an_identical_release(world: dict[str, Any]) -> None:
    first = world["first"]
    again = _cycle(world)
    assert again.release_id == first.release_id
    assert not again.fresh  # the same content: nothing new was published
    assert again.manifest["files"] == first.manifest["files"]
    assert pub.current_release(world["data_dir"]) == first.release_id


def test_default_model_beats_the_plain_pmt_and_reports_the_anchor(world: dict[str, Any]) -> None:
    t = json.loads((world["first"].folder / "targeting.json").read_text())
    assert t["anchor_alatas_2012"] == {
        "mistargeting": 0.30,
        "inclusion_error": 0.18,
        "exclusion_error": 0.52,
    }
    assert t["model"]["mistargeting"] < t["baselines"]["plain_pmt"]["mistargeting"]
    assert t["model"]["mistargeting"] < t["baselines"]["housing_score"]["mistargeting"]
    after = t["after_verification"]
    assert after["mistargeting"] < t["model"]["mistargeting"]
    assert after["proposals_verified"] > 0 and after["objections_verified"] > 0
    assert {p["program"] for p in t["programs"]} >= {"pkh", "bpnt", "pbi_jk"}
    assert all(r["people"] > 0 for r in t["by_region"])


def test_batch_decisions_and_explanations_agree_on_every_household(world: dict[str, Any]) -> None:
    con, manifest = open_release(world["first"].folder)
    rules = release_rules(world["first"].folder)
    assert check_agreement(con, rules, AS_OF) == []
    assert (
        manifest["counts"]["households"]
        == con.execute("SELECT count(*) FROM rank_households").fetchall()[0][0]
    )


def test_twenty_random_explanations_name_every_condition(world: dict[str, Any]) -> None:
    con, _ = open_release(world["first"].folder)
    rules = release_rules(world["first"].folder)
    families = [r[0] for r in con.execute("SELECT family_id FROM rank_households").fetchall()]
    for family in random.Random(7).sample(families, 20):
        ex = explain(con, rules, family, AS_OF).as_dict()
        batch = {
            (p, k): (e, a)
            for p, k, e, a in con.execute(
                "SELECT program, person_key, eligible, amount_year FROM eligibility "
                "WHERE family_id = ?",
                [family],
            ).fetchall()
        }
        for program in ex["programs"]:
            assert program["conditions"] or program.get("members"), program["program"]
            if program.get("unit") == "household":
                eligible, amount = batch[(program["program"], None)]
                assert program["eligible"] == eligible
                assert program["amount_year"] == amount


def test_release_files_lists_report_and_registry(world: dict[str, Any]) -> None:
    first = world["first"]
    folder = first.folder
    for name in ("households.parquet", "eligibility.parquet", "model.json", "report.html"):
        assert (folder / name).exists(), name
    report = (folder / "report.html").read_text()
    assert "http://" not in report and "https://" not in report
    assert first.release_id in report
    pkh_csv = list((folder / "lists" / "pkh").glob("*.csv"))
    assert [p.name for p in pkh_csv] == ["11.12.csv"]
    pkh = next(p for p in first.manifest["programs"] if p["program"] == "pkh")
    assert (
        pkh["beneficiaries"]
        == duckdb.connect()
        .execute(f"SELECT count(*) FROM read_csv('{pkh_csv[0]}')")
        .fetchall()[0][0]
    )
    # every file in the manifest has the hash it claims
    for f in first.manifest["files"]:
        assert pub.sha256_file(folder / f["path"]) == f["sha256"], f["path"]
    engine: Engine = world["engine"]
    with Session(engine) as s:
        current = s.scalars(select(Release).where(Release.is_current)).all()
        assert [r.id for r in current] == [first.release_id]
        n = s.scalar(select(func.count()).select_from(ReleaseHousehold))
        assert n == first.manifest["counts"]["households"]
        b = s.scalar(
            select(func.count())
            .select_from(ReleaseBeneficiary)
            .where(ReleaseBeneficiary.program == "pkh")
        )
        assert b == pkh["beneficiaries"]


def test_bad_rules_are_refused_and_nothing_is_published(
    world: dict[str, Any], tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(load_rules(None).files[0]).parent, rules)
    bpnt = rules / "bpnt.toml"
    bpnt.write_text(bpnt.read_text().replace('field = "desil"', 'field = "desiil"', 1))
    before = pub.current_release(world["data_dir"])
    with pytest.raises(InvalidInput, match=r"bpnt\.toml:\d+"):
        _cycle(world, rules_dir=rules)
    assert pub.current_release(world["data_dir"]) == before
    assert not list(pub.releases_dir(world["data_dir"]).glob(".build-*"))


def test_a_cycle_failing_halfway_leaves_the_last_release_current(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tepat.pipeline.cycle as cycle

    before = pub.current_release(world["data_dir"])
    releases = sorted(p.name for p in pub.releases_dir(world["data_dir"]).glob("R*"))

    def boom(*_a: Any, **_k: Any) -> Path:
        raise RuntimeError("killed while writing the report")

    monkeypatch.setattr(cycle, "write_report", boom)
    with pytest.raises(RuntimeError):
        _cycle(world, decile_base="households")
    assert pub.current_release(world["data_dir"]) == before
    assert sorted(p.name for p in pub.releases_dir(world["data_dir"]).glob("R*")) == releases
    assert not list(pub.releases_dir(world["data_dir"]).glob(".build-*"))


def test_a_changed_rule_publishes_a_new_release_with_a_diff(
    world: dict[str, Any], tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(load_rules(None).files[0]).parent, rules)
    changed = load_rules(None).with_overrides({"pkh.max_desil": 3})
    assert changed.version != load_rules(None).version
    pkh = rules / "pkh.toml"
    text = pkh.read_text()
    assert "max_desil = 4" in text
    pkh.write_text(text.replace("max_desil = 4", "max_desil = 3", 1))
    second = _cycle(world, rules_dir=rules)
    try:
        assert second.fresh and second.release_id != world["first"].release_id
        diff = json.loads((second.folder / "diff.json").read_text())
        assert diff["previous_release_id"] == world["first"].release_id
        entry = next(p for p in diff["programs"] if p["program"] == "pkh")
        assert entry["left"] > 0 and entry["entered"] == 0
        assert set(entry["reasons_left"]) == {"rule:desil"} or all(
            r.startswith("rule") for r in entry["reasons_left"]
        )
        assert diff["households_changed_desil"] == 0  # same model, same data
    finally:
        pub.set_current(world["data_dir"], world["first"].release_id)


def test_pbi_quota_is_the_scopes_population_share_and_binds(world: dict[str, Any]) -> None:
    m = world["first"].manifest
    note = m["quota_scaling"]["pbi_jk"]
    people = m["counts"]["people"]
    assert note["quota_applied"] == round(96_800_000 * note["people_ranked"] / 285_570_129)
    assert note["people_ranked"] <= people
    pbi = next(p for p in m["programs"] if p["program"] == "pbi_jk")
    # desil 1-5 hold half the people, the quota a third: the quota binds, poorest first
    assert pbi["beneficiaries"] == note["quota_applied"]
    con, _ = open_release(world["first"].folder)
    worst_in, best_out = con.execute(
        """
        SELECT max(h.percentile) FILTER (WHERE e.eligible),
               min(h.percentile) FILTER (WHERE e.failed = ['quota'])
        FROM eligibility e JOIN rank_households h USING (family_id) WHERE e.program = 'pbi_jk'
        """
    ).fetchall()[0]
    assert best_out is not None and worst_in <= best_out  # nobody poorer was left out


def test_simulating_a_lower_pkh_cut(world: dict[str, Any]) -> None:
    from tepat.eligibility.simulate import simulate

    con, manifest = open_release(world["first"].folder)
    current = release_rules(world["first"].folder)
    result = simulate(con, current, current.with_overrides({"pkh.max_desil": 3}), AS_OF)
    assert result["has_truth"]
    by = {p["program"]: p for p in result["programs"]}
    pkh = by["pkh"]
    assert pkh["beneficiaries"]["current"] == next(
        p["beneficiaries"] for p in manifest["programs"] if p["program"] == "pkh"
    )
    assert pkh["beneficiaries"]["simulated"] < pkh["beneficiaries"]["current"]
    assert pkh["cost_year"]["simulated"] < pkh["cost_year"]["current"]
    assert pkh["left"] == pkh["beneficiaries"]["current"] - pkh["beneficiaries"]["simulated"]
    assert pkh["entered"] == 0
    assert pkh["errors"]["current"]["exclusion_error"] >= 0
    for pid, p in by.items():
        if pid != "pkh":
            assert p["beneficiaries"]["current"] == p["beneficiaries"]["simulated"], pid
    assert result["regions_changed"] and all(
        r["program"] == "pkh" for r in result["regions_changed"]
    )


def test_explain_and_simulate_commands(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tepat.cli import app

    monkeypatch.setenv("TEPAT_DATA_DIR", str(world["data_dir"]))
    con, _ = open_release(world["first"].folder)
    family = con.execute(
        "SELECT family_id FROM eligibility WHERE program = 'pkh' AND eligible ORDER BY family_id "
        "LIMIT 1"
    ).fetchall()[0][0]
    runner = CliRunner()
    res = runner.invoke(app, ["eligibility", "explain", family])
    assert res.exit_code == 0, res.output
    assert "PKH" in res.output and "desil" in res.output
    res = runner.invoke(app, ["eligibility", "explain", family, "--lang", "en"])
    assert res.exit_code == 0 and "decile" in res.output
    res = runner.invoke(app, ["eligibility", "explain", "no-such-family"])
    assert res.exit_code == 2 and "not in" in res.output
    res = runner.invoke(app, ["eligibility", "simulate", "--set", "bpnt.monthly_amount=250000"])
    assert res.exit_code == 0, res.output
    assert "bpnt" in res.output
    res = runner.invoke(app, ["eligibility", "simulate", "--set", "bpnt.max_desil=11"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["evaluate", "targeting"])
    assert res.exit_code == 0 and "plain national OLS PMT" in res.output


def test_a_release_loads_into_each_backend_and_reloads_idempotently(
    world: dict[str, Any], engine: Engine
) -> None:
    first = world["first"]
    try:
        for _ in range(2):  # loading again replaces, it does not duplicate
            with engine.begin() as conn:
                counts = load_release(conn, first.folder)
        with Session(engine) as s:
            assert (
                s.scalar(select(func.count()).select_from(ReleaseHousehold)) == counts["households"]
            )
            assert (
                s.scalar(select(func.count()).select_from(ReleaseBeneficiary))
                == counts["beneficiaries"]
            )
            current = s.scalars(select(Release.id).where(Release.is_current)).all()
            assert current == [first.release_id]
    finally:
        with engine.begin() as conn:
            conn.execute(delete(ReleaseBeneficiary))
            conn.execute(delete(ReleaseHousehold))
            conn.execute(delete(Release))


def test_rank_fit_and_apply_commands_are_deterministic(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tepat.cli import app

    monkeypatch.setenv("TEPAT_DATA_DIR", str(world["data_dir"]))
    runner = CliRunner()
    survey = str(world["options"].survey)
    res = runner.invoke(app, ["rank", "fit", "--survey", survey])
    assert res.exit_code == 0, res.output
    models = sorted((world["data_dir"] / "models").glob("pmt-tepat-*.json"))
    assert models and "R^2" in res.output
    snapshots = []
    for _ in range(2):
        res = runner.invoke(app, ["rank", "apply", "--model", str(models[-1])])
        assert res.exit_code == 0, res.output
        snapshot = next((world["data_dir"] / "ranking").glob(f"{models[-1].stem}_*.parquet"))
        snapshots.append(pub.sha256_file(snapshot))
    assert snapshots[0] == snapshots[1]
    res = runner.invoke(app, ["rank", "fit", "--survey", survey, "--specification", "fancy"])
    assert res.exit_code == 2 and "unknown PMT specification" in res.output
