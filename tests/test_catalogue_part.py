"""A gap read from its part of the graph (`catalogue.read_part`) answers as one read from the whole records.

`Service.gap` uses the part until the whole records are read (after start-up and every write),
so the two must never differ: not in the plan, the reasons, the errors, nor the labels.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service import catalogue, planner
from graph_service.catalogue import load_catalogue, read_part
from graph_service.namespaces import MM, RDF
from graph_service.service import Service
from graph_service.store import Store

EX = "https://example.org/part/"
SKOS_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
GRAPH = EX + "graph"


def node(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def mm(name: str) -> ox.NamedNode:
    return ox.NamedNode(MM + name)


@st.composite
def graphs(draw) -> tuple[list[ox.Triple], list[str], str]:
    """A random small catalogue as triples, with the oddities the planner must explain, and a question.

    Credentials typed or not, prerequisites on cycles or unknown, workloads missing, doubled
    or not numbers; roles typed or only used; competences typed or only used; labels in
    sv, en, another language or none. Holds and target may be of any kind, or unknown.
    """
    triples: list[ox.Triple] = []
    competences = [f"k{i}" for i in range(draw(st.integers(1, 5)))]
    credentials = [f"c{i}" for i in range(draw(st.integers(1, 8)))]
    roles = [f"r{i}" for i in range(draw(st.integers(1, 4)))]
    rarely = st.integers(0, 5).map(lambda n: n == 0)
    for k in competences:
        if draw(st.booleans()):
            triples.append(ox.Triple(node(k), ox.NamedNode(RDF + "type"), mm("Competence")))
    for i, c in enumerate(credentials):
        if not draw(rarely):  # now and then a resource that teaches but is no credential
            triples.append(ox.Triple(node(c), ox.NamedNode(RDF + "type"), mm("MicroCredential")))
        for k in draw(st.sets(st.sampled_from([*competences, "side", "side"]), min_size=1, max_size=2)):
            triples.append(ox.Triple(node(c), mm("teaches"), node(k)))  # "side": no role requires it
        earlier = credentials[max(0, i - 2):i]  # long chains; rarely a cycle, an unknown prerequisite or a role
        prerequisites = draw(st.sets(st.sampled_from(earlier), max_size=2)) if earlier else set()
        if draw(rarely):
            prerequisites.add(draw(st.sampled_from([*credentials, "unknown", roles[0]])))
        for p in prerequisites:
            triples.append(ox.Triple(node(c), mm("prerequisite"), node(p)))
        for hours in draw(st.lists(st.sampled_from(["0", "3", "7.5", "12", "n/a"]), max_size=2)):
            triples.append(ox.Triple(node(c), mm("workloadHours"), ox.Literal(hours)))
    for r in roles:
        if not draw(rarely):
            triples.append(ox.Triple(node(r), ox.NamedNode(RDF + "type"), mm("Role")))
        for k in draw(st.sets(st.sampled_from(competences), min_size=1 if r == "r0" else 0, max_size=2)):
            triples.append(ox.Triple(node(r), mm("requiresCompetence"), node(k)))
        for n in draw(st.sets(st.sampled_from(roles), max_size=2)):
            triples.append(ox.Triple(node(r), mm("nextRole"), node(n)))
    for name in [*competences, *credentials, *roles]:
        for lang in draw(st.sets(st.sampled_from(["sv", "en", "de"]), max_size=2)):
            triples.append(ox.Triple(node(name), SKOS_LABEL, ox.Literal(f"{name} {lang}", language=lang)))
    known = [*competences, *credentials, *roles]
    holds = draw(st.lists(st.sampled_from([*known * 3, "unknown"]), max_size=3, unique=True))
    target = draw(st.sampled_from(["r0", "r0", "r0", "r1", *known, "unknown"]))
    return triples, [EX + h for h in holds], EX + target


def outcome(answer) -> object:
    """A gap's result, or the error it raised (type and message), to compare the two ways."""
    try:
        return answer()
    except planner.PlanningInputError as err:
        return type(err).__name__, err.field, str(err)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.sampled_from(["sv", "en"]))
def test_a_gap_on_its_part_answers_as_on_the_whole_records(question, lang: str) -> None:
    triples, holds, target = question
    store = Store()
    store.add_triples(GRAPH, triples)
    part = read_part(store, [target], holds)
    assert part is not None
    whole = load_catalogue(store)
    # its records are the whole's, closed under prerequisites, with every teacher of what the target requires
    assert all(whole.credentials[iri] == c for iri, c in part.credentials.items())
    assert all(whole.roles[iri] == r for iri, r in part.roles.items())
    assert all((p in part.credentials) == (p in whole.credentials)
               for c in part.credentials.values() for p in c.prerequisites)
    required = whole.roles[target].requires if target in whole.roles else frozenset()
    assert all(t in part.credentials for k in required for t in whole.taught_by.get(k, ()))
    assert outcome(lambda: planner.gap(part, holds, target)) == outcome(lambda: planner.gap(whole, holds, target))
    # and through the service, labels and all: one that has read nothing yet, one that has read everything
    cold, warm = Service(store), Service(store)
    warm.catalogue()
    warm.labels(lang)
    assert outcome(lambda: cold.gap(holds, target, lang)) == outcome(lambda: warm.gap(holds, target, lang))
    assert "records" not in cold._cache and "labels" not in cold._cache


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.data())
def test_a_ladder_on_its_part_answers_as_on_the_whole_records(question, data) -> None:
    """Beside the random edges a ladder r0 → r1 → r2 → r3, so that most questions have a chain."""
    triples, holds, _ = question
    triples = [*triples, *(ox.Triple(node(f"r{i}"), mm("nextRole"), node(f"r{i + 1}")) for i in range(3))]
    ends = st.sampled_from([EX + name for name in ("r0", "r1", "r2", "r3", "r0", "r1", "k0", "c0", "unknown")])
    source, to = data.draw(ends), data.draw(ends)
    store = Store()
    store.add_triples(GRAPH, triples)
    cold, warm = Service(store), Service(store)
    warm.catalogue()
    assert outcome(lambda: cold.ladder(source, to, holds, "en")) == outcome(lambda: warm.ladder(source, to, holds, "en"))


