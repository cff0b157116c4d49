"""Publishing: two data files behind the serving path, a symlink flipped atomically between them.

``WAREHOUSE_PATH`` (e.g. ``warehouse.duckdb``) is a symlink to ``warehouse.a.duckdb`` or
``warehouse.b.duckdb``. A refresh writes the file the symlink does not name (the standby), checkpoints
and closes it, then points the symlink at it with ``os.replace`` of a new symlink. Readers resolve the
symlink per query, so they see the old complete file or the new complete one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path


def temp_path(path: Path) -> Path:
    """The private name a new file is built under before it replaces ``path``."""
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


def data_files(serving: Path) -> tuple[Path, Path]:
    """The two data files the serving symlink alternates between."""
    return (
        serving.with_name(f"{serving.stem}.a{serving.suffix}"),
        serving.with_name(f"{serving.stem}.b{serving.suffix}"),
    )


def current_file(serving: Path) -> Path | None:
    """The data file the serving path names now (None when nothing is published)."""
    if not serving.is_symlink():
        return None
    target = serving.parent / os.readlink(serving)
    return target if target.exists() else None


def standby_file(serving: Path, current: Path | None) -> Path:
    """The data file that is not being served."""
    a, b = data_files(serving)
    return b if current is not None and current.name == a.name else a


def adopt_plain_file(serving: Path) -> None:
    """Turn a served plain file (the layout before the two data files) into data file ``a`` behind a symlink.

    Hard-links it first, so a reader sees the same complete file before and after the symlink replaces it.
    """
    if serving.is_symlink() or not serving.is_file():
        return
    a, _ = data_files(serving)
    discard(a)
    try:
        os.link(serving, a)
    except OSError:
        shutil.copyfile(serving, a)
    point_to(serving, a)


def point_to(serving: Path, target: Path) -> None:
    """Atomically make ``serving`` a symlink to ``target`` (same directory) and make it durable."""
    tmp = temp_path(serving)
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target.name, tmp)
    os.replace(tmp, serving)
    _fsync_dir(serving.parent)


def replace_file(tmp: Path, path: Path) -> None:
    """Atomically put ``tmp`` in place of ``path`` (dropping any WAL of the old file) and make it durable."""
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + ".wal").unlink()
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
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
