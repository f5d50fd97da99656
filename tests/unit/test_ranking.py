"""PMT, deciles and targeting errors on small hand-made tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tepat.errors import InvalidInput
from tepat.ranking import deciles, pmt, targeting


def _households(con: duckdb.DuckDBPyConnection, members: list[int], scores: list[float]) -> None:
    n = len(members)
    con.execute(
        "CREATE OR REPLACE TABLE rank_households AS SELECT * FROM (VALUES "
        + ", ".join(f"('F{i:04d}', {m})" for i, m in enumerate(members))
        + ") t(family_id, members)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE pmt_scores AS SELECT * FROM (VALUES "
        + ", ".join(f"('F{i:04d}', {s!r})" for i, s in enumerate(scores))
        + ") t(family_id, log_pce)"
    )
    assert n == len(scores)


def test_people_deciles_hold_ten_percent_of_people_not_households() -> None:
    rng = np.random.default_rng(3)
    members = rng.integers(1, 9, 5000).tolist()
    scores = rng.normal(13.8, 0.5, 5000).tolist()
    con = duckdb.connect()
    _households(con, members, scores)
    deciles.rank(con)
    dist = deciles.distribution(con)
    assert [d["desil"] for d in dist] == list(range(1, 11))
    for d in dist:
        assert abs(d["share_people"] - 0.1) < 0.005
    # poorer deciles hold bigger households here only by chance; the cut is by people
    deciles.rank(con, base="households")
    per_h = [d["households"] for d in deciles.distribution(con)]
    assert max(per_h) - min(per_h) <= 2


def test_ties_break_the_same_way_whatever_the_row_order() -> None:
    members = [3] * 40
    scores = [13.0] * 40  # all tied
    a = duckdb.connect()
    _households(a, members, scores)
    deciles.rank(a)
    b = duckdb.connect()
    _households(b, members[::-1], scores)
    b.execute(
        "CREATE OR REPLACE TABLE rank_households AS SELECT * FROM rank_households "
        "ORDER BY family_id DESC"
    )
    deciles.rank(b)
    q = "SELECT family_id, desil, percentile FROM ranked ORDER BY family_id"
    assert a.execute(q).fetchall() == b.execute(q).fetchall()
    assert {r[1] for r in a.execute(q).fetchall()} == set(range(1, 11))


def test_a_lower_predicted_pce_never_gets_a_higher_desil() -> None:
    rng = np.random.default_rng(9)
    con = duckdb.connect()
    _households(con, rng.integers(1, 7, 2000).tolist(), rng.normal(0, 1, 2000).tolist())
    deciles.rank(con)
    rows = con.execute("SELECT log_pce, desil FROM ranked ORDER BY log_pce").fetchall()
    assert [d for _, d in rows] == sorted(d for _, d in rows)


def test_unknown_decile_base_is_refused() -> None:
    con = duckdb.connect()
    _households(con, [1], [1.0])
    with pytest.raises(InvalidInput, match="decile base"):
        deciles.rank(con, base="families")  # type: ignore[arg-type]


def test_errors_follow_the_alatas_definitions() -> None:
    w = np.array([1.0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    poor = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], bool)
    targeted = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0], bool)
    e = targeting._errors(w, targeted, poor)
    assert e.exclusion_error == 0.5  # 2 of 4 poor missed
    assert e.inclusion_error == round(1 / 6, 4)  # 1 of 6 non-poor included
    assert e.mistargeting == 0.3  # 3 of 10 on the wrong side


def test_model_round_trips_and_refuses_an_edited_file(tmp_path: Path) -> None:
    model = pmt.PmtModel(
        specification="plain", feature_set="plain", coefficients={"const": 13.5, "log_size": -0.3}
    )
    model.version = f"pmt-plain-{model.content_hash()[:12]}"
    path = model.save(tmp_path / "m.json")
    assert pmt.PmtModel.load(path).coefficients == model.coefficients
    data = json.loads(path.read_text())
    data["coefficients"]["log_size"] = -0.1
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidInput, match="does not match its version"):
        pmt.PmtModel.load(path)
    path.write_text("{not json")
    with pytest.raises(InvalidInput, match="not a Tepat PMT model"):
        pmt.PmtModel.load(path)


def test_survey_problems_are_reported(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE rank_households AS SELECT 'F1' AS family_id, '1' AS kk")
    with pytest.raises(InvalidInput, match="does not exist"):
        pmt.survey_targets(con, tmp_path / "missing.parquet")
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"kk_number": ["1"]}), bad)
    with pytest.raises(InvalidInput, match="lacks the columns pce_observed"):
        pmt.survey_targets(con, bad)
