"""The SPARQL 1.1 Protocol endpoint at /sparql: query by GET or POST, update with a token.

Queries run in killable worker processes (query_pool.py) with a time limit and a row cap;
updates run in this process behind the bearer token, then the workers and the service's
caches are refreshed. Handlers never run a query on the event loop.
"""

from __future__ import annotations

import threading
from typing import Annotated
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from ..affinity import use_every_cpu
from ..catalogue import Selectable
from ..query_pool import QueryPool, QueryTimeout
from ..query_worker import Job, render
from ..remote import EndpointError
from ..service import Service
from ..store import Store
from ..sparql_protocol import (DEFAULT_GRAPH, FORM_MEDIA, GRAPH_TYPES, QUERY_MEDIA, RESULT_TYPES, UPDATE_MEDIA,
                               ProtocolError, Rendered, negotiate, parse_accept, refuse_unsafe, service_description)
from .access import check_write_access, protocol_error, write_lock
from .deps import service_of, settings_of, store_of

router = APIRouter(tags=["sparql"])
_OK = {"description": "query results, in the format the Accept header asks for",
       "content": {media: {} for media in [*RESULT_TYPES, *GRAPH_TYPES]}}
_ERRORS = {code: {"description": text, "content": {"application/json": {}}} for code, text in {
    400: "the query or update does not parse, or the request is malformed",
    401: "an update without a bearer token", 403: "a wrong token, updates disabled, or SERVICE/LOAD",
    406: "no accepted format fits the query form", 413: "the body is larger than the server takes",
    415: "an unsupported request content type",
    501: "updates over an external endpoint", 502: "the external endpoint failed",
    503: "the query ran past the time limit and was stopped"}.items()}


_BODIES = {"requestBody": {"required": True, "content": {
    QUERY_MEDIA: {"schema": {"type": "string", "examples": ["SELECT * WHERE { ?s ?p ?o } LIMIT 5"]}},
    UPDATE_MEDIA: {"schema": {"type": "string", "examples": [
        "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }"]}},
    FORM_MEDIA: {"schema": {"type": "object", "properties": {
        "query": {"type": "string"}, "update": {"type": "string"},
        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
        "named-graph-uri": {"type": "array", "items": {"type": "string"}}}}},
}}}
"""POST /sparql reads its body itself (three protocol forms), so the schema states them here."""


def pool(request: Request) -> QueryPool:
    """The app's query workers, started on first use."""
    return app_pool(request.app)


def app_pool(app: FastAPI) -> QueryPool:
    """The app's query workers (created once; each loads the graph when first needed or warmed)."""
    state = app.state
    with state.write_lock:
        if getattr(state, "query_pool", None) is None:
            settings = state.settings
            state.query_pool = QueryPool(state.store, settings.query_workers, settings.query_timeout,
                                         settings.row_cap)
        return state.query_pool


def _respond(rendered: Rendered, cap: int) -> Response:
    """Results as a response, saying so in headers when the row cap cut them short."""
    headers = {"Vary": "Accept"}
    if rendered.truncated:
        headers.update({"X-Row-Cap": str(cap), "X-Results-Truncated": "true",
                        "Warning": f'199 graph-service "results cut at the row cap of {cap}; add LIMIT/OFFSET"'})
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)


def _one(values: list[str], name: str) -> str | None:
    """The single value of a protocol parameter; two of them are a client error."""
    if len(values) > 1:
        raise ProtocolError(400, f"give '{name}' once, not {len(values)} times")
    return values[0] if values else None


async def _capped_body(request: Request) -> bytes:
    """The request body, read no further than the configured limit.

    :raises ProtocolError: 413 when the declared or actual size passes it.
    """
    limit = settings_of(request).max_query_bytes
    refusal = ProtocolError(413, f"the body is larger than the {limit} bytes this endpoint takes for a query "
                                 "or update: split it, use VALUES in several requests, or load data through "
                                 "/graph-store or graph-service load")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise refusal
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise refusal
    return bytes(body)


