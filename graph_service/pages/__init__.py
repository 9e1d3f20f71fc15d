"""Server-rendered HTML pages for counsellors and curriculum designers (Swedish by default, English on request)."""

from .routes import router

__all__ = ["router"]
