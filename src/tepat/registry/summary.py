"""Read-only summaries of the registry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select

from tepat.registry.models import Household, Membership, Person


def registry_counts(conn: Connection) -> list[dict[str, Any]]:
    """Households (all, active) and people (alive, deceased) per regency."""
    hh = select(
        Household.regency_code,
        func.count().label("households"),
        func.sum(case((Household.status == "active", 1), else_=0)).label("active"),
    ).group_by(Household.regency_code)
    current = (
        select(
            Household.regency_code,
            func.count(func.distinct(case((Person.status == "alive", Person.id)))).label("alive"),
            func.count(func.distinct(case((Person.status == "deceased", Person.id)))).label(
                "deceased"
            ),
        )
        .join(Membership, Membership.household_id == Household.id)
        .join(Person, Person.id == Membership.person_id)
        .group_by(Household.regency_code)
    )
    people = {r.regency_code: r for r in conn.execute(current)}
    rows = []
    for r in conn.execute(hh.order_by(Household.regency_code)):
        p = people.get(r.regency_code)
        rows.append(
            {
                "regency_code": r.regency_code,
                "households": r.households,
                "active": int(r.active or 0),
                "alive": p.alive if p else 0,
                "deceased": p.deceased if p else 0,
            }
        )
    return rows
