"""The SPARQL editor page (/sparql-editor) through the real app: examples, preloading, vendored assets."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api import create_app
from graph_service.pages import sparql_editor
from graph_service.queries import named_queries
from graph_service.settings import Settings
from graph_service.store import Store

HOSTILE = """# A query whose text tries to break out of the page.
SELECT ?x WHERE { BIND("</textarea><script>alert(1)</script>" AS ?x) }
"""


@pytest.fixture
def client(pilot_store: Store) -> TestClient:
    """The service app over the pilot catalogue (create_app includes the page router)."""
    return TestClient(create_app(Settings(), pilot_store))


def textarea(html: str) -> str:
    """The query the page preloads (the textarea YASGUI reads), unescaped."""
    match = re.search(r'<textarea id="query-text"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "the page has no query textarea"
    return unescape(match[1])


def test_page_renders_in_swedish_and_lists_every_named_query(client: TestClient) -> None:
    reply = client.get("/sparql-editor")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in reply.text and "<h1>SPARQL-redigerare</h1>" in reply.text
    listed = re.findall(r'<li data-name="([^"]+)"><a href="([^"]+)"', reply.text)
    assert [name for name, _ in listed] == list(named_queries())
    for name, href in listed:
        assert unescape(href) == f"/sparql-editor?example={name}&lang=sv"
    assert 'href="/sparql-editor?lang=sv" aria-current="page"' in reply.text  # the nav link


def test_english_on_request(client: TestClient) -> None:
    reply = client.get("/sparql-editor", params={"lang": "en"})
    assert '<html lang="en">' in reply.text and "<h1>SPARQL editor</h1>" in reply.text


def test_example_preloads_the_query_text(client: TestClient) -> None:
    reply = client.get("/sparql-editor", params={"example": "catalogue-roles"})
    assert reply.status_code == 200
    assert textarea(reply.text) == named_queries()["catalogue-roles"].text
    assert "&lt;https://w3id.org/mikromerit/ns#&gt;" in reply.text  # IRIs are escaped, not markup
    assert 'aria-current="page"><code>catalogue-roles</code>' in reply.text


def test_example_text_is_escaped_safely(client: TestClient, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hostile.rq").write_text(HOSTILE, encoding="utf-8")
    monkeypatch.setattr(sparql_editor, "named_queries", lambda: named_queries(tmp_path))
    reply = client.get("/sparql-editor", params={"example": "hostile"})
    assert "<script>alert(1)" not in reply.text and "</textarea><script>" not in reply.text
    assert textarea(reply.text) == HOSTILE


def test_unknown_example_is_a_404_page(client: TestClient) -> None:
    reply = client.get("/sparql-editor", params={"example": "no-such-query", "lang": "en"})
    assert reply.status_code == 404 and "There is no example query called “no-such-query”." in reply.text


def test_vendored_assets_are_linked_and_served(client: TestClient) -> None:
    if not sparql_editor.assets_built():
        pytest.skip("run make assets first")
    html = client.get("/sparql-editor").text
    assert '<script src="/static/vendor/yasgui/yasgui.min.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/vendor/yasgui/yasgui.min.css">' in html
    assert "assets-missing" not in html and "http://" not in re.sub(r"<textarea.*?</textarea>", "", html, flags=re.S)
    script = client.get("/static/vendor/yasgui/yasgui.min.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/vendor/yasgui/yasgui.min.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/vendor/yasgui/package.json").status_code == 404


def test_page_says_how_to_build_missing_assets(client: TestClient, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparql_editor, "VENDOR", tmp_path)
    reply = client.get("/sparql-editor", params={"lang": "en"})
    assert reply.status_code == 200
    assert "the editor's assets are not built: run make assets" in unescape(reply.text).lower()
    assert "/static/vendor/yasgui/" not in reply.text
    assert '<form class="fallback" id="fallback" method="post" action="/sparql">' in reply.text
    assert "kör make assets" in unescape(client.get("/sparql-editor").text)  # Swedish too


def test_route_is_in_the_openapi_schema_as_html(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/sparql-editor"]["get"]
    assert "text/html" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} == {"example", "lang"}
