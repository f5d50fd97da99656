"""A copy of the demo data with a second release, for the release, diff and simulation pages.

The demo site has one release; comparing releases needs two. ``second_release(site, folder)``
copies the demo data folder and database and runs another cycle on the same integration run
with the same model but deciles over households instead of people, so families move between
deciles and enter or leave programs. The shared demo data is not touched.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from .conftest import AS_OF, DemoSite


def second_release(site: DemoSite, root: Path) -> DemoSite:
    """A copy of ``site`` under ``root`` whose current release is a second one (see above)."""
    from sqlalchemy.orm import sessionmaker

    from tepat.db.engine import make_engine
    from tepat.pipeline.cycle import CycleOptions, run_cycle
    from tepat.release.store import load_release
    from tepat.workflow.notices import create_notices_for_release

    data_dir = root / "data"
    shutil.copytree(site.data_dir, data_dir)
    url = f"sqlite:///{data_dir / 'tepat.db'}"
    model = sorted((data_dir / "models").glob("*.json"))[0]
    options = CycleOptions(
        data_cut=AS_OF,
        model=model,
        truth=site.pop / "truth",
        decile_base="households",
        integrate=False,
    )
    engine = make_engine(url)
    with sessionmaker(engine)() as session:
        result = run_cycle(session=session, data_dir=data_dir, options=options)
        load_release(session.connection(), result.folder)
        create_notices_for_release(db=session, release_id=result.release_id, folder=result.folder)
        session.commit()
    engine.dispose()
    return replace(site, data_dir=data_dir, database_url=url, url="")
