"""Releases for analysts, program managers and district offices: ``/rilis`` (the list),
``/rilis/{id}`` (desil, programs, targeting error beside the Alatas anchor, the changes since the
previous release family by family) and the downloads of the beneficiary lists per regency.

Aggregates come from the release's manifest; the family-level changes from a file prepared once
per pair of releases in a background job (``tepat.pages.changes``), read a page at a time and
limited to the user's regions. A list download is only for a regency the user holds, with the
identity numbers masked for roles that may not see them, and is written to the audit log.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.access.roles import Role, code_covers
from tepat.errors import Forbidden, InvalidInput, NotFound
from tepat.pages import changes as ch
from tepat.pages.i18n import Lang, translator
from tepat.pages.jobs import Job, registry
from tepat.pages.render import environment, render, request_lang
from tepat.pages.session import PageUser, require_page_role
from tepat.reference.regions import regions
from tepat.registry.models import Household
from tepat.release.models import Release
from tepat.release.publish import MANIFEST, PUBLISHED, list_releases, releases_dir
from tepat.web.deps import AppSettings, DbSession

router = APIRouter()

READERS: Final[tuple[Role, ...]] = ("program_manager", "national_admin", "district_office")
PAGE_SIZE: Final = 50
RELEASE_ID = re.compile(r"^R\d{8}-[0-9a-f]{10}$")
PROGRAM_ID = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
REGENCY = re.compile(r"^\d{2}\.\d{2}$")
REGION = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
TARGETING_ROWS: Final = ("model", "housing_score", "plain_pmt", "after_verification", "anchor")


def _folder(data_dir: Path, release_id: str) -> Path:
    """The folder of a published release, or 404 (also for a malformed id)."""
    folder = releases_dir(data_dir) / release_id
    if not RELEASE_ID.match(release_id) or not (folder / MANIFEST).exists():
        raise NotFound(f"release {release_id[:40]} does not exist", code="release_not_found")
    return folder


def _stamp(folder: Path) -> tuple[Any, ...]:
    """The folder and its files' modification times: the key of what is kept of a release (a
    published release never changes; a test or a repair that rewrites one gets a new key)."""

    def mtime(path: Path) -> int | None:
        try:
            return path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    names = (MANIFEST, PUBLISHED, "targeting.json", "lists")
    return (str(folder), *(mtime(folder / name) for name in names))


@lru_cache(maxsize=8)
def _read_manifest(stamp: tuple[Any, ...]) -> dict[str, Any]:
    folder = Path(stamp[0])
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    published = folder / PUBLISHED
    manifest["data_cut"] = _day(manifest.get("data_cut"))
    manifest["published_at"] = (
        json.loads(published.read_text()).get("published_at") if published.exists() else None
    )
    return manifest


def _manifest(folder: Path) -> dict[str, Any]:
    """The release's manifest (read once; a shallow copy, not to be changed below the top)."""
    return dict(_read_manifest(_stamp(folder)))


def _day(value: Any) -> date | None:
    """An ISO date string as a date (shown without a time), else None."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _short(rules_version: str) -> str:
    return rules_version.rpartition("sha256=")[2][:12] or rules_version


def _region_name(code: str) -> str:
    found = regions().find(code)
    return found.display_name if found is not None else code


def _scope(user: Principal) -> tuple[str, ...] | None:
    """The user's regions as a filter (None: everything)."""
    return None if user.is_national else tuple(user.regions)


@router.get("/rilis")
def release_list(
    request: Request, user: PageUser, db: DbSession, settings: AppSettings
) -> Response:
    """Every published release, newest first, with its versions and counts."""
    require_page_role(user, *READERS)
    loaded = {r.id: r for r in db.scalars(select(Release))}
    rows = []
    for r in reversed(list_releases(settings.data_dir)):
        row = loaded.get(r["release_id"])
        rows.append(
            {
                **r,
                "data_cut": _day(r["data_cut"]),
                "rules_short": _short(r["versions"].get("rules", "")),
                "loaded": row is not None,
                "current_db": bool(row and row.is_current),
            }
        )
    return render(request, "releases/list.html", {"releases": rows})


