"""Benchmark (issue 6): every page renders in at most 300 ms server time with 1,000,000 people in
PostgreSQL. Run by hand (never in CI), after ``bench/registry_load_1m.py`` and a cycle::

    .venv/bin/python bench/pages_1m.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/tepat_1m \\
        [--url http://127.0.0.1:8000] [--accounts accounts.json] [--repeat 10] [--data-dir var]

Without ``--url`` it starts ``tepat serve`` on a free port over ``--database-url`` (default
``TEPAT_DATABASE_URL``) with the per-address rate limit lifted, and stops it at the end. It
discovers real ids from the database (the current release, a family of the release that receives
a program, its village, one of its members' NIK and name, a proposal of the village), signs in as
each role through ``/masuk`` (``--accounts``: a JSON file ``{"username": "password"}``, the roles
read from the database; without it, one ``bench-<role>`` account per role is created or reset for
the village, its regency and province, and the whole country), requests every main page
``--repeat`` times and prints, per page, the median, p95 and max of the ``Server-Timing:
app;dur=`` header and of the wall time, marking pages whose slowest server time is over the
limit (``--limit-ms``, 300). A page that does not exist yet (404) is reported as missing, a
refusal (403, a redirect to the sign-in page) as such: never a crash. ``--json FILE`` also writes
the rows as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import and_, create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

BIN = Path(sys.executable).parent
TIMING = re.compile(r"app;dur=([0-9.]+)")
ROLES = (
    "village_operator",
    "facilitator",
    "district_office",
    "province_office",
    "national_admin",
    "program_manager",
    "auditor",
)


@dataclass
class Ids:
    """Real ids of the database the pages are asked about."""

    release: str | None
    village: str
    household: int
    nik: str
    name: str
    proposal: str | None


@dataclass
class Row:
    """The timings of one page for one role."""

    role: str
    page: str
    status: str
    n: int = 0
    app_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)

    def stats(self, values: list[float]) -> tuple[float, float, float] | None:
        if not values:
            return None
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
        return statistics.median(ordered), p95, ordered[-1]


def discover(url: str) -> Ids:
    """A family of the current release with a program, one living member, its village and a
    proposal of that village (when there is one)."""
    from tepat.registry.models import Household, Membership, Person
    from tepat.release.models import Release, ReleaseBeneficiary, ReleaseHousehold
    from tepat.workflow.models import Proposal
    from tepat.workflow.proposals import number_of

    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as db:
            release = db.scalar(
                select(Release.id)
                .where(Release.is_current.is_(True))
                .order_by(Release.loaded_at.desc())
            )
            query = (
                select(Person.nik, Person.full_name, Household.id, Household.village_code)
                .join(
                    Membership,
                    and_(Membership.person_id == Person.id, Membership.end_date.is_(None)),
                )
                .join(Household, Household.id == Membership.household_id)
                .where(
                    Person.status == "alive", Person.nik.is_not(None), Household.status == "active"
                )
            )
            if release is not None:
                family = (
                    select(ReleaseHousehold.household_id)
                    .join(
                        ReleaseBeneficiary,
                        and_(
                            ReleaseBeneficiary.release_id == ReleaseHousehold.release_id,
                            ReleaseBeneficiary.family_id == ReleaseHousehold.family_id,
                        ),
                    )
                    .where(ReleaseHousehold.release_id == release)
                    .limit(1)
                    .scalar_subquery()
                )
                query = query.where(Household.id == family)
            found = db.execute(query.limit(1)).first()
            if found is None:
                raise SystemExit("no living registered person with a NIK in this database")
            proposal = db.scalar(
                select(Proposal)
                .where(Proposal.village_code == found[3])
                .order_by(Proposal.id.desc())
                .limit(1)
            )
            return Ids(
                release=release,
                village=str(found[3]),
                household=int(found[2]),
                nik=str(found[0]),
                name=str(found[1]),
                proposal=None if proposal is None else number_of(proposal),
            )
    finally:
        engine.dispose()


def bench_accounts(url: str, village: str) -> dict[str, tuple[str, str]]:
    """Create (or reset) one ``bench-<role>`` account per role for ``village``'s regions."""
    from tepat.access.models import User, UserRegion
    from tepat.access.passwords import hash_password
    from tepat.access.service import create_user, revoke_user_tokens

    scopes = {
        "village_operator": (village,),
        "facilitator": (village,),
        "district_office": (village[:5],),
        "province_office": (village[:2],),
        "national_admin": ("ID",),
        "program_manager": ("ID",),
        "auditor": ("ID",),
    }
    accounts: dict[str, tuple[str, str]] = {}
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as db:
            for role, regions in scopes.items():
                username = f"bench-{role.replace('_', '-')}"
                password = secrets.token_urlsafe(16)
                user = db.scalar(select(User).where(User.username == username))
                if user is None:
                    create_user(
                        db=db, username=username, password=password, role=role, regions=regions
                    )
                else:
                    user.password_hash = hash_password(password)
                    user.role = role
                    user.active = True
                    user.regions = [UserRegion(region_code=c) for c in regions]
                    revoke_user_tokens(db=db, user_id=user.id)
                accounts[username] = (role, password)
            db.commit()
    finally:
        engine.dispose()
    return accounts


