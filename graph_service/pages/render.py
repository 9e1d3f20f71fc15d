"""Rendering the pages: the Jinja2 environment (autoescaped), the page language, and links to resources."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from ..api.deps import language, settings_of
from ..linked_data import Linker
from ..namespaces import PREFIXES
from ..settings import Settings
from .i18n import LANGUAGES, Translator

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
CREDENTIAL_PAGE = "/credential/"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates, autoescaped (.html and .svg alike), with undefined names raising."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def page_language(request: Request, lang: str | None) -> str:
    """sv or en: from ?lang when valid (a page ignores any other), else Accept-Language, else the server's default."""
    return language(request, lang if lang in LANGUAGES else None)


def compact(iri: str) -> str:
    """The shortest prefixed name `namespaces.expand` turns back into the IRI, else the IRI itself."""
    best = iri
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
            candidate = f"{name}:{iri[len(ns):]}"
            best = candidate if len(candidate) < len(best) else best
    return best


def last_segment(iri: str) -> str:
    """The IRI's last path segment, e.g. ``3`` for an EQF level, ``d5`` for an IBIC life area."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


class Links:
    """Where the pages link to: linked-data pages (/id/…), credential pages and the pages themselves."""

    def __init__(self, settings: Settings, lang: str):
        self.lang = lang
        self.linker = Linker(settings.linked_data_base, settings.linked_data_path)
        self.credential_base = settings.linked_data_base + "credential/"

    def data(self, iri: str) -> str | None:
        """The linked-data page of an IRI on this server (in the page language), or None if it has none here."""
        href = self.linker.href(iri)
        if href is None or not href.startswith("/"):
            return None
        return f"{href}?{urlencode({'lang': self.lang})}" if "#" not in href else href

    def credential(self, iri: str) -> str | None:
        """The credential page of a credential IRI, or its linked-data page when it has no code here."""
        if iri.startswith(self.credential_base) and "/" not in iri[len(self.credential_base):]:
            return self.page(CREDENTIAL_PAGE + quote(iri[len(self.credential_base):]))
        return self.data(iri)

    def page(self, path: str, **params: str | Iterable[str] | None) -> str:
        """A path on this site with the page language and the given (possibly repeated) query parameters."""
        pairs: list[tuple[str, str]] = []
        for key, value in params.items():
            if value is None:
                continue
            pairs += [(key, value)] if isinstance(value, str) else [(key, v) for v in value]
        pairs.append(("lang", self.lang))
        return f"{path}?{urlencode(pairs)}"


def render(request: Request, template: str, lang: str, *, status: int = 200, title: str,
           **context: Any) -> HTMLResponse:
    """Render a page template with the shared context (words, links, language switch) into a response."""
    t = Translator(lang)
    settings = settings_of(request)
    other = request.url.include_query_params(lang=t.other)
    switch = f"{other.path}?{other.query}"
    html = environment().get_template(template).render(
        t=t, lang=lang, links=Links(settings, lang), title=title, switch_href=switch, compact=compact,
        level=last_segment, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers={"Vary": "Accept-Language", "Content-Language": lang})
