"""Bad configuration stops with one clear sentence, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]


def _run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unreachable_database_url_is_one_sentence_naming_the_setting():
    result = _run_cli("migrate", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "DATABASE_URL" in result.stderr and "127.0.0.1:1" in result.stderr


def test_unwritable_data_folder_message(tmp_path):
    from core import embedded

    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="not writable"):
        embedded._ensure_writable(blocker / "data")


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="SECRET_KEY"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_production_accepts_its_own_secret():
    settings = Settings(app_env="production", secret_key="a-real-secret-of-our-own")
    assert settings.app_env == "production"


def test_urls_are_normalised_to_psycopg3():
    from core.db import normalize_url

    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
