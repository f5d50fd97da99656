"""Demo accounts: one per role, scoped inside one regency, with fresh random passwords."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.access.models import User, UserRegion
from tepat.access.passwords import hash_password
from tepat.access.service import create_user, revoke_user_tokens
from tepat.errors import InvalidInput
from tepat.reference.regions import RegionLevel, RegionRepository
from tepat.reference.regions import regions as default_regions


def _demo_scopes(regency: str, repo: RegionRepository) -> list[tuple[str, str, tuple[str, ...]]]:
    region = repo.get(regency)
    if region.level is not RegionLevel.REGENCY:
        raise InvalidInput(
            f"demo users need a regency/city code (PP.KK), not {region.code} ({region.kind})",
            code="invalid_region_level",
            field="region",
        )
    district = repo.children(region.code)[0]
    villages = [v.code for v in repo.children(district.code)]
    return [
        ("demo-operator", "village_operator", (villages[0],)),
        ("demo-pendamping", "facilitator", tuple(villages[:2])),
        ("demo-dinsos", "district_office", (region.code,)),
        ("demo-provinsi", "province_office", (region.code[:2],)),
        ("demo-admin", "national_admin", ("ID",)),
        ("demo-program", "program_manager", ("ID",)),
        ("demo-auditor", "auditor", ("ID",)),
        ("demo-dci", "dci_client", (region.code,)),
    ]


def seed_demo_users(
    db: Session, region_code: str, *, repo: RegionRepository | None = None
) -> list[tuple[str, str, str, str]]:
    """Create (or reset) one demo account per role inside regency ``region_code``.

    Returns ``(username, role, regions, password)`` rows; ``regions`` is comma-separated. The
    passwords are new random ones each time (print them once: only their hashes are stored).
    An existing demo account gets its role, regions and password reset and its tokens revoked.
    Flushes; the caller commits.
    """
    lookup = default_regions() if repo is None else repo
    rows: list[tuple[str, str, str, str]] = []
    for username, role, codes in _demo_scopes(region_code, lookup):
        password = secrets.token_urlsafe(12)
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            create_user(
                db=db, username=username, password=password, role=role, regions=codes, repo=lookup
            )
        else:
            user.password_hash = hash_password(password)
            user.role = role
            user.active = True
            user.regions = [UserRegion(region_code=c) for c in codes]
            revoke_user_tokens(db=db, user_id=user.id)
            db.flush()
        rows.append((username, role, ",".join(codes), password))
    return rows
