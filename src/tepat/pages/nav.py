"""The links of each role's menu. Pure: no I/O.

A link is shown only to the roles that may use its page; the page itself checks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tepat.access.principal import Principal
from tepat.access.roles import Role


@dataclass(frozen=True, slots=True)
class Link:
    """A menu entry: where it goes, its message key, and the roles that see it."""

    path: str
    key: str
    roles: tuple[Role, ...]


_REGISTRY: Final[tuple[Role, ...]] = (
    "village_operator",
    "facilitator",
    "district_office",
    "province_office",
    "national_admin",
)

LINKS: Final[tuple[Link, ...]] = (
    Link("/beranda", "nav.dashboard", (*_REGISTRY, "program_manager", "auditor")),
    Link("/rumah-tangga", "nav.households", _REGISTRY),
    Link("/usulan", "nav.proposals", ("village_operator", "district_office", "national_admin")),
    Link("/tugas", "nav.tasks", ("facilitator",)),
    Link("/persetujuan", "nav.approvals", ("district_office", "national_admin")),
    Link("/sanggahan", "nav.objections", ("district_office", "facilitator", "national_admin")),
    Link("/tautan", "nav.linkage", ("district_office", "national_admin")),
    Link("/rilis", "nav.releases", ("program_manager", "national_admin", "district_office")),
    Link("/simulasi", "nav.simulation", ("program_manager", "national_admin")),
)

PUBLIC_LINKS: Final[tuple[Link, ...]] = (
    Link("/cek-status", "nav.status_check", ("public",)),
    Link("/usul", "nav.self_proposal", ("public",)),
    Link("/sanggah", "nav.objection", ("public",)),
    Link("/cara-kerja", "nav.how_it_works", ("public",)),
)


def nav_for(principal: Principal | None) -> tuple[Link, ...]:
    """The menu of a signed-in principal, or the public menu."""
    if principal is None or principal.is_anonymous:
        return PUBLIC_LINKS
    return tuple(link for link in LINKS if principal.role in link.roles)


def may_open(principal: Principal, path: str) -> bool:
    """True when ``path`` (a menu path) is in the principal's menu."""
    return any(link.path == path for link in nav_for(principal))
