"""Demo accounts: one per role inside the regency, random passwords, re-seeding resets them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.access.demo import seed_demo_users
from tepat.access.models import User
from tepat.access.passwords import verify_password
from tepat.access.roles import ROLES
from tepat.errors import InvalidInput


def test_seed_demo_users_creates_one_account_per_role(session: Session) -> None:
    rows = seed_demo_users(session, "11.12")
    assert sorted(r[1] for r in rows) == sorted(r for r in ROLES if r != "public")
    regions = {role: region for _, role, region, _ in rows}
    assert regions["village_operator"] == "11.12.01.2006"
    assert regions["facilitator"] == "11.12.01.2006,11.12.01.2007"
    assert regions["district_office"] == "11.12" and regions["province_office"] == "11"
    assert regions["national_admin"] == regions["auditor"] == "ID"
    for username, _role, _region, password in rows:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None and password not in user.password_hash
        assert verify_password(user.password_hash, password)
    again = seed_demo_users(session, "11.12")
    assert {r[3] for r in again}.isdisjoint({r[3] for r in rows})
    user = session.scalar(select(User).where(User.username == again[0][0]))
    assert user is not None and verify_password(user.password_hash, again[0][3])


def test_seed_demo_users_needs_a_regency(session: Session) -> None:
    with pytest.raises(InvalidInput, match="regency"):
        seed_demo_users(session, "11.12.01")
