"""The dashboard (``/beranda``): each role's counts and charts, limited to its regions.

What a role sees follows what it may act on: the village operator its village's ranking,
programs, proposals and data-quality flags; the facilitator its tasks; district and province
offices their region by district or regency; the national administrator everything by province;
the program manager the release by region (no case files, no personal data); the auditor the
audit log's counts and the workflow's deadlines. Every number is a count or a sum computed in
SQL (``tepat.pages.queries.dashboard``); every tile links to the page that acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tepat.access.principal import Principal
from tepat.access.roles import Role
from tepat.pages.i18n import Lang, Translate, translator
from tepat.pages.nav import may_open
from tepat.pages.queries import dashboard as q
from tepat.pages.render import day, number, render, request_lang, rupiah
from tepat.pages.session import PageUser, require_page_role
from tepat.web.deps import DbSession
from tepat.workflow.common import READERS
from tepat.workflow.states import OBJECTION, PROPOSAL, Machine
from tepat.workflow.summary import AGE_BUCKETS, OLDEST, StateCount, summarise

router = APIRouter()

DASHBOARD_ROLES: Final[tuple[Role, ...]] = (
    "village_operator",
    "facilitator",
    "district_office",
    "province_office",
    "national_admin",
    "program_manager",
    "auditor",
)
RELEASE_ROLES: Final = frozenset(DASHBOARD_ROLES) - {"auditor"}
QUALITY_ROLES: Final = frozenset(
    {"village_operator", "district_office", "province_office", "national_admin"}
)
DUPLICATE_ROLES: Final = frozenset({"district_office", "national_admin"})
AUDIT_ROLES: Final = frozenset({"auditor", "national_admin"})
AGE_LABELS: Final = (*(label for _, label in AGE_BUCKETS), OLDEST)


@dataclass(frozen=True)
class Tile:
    """A number on the dashboard, what it counts, where to act on it, and whether it warns."""

    value: str
    label: str
    href: str | None = None
    warn: bool = False
    id: str = ""


def _link(user: Principal, path: str) -> str | None:
    """``path`` when the user's menu has its page (query string allowed), else None."""
    return path if may_open(user, path.split("?")[0]) else None


def _short(program: str) -> str:
    """A program's short name for a chart row (PKH, BPNT, PBI JK): fits a phone's width."""
    return program.replace("_", " ").upper()


def _release_section(
    db: Session, user: Principal, release: q.CurrentRelease, t: Translate, lang: Lang
) -> dict[str, Any]:
    desil = q.desil_counts(db, user, release)
    ranked = sum(desil)
    desil_bars = [
        (
            t("dashboard.desil_n", n=d),
            n,
            f"{number(100 * n / ranked, lang, 1)}%" if ranked else "",
        )
        for d, n in zip(q.DESILS, desil, strict=True)
    ]
    programs = [p for p in q.program_totals(db, user, release) if p.units]
    names = {p.id: _short(p.id) for p in release.programs.values()}
    program_reach = [
        (
            names.get(p.program, _short(p.program)),
            p.households,
            t("dashboard.units_people", n=number(p.units, lang))
            if release.programs.get(p.program) and release.programs[p.program].unit == "person"
            else "",
        )
        for p in sorted(programs, key=lambda p: -p.households)
    ]
    program_cost = [
        (names.get(p.program, _short(p.program)), p.cost_year, "")
        for p in sorted(programs, key=lambda p: -p.cost_year)
    ]
    length = q.breakdown_length(user)
    regions = q.region_totals(db, user, release, length)
    shown, rest = regions[: q.MAX_REGIONS], regions[q.MAX_REGIONS :]
    region_cost = [(q.region_name(r.code), r.cost_year, "") for r in shown]
    region_cover = [
        (
            q.region_name(r.code),
            round(r.coverage, 1),
            t("dashboard.reached_of", n=number(r.covered, lang), total=number(r.households, lang)),
        )
        for r in sorted(shown, key=lambda r: (-r.coverage, r.code))
    ]
    reached = sum(r.covered for r in regions)
    cost = sum(p.cost_year for p in programs)
    poorest = sum(desil[:4])
    tiles = [
        Tile(
            number(ranked, lang),
            t("dashboard.tile_ranked"),
            _link(user, "/rumah-tangga"),
            id="ranked",
        ),
        Tile(
            number(poorest, lang),
            t("dashboard.tile_desil_1_4"),
            _link(user, "/rilis"),
            id="desil14",
        ),
        Tile(
            number(reached, lang), t("dashboard.tile_reached"), _link(user, "/rilis"), id="reached"
        ),
        Tile(rupiah(cost, lang), t("dashboard.tile_cost"), _link(user, "/rilis"), id="cost"),
    ]
    return {
        "id": release.id,
        "data_cut": release.data_cut,
        "tiles": tiles,
        "desil": desil_bars,
        "program_reach": program_reach,
        "program_cost": program_cost,
        "region_level": q.breakdown_level(length),
        "region_cost": region_cost,
        "region_cover": region_cover,
        "region_rest": len(rest),
        "release_link": _link(user, "/rilis"),
    }


