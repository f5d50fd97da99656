"""`tepat users add`, `tepat users list` and `tepat audit verify` on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select, text
from typer.testing import CliRunner

from tepat.access import audit
from tepat.access.models import User
from tepat.access.passwords import verify_password
from tepat.cli import app

from .conftest import World

runner = CliRunner()


@pytest.fixture
def cli_env(world: World, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The CLI pointed at the test database; accounts it creates are removed afterwards."""
    monkeypatch.setenv("TEPAT_DATABASE_URL", database_url)
    yield world
    with world.session() as db:
        db.execute(delete(User).where(User.username.like("cli-%")))


def test_users_add_reads_the_password_from_stdin(cli_env: World) -> None:
    result = runner.invoke(
        app,
        [
            "users",
            "add",
            "cli-ops",
            "--role",
            "facilitator",
            "--region",
            "1112012006",
            "--region",
            "11.12.01.2007",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created cli-ops (facilitator) holding 11.12.01.2006, 11.12.01.2007" in result.output
    with cli_env.session() as db:
        user = db.scalar(select(User).where(User.username == "cli-ops"))
        assert user is not None
        assert verify_password(user.password_hash, "a long enough password")
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0 and "cli-ops" in listed.output and "facilitator" in listed.output


def test_national_roles_default_to_the_whole_country(cli_env: World) -> None:
    result = runner.invoke(
        app, ["users", "add", "cli-aud", "--role", "auditor"], input="a long enough password\n"
    )
    assert result.exit_code == 0, result.output
    assert "holding ID" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "superuser", "--region", "11.12"], "unknown role 'superuser'"),
        (["--role", "district_office", "--region", "99.99"], "not in the Kemendagri 2025 list"),
        (["--role", "district_office", "--region", "11.12.01"], "takes a regency code"),
        (["--role", "village_operator"], "needs at least one region"),
        (["--role", "public"], "anonymous role"),
    ],
)
def test_users_add_refuses_bad_roles_and_regions(
    cli_env: World, args: list[str], message: str
) -> None:
    result = runner.invoke(
        app, ["users", "add", "cli-bad", *args], input="a long enough password\n"
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()), result.output


def test_users_add_refuses_a_short_password_and_a_taken_name(cli_env: World) -> None:
    args = ["users", "add", "cli-x", "--role", "auditor"]
    short = runner.invoke(app, args, input="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    assert runner.invoke(app, args, input="a long enough password\n").exit_code == 0
    again = runner.invoke(app, args, input="a long enough password\n")
    assert again.exit_code == 2 and "already exists" in again.output


def test_audit_verify_exit_codes(cli_env: World) -> None:
    cli_env.get("/api/v1/households", "admin")
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "audit chain intact" in ok.output
    with cli_env.session() as db:
        last = audit.append(db, actor="t", role="auditor", action="test.cli")
        last_id = last.id
    with cli_env.session() as db:
        db.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :id"), {"id": last_id})
    try:
        broken = runner.invoke(app, ["audit", "verify"])
        assert broken.exit_code == 1
        assert f"entry {last_id}" in broken.output and "altered" in broken.output
    finally:
        with cli_env.session() as db:
            db.execute(text("UPDATE audit_log SET actor = 't' WHERE id = :id"), {"id": last_id})
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_serve_runs_uvicorn_on_the_app(cli_env: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    [(served, options)] = calls
    assert options == {"host": "127.0.0.1", "port": 8123}
    assert served.title == "Tepat registry service"  # type: ignore[attr-defined]
    assert "warning" not in result.output  # the test database is at head
