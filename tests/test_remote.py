"""remote.py against real servers (Oxigraph server, Virtuoso): the same answers as the embedded store.

Each server is started once per module on free loopback ports (tests/servers.py), filled with
the vocabularies and pilots by the real loading code, and stopped at the end. Tests only read
from it, or reload the same files, so they do not depend on each other's order.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

import servers
from graph_service.api import create_app
from graph_service.namespaces import expand
from graph_service.queries import named_queries
from graph_service.remote import EndpointError, RemoteStore
from graph_service.service import Service
from graph_service.settings import Settings
from graph_service.store import LoadError, Store

EXE = str(Path(sys.executable).with_name("graph-service"))
GAP_CASES = [
    (["role:drifttekniker"], "role:vakthavande-drifttekniker"),
    (["role:vardbitrade"], "role:underskoterska"),
    ([], "role:underskoterska"),
    (["role:drifttekniker", "credential:vk-16"], "role:vakthavande-drifttekniker"),
    (["credential:ys-08"], "role:underskoterska"),
]
# One value per declared parameter, so every parametrised query also runs with its binding.
PARAMS = {
    "credential-facets": {"credential": "credential:vk-01"},
    "credentials-by-care-plan-section": {"section": "careplan:mal"},
    "credentials-by-eqf-level": {"level": "eqf:4"},
    "credentials-by-life-area": {"lifeArea": "ibic:d5"},
    "credentials-by-seqf-level": {"level": "seqf:3"},
    "labels": {"resource": "role:drifttekniker"},
    "ladder-roles": {"role": "role:drifttekniker"},
    "resource-links": {"resource": "role:drifttekniker"},
    "role-requirement-credentials": {"role": "role:vakthavande-drifttekniker"},
    "uncovered-requirements": {"role": "role:underskoterska"},
}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module", params=servers.SERVERS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """One running server per kind, holding the vocabularies and pilots loaded by fill_graph."""
    try:
        with servers.with_pilots(request.param, tmp_path_factory.mktemp(request.param)) as running:
            yield running
    except servers.ServerUnavailable as err:
        pytest.skip(str(err))


@pytest.fixture
def remote(server: servers.Server) -> RemoteStore:
    return server.store()


def rows(found: list[dict]) -> list[tuple]:
    """Rows as a sorted list of (variable, N-Triples term) tuples; blank nodes differ per store, so they match any."""
    return sorted(tuple(sorted((name, "_:" if isinstance(term, ox.BlankNode) else str(term))
                               for name, term in row.items())) for row in found)


def gap_json(answer) -> dict:
    return answer.model_dump(mode="json", by_alias=True)


@pytest.mark.parametrize("holds,target", GAP_CASES)
def test_gap_answers_equal_the_embedded_store(remote: RemoteStore, pilot_store: Store, holds, target) -> None:
    expected = Service(pilot_store).gap([expand(h) for h in holds], expand(target))
    assert Service(remote).gap([expand(h) for h in holds], expand(target)) == expected
    assert expected.plan, "each case should need a plan"


@pytest.mark.parametrize("holds,target", GAP_CASES)
def test_api_gap_on_a_remote_store_equals_the_embedded_api(server: servers.Server, remote: RemoteStore,
                                                           pilot_store: Store, holds, target) -> None:
    body = {"holds": [expand(h) for h in holds], "target": expand(target)}
    settings = Settings(endpoint=server.query_url, update_endpoint=server.update_url,
                        endpoint_user=server.user, endpoint_password=server.password)
    answer = TestClient(create_app(settings, remote)).post("/api/gap", json=body)
    expected = TestClient(create_app(Settings(), pilot_store)).post("/api/gap", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == expected.json()


def test_ladder_and_coverage_equal_the_embedded_store(remote: RemoteStore, pilot_store: Store) -> None:
    mine, theirs = Service(remote), Service(pilot_store)
    ladder = (expand("role:drifttekniker"), expand("role:vakthavande-drifttekniker"), [])
    assert mine.ladder(*ladder) == theirs.ladder(*ladder)
    assert mine.coverage("en") == theirs.coverage("en")
    assert mine.credentials("sv", eqf=expand("eqf:4")) == theirs.credentials("sv", eqf=expand("eqf:4"))


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_returns_the_embedded_rows(remote: RemoteStore, pilot_store: Store, name: str) -> None:
    query = named_queries()[name]
    if not any(p.name == "resource" for p in query.params):  # resource-links needs its resource
        assert rows(remote.select(query.text)) == rows(pilot_store.select(query.text))
    if name in PARAMS:
        bound = query.bind(PARAMS[name])
        expected = pilot_store.select(query.text, bound)
        assert expected or not pilot_store.select(query.text), f"{name}: pick a parameter value that finds rows"
        assert rows(remote.select(query.text, bound)) == rows(expected)


def test_sources_and_size_equal_the_embedded_store(remote: RemoteStore, pilot_store: Store) -> None:
    assert remote.sources() == pilot_store.sources()
    assert len(remote) == sum(s.quads for s in pilot_store.sources())
    assert remote.named_graphs() == sorted(pilot_store.named_graphs(), key=lambda g: g.value)


def test_blank_node_structures_survive_chunked_loading(remote: RemoteStore, pilot_store: Store) -> None:
    query = """PREFIX sh: <http://www.w3.org/ns/shacl#>
    PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
    SELECT ?shape ?path ?datatype WHERE {
      ?shape sh:property ?property . ?property sh:path ?path ; sh:or ?list .
      ?list rdf:rest*/rdf:first ?alternative . ?alternative sh:datatype ?datatype }"""
    expected = pilot_store.select(query)
    assert len(expected) >= 6
    assert rows(remote.select(query)) == rows(expected)


def test_bindings_stay_terms(remote: RemoteStore) -> None:
    hostile = ox.Literal('x" } } ; DROP ALL ; SELECT * WHERE { #', language="sv")
    assert remote.select("SELECT ?label WHERE { ?r <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }",
                         {"label": hostile}) == []
    labelled = remote.select(named_queries()["labels"].text, {"resource": ox.NamedNode(expand("role:vardbitrade"))})
    assert {(r["label"].value, r["lang"].value) for r in labelled} >= {("Vårdbiträde", "sv")}


def test_query_gives_pyoxigraph_results(remote: RemoteStore, pilot_store: Store) -> None:
    text = "SELECT ?c ?h WHERE { ?c <https://w3id.org/mikromerit/ns#workloadHours> ?h } ORDER BY ?c"
    solutions = remote.query(text)
    assert [v.value for v in solutions.variables] == ["c", "h"]
    assert [(r["c"], r["h"]) for r in solutions] == [(r["c"], r["h"]) for r in pilot_store.query(text)]
    assert bool(remote.query("ASK { ?s a <https://w3id.org/mikromerit/ns#Role> }"))
    triples = remote.query("CONSTRUCT { ?r a ?t } WHERE { VALUES ?r { <%s> } ?r a ?t }" % expand("role:vardbitrade"))
    assert {t.object.value for t in triples} >= {"https://w3id.org/mikromerit/ns#Role"}


def test_a_file_that_does_not_parse_changes_nothing(remote: RemoteStore, tmp_path: Path) -> None:
    before = remote.sources()
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"broken\.ttl:2:"):
        remote.load_file(bad, "https://w3id.org/mikromerit/graph/mappings/roles.ttl")
    assert remote.sources() == before


def test_cli_load_then_gap_through_the_console_script(server: servers.Server, pilot_store: Store) -> None:
    loaded = run("load", *server.endpoint_args())
    assert loaded.returncode == 0, loaded.stderr
    assert "mappings/vattenkraft.ttl" in loaded.stdout and "11 graphs" in loaded.stdout
    assert len(server.store()) == sum(s.quads for s in pilot_store.sources()), "a reload must replace, not add"
    done = run("gap", "--endpoint", server.query_url, "--holds", "role:drifttekniker",
               "--target", "role:vakthavande-drifttekniker")
    assert done.returncode == 0, done.stderr
    expected = Service(pilot_store).gap([expand("role:drifttekniker")], expand("role:vakthavande-drifttekniker"))
    assert json.loads(done.stdout) == gap_json(expected)


def test_cli_query_on_the_endpoint_prints_what_the_embedded_store_prints(server: servers.Server) -> None:
    args = ["query", "credentials-by-eqf-level", "--param", "level=eqf:4", "--format", "json"]
    done, expected = run(*args, "--endpoint", server.query_url), run(*args)
    assert done.returncode == 0, done.stderr

    def bindings(out: str) -> list[str]:
        return sorted(json.dumps(b, sort_keys=True) for b in json.loads(out)["results"]["bindings"])

    assert bindings(done.stdout) == bindings(expected.stdout) != []
    check = run("query", "outcome-dimension-missing-violation", "--endpoint", server.query_url)
    assert check.returncode == 0 and "(0 rows)" in check.stdout


def test_writes_where_they_are_not_allowed_are_a_clear_error(server: servers.Server) -> None:
    anonymous = RemoteStore(server.query_url)  # Virtuoso: anonymous /sparql; Oxigraph: the query URL
    with pytest.raises(EndpointError, match=f"SPARQL endpoint {server.query_url}"):
        anonymous.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> "
                         "<http://example.org/b> <http://example.org/c> } }")


def test_unreachable_endpoint_exits_2_with_a_message() -> None:
    url = f"http://127.0.0.1:{servers.free_port()}/sparql"
    for args in (["gap", "--target", "role:underskoterska"], ["load"], ["query", "labels"]):
        done = run(*args, "--endpoint", url)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"cannot reach the SPARQL endpoint {url}" in done.stderr
        assert "Traceback" not in done.stderr


def test_endpoint_and_data_together_is_a_usage_error(data_dir: Path) -> None:
    done = run("coverage", "--endpoint", "http://127.0.0.1:9/sparql", "--data", str(data_dir / "core-only.ttl"))
    assert done.returncode == 2 and "graph-service load --endpoint" in done.stderr


def test_sparql_endpoint_over_a_remote_store(server: servers.Server, remote: RemoteStore) -> None:
    """/sparql answers from the external server in our formats; the graph store and updates say they cannot."""
    app = create_app(Settings(endpoint=server.query_url), remote)
    with TestClient(app) as http:
        query = "SELECT DISTINCT ?role WHERE { ?role a <https://w3id.org/mikromerit/ns#Role> } ORDER BY ?role"
        reply = http.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        assert reply.status_code == 200
        assert reply.text.splitlines()[1:] == sorted({r["role"].value for r in remote.select(query)})
        assert http.get("/graph-store", params={"default": ""}).status_code == 501
        update = http.post("/sparql", data={"update": "CLEAR ALL"})
        assert update.status_code == 403  # no token configured: refused before anything reaches the server
