"""The exact optimiser behind a gap plan: a weighted set cover closed under prerequisites.

Choose credentials covering every needed competence, each with its prerequisites, with the
smallest total workload, then the fewest credentials, then the IRI-smallest sorted list.
The instances gap questions produce (tens of candidates, a handful of teachers per
competence) split into independent parts, most of one competence, which take the cheapest
teacher's closure; the other parts are solved by an exact branch and bound in a few
milliseconds; one that grows past a node budget, or has a negative workload, goes to HiGHS
(scipy ``milp``) in three lexicographic stages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


_TOLERANCE = 1e-6
_NODE_BUDGET = 5_000
_CLOCK_EVERY = 256  # nodes between deadline checks


@dataclass(frozen=True)
class CoverProblem:
    """One plan to find; credentials are indices into `candidates` (sorted IRIs).

    `teachers` has, per needed competence, the candidates that teach it; `prerequisites`
    has, per candidate, the candidates it needs first (held prerequisites left out).
    """

    candidates: tuple[str, ...]
    weights: tuple[float, ...]
    teachers: tuple[tuple[int, ...], ...]
    prerequisites: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class _Part:
    """Competences solved together, and every credential (closures included) their plans can use."""

    competences: tuple[int, ...]
    reach: int


@dataclass
class _Shared:
    """What every part of one problem reads: closures, credentials of negative workload, workloads of masks."""

    closure: list[int]
    negative: int
    costs: dict[int, float]

    @classmethod
    def of(cls, problem: CoverProblem) -> _Shared:
        """Closures and negative workloads computed once per problem; workloads memoised as searches meet them."""
        return cls(_closures(problem.prerequisites),
                   sum(1 << i for i, weight in enumerate(problem.weights) if weight < 0), {})


def solve(problem: CoverProblem, deadline: float) -> tuple[list[str], bool]:
    """The optimal plan's credentials (unordered) and whether optimality was proven by `deadline`.

    Competences whose teachers share no credential, not even a prerequisite, are solved
    apart: workload, size and the IRI-smallest list all add up part by part. Every part
    works on the whole problem's candidate indices, closures and memoised workloads.
    """
    shared = _Shared.of(problem)
    chosen, proven = [], True
    for part in _parts(problem, shared.closure):
        plan, optimal = _solve_part(problem, part, shared, deadline)
        chosen += plan
        proven = proven and optimal
    return chosen, proven


def _solve_part(problem: CoverProblem, part: _Part, shared: _Shared, deadline: float) -> tuple[list[str], bool]:
    """One teacher's closure for a lone competence, else branch and bound when it is small enough;
    HiGHS when it is not, or when workloads are negative."""
    if not part.reach & shared.negative:
        if len(part.competences) == 1 and problem.teachers[part.competences[0]]:
            return _cheapest_closure(problem, problem.teachers[part.competences[0]], shared), True
        try:
            return _BranchAndBound(problem, deadline, shared, part).run()
        except _TooBig:
            pass
    from .milp import Milp  # scipy takes 1.4 s to import: only the rare problem past the budget pays it

    return Milp(_restrict(problem, part)).solve(deadline)


def _cheapest_closure(problem: CoverProblem, teachers: tuple[int, ...], shared: _Shared) -> list[str]:
    """The plan for a competence alone: the teacher whose closure costs least (ties as in `solve`).

    Any plan for it contains some teacher's closure, and weights are not negative, so the best
    plan is one closure. Gap questions are mostly such parts (~14 per question at S = 1 000), and
    a search per part was half of the solver's time.
    """
    options = [(_workload(problem, shared.costs, shared.closure[t]), shared.closure[t]) for t in teachers]
    limit = tie_limit(min(cost for cost, _ in options))
    plan = min((mask for cost, mask in options if cost <= limit), key=lambda mask: (mask.bit_count(), _bits(mask)))
    return [problem.candidates[i] for i in _bits(plan)]


def _workload(problem: CoverProblem, costs: dict[int, float], mask: int) -> float:
    """The total workload of the credentials in `mask` (memoised in `costs`: the same masks recur)."""
    if mask not in costs:
        costs[mask] = sum(problem.weights[i] for i in _bits(mask))
    return costs[mask]


def _parts(problem: CoverProblem, closure: list[int]) -> list[_Part]:
    """Split into independent parts: competences joined when their teachers' closures overlap."""
    groups: list[tuple[int, list[int]]] = []  # (credentials reachable, competences)
    for k, teachers in enumerate(problem.teachers):
        reach, members, apart = 0, [k], []
        for t in teachers:
            reach |= closure[t]
        for group_reach, group_members in groups:
            if group_reach & reach:
                reach |= group_reach
                members = group_members + members
            else:
                apart.append((group_reach, group_members))
        groups = [*apart, (reach, members)]
    return [_Part(tuple(sorted(members)), reach) for reach, members in groups]


def _restrict(problem: CoverProblem, part: _Part) -> CoverProblem:
    """The problem on the part's credentials (kept in IRI order) and competences, for HiGHS."""
    kept = _bits(part.reach)
    index = {old: new for new, old in enumerate(kept)}
    return CoverProblem(candidates=tuple(problem.candidates[i] for i in kept),
                        weights=tuple(problem.weights[i] for i in kept),
                        teachers=tuple(tuple(index[t] for t in problem.teachers[k]) for k in part.competences),
                        prerequisites=tuple(tuple(index[p] for p in problem.prerequisites[i]) for i in kept))


