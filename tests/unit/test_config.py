"""Settings: defaults, environment overrides, and refusal of unsafe production settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tepat.config import Settings, get_settings
from tepat.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``TEPAT_*`` variables from the caller's shell, and a known working directory."""
    for name in list(os.environ):
        if name.upper().startswith("TEPAT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_use_a_sqlite_file_under_var(clean_environment: Path) -> None:
    settings = get_settings()
    assert settings.environment == "dev"
    assert settings.data_dir == Path("var")
    assert settings.database_url is None
    assert settings.sql_echo is False
    expected = (clean_environment / "var" / "tepat.db").resolve()
    assert settings.effective_database_url == f"sqlite:///{expected}"


def test_environment_overrides_the_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/tepat"
    monkeypatch.setenv("TEPAT_DATABASE_URL", url)
    settings = get_settings()
    assert settings.database_url == url
    assert settings.effective_database_url == url


def test_environment_moves_the_default_database_with_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEPAT_DATA_DIR", str(tmp_path / "elsewhere"))
    settings = get_settings()
    expected = (tmp_path / "elsewhere" / "tepat.db").resolve()
    assert settings.effective_database_url == f"sqlite:///{expected}"


def test_explicit_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEPAT_DATABASE_URL", "sqlite:///from-env.db")
    assert (
        get_settings(database_url="sqlite:///explicit.db").database_url == "sqlite:///explicit.db"
    )


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="TEPAT_SECRET_KEY"):
        get_settings(environment="production")
    monkeypatch.setenv("TEPAT_ENVIRONMENT", "production")
    with pytest.raises(ConfigurationError):
        get_settings()


def test_production_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEPAT_ENVIRONMENT", "production")
    monkeypatch.setenv("TEPAT_SECRET_KEY", "a-long-random-value-from-the-vault-0123456789")
    settings = get_settings()
    assert settings.environment == "production"
    assert "a-long-random-value" not in repr(settings)


@pytest.mark.parametrize("environment", ["dev", "test"])
def test_development_allows_the_default_secret(environment: str) -> None:
    assert get_settings(environment=environment).environment == environment


def test_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEPAT_ENVIRONMENT", "staging")
    with pytest.raises(ValueError, match="environment"):
        Settings()
