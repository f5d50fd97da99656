"""The proxy-means test: log per-capita expenditure predicted from registry variables.

``fit`` learns the model from a Susenas-like survey sample (households with observed monthly
per-capita expenditure) joined to the registry by KK number; ``apply`` scores every household in
one SQL statement. Two specifications:

``tepat`` (the default)  every feature of ``features.full_features`` (members' work, business,
                         schooling and health as well as the head and the dwelling), ridge-penalised
                         with the penalty chosen by 5-fold cross-validation, province and
                         province x urban effects, and regency effects shrunk towards zero by
                         their estimated variance (a random intercept, method of moments).
``plain``                a national OLS on ``features.plain_features``, no regional effects: the
                         baseline a plain BPS-style PMT gives.

A model is plain data (``PmtModel``), saved as JSON with its model card: variables and
coefficients, fit statistics, the training data cut and the hash of the survey file. Its version
is a hash of that content, so applying the same model is reproducible and traceable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tepat.errors import InvalidInput
from tepat.ranking.features import (
    FEATURE_SETS,
    Feature,
    family_key,
    household_features,
    member_aggregates,
    prediction_sql,
)

SPECIFICATIONS: Final = ("tepat", "plain")
_LAMBDAS: Final = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0)
_FOLDS: Final = 5
# A level of regional effects with more areas than this is joined, not written as a CASE.
_INLINE_EFFECTS: Final = 16


@dataclass
class PmtModel:
    """A fitted PMT and its model card."""

    specification: str
    feature_set: str
    coefficients: dict[str, float]
    province_effects: dict[str, float] = field(default_factory=dict)
    province_urban_effects: dict[str, float] = field(default_factory=dict)
    regency_effects: dict[str, float] = field(default_factory=dict)
    district_effects: dict[str, float] = field(default_factory=dict)
    village_effects: dict[str, float] = field(default_factory=dict)
    ridge_lambda: float = 0.0
    statistics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    version: str = ""

    def content_hash(self) -> str:
        """sha256 of everything but the version itself."""
        body = {k: v for k, v in asdict(self).items() if k != "version"}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def features(self) -> list[Feature]:
        """The feature definitions this model was fitted on."""
        return FEATURE_SETS[self.feature_set]()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, the model card included."""
        return asdict(self)

    def save(self, path: Path) -> Path:
        """Write the model as JSON (atomically)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=1, sort_keys=True) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> PmtModel:
        """Read a model written by ``save``; refuse one that was edited or is not a model."""
        try:
            data = json.loads(path.read_text())
            model = cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise InvalidInput(f"{path} is not a Tepat PMT model: {exc}") from None
        if model.feature_set not in FEATURE_SETS:
            raise InvalidInput(f"{path}: unknown feature set {model.feature_set!r}")
        if model.version != f"pmt-{model.specification}-{model.content_hash()[:12]}":
            raise InvalidInput(f"{path}: the model's content does not match its version")
        return model

    def _region_effects(self) -> list[tuple[str, list[str], str]]:
        """Each level of regional effects with a nonzero effect, in the order they are added:
        (key expression over ``h``, the codes, ``WHEN '<code>' THEN <effect> ...``)."""
        out = []
        for table, key in (
            (self.province_effects, "h.province_code"),
            (
                self.province_urban_effects,
                "h.province_code || CASE WHEN coalesce(h.urban, false) THEN ':u' ELSE ':r' END",
            ),
            (self.regency_effects, "h.regency_code"),
            (self.district_effects, "h.district_code"),
            (self.village_effects, "h.village_code"),
        ):
            items = [(k, v) for k, v in sorted(table.items()) if v]
            if items:
                cases = " ".join(f"WHEN '{k}' THEN {float(v)!r}" for k, v in items)
                out.append((key, [k for k, _ in items], cases))
        return out

    def prediction_sql(self) -> str:
        """log pce of a household ``h`` (with member aggregates ``m``) as one SQL expression."""
        parts = [prediction_sql(self.features(), self.coefficients)]
        parts += [f"CASE {key} {cases} ELSE 0 END" for key, _, cases in self._region_effects()]
        return " + ".join(parts)

    def scoring_sql(self) -> tuple[str, str]:
        """``prediction_sql`` for scoring every household: (the expression, the joins to add after
        ``FROM rank_households h LEFT JOIN <member aggregates> m``). A level with many areas
        (villages: tens of thousands nationally) is looked up in a small table of its effects
        instead of a CASE tried row by row. Each effect comes from the same CASE as in
        ``prediction_sql``, cast to DOUBLE as the sum casts it, so the scores agree to the bit."""
        parts = [prediction_sql(self.features(), self.coefficients)]
        joins = []
        for number, (key, codes, cases) in enumerate(self._region_effects()):
            if len(codes) <= _INLINE_EFFECTS:
                parts.append(f"CASE {key} {cases} ELSE 0 END")
                continue
            alias = f"_effect_{number}"
            rows = ", ".join(f"('{k}')" for k in codes)
            joins.append(
                f"LEFT JOIN (SELECT k, CAST(CASE k {cases} ELSE 0 END AS DOUBLE) AS v "
                f"FROM (VALUES {rows}) t(k)) {alias} ON {alias}.k = {key}"
            )
            parts.append(f"coalesce({alias}.v, CAST(0 AS DOUBLE))")
        return " + ".join(parts), " ".join(joins)


def survey_targets(con: duckdb.DuckDBPyConnection, survey: Path) -> dict[str, Any]:
    """Register the survey sample as ``survey`` and report how much of it matches the registry."""
    if not survey.exists():
        raise InvalidInput(f"survey file {survey} does not exist")
    try:
        table = pq.read_table(survey)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InvalidInput(f"{survey} is not a Parquet survey sample: {exc}") from None
    needed = {"kk_number", "pce_observed"}
    if not needed <= set(table.column_names):
        raise InvalidInput(
            f"{survey} lacks the columns {', '.join(sorted(needed - set(table.column_names)))}"
        )
    if "weight" not in table.column_names:
        table = table.append_column("weight", pa.array(np.ones(table.num_rows)))
    con.register("survey_in", table)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE survey AS SELECT kk_number AS kk, "
        "arg_min(pce_observed, pce_observed) AS pce, any_value(weight) AS weight "
        "FROM survey_in WHERE pce_observed > 0 AND kk_number IS NOT NULL GROUP BY kk_number"
    )
    con.unregister("survey_in")
    rows = con.execute(
        "SELECT (SELECT count(*) FROM survey), "
        "(SELECT count(*) FROM survey s JOIN rank_households h ON h.kk = s.kk)"
    ).fetchall()[0]
    digest = hashlib.sha256(survey.read_bytes()).hexdigest()
    return {
        "survey_file": survey.name,
        "survey_sha256": digest,
        "survey_rows": table.num_rows,
        "survey_households": int(rows[0]),
        "matched_households": int(rows[1]),
    }


def _design(table: pa.Table, features: list[Feature]) -> np.ndarray:
    return np.column_stack([table.column(f.name).to_numpy(zero_copy_only=False) for f in features])


def _ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float) -> np.ndarray:
    """Weighted ridge on standardised columns (intercept unpenalised); returns raw-scale beta."""
    sw = np.sqrt(w)
    mean = np.average(x, axis=0, weights=w)
    sd = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    keep = sd > 1e-12
    z = np.zeros_like(x)
    z[:, keep] = (x[:, keep] - mean[keep]) / sd[keep]
    ym = float(np.average(y, weights=w))
    zk = z[:, keep] * sw[:, None]
    yk = (y - ym) * sw
    k = zk.shape[1]
    if lam > 0:
        a = zk.T @ zk + lam * np.eye(k)
        b = np.linalg.solve(a, zk.T @ yk)
    else:
        b = np.linalg.lstsq(zk, yk, rcond=None)[0]
    beta = np.zeros(x.shape[1])
    beta[keep] = b / sd[keep]
    const = ym - float(mean @ beta)
    return np.concatenate([[const], beta])


def _r2(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    ym = float(np.average(y, weights=w))
    return 1.0 - float(np.sum(w * (y - pred) ** 2) / np.sum(w * (y - ym) ** 2))


def _region_dummies(table: pa.Table) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Province and province x urban indicators (every level: the ridge handles collinearity)."""
    prov = np.asarray(table.column("province_code").to_pylist(), dtype=object)
    urban = np.asarray(table.column("is_urban").to_pylist(), dtype=bool)
    cols: list[np.ndarray] = []
    names: list[tuple[str, str]] = []
    for p in sorted(set(prov.tolist())):
        cols.append((prov == p).astype(float))
        names.append(("province_effects", str(p)))
        for flag, suffix in ((True, "u"), (False, "r")):
            cols.append(((prov == p) & (urban == flag)).astype(float))
            names.append(("province_urban_effects", f"{p}:{suffix}"))
    if not cols:
        return np.zeros((table.num_rows, 0)), []
    return np.column_stack(cols), names


