"""Use cases of accounts and tokens. They flush, never commit: the caller owns the transaction."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from tepat.access.models import ApiToken, User, UserRegion
from tepat.access.passwords import (
    burn_verification,
    hash_password,
    password_problem,
    verify_password,
)
from tepat.access.principal import Principal
from tepat.access.roles import NATIONAL, ROLES, Role, role_problem
from tepat.errors import Conflict, InvalidInput, NotFound, Unauthorized
from tepat.reference.regions import RegionRepository, UnknownRegion
from tepat.reference.regions import regions as default_regions

TOKEN_PREFIX = "tpt_"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
BAD_LOGIN = "username or password is wrong"
BAD_TOKEN = "sign in again: the token is missing, unknown, expired or revoked"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a bearer token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_regions(
    codes: Sequence[str], repo: RegionRepository | None = None
) -> tuple[str, ...]:
    """Canonical dotted codes (or ``ID``), each checked against the Kemendagri list."""
    lookup = default_regions() if repo is None else repo
    result: list[str] = []
    for code in codes:
        if code.strip().upper() == NATIONAL:
            canonical = NATIONAL
        else:
            try:
                canonical = lookup.get(code).code
            except UnknownRegion as exc:
                raise InvalidInput(exc.message, code=exc.code, field="region") from None
        if canonical not in result:
            result.append(canonical)
    return tuple(result)


def principal_of(user: User) -> Principal:
    """The principal of an account."""
    role: Role = user.role  # type: ignore[assignment]
    return Principal(user.id, user.username, role, tuple(r.region_code for r in user.regions))


def create_user(
    *,
    db: Session,
    username: str,
    password: str,
    role: str,
    regions: Sequence[str],
    repo: RegionRepository | None = None,
) -> User:
    """Create an account; refuses a bad username, password, role or region with the reason."""
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidInput(
            f"username {username!r} is not allowed: use 3-64 lowercase letters, digits, '.', '_' "
            "or '-', starting with a letter or digit",
            code="invalid_username",
            field="username",
        )
    if role not in ROLES:
        raise InvalidInput(role_problem(role, ()) or role, code="unknown_role", field="role")
    codes = normalise_regions(regions, repo)
    problem = role_problem(role, codes)
    if problem:
        raise InvalidInput(problem, code="invalid_role_regions", field="region")
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem, code="weak_password", field="password")
    if db.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"username {name} already exists", code="username_taken", field="username")
    user = User(username=name, password_hash=hash_password(password), role=role, active=True)
    user.regions = [UserRegion(region_code=c) for c in codes]
    db.add(user)
    db.flush()
    return user


def list_users(*, db: Session) -> list[User]:
    """Every account, by username, with its regions loaded."""
    return list(
        db.scalars(select(User).options(selectinload(User.regions)).order_by(User.username))
    )


def get_user(*, db: Session, username: str) -> User:
    """The account named ``username``; raise :class:`NotFound`."""
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no account named {username!r}", code="user_not_found")
    return user


def set_password(*, db: Session, user: User, password: str) -> None:
    """Replace an account's password and revoke its tokens."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem, code="weak_password", field="password")
    user.password_hash = hash_password(password)
    revoke_user_tokens(db=db, user_id=user.id)
    db.flush()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new bearer token: shown once, only its hash is stored."""

    token: str
    expires_at: datetime
    principal: Principal


def issue_token(*, db: Session, user: User, ttl: timedelta) -> IssuedToken:
    """Create a bearer token for ``user`` valid for ``ttl``."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = _now() + ttl
    db.add(ApiToken(token_hash=token_digest(token), user_id=user.id, expires_at=expires))
    db.flush()
    return IssuedToken(token, expires, principal_of(user))


def authenticate(*, db: Session, username: str, password: str, ttl: timedelta) -> IssuedToken:
    """Check a username and password and issue a token; one message for every failure."""
    user = db.scalar(
        select(User)
        .options(selectinload(User.regions))
        .where(User.username == username.strip().lower())
    )
    if user is None:
        burn_verification(password)
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    if not verify_password(user.password_hash, password) or not user.active:
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    return issue_token(db=db, user=user, ttl=ttl)


def principal_for_token(*, db: Session, token: str) -> tuple[Principal, datetime]:
    """The principal a bearer token stands for, and when it expires; :class:`Unauthorized`."""
    row = db.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(token))
    ).one_or_none()
    if row is None:
        raise Unauthorized(BAD_TOKEN, code="invalid_token")
    api_token, user = row
    if api_token.revoked or not user.active:
        raise Unauthorized(BAD_TOKEN, code="invalid_token")
    if api_token.expires_at <= _now():
        raise Unauthorized("the token has expired: sign in again", code="token_expired")
    codes = db.scalars(
        select(UserRegion.region_code)
        .where(UserRegion.user_id == user.id)
        .order_by(UserRegion.region_code)
    )
    role: Role = user.role  # type: ignore[assignment]
    return Principal(user.id, user.username, role, tuple(codes)), api_token.expires_at


def revoke_token(*, db: Session, token: str) -> bool:
    """Revoke one bearer token; True if it existed and was active."""
    result = db.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_user_tokens(*, db: Session, user_id: int) -> int:
    """Revoke every active token of an account; returns how many."""
    result = db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
