"""The FastAPI application: one router per resource, the store and service in app state."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI

from .. import __version__
from ..pages import router as pages_router
from ..service import Service
from ..settings import Settings
from ..store import Store
from . import browse, catalogues, errors, graph_store, health, linked_data, planning, sparql


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Warm the caches and query workers at start-up if the settings ask; stop the workers at the end."""
    if app.state.settings.warm_up:
        sparql.warm(app)
    yield
    if getattr(app.state, "query_pool", None) is not None:
        app.state.query_pool.close()


def create_app(settings: Settings, store: Store) -> FastAPI:
    """Build the app over an already loaded store.

    Route handlers are plain (sync) functions, so FastAPI runs them in its thread pool and
    a query never blocks the event loop.
    """
    app = FastAPI(
        title="graph-service",
        version=__version__,
        description="Knowledge graph of micro-credentials (mikromeriter): EQF/SeQF levels, IBIC life "
        "areas, care-plan sections, competences, roles, career ladders and gap bridging.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.write_lock = threading.RLock()
    app.state.query_pool = None
    app.state.service = Service(store, time_limit=settings.plan_time_limit,
                                fallback_language=settings.fallback_language)
    errors.install(app)
    for module in (health, planning, browse, catalogues, sparql, graph_store):
        app.include_router(module.router)
    app.include_router(linked_data.router_for(settings))
    app.include_router(pages_router)
    return app
