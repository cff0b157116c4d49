"""Prometheus metrics shared by the app, the API and the ETL: every metric is defined here, once.

Import the constant and record on it (``LEAD_CREATED.labels(source=..., status=...).inc()``); never
define a metric elsewhere (a second definition raises ``Duplicated timeseries``, and defining one in
a Streamlit page body fails on the second run). Names follow the specification
(``sales_lead_created_total`` …) and docs/operations.md lists who records what.

Gauges that describe the warehouse (open pipeline, data freshness) are computed at scrape time by
``WarehouseCollector`` from the serving file, throttled, so every replica reports the same values:
aggregate them with ``max``, not ``sum``. Database pool gauges are read from the process's SQLAlchemy
engines at scrape time.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

disable_created_metrics()  # no *_created series: they double the series count and no panel uses them

# --- the specification's metrics ----------------------------------------------------------------
LEAD_CREATED = Counter("sales_lead_created_total", "Leads created", ["source", "status"])
OPPORTUNITY_STAGE_CHANGE = Counter(
    "sales_opportunity_stage_change_total", "Opportunity stage changes", ["from_stage", "to_stage"]
)
API_REQUEST_DURATION = Histogram(
    "sales_api_request_duration_seconds",
    "API request duration (route is the path template, e.g. /api/v1/leads/{lead_id})",
    ["method", "route", "status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ACTIVE_PIPELINE_AMOUNT = Gauge(
    "sales_active_pipeline_amount",
    "Open pipeline amount from the serving warehouse",
    ["stage", "territory"],
    registry=None,
)

# --- errors, failures, conversions ----------------------------------------------------------------
ERRORS = Counter("sales_errors_total", "Unhandled errors by component and exception type", ["component", "kind"])
LEAD_CREATION_FAILURES = Counter(
    "sales_lead_creation_failures_total", "Lead creations that were refused or failed", ["source", "reason"]
)
LEAD_CONVERSIONS = Counter("sales_lead_conversions_total", "Leads converted into opportunities", ["source"])
LEAD_CONVERSION_RATE = Gauge(
    "sales_lead_conversion_rate",
    "Share of leads created in the last 90 days that converted (analytics.conversion)",
    ["source"],
    registry=None,
)
CONVERSION_DROP = Gauge(
    "sales_conversion_drop",
    "1 when the last window's conversion is significantly below the trailing rate (analytics.drift)",
    ["dimension", "value"],
    registry=None,
)
CONVERSION_DROP_ZSCORE = Gauge(
    "sales_conversion_drop_zscore",
    "Two-proportion z-score, last window vs trailing rate",
    ["dimension", "value"],
    registry=None,
)

# --- caches ------------------------------------------------------------------------------------
CACHE_HITS = Counter("sales_cache_hits_total", "Cached lookups answered from the cache", ["cache"])
CACHE_MISSES = Counter("sales_cache_misses_total", "Cached lookups that had to compute", ["cache"])

# --- ETL ---------------------------------------------------------------------------------------
ETL_RUNS = Counter("sales_etl_runs_total", "ETL refresh attempts", ["mode", "status"])
ETL_RUN_DURATION = Histogram(
    "sales_etl_run_duration_seconds",
    "ETL refresh duration",
    ["mode"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
ETL_LAST_SUCCESS = Gauge(
    "sales_etl_last_success_timestamp_seconds", "Unix time of this process's last successful ETL refresh"
)
WAREHOUSE_DATA_AS_OF = Gauge(
    "sales_warehouse_data_as_of_timestamp_seconds",
    "Source snapshot time of the serving warehouse (the 'data as of' shown on pages)",
    registry=None,
)

# --- database pool (filled at scrape time) -------------------------------------------------------
DB_POOL_IN_USE_NAME = "sales_db_pool_connections_in_use"
DB_POOL_MAX_NAME = "sales_db_pool_connections_max"


def observe_api_request(*, method: str, route: str, status_code: int, seconds: float) -> None:
    """Record one API request (route = the path template, never the raw path with ids)."""
    API_REQUEST_DURATION.labels(method=method.upper(), route=route, status_code=str(status_code)).observe(seconds)


def record_error(*, component: str, error: BaseException) -> None:
    """Count one unhandled error of ``component`` (app, api, etl) by exception class."""
    ERRORS.labels(component=component, kind=type(error).__name__).inc()


def record_etl_run(*, mode: str, status: str, seconds: float, finished_at: float | None = None) -> None:
    """Record one ETL refresh (status 'success' or 'failed')."""
    ETL_RUNS.labels(mode=mode, status=status).inc()
    ETL_RUN_DURATION.labels(mode=mode).observe(seconds)
    if status == "success":
        ETL_LAST_SUCCESS.set(finished_at if finished_at is not None else time.time())


def instrument_cache(name: str, cache: Callable[[F], F]) -> Callable[[F], F]:
    """Wrap a caching decorator (``st.cache_data(ttl=60)``, ``functools.cache``) to count hits and misses.

    Usage: ``@instrument_cache("pipeline_by_stage", st.cache_data(ttl=60))``. The wrapped function's
    body runs only on a miss, which marks it; ``.clear()`` of the cache stays available.
    """

    def decorate(fn: F) -> F:
        state = threading.local()

        @functools.wraps(fn)
        def compute(*args: Any, **kwargs: Any) -> Any:
            state.missed = True
            return fn(*args, **kwargs)

        cached = cache(compute)  # type: ignore[arg-type]

        @functools.wraps(fn)
        def lookup(*args: Any, **kwargs: Any) -> Any:
            state.missed = False
            result = cached(*args, **kwargs)
            (CACHE_MISSES if state.missed else CACHE_HITS).labels(cache=name).inc()
            return result

        for attribute in ("clear", "cache_clear"):
            if hasattr(cached, attribute):
                setattr(lookup, attribute, getattr(cached, attribute))
        return lookup  # type: ignore[return-value]

    return decorate


def metrics_payload() -> tuple[bytes, str]:
    """The exposition text of every metric of this process and its content type (for GET /metrics)."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class PoolCollector(Collector):
    """Connections checked out and the maximum, per SQLAlchemy engine of this process (core.db)."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The two pool gauges, without samples."""
        yield GaugeMetricFamily(DB_POOL_IN_USE_NAME, "Database connections checked out", labels=["database"])
        yield GaugeMetricFamily(DB_POOL_MAX_NAME, "Database pool size plus overflow", labels=["database"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Read every engine's pool at scrape time."""
        in_use = GaugeMetricFamily(DB_POOL_IN_USE_NAME, "Database connections checked out", labels=["database"])
        maximum = GaugeMetricFamily(DB_POOL_MAX_NAME, "Database pool size plus overflow", labels=["database"])
        from core import db as core_db

        engines = dict(getattr(core_db, "_engines", {}))
        for engine in engines.values():
            pool = engine.pool
            label = engine.url.database or "default"
            checked_out = getattr(pool, "checkedout", None)
            size = getattr(pool, "size", None)
            if not callable(checked_out) or not callable(size):
                continue
            in_use.add_metric([label], float(checked_out()))
            maximum.add_metric([label], float(size() + max(getattr(pool, "_max_overflow", 0), 0)))
        yield in_use
        yield maximum


class WarehouseCollector(Collector):
    """Warehouse-derived gauges, recomputed at most every ``every_seconds`` when scraped.

    Refreshers are callables run on scrape (``register_scrape_refresher``): ``analytics.gauges`` sets the
    open pipeline by stage and territory and the data-as-of time, ``analytics.drift`` the conversion gauges.
    A failing refresher is logged and counted; the scrape still answers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refreshers: dict[str, tuple[Callable[[], None], float]] = {}
        self._last_run: dict[str, float] = {}

    def register(self, name: str, fn: Callable[[], None], every_seconds: float) -> None:
        """Run ``fn`` on scrape at most every ``every_seconds`` (replaces a refresher of that name)."""
        with self._lock:
            self._refreshers[name] = (fn, every_seconds)
            self._last_run.pop(name, None)

    def refresh(self, *, force: bool = False) -> None:
        """Run the refreshers that are due (all when ``force``)."""
        with self._lock:
            now = time.monotonic()
            for name, (fn, every) in list(self._refreshers.items()):
                last = self._last_run.get(name)
                if not force and last is not None and now - last < every:
                    continue
                self._last_run[name] = now
                try:
                    fn()
                except Exception as exc:
                    log.warning("metrics refresher failed", extra={"refresher": name, "error_type": type(exc).__name__})
                    record_error(component="metrics", error=exc)

    def describe(self) -> Iterable[Any]:
        """The warehouse gauges' descriptions (so registering does not run the refreshers)."""
        for gauge in WAREHOUSE_GAUGES:
            yield from gauge.describe()

    def collect(self) -> Iterable[Any]:
        """Refresh the due gauges, then export them (so a scrape sees this refresh's values)."""
        self.refresh()
        for gauge in WAREHOUSE_GAUGES:
            yield from gauge.collect()


def refresh_data_as_of_gauge(path: Any = None) -> None:
    """Set the warehouse's data-as-of time from the serving file (no-op if none yet).

    The figures (open pipeline, conversion) are set by ``analytics.gauges`` and ``analytics.drift``
    (registered by app and API), so they use the analytics definitions.
    """
    from core.warehouse import WarehouseMissing, data_as_of

    try:
        as_of = data_as_of(path)
    except WarehouseMissing:
        return
    if as_of is not None:
        WAREHOUSE_DATA_AS_OF.set(as_of.timestamp())


WAREHOUSE_GAUGES = (
    ACTIVE_PIPELINE_AMOUNT,
    LEAD_CONVERSION_RATE,
    CONVERSION_DROP,
    CONVERSION_DROP_ZSCORE,
    WAREHOUSE_DATA_AS_OF,
)
POOL_COLLECTOR = PoolCollector()
WAREHOUSE_COLLECTOR = WarehouseCollector()
REGISTRY.register(POOL_COLLECTOR)
REGISTRY.register(WAREHOUSE_COLLECTOR)


def register_scrape_refresher(name: str, fn: Callable[[], None], *, every_seconds: float = 60.0) -> None:
    """Run ``fn`` when /metrics is scraped, at most every ``every_seconds`` (e.g. the conversion-drop signal)."""
    WAREHOUSE_COLLECTOR.register(name, fn, every_seconds)


def enable_data_as_of_gauge(*, every_seconds: float = 60.0) -> None:
    """Serve the data-as-of gauge from this process (``analytics.gauges`` adds the figures)."""
    register_scrape_refresher("data_as_of", refresh_data_as_of_gauge, every_seconds=every_seconds)
