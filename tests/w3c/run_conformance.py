"""Run the W3C SPARQL 1.1 query, update and syntax tests against a real graph-service server.

    python tests/w3c/run_conformance.py [--output benchmarks/CONFORMANCE.md] [--verbose] [FOLDER ...]

One uvicorn server on an empty store for the whole run. Query tests: every data file goes
into its own named graph (named by its W3C file IRI) through the Graph Store Protocol, and
each query names its test's dataset with default-graph-uri / named-graph-uri (our endpoint's
own default graph is the merge of every graph, by design). Update tests: DROP ALL, load the
test's graphs, run the update through /sparql with the token, then read the graphs back.
Outcomes: pass, fail, refused (SERVICE and LOAD are refused by design) or error (the harness
could not run the test). Numbers and booleans compare by value; `exact` also records whether
a pass holds with literals compared as exact RDF terms (lexical forms), as the suite writes them.
"""

from __future__ import annotations

import argparse
import os
import hashlib
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import httpx
import pyoxigraph as ox
import rdflib
import uvicorn
from rdflib.collection import Collection

from graph_service.api import create_app
from graph_service.settings import Settings
from graph_service.sparql_protocol import names_dataset
from graph_service.store import Store, rdf_format_for

sys.path.insert(0, str(Path(__file__).parent))
from conformance_report import console, markdown  # noqa: E402
from sparql_results import (ACCEPT, PARSE_BY_MEDIA, PARSERS, Results, is_ordered, parse_rdf_result_set,  # noqa: E402
                            same_graph, same_results)

SUITE = Path(os.environ.get("W3C_RDF_TESTS", "/nonexistent-w3c-rdf-tests"))
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
COMMIT = "ad541a5f0479f0798608c4801369d97b8e08b36f"
TOP_MANIFESTS = ["manifest-sparql11-query.ttl", "manifest-sparql11-results.ttl", "manifest-sparql11-fed.ttl",
                 "manifest-sparql11-update.ttl"]
TOKEN = "conformance-token-0123456789"
EMPTY = "urn:x-conformance:empty"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
WRITE = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Test:
    """One manifest entry, its files named by their W3C IRIs."""

    folder: str
    name: str
    kind: str
    query: str | None = None
    data: list[str] = field(default_factory=list)
    graph_data: list[tuple[str, str]] = field(default_factory=list)
    result: str | None = None
    result_data: list[str] = field(default_factory=list)
    result_graphs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Outcome:
    """How a test went (pass, fail, refused, error) and why; `exact`: the pass holds on lexical forms too."""

    test: Test
    status: str
    detail: str = ""
    exact: bool = False


def local(iri: str) -> Path:
    """The vendored file of a W3C test IRI."""
    return SUITE / iri.removeprefix(BASE)


def folders() -> list[str]:
    """The test folders the top manifests include, in order."""
    found: list[str] = []
    for name in TOP_MANIFESTS:
        graph = rdflib.Graph().parse(SUITE / name, format="turtle", publicID=BASE + name)
        for include in graph.objects(None, MF.include):
            found += [str(item).removeprefix(BASE).removesuffix("/manifest.ttl") for item in Collection(graph, include)]
    return list(dict.fromkeys(found))


