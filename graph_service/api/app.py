"""The FastAPI application: one router per resource, the store shared through app state."""

from __future__ import annotations

from fastapi import FastAPI

from .. import __version__
from ..settings import Settings
from ..store import Store
from . import health


def create_app(settings: Settings, store: Store) -> FastAPI:
    """Build the app over an already loaded store."""
    app = FastAPI(
        title="graph-service",
        version=__version__,
        description="Knowledge graph of micro-credentials (mikromeriter): EQF/SeQF levels, IBIC life "
        "areas, care-plan sections, competences, roles, career ladders and gap bridging.",
    )
    app.state.settings = settings
    app.state.store = store
    app.include_router(health.router)
    return app
