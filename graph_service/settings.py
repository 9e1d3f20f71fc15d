"""Server settings: what to load, where to store it, where to listen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .namespaces import MMID


@dataclass(frozen=True)
class Settings:
    """Settings of one running service (from the CLI, or the defaults)."""

    data: tuple[Path, ...] = ()
    store_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    default_language: str = "sv"
    fallback_language: str = "en"
    plan_time_limit: float = 5.0
    warnings: tuple[str, ...] = field(default=())
    # SPARQL protocol: writes need this bearer token (None: no writes at all)
    sparql_token: str | None = None
    query_timeout: float = 5.0
    row_cap: int = 10_000
    query_workers: int = 2
    # read the graph into the service's caches and the query workers at start-up and after
    # each write, in the background, rather than at the first request (seconds at scale)
    warm_up: bool = False
    # the largest POST /sparql body (query or update text) taken; bigger ones get 413
    max_query_bytes: int = 1_048_576
    # linked data: IRIs under linked_data_base dereference at linked_data_path on this server
    linked_data_base: str = MMID
    linked_data_path: str = "/id/"
    # an external SPARQL 1.1 server in place of the embedded store
    endpoint: str | None = None
    update_endpoint: str | None = None
    endpoint_user: str | None = None
    endpoint_password: str | None = None
