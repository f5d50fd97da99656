"""Registry rows as DCI records: ``spdci:Member`` (a person) and ``spdci:Group`` (a family).

Pure: the rows come in, plain JSON-ready dicts go out. The shapes follow the Group/Member
example of ``dci_social_registry_api_v1.0.0.yaml`` (``group_identifier``, ``member_list``,
``demographic_info`` of ``@type`` SRPerson, ...); where DTSEN has more, it goes into
``additional_attributes`` as ``{"name", "value"}`` pairs. NIK and KK are masked for callers
that may not see them (``Principal.nik`` / ``.kk``). See docs/DCI.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tepat.access.principal import Principal
from tepat.reference.regions import regions
from tepat.registry.models import Household, Membership, Person

SEX = {"M": "male", "F": "female"}
# Regsosek r408 -> DCI marital status words (cd.com.02 style)
MARITAL = {1: "single", 2: "married", 3: "divorced", 4: "widowed"}
# Regsosek r409 relationship to the head of the family
RELATIONSHIP = {
    1: "head",
    2: "spouse",
    3: "child",
    4: "child_in_law",
    5: "grandchild",
    6: "parent_or_parent_in_law",
    7: "domestic_worker",
    8: "other",
}


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None and v != []}


def _identifier(kind: str, value: str | None) -> list[dict[str, str]]:
    if not value:
        return []
    return [{"@type": "Identifier", "identifier_type": kind, "identifier_value": value}]


def _attributes(**values: Any) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items() if v is not None]


def address(household: Household | None) -> dict[str, Any] | None:
    """The family's address: street/RT/RW, the village and its regency, the region code."""
    if household is None:
        return None
    village = regions().find(household.village_code)
    regency = regions().find(household.regency_code)
    street = household.address
    if household.rt or household.rw:
        street = f"{street or ''} RT {household.rt or '-'} RW {household.rw or '-'}".strip()
    return _compact(
        {
            "@type": "Address",
            "street_address": street,
            "village": None if village is None else village.name,
            "city": None if regency is None else regency.name,
            "region_code": household.village_code,
            "postal_code": household.postal_code,
            "country": "ID",
        }
    )


def member_record(
    person: Person,
    membership: Membership | None,
    household: Household | None,
    principal: Principal,
) -> dict[str, Any]:
    """A person as a DCI Member, with their current (or last) family when there is one."""
    ids = _identifier("NIK", principal.nik(person.nik))
    disabled = None if person.disability is None else person.disability > 1
    current = membership is not None and membership.end_date is None
    return _compact(
        {
            "@type": "spdci:Member",
            "@id": f"urn:tepat:person:{person.id}",
            "member_identifier": ids,
            "demographic_info": _compact(
                {
                    "@type": "SRPerson",
                    "identifier": ids,
                    "name": {"@type": "Name", "given_name": person.full_name},
                    "sex": SEX.get(person.sex),
                    "birth_date": _day(person.birth_date),
                    "birth_place": person.birth_place,
                    "death_date": _day(person.died_on),
                    "address": address(household),
                }
            ),
            "is_disabled": disabled,
            "marital_status": MARITAL.get(person.marital_status or 0),
            "relationship_head": None
            if membership is None
            else RELATIONSHIP.get(membership.relationship_code),
            "registration_date": _day(person.created_at),
            "last_updated": _day(person.updated_at),
            "additional_attributes": _attributes(
                status=person.status,
                household_id=None if household is None else household.id,
                kk_number=None if household is None else principal.kk(household.kk_number),
                membership=None if membership is None else ("current" if current else "ended"),
                member_since=None if membership is None else _day(membership.start_date),
                member_until=None if membership is None else _day(membership.end_date),
            ),
        }
    )


def group_record(
    household: Household,
    members: list[tuple[Membership, Person]],
    principal: Principal,
) -> dict[str, Any]:
    """A family (one KK) as a DCI Group with its current members, the head first."""
    member_list = [member_record(p, m, household, principal) for m, p in members]
    heads = [r for (m, _p), r in zip(members, member_list, strict=True) if m.role == "head"]
    geo = None
    if household.latitude is not None and household.longitude is not None:
        geo = {
            "@type": "GeoCoordinates",
            "latitude": str(household.latitude),
            "longitude": str(household.longitude),
        }
    return _compact(
        {
            "@type": "spdci:Group",
            "@id": f"urn:tepat:household:{household.id}",
            "group_identifier": _identifier("KK", principal.kk(household.kk_number)),
            "group_type": "family",
            "place": _compact({"@type": "Place", "geo": geo, "address": address(household)}),
            "group_size": len(member_list),
            "group_head_info": heads[0] if heads else None,
            "member_list": member_list,
            "registration_date": _day(household.formed_on or household.created_at),
            "last_updated": _day(household.updated_at),
            "additional_attributes": _attributes(
                status=household.status,
                region_code=household.village_code,
                urban=household.urban,
                dissolved_on=_day(household.dissolved_on),
            ),
        }
    )
