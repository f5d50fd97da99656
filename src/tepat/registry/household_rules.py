"""The event rules about whole households: split, economic_change / update_household,
new_household, remove_household, remove_member. See ``event_rules`` and docs/EVENTS.md."""

from __future__ import annotations

from collections.abc import Callable

from tepat.registry.event_context import Ctx
from tepat.registry.event_rules import PERSON_RULES, leave, place, reject
from tepat.registry.event_schemas import RANKING_FIELDS


def split(ctx: Ctx) -> None:
    """Some members leave to form a new household with a new KK."""
    ev = ctx.event
    household = ctx.household(ev.household_id)
    ctx.use_primary(household)
    ctx.require_active(household)
    current = {m["person_id"]: m for m in ctx.store.open_members(household["id"])}
    for i, leaver in enumerate(ev.members):
        if leaver.person_id not in current:
            raise reject(
                f"person {leaver.person_id} is not a current member of household {household['id']}",
                "not_a_member",
                f"members.{i}.person_id",
            )
    if len(ev.members) >= len(current):
        raise reject(
            f"the split would leave household {household['id']} without members: at least one "
            "must stay (to move the whole family, send a move event)",
            "split_empties_household",
            "members",
        )
    kk = ctx.kk(ev.new_kk, field="new_kk")
    region = ctx.village(ev.to_village or household["village_code"], field="to_village")
    ctx.hand_over(region.code)
    new = ctx.new_household(region, kk, place(ev))
    head_left = any(current[m.person_id]["role"] == "head" for m in ev.members)
    for leaver in ev.members:
        ctx.end_membership(current[leaver.person_id], "household_split")
    if head_left:
        ctx.ensure_head(household["id"], ev.remaining_head_id, field="remaining_head_id")
    elif ev.remaining_head_id is not None:
        raise reject(
            "remaining_head_id applies only when the head leaves",
            "head_not_leaving",
            "remaining_head_id",
        )
    for leaver in sorted(ev.members, key=lambda m: m.relationship_code):
        ctx.start_membership(leaver.person_id, new["id"], leaver.relationship_code)
    ctx.touch(household["id"], rerank=True)


def changes(ctx: Ctx) -> None:
    """economic_change and update_household: new attribute values, with a reason."""
    ev = ctx.event
    household = ctx.household(ev.household_id)
    ctx.use_primary(household)
    ctx.require_active(household)
    delta = dict(ev.household_changes)
    if delta.get("kk_number") is not None:
        delta["kk_number"] = ctx.kk(
            delta["kk_number"], field="household_changes.kk_number", owner=household["id"]
        )
    members = (
        {m["person_id"] for m in ctx.store.open_members(household["id"])}
        if ev.person_changes
        else set()
    )
    ranking = ev.type == "economic_change" or bool(RANKING_FIELDS & delta.keys())
    for i, change in enumerate(ev.person_changes):
        field = f"person_changes.{i}"
        if change.person_id not in members:
            raise reject(
                f"person {change.person_id} is not a current member of household {household['id']}",
                "not_a_member",
                f"{field}.person_id",
            )
        person = ctx.store.get("people", change.person_id)
        assert person is not None  # a member's person row exists (foreign key)
        values = dict(change.changes)
        if "full_name" in values and not values["full_name"]:
            raise reject("full_name cannot be empty", "invalid_value", f"{field}.changes.full_name")
        if values.get("nik") is not None:
            values["nik"] = ctx.nik(
                values["nik"],
                born=person["birth_date"],
                sex=person["sex"],
                field=f"{field}.changes.nik",
                owner=person["id"],
            )
        ranking = ranking or bool(RANKING_FIELDS & values.keys())
        ctx.change_person(person["id"], values)
    ctx.touch(household["id"], delta, rerank=ranking)


def new_household(ctx: Ctx) -> None:
    """A family newly registered, with new or existing people as members."""
    ev = ctx.event
    region = ctx.village(ev.village, field="village")
    ctx.principal.require_covers(region.code, field="village")
    kk = ctx.kk(ev.kk_number, field="kk_number")
    household = ctx.new_household(region, kk, {**place(ev), **ev.attributes})
    ctx.primary, ctx.region_code = household["id"], region.code
    order = sorted(enumerate(ev.members), key=lambda pair: pair[1].relationship_code)
    for i, member in order:
        field = f"members.{i}"
        if member.person_id is not None:
            person, membership = ctx.person(member.person_id, field=f"{field}.person_id")
            ctx.require_alive(person, field=f"{field}.person_id")
            if membership is not None:
                leave(ctx, membership, "moved", None, None)
        else:
            if member.birth_date > ctx.on:
                raise reject(
                    f"{field}.birth_date {member.birth_date} is after the effective_date {ctx.on}",
                    "born_later",
                    f"{field}.birth_date",
                )
            nik = member.nik and ctx.nik(
                member.nik, born=member.birth_date, sex=member.sex, field=f"{field}.nik"
            )
            person = ctx.new_person(
                {
                    "full_name": member.full_name,
                    "sex": member.sex,
                    "birth_date": member.birth_date,
                    "nik": nik or None,
                    "marital_status": member.marital_status,
                    "mother_name": member.mother_name,
                    **member.attributes,
                }
            )
        ctx.start_membership(person["id"], household["id"], member.relationship_code)


def remove_household(ctx: Ctx) -> None:
    """The household is dissolved: every open membership ends."""
    household = ctx.household(ctx.event.household_id)
    ctx.use_primary(household)
    ctx.require_active(household)
    for membership in ctx.store.open_members(household["id"]):
        ctx.end_membership(membership, "removed")
    ctx.touch(household["id"], {"status": "dissolved", "dissolved_on": ctx.on}, rerank=True)
    ctx.dissolved.append(household["id"])


def remove_member(ctx: Ctx) -> None:
    """A listed person is not a member: their membership ends (a new head if it was the head)."""
    ev = ctx.event
    household = ctx.household(ev.household_id)
    ctx.use_primary(household)
    ctx.require_active(household)
    membership = next(
        (m for m in ctx.store.open_members(household["id"]) if m["person_id"] == ev.person_id), None
    )
    if membership is None:
        raise reject(
            f"person {ev.person_id} is not a current member of household {household['id']}",
            "not_a_member",
            "person_id",
        )
    leave(ctx, membership, "removed", ev.new_head_id, "new_head_id")


RULES: dict[str, Callable[[Ctx], None]] = {
    **PERSON_RULES,
    "split": split,
    "economic_change": changes,
    "update_household": changes,
    "new_household": new_household,
    "remove_household": remove_household,
    "remove_member": remove_member,
}
