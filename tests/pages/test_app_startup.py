"""The app's start-up: a clear sentence for an unreachable database; metrics served once per process."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import db as core_db
from core.settings import get_settings

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _fresh_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30)


def test_unreachable_database_shows_one_sentence_instead_of_the_sign_in_form(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    get_settings.cache_clear()
    try:
        at = _fresh_app().run()
        assert not at.exception
        assert len(at.error) == 1
        assert "Cannot reach PostgreSQL" in at.error[0].value and "DATABASE_URL" in at.error[0].value
        assert not at.text_input  # no sign-in form
    finally:
        monkeypatch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        core_db.dispose_engines()


def test_first_run_starts_the_metrics_endpoint_once_per_process(monkeypatch, clean_db):
    from core import metrics_server

    monkeypatch.setenv("METRICS_PORT", "0")  # 0 = do not bind a port in tests; the attempt is what counts
    monkeypatch.setattr(metrics_server, "_attempted", False)
    get_settings.cache_clear()
    try:
        at = _fresh_app().run()
        assert not at.exception
        assert at.text_input(key="signin_email") is not None
        assert metrics_server._attempted
    finally:
        get_settings.cache_clear()