def _graph_data(graph: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> list[tuple[str, str]]:
    """(file, graph name) pairs: qt:graphData files name themselves, ut:graphData carry an rdfs:label."""
    pairs = []
    for item in graph.objects(node, predicate):
        if isinstance(item, rdflib.URIRef):
            pairs.append((str(item), str(item)))
        else:
            pairs.append((str(graph.value(item, UT.graph)), str(graph.value(item, rdflib.RDFS.label))))
    return pairs


def read_manifest(folder: str) -> list[Test]:
    """The entries of one folder's manifest."""
    graph = rdflib.Graph().parse(SUITE / folder / "manifest.ttl", format="turtle",
                                 publicID=f"{BASE}{folder}/manifest.ttl")
    tests = []
    for entries in graph.objects(None, MF.entries):
        for node in Collection(graph, entries):
            kind = str(graph.value(node, rdflib.RDF.type)).rpartition("#")[2]
            test = Test(folder, str(node).rpartition("#")[2], kind)
            action, result = graph.value(node, MF.action), graph.value(node, MF.result)
            if isinstance(action, rdflib.URIRef):
                test.query = str(action)
            elif action is not None:
                test.query = str(graph.value(action, QT.query) or graph.value(action, UT.request))
                test.data = [str(d) for d in graph.objects(action, QT.data)] + \
                            [str(d) for d in graph.objects(action, UT.data)]
                test.graph_data = _graph_data(graph, action, QT.graphData) + _graph_data(graph, action, UT.graphData)
            if isinstance(result, rdflib.URIRef):
                test.result = str(result)
            elif result is not None:
                test.result_data = [str(d) for d in graph.objects(result, UT.data)]
                test.result_graphs = _graph_data(graph, result, UT.graphData)
            tests.append(test)
    return tests


@cache
def ntriples(iri: str) -> bytes:
    """A data file as N-Triples, its relative IRIs resolved against its own IRI."""
    path = local(iri)
    quads = ox.parse(path.read_bytes(), format=rdf_format_for(path), base_iri=iri)
    return ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES) or b""


class Server:
    """A real uvicorn server for the run, on an empty in-memory store, with a client for it."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings = Settings(sparql_token=TOKEN, query_timeout=30, query_workers=2, row_cap=100_000)
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings, Store()), host="127.0.0.1", port=port,
                                                    log_level="critical"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)

    def close(self) -> None:
        """Stop the client and the server."""
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def send(self, method: str, path: str, **options: object) -> httpx.Response:
        """One request, tried again once if the connection dropped (as it does after a 500)."""
        try:
            return self.http.request(method, path, **options)
        except httpx.TransportError:
            return self.http.request(method, path, **options)

    def put_data(self, graph: str | None, body: bytes) -> None:
        """Add N-Triples to a named graph, or to the store's own default graph (None)."""
        params = {"graph": graph} if graph else {"default": ""}
        self.send("POST", "/graph-store", params=params, content=body,
                  headers={"Content-Type": "application/n-triples", **WRITE}).raise_for_status()

    def get_graph(self, graph: str | None) -> bytes:
        """A graph of the store, as N-Triples, read back through the Graph Store Protocol."""
        params = {"graph": graph} if graph else {"default": ""}
        reply = self.send("GET", "/graph-store", params=params, headers={"Accept": "application/n-triples"})
        reply.raise_for_status()
        return reply.content

    def update(self, text: str) -> httpx.Response:
        """Send a SPARQL update with the token."""
        return self.send("POST", "/sparql", content=text.encode(),
                         headers={"Content-Type": "application/sparql-update", **WRITE})

    def query(self, text: str, accept: str, dataset: list[tuple[str, str]]) -> httpx.Response:
        """Send a SPARQL query by POST, with the protocol's dataset parameters."""
        return self.send("POST", "/sparql", params=dataset, content=text.encode(),
                         headers={"Content-Type": "application/sparql-query", "Accept": accept})


def refused(reply: httpx.Response) -> bool:
    """Whether the endpoint refused SERVICE or LOAD, as it does by design."""
    return reply.status_code == 403 and ("SERVICE" in reply.text or "LOAD" in reply.text)


def _said(reply: httpx.Response) -> str:
    """A response's status and the start of its body, for a failure note."""
    return f"{reply.status_code}: {reply.text[:200]}"


def default_graph(test: Test) -> str:
    """The graph holding a query test's default graph (several qt:data files are merged into one)."""
    if not test.data:
        return EMPTY
    if len(test.data) == 1:
        return test.data[0]
    return "urn:x-conformance:merge:" + hashlib.sha1("\n".join(sorted(test.data)).encode()).hexdigest()


def load_query_data(server: Server, tests: list[Test]) -> dict[str, str]:
    """Load every file the query tests read into its own named graph; return the files that failed."""
    broken: dict[str, str] = {}
    files = sorted({iri for t in tests for iri in t.data + [f for f, _ in t.graph_data]})
    for iri in files:
        try:
            server.put_data(iri, ntriples(iri))
        except (SyntaxError, OSError, httpx.HTTPError) as err:
            broken[iri] = str(err)
    for test in tests:
        merged = default_graph(test)
        if len(test.data) > 1 and not any(d in broken for d in test.data):
            server.put_data(merged, b"".join(ntriples(iri) for iri in test.data))
    return broken


