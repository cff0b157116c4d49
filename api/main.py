"""The FastAPI application: ``uvicorn api.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from analytics.gauges import enable_warehouse_gauges
from api.errors import install_error_handlers
from api.instrumentation import RequestMetrics
from api.routers import auth, leads, opportunities, ops
from core.db import get_engine
from core.logging import configure_logging
from core.version import __version__

DESCRIPTION = """REST API of the sales system.

Sign in with `POST /api/v1/auth/token` (OAuth2 password form) and send `Authorization: Bearer <token>`,
or, for integrations, an admin-issued key in the `X-API-Key` header.

Every error is JSON: `{"detail": {"message": "...", "field": "...", "errors": [{"field", "problem"}]}}`.
"""


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    configure_logging()
    # Route handlers are synchronous and run on anyio's thread pool. Allowing more threads than the
    # database pool has steady connections only makes SQLAlchemy open and close overflow connections
    # under load (a new PostgreSQL backend each time); queueing in front of the pool is cheaper.
    pool_size = getattr(get_engine().pool, "size", None)
    if callable(pool_size):
        to_thread.current_default_thread_limiter().total_tokens = max(4, int(pool_size()))
    yield


def create_app() -> FastAPI:
    """Build the application with its routers and error handlers."""
    app = FastAPI(title="Sales System API", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    install_error_handlers(app)
    app.add_middleware(RequestMetrics)
    enable_warehouse_gauges()
    app.include_router(auth.router)
    app.include_router(leads.router)
    app.include_router(opportunities.router)
    app.include_router(ops.router)
    return app


app = create_app()