PILOT_GAPS = [
    ([], "role/vakthavande-drifttekniker"),
    (["role/drifttekniker"], "role/vakthavande-drifttekniker"),
    (["role/vardbitrade"], "role/underskoterska"),
    (["credential/vk-01", "credential/vk-02"], "role/underskoterska"),
]


@pytest.mark.parametrize("holds, target", PILOT_GAPS)
def test_pilot_gaps_answer_before_the_records_are_read_as_after(pilot_store: Store, holds: list[str],
                                                                target: str) -> None:
    base = "https://w3id.org/mikromerit/id/"
    holds, target = [base + h for h in holds], base + target
    cold = Service(pilot_store)
    first = cold.gap(holds, target, "sv")
    assert "records" not in cold._cache and "labels" not in cold._cache, "the gap read the whole graph"
    assert first.plan and first.labels[target]
    warm = Service(pilot_store)
    warm.catalogue()
    assert first == warm.gap(holds, target, "sv")


@pytest.mark.parametrize("source, to", [("drifttekniker", "vakthavande-drifttekniker"),
                                        ("vardbitrade", "underskoterska")])
def test_pilot_ladders_answer_before_the_records_are_read_as_after(pilot_store: Store, source: str, to: str) -> None:
    source, to = "https://w3id.org/mikromerit/id/role/" + source, "https://w3id.org/mikromerit/id/role/" + to
    cold = Service(pilot_store)
    first = cold.ladder(source, to, [], "sv")
    assert "records" not in cold._cache and "labels" not in cold._cache, "the ladder read the whole graph"
    assert first.steps and first.labels[to]
    warm = Service(pilot_store)
    warm.catalogue()
    assert first == warm.ladder(source, to, [], "sv")


def test_a_blank_node_credential_falls_back_to_the_whole_records(empty_store: Store) -> None:
    """A blank node cannot be bound as a parameter: the part is not read, the whole records are."""
    credential = ox.BlankNode("cred")
    empty_store.add_triples(GRAPH, [
        ox.Triple(credential, ox.NamedNode(RDF + "type"), mm("MicroCredential")),
        ox.Triple(credential, mm("teaches"), node("k")),
        ox.Triple(credential, mm("workloadHours"), ox.Literal("4")),
        ox.Triple(node("r"), mm("requiresCompetence"), node("k")),
    ])
    assert read_part(empty_store, [EX + "r"], []) is None
    service = Service(empty_store)
    answer = service.gap([], EX + "r", "en")
    assert [step.workloadHours for step in answer.plan] == [4.0] and answer.plan[0].credential.startswith("_:")
    assert "records" in service._cache


def test_a_part_too_big_to_read_resource_by_resource_falls_back_to_the_whole_records(
        empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resource by resource, a role requiring thousands of competences would take longer than the whole read."""
    empty_store.add_triples(GRAPH, [triple for k in range(12) for triple in (
        ox.Triple(node(f"c{k}"), ox.NamedNode(RDF + "type"), mm("MicroCredential")),
        ox.Triple(node(f"c{k}"), mm("teaches"), node(f"k{k}")),
        ox.Triple(node("r"), mm("requiresCompetence"), node(f"k{k}")))])
    expected = Service(empty_store).gap([], EX + "r", "en")
    assert len(expected.plan) == 12
    monkeypatch.setattr(catalogue, "PART_MOST", 10)
    assert read_part(empty_store, [EX + "r"], []) is None
    service = Service(empty_store)
    assert service.gap([], EX + "r", "en") == expected and "records" in service._cache


def test_a_long_prerequisite_chain_is_followed_to_its_start(empty_store: Store) -> None:
    """1 500 credentials each needing the one before: deeper than Python's recursion limit."""
    length = 1_500
    triples = [ox.Triple(node("r"), mm("requiresCompetence"), node("k"))]
    for n in range(length):
        triples += [ox.Triple(node(f"c{n}"), ox.NamedNode(RDF + "type"), mm("MicroCredential")),
                    ox.Triple(node(f"c{n}"), mm("workloadHours"), ox.Literal("1"))]
        if n:
            triples.append(ox.Triple(node(f"c{n}"), mm("prerequisite"), node(f"c{n - 1}")))
    triples.append(ox.Triple(node(f"c{length - 1}"), mm("teaches"), node("k")))
    empty_store.add_triples(GRAPH, triples)
    part = read_part(empty_store, [EX + "r"], [])
    assert part is not None and len(part.credentials) == length
    assert planner.gap(part, [], EX + "r").total_workload_hours == length
