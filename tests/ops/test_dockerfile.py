"""Dockerfile: hadolint-clean, same install and start commands as the README's run command, non-root."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_hadolint_passes(ops):
    result = ops.run(ops.tool("hadolint"), "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_is_the_pinned_requirements_like_scripts_run():
    assert re.search(r"RUN pip install [^\n]*-r requirements\.txt", DOCKERFILE)
    assert "-r requirements.txt" in (ROOT / "scripts" / "run").read_text()


def test_start_command_is_streamlit_run_app_py_like_scripts_run():
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M).group(1))
    assert cmd[:3] == ["streamlit", "run", "app.py"]
    assert "streamlit run app.py" in (ROOT / "scripts" / "run").read_text()


def test_runs_as_a_non_root_user():
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert users and users[-1] not in {"root", "0"}


def test_build_context_excludes_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".data", ".git", "*.duckdb"} <= set(ignored)
