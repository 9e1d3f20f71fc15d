"""Server settings: what to load, where to store it, where to listen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
