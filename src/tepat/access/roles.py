"""Roles, what each may see, and which region codes each may hold. Pure: no I/O.

Region codes are Kemendagri dotted codes (``PP``, ``PP.KK``, ``PP.KK.CC``, ``PP.KK.CC.DDDD``) or
``ID`` for the whole country. A code covers itself and every code below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

Role = Literal[
    "village_operator",
    "facilitator",
    "district_office",
    "province_office",
    "national_admin",
    "program_manager",
    "auditor",
    "dci_client",
    "public",
]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
NATIONAL: Final = "ID"

# Region levels by dotted length (the same table as tepat.reference.regions, kept here so this
# module stays free of the region data).
LEVEL_NAMES: Final[dict[int, str]] = {2: "province", 5: "regency", 8: "district", 13: "village"}


@dataclass(frozen=True, slots=True)
class RoleInfo:
    """What a role is for, the region levels its account may hold, and its defaults."""

    label: str
    levels: tuple[str, ...]  # allowed region levels ("village", ..., "national")
    max_regions: int | None  # None: any number
    sees_identity: bool  # full NIK / KK numbers
    default_purpose: str


ROLE_INFO: Final[dict[Role, RoleInfo]] = {
    "village_operator": RoleInfo(
        "operator desa/kelurahan: enters and maintains its village's data",
        ("village",),
        1,
        True,
        "village registry administration",
    ),
    "facilitator": RoleInfo(
        "pendamping PKH: ground checks in its assigned villages",
        ("village", "district"),
        None,
        True,
        "field verification (ground check)",
    ),
    "district_office": RoleInfo(
        "Dinas Sosial kabupaten/kota: verifies and approves for its regency/city",
        ("regency",),
        None,
        True,
        "regional verification and approval",
    ),
    "province_office": RoleInfo(
        "Dinas Sosial provinsi: oversight of its province",
        ("province",),
        None,
        True,
        "provincial oversight",
    ),
    "national_admin": RoleInfo(
        "national administrator (Kemensos Pusdatin)",
        ("national",),
        1,
        True,
        "national registry administration",
    ),
    "program_manager": RoleInfo(
        "program manager: aggregates and releases, never identity numbers",
        ("national",),
        1,
        False,
        "program planning and monitoring",
    ),
    "auditor": RoleInfo(
        "auditor (BPKP, BPK, inspectorate): the audit log, and personal data for audit only",
        ("national",),
        1,
        True,
        "audit",
    ),
    # A calling system (a program's MIS, a bank's distribution system) rather than a person.
    # It matches its beneficiaries by NIK/KK under a data-sharing agreement, so it sees full
    # numbers; its regions are those the agreement covers, at any level.
    "dci_client": RoleInfo(
        "calling system: the DCI Social Registry API (sync search) within its regions",
        ("village", "district", "regency", "province", "national"),
        None,
        True,
        "program targeting and verification (DCI data sharing)",
    ),
    "public": RoleInfo("anyone without an account", (), 0, False, "citizen self-service"),
}

# Roles whose accounts can see the audit log.
AUDIT_READERS: Final[frozenset[Role]] = frozenset({"auditor", "national_admin"})

# Roles that may call the DCI Social Registry API (tepat.interop): calling systems and the
# offices that answer for a region; program_manager gets masked numbers and no identity search.
DCI_CALLERS: Final[frozenset[Role]] = frozenset(
    {"dci_client", "district_office", "province_office", "national_admin", "program_manager"}
)


def region_level(code: str) -> str:
    """Level name of a dotted region code or ``ID`` ("village", ..., "national")."""
    if code == NATIONAL:
        return "national"
    level = LEVEL_NAMES.get(len(code))
    if level is None:
        raise ValueError(f"{code!r} is not a dotted region code")
    return level


def code_covers(held: str, code: str) -> bool:
    """True when region ``held`` is ``code`` itself, one of its parents, or ``ID``."""
    return held == NATIONAL or code == held or code.startswith(held + ".")


def role_problem(role: str, regions: tuple[str, ...]) -> str | None:
    """Why ``regions`` (dotted codes or ``ID``) do not suit ``role``, or None when they do."""
    if role not in ROLE_INFO:
        return f"unknown role {role!r}; choose one of: {', '.join(ROLES[:-1])}"
    info = ROLE_INFO[role]
    if role == "public":
        return "public is the anonymous role: it has no accounts"
    if not regions:
        return f"role {role} needs at least one region ({' or '.join(info.levels)} code)"
    if info.max_regions is not None and len(regions) > info.max_regions:
        return f"role {role} holds at most {info.max_regions} region(s), got {len(regions)}"
    for code in regions:
        level = region_level(code)
        if level not in info.levels:
            wanted = " or ".join("ID" if lv == "national" else f"a {lv} code" for lv in info.levels)
            return f"role {role} takes {wanted}; {code} is a {level} code"
    return None