def given_accounts(url: str, path: Path) -> dict[str, tuple[str, str]]:
    """``{"username": "password"}`` from a file, with each account's role from the database."""
    from tepat.access.models import User

    passwords: dict[str, str] = json.loads(path.read_text("utf-8"))
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as db:
            roles = dict(
                db.execute(
                    select(User.username, User.role).where(User.username.in_(list(passwords)))
                ).all()
            )
    finally:
        engine.dispose()
    missing = sorted(set(passwords) - set(roles))
    if missing:
        print(f"warning: no such accounts in the database: {', '.join(missing)}", file=sys.stderr)
    return {u: (str(roles[u]), p) for u, p in passwords.items() if u in roles}


def pages_for(role: str, ids: Ids) -> list[str]:
    """The main pages of a role (a GET path each)."""
    by_name = "/rumah-tangga?" + urlencode({"q": ids.name})
    by_nik = f"/rumah-tangga?q={ids.nik}"
    household = f"/rumah-tangga/{ids.household}"
    release = [f"/rilis/{ids.release}"] if ids.release else []
    proposal = [f"/usulan/{ids.proposal}"] if ids.proposal else []
    common = ["/beranda"]
    pages = {
        "village_operator": [by_name, by_nik, household, "/usulan", *proposal],
        "facilitator": ["/tugas", "/sanggahan", household],
        "district_office": [
            by_name,
            by_nik,
            household,
            "/usulan",
            *proposal,
            "/persetujuan",
            "/sanggahan",
            "/tautan",
            "/rilis",
            *release,
        ],
        "province_office": [by_name, by_nik, household],
        "national_admin": [by_nik, household, "/tautan", "/rilis", "/simulasi"],
        "program_manager": ["/rilis", *release, "/simulasi"],
        "auditor": [],
    }
    return common + pages.get(role, [])


PUBLIC_PAGES = ("/", "/cek-status", "/cara-kerja", "/istilah", "/usul", "/sanggah")


