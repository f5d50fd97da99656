"""Latent per-capita expenditure: the ground truth that welfare ranking tries to recover.

log pce at the snapshot = national level + region + household welfare + household size and
composition + a part no registry variable shows. Current pce keeps 68% of the snapshot's
deviation over the ~3 years to the data cut (welfare persistence as in household panels) plus a
new idiosyncratic part, the effect of recorded economic events, and the change in household size.
That churn is why a PMT fitted on survey data with an R^2 near 0.5 still misses half the poor.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from tepat.synth.population import Table

LOG_MEAN: Final = 13.85  # about Rp 1.03 M per person per month
LATENT_LOADING: Final = 0.36
SIZE_ELASTICITY: Final = 0.33
HIDDEN_SD: Final = 0.36
PERSISTENCE: Final = 0.68
SNAPSHOT_SD: Final = 0.55  # used to size the new idiosyncratic part so the spread is stable


def snapshot_log_pce(
    rng: np.random.Generator, hh: Table, size: np.ndarray, children: np.ndarray, elderly: np.ndarray
) -> np.ndarray:
    """log per-capita monthly expenditure (Rupiah) of each household at the snapshot."""
    n = len(size)
    dependency = (children + elderly) / np.maximum(size, 1)
    return (
        LOG_MEAN
        + hh["region_effect"]
        + LATENT_LOADING * hh["latent"]
        - SIZE_ELASTICITY * (np.log(np.maximum(size, 1)) - np.log(3.7))
        - 0.15 * (dependency - 0.35)
        + rng.normal(0.0, HIDDEN_SD, n)
    )


def current_log_pce(
    rng: np.random.Generator,
    snapshot: np.ndarray,
    shock: np.ndarray,
    size_then: np.ndarray,
    size_now: np.ndarray,
) -> np.ndarray:
    """log pce at the data cut: persistence, new idiosyncratic part, events and size change."""
    mean = float(np.mean(snapshot))
    fresh = rng.normal(0.0, SNAPSHOT_SD * np.sqrt(1 - PERSISTENCE**2), len(snapshot))
    size_change = -SIZE_ELASTICITY * (
        np.log(np.maximum(size_now, 1)) - np.log(np.maximum(size_then, 1))
    )
    return mean + PERSISTENCE * (snapshot - mean) + fresh + shock + size_change