def _folds(family_ids: list[str]) -> np.ndarray:
    """Deterministic fold of each household (a hash of its id, not of the row order)."""
    return np.array(
        [
            int(hashlib.blake2b(f.encode(), digest_size=4).hexdigest(), 16) % _FOLDS
            for f in family_ids
        ]
    )


def fit(
    con: duckdb.DuckDBPyConnection,
    survey: Path,
    *,
    specification: str = "tepat",
    training: dict[str, Any] | None = None,
) -> PmtModel:
    """Fit a PMT on the survey households found in ``rank_households``; see the module doc."""
    if specification not in SPECIFICATIONS:
        raise InvalidInput(
            f"unknown PMT specification {specification!r}; "
            f"choose one of {', '.join(SPECIFICATIONS)}"
        )
    info = survey_targets(con, survey)
    if info["matched_households"] < 50:
        raise InvalidInput(
            f"only {info['matched_households']} survey households match a registry KK: "
            "at least 50 are needed to fit a PMT"
        )
    feature_set = "full" if specification == "tepat" else "plain"
    features = FEATURE_SETS[feature_set]()
    table = household_features(
        con,
        features,
        where="h.kk IN (SELECT kk FROM survey)",
        extra_columns="(SELECT ln(pce) FROM survey s WHERE s.kk = h.kk) AS y, "
        "(SELECT weight FROM survey s WHERE s.kk = h.kk) AS w",
    )
    y = table.column("y").to_numpy()
    w = table.column("w").to_numpy().astype(float)
    x = _design(table, features)
    ids = table.column("family_id").to_pylist()
    regional: list[tuple[str, str]] = []
    if specification == "tepat":
        dummies, regional = _region_dummies(table)
        x = np.column_stack([x, dummies]) if regional else x
        fold = _folds(ids)
        scores = []
        for lam in _LAMBDAS:
            pred = np.zeros_like(y)
            for k in range(_FOLDS):
                test = fold == k
                beta = _ridge(x[~test], y[~test], w[~test], lam)
                pred[test] = beta[0] + x[test] @ beta[1:]
            scores.append(_r2(y, pred, w))
        best = int(np.argmax(scores))
        lam, cv_r2 = _LAMBDAS[best], scores[best]
    else:
        lam, cv_r2 = 0.0, float("nan")
    beta = _ridge(x, y, w, lam)
    fitted = beta[0] + x @ beta[1:]
    resid = y - fitted
    coefficients = {"const": float(beta[0])}
    for f, b in zip(features, beta[1 : 1 + len(features)], strict=True):
        coefficients[f.name] = float(b)
    model = PmtModel(
        specification=specification,
        feature_set=feature_set,
        coefficients=coefficients,
        ridge_lambda=lam,
    )
    for (table_name, key), b in zip(regional, beta[1 + len(features) :], strict=True):
        getattr(model, table_name)[key] = float(b)
    if specification == "tepat":
        # Nested small-area effects, each level fitted on what the level above left.
        for level in ("regency", "district", "village"):
            codes = table.column(f"{level}_code").to_pylist()
            effects = _area_effects(codes, resid, w)
            setattr(model, f"{level}_effects", effects)
            shift = np.array([effects.get(c, 0.0) for c in codes])
            fitted, resid = fitted + shift, resid - shift
    model.statistics = {
        "households": len(y),
        "r_squared": round(_r2(y, fitted, w), 4),
        "cv_r_squared": None if np.isnan(cv_r2) else round(cv_r2, 4),
        "rmse_log": round(float(np.sqrt(np.average((y - fitted) ** 2, weights=w))), 4),
        "features": len(features),
        "nonzero_coefficients": int(sum(1 for v in coefficients.values() if abs(v) > 1e-12)),
    }
    model.training = {**info, **(training or {})}
    model.version = f"pmt-{specification}-{model.content_hash()[:12]}"
    return model


