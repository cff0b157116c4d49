"""Writes to PostgreSQL go through crm/ only, and ui/ and pages/ run no SQL (an AST scan of the sources)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL_CALLS = {"execute", "scalars", "scalar", "sql", "exec_driver_sql"}
WRITE_NAMES = {"insert", "update", "delete"}


def _modules(*packages: str) -> list[Path]:
    return [p for package in packages for p in sorted((ROOT / package).rglob("*.py"))]


def test_ui_and_pages_run_no_sql() -> None:
    offenders = []
    for path in [*_modules("ui", "pages"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqlalchemy"):
                names = {a.name for a in node.names} & {"select", "text", *WRITE_NAMES}
                if names:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {sorted(names)}")
    assert offenders == []


def test_only_crm_builds_postgresql_writes() -> None:
    offenders = []
    for path in _modules("api", "ui", "pages", "analytics", "core", "models"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqlalchemy"):
                names = {a.name for a in node.names} & WRITE_NAMES
                if names:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {sorted(names)}")
            if (
                (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"add", "add_all"}
                )
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "session"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} session.{node.func.attr}()")
    assert offenders == []
