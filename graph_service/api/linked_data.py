"""Linked-data routes: every IRI under the data base dereferences here, in the format Accept asks for.

``GET {linked_data_path}{local}`` describes ``{linked_data_base}{local}`` as Turtle, JSON-LD,
N-Triples, RDF/XML or HTML; ``GET /ns`` serves the mm: ontology (ontology/core.ttl).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .. import linked_data as ld
from ..schemas import ErrorBody
from ..settings import Settings
from .deps import LanguageParam, language, settings_of, store_of

NS_PATH = "/ns"
Format = Literal["ttl", "jsonld", "nt", "rdf", "html"]
FormatParam = Annotated[Format | None, Query(alias="format", description="the answer's format, overriding Accept: "
                                             "ttl (Turtle), jsonld (JSON-LD), nt (N-Triples), rdf (RDF/XML), html")]
VARY = "Accept, Accept-Language"

_STRING = {"schema": {"type": "string"}}
_RDF_CONTENT: dict[str, Any] = {
    "text/turtle": _STRING, "application/ld+json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "application/n-triples": _STRING, "application/rdf+xml": _STRING, "text/html": _STRING,
}
_NOT_ACCEPTABLE: dict[int | str, dict[str, Any]] = {
    406: {"model": ErrorBody, "description": "Accept names no format offered here; the message lists them"},
}
RESOURCE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the resource's concise bounded description, its incoming links and its neighbours' "
                         "labels (RDF), or a page showing them (HTML)", "content": _RDF_CONTENT},
    404: {"model": ErrorBody, "description": "the graph says nothing about this IRI (an HTML page when HTML was asked)",
          "content": {"text/html": _STRING}},
    **_NOT_ACCEPTABLE,
}
ONTOLOGY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the mm: ontology (ontology/core.ttl) in the format asked for; HTML has one section per "
                         "term, its id the term's local name", "content": _RDF_CONTENT},
    **_NOT_ACCEPTABLE,
}


def _not_acceptable(request: Request) -> JSONResponse:
    """406 naming what was asked for and every media type offered."""
    accept = request.headers.get("accept")
    offered = ", ".join(ld.ACCEPTED)
    body = ErrorBody(error="not_acceptable", field="accept", value=accept,
                     message=f"none of the media types in Accept ({accept}) is offered here; ask for one of "
                             f"{offered}, or add ?format=ttl|jsonld|nt|rdf|html")
    return JSONResponse(status_code=406, content=body.model_dump(mode="json"), headers={"Vary": VARY})


def _not_found(fmt: str, iri: str, lang: str, prefix: str) -> Response:
    """404 as JSON, or as a small page when HTML was asked for."""
    headers = {"Vary": VARY}
    if fmt == "html":
        return HTMLResponse(ld.render_not_found(iri, lang), status_code=404, headers=headers)
    body = ErrorBody(error="not_found", field="iri", value=iri,
                     message=f"the graph says nothing about <{iri}>; check the path after {prefix}, or "
                             "list resources with /api/credentials, /api/roles and /api/competences")
    return JSONResponse(status_code=404, content=body.model_dump(mode="json"), headers=headers)


def _answer(body: bytes | str, fmt: str, self_path: str) -> Response:
    """A 200 answer in `fmt` with Vary and a Link header to the alternates."""
    headers = {"Vary": VARY, "Link": ld.link_header(self_path)}
    return Response(body, media_type=ld.content_type(fmt), headers=headers)


def describe_resource(
    request: Request,
    local: Annotated[str, Path(description="the IRI's path under the data base, e.g. credential/vk-01 or ibic",
                               examples=["credential/vk-01", "role/drifttekniker"])],
    fmt: FormatParam = None,
    lang: LanguageParam = None,
) -> Response:
    """Describe the IRI `{linked_data_base}{local}` in the format Accept (or ?format) asks for."""
    chosen = fmt or ld.negotiate_format(request.headers.get("accept"))
    if chosen is None:
        return _not_acceptable(request)
    store, settings, lang = store_of(request), settings_of(request), language(request, lang)
    iri = settings.linked_data_base + local
    languages = (settings.default_language, settings.fallback_language)
    description = ld.describe(store, iri, languages)
    if description is None:
        return _not_found(chosen, iri, lang, settings.linked_data_path)
    self_path = ld.page_path(settings.linked_data_path, local)
    if chosen == "html":
        linker = ld.Linker(settings.linked_data_base, settings.linked_data_path, NS_PATH)
        return _answer(ld.render_html(description, lang, linker, self_path), chosen, self_path)
    return _answer(ld.serialize(description.triples, chosen), chosen, self_path)


def ontology(request: Request, fmt: FormatParam = None, lang: LanguageParam = None) -> Response:
    """The mm: ontology: ontology/core.ttl as it is for Turtle, converted for the other formats, or a page."""
    chosen = fmt or ld.negotiate_format(request.headers.get("accept"))
    if chosen is None:
        return _not_acceptable(request)
    settings, lang = settings_of(request), language(request, lang)
    data, triples = ld.ontology_triples()
    if chosen == "html":
        linker = ld.Linker(settings.linked_data_base, settings.linked_data_path, NS_PATH)
        return _answer(ld.render_ontology_html(lang, linker, NS_PATH), chosen, NS_PATH)
    return _answer(data if chosen == "ttl" else ld.serialize(list(triples), chosen), chosen, NS_PATH)


def router_for(settings: Settings | None = None) -> APIRouter:
    """A router serving the linked-data IRIs at `settings.linked_data_path` (default /id/) and the ontology at /ns."""
    prefix = (settings or Settings()).linked_data_path
    if not prefix.startswith("/") or not prefix.endswith("/"):
        raise ValueError(f"linked_data_path must start and end with '/', e.g. '/id/'; got {prefix!r}")
    routes = APIRouter(tags=["linked data"])
    for method in ("GET", "HEAD"):  # one route per method: each needs its own OpenAPI operationId
        routes.add_api_route(prefix + "{local:path}", describe_resource, methods=[method], response_class=Response,
                             responses=RESOURCE_RESPONSES, summary="Dereference a data IRI (content negotiation)",
                             name=f"linked_data_resource_{method.lower()}")
    routes.add_api_route(NS_PATH, ontology, methods=["GET"], response_class=Response, responses=ONTOLOGY_RESPONSES,
                         summary="The mm: ontology (content negotiation)", name="linked_data_ontology")
    return routes


router = router_for()
