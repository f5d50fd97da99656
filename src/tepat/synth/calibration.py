"""How hard targeting is on a generated population: a plain log-linear PMT, as BPS would fit.

The PMT is fitted by OLS on the survey sample (observed log per-capita expenditure) with the
household's snapshot attributes, applied to every household, and judged against *current* true
expenditure at a 30% coverage cut, the setting of Alatas et al. (AER 2012, Table 3: PMT arm
mistargeting 0.30, inclusion error 0.18, exclusion error 0.52).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from tepat.registry.fields import YES_NO_ITEMS
from tepat.synth.population import Table

ANCHOR = {"mistargeting": 0.30, "inclusion_error": 0.18, "exclusion_error": 0.52}

_BINARY = (*sorted(YES_NO_ITEMS), "urban")
_CATEGORICAL = (
    "building_ownership",
    "floor_material",
    "wall_material",
    "roof_material",
    "drinking_water",
    "lighting",
    "power_va",
    "cooking_fuel",
    "toilet_facility",
    "excreta_disposal",
)


@dataclass(frozen=True)
class TargetingCheck:
    """Figures of the plain PMT on one generated population."""

    survey_households: int
    r_squared: float
    households_evaluated: int
    coverage: float
    mistargeting: float
    inclusion_error: float
    exclusion_error: float

    def as_dict(self) -> dict[str, float | int | dict[str, float]]:
        """JSON-ready figures with the real-world anchor beside them."""
        return {**asdict(self), "anchor_alatas_2012": ANCHOR}


def design_matrix(hh: Table, heads: Table) -> np.ndarray:
    """PMT regressors: region, composition, head, housing and asset items (one row a household)."""
    cols: list[np.ndarray] = [np.ones(len(hh["size"]))]
    for p in sorted(set(hh["province"].tolist()))[1:]:
        cols.append((hh["province"] == p).astype(float))
    size = hh["size"].astype(float)
    cols += [
        np.log(size),
        np.log(size) ** 2,
        hh["children"] / size,
        hh["elderly"] / size,
        np.log(np.maximum(hh["floor_area_m2"], 1) / size),
    ]
    for name in _BINARY:
        cols.append(hh[name].astype(float))
    for name in _CATEGORICAL:
        values = hh[name]
        for code in sorted(set(values.tolist()))[1:]:
            cols.append((values == code).astype(float))
    for name in ("cattle", "goats", "pigs"):
        cols.append(np.log1p(hh[name].astype(float)))
    cols += [heads["female"].astype(float), heads["age"] / 10.0, (heads["age"] / 10.0) ** 2]
    for tier in range(1, 7):
        cols.append((heads["tier"] == tier).astype(float))
    for status in range(1, 9):
        cols.append((heads["employment_status"] == status).astype(float))
    cols.append(heads["worked_last_week"].astype(float))
    return np.column_stack(cols)


def targeting_check(
    x: np.ndarray,
    survey: np.ndarray,
    observed_log_pce: np.ndarray,
    true_log_pce_now: np.ndarray,
    evaluate: np.ndarray,
    coverage: float = 0.30,
) -> TargetingCheck:
    """Fit OLS on the survey rows and measure targeting at ``coverage`` on ``evaluate`` rows."""
    xs, ys = x[survey], observed_log_pce[survey]
    beta, *_ = np.linalg.lstsq(xs, ys, rcond=None)
    fitted = xs @ beta
    r2 = 1.0 - float(np.sum((ys - fitted) ** 2) / np.sum((ys - ys.mean()) ** 2))
    pred = x[evaluate] @ beta
    truth = true_log_pce_now[evaluate]
    n = len(pred)
    k = round(coverage * n)
    # Ties broken by position so the check is deterministic.
    selected = np.zeros(n, bool)
    selected[np.lexsort((np.arange(n), pred))[:k]] = True
    poor = np.zeros(n, bool)
    poor[np.lexsort((np.arange(n), truth))[:k]] = True
    inclusion = float((selected & ~poor).sum() / max((~poor).sum(), 1))
    exclusion = float((poor & ~selected).sum() / max(poor.sum(), 1))
    return TargetingCheck(
        survey_households=int(survey.sum()),
        r_squared=round(r2, 4),
        households_evaluated=n,
        coverage=coverage,
        mistargeting=round(float((selected != poor).mean()), 4),
        inclusion_error=round(inclusion, 4),
        exclusion_error=round(exclusion, 4),
    )
