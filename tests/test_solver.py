"""solver.py and milp.py: the branch and bound agrees with HiGHS, splits independent parts, hands big ones over."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service import milp, solver
from graph_service.solver import CoverProblem, solve


def problem(weights: list[float], teachers: list[list[int]], prerequisites: dict[int, list[int]] | None = None,
            ) -> CoverProblem:
    """A CoverProblem over candidates c00, c01, … (so index order is IRI order)."""
    needs = prerequisites or {}
    return CoverProblem(candidates=tuple(f"c{i:02}" for i in range(len(weights))), weights=tuple(weights),
                        teachers=tuple(tuple(t) for t in teachers),
                        prerequisites=tuple(tuple(needs.get(i, ())) for i in range(len(weights))))


def highs(instance: CoverProblem) -> tuple[list[str], bool]:
    """The answer of the three-stage HiGHS program alone."""
    return milp.Milp(instance).solve(time.monotonic() + 30)


@st.composite
def instances(draw) -> CoverProblem:
    """Up to 16 candidates with few distinct workloads (many ties), prerequisites to earlier ones."""
    n = draw(st.integers(1, 16))
    weights = [float(draw(st.sampled_from([0, 2, 3, 4, 6]))) for _ in range(n)]
    needs = {i: draw(st.lists(st.integers(0, i - 1), max_size=2, unique=True)) for i in range(1, n)}
    teachers = draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True),
                             min_size=1, max_size=8))
    return problem(weights, [sorted(t) for t in teachers], needs)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_branch_and_bound_matches_highs(instance: CoverProblem) -> None:
    chosen, optimal = solve(instance, time.monotonic() + 30)
    expected, proven = highs(instance)
    assert optimal and proven
    assert sorted(chosen) == expected


def test_ties_go_to_fewer_credentials_then_the_smallest_iri_list() -> None:
    # competence 0: c00+c01 (2 credentials, 4 h) or c02 (4 h); competence 1: c03 or c04, both 3 h
    instance = problem([2, 2, 4, 3, 3], [[0, 2], [1, 2], [3, 4]])
    assert sorted(solve(instance, time.monotonic() + 5)[0]) == ["c02", "c03"] == highs(instance)[0]


def test_a_shared_prerequisite_is_paid_once() -> None:
    # c02 and c03 both need c00 (10 h); together 10+1+1 beat the standalone c01 (5 h) + c03 route
    instance = problem([10, 5, 1, 1], [[1, 2], [3]], {2: [0], 3: [0]})
    assert sorted(solve(instance, time.monotonic() + 5)[0]) == ["c00", "c02", "c03"] == highs(instance)[0]


def test_independent_ties_are_solved_part_by_part(monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 competences, each taught by two 5-hour credentials: 2^30 tying plans, one per part
    instance = problem([5.0] * 60, [[2 * k, 2 * k + 1] for k in range(30)])
    monkeypatch.setattr(milp, "Milp", None)  # HiGHS must not be needed
    chosen, optimal = solve(instance, time.monotonic() + 5)
    assert optimal and sorted(chosen) == [f"c{2 * k:02}" for k in range(30)]


def test_a_lone_competence_takes_the_cheapest_closure_without_a_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # c02 (1 h) needs c00 (4 h): 5 h; c03 (2 h) needs c04 (2 h): 4 h, tying c01 (4 h) with one credential more
    instance = problem([4, 4, 1, 2, 2], [[1, 2, 3]], {2: [0], 3: [4]})
    assert highs(instance)[0] == ["c01"]
    monkeypatch.setattr(solver, "_BranchAndBound", None)  # no search for a part of one competence
    assert solve(instance, time.monotonic() + 5) == (["c01"], True)


def test_past_the_node_budget_highs_takes_over(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = problem([3, 3, 4, 1, 2], [[0, 2], [1, 2, 3], [3, 4]], {3: [0]})
    expected = solve(instance, time.monotonic() + 5)
    used, original = [], milp.Milp.solve
    monkeypatch.setattr(solver, "_NODE_BUDGET", 0)
    monkeypatch.setattr(milp.Milp, "solve", lambda self, deadline: used.append(self) or original(self, deadline))
    assert solve(instance, time.monotonic() + 5) == expected and used


def test_a_negative_workload_goes_to_highs() -> None:
    # the branch and bound assumes adding a credential never lowers the workload
    instance = problem([-1, 2, 1], [[1, 2]], {1: [0]})
    assert sorted(solve(instance, time.monotonic() + 5)[0]) == ["c00", "c02"] == highs(instance)[0]


def dense() -> CoverProblem:
    """60 credentials teaching 5 of 40 competences each: thousands of nodes to prove optimal."""
    teaches = [{(i * j) % 40 for j in range(1, 6)} for i in range(60)]
    return problem([10 + (i * 7) % 13 for i in range(60)], [[i for i in range(60) if k in teaches[i]]
                                                            for k in range(40)])


def test_out_of_time_returns_a_valid_plan_not_proven() -> None:
    instance = dense()
    chosen, optimal = solver._BranchAndBound(instance, time.monotonic() - 1).run()
    assert not optimal
    picked = {instance.candidates.index(c) for c in chosen}
    assert all(picked & set(teachers) for teachers in instance.teachers)


def test_out_of_time_before_any_plan_returns_every_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver, "_CLOCK_EVERY", 1)
    instance = dense()
    assert solver._BranchAndBound(instance, time.monotonic() - 1).run() == (list(instance.candidates), False)


def test_scipy_loads_only_when_highs_is_needed() -> None:
    """Starting the service or the CLI must not pay scipy's 1.4 s import."""
    code = ("import sys; from graph_service import cli; from graph_service.api import create_app; "
            "print('scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
