"""The SPARQL editor page (/sparql-editor): YASGUI on our own /sparql, with the named queries as examples.

YASGUI (npm ``@zazuko/yasgui``) is vendored at build time by ``make assets`` into
static/vendor/yasgui/ (generated, not committed). Without those files the page still renders,
says how to build them, and keeps a plain form that posts the query to /sparql.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from ..queries import named_queries
from .i18n import Translator
from .render import STATIC, page_language, render

router = APIRouter(tags=["pages"])
VENDOR = STATIC / "vendor" / "yasgui"
ASSETS = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}
DEFAULT_QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX mm: <https://w3id.org/mikromerit/ns#>
SELECT ?role ?label WHERE {
  ?role a mm:Role ; skos:prefLabel ?label .
  FILTER(lang(?label) = "sv")
}
ORDER BY ?label
LIMIT 50
"""

# The page's own words, in the pattern of i18n.TEXTS (the shared words come from there).
TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "SPARQL-redigerare",
        "lead": "Skriv en SPARQL-fråga och kör den mot tjänstens egen SPARQL-ändpunkt. Exemplen nedan är de "
                "namngivna frågor som tjänsten själv använder.",
        "examples": "Exempelfrågor",
        "examples_hint": "Klicka på ett exempel för att öppna det i redigeraren.",
        "params": "Parametrar (obundna här):",
        "unknown_example": "Det finns ingen exempelfråga som heter ”{name}”.",
        "not_built": "Redigerarens filer är inte byggda: kör make assets. Tills dess går frågan att skicka "
                     "med formuläret nedan.",
        "query": "Fråga",
        "run": "Kör mot /sparql",
        "endpoint": "Ändpunkt:",
    },
    "en": {
        "title": "SPARQL editor",
        "lead": "Write a SPARQL query and run it against the service's own SPARQL endpoint. The examples below "
                "are the named queries the service itself uses.",
        "examples": "Example queries",
        "examples_hint": "Click an example to open it in the editor.",
        "params": "Parameters (unbound here):",
        "unknown_example": "There is no example query called “{name}”.",
        "not_built": "The editor's assets are not built: run make assets. Until then the query can be sent with "
                     "the form below.",
        "query": "Query",
        "run": "Run against /sparql",
        "endpoint": "Endpoint:",
    },
}


class EditorWords(Translator):
    """The editor page's words: ``e("key")``."""

    def __call__(self, key: str, **params: object) -> str:
        text = TEXTS[self.lang][key]
        return text.format(**params) if params else text


def assets_built() -> bool:
    """True when `make assets` has copied YASGUI's script and stylesheet into static/vendor/yasgui/."""
    return all((VENDOR / name).is_file() for name in ASSETS)


@router.get("/sparql-editor", summary="SPARQL editor (YASGUI) on /sparql, with the named queries as examples",
            response_class=HTMLResponse,
            responses={404: {"description": "no example query with that name, explained on the page",
                             "content": {"text/html": {}}}})
def sparql_editor(
    request: Request,
    example: Annotated[str | None, Query(description="a named query from queries/ to open in the editor, "
                                                     "e.g. catalogue-roles")] = None,
    lang: Annotated[str | None, Query(description="page language, sv or en (overrides Accept-Language; "
                                                  "default Swedish)")] = None,
) -> Response:
    """For data users: a query editor with result tables, preloaded with one of the service's own queries."""
    language = page_language(request, lang)
    e = EditorWords(language)
    queries = named_queries()
    chosen = queries.get(example) if example else None
    error = e("unknown_example", name=example) if example and chosen is None else None
    return render(request, "sparql_editor.html", language, status=404 if error else 200, title=e("title"), e=e,
                  examples=list(queries.values()), chosen=chosen, error=error,
                  query_text=chosen.text if chosen else DEFAULT_QUERY, built=assets_built())


@router.get("/static/vendor/yasgui/{name}", include_in_schema=False)
def vendored(name: Annotated[str, Path()]) -> FileResponse:
    """YASGUI's script and stylesheet, as vendored by `make assets`."""
    path = VENDOR / name
    if name not in ASSETS or not path.is_file():
        raise HTTPException(status_code=404, detail="no such file (run make assets)")
    return FileResponse(path, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=3600"})
