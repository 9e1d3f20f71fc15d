"""planner.py: the contract's gap semantics, exact optimisation, ladders; no store involved."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.model import Catalogue, Credential
from graph_service.planner import (NoLadderError, PlanningInputError, _study_order, gap, ladder, prerequisite_cycles,
                                   reachable_roles, unattainable_credentials)
from records import catalogue, cred, role


def plan_of(result) -> list[str]:
    return [s.credential for s in result.plan]


# --- traps a greedy planner falls into -------------------------------------------------------

def test_one_big_credential_beats_several_small_only_when_cheaper() -> None:
    cat = catalogue([cred("big", 10, "a b c"), cred("s1", 4, "a"), cred("s2", 4, "b"), cred("s3", 4, "c")],
                    [role("R", "a b c")])
    result = gap(cat, [], "R")
    assert plan_of(result) == ["big"] and result.total_workload_hours == 10 and result.optimal
    cheaper = catalogue([cred("big", 13, "a b c"), cred("s1", 4, "a"), cred("s2", 4, "b"), cred("s3", 4, "c")],
                        [role("R", "a b c")])
    assert plan_of(gap(cheaper, [], "R")) == ["s1", "s2", "s3"]


def test_a_cheap_credential_with_an_expensive_prerequisite_chain_loses() -> None:
    cat = catalogue([cred("cheap", 1, "a", "p1"), cred("p1", 20, "", "p2"), cred("p2", 20),
                     cred("direct", 15, "a")], [role("R", "a")])
    assert plan_of(gap(cat, [], "R")) == ["direct"]
    # ... unless the chain is already held, then the cheap one wins
    assert plan_of(gap(cat, ["p1"], "R")) == ["cheap"]


def test_greedy_ratio_trap_set_cover() -> None:
    # greedy by cost per new competence takes "wide" (5/4 per item) then needs two more (2+2): 9 hours;
    # the optimum is the two halves: 6 hours.
    cat = catalogue([cred("wide", 5, "a b c d"), cred("left", 3, "a b e"), cred("right", 3, "c d f"),
                     cred("e-only", 2, "e"), cred("f-only", 2, "f")], [role("R", "a b c d e f")])
    result = gap(cat, [], "R")
    assert plan_of(result) == ["left", "right"] and result.total_workload_hours == 6


def test_a_prerequisite_cycle_makes_its_competences_unbridgeable_with_the_reason() -> None:
    cat = catalogue([cred("x", 5, "a", "y"), cred("y", 5, "b", "x"), cred("z", 5, "c")], [role("R", "a b c")])
    result = gap(cat, [], "R")
    assert result.unbridgeable == ("a", "b")
    assert "prerequisite cycle <x> → <y> → <x>" in result.unbridgeable_reasons["a"]
    assert plan_of(result) == ["z"]
    assert prerequisite_cycles(cat) == [["x", "y"]]
    # holding one credential of the cycle breaks it
    assert plan_of(gap(cat, ["x"], "R")) == ["y", "z"]


def test_unknown_prerequisite_and_untaught_competence_reasons() -> None:
    cat = catalogue([cred("x", 5, "a", "ghost")], [role("R", "a b")])
    result = gap(cat, [], "R")
    assert result.unbridgeable == ("a", "b") and result.plan == ()
    assert "<ghost> is not a credential" in result.unbridgeable_reasons["a"]
    assert result.unbridgeable_reasons["b"] == "no credential in the graph teaches it"
    assert unattainable_credentials(cat) == {"x": "prerequisite <ghost> is not a credential in the graph"}


# --- the contract, point by point -------------------------------------------------------------

def test_held_comes_from_competences_credentials_and_roles() -> None:
    cat = catalogue([cred("c1", 5, "a"), cred("c2", 5, "d")], [role("junior", "b", "R"), role("R", "a b c d")],
                    extra=("c",))
    result = gap(cat, ["c1", "junior", "c"], "R")
    assert result.held_competences == ("a", "b", "c")
    assert result.missing == ("d",) and plan_of(result) == ["c2"]


def test_held_credentials_satisfy_prerequisites_and_are_never_planned() -> None:
    cat = catalogue([cred("base", 10, "a"), cred("adv", 10, "b", "base")], [role("R", "a b")])
    assert plan_of(gap(cat, [], "R")) == ["base", "adv"]
    result = gap(cat, ["base"], "R")
    assert plan_of(result) == ["adv"] and result.plan[0].prerequisites == ("base",)


def test_ties_fewer_credentials_then_iri_order() -> None:
    cat = catalogue([cred("a1", 5, "x"), cred("a2", 5, "y"), cred("both", 10, "x y")], [role("R", "x y")])
    assert plan_of(gap(cat, [], "R")) == ["both"]
    twins = catalogue([cred("m", 5, "x"), cred("k", 5, "x"), cred("z", 5, "x")], [role("R", "x")])
    assert plan_of(gap(twins, [], "R")) == ["k"]


def test_study_order_puts_prerequisites_first_then_iri_order() -> None:
    cat = catalogue([cred("a-top", 1, "t", "m-mid"), cred("m-mid", 1, "", "z-base"), cred("z-base", 1),
                     cred("b-free", 1, "f")], [role("R", "t f")])
    assert plan_of(gap(cat, [], "R")) == ["b-free", "z-base", "m-mid", "a-top"]


def test_covers_lists_only_missing_competences() -> None:
    cat = catalogue([cred("c", 3, "a b")], [role("R", "a b")])
    assert gap(cat, [], "R").plan[0].covers == ("a", "b")
    held_b = catalogue([cred("c", 3, "a b"), cred("d", 1, "b")], [role("R", "a b")])
    assert gap(held_b, ["d"], "R").plan[0].covers == ("a",)


def test_nothing_missing_gives_an_empty_optimal_plan() -> None:
    cat = catalogue([cred("c", 3, "a")], [role("R", "a")])
    result = gap(cat, ["a"], "R")
    assert result.missing == () and result.plan == () and result.optimal and result.total_workload_hours == 0


@pytest.mark.parametrize("holds,target,field,fragment", [
    ([], "nowhere", "target", "not in the graph"),
    ([], "c", "target", "is a credential, not a role"),
    ([], "", "target", "not empty"),
    (["ghost"], "R", "holds", "unknown IRI"),
])
def test_bad_input_names_the_field_and_value(holds, target, field, fragment) -> None:
    cat = catalogue([cred("c", 3, "a")], [role("R", "a")])
    with pytest.raises(PlanningInputError) as caught:
        gap(cat, holds, target)
    assert caught.value.field == field and fragment in str(caught.value)
    assert caught.value.value == (holds[0] if holds else target)


def test_a_time_limit_that_stops_the_solver_says_not_optimal() -> None:
    creds = [cred(f"c{i:02}", 10 + (i * 7) % 13, " ".join(f"k{(i * j) % 40}" for j in range(1, 6)))
             for i in range(60)]
    cat = catalogue(creds, [role("R", " ".join(f"k{i}" for i in range(40)))])
    quick = gap(cat, [], "R", time_limit=0.0)
    full = gap(cat, [], "R", time_limit=30)
    assert full.optimal
    assert quick.total_workload_hours >= full.total_workload_hours
    covered = {c for s in quick.plan for c in s.covers} | set(quick.unbridgeable)
    assert covered == set(quick.missing)


def test_taught_by_lists_each_competences_teachers_in_iri_order() -> None:
    cat = catalogue([cred("z", 1, "a b"), cred("m", 1, "a"), cred("k", 1)], [role("R", "a b c")])
    assert cat.taught_by == {"a": ("m", "z"), "b": ("z",)}


# --- ladders ------------------------------------------------------------------------------------

def ladder_catalogue() -> Catalogue:
    return catalogue(
        [cred("c-a", 5, "a"), cred("c-b", 8, "b"), cred("c-c", 10, "c", "c-b")],
        [role("r1", "a", "r2 r2b"), role("r2", "a b", "r3"), role("r2b", "a", "r3"), role("r3", "a b c"),
         role("island", "a")])


def test_ladder_takes_the_shortest_chain_iri_smallest_among_equals() -> None:
    result = ladder(ladder_catalogue(), "r1", "r3")
    assert result.roles == ("r1", "r2", "r3")
    first, second = result.steps
    assert first.role == "r2" and first.newly_required == ("b",) and plan_of(first.gap) == ["c-b"]
    # the second step is bridged from everything held before it: c-b is held, so only c-c
    assert second.newly_required == ("c",) and plan_of(second.gap) == ["c-c"]


def test_ladder_without_chain_and_reachable_roles() -> None:
    cat = ladder_catalogue()
    with pytest.raises(NoLadderError) as caught:
        ladder(cat, "r3", "r1")
    assert caught.value.field == "to" and "no chain" in str(caught.value)
    assert reachable_roles(cat, "r1") == ["r2", "r2b", "r3"]
    assert reachable_roles(cat, "island") == []
    with pytest.raises(PlanningInputError):
        ladder(cat, "c-a", "r3")


# --- property test: the planner agrees with brute force on small random catalogues --------------

@st.composite
def instances(draw):
    """A random small catalogue (≤ 9 credentials, prerequisites only to earlier ones, maybe a cycle)."""
    n = draw(st.integers(1, 9))
    competences = [f"k{i}" for i in range(draw(st.integers(1, 6)))]
    creds = []
    for i in range(n):
        teaches = draw(st.sets(st.sampled_from(competences), max_size=3))
        earlier = [f"c{j}" for j in range(i)]
        prereqs = draw(st.sets(st.sampled_from(earlier), max_size=2)) if earlier else set()
        hours = draw(st.integers(0, 12))
        creds.append(Credential(f"c{i}", float(hours), frozenset(teaches), frozenset(prereqs)))
    if n >= 2 and draw(st.booleans()):
        first = creds[0]
        creds[0] = Credential(first.iri, first.workload_hours, first.teaches, first.prerequisites | {f"c{n - 1}"})
    requires = draw(st.sets(st.sampled_from(competences), min_size=1))
    holds = draw(st.lists(st.sampled_from([c.iri for c in creds] + competences), max_size=3, unique=True))
    return catalogue(creds, [role("R", " ".join(sorted(requires)))], extra=tuple(competences)), holds


def can_be_taken(cat: Catalogue, subset: tuple[str, ...], held: set[str]) -> bool:
    """Whether the subset can be studied in some order, each credential after its prerequisites."""
    done, todo = set(held), set(subset)
    while todo:
        ready = {s for s in todo if cat.credentials[s].prerequisites <= done}
        if not ready:
            return False
        done, todo = done | ready, todo - ready
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_planner_matches_brute_force(instance) -> None:
    cat, holds = instance
    result = gap(cat, holds, "R")
    assert result.optimal
    # validity: covers the bridgeable missing, closed, ordered, disjoint from what is held
    plan = plan_of(result)
    held_creds = {h for h in holds if h in cat.credentials}
    assert not set(plan) & held_creds
    taught = {c for s in plan for c in cat.credentials[s].teaches}
    assert set(result.missing) - set(result.unbridgeable) <= taught
    for position, iri in enumerate(plan):
        for p in cat.credentials[iri].prerequisites:
            assert p in held_creds or p in plan[:position]
    # optimality with the contract's tie-break, against every subset that covers the same bridgeable set
    needed = set(result.missing) - set(result.unbridgeable)
    options = sorted(set(cat.credentials) - held_creds)
    best = None
    for size in range(len(options) + 1):
        for subset in itertools.combinations(options, size):
            if not needed <= {c for s in subset for c in cat.credentials[s].teaches}:
                continue
            if not can_be_taken(cat, subset, held_creds):
                continue
            key = (round(sum(cat.credentials[s].workload_hours for s in subset), 6), size, sorted(subset))
            best = key if best is None or key < best else best
    assert best is not None
    assert (round(result.total_workload_hours, 6), len(plan), sorted(plan)) == best
    # unbridgeable is exactly what no valid set can teach
    reachable = set()
    for size in range(len(options) + 1):
        for subset in itertools.combinations(options, size):
            if can_be_taken(cat, subset, held_creds):
                reachable |= {c for s in subset for c in cat.credentials[s].teaches}
    assert set(result.unbridgeable) == set(result.missing) - reachable


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30),
                        st.permutations(range(n)))))
def test_study_order_is_the_iri_smallest_topological_order(shape) -> None:
    """Prerequisites first, otherwise by IRI: exactly networkx's lexicographical topological sort."""
    n, pairs, shuffled = shape
    names = [f"urn:c:{i:02d}" for i in range(n)]
    edges = {(names[min(a, b)], names[max(a, b)]) for a, b in pairs if a != b}  # earlier index first: acyclic
    credentials = {iri: Credential(iri, 1.0, frozenset({iri + "#t"}),
                                   frozenset(p for p, c in edges if c == iri)) for iri in names}
    chosen = [names[i] for i in shuffled]
    steps = _study_order(Catalogue(credentials=credentials), chosen, {iri + "#t" for iri in names})
    graph = nx.DiGraph(edges)
    graph.add_nodes_from(names)
    assert [s.credential for s in steps] == list(nx.lexicographical_topological_sort(graph))
    assert all(s.covers == (s.credential + "#t",) for s in steps)