def run_query(server: Server, test: Test) -> Outcome:
    """A query evaluation test: the query on the test's dataset, compared with the expected results."""
    text = local(test.query).read_text(encoding="utf-8")
    dataset = [] if names_dataset(text) else \
        [("default-graph-uri", default_graph(test))] + [("named-graph-uri", g) for _, g in test.graph_data]
    suffix = Path(test.result or "").suffix
    accept = ACCEPT.get(suffix, "application/sparql-results+json, application/n-triples")
    reply = server.query(f"BASE <{test.query}>\n{text}", accept, dataset)
    if refused(reply):
        return Outcome(test, "refused", "SERVICE is refused by design")
    if reply.status_code != 200:
        return Outcome(test, "fail", _said(reply))
    media = reply.headers["content-type"].split(";")[0].strip()
    if suffix in PARSERS:
        want = PARSERS[suffix](local(test.result).read_bytes())
    else:
        want = parse_rdf_result_set(rdflib.Graph().parse(data=ntriples(test.result), format="nt"))
        if want is None:
            return graph_outcome(test, ntriples(test.result), reply.content, "the graph differs")
    got, ordered = PARSE_BY_MEDIA[media](reply.content), is_ordered(text)
    if same_results(want, got, ordered, values=True):
        return Outcome(test, "pass", exact=same_results(want, got, ordered))
    if want.rows is not None and got.rows is not None and same_results(want, got, ordered=False, values=True):
        return Outcome(test, "fail", "the right solutions in the wrong order")
    return Outcome(test, "fail", f"different results: {_summary(got)}, expected {_summary(want)}")


def graph_outcome(test: Test, want: bytes, got: bytes, failure: str) -> Outcome:
    """Pass when the graphs are isomorphic (literals by value), noting whether they are as exact terms too."""
    if same_graph(want, got, values=True):
        return Outcome(test, "pass", exact=same_graph(want, got))
    return Outcome(test, "fail", failure)


def _summary(results: Results) -> str:
    """A short description of results for a failure note."""
    if results.boolean is not None:
        return str(results.boolean).lower()
    return f"{len(results.rows or [])} rows {str((results.rows or [])[:2])[:160]}"


def run_syntax(server: Server, test: Test) -> Outcome:
    """A syntax test: positive ones must be accepted, negative ones answered 400."""
    text = f"BASE <{test.query}>\n" + local(test.query).read_text(encoding="utf-8")
    if "Update" in test.kind:
        reply = server.update(text)
    else:
        dataset = [] if names_dataset(text) else [("default-graph-uri", EMPTY)]
        reply = server.query(text, "application/sparql-results+json, application/n-triples", dataset)
    if refused(reply):
        return Outcome(test, "refused", "SERVICE / LOAD are refused by design")
    parse_error = reply.status_code == 400 and "does not parse" in reply.text
    if test.kind.startswith("Positive"):
        # valid syntax can still fail when run (a MOVE from a missing graph): only a parse error fails
        if reply.status_code < 300 or reply.status_code == 400 and not parse_error:
            return Outcome(test, "pass", exact=True)
        return Outcome(test, "fail", "rejected: " + _said(reply))
    if parse_error:
        return Outcome(test, "pass", exact=True)
    return Outcome(test, "fail", "not refused as a parse error: " + _said(reply))


def named_graphs(server: Server) -> dict[str, bytes]:
    """Every non-empty named graph of the store as N-Triples (names from the service description)."""
    reply = server.send("GET", "/sparql", headers={"Accept": "application/n-triples"})
    reply.raise_for_status()
    description = rdflib.Graph().parse(data=reply.content, format="nt")
    graphs = {str(name): server.get_graph(str(name)) for name in description.objects(None, SD.name)}
    return {name: graph for name, graph in graphs.items() if graph.strip()}


