"""queries/: every named query parses, documents itself, and binds parameters as terms."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from graph_service.loading import open_graph
from graph_service.queries import Param, QueryError, get_query, named_queries, to_term

MINI = "http://example.org/mini/"


@pytest.fixture
def mini(data_dir: Path):
    return open_graph([data_dir / "mini-catalogue.ttl"])


def iris(rows, var: str) -> list[str]:
    return [r[var].value for r in rows if var in r]


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_runs_and_has_a_header(mini, name: str) -> None:
    query = named_queries()[name]
    assert query.description, f"{name}.rq needs a first comment line saying what it answers"
    mini.query(query.text)
    projected = query.text.split("WHERE")[0]
    for param in query.params:
        assert f"?{param.name}" in projected, f"{name}: parameter ?{param.name} must be projected"


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_no_named_query_uses_filter_not_exists(name: str) -> None:
    assert "NOT EXISTS" not in named_queries()[name].text.upper()


def test_credentials_by_eqf_level_binds_a_prefixed_name(mini) -> None:
    query = named_queries()["credentials-by-eqf-level"]
    rows = mini.select(query.text, query.bind({"level": "eqf:4"}))
    assert iris(rows, "credential") == [MINI + "cred2", MINI + "cred3"]


def test_credential_facets_keep_to_credentials_bound_or_not(mini) -> None:
    """The credentials come from a subquery: a bound one reaches it, and a non-credential's facets stay out."""
    query = named_queries()["credential-facets"]
    every = mini.select(query.text)
    assert sorted(set(iris(every, "credential"))) == [MINI + "cred1", MINI + "cred2", MINI + "cred3"]
    cred2 = mini.select(query.text, query.bind({"credential": f"<{MINI}cred2>"}))
    facets = {r["facet"].value.split("#")[1]: r["value"].value for r in cred2}
    assert len(cred2) == 4 and float(facets.pop("workloadHours")) == 20.0
    assert facets == {"eqfLevel": "http://data.europa.eu/snb/eqf/4", "prerequisite": MINI + "cred1",
                      "teaches": MINI + "c2"}
    sfi_d = "https://w3id.org/mikromerit/id/sfi/D"  # has mm:seqfLevel, is no credential
    assert mini.select(query.text, query.bind({"credential": sfi_d})) == []


def test_role_requirement_credentials(mini) -> None:
    query = named_queries()["role-requirement-credentials"]
    rows = mini.select(query.text, query.bind({"role": f"<{MINI}senior>"}))
    assert sorted(zip(iris(rows, "competence"), iris(rows, "credential"))) == [
        (MINI + "c1", MINI + "cred1"), (MINI + "c2", MINI + "cred2"), (MINI + "c3", MINI + "cred3")]


def test_ladder_roles(mini) -> None:
    rows = mini.select(named_queries()["ladder-roles"].text)
    assert [(r["role"].value, r["nextRole"].value) for r in rows] == [(MINI + "junior", MINI + "senior")]


def test_uncovered_requirements_uses_minus(mini, data_dir: Path) -> None:
    store = open_graph([data_dir / "mini-catalogue.ttl", data_dir / "core-only.ttl"])
    rows = store.select(named_queries()["uncovered-requirements"].text)
    assert rows == []
    store.update("DELETE WHERE { GRAPH ?g { <http://example.org/core/tigcourse> ?p ?o } }")
    rows = store.select(named_queries()["uncovered-requirements"].text)
    assert iris(rows, "competence") == ["http://example.org/core/tig"]


def test_unknown_parameter_and_bad_values_are_clear_errors() -> None:
    query = named_queries()["credentials-by-eqf-level"]
    with pytest.raises(QueryError, match="has no parameter 'lvl'.*level"):
        query.bind({"lvl": "eqf:4"})
    with pytest.raises(QueryError, match="is not an IRI"):
        query.bind({"level": "not an iri"})


def test_hostile_parameter_values_never_reach_the_query_text(mini) -> None:
    query = named_queries()["labels"]
    with pytest.raises(QueryError, match="is not an IRI"):
        query.bind({"resource": "http://example.org/x> } ; DROP ALL ; #"})
    term = to_term(Param("q", "string", ""), '" } ; DROP ALL ; #')
    assert isinstance(term, ox.Literal) and term.value == '" } ; DROP ALL ; #'
    assert mini.select("SELECT ?s ?q WHERE { ?s ?p ?q }", {"q": term}) == []
    assert len(mini.select("SELECT * WHERE { ?s ?p ?o }")) > 0


def test_get_query_by_file_and_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.rq"
    path.write_text("# Count triples.\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n")
    assert get_query(str(path)).description == "Count triples."
    with pytest.raises(QueryError, match="neither a named query nor a file"):
        get_query("no-such-query")


def test_violation_checks_are_marked() -> None:
    checks = {n for n, q in named_queries().items() if q.is_check}
    assert {"outcome-dimension-missing-violation", "care-credential-unmapped-violation"} <= checks


COVERAGE_TTL = """@prefix mm: <https://w3id.org/mikromerit/ns#> .
@prefix ex: <http://example.org/cov/> .
ex:d1 a mm:LifeArea . ex:d2 a mm:LifeArea . ex:d3 a mm:LifeArea .
ex:goals a mm:CarePlanSection . ex:followUp a mm:CarePlanSection .
ex:direct a mm:MicroCredential ; mm:lifeArea ex:d1 ; mm:carePlanSection ex:goals .
ex:viaOutcome a mm:MicroCredential ; mm:learningOutcome ex:o1 .
ex:o1 mm:lifeArea ex:d2 ; mm:carePlanSection ex:goals .
ex:notACredential mm:lifeArea ex:d3 ; mm:carePlanSection ex:followUp .
"""


@pytest.mark.parametrize(("name", "var"), [("life-area-coverage", "lifeArea"), ("care-plan-section-coverage", "section")])
def test_coverage_queries_find_credentials_directly_and_through_outcomes(tmp_path: Path, name: str, var: str) -> None:
    """Each concept lists the credentials that name it or one of their outcomes; a concept no credential
    covers is still listed (credential unbound), and something not typed mm:MicroCredential never counts."""
    (tmp_path / "cov.ttl").write_text(COVERAGE_TTL, encoding="utf-8")
    rows = open_graph([tmp_path / "cov.ttl"]).select(named_queries()[name].text)
    found = {(r[var].value.rsplit("/", 1)[1], r["credential"].value.rsplit("/", 1)[1] if "credential" in r else None)
             for r in rows if r[var].value.startswith("http://example.org/cov/")}  # not the bundled IBIC areas
    expected = {"life-area-coverage": {("d1", "direct"), ("d2", "viaOutcome"), ("d3", None)},
                "care-plan-section-coverage": {("goals", "direct"), ("goals", "viaOutcome"), ("followUp", None)}}
    assert found == expected[name]
