"""The W3C SPARQL 1.1 Protocol and Graph Store Protocol test suites, run against our app.

The manifests are not committed here (fetched files stay out of the repository): point
W3C_RDF_TESTS at the `sparql/sparql11` folder of a w3c/rdf-tests checkout (see
tests/w3c/README.md); without it these tests are skipped and `make conformance` says so. One pytest case per manifest entry: a fresh store holding the test's
ut:graphData, then each ht:Request in order through TestClient, checking the expected status,
result format, ASK answer, response media type and RDF body (isomorphic). The manifests'
`/sparql/` maps to our `/sparql` and `/gsp` to our `/graph-store`; every request that may
write carries the bearer token, since our server refuses writes without one.
"""

from __future__ import annotations

import os

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname
from xml.etree import ElementTree

import pytest
import rdflib
from fastapi.testclient import TestClient
from httpx import Response
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from graph_service.api import create_app
from graph_service.settings import Settings
from graph_service.sparql_protocol import GRAPH_TYPES, RESULT_TYPES
from graph_service.store import Store

SUITE = Path(os.environ.get("W3C_RDF_TESTS", "/nonexistent-w3c-rdf-tests"))
pytestmark = pytest.mark.skipif(not (SUITE / "protocol" / "manifest.ttl").is_file(),
                                reason="W3C_RDF_TESTS does not point at rdf-tests' sparql/sparql11 folder")
TOKEN = "w3c-protocol-token-0123456789"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
STATUS = {"OK": 200, "Created": 201, "Accepted": 202, "NoContent": 204, "BadRequest": 400, "Unauthorized": 401,
          "Forbidden": 403, "NotFound": 404, "MethodNotAllowed": 405, "NotAcceptable": 406,
          "UnsupportedMediaType": 415}
RDFLIB_FORMATS = {"text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "nt",
                  "text/plain": "nt", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}

# Tests our server fails on purpose: strict, so a change of behaviour is noticed.
BY_DESIGN = {
    **dict.fromkeys(["update_dataset_default_graph", "update_dataset_default_graphs", "update_dataset_named_graphs",
                     "update_dataset_full"],
                    "using-graph-uri / using-named-graph-uri on updates are not supported: 400 by design "
                    "(write USING / USING NAMED in the update)"),
    "post_get_new_graph": "POST to the graph store without a graph (creating a graph and answering its Location) "
                          "is not supported: 400 by design",
}
DIRECT = "direct graph identification (/gsp/person/1.ttl) is not supported: graphs are /graph-store?graph=IRI"
@dataclass
class Expected:
    """What one response must look like."""

    statuses: list[str] = field(default_factory=list)
    boolean: bool | None = None
    result_format: str | None = None
    media_type: str | None = None
    rdf_body: str | None = None
    location: str | None = None


