"""cover.py: kept lone plans give the same plans as solving the whole problem, whatever was asked before."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service import cover, solver
from graph_service.model import Catalogue, Credential
from graph_service.planner import _blocked_from_nothing, gap, unattainable_credentials
from records import catalogue, cred, role


def one_role(*credentials: Credential, requires: str, extra: tuple[str, ...] = ()) -> Catalogue:
    """A catalogue of `credentials` and one role R requiring `requires`, plus the competences `extra`."""
    return catalogue(list(credentials), [role("R", requires)], extra)


def plan_of(cat: Catalogue, holds: list[str]) -> list[str]:
    """The gap plan's credentials, sorted."""
    return sorted(step.credential for step in gap(cat, holds, "R").plan)


def test_a_held_prerequisite_in_a_kept_plans_reach_is_taken_into_account() -> None:
    # alone, k1 costs 8 h by B; A needs P (5 + 5 h): holding P makes A (5 h) the better plan
    cat = one_role(cred("A", 5, "k1", "P"), cred("B", 8, "k1"), cred("P", 5, "k0"), requires="k1")
    assert plan_of(cat, []) == ["B"]
    assert plan_of(cat, ["P"]) == ["A"]
    assert plan_of(cat, []) == ["B"]


def test_a_teacher_opened_by_a_held_credential_is_taken_into_account() -> None:
    # A needs X, and X and Y need each other: nobody holding nothing can take A; holding X opens it
    cat = one_role(cred("A", 2, "k1", "X"), cred("B", 8, "k1"), cred("X", 1, "k0", "Y"), cred("Y", 1, "k9", "X"),
                    requires="k1")
    assert plan_of(cat, []) == ["B"]
    assert plan_of(cat, ["X"]) == ["A"]


def test_competences_sharing_a_prerequisite_are_solved_together() -> None:
    # alone, k1 and k2 each take a 6-hour credential; together A and B share P: 1 + 1 + 9 = 11 < 12 hours
    cat = one_role(cred("A", 1, "k1", "P"), cred("B", 1, "k2", "P"), cred("C", 6, "k1"), cred("D", 6, "k2"),
                    cred("P", 9, "k0"), requires="k1 k2")
    assert plan_of(one_role(*cat.credentials.values(), requires="k1"), []) == ["C"]
    assert plan_of(cat, []) == ["A", "B", "P"]


def test_kept_plans_are_not_solved_again(monkeypatch: pytest.MonkeyPatch) -> None:
    cat = one_role(cred("A", 3, "k1"), cred("B", 4, "k1"), cred("C", 2, "k2", "D"), cred("D", 1, "k3"),
                    requires="k1 k2")
    first = plan_of(cat, [])
    calls = []
    real = solver.solve
    monkeypatch.setattr(solver, "solve", lambda *args: calls.append(args) or real(*args))
    assert plan_of(cat, []) == first == ["A", "C", "D"]
    assert calls == []
    assert plan_of(cat, ["D"]) == ["A", "C"]  # D held is in k2's reach: solved, not kept
    assert len(calls) == 1


@st.composite
def catalogues(draw) -> tuple[Catalogue, list[list[str]]]:
    """A random catalogue (≤ 10 credentials, prerequisites to earlier ones, maybe a cycle or an unknown one)
    and several things a person might hold, asked one after the other."""
    n = draw(st.integers(1, 10))
    competences = [f"k{i}" for i in range(draw(st.integers(1, 7)))]
    creds = []
    for i in range(n):
        earlier = [f"c{j}" for j in range(i)]
        prereqs = draw(st.sets(st.sampled_from(earlier), max_size=2)) if earlier else set()
        creds.append(Credential(f"c{i}", float(draw(st.sampled_from([0, 1, 2, 3, 5]))),
                                frozenset(draw(st.sets(st.sampled_from(competences), max_size=3))), frozenset(prereqs)))
    if n >= 2 and draw(st.booleans()):
        extra = draw(st.sampled_from([f"c{n - 1}", "unknown"]))
        first = creds[0]
        creds[0] = Credential(first.iri, first.workload_hours, first.teaches, first.prerequisites | {extra})
    cat = one_role(*creds, requires=" ".join(draw(st.sets(st.sampled_from(competences), min_size=1))),
                    extra=tuple(competences))
    holds = draw(st.lists(st.lists(st.sampled_from([c.iri for c in creds] + competences), max_size=3, unique=True),
                          min_size=2, max_size=6))
    return cat, holds


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues())
def test_plans_match_solving_the_whole_problem(instance: tuple[Catalogue, list[list[str]]]) -> None:
    cat, asked = instance
    for holds in asked:
        result = gap(cat, holds, "R")
        held = {h for h in holds if h in cat.credentials}
        blocked = set(unattainable_credentials(cat, held))
        needed = sorted(set(result.missing) - set(result.unbridgeable))
        chosen, optimal = cover.plan(cat, needed, held, blocked, _blocked_from_nothing(cat), 30)
        whole, proven = solver.solve(cover.cover_problem(cat, needed, held, blocked), time.monotonic() + 30)
        assert optimal and proven
        assert sorted(chosen) == sorted(whole) == sorted(step.credential for step in result.plan)
