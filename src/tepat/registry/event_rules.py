"""One rule per event type, here those about people (birth, death, move, marriage, divorce);
``household_rules`` has the others. A rule reads and changes rows through the event's
:class:`Ctx` and raises a domain error, with a message a person can act on, for anything
impossible; the caller undoes whatever the rule changed before the error. See docs/EVENTS.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tepat.errors import Conflict, InvalidInput
from tepat.registry.event_context import Ctx
from tepat.registry.working import Row

_POSTHUMOUS = timedelta(days=300)  # a father may die up to ~10 months before the birth


def reject(message: str, code: str, field: str | None) -> InvalidInput:
    return InvalidInput(message, code=code, field=field)


def _parent(ctx: Ctx, person_id: int, field: str, sex: str) -> Row:
    parent = ctx.store.get("people", person_id)
    role = "mother" if sex == "F" else "father"
    if parent is None:
        raise reject(f"{field} {person_id}: no such person", "parent_not_found", field)
    problem = None
    died = parent["died_on"]
    if parent["sex"] != sex:
        problem = f"is recorded as {'male' if sex == 'F' else 'female'}"
    elif parent["birth_date"] is not None and parent["birth_date"] >= ctx.on:
        problem = f"was born on {parent['birth_date']}, not before the child"
    elif parent["status"] == "deceased" and (
        died is None or died < ctx.on - (_POSTHUMOUS if sex == "M" else timedelta(0))
    ):
        problem = f"died on {died or 'an unrecorded date'}, before the birth on {ctx.on}"
    if problem is not None:
        if not ctx.visible(person_id):  # do not tell another region's facts
            problem = f"cannot be the {role} of a child born on {ctx.on}"
        raise reject(
            f"{role} (person {person_id}) {problem}: check the person and the dates",
            f"{role}_impossible",
            field,
        )
    return parent


def birth(ctx: Ctx) -> None:
    """A child is born into a household."""
    ev = ctx.event
    household = ctx.household(ev.household_id)
    ctx.use_primary(household)
    ctx.require_active(household)
    mother_name = ev.mother_name
    if ev.mother_id is not None:
        mother = _parent(ctx, ev.mother_id, "mother_id", "F")
        if mother_name is None and ctx.visible(ev.mother_id):
            mother_name = mother["full_name"]
    if ev.father_id is not None:
        _parent(ctx, ev.father_id, "father_id", "M")
    nik = None if ev.nik is None else ctx.nik(ev.nik, born=ctx.on, sex=ev.sex, field="nik")
    child = ctx.new_person(
        {
            "full_name": ev.full_name,
            "sex": ev.sex,
            "nik": nik,
            "birth_date": ctx.on,
            "birth_place": ev.birth_place,
            "mother_name": mother_name,
            "marital_status": 1,
        }
    )
    ctx.start_membership(child["id"], household["id"], ev.relationship_code)
    ctx.touch(household["id"], rerank=True)


def leave(ctx: Ctx, membership: Row, reason: str, new_head: int | None, field: str | None) -> None:
    """End a membership; if it was the head's, name or choose a new head."""
    was_head = membership["role"] == "head"
    ctx.end_membership(membership, reason)
    if was_head:
        ctx.ensure_head(membership["household_id"], new_head, field=field)
    elif new_head is not None:
        raise reject(
            f"{field} applies only when the head of household {membership['household_id']} leaves",
            "head_not_leaving",
            field,
        )
    ctx.touch(membership["household_id"], rerank=True)


def death(ctx: Ctx) -> None:
    """A person died: status, date, membership ended; a new head if the head died."""
    ev = ctx.event
    person, membership = ctx.person(ev.person_id)
    ctx.require_alive(person)
    ctx.require_born(person)
    ctx.change_person(person["id"], {"status": "deceased", "died_on": ctx.on})
    if membership is None:
        if ev.new_head_id is not None:
            raise reject(
                "new_head_id applies only when a head dies", "head_not_leaving", "new_head_id"
            )
        return
    ctx.use_primary(ctx.store.rows["households"][membership["household_id"]])
    leave(ctx, membership, "death", ev.new_head_id, "new_head_id")


def move(ctx: Ctx) -> None:
    """A household or a person moves, within the actor's regions or handed over out of them."""
    ev = ctx.event
    if ev.household_id is not None:
        _move_household(ctx)
    else:
        _move_person(ctx)


def place(extra: Any) -> dict[str, Any]:
    return {k: getattr(extra, k) for k in ("address", "rt", "rw") if getattr(extra, k) is not None}


def _move_household(ctx: Ctx) -> None:
    ev = ctx.event
    household = ctx.household(ev.household_id)
    ctx.use_primary(household)
    ctx.require_active(household)
    for name in ("new_head_id", "relationship_code"):
        if getattr(ev, name) is not None:
            raise reject(
                f"{name} applies to a person moving, not a household", "not_applicable", name
            )
    region = ctx.village(ev.to_village, field="to_village")
    code = region.code
    delta: dict[str, Any] = {
        "province_code": code[:2],
        "regency_code": code[:5],
        "district_code": code[:8],
        "village_code": code,
        "urban": region.kind == "kelurahan",
        **place(ev),
    }
    if ev.new_kk is not None:
        delta["kk_number"] = ctx.kk(ev.new_kk, field="new_kk", owner=household["id"])
    ctx.hand_over(code)
    ctx.touch(household["id"], delta, rerank=code != household["village_code"])