def _targeting(folder: Path) -> dict[str, Any] | None:
    return _read_targeting(_stamp(folder))


@lru_cache(maxsize=8)
def _read_targeting(stamp: tuple[Any, ...]) -> dict[str, Any] | None:
    path = Path(stamp[0]) / "targeting.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    found = {"model": data.get("model"), "anchor": data.get("anchor_alatas_2012")}
    found.update(data.get("baselines") or {})
    found["after_verification"] = data.get("after_verification")
    rows = [(key, found[key]) for key in TARGETING_ROWS if found.get(key)]
    return {"cut": data.get("cut", 4), "rows": rows, "programs": data.get("programs") or []}


@lru_cache(maxsize=8)
def _all_downloads(stamp: tuple[Any, ...]) -> tuple[dict[str, str], ...]:
    """Every list of the release (thousands at national scope: listed once)."""
    out: list[dict[str, str]] = []
    lists = Path(stamp[0]) / "lists"
    if not lists.is_dir():
        return ()
    for program_dir in sorted(p for p in lists.iterdir() if p.is_dir()):
        for csv_path in sorted(program_dir.glob("*.csv")):
            regency = csv_path.stem
            if REGENCY.match(regency):
                out.append(
                    {"program": program_dir.name, "regency": regency, "name": _region_name(regency)}
                )
    return tuple(out)


