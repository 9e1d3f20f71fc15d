"""Health route: is the service up, and what does its graph hold."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from .deps import json_response, settings_of, store_of

router = APIRouter(tags=["health"])


class SourceInfo(BaseModel):
    """One loaded source file and its named graph."""

    graph: str
    path: str
    quads: int


class Health(BaseModel):
    """Service status and what the graph holds."""

    status: str
    quads: int
    sources: list[SourceInfo]
    warnings: list[str]


@router.get("/health", response_model=Health, summary="Service status and loaded sources")
def health(request: Request) -> Response:
    """Say the service is up, how many quads it holds and from which files."""
    store, settings = store_of(request), settings_of(request)
    sources = [SourceInfo(graph=s.graph, path=s.path, quads=s.quads) for s in store.sources()]
    return json_response(Health(status="ok", quads=len(store), sources=sources, warnings=list(settings.warnings)))