def _workflow_part(
    counts: dict[str, StateCount], machine: Machine, t: Translate, kind: str
) -> dict[str, Any]:
    open_states = [s for s in machine.states if machine.is_open(s)]
    by_state = [
        (t(f"dashboard.state_{kind}_{s}"), counts[s].total, "")
        for s in machine.states
        if counts[s].total
    ]
    ages = [
        (
            t("dashboard.age_days", days=label),
            sum(counts[s].by_age.get(label, 0) for s in open_states),
            "",
        )
        for label in AGE_LABELS
    ]
    return {
        "open": sum(counts[s].total for s in open_states),
        "overdue": sum(counts[s].overdue for s in open_states),
        "by_state": by_state,
        "ages": ages,
        "verified": counts["verified"].total if "verified" in counts else 0,
    }


def _workflow_section(db: Session, user: Principal, t: Translate, lang: Lang) -> dict[str, Any]:
    summary = summarise(db=db, principal=user, purpose=None)
    proposals = _workflow_part(summary.proposals, PROPOSAL, t, "proposal")
    objections = _workflow_part(summary.objections, OBJECTION, t, "objection")
    facilitator = user.role == "facilitator"
    proposal_link = _link(user, "/tugas" if facilitator else "/usulan")
    objection_link = _link(user, "/tugas" if facilitator else "/sanggahan")
    tiles = [
        Tile(
            number(proposals["open"], lang),
            t("dashboard.tile_tasks_proposals" if facilitator else "dashboard.tile_open_proposals"),
            proposal_link,
            id="proposals-open",
        ),
        Tile(
            number(proposals["overdue"], lang),
            t("dashboard.tile_overdue_proposals"),
            proposal_link,
            warn=proposals["overdue"] > 0,
            id="proposals-overdue",
        ),
        Tile(
            number(objections["open"], lang),
            t(
                "dashboard.tile_tasks_objections"
                if facilitator
                else "dashboard.tile_open_objections"
            ),
            objection_link,
            id="objections-open",
        ),
        Tile(
            number(objections["overdue"], lang),
            t("dashboard.tile_overdue_objections"),
            objection_link,
            warn=objections["overdue"] > 0,
            id="objections-overdue",
        ),
    ]
    approvals = _link(user, "/persetujuan")
    if approvals is not None:
        tiles.append(
            Tile(
                number(proposals["verified"], lang),
                t("dashboard.tile_waiting_approval"),
                approvals,
                warn=proposals["verified"] > 0,
                id="approvals",
            )
        )
    return {
        "tiles": tiles,
        "proposals": proposals,
        "objections": objections,
        "proposal_link": proposal_link,
        "objection_link": objection_link,
        "facilitator": facilitator,
    }


def _quality_section(
    db: Session, user: Principal, release: q.CurrentRelease | None, t: Translate, lang: Lang
) -> list[Tile]:
    tiles: list[Tile] = []
    if user.role in QUALITY_ROLES:
        if release is not None:
            dead = q.deceased_recipients_count(db, user, release.id)
            tiles.append(
                Tile(
                    number(dead, lang),
                    t("dashboard.tile_deceased"),
                    "/rumah-tangga/tanda/meninggal",
                    warn=dead > 0,
                    id="deceased",
                )
            )
        bad = q.invalid_nik_count(db, user)
        tiles.append(
            Tile(
                number(bad, lang),
                t("dashboard.tile_invalid_nik"),
                "/rumah-tangga/tanda/nik",
                warn=bad > 0,
                id="invalid-nik",
            )
        )
    if user.role in DUPLICATE_ROLES:
        pending = q.pending_reviews(db)
        tiles.append(
            Tile(
                number(pending, lang),
                t("dashboard.tile_duplicates"),
                _link(user, "/tautan"),
                warn=pending > 0,
                id="duplicates",
            )
        )
    return tiles


def _audit_section(db: Session, t: Translate, lang: Lang) -> dict[str, Any]:
    counts = q.audit_counts(db)
    return {
        "tiles": [
            Tile(
                number(counts.today, lang),
                t("dashboard.tile_audit_today"),
                "/api/v1/audit",
                id="audit-today",
            ),
            Tile(
                number(sum(n for _, n in counts.days), lang),
                t("dashboard.tile_audit_week"),
                "/api/v1/audit",
                id="audit-week",
            ),
        ],
        "days": [(day(d, lang), n, "") for d, n in counts.days],
        "actions": [(a, n, "") for a, n in counts.actions],
    }


@router.get("/beranda")
def dashboard(request: Request, db: DbSession, user: PageUser) -> Response:
    """The signed-in user's dashboard."""
    require_page_role(user, *DASHBOARD_ROLES)
    lang = request_lang(request)
    t = translator(lang)
    release = q.current_release(db) if user.role in RELEASE_ROLES | QUALITY_ROLES else None
    context: dict[str, Any] = {
        "title": t("dashboard.title"),
        "scope": ", ".join(
            t("dashboard.scope_national") if r == "ID" else f"{q.region_name(r)} ({r})"
            for r in user.regions
        ),
        "release": None,
        "no_release": user.role in RELEASE_ROLES and release is None,
        "workflow": None,
        "quality": [],
        "audit": None,
        "pct": lambda v: number(v, lang, 1),
    }
    if release is not None and user.role in RELEASE_ROLES:
        context["release"] = _release_section(db, user, release, t, lang)
    if user.role in READERS:
        context["workflow"] = _workflow_section(db, user, t, lang)
    context["quality"] = _quality_section(db, user, release, t, lang)
    if user.role in AUDIT_ROLES:
        context["audit"] = _audit_section(db, t, lang)
    return render(request, "dashboard/index.html", context)
