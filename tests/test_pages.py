"""The HTML pages through the real app (TestClient): path finder, gap explorer, credential pages.

What a page shows is checked against the JSON API of the same app, read from the data-*
attributes the templates put on plan rows and heat-map cells.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graph_service.api import create_app
from graph_service.loading import open_graph
from graph_service.settings import Settings
from graph_service.store import Store

ID = "https://w3id.org/mikromerit/id/"
START, GOAL = ID + "role/drifttekniker", ID + "role/vakthavande-drifttekniker"
PLAN = "/?holds=role:drifttekniker&target=role:vakthavande-drifttekniker"
CORE = "http://example.org/core/"
UNCOVERED = f"""@prefix mm: <https://w3id.org/mikromerit/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{CORE}welder> mm:requiresCompetence <{CORE}inspection> .
<{CORE}inspection> a mm:Competence ; skos:prefLabel "Svetsinspektion"@sv, "Weld inspection"@en .
"""


def pages_app(store: Store) -> FastAPI:
    """The service app (create_app registers the page routes)."""
    return create_app(Settings(), store)


@pytest.fixture
def client(pilot_store: Store) -> TestClient:
    """The pages over the pilot catalogue."""
    return TestClient(pages_app(pilot_store))


@pytest.fixture
def small(data_dir: Path, tmp_path: Path) -> TestClient:
    """The pages over tests/data/core-only.ttl plus a competence the welder needs and nothing teaches."""
    extra = tmp_path / "uncovered.ttl"
    extra.write_text(UNCOVERED, encoding="utf-8")
    return TestClient(pages_app(open_graph([data_dir / "core-only.ttl", extra])))


def attributes(html: str, name: str) -> list[str]:
    """Every value of a data attribute, in document order."""
    return [unescape(v) for v in re.findall(rf'{name}="([^"]*)"', html)]


def plan_shown(html: str) -> tuple[list[str], list[str], float]:
    """The plan on a page: credential IRIs and labels in order, and the total hours."""
    rows = re.findall(r'<tr data-credential="([^"]+)">.*?<th scope="row">(?:<a href="[^"]*">)?([^<]+)<', html, re.S)
    (total,) = re.findall(r'id="plan-total" data-hours="([^"]+)"', html)
    return [unescape(iri) for iri, _ in rows], [unescape(label) for _, label in rows], float(total)


def empty_cells(html: str) -> set[tuple[str, str]]:
    """(row, column) IRIs of the empty cells of the roles × competences heat map."""
    start = html.index('id="role-heat"')
    table = html[start:html.index("</table>", start)]
    cells = re.findall(r'data-empty="true" data-row="([^"]+)" data-col="([^"]+)"', table)
    return {(unescape(row), unescape(col)) for row, col in cells}


def uncovered_pairs(coverage: dict) -> set[tuple[str, str]]:
    """(competence, role) pairs GET /api/coverage says no credential covers."""
    return {(cell["iri"], role["role"]) for role in coverage["roles"] for cell in role["requirements"]
            if not cell["credentials"]}


# --- path finder ----------------------------------------------------------------------------

def test_path_finder_shows_the_api_plan(client: TestClient) -> None:
    page = client.get(PLAN)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    expected = client.post("/api/gap", json={"holds": [START], "target": GOAL}).json()
    iris, labels, total = plan_shown(page.text)
    assert iris == [step["credential"] for step in expected["plan"]]
    assert labels == [step["label"] for step in expected["plan"]]
    assert total == expected["totalWorkloadHours"] == 416
    assert f'id="missing-count">{len(expected["missing"])}<' in page.text
    assert '<html lang="sv">' in page.text and "Vägvisare" in page.text
    assert 'class="step reached here" data-role="' + START in page.text  # the ladder marks where the person is
    assert 'class="step goal" data-role="' + GOAL in page.text


def test_plan_rows_give_hours_levels_and_links(client: TestClient) -> None:
    page = client.get(PLAN).text
    first = page[page.index('<tr data-credential="' + ID + 'credential/vk-06"'):]
    first = first[:first.index("</tr>")]
    assert 'href="/credential/vk-06?lang=sv"' in first and 'href="/id/credential/vk-06?lang=sv"' in first
    assert 'data-hours="40.0"' in first and "EQF&nbsp;4 · SeQF&nbsp;4" in first
    assert 'href="/id/competence/turbin-generator?lang=sv"' in first
    assert 'href="/id/role/drifttekniker?lang=sv"' in page  # the ladder's steps link to the roles


def test_english_switch_and_accept_language(client: TestClient) -> None:
    sv = client.get(PLAN).text
    switch = unescape(re.search(r'class="switch" href="([^"]+)"', sv).group(1))
    assert "lang=en" in switch and "holds=role" in switch
    english = client.get(switch)
    expected = client.post("/api/gap?lang=en", json={"holds": [START], "target": GOAL}).json()
    assert plan_shown(english.text)[1] == [step["label"] for step in expected["plan"]]
    assert '<html lang="en">' in english.text and "Path finder" in english.text
    assert english.headers["content-language"] == "en"
    by_header = client.get(PLAN, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in by_header.text and plan_shown(by_header.text)[1] == plan_shown(english.text)[1]
    assert '<html lang="sv">' in client.get(PLAN, headers={"Accept-Language": "de"}).text


def test_labels_typed_in_the_form_redirect_to_a_bookmarkable_address(client: TestClient) -> None:
    reply = client.get("/", params=[("holds", "Drifttekniker · roll"), ("holds", ""), ("holds", "first aid and cpr"),
                                    ("target", "role:vakthavande-drifttekniker"), ("lang", "sv")],
                       follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == ("/?holds=role%3Adrifttekniker&holds=competence%3Aforsta-hjalpen-hlr"
                                         "&target=role%3Avakthavande-drifttekniker&lang=sv")
    assert client.get(reply.headers["location"], follow_redirects=False).status_code == 200


def test_part_of_one_label_is_enough_and_several_get_suggestions(client: TestClient) -> None:
    reply = client.get("/", params={"holds": "kopplingsbehörig drift", "lang": "sv"}, follow_redirects=False)
    assert reply.headers["location"] == "/?holds=role%3Akopplingsbehorig-drifttekniker&lang=sv"
    page = client.get("/", params={"holds": "elsäkerhet", "target": "role:validerare"})
    assert page.status_code == 422 and "Menade du:" in page.text
    assert 'href="/?holds=competence%3Aelsakerhet-esa&amp;target=role%3Avaliderare&amp;lang=sv"' in page.text


@pytest.mark.parametrize("query,message", [
    ("?target=role:nope", "Det finns ingen roll ”role:nope” i katalogen"),
    ("?target=credential:vk-01", "är en mikromerit, inte en roll"),
    ("?holds=nothing-like-this&target=role:validerare", "Hittar ingen mikromerit, kompetens eller roll som heter"),
])
def test_bad_input_is_a_readable_422_page(client: TestClient, query: str, message: str) -> None:
    page = client.get("/" + query)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in page.text and message in page.text
    assert 'id="target"' in page.text  # the form is still there to correct the input


def test_bad_input_in_english_and_escaped(client: TestClient) -> None:
    page = client.get("/", params={"holds": "<script>alert(1)</script>", "target": "role:validerare", "lang": "en"})
    assert page.status_code == 422 and "There is no credential, competence or role called" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_unbridgeable_competences_are_said_plainly(small: TestClient) -> None:
    page = small.get("/", params={"target": CORE + "welder"})
    assert page.status_code == 200
    expected = small.post("/api/gap", json={"target": CORE + "welder"}).json()
    assert expected["unbridgeable"] == [CORE + "inspection"]
    assert plan_shown(page.text)[0] == [step["credential"] for step in expected["plan"]]
    section = page.text[page.text.index('id="unbridgeable"'):]
    assert "Svetsinspektion" in section and "Ingen mikromerit i katalogen lär ut den." in section
    english = small.get("/", params={"target": CORE + "welder", "lang": "en"}).text
    assert "No credential in the graph teaches it." in english


def test_start_page_offers_type_ahead_and_examples(client: TestClient) -> None:
    page = client.get("/").text
    assert '<input id="holds-add" name="holds" list="holdables"' in page
    options = attributes(page, "<option value")
    assert "Drifttekniker · roll" in options and "Operations technician (hydropower) · role" in options
    assert '<label for="target">' in page and '<label for="holds-add">' in page
    assert "holds=role%3Adrifttekniker&amp;target=role%3Avaliderare" in page  # an example link


# --- gap explorer --------------------------------------------------------------------------

def test_explorer_empty_cells_match_coverage_on_the_pilot(client: TestClient) -> None:
    page = client.get("/explore").text
    coverage = client.get("/api/coverage").json()
    assert empty_cells(page) == uncovered_pairs(coverage) == set()
    assert coverage["uncovered"] == [] and 'id="uncovered-none"' in page
    assert 'data-count="' in page  # filled cells carry their count
    totals = {cell["iri"]: len(cell["credentials"]) for cell in coverage["lifeAreas"]}
    shown = re.findall(r'data-count="(\d+)" data-row="([^"]+)" data-col="total"', page)
    assert {row: int(n) for n, row in shown} == {iri: n for iri, n in totals.items() if n}


def test_explorer_marks_an_uncovered_requirement(small: TestClient) -> None:
    page = small.get("/explore").text
    coverage = small.get("/api/coverage").json()
    assert empty_cells(page) == uncovered_pairs(coverage) == {(CORE + "inspection", CORE + "welder")}
    listed = re.findall(r'<li data-iri="([^"]+)">', page)
    assert sorted(listed) == sorted(cell["iri"] for cell in coverage["uncovered"])
    cell = re.search(r'<td class="empty" data-empty="true" data-row="' + CORE + 'inspection".*?</td>', page).group(0)
    assert "✕" in cell and "ingen" in cell  # a text marker, not colour alone


def test_explorer_filters_by_sector_and_level(client: TestClient) -> None:
    params = {"sector": "mmid:sector/vard-och-omsorg", "eqf": "eqf:3"}
    page = client.get("/explore", params=params).text
    expected = client.get("/api/credentials", params=params).json()
    assert f'id="selection">{len(expected)} mikromeriter' in page
    roles = attributes(page, 'class="role" data-role')
    assert roles == [ID + "role/vardbitrade", ID + "role/underskoterska"]
    assert 'value="mmid:sector/vard-och-omsorg" selected' in page and 'value="eqf:3" selected' in page


# --- credential pages, schema, assets -------------------------------------------------------

def test_credential_page_links_both_ways(client: TestClient) -> None:
    page = client.get("/credential/vk-12").text
    for heading in ("Kunskaper", "Färdigheter", "Ansvar och självständighet", "EU:s standardelement"):
        assert f">{heading}<" in page
    assert 'href="/credential/vk-11?lang=sv"' in page  # its prerequisite
    assert 'href="/credential/vk-12?lang=sv"' in client.get("/credential/vk-11").text  # and back
    assert 'href="/id/credential/vk-12?lang=sv"' in page and "EQF&nbsp;4" in page
    care = client.get("/credential/ys-10?lang=en").text
    assert "Personal care" in care and "Follow-up" in care and "80\u00a0%" in care


def test_unknown_credential_is_a_404_page(client: TestClient) -> None:
    page = client.get("/credential/nope")
    assert page.status_code == 404 and "nope" in page.text and page.headers["content-type"].startswith("text/html")


def test_pages_are_in_the_openapi_schema_as_html(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/", "/explore", "/credential/{code}"):
        assert "text/html" in paths[path]["get"]["responses"]["200"]["content"], path


def test_pages_need_nothing_from_elsewhere(client: TestClient) -> None:
    for path in ("/", PLAN, "/explore", "/credential/vk-01"):
        html = client.get(path).text
        assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', html), path
    css = client.get("/static/pages.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "@media print" in css.text
    assert client.get("/static/../settings.py").status_code == 404
