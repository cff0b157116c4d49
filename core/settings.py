"""One settings object for the whole product, read from environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

DEFAULT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    """Configuration; every field has a working default (see README "Configuration")."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    database_url: str | None = Field(default=None, description="PostgreSQL URL; unset = embedded server")
    warehouse_path: Path = Path(".data/warehouse.duckdb")
    model_dir: Path = Path(".data/models")
    data_dir: Path = Path(".data")
    app_env: Literal["development", "production"] = "development"
    secret_key: str = DEFAULT_SECRET
    etl_every: str = "15m"
    session_hours: float = Field(default=12, gt=0, description="how long a browser sign-in lasts")
    metrics_port: int = 9464
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.app_env == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("APP_ENV=production needs SECRET_KEY set to a secret of your own")
        return self

    @property
    def embedded_pgdata(self) -> Path:
        """Folder of the embedded PostgreSQL cluster used when DATABASE_URL is unset."""
        return self.data_dir / "postgres"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached; call ``get_settings.cache_clear()`` in tests)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"Invalid configuration — {problems}.") from None


def _describe(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"]).upper()
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
