"""SPARQL 1.1 Graph Store HTTP Protocol at /graph-store (?default or ?graph=IRI).

Reads are open; PUT, POST and DELETE need the same bearer token as SPARQL Update. `?default`
is the store's own default graph (SPARQL queries see the union of every graph instead).
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from ..schemas import ErrorBody
from ..sparql_protocol import DEFAULT_GRAPH, GRAPH_TYPES, ProtocolError, negotiate, parse_accept
from ..store import Store
from .access import check_write_access, protocol_error, write_lock
from .deps import store_of
from .sparql import changed

router = APIRouter(tags=["sparql"])
GraphParam = Annotated[str | None, Query(description="IRI of the named graph")]
DefaultParam = Annotated[str | None, Query(description="present (empty) to address the default graph")]
_READ_ERROR_TEXT = {400: "neither or both of default and graph, or a graph that is not an absolute IRI",
                    404: "no such graph", 406: "Accept names no RDF format offered here",
                    501: "the server runs over an external SPARQL endpoint"}
_WRITE_ERROR_TEXT = {400: "the body does not parse, or neither or both of default and graph", 401: "no bearer token",
                     403: "a wrong token or writes disabled", 404: "no such graph (DELETE)",
                     415: "an unsupported content type", 501: "the server runs over an external SPARQL endpoint"}
_READ_ERRORS = {code: {"model": ErrorBody, "description": text} for code, text in _READ_ERROR_TEXT.items()}
_HEAD_ERRORS = {code: {"description": text} for code, text in _READ_ERROR_TEXT.items()}
_WRITE_ERRORS = {code: {"model": ErrorBody, "description": text} for code, text in _WRITE_ERROR_TEXT.items()}
# JSON-LD goes out as an array of node objects; coming in, any JSON is taken (expansion drops top-level scalars)
_READ_SCHEMA = {ox.RdfFormat.JSON_LD: {"type": "array", "items": {"type": "object"}}}
_BODY_SCHEMA = {ox.RdfFormat.JSON_LD: {}}
_READ = {"description": "the graph, in the format the Accept header asks for",
         "content": {media: {"schema": _READ_SCHEMA.get(fmt, {"type": "string"})}
                     for media, fmt in GRAPH_TYPES.items()}}
_BODY = {"requestBody": {"required": True, "description": "the graph as RDF, or RDF files as multipart/form-data",
                         "content": {**{media: {"schema": _BODY_SCHEMA.get(fmt, {"type": "string"})}
                                        for media, fmt in GRAPH_TYPES.items()},
                                     "multipart/form-data": {"schema": {"type": "object", "properties": {
                                         "file": {"type": "array", "items": {"type": "string",
                                                                             "format": "binary"}}}}}}}}


def _target(request: Request) -> str | None:
    """The addressed graph IRI, or None for the default graph.

    :raises ProtocolError: 400 unless exactly one valid graph is addressed, 501 over an external endpoint.
    """
    if not isinstance(store_of(request), Store):
        raise ProtocolError(501, "the graph store runs on the embedded store only: "
                                 "use the external server's own Graph Store endpoint")
    params = request.query_params
    graphs, default = params.getlist("graph"), "default" in params
    if default == bool(graphs) or len(graphs) > 1:
        raise ProtocolError(400, "address exactly one graph: '?default' or '?graph=IRI'")
    if graphs:
        try:
            ox.NamedNode(graphs[0])
        except ValueError as err:
            raise ProtocolError(400, f"'graph' must be an absolute IRI, not {graphs[0]!r}: {err}") from err
    return graphs[0] if graphs else None


def _read(request: Request, accept: str | None, head: bool) -> Response:
    """Serialise the addressed graph."""
    graph = _target(request)
    store = store_of(request)
    if graph is not None and not store.has_graph(graph):
        raise ProtocolError(404, f"there is no graph <{graph}>")
    media = negotiate(parse_accept(accept), GRAPH_TYPES, DEFAULT_GRAPH)
    if media is None:
        raise ProtocolError(406, "graphs come as " + ", ".join(GRAPH_TYPES))
    fmt = GRAPH_TYPES[media]
    body = ox.serialize(store.graph_triples(graph), format=fmt) or b""
    return Response(b"" if head else body, media_type=fmt.media_type,
                    headers={"Vary": "Accept", **({"Content-Length": str(len(body))} if head else {})})


def _parse(body: bytes, content_type: str | None, graph: str | None) -> list[ox.Triple]:
    """Parse a request body by its Content-Type into triples."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return [triple for part_type, part in _parts(body, content_type or "") for triple in _parse(part, part_type, graph)]
    if media not in GRAPH_TYPES:
        raise ProtocolError(415, f"send the graph as one of {', '.join(GRAPH_TYPES)}, not {media or 'nothing'}")
    try:
        quads = ox.parse(body, format=GRAPH_TYPES[media], base_iri=graph)
        return [quad.triple for quad in quads]
    except SyntaxError as err:
        raise ProtocolError(400, f"the body does not parse as {media}: {err}") from err


