"""Once-per-process start-up of the Streamlit app: logging, metrics server, database check."""

from __future__ import annotations

import streamlit as st

from core.db import check_connection, get_engine
from core.errors import ConfigError
from core.logging import configure_logging
from core.metrics import register_scrape_refresher
from core.metrics_server import start_metrics_server


@st.cache_resource(show_spinner=False)
def start_process_services() -> None:
    """JSON logs and the Prometheus endpoint on METRICS_PORT (with the conversion signal), once."""
    from analytics.drift import export_conversion_metrics
    from analytics.gauges import enable_warehouse_gauges

    configure_logging()
    start_metrics_server()
    enable_warehouse_gauges()
    register_scrape_refresher("conversion", export_conversion_metrics, every_seconds=300)


@st.cache_resource(show_spinner=False)
def _database_reachable() -> bool:
    check_connection(get_engine())  # raises ConfigError (not cached) until the database answers
    return True


def database_problem() -> str | None:
    """One sentence saying what to fix when the system of record cannot be used, else None."""
    try:
        _database_reachable()
    except ConfigError as exc:
        return str(exc)
    return None