@lru_cache(maxsize=32)
def _downloads_of(stamp: tuple[Any, ...], held: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """The lists of regencies in ``held`` (what ``Principal.covers`` checks)."""
    return tuple(
        d for d in _all_downloads(stamp) if any(code_covers(r, d["regency"]) for r in held)
    )


@lru_cache(maxsize=16)
def _download_rows(
    stamp: tuple[Any, ...], held: tuple[str, ...], lang: Lang, release_id: str
) -> Markup:
    """The rows of the downloads table, rendered once per release, regions and language."""
    template = environment().get_template("releases/_download_rows.html")
    return Markup(
        template.render(
            downloads=_downloads_of(stamp, held), t=translator(lang), release_id=release_id
        )
    )


DOWNLOADS_AT_ONCE = 120  # rows; a wider scope first picks a province (or regency)


def _download_scope(
    user: Principal, stamp: tuple[Any, ...], unduh: str | None
) -> tuple[tuple[str, ...] | None, list[tuple[str, str]]]:
    """The regions whose lists to show, or None with the choices to pick from first.

    A national or province account holds thousands of lists (10 programs x 500 regencies): the
    page lists them for one province (or regency) at a time instead of sending them all to a
    phone, and stays fast.
    """
    held = tuple(user.regions)
    if unduh and user.covers(unduh):
        return (unduh,), []
    rows = _downloads_of(stamp, held)
    if len(rows) <= DOWNLOADS_AT_ONCE:
        return held, []
    level = 2 if user.is_national else 5
    codes = sorted({d["regency"][:level] for d in rows})
    return None, [(c, _region_name(c)) for c in codes]


def _changes_job(request: Request, data_dir: Path, old: str, new: str) -> Job:
    """The (shared) job preparing the changes from ``old`` to ``new``."""
    return registry(request.app).submit(
        "changes",
        lambda: ch.build_changes(data_dir, old, new),
        owner=None,
        key=f"changes-{old}-{new}",
    )


def _filters(
    user: Principal, program: str | None, wilayah: str | None, arah: str | None, page: int
) -> dict[str, Any]:
    """The diff's filters from the query, checked (a region outside the user's scope: 403)."""
    program = (program or "").strip() or None
    if program is not None and program != "desil" and not PROGRAM_ID.match(program):
        raise InvalidInput("unknown program", code="invalid_program", field="program")
    region = (wilayah or "").strip() or None
    if region is not None:
        if not REGION.match(region):
            raise InvalidInput("malformed region code", code="invalid_region", field="wilayah")
        user.require_covers(region, field="wilayah")
    direction = arah if arah in ("entered", "left") else None
    return {"program": program, "region": region, "direction": direction, "page": max(1, page)}


def _households(db: Session, family_ids: list[str]) -> dict[str, tuple[int, str | None]]:
    """The registry household (id, KK) of each family id shown on a page (at most a page)."""
    if not family_ids:
        return {}
    rows = db.execute(
        select(Household.family_key, Household.id, Household.kk_number).where(
            Household.family_key.in_(family_ids)
        )
    ).all()
    return {r.family_key: (r.id, r.kk_number) for r in rows}


def _changes_context(
    request: Request,
    db: Session,
    user: Principal,
    data_dir: Path,
    release_id: str,
    manifest: dict[str, Any],
    filters: dict[str, Any],
) -> dict[str, Any]:
    """What the changes section shows: not applicable, being prepared, or a page of changes."""
    previous = ch.previous_of(data_dir, release_id, manifest)
    base = {"previous": previous, "filters": filters, "state": "none", "release_id": release_id}
    if previous is None:
        return base
    path = ch.changes_path(data_dir, previous, release_id)
    if not path.exists():
        job = _changes_job(request, data_dir, previous, release_id)
        if job.state == "failed":
            return {**base, "state": "failed"}
        if job.pending:
            return {**base, "state": "preparing"}
    scope = _scope(user)
    summary = ch.summary_of_changes(path, scope)
    offset = (filters["page"] - 1) * PAGE_SIZE
    rows, total = ch.page_of_changes(
        path,
        scope,
        program=filters["program"],
        region=filters["region"],
        direction=filters["direction"],
        offset=offset,
        limit=PAGE_SIZE,
    )
    found = _households(db, sorted({r["family_id"] for r in rows}))
    for r in rows:
        household_id, kk = found.get(r["family_id"], (None, None))
        r["household_id"] = household_id
        r["kk"] = user.kk(kk)
        r["village"] = _region_name(r["village_code"]) if r["village_code"] else "-"
        r["failed_list"] = [f for f in (r["failed"] or "").split(",") if f]
    if rows:
        audit.record(
            db,
            user,
            action="release.changes.read",
            purpose=None,
            entity="release",
            entity_id=release_id,
            region_code=filters["region"],
            detail={
                "previous_release_id": previous,
                "program": filters["program"],
                "families": sorted({r["family_id"] for r in rows}),
            },
        )
    districts = [(d, _region_name(d)) for d in summary["districts"]]
    return {
        **base,
        "state": "ready",
        "summary": summary,
        "districts": districts,
        "rows": rows,
        "total": total,
        "size": PAGE_SIZE,
    }


def _query(filters: dict[str, Any]) -> str:
    """The filter part of a changes URL (without the page)."""
    parts = []
    for key, name in (("program", "program"), ("region", "wilayah"), ("direction", "arah")):
        if filters.get(key):
            parts.append(f"{name}={filters[key]}")
    return "&".join(parts)


@router.get("/rilis/{release_id}")
def release_detail(
    release_id: str,
    request: Request,
    user: PageUser,
    db: DbSession,
    settings: AppSettings,
    program: str | None = None,
    wilayah: str | None = None,
    arah: str | None = None,
    page: int = 1,
    unduh: str | None = None,
) -> Response:
    """A release's summary, its changes since the previous release and its downloads."""
    require_page_role(user, *READERS)
    folder = _folder(settings.data_dir, release_id)
    manifest = _manifest(folder)
    shown, choices = _download_scope(user, _stamp(folder), unduh)
    filters = _filters(user, program, wilayah, arah, page)
    changes = _changes_context(request, db, user, settings.data_dir, release_id, manifest, filters)
    loaded = db.get(Release, release_id)
    programs = manifest.get("programs") or []
    context = {
        "m": manifest,
        "release_id": release_id,
        "loaded": loaded,
        "rules_short": _short(manifest.get("versions", {}).get("rules", "")),
        "programs": programs,
        "program_names": {p["program"]: p for p in programs},
        "total_cost": sum(p.get("cost_year", 0) for p in programs),
        "targeting": _targeting(folder),
        "downloads": [] if shown is None else list(_downloads_of(_stamp(folder), shown)),
        "download_rows": ""
        if shown is None
        else _download_rows(_stamp(folder), shown, request_lang(request), release_id),
        "download_choices": choices,
        "download_region": unduh if shown is not None and unduh else "",
        "changes": changes,
        "filter_query": _query(filters),
        "scope_name": ", ".join(
            _region_name(r) if r != "ID" else "Indonesia" for r in user.regions
        ),
    }
    return render(request, "releases/detail.html", context)


@router.get("/rilis/{release_id}/perubahan")
def release_changes(
    release_id: str,
    request: Request,
    user: PageUser,
    db: DbSession,
    settings: AppSettings,
    program: str | None = None,
    wilayah: str | None = None,
    arah: str | None = None,
    page: int = 1,
) -> Response:
    """The changes section alone (htmx polls it while it is being prepared)."""
    require_page_role(user, *READERS)
    folder = _folder(settings.data_dir, release_id)
    manifest = _manifest(folder)
    filters = _filters(user, program, wilayah, arah, page)
    changes = _changes_context(request, db, user, settings.data_dir, release_id, manifest, filters)
    programs = manifest.get("programs") or []
    context = {
        "changes": changes,
        "release_id": release_id,
        "program_names": {p["program"]: p for p in programs},
        "filter_query": _query(filters),
    }
    return render(request, "releases/changes.html", context)


# Downloads ----------------------------------------------------------------------------------


def _masked_csv(path: Path, user: Principal) -> Iterator[bytes]:
    """The CSV with NIK and KK masked, streamed line by line."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        nik_col = header.index("nik") if "nik" in header else -1
        kk_col = header.index("kk") if "kk" in header else -1
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        for n, row in enumerate(reader, 1):
            if nik_col >= 0 and row[nik_col]:
                row[nik_col] = user.nik(row[nik_col]) or ""
            if kk_col >= 0 and row[kk_col]:
                row[kk_col] = user.kk(row[kk_col]) or ""
            writer.writerow(row)
            if n % 2000 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


def _parquet_bytes(path: Path, regency: str, user: Principal) -> tuple[bytes, int]:
    """The program's rows of one regency as Parquet, identity numbers masked when needed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path, filters=[("regency_code", "=", regency)])
    if not user.may_see_identity:
        for name, mask in (("nik", user.nik), ("kk", user.kk)):
            if name in table.column_names:
                values = [mask(v) for v in table.column(name).to_pylist()]
                index = table.column_names.index(name)
                table = table.set_column(index, name, pa.array(values, pa.string()))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue(), table.num_rows


@router.get("/rilis/{release_id}/unduh/{program}/{filename}")
def download_list(
    release_id: str,
    program: str,
    filename: str,
    request: Request,
    user: PageUser,
    db: DbSession,
    settings: AppSettings,
) -> Response:
    """A program's beneficiary list of one regency (CSV or Parquet), for a regency you hold."""
    require_page_role(user, *READERS)
    folder = _folder(settings.data_dir, release_id)
    regency, _, fmt = filename.rpartition(".")
    if not PROGRAM_ID.match(program) or not REGENCY.match(regency) or fmt not in ("csv", "parquet"):
        raise NotFound("no such list", code="list_not_found")
    if not user.covers(regency):
        raise Forbidden(
            f"region {regency} is outside your account's scope; you may download only the "
            "lists of your own regions",
            code="out_of_scope",
        )
    csv_path = folder / "lists" / program / f"{regency}.csv"
    if not csv_path.exists():
        raise NotFound("no such list", code="list_not_found")
    name = f"{release_id}_{program}_{regency}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if fmt == "parquet":
        body, rows = _parquet_bytes(folder / "lists" / f"{program}.parquet", regency, user)
    else:
        with csv_path.open("rb") as fh:
            rows = max(0, sum(1 for _ in fh) - 1)
    audit.record(
        db,
        user,
        action="release.list.download",
        purpose=None,
        entity="release",
        entity_id=release_id,
        region_code=regency,
        detail={
            "program": program,
            "format": fmt,
            "rows": rows,
            "identity": "full" if user.may_see_identity else "masked",
        },
    )
    if fmt == "parquet":
        return Response(body, media_type="application/vnd.apache.parquet", headers=headers)
    if user.may_see_identity:
        content: Iterator[bytes] = iter([csv_path.read_bytes()])
    else:
        content = _masked_csv(csv_path, user)
    return StreamingResponse(content, media_type="text/csv; charset=utf-8", headers=headers)
