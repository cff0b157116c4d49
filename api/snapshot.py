"""Warehouse reads cached per published snapshot.

The ETL never changes a published serving file: it replaces it (``os.replace``), which gives the
path a new inode. So a result computed from one file stays exact for as long as that file is the
one served; keying the cache by the file's identity (device, inode, mtime) makes a new publish
invalidate it at once, with no time-based staleness.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache

from analytics.filters import MetricFilter
from analytics.pipeline import open_pipeline_by_stage
from core.warehouse import WarehouseMissing, data_as_of, warehouse_file

Snapshot = tuple[str, int, int, int]
StageRow = tuple[str, int, float, float]


def current_snapshot() -> Snapshot:
    """Identity of the serving file now (path, device, inode, mtime); WarehouseMissing when none."""
    path = warehouse_file()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise WarehouseMissing(path) from None
    return (str(path), st.st_dev, st.st_ino, st.st_mtime_ns)


@lru_cache(maxsize=64)
def _as_of(snapshot: Snapshot) -> datetime | None:
    return data_as_of()


def warehouse_as_of(snapshot: Snapshot | None = None) -> datetime | None:
    """PostgreSQL's clock when the served warehouse's last successful refresh began extracting."""
    return _as_of(snapshot or current_snapshot())


@lru_cache(maxsize=4096)
def _pipeline(snapshot: Snapshot, owner_ids: tuple[str, ...], visible: tuple[str, ...] | None) -> tuple[StageRow, ...]:
    frame = open_pipeline_by_stage(MetricFilter(owner_ids=owner_ids, visible_owner_ids=visible))
    return tuple(
        (str(r["key"]), int(r["count_open"]), float(r["amount"]), float(r["weighted_amount"]))
        for r in frame.iter_rows(named=True)
    )


def open_pipeline_rows(
    *, owner_ids: tuple[str, ...], visible: tuple[str, ...] | None, snapshot: Snapshot | None = None
) -> tuple[StageRow, ...]:
    """``analytics.pipeline.open_pipeline_by_stage`` rows (stage, count, amount, weighted) for this snapshot."""
    return _pipeline(snapshot or current_snapshot(), owner_ids, visible)