def _move_person(ctx: Ctx) -> None:
    ev = ctx.event
    person, membership = ctx.person(ev.person_id)
    ctx.require_alive(person)
    ctx.require_born(person)
    if membership is not None:
        ctx.use_primary(ctx.store.rows["households"][membership["household_id"]])
    if ev.to_household_id is not None:
        for name in ("new_kk", "address", "rt", "rw"):
            if getattr(ev, name) is not None:
                raise reject(f"{name} applies when moving to_village", "not_applicable", name)
        target = ctx.target_household(ev.to_household_id, field="to_household_id")
        if membership is not None and target["id"] == membership["household_id"]:
            raise reject(
                f"person {person['id']} is already a member of household {target['id']}",
                "already_member",
                "to_household_id",
            )
        ctx.hand_over(target["village_code"])
        destination, code = target, ev.relationship_code or 8
    else:
        if ev.relationship_code is not None:
            raise reject(
                "a person moving to_village heads the new family",
                "not_applicable",
                "relationship_code",
            )
        if ev.new_kk is None:
            raise reject(
                "a person moving to_village forms a new family: give its new_kk",
                "new_kk_required",
                "new_kk",
            )
        region = ctx.village(ev.to_village, field="to_village")
        kk = ctx.kk(ev.new_kk, field="new_kk")
        ctx.hand_over(region.code)
        destination, code = ctx.new_household(region, kk, place(ev)), 1
    if membership is not None:
        leave(ctx, membership, "moved", ev.new_head_id, "new_head_id")
    elif ev.new_head_id is not None:
        raise reject(
            "new_head_id applies only when a head leaves", "head_not_leaving", "new_head_id"
        )
    if ctx.primary is None:
        ctx.primary, ctx.region_code = destination["id"], destination["village_code"]
    ctx.start_membership(person["id"], destination["id"], code)
    ctx.touch(destination["id"], rerank=True)


def _couple(ctx: Ctx) -> tuple[tuple[Row, Row | None], tuple[Row, Row | None]]:
    ev = ctx.event
    if ev.person_id == ev.spouse_id:
        raise reject("person_id and spouse_id are the same person", "same_person", "spouse_id")
    one, two = ctx.person(ev.person_id), ctx.person(ev.spouse_id, field="spouse_id")
    for (person, _), name in ((one, "person_id"), (two, "spouse_id")):
        ctx.require_alive(person, field=name)
        ctx.require_born(person, field=name)
    home = one[1] or two[1]
    if home is not None:
        ctx.use_primary(ctx.store.rows["households"][home["household_id"]])
    for _, membership in (one, two):
        if membership is not None:
            ctx.touch(membership["household_id"], rerank=True)
    return one, two


def marriage(ctx: Ctx) -> None:
    """Both become married (r408 = 2); optionally the spouse joins the person's household."""
    ev = ctx.event
    (person, membership), (spouse, spouse_membership) = _couple(ctx)
    for row in (person, spouse):
        ctx.change_person(row["id"], {"marital_status": 2})
    if not ev.spouse_joins:
        if ev.new_head_id is not None:
            raise reject(
                "new_head_id applies only when the spouse joins", "not_applicable", "new_head_id"
            )
        return
    if membership is None:
        raise reject(
            f"person {person['id']} has no household for the spouse to join",
            "no_household",
            "spouse_joins",
        )
    household = ctx.store.rows["households"][membership["household_id"]]
    ctx.require_active(household)
    if spouse_membership is not None and spouse_membership["household_id"] == household["id"]:
        raise reject(
            f"person {spouse['id']} is already a member of household {household['id']}",
            "already_member",
            "spouse_joins",
        )
    if spouse_membership is not None:
        leave(ctx, spouse_membership, "marriage", ev.new_head_id, "new_head_id")
    code = 2 if membership["role"] == "head" else (4 if membership["relationship_code"] == 3 else 8)
    ctx.start_membership(spouse["id"], household["id"], code)


def divorce(ctx: Ctx) -> None:
    """Both become divorced (r408 = 3); both must be recorded as married."""
    (person, _), (spouse, _) = _couple(ctx)
    for row, name in ((person, "person_id"), (spouse, "spouse_id")):
        if row["marital_status"] != 2:
            raise Conflict(
                f"person {row['id']} is not recorded as married (marital status "
                f"{row['marital_status']}): record the marriage first, or correct the status "
                "with update_household",
                code="not_married",
                field=name,
            )
    for row in (person, spouse):
        ctx.change_person(row["id"], {"marital_status": 3})


PERSON_RULES: dict[str, Callable[[Ctx], None]] = {
    "birth": birth,
    "death": death,
    "move": move,
    "marriage": marriage,
    "divorce": divorce,
}
