"""The Streamlit process's Prometheus endpoint: an HTTP server on its own port, started once per process.

Streamlit reruns page scripts on every interaction and serves them on its own port, so the metrics
live on ``METRICS_PORT`` (default 9464; 0 disables) in a daemon thread started behind a lock. A
second call returns the same port; a port already taken (another process on this host) is logged
and skipped rather than crashing the page.
"""

from __future__ import annotations

import logging
import threading

from prometheus_client import start_http_server

from core.metrics import enable_data_as_of_gauge

log = logging.getLogger(__name__)

_lock = threading.Lock()
_started_port: int | None = None
_attempted = False


def start_metrics_server(port: int | None = None, *, addr: str = "0.0.0.0") -> int | None:  # noqa: S104
    """Serve /metrics on ``port`` (default METRICS_PORT) once per process; returns the port or None."""
    global _started_port, _attempted
    with _lock:
        if _attempted:
            return _started_port
        _attempted = True
        if port is None:
            from core.settings import get_settings

            port = get_settings().metrics_port
        if port <= 0:
            log.info("metrics server disabled", extra={"metrics_port": port})
            return None
        try:
            server, _thread = start_http_server(port, addr=addr)
        except OSError as exc:
            log.warning("metrics server not started", extra={"metrics_port": port, "reason": exc.strerror})
            return None
        enable_data_as_of_gauge()
        _started_port = int(server.server_port)
        log.info("metrics server started", extra={"metrics_port": _started_port})
        return _started_port


def metrics_server_port() -> int | None:
    """The port this process serves metrics on, if started."""
    return _started_port