def _area_effects(codes: list[str], resid: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Random area intercepts: each area's mean residual shrunk by n / (n + var_e / var_u), with
    the between-area variance var_u estimated by the method of moments (none when it is 0)."""
    regency = np.asarray(codes, dtype=object)
    names = sorted(set(regency.tolist()))
    if len(names) < 2:
        return {}
    var_e = float(np.average(resid**2, weights=w))
    means, sizes = [], []
    for r in names:
        sel = regency == r
        means.append(float(np.average(resid[sel], weights=w[sel])))
        sizes.append(int(sel.sum()))
    m, n = np.array(means), np.array(sizes, dtype=float)
    var_u = max(float(np.var(m)) - var_e * float(np.mean(1 / n)), 0.0)
    if var_u <= 0:
        return {}
    shrink = n / (n + var_e / var_u)
    return {r: round(float(v), 6) for r, v in zip(names, m * shrink, strict=True) if v}


def apply(
    con: duckdb.DuckDBPyConnection,
    model: PmtModel,
    table: str = "pmt_scores",
    *,
    aggregates: str | None = None,
    key: str = "family_id",
) -> int:
    """Score every household of ``rank_households`` into ``table`` (family_id, log_pce).

    ``aggregates`` names a table of the member aggregates (``features.member_aggregates``, which
    may carry other steps' columns as well, so that one pass over the members serves both);
    without it they are computed here. ``key`` is the column that names a family in both input
    tables (and the aggregates): ``family_id``, or an integer column standing one to one for it,
    which joins faster; ``table`` then holds it too."""
    family_key(key)
    members = aggregates if aggregates is not None else f"({member_aggregates(key=key)})"
    expression, joins = model.scoring_sql()
    also = "" if key == "family_id" else f", h.{key}"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT h.family_id{also}, ({expression})::DOUBLE AS log_pce
        FROM rank_households h LEFT JOIN {members} m USING ({key}) {joins}
        """
    )
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
