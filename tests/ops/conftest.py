"""Fixtures for the deployment-file checks: find a tool or skip visibly (fail when required).

``REQUIRE_OPS_TOOLS=1`` (set by scripts/quality) turns a missing tool from a skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml


class OpsTools:
    """The repository root and the external checkers (check-jsonschema, promtool, hadolint, ...)."""

    root = Path(__file__).resolve().parents[2]

    def tool(self, name: str) -> str:
        """Path of ``name`` (the venv's first, then PATH); skip, or fail under REQUIRE_OPS_TOOLS=1."""
        candidate = Path(sys.executable).parent / name
        found = str(candidate) if candidate.exists() else shutil.which(name)
        if found:
            return found
        message = f"{name} is not installed (pinned in requirements-dev.txt, or `apt-get install -y prometheus`)"
        if os.environ.get("REQUIRE_OPS_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a checker from the repository root (output captured)."""
        return subprocess.run(list(args), cwd=self.root, capture_output=True, text=True, timeout=180, check=False)

    def yaml_documents(self, path: Path) -> list[dict]:
        """Every non-empty YAML document of ``path``."""
        return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]

    def readme(self) -> str:
        """The README (where the product's commands are documented)."""
        return (self.root / "README.md").read_text()


@pytest.fixture(scope="session")
def ops() -> OpsTools:
    """The deployment-check helpers."""
    return OpsTools()
