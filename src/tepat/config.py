"""One settings object for the whole application, read from the environment (prefix ``TEPAT_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tepat.errors import ConfigurationError

_DEV_SECRET = "dev-only-insecure-secret-change-me"  # refused in production by Settings.check


class Settings(BaseSettings):
    """Runtime configuration; build once at start-up and pass it down.

    Every field can be set with an environment variable named ``TEPAT_<FIELD>``, e.g.
    ``TEPAT_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tepat``.
    """

    model_config = SettingsConfigDict(env_prefix="TEPAT_", env_file=None, extra="ignore")

    environment: Literal["dev", "test", "production"] = "dev"
    data_dir: Path = Field(
        default=Path("var"), description="Where the embedded database and outputs live."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file under data_dir."
    )
    secret_key: SecretStr = SecretStr(_DEV_SECRET)
    sql_echo: bool = False
    db_pool_size: int = Field(
        default=10, ge=1, le=200, description="Connections kept open per process (PostgreSQL)."
    )
    db_max_overflow: int = Field(
        default=20,
        ge=0,
        le=200,
        description="Extra connections a busy process may open (PostgreSQL); the service lets "
        "pool size + overflow requests hold a session at once, the rest wait.",
    )
    token_ttl_minutes: int = Field(
        default=480, ge=1, le=60 * 24 * 30, description="Lifetime of an API bearer token."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body the web service accepts."
    )
    objection_days: int = Field(
        default=14, ge=1, le=365, description="Days the region has to verify an objection."
    )
    appeal_days: int = Field(
        default=30, ge=1, le=365, description="Days a family may appeal a notice of loss."
    )
    proposal_days: int = Field(
        default=30, ge=1, le=365, description="Target days from a proposal to its decision."
    )
    status_check_rate_per_minute: int = Field(
        default=10, ge=1, le=100_000, description="Public requests per client IP and minute."
    )

    @property
    def effective_database_url(self) -> str:
        """The database URL to use: the configured one, or ``sqlite:///<data_dir>/tepat.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tepat.db').resolve()}"

    def check(self) -> Settings:
        """Refuse unsafe settings outside development (e.g. the default secret key)."""
        if self.environment == "production" and self.secret_key.get_secret_value() == _DEV_SECRET:
            raise ConfigurationError(
                "TEPAT_SECRET_KEY must be set to a long random value in production"
            )
        return self


def get_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides winning."""
    return Settings(**overrides).check()  # type: ignore[arg-type]
