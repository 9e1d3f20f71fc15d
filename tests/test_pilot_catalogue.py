"""mappings/: the pilot catalogue is complete, consistent and marked illustrative."""

from __future__ import annotations

import networkx as nx
import pytest

from graph_service.catalogue import load_catalogue
from graph_service.namespaces import MM, MMID
from graph_service.queries import named_queries
from graph_service.resources import pilot_files
from graph_service.validation import validate_files


def credentials(store, code: str) -> list[str]:
    rows = store.select(f"SELECT ?c WHERE {{ ?c a <{MM}MicroCredential> FILTER(STRSTARTS(STR(?c), '{MMID}credential/{code}-')) }}")
    return sorted(r["c"].value for r in rows)


@pytest.mark.parametrize("code,count", [("vk", 23), ("vv", 5), ("ys", 10)])
def test_credential_counts(pilot_store, code: str, count: int) -> None:
    assert len(credentials(pilot_store, code)) == count


def test_no_other_credentials(pilot_store) -> None:
    rows = pilot_store.select(f"SELECT ?c WHERE {{ ?c a <{MM}MicroCredential> }}")
    assert len(rows) == 38


def test_every_credential_has_outcomes_in_all_three_dimensions(pilot_store) -> None:
    assert pilot_store.select(named_queries()["outcome-dimension-missing-violation"].text) == []


def test_every_care_credential_maps_to_life_area_and_plan_section(pilot_store) -> None:
    assert len(credentials(pilot_store, "ys")) == 10
    assert pilot_store.select(named_queries()["care-credential-unmapped-violation"].text) == []


def test_care_credentials_need_80_percent_and_sfi_d(pilot_store) -> None:
    for iri in credentials(pilot_store, "ys"):
        rows = pilot_store.select(f"SELECT ?t ?e WHERE {{ <{iri}> <{MM}passThreshold> ?t ; <{MM}entryLevel> ?e }}")
        assert [(float(r["t"].value), r["e"].value) for r in rows] == [(80.0, f"{MMID}sfi/D")], iri


def test_every_pilot_credential_is_marked_illustrative(pilot_store) -> None:
    rows = pilot_store.select(f"""SELECT ?c WHERE {{ ?c a <{MM}MicroCredential> .
        MINUS {{ ?c <{MM}illustrative> true }} }}""")
    assert rows == []


@pytest.mark.parametrize("start,end", [("drifttekniker", "vakthavande-drifttekniker"), ("vardbitrade", "underskoterska")])
def test_ladders_are_connected(pilot_store, start: str, end: str) -> None:
    catalogue = load_catalogue(pilot_store)
    ladder = nx.DiGraph([(r.iri, n) for r in catalogue.roles.values() for n in r.next_roles])
    assert nx.has_path(ladder, f"{MMID}role/{start}", f"{MMID}role/{end}")


def test_prerequisites_form_no_cycle(pilot_store) -> None:
    catalogue = load_catalogue(pilot_store)
    graph = nx.DiGraph([(p, c.iri) for c in catalogue.credentials.values() for p in c.prerequisites])
    assert nx.is_directed_acyclic_graph(graph)
    assert all(p in catalogue.credentials for c in catalogue.credentials.values() for p in c.prerequisites)


def test_roles_link_to_esco_and_ssyk(pilot_store) -> None:
    rows = pilot_store.select(f"""SELECT ?r ?ssyk WHERE {{ ?r a <{MM}Role> ; <{MM}ssyk> ?ssyk .
        ?r <http://www.w3.org/2004/02/skos/core#exactMatch>|<http://www.w3.org/2004/02/skos/core#closeMatch> ?o
        FILTER(STRSTARTS(STR(?o), "http://data.europa.eu/esco/occupation/")) }}""")
    linked = {r["r"].value.rsplit("/", 1)[1] for r in rows}
    assert {"drifttekniker", "vakthavande-drifttekniker", "vardbitrade", "underskoterska"} <= linked


@pytest.mark.parametrize("path", pilot_files(), ids=lambda p: p.name)
def test_every_shipped_catalogue_file_conforms_strictly(path) -> None:
    report = validate_files([path], mode="strict")
    assert report.conforms, report.text()
    assert report.count("Violation") == 0
