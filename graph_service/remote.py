"""A remote SPARQL 1.1 server in place of the embedded store, through SPARQLWrapper.

`RemoteStore` has the small read interface of `store.Store` (select, query, sources, len)
plus load_file and update, so the named queries, the planner and the API run unchanged
against Virtuoso, Oxigraph server, Fuseki or any other SPARQL 1.1 endpoint.

- Every query names its dataset (``default-graph-uri`` and ``named-graph-uri`` per data
  graph), because servers differ in what their default graph is: Virtuoso's is the union of
  all graphs (system graphs too), Oxigraph server's only its own default graph.
- Data graphs are the ones under ``GRAPH_BASE`` (the bundled files' graphs) and the ones the
  bookkeeping graph records as loaded by `load_file` (e.g. ``file:`` IRIs of user files).
- Parameters reach SPARQL only as parsed RDF terms in a ``VALUES`` block, never as text.
- Loading parses the whole file first, writes it into scratch graphs with SPARQL Update in
  chunks (a blank node's triples always share one chunk), then swaps them in with one
  ``MOVE`` update, so a failed load leaves the old graph in place.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
import warnings
from datetime import datetime, timezone
from http.client import HTTPResponse
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import pyoxigraph as ox
from SPARQLWrapper import CONSTRUCT, DESCRIBE, INSERT, JSON, POST, TURTLE, SPARQLWrapper

from .namespaces import DCTERMS, GRAPH_BASE, MM, XSD
from .sparql_protocol import csv_row
from .sparql_text import chunks, inject_bindings, insert_text, query_form, term_from_json, term_to_json
from .store import META_GRAPH, Source, Term, is_bookkeeping, parse_file

_STAGING_PREFIX = GRAPH_BASE + "staging/"
_EMPTY_DATASET = ox.NamedNode(GRAPH_BASE + "none")
_SOURCE = ox.NamedNode(MM + "sourceFile")
_HOLDS_GRAPH = ox.NamedNode(MM + "holdsGraph")
_MODIFIED = ox.NamedNode(DCTERMS + "modified")


class EndpointError(Exception):
    """The SPARQL server could not be reached or refused a request; says which URL and what to do."""


class _Wrapper(SPARQLWrapper):
    """SPARQLWrapper sending through the store's own opener, so credentials never go process-wide.

    (SPARQLWrapper's digest support installs a global urllib opener; this keeps Basic and
    Digest credentials per store, answered only when the server asks for them.)
    """

    def __init__(self, endpoint: str, update_endpoint: str, opener: urllib.request.OpenerDirector, timeout: float):
        super().__init__(endpoint, updateEndpoint=update_endpoint, returnFormat=JSON, agent="graph-service")
        self.setMethod(POST)
        self.setOnlyConneg(True)
        self._opener, self._timeout = opener, timeout

    def _query(self) -> tuple[HTTPResponse, str]:
        url = self.updateEndpoint if self.isSparqlUpdateRequest() else self.endpoint
        try:
            return self._opener.open(self._createRequest(), timeout=self._timeout), self.returnFormat
        except urllib.error.HTTPError as err:
            body = err.read().decode("utf-8", "replace").strip()
            raise EndpointError(_http_message(url, err.code, body)) from err
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise EndpointError(f"cannot reach the SPARQL endpoint {url} ({reason}); check that the server "
                                "is running and the URL is right") from err


def _http_message(url: str, status: int, body: str) -> str:
    """A readable message for an HTTP error answer of the server."""
    excerpt = " ".join(body.split("SPARQL query:")[0].split())[:400]  # Virtuoso echoes the whole query
    if status in (401, 403):
        return (f"the SPARQL endpoint {url} refused the request (HTTP {status}): it needs credentials with "
                f"the right permissions; pass --endpoint-user and --endpoint-password. Server said: {excerpt}")
    if status == 404:
        return f"no SPARQL endpoint at {url} (HTTP 404); check the URL (e.g. /sparql, /query or /update)"
    if "permission" in excerpt.lower():  # e.g. Virtuoso's anonymous /sparql: SR186 No permission
        return (f"the SPARQL endpoint {url} does not let this user write (HTTP {status}); give --update-endpoint "
                "a URL that accepts updates, with --endpoint-user/--endpoint-password if it needs them "
                f"(Virtuoso: /sparql-auth as a user with SPARQL_UPDATE, e.g. dba). Server said: {excerpt}")
    return f"the SPARQL endpoint {url} answered HTTP {status}: {excerpt}"


class RemoteStore:
    """A SPARQL 1.1 server (query and update endpoints) behind the embedded store's interface."""

    def __init__(self, endpoint: str, update_endpoint: str | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = 60.0):
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.timeout = timeout
        handlers: list[urllib.request.BaseHandler] = []
        if user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.endpoint, self.update_endpoint}:
                passwords.add_password(None, url, user, password or "")
            handlers = [urllib.request.HTTPBasicAuthHandler(passwords),
                        urllib.request.HTTPDigestAuthHandler(passwords)]
        self._opener = urllib.request.build_opener(*handlers)
        self._graphs: list[ox.NamedNode] | None = None

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoint!r}, update_endpoint={self.update_endpoint!r})"

    def _wrapper(self, sparql: str, form: str) -> _Wrapper:
        """A SPARQLWrapper request for one query or update text of a known form.

        (SPARQLWrapper's own guess of the form is fooled by keywords in comment headers.)
        """
        wrapper = _Wrapper(self.endpoint, self.update_endpoint, self._opener, self.timeout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            wrapper.setQuery(sparql)
        wrapper.queryType = form
        return wrapper

    def _raw(self, sparql: str, dataset: bool = True) -> tuple[bytes, str, str]:
        """Send a query; return the body, its media type and the query form (SELECT, CONSTRUCT, ...)."""
        form = query_form(sparql)
        wrapper = self._wrapper(sparql, form)
        if form in (CONSTRUCT, DESCRIBE):
            wrapper.setReturnFormat(TURTLE)
        if dataset:
            for graph in self.named_graphs() or [_EMPTY_DATASET]:
                wrapper.addDefaultGraph(graph.value)
                wrapper.addNamedGraph(graph.value)
        result = wrapper.query()
        media = result.info().get("content-type", "").split(";")[0].strip().lower()
        return result.response.read(), media, form

    def _json(self, sparql: str, dataset: bool = True) -> dict:
        """Run a SELECT or ASK and return the parsed SPARQL JSON results."""
        return self._parse_json(*self._raw(sparql, dataset)[:2])

    def _parse_json(self, body: bytes, media: str) -> dict:
        """SPARQL JSON results from a response body, or an error saying what came instead."""
        try:
            results = json.loads(body)
            if isinstance(results, dict) and ("boolean" in results or "results" in results):
                return results
        except ValueError:
            pass
        raise EndpointError(f"the SPARQL endpoint {self.endpoint} answered {media or 'no media type'}, "
                            f"not SPARQL JSON results: {body[:200]!r}")

    def _rows(self, results: dict) -> tuple[list[str], list[dict[str, Term]]]:
        """The variables and rows of SPARQL JSON results."""
        variables = list(results.get("head", {}).get("vars", []))
        try:
            rows = [{name: term_from_json(cell) for name, cell in binding.items()}
                    for binding in results.get("results", {}).get("bindings", [])]
        except ValueError as err:
            raise EndpointError(f"the SPARQL endpoint {self.endpoint} sent a value the service cannot read: {err}"
                                ) from err
        return variables, rows

    def check(self) -> None:
        """Make sure the endpoint answers a trivial query.

        :raises EndpointError: if it cannot be reached or does not speak SPARQL.
        """
        self._json("ASK { }", dataset=False)

    def select(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        """Run a SELECT query over the data graphs; rows as dicts of bound variables.

        :raises SyntaxError: if the text is not a SPARQL query.
        :raises EndpointError: if the server cannot be reached or rejects the query.
        """
        return self._rows(self._json(inject_bindings(sparql, bindings or {})))[1]

    def value_rows(self, sparql: str) -> Iterator[dict[str, str]]:
        """The rows of a catalogue-wide SELECT as the values' text, as `Store.value_rows` gives them."""
        return (csv_row(row) for row in self.select(sparql))

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None
              ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Run any query: SELECT and ASK as pyoxigraph results, CONSTRUCT and DESCRIBE as a list of triples.

        :raises SyntaxError: if the text is not a SPARQL query.
        :raises EndpointError: if the server cannot be reached or rejects the query.
        """
        body, media, form = self._raw(inject_bindings(sparql, bindings or {}))
        if form in (CONSTRUCT, DESCRIBE):
            fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.TURTLE
            return [quad.triple for quad in ox.parse(input=body, format=fmt)]
        results = self._parse_json(body, media)
        if "boolean" in results:
            standard: dict = {"head": {}, "boolean": bool(results["boolean"])}
        else:
            variables, rows = self._rows(results)
            standard = {"head": {"vars": variables}, "results": {
                "bindings": [{n: term_to_json(t) for n, t in row.items()} for row in rows]}}
        return ox.parse_query_results(json.dumps(standard).encode(), format=ox.QueryResultsFormat.JSON)

    def update(self, sparql: str) -> None:
        """Run a SPARQL update at the update endpoint.

        :raises EndpointError: if the server cannot be reached, refuses the credentials or the update.
        """
        self._wrapper(sparql, INSERT).query().response.read()
        self._graphs = None

    def refresh(self) -> None:
        """Forget the cached list of data graphs (after someone else changed the server)."""
        self._graphs = None

    def _meta(self) -> dict[str, tuple[str, list[str]]]:
        """Sources the bookkeeping graph records: graph -> (file path, graphs it brought in)."""
        results = self._json(f"SELECT ?source ?path ?held WHERE {{ GRAPH {META_GRAPH} {{ ?source {_SOURCE} ?path "
                             f"OPTIONAL {{ ?source {_HOLDS_GRAPH} ?held }} }} }}", dataset=False)
        found: dict[str, tuple[str, list[str]]] = {}
        for row in self._rows(results)[1]:
            path, held = found.setdefault(row["source"].value, (row["path"].value, []))
            if "held" in row:
                held.append(row["held"].value)
        return found

    def _counts(self, extra: Iterable[str]) -> dict[str, int]:
        """Quads per data graph: graphs under GRAPH_BASE (bookkeeping left out) and `extra`."""
        wanted = [str(ox.NamedNode(g)) for g in sorted(set(extra))]
        test = f"STRSTARTS(STR(?g), {ox.Literal(GRAPH_BASE)})"
        if wanted:
            test += f" || ?g IN ({', '.join(wanted)})"
        results = self._json(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({test}) }} "
                             "GROUP BY ?g", dataset=False)
        return {row["g"].value: int(row["n"].value) for row in self._rows(results)[1]
                if isinstance(row["g"], ox.NamedNode) and not is_bookkeeping(row["g"].value)}

    def named_graphs(self) -> list[ox.NamedNode]:
        """Every data graph on the server (cached until this store writes or `refresh()`)."""
        if self._graphs is None:
            held = [g for _, graphs in self._meta().values() for g in graphs]
            self._graphs = [ox.NamedNode(g) for g in sorted(self._counts(held))]
        return self._graphs

    def sources(self) -> list[Source]:
        """The loaded sources, sorted by graph IRI; graphs nobody recorded count as sources without a path."""
        meta = self._meta()
        counts = self._counts(g for _, graphs in meta.values() for g in graphs)
        found, claimed = [], set()
        for graph, (path, held) in meta.items():
            held = held or [graph]
            claimed.update(held)
            found.append(Source(graph, path, sum(counts.get(g, 0) for g in held)))
        found += [Source(g, "", n) for g, n in counts.items() if g not in claimed]
        return sorted(found, key=lambda s: s.graph)

    def __len__(self) -> int:
        return sum(source.quads for source in self.sources())

    def load_file(self, path: str | Path, graph: str | None = None) -> str:
        """Load (or replace) one file into its own named graph on the server and return the graph IRI.

        Like `Store.load_file`: default-graph triples go to `graph` (default: the file's URI),
        named graphs of a TriG/N-Quads file keep their names and are replaced with it.

        :raises LoadError: if the file cannot be read or parsed (nothing is sent then).
        :raises EndpointError: if the server cannot be reached or refuses the update; the
            graphs it held before stay as they were.
        """
        quads = parse_file(path)
        target = ox.NamedNode(graph or Path(path).resolve().as_uri())
        by_graph: dict[ox.NamedNode, list[ox.Triple]] = {target: []}
        for quad in quads:
            name = quad.graph_name if isinstance(quad.graph_name, ox.NamedNode) else target
            by_graph.setdefault(name, []).append(quad.triple)
        staging = {name: ox.NamedNode(_STAGING_PREFIX + uuid.uuid4().hex) for name in by_graph}
        try:
            for name, triples in by_graph.items():
                for chunk in chunks(triples):
                    self.update(insert_text(staging[name], chunk))
            self.update(self._swap(target, staging, str(path)))
        except EndpointError:
            self._drop_quietly(staging.values())
            raise
        return target.value

    def _swap(self, target: ox.NamedNode, staging: dict[ox.NamedNode, ox.NamedNode], source: str) -> str:
        """One update replacing the source's old graphs by the staged ones and recording it."""
        old = {ox.NamedNode(g) for g in self._meta().get(target.value, ("", []))[1]} | {target}
        # Only parsed terms reach this text: their str() is validated N-Triples syntax.
        ops = [f"DROP SILENT GRAPH {g}" for g in sorted(old | set(staging), key=str)]
        ops += [f"MOVE SILENT GRAPH {stage} TO {name}" for name, stage in staging.items()]
        ops.append(f"DELETE WHERE {{ GRAPH {META_GRAPH} {{ {target} ?p ?o }} }}")
        now = ox.Literal(datetime.now(timezone.utc).isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
        meta = [f"{target} {_SOURCE} {ox.Literal(source)}", f"{target} {_MODIFIED} {now}"]
        meta += [f"{target} {_HOLDS_GRAPH} {name}" for name in staging]
        ops.append(f"INSERT DATA {{ GRAPH {META_GRAPH} {{ {' . '.join(meta)} }} }}")
        return " ;\n".join(ops)

    def _drop_quietly(self, graphs: Iterable[ox.NamedNode]) -> None:
        """Best effort: remove scratch graphs after a failed load."""
        try:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in graphs))
        except EndpointError:
            pass
