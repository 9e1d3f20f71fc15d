"""The HiGHS fallback of the solver: the cover problem as a 0/1 integer program (scipy ``milp``).

A module of its own so that scipy, 1.4 s to import, loads only when a problem passes the
branch and bound's node budget, not at every start of the service or the CLI.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .solver import CoverProblem, tie_limit


class Milp:
    """The integer program: x_c ∈ {0,1}; cover each needed competence; x_c ≤ x_p for prerequisites."""

    def __init__(self, problem: CoverProblem):
        self.candidates = problem.candidates
        n = len(problem.candidates)
        self.weights = np.array(problem.weights, dtype=float)
        rows, lower, upper = [], [], []
        for teachers in problem.teachers:
            row = np.zeros(n)
            row[list(teachers)] = 1.0
            rows.append(row)
            lower.append(1.0)
            upper.append(np.inf)
        for i, needs in enumerate(problem.prerequisites):
            for p in needs:
                row = np.zeros(n)
                row[i], row[p] = 1.0, -1.0
                rows.append(row)
                lower.append(-np.inf)
                upper.append(0.0)
        self.base = [LinearConstraint(np.array(rows), lower, upper)]

    def _run(self, objective: np.ndarray, extra: list[LinearConstraint], lower: np.ndarray, upper: np.ndarray,
             deadline: float) -> tuple[np.ndarray | None, bool]:
        """One HiGHS solve: the solution (or None if infeasible or none found) and whether it is proven optimal."""
        remaining = max(deadline - time.monotonic(), 0.001)
        result = milp(objective, constraints=self.base + extra, integrality=np.ones(len(objective)),
                      bounds=Bounds(lower, upper), options={"time_limit": remaining})
        if result.x is None:
            return None, result.status != 1
        return np.round(result.x), result.status == 0

    def solve(self, deadline: float) -> tuple[list[str], bool]:
        """Minimise workload, then the number of credentials, then prefer earlier IRIs."""
        n = len(self.candidates)
        lower, upper = np.zeros(n), np.ones(n)
        x, proven = self._run(self.weights, [], lower, upper, deadline)
        if x is None:
            return list(self.candidates), False  # out of time before any plan: the whole closure is a valid plan
        budget = LinearConstraint(self.weights, -np.inf, tie_limit(self.weights @ x))
        if not proven:
            return self._chosen(x), False
        y, proven = self._run(np.ones(n), [budget], lower, upper, deadline)
        if y is None or not proven:
            return self._chosen(y if y is not None else x), False
        count = LinearConstraint(np.ones(n), -np.inf, float(y.sum()))
        return self._prefer_earlier(y, [budget, count], lower, upper, deadline)

    def _prefer_earlier(self, x: np.ndarray, extra: list[LinearConstraint], lower: np.ndarray, upper: np.ndarray,
                        deadline: float) -> tuple[list[str], bool]:
        """Walk candidates in IRI order, keeping each one in whenever an optimal plan with it exists.

        Among plans of equal workload and size this picks the one whose sorted IRI list is
        lexicographically smallest; each candidate not in the current plan costs one solve, so
        one solve first checks whether any other optimal plan exists at all.
        """
        lower, upper = lower.copy(), upper.copy()
        size = int(x.sum())
        other = LinearConstraint(x, -np.inf, size - 1)  # share at most size-1 credentials with x
        y, proven = self._run(np.zeros(len(x)), [*extra, other], lower, upper, deadline)
        if y is None:
            return self._chosen(x), proven  # x is the only optimal plan (or time ran out)
        for i in range(len(self.candidates)):
            if int(lower.sum()) == size:
                break
            if x[i] == 0:
                lower[i] = 1.0
                y, proven = self._run(np.zeros(len(x)), extra, lower, upper, deadline)
                if y is None and not proven:
                    return self._chosen(x), False
                if y is None:
                    lower[i], upper[i] = 0.0, 0.0
                    continue
                x = y
            lower[i] = upper[i] = 1.0
        return self._chosen(x), True

    def _chosen(self, x: np.ndarray) -> list[str]:
        """The candidates a 0/1 vector selects."""
        return [iri for iri, value in zip(self.candidates, x) if value > 0.5]
