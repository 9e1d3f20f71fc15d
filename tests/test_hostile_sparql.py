"""Hostile SPARQL against a real server: each text is answered within the time limit or refused
with a clear error, and the server keeps serving everyone else meanwhile.

The texts are the kinds that hurt query engines: nesting and chains deep enough to exhaust
the engine's stack (pyoxigraph segfaults past ~3 000 nested groups), bodies far larger than
a query needs, huge VALUES blocks, cartesian products and property paths over cycles.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest

import servers
from graph_service.api import create_app
from graph_service.loading import open_graph
from graph_service.settings import Settings
from graph_service.sparql_protocol import MAX_NESTING, MAX_OPERATORS

TIMEOUT = 2.0
TOKEN = "hostile-test-token-0123456789"
ROLE = "https://w3id.org/mikromerit/id/role/"
JSON = {"Accept": "application/sparql-results+json"}
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# Every IRI reaches every other through the inverse-then-forward step: a cycle-rich closure.
CYCLIC_CLOSURE = "SELECT (COUNT(*) AS ?n) WHERE { ?a (^!<urn:x:none>/!<urn:x:none>)* ?b }"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """A server on the pilot graph with a short time limit, two query workers and a write token."""
    settings = Settings(query_timeout=TIMEOUT, query_workers=2, sparql_token=TOKEN, max_query_bytes=1_048_576)
    yield from servers.serve_app(create_app(settings, open_graph()))


def query(base: str, text: str, **kwargs) -> httpx.Response:
    """POST a query as a form, the way most clients send long ones."""
    return httpx.post(base + "/sparql", data={"query": text}, headers=JSON, timeout=60, **kwargs)


def still_serving(base: str) -> None:
    """A simple query and a planner question both answer correctly."""
    ask = query(base, f"ASK {{ <{ROLE}drifttekniker> ?p ?o }}")
    assert ask.status_code == 200 and ask.json()["boolean"] is True
    gap = httpx.post(base + "/api/gap", json={"holds": [], "target": ROLE + "underskoterska"}, timeout=10)
    assert gap.status_code == 200 and gap.json()["plan"]


@pytest.mark.parametrize("name, text", [
    ("nested groups", "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000),
    ("nested OPTIONALs", "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 4000 + "}" * 4001),
    ("nested expressions", "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 50_000 + "1" + ")" * 50_000 + ") }"),
    ("nested subqueries", "SELECT * WHERE " + "{ SELECT * WHERE " * 3000 + "{ ?s ?p ?o }" + "}" * 3000),
])
def test_deep_nesting_is_refused_before_it_reaches_the_engine(base: str, name: str, text: str) -> None:
    reply = query(base, text)
    assert reply.status_code == 400, (name, reply.text[:200])
    body = reply.json()
    assert body["error"] == "bad_request" and f"at most {MAX_NESTING}" in body["message"]
    still_serving(base)


@pytest.mark.parametrize("name, text", [
    ("a UNION chain", "SELECT * WHERE { " + "{ ?s ?p ?o } UNION " * 20_000 + "{ ?s ?p ?o } }"),
    ("a path alternative", "SELECT * WHERE { ?s " + "|".join(["<urn:x:p>"] * 20_000) + " ?o }"),
    ("a negation chain", "SELECT * WHERE { FILTER(" + "!" * 50_000 + "true) }"),
    ("an arithmetic chain", "SELECT * WHERE { BIND(1" + " + 1" * 20_000 + " AS ?n) }"),
])
def test_long_operator_chains_are_refused(base: str, name: str, text: str) -> None:
    reply = query(base, text)
    assert reply.status_code == 400, (name, reply.text[:200])
    assert f"at most {MAX_OPERATORS}" in reply.json()["message"]
    still_serving(base)


def test_limits_leave_ordinary_large_queries_alone(base: str) -> None:
    """Typed literals, comparisons and a few hundred UNIONs are far from the limits."""
    values = " ".join(f'"{i}"^^<http://www.w3.org/2001/XMLSchema#integer>' for i in range(3000))
    unions = " UNION ".join(f"{{ BIND({i} AS ?n) }}" for i in range(300))
    reply = query(base, f"SELECT (COUNT(*) AS ?c) WHERE {{ {{ VALUES ?v {{ {values} }} FILTER(?v != -1) }} "
                        f"UNION {unions} }}")
    assert reply.status_code == 200, reply.text[:300]
    assert reply.json()["results"]["bindings"][0]["c"]["value"] == "3300"


def test_an_oversized_body_is_refused_with_413(base: str) -> None:
    values = " ".join(f"<urn:x:{i:07d}>" for i in range(100_000))  # ≈ 1.5 MB
    reply = query(base, f"SELECT * WHERE {{ VALUES ?x {{ {values} }} ?x ?p ?o }}")
    assert reply.status_code == 413
    assert reply.json()["error"] == "payload_too_large" and "1048576 bytes" in reply.json()["message"]
    # the same without a Content-Length header (chunked): the cap applies while reading
    chunks = (part.encode() for part in ["query=SELECT+*+WHERE+%7B+VALUES+%3Fx+%7B+", values, "+%7D+%7D"])
    streamed = httpx.post(base + "/sparql", content=chunks, timeout=60,
                          headers={**JSON, "Content-Type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    still_serving(base)


def test_a_huge_values_block_within_the_limit_is_answered_in_time(base: str) -> None:
    values = " ".join(f"<{ROLE}r{i}>" for i in range(20_000)) + f" <{ROLE}drifttekniker>"
    started = time.monotonic()
    reply = httpx.post(base + "/sparql", content=f"SELECT DISTINCT ?x WHERE {{ VALUES ?x {{ {values} }} ?x a ?type }}",
                       headers={**JSON, "Content-Type": "application/sparql-query"}, timeout=60)
    assert time.monotonic() - started < TIMEOUT + 3
    assert reply.status_code == 200
    assert [b["x"]["value"] for b in reply.json()["results"]["bindings"]] == [ROLE + "drifttekniker"]


def test_a_path_over_cycles_from_a_bound_start_is_answered(base: str) -> None:
    """Zero-or-more paths over cycles terminate (set semantics): the ladder closure from one role."""
    reply = query(base, f"SELECT ?r WHERE {{ <{ROLE}drifttekniker> (<https://w3id.org/mikromerit/ns#nextRole>"
                        f"|^<https://w3id.org/mikromerit/ns#nextRole>)* ?r }} ORDER BY ?r")
    assert reply.status_code == 200
    reached = {b["r"]["value"].removeprefix(ROLE) for b in reply.json()["results"]["bindings"]}
    assert {"drifttekniker", "vakthavande-drifttekniker"} <= reached and "underskoterska" not in reached


@pytest.mark.parametrize("text", [CARTESIAN, CYCLIC_CLOSURE])
def test_runaway_queries_are_stopped_while_others_are_served(base: str, text: str) -> None:
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        runaway = pool.submit(query, base, text)
        time.sleep(0.3)
        while not runaway.done():  # everyone else is served while it runs
            still_serving(base)
            gap_started = time.monotonic()
            assert httpx.get(base + "/api/ladder", params={"from": ROLE + "drifttekniker",
                                                            "to": ROLE + "vakthavande-drifttekniker"}).status_code == 200
            assert time.monotonic() - gap_started < 1.0
        reply = runaway.result()
    assert time.monotonic() - started < TIMEOUT + 2.5
    assert reply.status_code == 503 and f"{TIMEOUT:g} s limit" in reply.json()["message"]
    still_serving(base)


def test_an_update_too_deep_is_refused_and_the_server_survives(base: str) -> None:
    """Updates run in the server process itself: a stack overflow there would take it down."""
    update = "INSERT { <urn:x:a> <urn:x:b> <urn:x:c> } WHERE " + "{" * 5000 + "}" * 5000
    reply = httpx.post(base + "/sparql", data={"update": update}, timeout=30,
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 400 and f"at most {MAX_NESTING}" in reply.json()["message"]
    assert query(base, "ASK { <urn:x:a> ?p ?o }").json()["boolean"] is False
    still_serving(base)
