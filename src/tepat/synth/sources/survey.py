"""A Susenas-like survey sample: a few percent of households with observed expenditure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tepat.synth.generate import Population


def export(pop: Population, out: Path) -> Path:
    """Write ``susenas_sample.parquet``: household id, KK at the survey, observed pce, weight."""
    h = pop.households
    idx = pop.survey["household"]
    share = len(idx) / max(int((h["split_from"] < 0).sum()), 1)
    table = pa.table(
        {
            "household_id": pa.array(idx, pa.int64()),
            "kk_number": pa.array(h["kk_snapshot"][idx].tolist(), pa.string()),
            "village_code": pa.array(pop.villages.codes[h["village"][idx]].astype(str)),
            "survey_month": pa.array(["2022-10"] * len(idx)),
            "pce_observed": pa.array(pop.survey["pce_observed"], pa.float64()),
            "weight": pa.array(np.full(len(idx), 1 / share if share else 0.0), pa.float64()),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "susenas_sample.parquet"
    pq.write_table(table, path, compression="zstd")
    return path