def run_update(server: Server, test: Test) -> Outcome:
    """An update evaluation test: load the graphs, run the update, compare every graph after it."""
    server.update("DROP ALL").raise_for_status()
    for iri in test.data:
        server.put_data(None, ntriples(iri))
    for iri, name in test.graph_data:
        server.put_data(name, ntriples(iri))
    reply = server.update(f"BASE <{test.query}>\n" + local(test.query).read_text(encoding="utf-8"))
    if refused(reply):
        return Outcome(test, "refused", "LOAD is refused by design")
    if reply.status_code >= 300:
        return Outcome(test, "fail", _said(reply))
    want = {"": b"".join(ntriples(iri) for iri in test.result_data)}
    for iri, name in test.result_graphs:
        want[name] = want.get(name, b"") + ntriples(iri)
    got = {"": server.get_graph(None), **named_graphs(server)}
    named = sorted(name for name, graph in want.items() if name and graph.strip())
    if sorted(name for name in got if name) != named:
        return Outcome(test, "fail", f"named graphs {sorted(n for n in got if n)}, expected {named}")
    outcomes = [graph_outcome(test, want[name], got[name], f"graph <{name or 'default'}> differs")
                for name in ["", *named]]
    failed = [o for o in outcomes if o.status != "pass"]
    return failed[0] if failed else Outcome(test, "pass", exact=all(o.exact for o in outcomes))


def run(server: Server, chosen: list[str]) -> list[Outcome]:
    """Every test of the chosen folders; queries first, then the tests that write."""
    tests = [t for folder in chosen for t in read_manifest(folder)]
    evaluation = [t for t in tests if t.kind in ("QueryEvaluationTest", "CSVResultFormatTest")]
    broken = load_query_data(server, evaluation)
    order = {"QueryEvaluationTest": 0, "CSVResultFormatTest": 0, "PositiveSyntaxTest11": 1,
             "NegativeSyntaxTest11": 1, "PositiveUpdateSyntaxTest11": 2, "NegativeUpdateSyntaxTest11": 2,
             "UpdateEvaluationTest": 3}
    outcomes = []
    for test in sorted(tests, key=lambda t: order.get(t.kind, 4)):
        runner = {0: run_query, 1: run_syntax, 2: run_syntax, 3: run_update}.get(order.get(test.kind, 4))
        bad = [iri for iri in test.data + [f for f, _ in test.graph_data] if iri in broken]
        if runner is None:
            outcomes.append(Outcome(test, "error", f"unknown test type {test.kind}"))
        elif bad:
            outcomes.append(Outcome(test, "error", f"data file does not load: {broken[bad[0]][:160]}"))
        else:
            try:
                outcomes.append(runner(server, test))
            except (OSError, SyntaxError, ValueError, KeyError, httpx.HTTPError) as err:
                outcomes.append(Outcome(test, "error", f"{type(err).__name__}: {str(err)[:200]}"))
    rank = {(t.folder, t.name): i for i, t in enumerate(tests)}
    return sorted(outcomes, key=lambda o: rank[o.test.folder, o.test.name])


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table, write the report; exit 0 (failures are reported, not fatal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", help="only these test folders (default: all in the suite)")
    parser.add_argument("--output", type=Path, help="write the Markdown report here (e.g. benchmarks/CONFORMANCE.md)")
    parser.add_argument("--verbose", action="store_true", help="print every test that does not pass")
    args = parser.parse_args(argv)
    if not (SUITE / "manifest-sparql11-query.ttl").is_file():
        print(f"no W3C suite at {SUITE}: set W3C_RDF_TESTS to the sparql/sparql11 folder of a "
              "w3c/rdf-tests checkout (see tests/w3c/README.md)", file=sys.stderr)
        return 2
    chosen = args.folders or folders()
    started = time.monotonic()
    server = Server()
    try:
        outcomes = run(server, chosen)
    finally:
        server.close()
    seconds = time.monotonic() - started
    if args.verbose:
        for o in outcomes:
            if o.status != "pass":
                print(f"{o.status:8} {o.test.folder}/{o.test.name}: {o.detail[:300]}")
    print(console(outcomes))
    print(f"{seconds:.0f} s")
    if args.output:
        args.output.write_text(markdown(outcomes, seconds, COMMIT, "make conformance"), encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
