"""Atomic publish: a complete new DuckDB file replaces the served one with ``os.replace``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def temp_path(path: Path) -> Path:
    """The private name a new file is built under before it replaces ``path``."""
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


def replace_file(tmp: Path, path: Path) -> None:
    """Atomically put ``tmp`` in place of ``path`` and make the rename durable."""
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temp_files(*paths: Path) -> list[Path]:
    """Delete temp files (and their WALs) left by killed runs; call only while holding the refresh lock."""
    removed = []
    for path in paths:
        for stale in path.parent.glob(f"{path.name}.tmp-*"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
                removed.append(stale)
    return removed


def discard(path: Path) -> None:
    """Remove a temp file and its WAL if present."""
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