def tie_limit(best: float) -> float:
    """The largest workload that still ties with `best` (HiGHS-style relative tolerance)."""
    return best + _TOLERANCE * max(1.0, abs(best))


# --- branch and bound ---------------------------------------------------------------------

class _TooBig(Exception):
    """The search passed its node budget; HiGHS should take over."""


class _OutOfTime(Exception):
    """The deadline passed before the search finished."""


class _BranchAndBound:
    """Depth-first search over which teacher covers each still-uncovered competence.

    A plan is a bit mask over candidates. Choosing a teacher adds it with all its
    prerequisites (its closure); every optimal plan is such a union of closures, since any
    other credential could be dropped at no cost. Branch j of a competence forbids the
    teachers of branches 1..j-1, so each plan is reached once. A node is cut when its
    workload plus a lower bound exceeds the best so far beyond the tie tolerance; ties are
    kept and settled at the end by size, then IRI order.
    """

    def __init__(self, problem: CoverProblem, deadline: float, shared: _Shared | None = None,
                 part: _Part | None = None):
        self.problem = problem
        self.deadline = deadline
        shared = shared or _Shared.of(problem)
        self.closure, self.costs = shared.closure, shared.costs
        self.part = part or _Part(tuple(range(len(problem.teachers))), (1 << len(problem.candidates)) - 1)
        self.teachers = [problem.teachers[k] for k in self.part.competences]
        self.covering = [sum(1 << t for t in teachers) for teachers in self.teachers]
        self.found: dict[int, float] = {}
        self.best = float("inf")
        self.nodes = 0

    def run(self) -> tuple[list[str], bool]:
        """Search to the end; on time-out return the best plan so far (or every candidate), unproven."""
        try:
            self._visit(0, 0.0, 0)
        except _OutOfTime:
            if not self.found:
                return [self.problem.candidates[i] for i in _bits(self.part.reach)], False
            return self._chosen(), False
        return self._chosen(), True

    def _visit(self, plan: int, cost: float, forbidden: int) -> None:
        """Extend `plan` (workload `cost`) to complete plans avoiding the `forbidden` credentials."""
        self._tick()
        uncovered = [k for k, mask in enumerate(self.covering) if not mask & plan]
        if not uncovered:
            self._record(plan, cost)
            return
        branching = self._branching(plan, forbidden, uncovered)
        if branching is None or cost + branching[0] > tie_limit(self.best):
            return
        for extra, teacher, new in branching[1]:
            if cost + extra > tie_limit(self.best):
                break
            if not self.closure[teacher] & forbidden:
                self._visit(plan | new, cost + extra, forbidden)
            forbidden |= 1 << teacher

    def _branching(self, plan: int, forbidden: int,
                   uncovered: list[int]) -> tuple[float, list[tuple[float, int, int]]] | None:
        """A lower bound on the workload still to add, and the options of the competence to branch on.

        Each option is (added workload, teacher, added credentials), cheapest first. The bound
        sums the cheapest options of competences whose options share no credential (any plan
        pays for those separately). None when some competence can no longer be covered.
        """
        per_competence = []
        for k in uncovered:
            options = []
            reach = 0
            for t in self.teachers[k]:
                if not self.closure[t] & forbidden:
                    new = self.closure[t] & ~plan
                    options.append((self._cost(new), t, new))
                    reach |= new
            if not options:
                return None
            options.sort()
            per_competence.append((options[0][0], reach, options))
        bound, used = 0.0, 0
        for cheapest, reach, _ in sorted(per_competence, key=lambda entry: -entry[0]):
            if not reach & used:
                bound += cheapest
                used |= reach
        _, _, options = min(per_competence, key=lambda entry: (len(entry[2]), -entry[0]))
        return bound, options

    def _cost(self, mask: int) -> float:
        """The total workload of the credentials in `mask`."""
        return _workload(self.problem, self.costs, mask)

    def _record(self, plan: int, cost: float) -> None:
        """Keep a complete plan; forget kept plans that no longer tie with the best."""
        if cost < self.best:
            self.best = cost
            limit = tie_limit(cost)
            self.found = {p: c for p, c in self.found.items() if c <= limit}
        self.found[plan] = cost

    def _tick(self) -> None:
        """Count a node; raise when the budget or the deadline is passed."""
        self.nodes += 1
        if self.nodes > _NODE_BUDGET:
            raise _TooBig
        if self.nodes % _CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            raise _OutOfTime

    def _chosen(self) -> list[str]:
        """Among kept plans tying on workload: the fewest credentials, then the smallest IRI list."""
        limit = tie_limit(self.best)
        plan = min((p for p, c in self.found.items() if c <= limit), key=lambda p: (p.bit_count(), _bits(p)))
        return [self.problem.candidates[i] for i in _bits(plan)]


def _bits(mask: int) -> list[int]:
    """The indices of the set bits, ascending."""
    indices = []
    while mask:
        low = mask & -mask
        indices.append(low.bit_length() - 1)
        mask ^= low
    return indices


def _closures(prerequisites: tuple[tuple[int, ...], ...]) -> list[int]:
    """Per candidate, the mask of itself and everything it needs first, transitively."""
    closure: list[int | None] = [None] * len(prerequisites)
    for start, needs in enumerate(prerequisites):
        if closure[start] is not None:
            continue
        if not needs:
            closure[start] = 1 << start
            continue
        stack = [start]
        while stack:
            i = stack[-1]
            waiting = [p for p in prerequisites[i] if closure[p] is None and p not in stack]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            mask = 1 << i
            for p in prerequisites[i]:
                mask |= closure[p] or 0
            closure[i] = mask
    return closure
