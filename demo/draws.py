"""Vectorised drawing helpers for the demo generator: ids, picks, labelled columns, quarters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from demo.catalog import DAY


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def uuid_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` version-4 UUIDs from the generator, as canonical 36-character byte strings (numpy ``S36``)."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.empty((n, 32), dtype=np.uint8)
    chars[:, 0::2] = hexdigits[raw >> 4]
    chars[:, 1::2] = hexdigits[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8], out[:, 9:13], out[:, 14:18] = chars[:, 0:8], chars[:, 8:12], chars[:, 12:16]
    out[:, 19:23], out[:, 24:36] = chars[:, 16:20], chars[:, 20:32]
    return out.view("S36").ravel()


def id_column(name: str, ids: np.ndarray, codes: np.ndarray | None = None) -> pl.Series:
    """A string column from fixed-width ``S36`` ids (zero-copy through Arrow); code -1 → null."""
    ids = np.ascontiguousarray(ids, dtype="S36")
    n = len(ids)
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int64)
    array = pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(ids.view(np.uint8))])
    series = pl.Series(name, array)
    if codes is None:
        return series
    return pl.Series(name, [None], dtype=pl.String).append(series).gather(np.asarray(codes, dtype=np.int64) + 1)


def pick(rng: np.random.Generator, weights: Mapping[int, float] | np.ndarray | Sequence[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right").clip(0, len(w) - 1)


def lognormal_days(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(n)) * DAY


def labels(values: tuple[str, ...] | list[str], codes: np.ndarray, name: str) -> pl.Series:
    """A string column from integer codes into ``values`` (code -1 → null)."""
    lookup = pl.Series(name, [None, *values], dtype=pl.String)
    return lookup.gather(pl.Series(np.asarray(codes, dtype=np.int64) + 1))


def timestamps(seconds: np.ndarray, name: str) -> pl.Series:
    """UTC epoch seconds → naive microsecond datetimes (loaded with the session in UTC)."""
    finite = np.isfinite(seconds)
    micros = np.where(finite, seconds, 0).astype(np.int64) * 1_000_000
    series = pl.Series(name, micros).cast(pl.Datetime("us"))
    if finite.all():
        return series
    return pl.select(pl.when(pl.Series(finite)).then(series).otherwise(None).alias(name)).to_series()


def dates(days: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, np.asarray(days, dtype=np.int32)).cast(pl.Date)


def quarter_index(seconds: np.ndarray, first_quarter: date) -> np.ndarray:
    """Quarter number of each epoch-seconds value counted from ``first_quarter``."""
    months = seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    base = (first_quarter.year - 1970) * 12 + first_quarter.month - 1
    return (months - base) // 3


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_quarters(day: date, quarters: int) -> date:
    months = day.year * 12 + day.month - 1 + 3 * quarters
    return date(months // 12, months % 12 + 1, 1)


def ffill(values: np.ndarray, missing: float) -> np.ndarray:
    """Carry the last non-missing value forward along each row (column 0 is never missing)."""
    k = values.shape[1]
    idx = np.where(values != missing, np.arange(k)[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    return np.take_along_axis(values, idx, axis=1)