def _with_base(request: Request, text: str) -> str:
    """The query or update with the endpoint URL as its base IRI, so relative IRIs resolve.

    The URL comes from the Host header, so it must parse as an IRI before it goes into the
    text; BASE stays on the first line so parse errors keep their line numbers.
    """
    try:
        base = ox.NamedNode(str(request.url.replace(query="", fragment="")))
    except ValueError:
        return text
    return f"BASE {base} {text}"


def _run_query(request: Request, text: str, accept: str | None, defaults: list[str], named: list[str]) -> Response:
    """Run a query in a worker, mapping protocol failures to their status."""
    refuse_unsafe(text, update=False)
    store = store_of(request)
    cap = settings_of(request).row_cap
    job = Job(_with_base(request, text), tuple(parse_accept(accept)), tuple(defaults), tuple(named), cap)
    if not isinstance(store, Store):
        return _respond(_remote(store, job), cap)
    try:
        return _respond(pool(request).run(job), cap)
    except QueryTimeout as err:
        raise ProtocolError(503, str(err)) from err


def _remote(store: Selectable, job: Job) -> Rendered:
    """Run a query on an external SPARQL server (its own time limit applies) and render it here.

    :raises ProtocolError: 400 for a query the server rejects, 502 when it cannot be reached.
    """
    if job.default_graphs or job.named_graphs:
        raise ProtocolError(400, "default-graph-uri / named-graph-uri are not passed on to an external "
                                 "endpoint: use FROM / FROM NAMED in the query")
    try:
        return render(store.query(job.query), job)
    except SyntaxError as err:
        raise ProtocolError(400, f"the query does not parse: {err}") from err
    except EndpointError as err:
        raise ProtocolError(502, str(err)) from err


def _run_update(request: Request, text: str, authorization: str | None, using: list[str]) -> Response:
    """Run an update in this process after checking the token, then refresh workers and caches."""
    check_write_access(request, authorization)
    if using:
        raise ProtocolError(400, "using-graph-uri / using-named-graph-uri are not supported: "
                                 "write USING / USING NAMED (or GRAPH) in the update itself")
    refuse_unsafe(text, update=True)
    if not isinstance(store_of(request), Store):
        raise ProtocolError(501, "this server forwards no updates to its external endpoint: "
                                 "update the external server directly, or use graph-service load")
    with write_lock(request):
        try:
            store_of(request).update(_with_base(request, text))
        except SyntaxError as err:
            raise ProtocolError(400, f"the update does not parse: {err}") from err
        except (OSError, ValueError, RuntimeError) as err:
            raise ProtocolError(400, f"the update failed: {err}") from err
        changed(request)
    return Response(status_code=204)


def changed(request: Request) -> None:
    """The graph was written: query workers reload, the service re-reads its records."""
    pool = getattr(request.app.state, "query_pool", None)
    if pool is not None:
        pool.invalidate()
    service_of(request).refresh()
    if settings_of(request).warm_up:
        warm(request.app)


def warm(app: FastAPI) -> None:
    """Read the graph into the service's caches, then into the query workers, in the background."""
    pool = app_pool(app) if isinstance(app.state.store, Store) else None
    threading.Thread(target=_warm_service, args=(app.state.service, pool), daemon=True, name="service-warm").start()


def _warm_service(service: Service, pool: QueryPool | None = None) -> None:
    """The service's warm-up on every CPU (its reads run outside the GIL: `affinity.use_every_cpu`), then the pool's.

    The service first: a gap waits for its records, while a /sparql query that comes before
    the workers have loaded starts one itself. Loading side by side, the workers (each
    compacting its own copy of a store just bulk-loaded) took the cores from those reads.
    """
    use_every_cpu()
    try:
        service.warm()
    finally:
        if pool is not None:
            pool.warm()


