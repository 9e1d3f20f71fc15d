"""Linked data: data IRIs dereference at /id/ with content negotiation; RDF compared as graphs, HTML by structure."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import isomorphic

from graph_service import linked_data as ld
from graph_service.api import create_app
from graph_service.loading import open_graph
from graph_service.namespaces import EQF, MM, MMID, SKOS
from graph_service.resources import resource_dir
from graph_service.settings import Settings
from graph_service.sparql_text import inject_bindings
from graph_service.store import Store

VK01 = MMID + "credential/vk-01"
TAUGHT = MMID + "competence/arbetsmiljo-riskbedomning"
TITLE_SV = "Arbetsmiljö och riskbedömning i vattenkraftanläggningar"
TITLE_EN = "Occupational health and safety and risk assessment in hydropower plants"
MINI = "http://example.org/mini/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def client(pilot_store: Store) -> TestClient:
    """The app over the vocabularies and the pilot catalogue, default linked-data settings."""
    settings = Settings()
    return TestClient(create_app(settings, pilot_store))


@pytest.fixture
def mini_client(data_dir: Path) -> TestClient:
    """The app over tests/data/mini-catalogue.ttl, its IRIs (http://example.org/mini/) served at /mini/."""
    path = data_dir / "mini-catalogue.ttl"
    settings = Settings(data=(path,), linked_data_base=MINI, linked_data_path="/mini/")
    return TestClient(create_app(settings, open_graph([path])))


def _triples(body: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(body, format=fmt)}


def _t(s: str, p: str, o: str | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o if isinstance(o, ox.Literal) else ox.NamedNode(o))


class _Page(HTMLParser):
    """What a test needs of an HTML page: its language, title, headings, links and alternates."""

    def __init__(self, text: str):
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.h1 = ""
        self.links: list[str] = []
        self.alternates: dict[str, str] = {}
        self.ids: set[str] = set()
        self.column_headers = 0
        self._open: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "link" and a.get("rel") == "alternate":
            self.alternates[a.get("type") or ""] = a.get("href") or ""
        elif tag == "th" and a.get("scope") == "col":
            self.column_headers += 1
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag in ("title", "h1"):
            self._open = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open == "title":
            self.title += data
        elif self._open == "h1":
            self.h1 += data


def _store_triples(store: Store, sparql: str) -> set[ox.Triple]:
    rows = store.select(sparql, {"r": ox.NamedNode(VK01)})
    return {ox.Triple(row["s"], row["p"], row["o"]) for row in rows}


def test_turtle_holds_the_description_incoming_links_and_neighbour_labels(client: TestClient,
                                                                          pilot_store: Store) -> None:
    reply = client.get("/id/credential/vk-01", headers={"Accept": "text/turtle"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/turtle; charset=utf-8"
    assert reply.headers["vary"] == "Accept, Accept-Language"
    assert '</id/credential/vk-01?format=jsonld>; rel="alternate"; type="application/ld+json"' in reply.headers["link"]
    got = _triples(reply.content, ox.RdfFormat.TURTLE)
    outgoing = _store_triples(pilot_store, "SELECT ?r ?s ?p ?o WHERE { ?r ?p ?o BIND(?r AS ?s) }")
    incoming = _store_triples(pilot_store, "SELECT ?r ?s ?p ?o WHERE { ?s ?p ?r BIND(?r AS ?o) }")
    assert {t for t in got if t.subject == ox.NamedNode(VK01)} == outgoing
    assert {t for t in got if t.object == ox.NamedNode(VK01)} == incoming
    assert _t(VK01, MM + "eqfLevel", EQF + "3") in got
    assert _t(VK01, MM + "teaches", TAUGHT) in got
    assert _t(MMID + "credential/vk-04", MM + "prerequisite", VK01) in got
    assert _t(TAUGHT, SKOS + "prefLabel", ox.Literal(TITLE_SV, language="sv")) in got
    assert _t(TAUGHT, SKOS + "prefLabel", ox.Literal(TITLE_EN, language="en")) in got
    assert _t(EQF + "3", SKOS + "prefLabel", ox.Literal("Nivå 3", language="sv")) in got
    vk04_sv = ox.Literal("Brandskydd och heta arbeten", language="sv")
    assert _t(MMID + "credential/vk-04", SKOS + "prefLabel", vk04_sv) in got
    assert not {t for t in got if t.subject == ox.NamedNode(TAUGHT) and t.predicate != ox.NamedNode(SKOS + "prefLabel")}


@pytest.mark.parametrize(("media", "fmt"), [("application/ld+json", ox.RdfFormat.JSON_LD),
                                            ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                            ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_every_rdf_format_gives_the_same_graph_as_turtle(client: TestClient, media: str, fmt: ox.RdfFormat) -> None:
    turtle = _triples(client.get("/id/credential/vk-01", headers={"Accept": "text/turtle"}).content,
                      ox.RdfFormat.TURTLE)
    reply = client.get("/id/credential/vk-01", headers={"Accept": media})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith(media)
    assert _triples(reply.content, fmt) == turtle


def test_html_has_the_swedish_title_and_links_to_neighbours_on_this_server(client: TestClient) -> None:
    reply = client.get("/id/credential/vk-01", headers={"Accept": BROWSER})
    assert reply.status_code == 200 and reply.headers["content-type"] == "text/html; charset=utf-8"
    page = _Page(reply.text)
    assert page.lang == "sv" and page.title == TITLE_SV and page.h1 == TITLE_SV
    assert "/id/competence/arbetsmiljo-riskbedomning" in page.links
    assert "/id/credential/vk-04" in page.links  # an incoming link
    assert "/ns#teaches" in page.links and EQF + "3" in page.links
    assert page.alternates == {"text/turtle": "/id/credential/vk-01?format=ttl",
                               "application/ld+json": "/id/credential/vk-01?format=jsonld",
                               "application/n-triples": "/id/credential/vk-01?format=nt",
                               "application/rdf+xml": "/id/credential/vk-01?format=rdf"}
    assert page.column_headers == 4  # properties and incoming links both have header rows
    assert "Brandskydd och heta arbeten" in reply.text and "Länkar hit" in reply.text


@pytest.mark.parametrize("ask", [{"headers": {"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.9,sv;q=0.5"}},
                                 {"headers": {"Accept": "text/html"}, "params": {"lang": "en"}}])
def test_english_labels_by_accept_language_or_lang(client: TestClient, ask: dict) -> None:
    page = _Page(client.get("/id/credential/vk-01", **ask).text)
    assert page.lang == "en" and page.title == TITLE_EN


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/html;q=0.5, application/ld+json;q=0.9, text/turtle;q=0.1", "application/ld+json"),
    ("application/rdf+xml;q=0.2, application/n-triples", "application/n-triples"),
    ("*/*;q=0.1, text/html", "text/html"),
    (BROWSER, "text/html"),
    ("*/*", "text/turtle"),
    ("text/*", "text/turtle"),
    ("application/json", "application/ld+json"),
])
def test_accept_q_values_pick_the_highest(client: TestClient, accept: str, expected: str) -> None:
    reply = client.get("/id/credential/vk-01", headers={"Accept": accept})
    assert reply.status_code == 200 and reply.headers["content-type"].split(";")[0] == expected


def test_no_accept_header_gives_turtle() -> None:
    assert ld.negotiate_format(None) == "ttl" and ld.negotiate_format("") == "ttl"


def test_format_parameter_overrides_accept(client: TestClient) -> None:
    reply = client.get("/id/credential/vk-01?format=nt", headers={"Accept": "text/html"})
    assert reply.headers["content-type"].startswith("application/n-triples")
    assert ox.Triple(ox.NamedNode(VK01), ox.NamedNode(MM + "eqfLevel"), ox.NamedNode(EQF + "3")) in \
        _triples(reply.content, ox.RdfFormat.N_TRIPLES)
    page = client.get("/id/credential/vk-01?format=html", headers={"Accept": "text/turtle"})
    assert _Page(page.text).title == TITLE_SV
    bad = client.get("/id/credential/vk-01?format=png")
    assert bad.status_code == 422 and bad.json()["field"] == "format"


def test_concept_scheme_at_its_bare_path(client: TestClient) -> None:
    got = _triples(client.get("/id/ibic?format=ttl").content, ox.RdfFormat.TURTLE)
    assert _t(MMID + "ibic", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", SKOS + "ConceptScheme") in got
    assert _t(MMID + "ibic/d5", SKOS + "inScheme", MMID + "ibic") in got
    assert _Page(client.get("/id/ibic", headers={"Accept": "text/html"}).text).title.startswith("IBIC")


def test_unknown_iri_is_404_with_an_error_body(client: TestClient) -> None:
    reply = client.get("/id/credential/no-such-thing")
    assert reply.status_code == 404 and reply.headers["vary"] == "Accept, Accept-Language"
    body = reply.json()
    assert body["error"] == "not_found" and body["field"] == "iri"
    assert body["value"] == MMID + "credential/no-such-thing" and "/api/credentials" in body["message"]
    page = client.get("/id/credential/no-such-thing", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert _Page(page.text).h1 == "Hittades inte" and "no-such-thing" in page.text


def test_unacceptable_accept_is_406_listing_the_types(client: TestClient) -> None:
    reply = client.get("/id/credential/vk-01", headers={"Accept": "image/png"})
    assert reply.status_code == 406
    body = reply.json()
    assert body["error"] == "not_acceptable" and body["field"] == "accept" and body["value"] == "image/png"
    for media in ld.MEDIA_TYPES.values():
        assert media in body["message"]
    assert client.get("/ns", headers={"Accept": "image/png"}).status_code == 406


def test_custom_base_maps_to_a_custom_path(mini_client: TestClient) -> None:
    got = _triples(mini_client.get("/mini/cred1", headers={"Accept": "text/turtle"}).content, ox.RdfFormat.TURTLE)
    assert _t(MINI + "cred1", MM + "teaches", MINI + "c1") in got
    assert _t(MINI + "cred2", MM + "prerequisite", MINI + "cred1") in got
    assert _t(MINI + "c1", SKOS + "prefLabel", ox.Literal("Basics", language="en")) in got
    page = _Page(mini_client.get("/mini/cred1", headers={"Accept": "text/html", "Accept-Language": "en"}).text)
    assert page.title == "Basic course"
    assert {"/mini/c1", "/mini/cred2", "/mini/org"} <= set(page.links)
    assert mini_client.get("/mini/nothing").status_code == 404


def test_the_ontology_at_ns(client: TestClient) -> None:
    core = (resource_dir("ontology") / "core.ttl").read_bytes()
    turtle = client.get("/ns", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.content == core
    jsonld = client.get("/ns?format=jsonld")
    assert _triples(jsonld.content, ox.RdfFormat.JSON_LD) == _triples(core, ox.RdfFormat.TURTLE)
    page = _Page(client.get("/ns", headers={"Accept": "text/html"}).text)
    assert {"MicroCredential", "teaches", "eqfLevel"} <= page.ids
    assert page.title.startswith("Mikromerit")


def test_blank_nodes_are_followed_only_through_blank_nodes(tmp_path: Path) -> None:
    data = tmp_path / "blank.ttl"
    data.write_text("@prefix ex: <http://example.org/> .\n"
                    "ex:a ex:p [ ex:q [ ex:r \"deep\" ] ; ex:s ex:b ] .\n"
                    "ex:b ex:t [ ex:u \"not about a\" ] .\n"
                    "ex:c ex:link ex:a .\n", encoding="utf-8")
    store = Store()
    store.load_file(data)
    description = ld.describe(store, "http://example.org/a")
    assert description is not None
    expected = Graph().parse(data="@prefix ex: <http://example.org/> .\n"
                                  "ex:a ex:p [ ex:q [ ex:r \"deep\" ] ; ex:s ex:b ] .\n"
                                  "ex:c ex:link ex:a .\n", format="turtle")
    got = Graph().parse(data=ld.serialize(description.triples, "nt").decode(), format="nt")
    assert isomorphic(got, expected)
    assert ld.describe(store, "http://example.org/nothing") is None
    assert ld.describe(store, "not an iri") is None


class _ValuesBound:
    """A store that binds parameters as a VALUES block, as graph_service.remote does for an external endpoint."""

    def __init__(self, store: Store):
        self.store = store

    def select(self, sparql: str, bindings: dict | None = None) -> list[dict]:
        return self.store.select(inject_bindings(sparql, bindings or {}))


def test_describe_gives_the_same_answer_over_an_external_endpoint(pilot_store: Store) -> None:
    local = ld.describe(pilot_store, VK01)
    remote = ld.describe(_ValuesBound(pilot_store), VK01)
    assert local is not None and remote is not None
    assert set(local.triples) == set(remote.triples)


def test_html_escapes_literals_and_links_only_http_iris(tmp_path: Path) -> None:
    data = tmp_path / "hostile.ttl"
    data.write_text("<http://example.org/a> <http://example.org/note> \"<script>alert(1)</script>\" ;\n"
                    "  <http://example.org/see> <javascript:alert(1)> .\n", encoding="utf-8")
    store = Store()
    store.load_file(data)
    description = ld.describe(store, "http://example.org/a")
    assert description is not None
    text = ld.render_html(description, "sv", ld.Linker("http://example.org/", "/x/"), "/x/a")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "javascript:" not in _Page(text).links


def test_every_route_is_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/id/{local}", "/ns"):
        responses = paths[path]["get"]["responses"]
        assert set(responses["200"]["content"]) == set(ld.MEDIA_TYPES.values())
        assert "application/json" in responses["406"]["content"]
    assert "text/html" in paths["/id/{local}"]["get"]["responses"]["404"]["content"]


def test_head_answers_like_get_without_a_body(pilot_store) -> None:
    """Linked-data clients probe IRIs with HEAD before fetching them."""
    from fastapi.testclient import TestClient

    from graph_service.api import create_app
    from graph_service.settings import Settings

    http = TestClient(create_app(Settings(), pilot_store))
    reply = http.head("/id/credential/vk-01", headers={"Accept": "text/turtle"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/turtle")
    assert reply.content == b""
    assert http.head("/id/credential/nothing").status_code == 404
