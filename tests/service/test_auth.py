"""Signing in and out: tokens, expiry, revocation, no user enumeration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tepat.access.models import ApiToken, User
from tepat.access.passwords import hash_password, verify_password
from tepat.access.service import token_digest

from .conftest import PASSWORD, VILLAGE_A, World, assert_error

LOGIN = "/api/v1/auth/token"


def test_sign_in_returns_a_bearer_token_that_identifies_the_account(world: World) -> None:
    response = world.client.post(LOGIN, json={"username": "op-a", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == "village_operator"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=470) < expires - datetime.now(UTC) <= timedelta(minutes=480)
    me = world.get("/api/v1/auth/me", body["access_token"]).json()
    assert me["username"] == "op-a" and me["regions"] == [VILLAGE_A]
    assert me["may_see_identity"] is True
    assert me["default_purpose"] == "village registry administration"


def test_usernames_are_case_insensitive(world: World) -> None:
    response = world.client.post(LOGIN, json={"username": " OP-A ", "password": PASSWORD})
    assert response.status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(world: World) -> None:
    wrong = world.client.post(LOGIN, json={"username": "op-a", "password": "nope-nope-nope"})
    unknown = world.client.post(LOGIN, json={"username": "nobody", "password": PASSWORD})
    for response in (wrong, unknown):
        assert_error(response, 401, "bad_credentials")
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == unknown.json()


def test_an_inactive_account_cannot_sign_in_or_use_its_tokens(world: World) -> None:
    with world.session() as db:
        db.execute(update(User).where(User.username == "op-b").values(active=False))
    try:
        response = world.client.post(LOGIN, json={"username": "op-b", "password": PASSWORD})
        assert_error(response, 401, "bad_credentials")
        assert_error(world.get("/api/v1/auth/me", "op-b"), 401)
    finally:
        with world.session() as db:
            db.execute(update(User).where(User.username == "op-b").values(active=True))


def test_an_expired_token_is_refused_with_a_reason(world: World) -> None:
    error = assert_error(world.get("/api/v1/auth/me", "expired"), 401, "token_expired")
    assert "sign in again" in error["message"]


def test_logout_revokes_the_token(world: World) -> None:
    token = world.client.post(LOGIN, json={"username": "dinsos", "password": PASSWORD}).json()[
        "access_token"
    ]
    assert world.get("/api/v1/households", token).status_code == 200
    response = world.client.post("/api/v1/auth/logout", headers=world.auth(token))
    assert response.status_code == 204
    assert_error(world.get("/api/v1/households", token), 401, "invalid_token")
    with world.session() as db:
        row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        assert row is not None and row.revoked
    # other tokens of the same account still work
    assert world.get("/api/v1/households", "dinsos").status_code == 200


def test_only_the_token_hash_is_stored(world: World) -> None:
    token = world.tokens["op-a"]
    with world.session() as db:
        stored = list(db.scalars(select(ApiToken.token_hash)))
    assert token_digest(token) in stored and token not in stored


def test_passwords_are_argon2id_hashes() -> None:
    hashed = hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long passphrase")
    assert not verify_password(hashed, "another passphrase")
    assert not verify_password("not a hash", "a long passphrase")


def test_sign_in_body_errors_name_the_field(world: World) -> None:
    error = assert_error(world.client.post(LOGIN, json={"username": "op-a"}), 422)
    assert error["field"] == "body.password"
    error = assert_error(world.client.post(LOGIN, json={"username": "x", "password": 5}), 422)
    assert error["field"] == "body.password"