def _description(request: Request, accept: str | None) -> Response:
    """The service description, as Turtle unless another RDF format is asked for."""
    media = negotiate(parse_accept(accept), GRAPH_TYPES, DEFAULT_GRAPH) or DEFAULT_GRAPH
    endpoint = str(request.url.replace(query=""))
    triples = service_description(endpoint, settings_of(request).sparql_token is not None,
                                  [g.value for g in store_of(request).named_graphs()
                                   if isinstance(g, ox.NamedNode)])
    fmt = GRAPH_TYPES[media]
    return Response(ox.serialize(triples, format=fmt), media_type=fmt.media_type)


@router.get("/sparql", response_class=Response, responses={200: _OK, **_ERRORS},
            summary="SPARQL 1.1 query by GET (no query: the service description)")
def sparql_get(
    request: Request,
    query: Annotated[str | None, Query(description="the SPARQL query")] = None,
    default_graph_uri: Annotated[list[str], Query(alias="default-graph-uri")] = [],
    named_graph_uri: Annotated[list[str], Query(alias="named-graph-uri")] = [],
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Answer a query; without one, describe the service (SPARQL 1.1 Service Description)."""
    try:
        if "update" in request.query_params:
            raise ProtocolError(400, "updates must be sent by POST")
        text = _one(request.query_params.getlist("query"), "query")
        if text is None:
            return _description(request, accept)
        return _run_query(request, text, accept, default_graph_uri, named_graph_uri)
    except ProtocolError as err:
        return protocol_error(err)


@router.post("/sparql", response_class=Response, responses={200: _OK, 204: {"description": "update done"}, **_ERRORS},
             openapi_extra=_BODIES,
             summary="SPARQL 1.1 query or update by POST (form, sparql-query or sparql-update body)")
async def sparql_post(
    request: Request,
    content_type: Annotated[str | None, Header()] = None,
    accept: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Read the body here, then run the query or update off the event loop."""
    media, *media_params = [part.strip().lower() for part in (content_type or "").split(";")]
    charset = next((p.partition("=")[2].strip('"') for p in media_params if p.startswith("charset=")), "utf-8")
    params = {k: v for k, v in parse_qs(request.url.query, keep_blank_values=True).items()}
    try:
        body = await _capped_body(request)
        if charset not in ("utf-8", "utf8", "us-ascii"):
            raise ProtocolError(415, f"send the body as UTF-8, not {charset}")
        if media == FORM_MEDIA:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            query, update = _one(form.get("query", []), "query"), _one(form.get("update", []), "update")
            if query is not None and update is not None:
                raise ProtocolError(400, "give either 'query' or 'update', not both")
            if query is None and update is None:
                raise ProtocolError(400, "the form has neither 'query' nor 'update'")
            params = {**params, **{k: v for k, v in form.items() if k.endswith("-uri")}}
            if query is not None:
                return await run_in_threadpool(_run_query, request, query, accept,
                                               params.get("default-graph-uri", []), params.get("named-graph-uri", []))
            using = params.get("using-graph-uri", []) + params.get("using-named-graph-uri", [])
            return await run_in_threadpool(_run_update, request, update, authorization, using)
        if media == QUERY_MEDIA:
            return await run_in_threadpool(_run_query, request, body.decode("utf-8"), accept,
                                           params.get("default-graph-uri", []), params.get("named-graph-uri", []))
        if media == UPDATE_MEDIA:
            using = params.get("using-graph-uri", []) + params.get("using-named-graph-uri", [])
            return await run_in_threadpool(_run_update, request, body.decode("utf-8"), authorization, using)
        raise ProtocolError(415, f"POST /sparql takes {FORM_MEDIA}, {QUERY_MEDIA} or {UPDATE_MEDIA}, "
                                 f"not {media or 'a body without Content-Type'}")
    except UnicodeDecodeError:
        return protocol_error(ProtocolError(400, "the request body is not UTF-8"))
    except ProtocolError as err:
        return protocol_error(err)
