"""The HTTP API through the real app (TestClient) over small catalogues: contract JSON, labels, 4xx bodies."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from graph_service.api import create_app, deps
from graph_service.api.deps import accepts_gzip
from graph_service.api.health import Health
from graph_service.loading import open_graph
from graph_service.schemas import (ConceptSummary, CredentialSummary, GapAnswer, LadderAnswer, ReachableAnswer,
                                   ResourceView)
from graph_service.settings import Settings

MINI = "http://example.org/mini/"


@pytest.fixture
def client(data_dir: Path) -> TestClient:
    """The app over the vocabularies and tests/data/mini-catalogue.ttl."""
    path = data_dir / "mini-catalogue.ttl"
    return TestClient(create_app(Settings(data=(path,)), open_graph([path])))


def test_gap_answers_the_contract_json(client: TestClient) -> None:
    reply = client.post("/api/gap", json={"holds": [MINI + "cred1"], "target": MINI + "senior"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["target"] == MINI + "senior"
    assert body["missing"] == [MINI + "c2", MINI + "c3"]
    assert body["unbridgeable"] == []
    assert [s["credential"] for s in body["plan"]] == [MINI + "cred2", MINI + "cred3"]
    first = body["plan"][0]
    assert first == {"credential": MINI + "cred2", "label": "Fördjupningskurs", "workloadHours": 20.0,
                     "covers": [MINI + "c2"], "prerequisites": [MINI + "cred1"]}
    assert body["totalWorkloadHours"] == 28.0 and body["optimal"] is True
    assert body["held"] == [MINI + "c1"]


def test_gap_from_nothing_plans_the_prerequisite_first(client: TestClient) -> None:
    body = client.post("/api/gap", json={"target": MINI + "senior"}).json()
    assert [s["credential"] for s in body["plan"]] == [MINI + "cred1", MINI + "cred2", MINI + "cred3"]
    assert body["totalWorkloadHours"] == 38.0


@pytest.mark.parametrize("header,query,expected", [
    (None, "", "Fördjupningskurs"),
    ("en-GB,en;q=0.9", "", "Advanced course"),
    ("de, en;q=0.5, sv;q=0.8", "", "Fördjupningskurs"),
    ("sv", "?lang=en", "Advanced course"),
])
def test_labels_follow_accept_language(client: TestClient, header, query, expected) -> None:
    headers = {"Accept-Language": header} if header else {}
    body = client.post("/api/gap" + query, json={"holds": [MINI + "cred1"], "target": MINI + "senior"},
                       headers=headers).json()
    assert body["plan"][0]["label"] == expected
    assert body["labels"][MINI + "cred2"] == expected


_LABELLED = [("post", "/api/gap", {"json": {"target": MINI + "senior"}}),
             ("get", "/api/ladder", {"params": {"from": MINI + "junior", "to": MINI + "senior"}}),
             ("get", "/api/ladder/reachable", {"params": {"from": MINI + "junior"}}),
             ("get", "/api/coverage", {}), ("get", "/api/credentials", {}), ("get", "/api/roles", {}),
             ("get", "/api/competences", {}), ("get", "/api/resource", {"params": {"iri": MINI + "cred1"}})]


@pytest.mark.parametrize("method,path,ask", _LABELLED)
def test_every_labelled_route_takes_lang_and_refuses_another(client: TestClient, method, path, ask) -> None:
    params = ask.get("params", {})
    english = client.request(method, path, **{**ask, "params": {**params, "lang": "en"}},
                             headers={"Accept-Language": "sv"})
    assert english.status_code == 200
    german = client.request(method, path, **{**ask, "params": {**params, "lang": "de"}})
    assert german.status_code == 422
    assert german.json()["field"] == "lang" and german.json()["value"] == "de"
    operation = client.get("/openapi.json").json()["paths"][path][method]
    (lang,) = [p for p in operation["parameters"] if p["name"] == "lang"]
    assert lang["in"] == "query" and not lang.get("required", False)


@pytest.mark.parametrize("payload,field,value", [
    ({"holds": [], "target": MINI + "nobody"}, "target", MINI + "nobody"),
    ({"holds": [], "target": MINI + "cred1"}, "target", MINI + "cred1"),
    ({"holds": [MINI + "ghost"], "target": MINI + "senior"}, "holds", MINI + "ghost"),
    ({"holds": [], "target": ""}, "target", ""),
    ({"holds": "not-a-list", "target": MINI + "senior"}, "holds", "not-a-list"),
    ({"holds": []}, "target", None),
])
def test_bad_gap_input_is_a_422_naming_field_and_value(client: TestClient, payload, field, value) -> None:
    reply = client.post("/api/gap", json=payload)
    assert reply.status_code == 422
    body = reply.json()
    assert body["field"] == field and body["value"] == value and body["message"]


def test_malformed_json_is_a_400(client: TestClient) -> None:
    reply = client.post("/api/gap", content=b'{"holds": [', headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert reply.json()["error"] == "malformed_json"


def test_ladder_with_plan_per_step(client: TestClient) -> None:
    reply = client.get("/api/ladder", params={"from": MINI + "junior", "to": MINI + "senior"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["from"] == MINI + "junior" and body["roles"] == [MINI + "junior", MINI + "senior"]
    (step,) = body["steps"]
    assert step["newlyRequired"] == [MINI + "c2", MINI + "c3"]
    assert [s["credential"] for s in step["gap"]["plan"]] == [MINI + "cred1", MINI + "cred2", MINI + "cred3"]
    assert body["totalWorkloadHours"] == 38.0


def test_ladder_holds_are_taken_into_account(client: TestClient) -> None:
    body = client.get("/api/ladder", params={"from": MINI + "junior", "to": MINI + "senior",
                                             "holds": [MINI + "cred1"]}).json()
    assert body["totalWorkloadHours"] == 28.0


def test_no_ladder_is_a_404_and_a_credential_end_a_422(client: TestClient) -> None:
    reply = client.get("/api/ladder", params={"from": MINI + "senior", "to": MINI + "junior"})
    assert reply.status_code == 404
    assert reply.json()["error"] == "no_ladder" and reply.json()["value"] == MINI + "junior"
    reply = client.get("/api/ladder", params={"from": MINI + "cred1", "to": MINI + "senior"})
    assert reply.status_code == 422 and reply.json()["field"] == "from"
    reply = client.get("/api/ladder", params={"to": MINI + "senior"})
    assert reply.status_code == 422 and reply.json()["field"] == "from"


def test_reachable_roles(client: TestClient) -> None:
    body = client.get("/api/ladder/reachable", params={"from": MINI + "junior"}).json()
    assert body == {"from": MINI + "junior", "roles": [MINI + "senior"],
                    "labels": {MINI + "junior": "Junior", MINI + "senior": "Senior"}}


def test_coverage_counts_role_requirements(client: TestClient) -> None:
    body = client.get("/api/coverage").json()
    senior = next(r for r in body["roles"] if r["role"] == MINI + "senior")
    assert senior["covered"] == 3 and senior["total"] == 3 and senior["share"] == 1.0
    cells = {c["iri"]: c["credentials"] for c in senior["requirements"]}
    assert cells == {MINI + "c1": [MINI + "cred1"], MINI + "c2": [MINI + "cred2"], MINI + "c3": [MINI + "cred3"]}
    assert body["uncovered"] == [] or all(not c["credentials"] for c in body["uncovered"])


def test_coverage_is_gzipped_only_for_clients_that_accept_it(client: TestClient) -> None:
    plain = client.get("/api/coverage", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding, Accept-Language"
    packed = client.get("/api/coverage", headers={"Accept-Encoding": "br;q=1.0, gzip;q=0.5"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json()  # the client decodes it: the same answer, fewer bytes
    refused = client.get("/api/coverage", headers={"Accept-Encoding": "gzip;q=0, *"})
    assert "content-encoding" not in refused.headers and refused.json() == plain.json()
    english = client.get("/api/coverage", headers={"Accept-Encoding": "*", "Accept-Language": "en"})
    assert english.headers["content-encoding"] == "gzip"
    labels = {c["iri"]: c["label"] for role in english.json()["roles"] for c in role["requirements"]}
    assert labels[MINI + "c2"] == "Advanced"


def test_accept_encoding_parsing() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("deflate, GZIP ; q = 0.3") and accepts_gzip("x-gzip")
    assert accepts_gzip("*") and accepts_gzip("br, *;q=0.1")
    assert not accepts_gzip(None) and not accepts_gzip("") and not accepts_gzip("identity, br")
    assert not accepts_gzip("gzip;q=0") and not accepts_gzip("*, gzip;q=0.0") and not accepts_gzip("gzip;q=zero")


def test_browse_credentials_with_filters(client: TestClient) -> None:
    every = client.get("/api/credentials").json()
    assert [c["iri"] for c in every] == [MINI + "cred1", MINI + "cred2", MINI + "cred3"]
    level4 = client.get("/api/credentials", params={"eqf": "eqf:4"}).json()
    assert [c["iri"] for c in level4] == [MINI + "cred2", MINI + "cred3"]
    found = client.get("/api/credentials", params={"q": "leadership"}).json()
    assert [c["iri"] for c in found] == [MINI + "cred3"]
    assert found[0]["workloadHours"] == 8.0 and found[0]["teaches"] == [MINI + "c3"]


def test_a_credential_with_no_facet_is_listed_and_planned_with(data_dir: Path, tmp_path: Path) -> None:
    """Typed and labelled, nothing more: browsing lists it and the records hold it at 0 hours."""
    (tmp_path / "bare.ttl").write_text(f"""@prefix mm: <https://w3id.org/mikromerit/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{MINI}bare> a mm:MicroCredential ; skos:prefLabel "Utan fasetter"@sv .