def _parts(body: bytes, content_type: str) -> list[tuple[str, bytes]]:
    """The Content-Type and bytes of each part of a multipart/form-data body (one RDF document each)."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        raise ProtocolError(400, "the multipart/form-data body has no parts (is the boundary right?)")
    return [(part.get_content_type(), part.get_payload(decode=True) or b"") for part in message.iter_parts()]


def _write(request: Request, method: str, body: bytes, content_type: str | None, authorization: str | None) -> Response:
    """PUT (replace), POST (merge) or DELETE the addressed graph."""
    check_write_access(request, authorization)
    graph = _target(request)
    store = store_of(request)
    triples = _parse(body, content_type, graph) if method != "DELETE" else []
    with write_lock(request):
        existed = graph is None or store.has_graph(graph)
        if method == "DELETE":
            if not store.drop_graph(graph):
                raise ProtocolError(404, f"there is no graph <{graph}>")
        elif method == "PUT" and graph is None:
            store.put_default_graph(triples)
        elif method == "PUT":
            store.replace_graph(graph, [ox.Quad(t.subject, t.predicate, t.object) for t in triples],
                                source="graph-store")
        else:
            store.add_triples(graph, triples)
        changed(request)
    return Response(status_code=204 if existed or method == "DELETE" else 201)


@router.get("/graph-store", response_class=Response, responses={200: _READ, **_READ_ERRORS},
            summary="Graph Store Protocol: get a graph")
def get_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None,
              accept: Annotated[str | None, Header()] = None) -> Response:
    """The triples of the default graph or a named graph."""
    try:
        return _read(request, accept, head=False)
    except ProtocolError as err:
        return protocol_error(err, "graph")


@router.head("/graph-store", response_class=Response,
             responses={200: {"description": "the graph exists"}, **_HEAD_ERRORS},
             summary="Graph Store Protocol: does a graph exist")
def head_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None,
               accept: Annotated[str | None, Header()] = None) -> Response:
    """Like GET, without the body."""
    try:
        return _read(request, accept, head=True)
    except ProtocolError as err:
        return Response(status_code=err.status)


async def _write_route(request: Request, method: str, content_type: str | None, authorization: str | None) -> Response:
    """Read the body on the event loop, write off it."""
    body = await request.body()
    try:
        return await run_in_threadpool(_write, request, method, body, content_type, authorization)
    except ProtocolError as err:
        return protocol_error(err, "graph")


@router.put("/graph-store", response_class=Response, status_code=204, openapi_extra=_BODY,
            responses={201: {"description": "a new graph was made"}, **_WRITE_ERRORS},
            summary="Graph Store Protocol: replace a graph")
async def put_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None,
                    content_type: Annotated[str | None, Header()] = None,
                    authorization: Annotated[str | None, Header()] = None) -> Response:
    """Make the graph hold exactly the body's triples (201 when it is new)."""
    return await _write_route(request, "PUT", content_type, authorization)


@router.post("/graph-store", response_class=Response, status_code=204, openapi_extra=_BODY,
             responses={201: {"description": "a new graph was made"}, **_WRITE_ERRORS},
             summary="Graph Store Protocol: add to a graph")
async def post_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None,
                     content_type: Annotated[str | None, Header()] = None,
                     authorization: Annotated[str | None, Header()] = None) -> Response:
    """Merge the body's triples into the graph (201 when it is new)."""
    return await _write_route(request, "POST", content_type, authorization)


@router.delete("/graph-store", response_class=Response, status_code=204, responses=_WRITE_ERRORS,
               summary="Graph Store Protocol: delete a graph")
async def delete_graph(request: Request, graph: GraphParam = None, default: DefaultParam = None,
                       authorization: Annotated[str | None, Header()] = None) -> Response:
    """Remove a named graph, or empty the default graph."""
    return await _write_route(request, "DELETE", None, authorization)
