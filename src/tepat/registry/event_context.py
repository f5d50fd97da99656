"""What every event rule shares: finding households and people in the actor's regions, checks
with messages a person can act on, membership changes, head succession, new rows, and turning
the changes into versions and a result. Works on a :class:`~tepat.registry.working.Store`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tepat.access.principal import Principal
from tepat.errors import Conflict, InvalidInput, NotFound
from tepat.reference.kk import InvalidKk, parse_kk
from tepat.reference.nik import InvalidNik, parse_nik
from tepat.reference.regions import Region, RegionLevel, UnknownRegion, regions
from tepat.registry.working import Row, Store

ADULT_AGE = 17  # KTP age; married people are adults too
_MARRIED = frozenset({2, 3, 4})


def age_on(birth: date | None, on: date) -> int | None:
    """Whole years between ``birth`` and ``on``."""
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass
class Touch:
    """Changes of one household or person collected during an event."""

    delta: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, Any]] = field(default_factory=list)
    created: bool = False


@dataclass
class Ctx:
    """One event being applied: its inputs, and the changes collected so far."""

    store: Store
    principal: Principal
    event: Any
    source: str
    today: date
    households: dict[int, Touch] = field(default_factory=dict)
    people: dict[int, Touch] = field(default_factory=dict)
    new_heads: list[dict[str, Any]] = field(default_factory=list)
    dissolved: list[int] = field(default_factory=list)
    handover: dict[str, Any] | None = None
    primary: int | None = None
    region_code: str | None = None
    rerank: bool = False

    @property
    def on(self) -> date:
        """The effective date."""
        value: date = self.event.effective_date
        return value

    # -- finding things -------------------------------------------------------------------

    def household(self, household_id: int, *, field: str = "household_id") -> Row:
        """A household in the actor's regions (404 like a missing one otherwise)."""
        row = self.store.get("households", household_id)
        if row is None or not self.principal.covers(row["village_code"]):
            raise NotFound(
                f"household {household_id} not found", code="household_not_found", field=field
            )
        return row

    def target_household(self, household_id: int, *, field: str) -> Row:
        """A household receiving someone, possibly in another region (a hand-over)."""
        row = self.store.get("households", household_id)
        if row is None:
            raise NotFound(
                f"household {household_id} not found", code="household_not_found", field=field
            )
        self.require_active(row, field=field)
        return row

    def person(self, person_id: int, *, field: str = "person_id") -> tuple[Row, Row | None]:
        """A person whose current (or last) household is in the actor's regions, and their open
        membership (404 like a missing one otherwise)."""
        person = self.store.get("people", person_id)
        last = None if person is None else self.store.last_membership(person_id)
        home = None if last is None else self.store.get("households", last["household_id"])
        village = None if home is None else home["village_code"]
        if person is None or not self.principal.covers(village):
            raise NotFound(f"person {person_id} not found", code="person_not_found", field=field)
        return person, (last if last is not None and last["end_date"] is None else None)

    def visible(self, person_id: int) -> bool:
        """May the actor see this person's data (their household is in its regions)?"""
        last = self.store.last_membership(person_id)
        home = None if last is None else self.store.get("households", last["household_id"])
        return self.principal.covers(None if home is None else home["village_code"])

    def village(self, code: str, *, field: str) -> Region:
        """A village of the Kemendagri 2025 list (422 otherwise)."""
        try:
            region = regions().get(code)
        except UnknownRegion as exc:
            raise InvalidInput(exc.message, code=exc.code, field=field) from None
        if region.level is not RegionLevel.VILLAGE:
            raise InvalidInput(
                f"{field} must be a village code (PP.KK.CC.DDDD); {region.code} is a {region.kind}",
                code="not_a_village",
                field=field,
            )
        return region

    # -- checks -----------------------------------------------------------------------------

    def use_primary(self, household: Row) -> None:
        """The event is about this household: check ``expected_version`` against it."""
        if self.primary is None:
            self.primary, self.region_code = household["id"], household["village_code"]
        expected = self.event.expected_version
        if expected is not None and household["version"] != expected:
            raise Conflict(
                f"household {household['id']} is at version {household['version']}, but the "
                f"event was based on version {expected}: someone changed it meanwhile; reload "
                "it and send the event again if it still applies",
                code="version_conflict",
                field="expected_version",
            )

    def require_active(self, household: Row, *, field: str = "household_id") -> None:
        """Refuse a household that is dissolved or moved out."""
        if household["status"] != "active":
            raise Conflict(
                f"household {household['id']} is {household['status']}: no further events apply",
                code="household_not_active",
                field=field,
            )

    def require_alive(self, person: Row, *, field: str = "person_id") -> None:
        """Refuse a person recorded as deceased."""
        if person["status"] == "deceased":
            when = f" on {person['died_on']}" if person["died_on"] else ""
            raise Conflict(
                f"person {person['id']} is already recorded as deceased{when}",
                code="already_deceased",
                field=field,
            )

    def require_born(self, person: Row, *, field: str = "person_id") -> None:
        """Refuse an effective date before the person's birth."""
        born = person["birth_date"]
        if born is not None and self.on < born:
            raise InvalidInput(
                f"effective_date {self.on} is before person {person['id']} was born ({born})",
                code="before_birth",
                field="effective_date",
            )

    def nik(
        self,
        value: str,
        *,
        born: date | None,
        sex: str | None,
        field: str,
        owner: int | None = None,
    ) -> str:
        """A valid NIK not held by another living person (422 / 409 otherwise)."""
        try:
            info = parse_nik(value, recorded_birth_date=born, recorded_sex=sex)
        except InvalidNik as exc:
            raise InvalidInput(exc.message, code=exc.code, field=field) from None
        for warning in info.warnings:
            if warning.code in ("nik_birth_date_mismatch", "nik_sex_mismatch"):
                raise InvalidInput(warning.message, code=warning.code, field=field)
        for holder in self.store.holders("people", info.nik):
            if holder["id"] != owner and holder["status"] != "deceased":
                raise Conflict(
                    f"NIK {info.masked} is already used by person {holder['id']}, who is alive: "
                    "check the number, or record the other person's death first",
                    code="nik_in_use",
                    field=field,
                )
        return info.nik

    def kk(self, value: str, *, field: str, owner: int | None = None) -> str:
        """A valid KK number not held by another active household (422 / 409 otherwise)."""
        try:
            info = parse_kk(value)
        except InvalidKk as exc:
            raise InvalidInput(exc.message, code=exc.code, field=field) from None
        for holder in self.store.holders("households", info.kk):
            if holder["id"] != owner and holder["status"] == "active":
                raise Conflict(
                    f"KK {info.masked} is already used by household {holder['id']}",
                    code="kk_in_use",
                    field=field,
                )
        return info.kk

    # -- changes ----------------------------------------------------------------------------

    def touch(
        self,
        household_id: int,
        delta: dict[str, Any] | None = None,
        *,
        rerank: bool = False,
        member: dict[str, Any] | None = None,
    ) -> None:
        """Note a change of a household (a new version at the end of the event)."""
        touch = self.households.setdefault(household_id, Touch())
        touch.delta.update(delta or {})
        if rerank:
            touch.delta["needs_reranking"] = True
            self.rerank = True
        if member is not None:
            touch.members.append(member)

    def change_person(self, person_id: int, delta: dict[str, Any]) -> None:
        """Note a change of a person's attributes."""
        self.people.setdefault(person_id, Touch()).delta.update(delta)

    def end_membership(self, membership: Row, reason: str) -> None:
        """Close a membership on the effective date."""
        start = membership["start_date"]
        if start is not None and self.on < start:
            raise InvalidInput(
                f"effective_date {self.on} is before person {membership['person_id']} joined "
                f"household {membership['household_id']} ({start})",
                code="before_membership",
                field="effective_date",
            )
        self.store.update(
            "memberships", membership["id"], {"end_date": self.on, "end_reason": reason}
        )
        self.touch(
            membership["household_id"],
            member={"person_id": membership["person_id"], "change": "left", "reason": reason},
        )

    def start_membership(self, person_id: int, household_id: int, code: int) -> Row:
        """Open a membership from the effective date (code 1 = head)."""
        row = self.store.insert(
            "memberships",
            {
                "person_id": person_id,
                "household_id": household_id,
                "role": "head" if code == 1 else "member",
                "relationship_code": code,
                "start_date": self.on,
            },
        )
        change = "became_head" if code == 1 else "joined"
        self.touch(
            household_id,
            member={"person_id": person_id, "change": change, "relationship_code": code},
        )
        return row

    def ensure_head(self, household_id: int, named: int | None, *, field: str | None) -> None:
        """After the head left: promote the named member or the eldest adult, or dissolve.

        ``field`` is the input that names a new head (None: this event type cannot name one).
        """
        members = self.store.open_members(household_id)
        if any(m["role"] == "head" for m in members):
            if named is not None:
                raise InvalidInput(
                    f"{field} applies only when the head of household {household_id} leaves",
                    code="head_not_leaving",
                    field=field,
                )
            return
        if not members:
            self.touch(household_id, {"status": "dissolved", "dissolved_on": self.on}, rerank=True)
            self.dissolved.append(household_id)
            return
        self.store.load("people", [m["person_id"] for m in members])
        people = self.store.rows["people"]
        if named is not None:
            chosen = next((m for m in members if m["person_id"] == named), None)
            if chosen is None:
                raise InvalidInput(
                    f"{field} {named} is not a remaining member of household {household_id}",
                    code="new_head_not_member",
                    field=field,
                )
            rule = "named"
        else:
            adults = [
                m
                for m in members
                if people[m["person_id"]]["status"] != "deceased"
                and (
                    (age_on(people[m["person_id"]]["birth_date"], self.on) or 0) >= ADULT_AGE
                    or people[m["person_id"]]["marital_status"] in _MARRIED
                )
            ]
            if not adults:
                how = (
                    f"name the new head with {field}"
                    if field
                    else "first record who heads it (an update or a move with new_head_id)"
                )
                raise InvalidInput(
                    f"the head of household {household_id} leaves and no adult member remains: "
                    + how,
                    code="new_head_required",
                    field=field,
                )
            chosen = min(
                adults,
                key=lambda m: (people[m["person_id"]]["birth_date"] or date.max, m["person_id"]),
            )
            rule = "eldest_adult"
        self.end_membership(chosen, "new_head")
        self.start_membership(chosen["person_id"], household_id, 1)
        self.new_heads.append(
            {"household_id": household_id, "person_id": chosen["person_id"], "rule": rule}
        )

    def new_person(self, values: dict[str, Any]) -> Row:
        """Create a person (a version from the effective date is recorded at the end)."""
        row = self.store.insert("people", values)
        self.people[row["id"]] = Touch(created=True)
        return row

    def new_household(self, region: Region, kk: str, extra: dict[str, Any]) -> Row:
        """Create an active household in ``region`` formed on the effective date."""
        code = region.code
        row = self.store.insert(
            "households",
            {
                "kk_number": kk,
                "province_code": code[:2],
                "regency_code": code[:5],
                "district_code": code[:8],
                "village_code": code,
                "urban": region.kind == "kelurahan",
                "formed_on": self.on,
                "needs_reranking": True,
                **extra,
            },
        )
        self.households[row["id"]] = Touch(created=True)
        self.rerank = True
        return row

    def hand_over(self, to_region: str) -> None:
        """Record a hand-over when the destination is outside the actor's regions."""
        if not self.principal.covers(to_region):
            self.handover = {"from_region": self.region_code, "to_region": to_region}
