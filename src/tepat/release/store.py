"""Load a published release into the registry database (the caller owns the transaction).

Loading is idempotent: a release already loaded is replaced by the same rows. The loaded release
becomes the current one; the households are linked to the registry's households by family key.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Connection, delete, insert, select, update

from tepat.registry.bulk import insert_chunked
from tepat.registry.models import Household
from tepat.release.models import Release, ReleaseBeneficiary, ReleaseHousehold
from tepat.release.publish import MANIFEST


def load_release(conn: Connection, folder: Path) -> dict[str, int]:
    """Load the release in ``folder``; returns the rows written per table."""
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    rid = manifest["release_id"]
    conn.execute(delete(ReleaseBeneficiary).where(ReleaseBeneficiary.release_id == rid))
    conn.execute(delete(ReleaseHousehold).where(ReleaseHousehold.release_id == rid))
    conn.execute(delete(Release).where(Release.id == rid))
    conn.execute(update(Release).values(is_current=False))
    conn.execute(
        insert(Release).values(
            id=rid,
            data_cut=date.fromisoformat(manifest["data_cut"]),
            model_version=manifest["versions"]["model"],
            rules_version=manifest["versions"]["rules"],
            previous_id=manifest.get("previous_release_id"),
            is_current=True,
            manifest={k: v for k, v in manifest.items() if k != "files"},
        )
    )
    registry_ids = dict(
        conn.execute(
            select(Household.family_key, Household.id).where(Household.family_key.is_not(None))
        ).all()
    )
    households = pq.read_table(
        folder / "households.parquet",
        columns=["family_id", "village_code", "members", "desil", "percentile", "predicted_pce"],
    ).to_pylist()
    insert_chunked(
        conn,
        ReleaseHousehold,
        (
            {"release_id": rid, "household_id": registry_ids.get(h["family_id"]), **h}
            for h in households
        ),
    )
    decisions = pq.read_table(
        folder / "eligibility.parquet",
        columns=["program", "family_id", "person_key", "eligible", "amount_year"],
    )
    chosen = decisions.filter(pc.field("eligible")).drop_columns(["eligible"]).to_pylist()
    insert_chunked(conn, ReleaseBeneficiary, ({"release_id": rid, **row} for row in chosen))
    return {"households": len(households), "beneficiaries": len(chosen)}