""")
    client = TestClient(create_app(Settings(), open_graph([data_dir / "mini-catalogue.ttl", tmp_path / "bare.ttl"])))
    every = client.get("/api/credentials").json()
    assert [c["iri"] for c in every] == [MINI + "bare", MINI + "cred1", MINI + "cred2", MINI + "cred3"]
    assert every[0] == {**every[0], "label": "Utan fasetter", "workloadHours": None, "teaches": [], "sector": []}
    gap = client.post("/api/gap", json={"holds": [MINI + "bare"], "target": MINI + "senior"})
    assert gap.status_code == 200 and gap.json()["held"] == []


def test_browse_roles_competences_and_one_resource(client: TestClient) -> None:
    roles = {r["iri"]: r for r in client.get("/api/roles").json()}
    assert roles[MINI + "junior"]["links"]["nextRole"] == [MINI + "senior"]
    assert roles[MINI + "senior"]["links"]["previousRole"] == [MINI + "junior"]
    competences = {c["iri"]: c for c in client.get("/api/competences", headers={"Accept-Language": "en"}).json()}
    assert competences[MINI + "c2"]["label"] == "Advanced"
    assert competences[MINI + "c2"]["links"] == {"taughtBy": [MINI + "cred2"], "requiredBy": [MINI + "senior"]}
    view = client.get("/api/resource", params={"iri": MINI + "cred2"}).json()
    assert view["label"] == "Fördjupningskurs"
    assert {(s["direction"], s["property"].rsplit("#", 1)[-1], s["value"]) for s in view["statements"]} >= {
        ("out", "prerequisite", MINI + "cred1"), ("out", "teaches", MINI + "c2")}
    missing = client.get("/api/resource", params={"iri": MINI + "nothing"})
    assert missing.status_code == 404 and missing.json()["value"] == MINI + "nothing"


@pytest.mark.parametrize("method, path, kwargs, model", [
    ("POST", "/api/gap", {"json": {"holds": [MINI + "cred1"], "target": MINI + "senior"}}, GapAnswer),
    ("GET", "/api/ladder", {"params": {"from": MINI + "junior", "to": MINI + "senior"}}, LadderAnswer),
    ("GET", "/api/ladder/reachable", {"params": {"from": MINI + "junior"}}, ReachableAnswer),
    ("GET", "/api/resource", {"params": {"iri": MINI + "cred2"}}, ResourceView),
    ("GET", "/api/credentials", {}, list[CredentialSummary]),
    ("GET", "/api/roles", {}, list[ConceptSummary]),
    ("GET", "/health", {}, Health),
])
def test_answers_serialised_by_the_route_are_exactly_their_response_model(client: TestClient, method, path,
                                                                         kwargs, model) -> None:
    """Routes send their answers as bytes (one thread-pool hop): the JSON is still the declared model, by alias."""
    reply = client.request(method, path, **kwargs)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    adapter = TypeAdapter(model)
    assert reply.json() and adapter.dump_python(adapter.validate_json(reply.content), mode="json",
                                                by_alias=True) == reply.json()


def test_plans_run_one_at_a_time_and_never_hold_up_a_lookup(data_dir: Path, monkeypatch) -> None:
    """Gaps queue in the planning lane; a lookup in the reading lane answers while they run."""
    path = data_dir / "mini-catalogue.ttl"
    app = create_app(Settings(data=(path,)), open_graph([path]))
    service, real_gap = app.state.service, app.state.service.gap
    running, most = 0, 0

    def slow_gap(*args, **kwargs):
        nonlocal running, most
        running += 1
        most = max(most, running)
        time.sleep(0.4)  # a plan that takes a while
        running -= 1
        return real_gap(*args, **kwargs)

    monkeypatch.setattr(service, "gap", slow_gap)

    async def ask() -> list[tuple[httpx.Response, float]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            async def timed(request) -> tuple[httpx.Response, float]:
                start = time.monotonic()
                reply = await request
                return reply, time.monotonic() - start
            body = {"holds": [MINI + "cred1"], "target": MINI + "senior"}
            plans = [timed(client.post("/api/gap", json=body)) for _ in range(3)]
            await asyncio.sleep(0)
            return await asyncio.gather(*plans, timed(client.get("/api/resource", params={"iri": MINI + "cred2"})))

    answers = asyncio.run(ask())
    assert [reply.status_code for reply, _ in answers] == [200, 200, 200, 200]
    assert answers[0][0].json()["missing"] == [MINI + "c2", MINI + "c3"]
    assert most == 1 and max(seconds for _, seconds in answers[:3]) >= 1.2
    assert answers[3][1] < 0.4


def test_a_lane_hands_back_results_and_errors_and_skips_requests_given_up() -> None:
    """A lane runs calls in turn on its thread; a call whose request was cancelled while queued never runs."""
    lane, ran = deps._Lane("test"), []
    gate = threading.Event()

    def call(name: str, wait: bool = False) -> str:
        if wait:
            gate.wait(5)
        ran.append(name)
        if name == "bad":
            raise ValueError("bad input")
        return name.upper()

    async def scenario() -> None:
        first = asyncio.ensure_future(lane.run(functools.partial(call, "first", wait=True)))
        given_up = asyncio.ensure_future(lane.run(functools.partial(call, "given up")))
        failing = asyncio.ensure_future(lane.run(functools.partial(call, "bad")))
        await asyncio.sleep(0.05)
        given_up.cancel()
        gate.set()
        assert await first == "FIRST"
        with pytest.raises(ValueError, match="bad input"):
            await failing
        assert given_up.cancelled()

    asyncio.run(scenario())
    assert ran == ["first", "bad"]


def test_every_route_is_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/gap", "/api/ladder", "/api/ladder/reachable", "/api/coverage", "/api/credentials",
                  "/api/roles", "/api/competences", "/api/resource", "/health"):
        assert route in paths, route
    assert client.get("/docs").status_code == 200


def test_core_vocabulary_catalogue_is_planned(data_dir: Path) -> None:
    path = data_dir / "core-only.ttl"
    client = TestClient(create_app(Settings(data=(path,)), open_graph([path])))
    body = client.post("/api/gap", json={"target": "http://example.org/core/welder"}).json()
    assert [s["credential"] for s in body["plan"]] == ["http://example.org/core/migcourse",
                                                       "http://example.org/core/tigcourse"]
    assert body["totalWorkloadHours"] == 40.0


# Regressions found by fuzzing the OpenAPI schema (tests/test_fuzz_api.py).

def test_resource_with_a_non_iri_is_a_422_not_a_500(client: TestClient) -> None:
    reply = client.get("/api/resource", params={"iri": "0"})
    assert reply.status_code == 422
    assert reply.json()["field"] == "iri" and reply.json()["value"] == "0"
    assert client.get("/api/resource", params={"iri": MINI + "cred1"}).json()["label"] == "Grundkurs"


def test_credential_page_with_a_code_no_iri_may_hold_is_a_404_not_a_500(client: TestClient) -> None:
    assert client.get("/credential/%22").status_code == 404


def test_wrong_method_lists_every_allowed_method_in_a_json_error(client: TestClient) -> None:
    reply = client.request("OPTIONS", "/sparql")
    assert reply.status_code == 405 and reply.headers["allow"] == "GET, POST"
    assert reply.json()["error"] == "method_not_allowed"
    reply = client.patch("/graph-store", params={"default": ""})
    assert reply.headers["allow"] == "GET, HEAD, POST, PUT, DELETE"
    reply = client.get("/no/such/route")
    assert reply.status_code == 404 and reply.json()["error"] == "not_found"


def test_head_graph_store_declares_its_errors(client: TestClient) -> None:
    assert client.head("/graph-store", params={"graph": "not an iri"}).status_code == 400
    declared = client.get("/openapi.json").json()["paths"]["/graph-store"]["head"]["responses"]
    assert {"200", "400", "404", "406"} <= set(declared)


def test_operation_ids_are_unique(client: TestClient) -> None:
    ids = [operation["operationId"] for methods in client.get("/openapi.json").json()["paths"].values()
           for operation in methods.values()]
    assert len(ids) == len(set(ids))


def test_catalogue_query_errors_match_the_declared_422(client: TestClient) -> None:
    reply = client.post("/api/catalogues", params={"dryRun": "maybe"}, content=b"credential_id\n",
                        headers={"Content-Type": "text/csv"})
    assert reply.status_code == 422 and reply.json()["field"] == "dryRun"
    declared = client.get("/openapi.json").json()["paths"]["/api/catalogues"]["post"]["responses"]["422"]
    refs = [s["$ref"] for s in declared["content"]["application/json"]["schema"]["anyOf"]]
    assert refs == ["#/components/schemas/ImportRefusal", "#/components/schemas/ErrorBody"]


def test_write_routes_declare_their_request_bodies(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    catalogue = paths["/api/catalogues"]["post"]["requestBody"]["content"]
    assert {"text/csv", "multipart/form-data"} <= set(catalogue)
    graph = paths["/graph-store"]["put"]["requestBody"]["content"]
    assert graph["text/turtle"]["schema"] == {"type": "string"}
    assert graph["application/ld+json"]["schema"] == {}  # any JSON: expansion drops a top-level scalar


def test_a_graph_iri_shows_none_of_the_services_bookkeeping() -> None:
    """The records of which file filled which graph (paths, digests) are the service's own, not data."""
    store = open_graph()
    client = TestClient(create_app(Settings(), store))
    graph = store.sources()[0].graph
    assert client.get("/api/resource", params={"iri": graph}).status_code == 404
