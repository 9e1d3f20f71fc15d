"""The SPARQL 1.1 Protocol endpoint and the Graph Store Protocol, through real HTTP clients.

A stock client (SPARQLWrapper) talks to a real uvicorn server; write and safety tests use the
app in-process (TestClient) with a fresh store each, so no test depends on another's writes.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML, JSONLD, SPARQLWrapper

import servers
from graph_service.api import create_app
from graph_service.loading import open_graph
from graph_service.settings import Settings

MM = "https://w3id.org/mikromerit/ns#"
ID = "https://w3id.org/mikromerit/id/"
ROLES = f"SELECT ?role WHERE {{ ?role a <{MM}Role> }} ORDER BY ?role"
TOKEN = "test-token-0123456789"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A real server on the pilot graph (read-only), for stock clients."""
    for base in servers.serve_app(create_app(Settings(query_timeout=10), open_graph())):
        yield base + "/sparql"


def client(**settings) -> TestClient:
    """A fresh app on a fresh pilot store; used as a context manager so workers stop at the end."""
    return TestClient(create_app(Settings(**settings), open_graph()))


def wrapper(url: str, query: str, fmt: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(url)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    return sparql


def expected_roles() -> list[str]:
    """The pilot roles, each once (the endpoint's default graph is a set, an RDF merge)."""
    return sorted({r["role"].value for r in open_graph().select(ROLES)})


# --- a stock client, every result format ----------------------------------------------------

def test_select_in_json_xml_csv_tsv(endpoint: str) -> None:
    roles = expected_roles()
    assert len(roles) == 6
    body = wrapper(endpoint, ROLES, JSON).query().convert()
    assert [b["role"]["value"] for b in body["results"]["bindings"]] == roles
    xml = wrapper(endpoint, ROLES, XML).query().convert()
    assert [n.firstChild.firstChild.data for n in xml.getElementsByTagName("binding")] == roles
    csv_rows = wrapper(endpoint, ROLES, CSV).query().convert().decode().splitlines()
    assert csv_rows == ["role", *roles]
    tsv_rows = wrapper(endpoint, ROLES, TSV).query().convert().decode().splitlines()
    assert tsv_rows == ["?role", *[f"<{r}>" for r in roles]]


def test_literals_keep_language_and_datatype(endpoint: str) -> None:
    query = f"SELECT ?label ?hours WHERE {{ <{ID}credential/vk-01> <http://www.w3.org/2004/02/skos/core#prefLabel> ?label ; <{MM}workloadHours> ?hours FILTER(lang(?label) = 'sv') }}"
    (row,) = wrapper(endpoint, query, JSON).query().convert()["results"]["bindings"]
    assert row["label"] == {"type": "literal", "value": "Arbetsmiljö och riskbedömning i vattenkraftanläggningar",
                            "xml:lang": "sv"}
    assert row["hours"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"


def test_ask_in_json_and_xml(endpoint: str) -> None:
    query = f"ASK {{ <{ID}role/drifttekniker> <{MM}nextRole> ?next }}"
    assert wrapper(endpoint, query, JSON).query().convert()["boolean"] is True
    xml = wrapper(endpoint, query, XML).query().convert()
    assert xml.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("fmt,rdflib_format", [(TURTLE, "turtle"), (N3, "turtle"), (RDFXML, "xml"),
                                               (JSONLD, "json-ld")])
def test_construct_round_trips_in_every_rdf_format(endpoint: str, fmt: str, rdflib_format: str) -> None:
    query = f"CONSTRUCT {{ ?c ?p ?o }} WHERE {{ ?c ?p ?o FILTER(?c = <{ID}credential/ys-03>) }}"
    sparql = wrapper(endpoint, query, fmt)
    raw = sparql.query().response.read()
    got = rdflib.Graph().parse(data=raw, format=rdflib_format)
    expected = rdflib.Graph()
    for triple in open_graph().query(query):
        expected.parse(data=f"{triple} .", format="nt")
    assert len(got) > 10 and isomorphic(got, expected)


@pytest.mark.parametrize("method", [URLENCODED, POSTDIRECTLY])
def test_post_form_and_direct_body(endpoint: str, method: str) -> None:
    sparql = wrapper(endpoint, ROLES, JSON)
    sparql.setMethod(POST)
    sparql.setRequestMethod(method)
    body = sparql.query().convert()
    assert [b["role"]["value"] for b in body["results"]["bindings"]] == expected_roles()


def test_protocol_dataset_restricts_the_default_graph(endpoint: str) -> None:
    eqf_graph = "https://w3id.org/mikromerit/graph/ontology/eqf.ttl"
    sparql = wrapper(endpoint, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{MM}MicroCredential> }}", JSON)
    assert sparql.query().convert()["results"]["bindings"][0]["n"]["value"] == "38"
    sparql.addDefaultGraph(eqf_graph)
    assert sparql.query().convert()["results"]["bindings"][0]["n"]["value"] == "0"
    named = wrapper(endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", JSON)
    named.addNamedGraph(eqf_graph)
    assert [b["g"]["value"] for b in named.query().convert()["results"]["bindings"]] == [eqf_graph]


def test_graph_names_are_queryable_and_bookkeeping_is_hidden(endpoint: str) -> None:
    rows = wrapper(endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", JSON).query().convert()
    graphs = {b["g"]["value"] for b in rows["results"]["bindings"]}
    assert "https://w3id.org/mikromerit/graph/mappings/vattenkraft.ttl" in graphs
    assert "https://w3id.org/mikromerit/graph/meta" not in graphs


def test_service_description(endpoint: str) -> None:
    import urllib.request

    with urllib.request.urlopen(endpoint) as reply:
        assert reply.headers["Content-Type"].startswith("text/turtle")
        graph = rdflib.Graph().parse(data=reply.read(), format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.endpoint, rdflib.URIRef(endpoint)) in graph
    assert (None, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (None, sd.supportedLanguage, sd.SPARQL11Update) not in graph  # no token: no updates


# --- errors as the protocol says ----------------------------------------------------------

def test_protocol_errors() -> None:
    with client() as http:
        reply = http.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
        assert reply.status_code == 400 and "does not parse" in reply.json()["message"]
        assert "1:" in reply.json()["message"]  # line:column of the parser
        reply = http.get("/sparql", params={"query": ROLES}, headers={"Accept": "image/png"})
        assert reply.status_code == 406
        reply = http.post("/sparql", content=ROLES, headers={"Content-Type": "text/plain"})
        assert reply.status_code == 415
        reply = http.post("/sparql", data={"query": ROLES, "update": "CLEAR ALL"})
        assert reply.status_code == 400
        reply = http.get("/sparql", params=[("query", ROLES), ("query", ROLES)])
        assert reply.status_code == 400


# --- safety ---------------------------------------------------------------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(http: TestClient) -> str:
    return http.get("/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"]


def test_service_is_refused() -> None:
    with client() as http:
        reply = http.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"})
        assert reply.status_code == 403 and "SERVICE" in reply.json()["message"]
        # the word inside a string or an IRI is not the keyword
        ok = http.get("/sparql", params={"query": 'SELECT * WHERE { ?s ?p "SERVICE" } LIMIT 1'})
        assert ok.status_code == 200


def test_updates_need_the_token_and_change_nothing_without_it() -> None:
    insert = "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
    with client(sparql_token=TOKEN) as http:
        before = count(http)
        reply = http.post("/sparql", content=insert, headers={"Content-Type": "application/sparql-update"})
        assert reply.status_code == 401 and reply.headers["WWW-Authenticate"].startswith("Bearer")
        reply = http.post("/sparql", data={"update": insert}, headers={"Authorization": "Bearer wrong"})
        assert reply.status_code == 403
        reply = http.post("/sparql", content="LOAD <http://example.org/data.ttl>",
                          headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
        assert reply.status_code == 403 and "LOAD" in reply.json()["message"]
        assert count(http) == before
    with client() as http:
        reply = http.post("/sparql", data={"update": insert}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert reply.status_code == 403 and "disabled" in reply.json()["message"]


def test_an_authorised_update_changes_queries_and_plans() -> None:
    new = f"{ID}competence/new-skill"
    update = f"""INSERT DATA {{ GRAPH <http://example.org/extra> {{
        <{new}> a <{MM}Competence> . <{ID}role/underskoterska> <{MM}requiresCompetence> <{new}> }} }}"""
    with client(sparql_token=TOKEN) as http:
        gap = {"holds": [f"{ID}role/vardbitrade"], "target": f"{ID}role/underskoterska"}
        assert http.post("/api/gap", json=gap).json()["unbridgeable"] == []
        reply = http.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update",
                                                              "Authorization": f"Bearer {TOKEN}"})
        assert reply.status_code == 204
        ask = http.get("/sparql", params={"query": f"ASK {{ <{new}> a <{MM}Competence> }}"}).json()
        assert ask["boolean"] is True
        assert http.post("/api/gap", json=gap).json()["unbridgeable"] == [new]


def test_a_slow_query_is_stopped_while_a_simple_one_answers() -> None:
    with client(query_timeout=2.0, query_workers=2, warm_up=True) as http:
        pool = http.app.state.query_pool
        deadline = time.monotonic() + 60
        while pool._idle.qsize() < 2 and time.monotonic() < deadline:  # both workers loaded
            time.sleep(0.1)
        with ThreadPoolExecutor(2) as pool:
            started = time.monotonic()
            slow = pool.submit(http.get, "/sparql", params={"query": SLOW})
            time.sleep(0.3)
            quick_start = time.monotonic()
            quick = http.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
            quick_time = time.monotonic() - quick_start
            stopped = slow.result(timeout=30)
            slow_time = time.monotonic() - started
        assert quick.status_code == 200 and quick.json()["boolean"] is True
        assert quick_time < 1.9, quick_time  # answered while the slow one was still running
        assert stopped.status_code == 503 and "stopped" in stopped.json()["message"]
        assert slow_time < 4.0, slow_time
        assert count(http)  # the server keeps answering after the kill


def test_the_row_cap_is_reported_not_silent() -> None:
    with client(row_cap=5) as http:
        reply = http.get("/sparql", params={"query": ROLES})
        assert len(reply.json()["results"]["bindings"]) == 5
        assert reply.headers["X-Results-Truncated"] == "true" and reply.headers["X-Row-Cap"] == "5"
        small = http.get("/sparql", params={"query": ROLES + " LIMIT 3"})
        assert "X-Results-Truncated" not in small.headers


# --- Graph Store Protocol -------------------------------------------------------------------

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TTL = "@prefix ex: <http://example.org/> . ex:a ex:b ex:c , ex:d ."


def test_graph_store_put_get_post_delete() -> None:
    graph = {"graph": "http://example.org/g"}
    with client(sparql_token=TOKEN) as http:
        assert http.get("/graph-store", params=graph).status_code == 404
        assert http.put("/graph-store", params=graph, content=TTL,
                        headers={**AUTH, "Content-Type": "text/turtle"}).status_code == 201
        assert http.put("/graph-store", params=graph, content=TTL,
                        headers={**AUTH, "Content-Type": "text/turtle"}).status_code == 204
        got = http.get("/graph-store", params=graph, headers={"Accept": "application/n-triples"})
        assert got.status_code == 200 and len(got.text.strip().splitlines()) == 2
        assert http.head("/graph-store", params=graph).status_code == 200
        more = "<http://example.org/x> <http://example.org/y> <http://example.org/z> ."
        assert http.post("/graph-store", params=graph, content=more,
                         headers={**AUTH, "Content-Type": "application/n-triples"}).status_code == 204
        got = rdflib.Graph().parse(data=http.get("/graph-store", params=graph).text, format="turtle")
        assert len(got) == 3
        ask = http.get("/sparql", params={"query": "ASK { <http://example.org/x> ?p ?o }"}).json()
        assert ask["boolean"] is True
        assert http.delete("/graph-store", params=graph, headers=AUTH).status_code == 204
        assert http.delete("/graph-store", params=graph, headers=AUTH).status_code == 404
        assert http.head("/graph-store", params=graph).status_code == 404


def test_graph_store_default_graph_and_pilot_graph() -> None:
    with client(sparql_token=TOKEN) as http:
        assert http.put("/graph-store", params={"default": ""}, content=TTL,
                        headers={**AUTH, "Content-Type": "text/turtle"}).status_code == 204
        got = rdflib.Graph().parse(data=http.get("/graph-store", params={"default": ""}).text, format="turtle")
        assert len(got) == 2
        pilot = http.get("/graph-store", params={"graph": "https://w3id.org/mikromerit/graph/mappings/roles.ttl"},
                         headers={"Accept": "application/ld+json"})
        assert pilot.status_code == 200 and len(rdflib.Graph().parse(data=pilot.text, format="json-ld")) > 100
        assert http.get("/graph-store", params={"graph": "https://w3id.org/mikromerit/graph/meta"}).status_code == 404


def test_graph_store_refuses_bad_writes_and_changes_nothing() -> None:
    graph = {"graph": "https://w3id.org/mikromerit/graph/mappings/roles.ttl"}
    with client(sparql_token=TOKEN) as http:
        before = http.get("/graph-store", params=graph, headers={"Accept": "application/n-triples"}).text
        assert http.put("/graph-store", params=graph, content=TTL,
                        headers={"Content-Type": "text/turtle"}).status_code == 401
        bad = http.put("/graph-store", params=graph, content="@prefix ex: <http://example.org/> . ex:a ex:b",
                       headers={**AUTH, "Content-Type": "text/turtle"})
        assert bad.status_code == 400 and "does not parse" in bad.json()["message"]
        assert http.put("/graph-store", params=graph, content=TTL,
                        headers={**AUTH, "Content-Type": "image/png"}).status_code == 415
        assert http.get("/graph-store", params={**graph, "default": ""}).status_code == 400
        assert http.put("/graph-store", params={"graph": "not an iri"}, content=TTL,
                        headers={**AUTH, "Content-Type": "text/turtle"}).status_code == 400
        after = http.get("/graph-store", params=graph, headers={"Accept": "application/n-triples"}).text
        assert after == before


def test_sparql_routes_are_in_the_openapi_schema() -> None:
    with client() as http:
        paths = http.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/sparql"])
    assert {"get", "put", "post", "delete", "head"} <= set(paths["/graph-store"])


def test_default_graph_is_a_set_when_files_repeat_triples(endpoint: str) -> None:
    """Regression: pyoxigraph unions default graphs as a bag; the endpoint's default graph is an RDF merge."""
    query = f"SELECT ?role WHERE {{ ?role a <{MM}Role> }}"
    rows = wrapper(endpoint, query, JSON).query().convert()["results"]["bindings"]
    assert len(rows) == len({r["role"]["value"] for r in rows}) == 6


def test_serve_command_with_a_token_file(tmp_path) -> None:
    """The real command: writes allowed with the token from --token-file, queries answered by workers.

    Stopped with SIGTERM just after a runaway query's worker was replaced, while the new one
    loads: it leaves no worker folder behind (uvicorn raises the signal again, so no exit hook runs).
    """
    import os
    import subprocess
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path

    exe = str(Path(sys.executable).with_name("graph-service"))
    short = tmp_path / "short"
    short.write_text("abc")
    done = subprocess.run([exe, "serve", "--token-file", str(short)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "at least 16 characters" in done.stderr
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    port = servers.free_port()
    log = tmp_path / "serve.log"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    server = subprocess.Popen([exe, "serve", "--port", str(port), "--token-file", str(token), "--query-timeout", "3"],
                              stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                              env={**os.environ, "TMPDIR": str(scratch)})
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                time.sleep(0.1)
        update = SPARQLWrapper(url, updateEndpoint=url)
        update.setMethod(POST)
        update.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
        update.setQuery("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }")
        assert update.query().response.status == 204
        ask = wrapper(url, "ASK { <http://example.org/s> <http://example.org/p> 1 }", JSON).query().convert()
        assert ask["boolean"] is True
        runaway = urllib.request.Request(url, data=b"SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                                         headers={"Content-Type": "application/sparql-query"})
        with pytest.raises(urllib.error.HTTPError) as stopped:
            urllib.request.urlopen(runaway)
        assert stopped.value.code == 503
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert not list(scratch.iterdir())
    # the server's own warning, in uvicorn's style, says which query was stopped
    assert re.search(r"^WARNING:  SPARQL query stopped at the 3 s limit \(worker \d+ killed\): "
                     r"BASE <[^>]+> SELECT \(COUNT\(\*\) AS \?n\) WHERE \{ \?a \?b \?c \. \?d",
                     log.read_text(encoding="utf-8"), re.MULTILINE)


def test_protocol_details_a_stock_client_relies_on() -> None:
    """Behaviours the SPARQL 1.1 Protocol spells out, checked without the W3C manifests."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with client(sparql_token=TOKEN) as http:
        # a body in another charset is refused, not misread
        reply = http.post("/sparql", content=ROLES.encode("utf-16"),
                          headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
        assert reply.status_code == 415
        # updates never travel by GET; one update per request
        assert http.get("/sparql", params={"update": "CLEAR ALL"}).status_code == 400
        twice = http.post("/sparql", content="update=CLEAR+ALL&update=CLEAR+ALL",
                          headers={**auth, "Content-Type": "application/x-www-form-urlencoded"})
        assert twice.status_code == 400
        # a body without Content-Type is a 415
        assert http.post("/sparql", content="query=ASK%7B%7D", headers={"Content-Type": ""}).status_code == 415
        # relative IRIs resolve against the endpoint URL
        reply = http.post("/sparql", content="INSERT DATA { <s> <p> <o> }",
                          headers={**auth, "Content-Type": "application/sparql-update"})
        assert reply.status_code == 204
        ask = http.get("/sparql", params={"query": "ASK { <http://testserver/s> ?p ?o }"}).json()
        assert ask["boolean"] is True
        # an update that fails when run (not at parse time) is the client's error
        reply = http.post("/sparql", content="DROP GRAPH <http://example.org/none>",
                          headers={**auth, "Content-Type": "application/sparql-update"})
        assert reply.status_code == 400


def test_graph_store_post_accepts_multipart_form_data() -> None:
    body = ("--b\r\nContent-Type: text/turtle\r\n\r\n<http://example.org/a> <http://example.org/b> 1 .\r\n"
            "--b\r\nContent-Type: application/n-triples\r\n\r\n<http://example.org/a> <http://example.org/b> \"2\" .\r\n"
            "--b--\r\n")
    with client(sparql_token=TOKEN) as http:
        reply = http.post("/graph-store", params={"graph": "http://example.org/m"}, content=body,
                          headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"})
        assert reply.status_code == 201
        got = http.get("/graph-store", params={"graph": "http://example.org/m"},
                       headers={"Accept": "application/n-triples"})
        assert len(got.text.strip().splitlines()) == 2