def classify(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "ok"
    if response.status_code in (302, 303) and "/masuk" in response.headers.get("location", ""):
        return "signed out"
    return {404: "missing", 403: "forbidden", 429: "rate limited"}.get(
        response.status_code, f"HTTP {response.status_code}"
    )


def measure(
    client: httpx.Client, role: str, label: str, repeat: int, call: Any, warmup: int = 1
) -> Row:
    """Call ``call()`` ``warmup`` times unmeasured (templates compiled, caches filled), then
    ``repeat`` times; the timings of the answers that were a page."""
    row = Row(role=role, page=label, status="ok")
    statuses: list[str] = []
    for _ in range(warmup):
        with contextlib.suppress(httpx.HTTPError):
            call()
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            response = call()
        except httpx.HTTPError as exc:
            statuses.append(f"error {type(exc).__name__}")
            continue
        wall = (time.perf_counter() - started) * 1000
        status = classify(response)
        statuses.append(status)
        if status != "ok":
            continue
        row.n += 1
        row.wall_ms.append(wall)
        found = TIMING.search(response.headers.get("server-timing", ""))
        if found:
            row.app_ms.append(float(found.group(1)))
    worst = next((s for s in statuses if s != "ok"), "ok")
    row.status = "ok" if row.n == repeat else worst
    return row


def sign_in(client: httpx.Client, username: str, password: str) -> tuple[bool, float]:
    started = time.perf_counter()
    response = client.post(
        "/masuk", data={"username": username, "password": password, "next": "/beranda"}
    )
    ms = (time.perf_counter() - started) * 1000
    return response.status_code == 303 and "tepat_sesi" in client.cookies, ms


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    database_url: str, data_dir: str | None, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "TEPAT_DATABASE_URL": database_url,
        "TEPAT_STATUS_CHECK_RATE_PER_MINUTE": "100000",
    }
    if data_dir:
        env["TEPAT_DATA_DIR"] = data_dir
    command = [str(BIN / "tepat"), "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"tepat serve stopped: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            # /ready: the database is migrated and the start-up warm-up is done, as an
            # orchestrator would wait before sending traffic.
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("tepat serve did not start within 60 s")


def fmt(values: tuple[float, float, float] | None) -> str:
    return "-" if values is None else " ".join(f"{v:7.1f}" for v in values)


def report(rows: list[Row], limit: float, sign_ins: dict[str, float]) -> int:
    """Print the table; the number of pages over the limit."""
    head = f"{'role':17} {'page':40} {'status':12} {'n':>3}"
    print(f"{head}  {'app ms med/p95/max':>23}  {'wall ms med/p95/max':>23}")
    over = 0
    for row in rows:
        app, wall = row.stats(row.app_ms), row.stats(row.wall_ms)
        slow = app is not None and app[2] > limit
        over += slow
        mark = f"  OVER {limit:.0f} ms" if slow else ""
        page = row.page if len(row.page) <= 40 else row.page[:37] + "..."
        line = f"{row.role:17} {page:40} {row.status:12} {row.n:3}"
        print(f"{line}  {fmt(app):>23}  {fmt(wall):>23}{mark}")
    measured = [r for r in rows if r.n]
    print()
    print(
        f"{len(measured)} pages measured, {over} over {limit:.0f} ms server time; "
        f"missing: {sum(r.status == 'missing' for r in rows)}, "
        f"other refusals/errors: {sum(r.status not in ('ok', 'missing') for r in rows)}"
    )
    if sign_ins:
        print(
            "sign-in (POST /masuk, argon2 by design): "
            + ", ".join(f"{u} {ms:.0f} ms" for u, ms in sign_ins.items())
        )
    return over


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("TEPAT_DATABASE_URL"))
    parser.add_argument("--url", help="a running service; default: start tepat serve")
    parser.add_argument("--accounts", type=Path, help='JSON {"username": "password"}')
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured calls per page first")
    parser.add_argument("--limit-ms", type=float, default=300.0)
    parser.add_argument("--data-dir", help="TEPAT_DATA_DIR of the started service")
    parser.add_argument("--workers", type=int, default=1, help="workers of the started service")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or TEPAT_DATABASE_URL) is needed to find real ids")
    ids = discover(args.database_url)
    print(
        f"ids: release {ids.release}, village {ids.village}, household {ids.household}, "
        f"proposal {ids.proposal}"
    )
    accounts = (
        given_accounts(args.database_url, args.accounts)
        if args.accounts
        else bench_accounts(args.database_url, ids.village)
    )
    process = None
    url = args.url
    if url is None:
        process, url = start_server(args.database_url, args.data_dir, args.workers)
        print(f"started tepat serve at {url}")
    rows: list[Row] = []
    sign_ins: dict[str, float] = {}
    try:
        with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as public:
            for path in PUBLIC_PAGES:
                rows.append(
                    measure(
                        public,
                        "public",
                        path,
                        args.repeat,
                        lambda p=path: public.get(p),
                        args.warmup,
                    )
                )
            body = {"nik": ids.nik, "name": ids.name}
            rows.append(
                measure(
                    public,
                    "public",
                    "POST /cek-status",
                    args.repeat,
                    lambda: public.post("/cek-status", data=body),
                    args.warmup,
                )
            )
        for username, (role, password) in accounts.items():
            with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as client:
                ok, ms = sign_in(client, username, password)
                sign_ins[username] = ms
                if not ok:
                    rows.append(Row(role=role, page=f"(sign-in as {username})", status="refused"))
                    continue
                for path in pages_for(role, ids):
                    label = path.replace(ids.nik, "<NIK>")
                    label = label.replace(urlencode({"q": ids.name})[2:], "<name>")
                    rows.append(
                        measure(
                            client,
                            role,
                            label,
                            args.repeat,
                            lambda p=path: client.get(p),
                            args.warmup,
                        )
                    )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
    over = report(rows, args.limit_ms, sign_ins)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1), "utf-8")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
