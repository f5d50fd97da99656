"""The dashboard's numbers: counts and sums in SQL, limited to the caller's regions.

Nothing here returns personal data except :func:`flagged_households` (household ids, which the
caller then reads through the audited registry service). The release aggregates are cached per
release and scope (a loaded release never changes); the invalid-NIK count, which has to look at
every NIK of the scope, is cached for a few minutes.

Speed (PostgreSQL, 1,000,000 people): the release numbers are sums over the summaries written
when the release is loaded (migration 0010: per village, and per district for regency and larger
scopes), matched by equality on their indexed region-level columns; the invalid-NIK count of a
regency, province or the country starts from the partial index ``ix_people_nik_invalid`` (only the
flagged people); the deceased-recipients count starts from the ``death`` events (far fewer rows
than people) and the indexes on memberships.household_id and households.id; the workflow counts
use the (state, village_code) indexes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, TypeVar

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from tepat.access.models import AuditEntry
from tepat.access.principal import Principal
from tepat.linkage.models import LinkReview
from tepat.reference._codes import valid_ddmm
from tepat.reference.regions import RegionLevel, regions
from tepat.registry.models import Household, Membership, Person, RegistryEvent
from tepat.registry.service import household_scope
from tepat.release.models import (
    Release,
    ReleaseBeneficiary,
    ReleaseDistrictProgramSummary,
    ReleaseDistrictSummary,
    ReleaseHousehold,
    ReleaseProgramSummary,
    ReleaseVillageSummary,
)

T = TypeVar("T")

DESILS: Final = tuple(range(1, 11))
MAX_REGIONS: Final = 30  # bars in a by-region chart; the rest are summed in a note
NIK_TTL_SECONDS: Final = 300
AUDIT_TTL_SECONDS: Final = 60


# -- a small cache --------------------------------------------------------------------------


class _Cache:
    """A bounded, thread-safe map of computed values with an optional time to live."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T], ttl: float | None = None) -> T:
        now = time.monotonic()
        with self.lock:
            hit = self.items.get(key)
            if hit is not None and (ttl is None or now - hit[0] < ttl):
                self.items.move_to_end(key)
                value: T = hit[1]
                return value
        value = compute()
        with self.lock:
            self.items[key] = (now, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


CACHE = _Cache()


def _db_key(db: Session) -> str:
    bind = db.get_bind()
    return str(getattr(bind, "url", id(bind)))


# -- the current release ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramInfo:
    """A program of the release: id, names, unit (household or person)."""

    id: str
    name: str
    name_en: str
    unit: str


@dataclass(frozen=True)
class CurrentRelease:
    """The current release: id, data cut and its programs (from the manifest)."""

    id: str
    data_cut: date
    programs: dict[str, ProgramInfo] = field(default_factory=dict)
    totals: dict[str, dict[str, Any]] = field(default_factory=dict)  # the manifest's, whole scope


def current_release(db: Session) -> CurrentRelease | None:
    """The release marked current, or None when none is loaded."""
    row = db.execute(
        select(Release.id, Release.data_cut, Release.manifest).where(Release.is_current)
    ).first()
    if row is None:
        return None
    programs: dict[str, ProgramInfo] = {}
    totals: dict[str, dict[str, Any]] = {}
    for p in (row.manifest or {}).get("programs", []) or []:
        pid = str(p.get("program"))
        programs[pid] = ProgramInfo(
            pid, str(p.get("name") or pid), str(p.get("name_en") or pid), str(p.get("unit") or "")
        )
        totals[pid] = p
    return CurrentRelease(row.id, row.data_cut, programs, totals)


# -- scope helpers ----------------------------------------------------------------------------


def _summaries(principal: Principal) -> tuple[Any, Any]:
    """The (desil, program) summary tables to sum for the principal: per district when every
    region it holds is a regency or larger (its charts go down to districts at most), else per
    village."""
    if principal.regions and all(r == "ID" or len(r) <= 5 for r in principal.regions):
        return ReleaseDistrictSummary, ReleaseDistrictProgramSummary
    return ReleaseVillageSummary, ReleaseProgramSummary


def _summary_scope(principal: Principal, table: Any) -> Any:
    """The principal's regions on a summary table: an equality on the region's own level."""
    levels = {2: table.province_code, 5: table.regency_code, 8: table.district_code}
    if hasattr(table, "village_code"):
        levels[13] = table.village_code
        return principal.sql_scope(table.village_code, levels=levels)
    return principal.sql_scope(table.district_code, levels=levels)


def breakdown_length(principal: Principal) -> int:
    """The code length of the regions a by-region chart shows: one level below the caller's
    broadest region (villages for village and district accounts)."""
    lengths = [0 if r == "ID" else len(r) for r in principal.regions] or [13]
    broadest = min(lengths)
    return {0: 2, 2: 5, 5: 8}.get(broadest, 13)


def breakdown_level(length: int) -> str:
    """province, regency, district or village."""
    return {2: "province", 5: "regency", 8: "district"}.get(length, "village")


def region_name(code: str) -> str:
    """The region's name (the code when it is unknown)."""
    found = regions().find(code)
    return code if found is None else found.name


def _scope_key(principal: Principal) -> tuple[str, ...]:
    return tuple(sorted(principal.regions))


# -- release aggregates -----------------------------------------------------------------------
# Summed from the summaries written when the release was loaded
# (tepat.release.store.summarise_release): per district for regency, province and national
# scopes, per village below; never the release's households.


def _by_region_and_desil(
    db: Session, principal: Principal, release: CurrentRelease, length: int
) -> dict[tuple[str, int], tuple[int, int, int]]:
    """(region code ``length`` long, desil) -> households, households reached, yearly cost: one
    pass over the scope's village summaries serves both the desil chart and the regions."""

    def compute() -> dict[tuple[str, int], tuple[int, int, int]]:
        v = _summaries(principal)[0]
        region = {2: v.province_code, 5: v.regency_code, 8: v.district_code}.get(length)
        if region is None:
            region = v.village_code
        rows = db.execute(
            select(
                region, v.desil, func.sum(v.households), func.sum(v.reached), func.sum(v.cost_year)
            )
            .where(v.release_id == release.id, _summary_scope(principal, v))
            .group_by(region, v.desil)
        ).all()
        return {(str(r), int(d)): (int(n or 0), int(f or 0), int(c or 0)) for r, d, n, f, c in rows}

    key = ("villages", _db_key(db), release.id, _scope_key(principal), length)
    return CACHE.get(key, compute)


def desil_counts(db: Session, principal: Principal, release: CurrentRelease) -> list[int]:
    """Households of the scope in each desil 1-10 of the release."""
    found = dict.fromkeys(DESILS, 0)
    for (_, desil), (n, _, _) in _by_region_and_desil(
        db, principal, release, breakdown_length(principal)
    ).items():
        if desil in found:
            found[desil] += n
    return [found[d] for d in DESILS]


@dataclass(frozen=True)
class ProgramTotal:
    """A program in the scope: units paid (households or people), households reached, cost."""

    program: str
    units: int
    households: int
    cost_year: int


def program_totals(
    db: Session, principal: Principal, release: CurrentRelease
) -> list[ProgramTotal]:
    """Per program of the release: beneficiaries, households reached and yearly cost."""

    def compute() -> list[ProgramTotal]:
        s = _summaries(principal)[1]
        query = (
            select(
                s.program, func.sum(s.beneficiaries), func.sum(s.households), func.sum(s.cost_year)
            )
            .where(s.release_id == release.id, _summary_scope(principal, s))
            .group_by(s.program)
        )
        found = {
            p: ProgramTotal(p, int(n or 0), int(f or 0), int(c or 0))
            for p, n, f, c in db.execute(query)
        }
        ordered = list(release.programs) + sorted(set(found) - set(release.programs))
        return [found.get(p, ProgramTotal(p, 0, 0, 0)) for p in ordered]

    key = ("programs", _db_key(db), release.id, _scope_key(principal))
    return CACHE.get(key, compute)


@dataclass(frozen=True)
class RegionTotal:
    """One region of a breakdown: households ranked, households reached by a program, cost."""

    code: str
    households: int
    covered: int
    cost_year: int

    @property
    def coverage(self) -> float:
        """Share of the ranked households reached by at least one program (0-100)."""
        return 100.0 * self.covered / self.households if self.households else 0.0


def region_totals(
    db: Session, principal: Principal, release: CurrentRelease, length: int
) -> list[RegionTotal]:
    """Households, households reached and yearly cost per region (code ``length`` long), by
    cost, largest first."""
    sums: dict[str, list[int]] = {}
    for (code, _), counts in _by_region_and_desil(db, principal, release, length).items():
        total = sums.setdefault(code, [0, 0, 0])
        for i, n in enumerate(counts):
            total[i] += n
    out = [RegionTotal(code, n, f, c) for code, (n, f, c) in sums.items()]
    return sorted(out, key=lambda r: (-r.cost_year, r.code))


# -- data quality -----------------------------------------------------------------------------

_DDMM: Final = sorted(valid_ddmm(female_offset=True))


def _provinces() -> list[str]:
    return sorted(c for c in regions().codes(RegionLevel.PROVINCE))


def invalid_nik(column: Any) -> Any:
    """True for a NIK that :func:`tepat.reference.nik.check_nik` rejects (null is not counted:
    a missing NIK is a gap, not an error). The one rule left out is 29 February in a year that
    is not a leap year, which needs the century: those NIKs pass here."""
    return and_(
        column.is_not(None),
        or_(
            func.length(column) != 16,
            column.regexp_match("[^0-9]"),
            func.substr(column, 1, 2).not_in(_provinces()),
            func.substr(column, 3, 2) == "00",
            func.substr(column, 5, 2) == "00",
            func.substr(column, 7, 4).not_in(_DDMM),
            func.substr(column, 13, 4) == "0000",
        ),
    )


_OPEN = Membership.end_date.is_(None)


def invalid_nik_query(principal: Principal) -> Select[int, int]:
    """(household id, person id) of the current members of the scope with an invalid NIK."""
    return (
        select(Household.id, Person.id)
        .select_from(Household)
        .join(Membership, and_(Membership.household_id == Household.id, _OPEN))
        .join(Person, Person.id == Membership.person_id)
        .where(household_scope(principal), invalid_nik(Person.nik))
    )


def invalid_nik_count(db: Session, principal: Principal) -> int:
    """People of the scope whose NIK is malformed (cached for a few minutes)."""

    def compute() -> int:
        # Regencies and larger: the flagged people first (a few thousand), then their households.
        # A district or village reads its own households directly (a few thousand people).
        wide = any(r == "ID" or len(r) <= 5 for r in principal.regions)
        flagged = _flagged_people(db) if wide else None
        if flagged is not None:
            if principal.is_national or not flagged:
                return len(flagged)
            query = (
                select(func.count())
                .select_from(Membership)
                .join(Household, Household.id == Membership.household_id)
                .where(_OPEN, Membership.person_id.in_(flagged), household_scope(principal))
            )
        elif principal.is_national:  # every person: no join needed
            query = select(func.count()).select_from(Person).where(invalid_nik(Person.nik))
        else:
            query = select(func.count()).select_from(invalid_nik_query(principal).subquery())
        return int(db.scalar(query) or 0)

    key = ("nik", _db_key(db), _scope_key(principal))
    return CACHE.get(key, compute, ttl=NIK_TTL_SECONDS)


def _flagged_people(db: Session) -> list[int] | None:
    """On PostgreSQL, the ids of every person with an invalid NIK, read from the partial index
    ``ix_people_nik_invalid`` (migration 0010: the people ``tepat_nik_invalid(nik)`` flags, a
    few thousand of a million); None elsewhere, or when the index is missing."""
    if db.get_bind().dialect.name != "postgresql":
        return None
    if not db.scalar(select(func.to_regclass("ix_people_nik_invalid"))):
        return None
    return [int(i) for i in db.scalars(select(Person.id).where(func.tepat_nik_invalid(Person.nik)))]


def deceased_recipients_query(principal: Principal, release_id: str) -> Select[int, int]:
    """(household id, person id) of people recorded as deceased (by a death event) whose
    household receives a program in the release."""
    # Nested so that each household is looked up by index (release_households.household_id,
    # then the (release_id, family_id) of its beneficiaries), never a scan of the release.
    paid = exists().where(
        ReleaseBeneficiary.release_id == ReleaseHousehold.release_id,
        ReleaseBeneficiary.family_id == ReleaseHousehold.family_id,
    )
    receives = exists().where(
        ReleaseHousehold.household_id == Household.id,
        ReleaseHousehold.release_id == release_id,
        paid,
    )
    return (
        select(Household.id, Person.id)
        .select_from(RegistryEvent)
        .join(
            Membership,
            and_(
                Membership.household_id == RegistryEvent.household_id,
                Membership.end_reason == "death",
            ),
        )
        .join(Person, and_(Person.id == Membership.person_id, Person.status == "deceased"))
        .join(Household, Household.id == Membership.household_id)
        .where(RegistryEvent.type == "death", household_scope(principal), receives)
        .distinct()
    )


def deceased_recipients_count(db: Session, principal: Principal, release_id: str) -> int:
    """How many deceased people are in households receiving a program in the release."""
    inner = deceased_recipients_query(principal, release_id).subquery()
    return int(db.scalar(select(func.count()).select_from(inner)) or 0)


def flagged_households(
    db: Session, query: Select[int, int], *, offset: int, limit: int
) -> tuple[list[int], int]:
    """A page of the distinct household ids of a (household id, person id) query, and the
    number of households."""
    inner = query.subquery()
    ids = select(inner.c[0].label("hid")).distinct().subquery()
    total = int(db.scalar(select(func.count()).select_from(ids)) or 0)
    page = db.scalars(select(ids.c.hid).order_by(ids.c.hid).offset(offset).limit(limit))
    return [int(i) for i in page], total


def pending_reviews(db: Session) -> int:
    """Uncertain record pairs waiting for a reviewer (the whole queue: pairs have no region)."""
    return int(
        db.scalar(
            select(func.count()).select_from(LinkReview).where(LinkReview.status == "pending")
        )
        or 0
    )


# -- audit log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditCounts:
    """Entries of the audit log: per day (last 7 days, oldest first) and per action (7 days)."""

    days: list[tuple[date, int]]
    actions: list[tuple[str, int]]
    today: int


def audit_counts(db: Session, *, now: datetime | None = None) -> AuditCounts:
    """Audit-log counts of the last seven days (cached for a minute)."""

    def compute() -> AuditCounts:
        end = now or datetime.utcnow()
        first = (end - timedelta(days=6)).date()
        since = datetime(first.year, first.month, first.day)
        day = func.date(AuditEntry.at)
        per_day = {
            str(d): int(n)
            for d, n in db.execute(
                select(day, func.count()).where(AuditEntry.at >= since).group_by(day)
            )
        }
        days = [(first + timedelta(days=i), 0) for i in range(7)]
        days = [(d, per_day.get(d.isoformat(), 0)) for d, _ in days]
        actions = [
            (str(a), int(n))
            for a, n in db.execute(
                select(AuditEntry.action, func.count())
                .where(AuditEntry.at >= since)
                .group_by(AuditEntry.action)
                .order_by(func.count().desc(), AuditEntry.action)
                .limit(12)
            )
        ]
        return AuditCounts(days, actions, days[-1][1])

    key = ("audit", _db_key(db), None if now is None else now.isoformat())
    return CACHE.get(key, compute, ttl=AUDIT_TTL_SECONDS)


__all__ = [
    "CACHE",
    "AuditCounts",
    "CurrentRelease",
    "ProgramTotal",
    "RegionTotal",
    "audit_counts",
    "breakdown_length",
    "current_release",
    "deceased_recipients_count",
    "deceased_recipients_query",
    "desil_counts",
    "flagged_households",
    "invalid_nik",
    "invalid_nik_count",
    "invalid_nik_query",
    "pending_reviews",
    "program_totals",
    "region_totals",
]