@dataclass
class Request:
    """One ht:Request of a test, in the manifest's own terms."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    expected: Expected


@dataclass
class Case:
    """One manifest entry: data to load, then requests to run in order."""

    name: str
    graph_data: list[tuple[Path, str]]
    requests: list[Request]
    direct: bool


def _headers(graph: rdflib.Graph, node: rdflib.term.Node) -> dict[str, str]:
    """The ht:headers list of a request or response as a dict (lower-case names)."""
    headers = graph.value(node, HT.headers)
    if headers is None:
        return {}
    return {str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
            for h in Collection(graph, headers)}


def _body(graph: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    """The cnt:chars of a request or response body, if it has one."""
    body = graph.value(node, HT.body)
    return None if body is None else str(graph.value(body, CNT.chars))


def _expected(graph: rdflib.Graph, resp: rdflib.term.Node) -> Expected:
    """The mf:expected* and ht: properties of an ht:Response."""
    boolean = graph.value(resp, MF.expectedBoolean)
    result_format = graph.value(resp, MF.expectedFormat)
    location = graph.value(resp, MF.expectedLocation)
    media = _headers(graph, resp).get("content-type")
    return Expected(statuses=sorted(str(s)[len(HTS):] for s in graph.objects(resp, MF.expectedStatus)),
                    boolean=None if boolean is None else bool(boolean.toPython()),
                    result_format=None if result_format is None else str(result_format),
                    media_type=None if media is None else media.split(";")[0].strip().lower(),
                    rdf_body=_body(graph, resp), location=None if location is None else str(location))


def _file(iri: rdflib.term.Node) -> Path:
    """The local file a file: IRI in a manifest names."""
    return Path(url2pathname(urlparse(str(iri)).path))


def _cases(manifest: Path) -> list[Case]:
    """Every entry of a manifest (following mf:include), in order."""
    graph = rdflib.Graph().parse(manifest, format="turtle")
    root = rdflib.URIRef(manifest.resolve().as_uri())
    cases = []
    for include in graph.objects(root, MF.include):
        for item in Collection(graph, include):
            cases += _cases(_file(item))
    for entries in graph.objects(root, MF.entries):
        for test in Collection(graph, entries):
            action = graph.value(test, MF.action)
            data = [(_file(graph.value(d, UT.graph)), str(graph.value(d, rdflib.RDFS.label)))
                    for d in graph.objects(test, UT.graphData)]
            requests = [Request(method=str(graph.value(r, HT.methodName)), path=str(graph.value(r, HT.absolutePath)),
                                headers=_headers(graph, r), body=_body(graph, r),
                                expected=_expected(graph, graph.value(r, HT.resp)))
                        for r in Collection(graph, graph.value(action, HT.requests))]
            direct = (test, MF.requires, MF.DirectGraphIdentification) in graph
            cases.append(Case(str(test).rpartition("#")[2], data, requests, direct))
    return cases


def _param(case: Case) -> pytest.param:
    """A pytest parameter for a case, marked xfail (strict) when we fail it by design."""
    marks = []
    if case.name in BY_DESIGN or case.direct:
        marks.append(pytest.mark.xfail(strict=True, reason=BY_DESIGN.get(case.name, DIRECT)))
    return pytest.param(case, id=case.name, marks=marks)


_AVAILABLE = (SUITE / "protocol" / "manifest.ttl").is_file()
PROTOCOL = _cases(SUITE / "protocol" / "manifest.ttl") if _AVAILABLE else []
GRAPH_STORE = _cases(SUITE / "graph-store-protocol" / "manifest.ttl") if _AVAILABLE else []


def local_path(path: str) -> str:
    """A manifest path on our server: /sparql/… → /sparql…, /gsp… → /graph-store…."""
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/"):]
    if path.startswith("/gsp"):
        return "/graph-store" + path[len("/gsp"):]
    raise AssertionError(f"unexpected path in the manifest: {path}")


def status_matches(status: int, expected: list[str]) -> bool:
    """Whether a status is one of the expected hts codes or status classes (StatusCode2xx)."""
    for name in expected:
        klass = re.fullmatch(r"StatusCode(\d)xx", name)
        if (klass and status // 100 == int(klass.group(1))) or STATUS.get(name) == status:
            return True
    return False


def boolean_answer(reply: Response) -> bool:
    """The ASK answer in a SPARQL JSON, XML, CSV or TSV response."""
    fmt = RESULT_TYPES.get(reply.headers["content-type"].split(";")[0].strip())
    assert fmt is not None, f"not a SPARQL results type: {reply.headers['content-type']}"
    if fmt == "json":
        return reply.json()["boolean"]
    if fmt == "xml":
        found = ElementTree.fromstring(reply.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
        assert found is not None, "no <boolean> in the XML results"
        return found.text.strip() == "true"
    return reply.text.strip() == "true"


def check_format(reply: Response, kind: str) -> None:
    """The response is SPARQL results with a boolean ('boolean'), a table ('tabular'), or RDF ('RDF')."""
    media = reply.headers["content-type"].split(";")[0].strip().lower()
    if kind == "RDF":
        assert media in GRAPH_TYPES, f"{media} is not an RDF media type"
        rdflib.Graph().parse(data=reply.content, format=RDFLIB_FORMATS[media])
        return
    assert media in RESULT_TYPES, f"{media} is not a SPARQL results media type"
    if kind == "boolean":
        boolean_answer(reply)
    elif RESULT_TYPES[media] == "json":
        assert "vars" in reply.json()["head"] and "bindings" in reply.json()["results"]
    elif RESULT_TYPES[media] == "xml":
        assert ElementTree.fromstring(reply.content).find("{http://www.w3.org/2005/sparql-results#}results") is not None
    else:
        assert reply.text.splitlines(), "empty CSV/TSV results have no header line"


def check(reply: Response, expected: Expected, where: str) -> None:
    """Compare one response with what the manifest expects."""
    assert status_matches(reply.status_code, expected.statuses), \
        f"{where}: status {reply.status_code}, expected {expected.statuses}: {reply.text[:300]}"
    if expected.media_type:
        assert reply.headers.get("content-type", "").split(";")[0].strip().lower() == expected.media_type, where
    if expected.result_format:
        check_format(reply, expected.result_format)
    if expected.boolean is not None:
        assert boolean_answer(reply) is expected.boolean, f"{where}: ASK answered the wrong way"
    if expected.rdf_body is not None:
        fmt = RDFLIB_FORMATS[expected.media_type or "text/turtle"]
        want = rdflib.Graph().parse(data=expected.rdf_body, format=fmt)
        got = rdflib.Graph().parse(data=reply.content, format=RDFLIB_FORMATS[reply.headers["content-type"]
                                                                           .split(";")[0].strip().lower()])
        assert isomorphic(got, want), f"{where}: the graph differs:\n{reply.text}"
    if expected.location:
        assert "location" in reply.headers, f"{where}: no Location header"


def run(case: Case) -> None:
    """Load the case's data into a fresh store and run its requests in order."""
    store = Store()
    for path, graph in case.graph_data:
        store.load_file(path, graph)
    templates: dict[str, str] = {}
    with TestClient(create_app(Settings(sparql_token=TOKEN, query_workers=1, query_timeout=30), store)) as http:
        for number, request in enumerate(case.requests, 1):
            path, body = request.path, request.body
            for variable, value in templates.items():
                path = path.replace(variable, value)
                body = body.replace(variable, value) if body is not None else None
            headers = dict(request.headers)
            if request.method not in ("GET", "HEAD"):
                headers["authorization"] = f"Bearer {TOKEN}"
            reply = http.request(request.method, local_path(path), headers=headers,
                                 content=body.encode("utf-8") if body is not None else None)
            check(reply, request.expected, f"request {number} ({request.method} {path[:80]})")
            if request.expected.location:
                templates[request.expected.location] = reply.headers["location"]


def test_the_manifests_are_all_read() -> None:
    assert len(PROTOCOL) == 34 and len(GRAPH_STORE) == 13
    assert all(case.requests for case in PROTOCOL + GRAPH_STORE)


@pytest.mark.parametrize("case", [_param(case) for case in PROTOCOL])
def test_sparql_protocol(case: Case) -> None:
    run(case)


@pytest.mark.parametrize("case", [_param(case) for case in GRAPH_STORE])
def test_graph_store_protocol(case: Case) -> None:
    run(case)
