"""Gap bridging and career ladders on plain catalogue records (no I/O, no store).

The gap semantics are the public contract's: held → missing → unbridgeable → plan, where the
plan is a minimum-workload set of credentials covering every bridgeable missing competence,
closed under prerequisites, ties broken by fewer credentials and then IRI order, listed in
study order. It is a weighted set cover with precedence constraints, solved exactly as an
integer program with HiGHS (scipy ``milp``) in three lexicographic stages.
"""

from __future__ import annotations

import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import networkx as nx
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .model import Catalogue

_TOLERANCE = 1e-6


class PlanningInputError(ValueError):
    """An input IRI is unknown or of the wrong kind; names the field and the value."""

    def __init__(self, field: str, value: str, message: str):
        self.field, self.value = field, value
        super().__init__(message)


class NoLadderError(PlanningInputError):
    """No chain of mm:nextRole leads from one role to the other."""


@dataclass(frozen=True)
class PlanStep:
    """One credential in a plan: its workload, the missing competences it gives, its prerequisites."""

    credential: str
    workload_hours: float
    covers: tuple[str, ...]
    prerequisites: tuple[str, ...]


@dataclass(frozen=True)
class GapResult:
    """The answer to one gap question; IRI tuples are sorted, the plan is in study order."""

    target: str
    held_competences: tuple[str, ...]
    missing: tuple[str, ...]
    unbridgeable: tuple[str, ...]
    unbridgeable_reasons: dict[str, str]
    plan: tuple[PlanStep, ...]
    total_workload_hours: float
    optimal: bool


@dataclass(frozen=True)
class LadderStep:
    """One step up: the role, the competences it newly requires, the plan bridging it."""

    role: str
    newly_required: tuple[str, ...]
    gap: GapResult


@dataclass(frozen=True)
class LadderResult:
    """The shortest chain of roles (both ends included) and one step per role after the first."""

    roles: tuple[str, ...]
    steps: tuple[LadderStep, ...] = field(default_factory=tuple)


# --- input checks -------------------------------------------------------------------------

def _check_role(catalogue: Catalogue, field_name: str, iri: str) -> None:
    """Raise PlanningInputError unless `iri` is a role of the catalogue."""
    if not iri or not iri.strip():
        raise PlanningInputError(field_name, iri, f"{field_name} must be a role IRI, not empty")
    kind = catalogue.kind_of(iri)
    if kind is None:
        raise PlanningInputError(field_name, iri, f"{field_name}: <{iri}> is not in the graph (unknown IRI)")
    if kind != "role":
        raise PlanningInputError(field_name, iri, f"{field_name}: <{iri}> is a {kind}, not a role")


def _check_holds(catalogue: Catalogue, holds: Iterable[str]) -> None:
    """Raise PlanningInputError for the first held IRI the catalogue does not know."""
    for iri in holds:
        if catalogue.kind_of(iri) is None:
            raise PlanningInputError("holds", iri, f"holds: <{iri}> is not a credential, competence or role "
                                     "in the graph (unknown IRI)")


# --- what is held, what can be taken ------------------------------------------------------

def held_competences(catalogue: Catalogue, holds: Iterable[str]) -> set[str]:
    """Competences listed, taught by held credentials, or required by held roles."""
    held: set[str] = set()
    for iri in holds:
        if iri in catalogue.credentials:
            held |= catalogue.credentials[iri].teaches
        elif iri in catalogue.roles:
            held |= catalogue.roles[iri].requires
        else:
            held.add(iri)
    return held


_BLOCKED_FROM_NOTHING: dict[int, frozenset[str]] = {}


def _blocked_from_nothing(catalogue: Catalogue) -> frozenset[str]:
    """Credentials nobody holding nothing can ever take (cached per catalogue: holding more only unblocks)."""
    key = id(catalogue)
    if key not in _BLOCKED_FROM_NOTHING:
        _BLOCKED_FROM_NOTHING[key] = frozenset(_fixpoint(catalogue, set(catalogue.credentials), set()))
        weakref.finalize(catalogue, _BLOCKED_FROM_NOTHING.pop, key, None)
    return _BLOCKED_FROM_NOTHING[key]


def _fixpoint(catalogue: Catalogue, pending: set[str], attainable: set[str]) -> set[str]:
    """Move pending credentials whose prerequisites are all attainable into `attainable`; return the rest."""
    pending = set(pending)
    while True:
        ready = {iri for iri in pending if catalogue.credentials[iri].prerequisites <= attainable}
        if not ready:
            return pending
        attainable |= ready
        pending -= ready


def unattainable_credentials(catalogue: Catalogue, held: Iterable[str] = ()) -> dict[str, str]:
    """Credentials whose prerequisites can never be met from `held` credentials, with the reason.

    A credential is attainable when each prerequisite is held or attainable; what is left
    after that fixpoint sits on a prerequisite cycle, on an unknown prerequisite, or after one.
    Only credentials blocked for someone holding nothing need checking again.
    """
    held_set = set(held)
    base = _blocked_from_nothing(catalogue)
    attainable = (set(catalogue.credentials) - base) | held_set
    pending = _fixpoint(catalogue, base - held_set, attainable)
    if not pending:
        return {}
    graph = _prerequisite_graph(catalogue)
    cycles = _cycles(graph.subgraph(pending))
    return {iri: _blocked_reason(catalogue, graph, cycles, iri) for iri in sorted(pending)}


def _blocked_reason(catalogue: Catalogue, graph: nx.DiGraph, cycles: list[list[str]], iri: str) -> str:
    """Say why a blocked credential can never be taken: a cycle it is on or after, or an unknown prerequisite."""
    upstream = nx.ancestors(graph, iri) | {iri}
    for cycle in cycles:
        if cycle[0] in upstream:
            chain = " → ".join(f"<{c}>" for c in [*cycle, cycle[0]])
            return f"prerequisite cycle {chain}"
    unknown = sorted(p for c in upstream if c in catalogue.credentials
                     for p in catalogue.credentials[c].prerequisites if p not in catalogue.credentials)
    if unknown:
        return f"prerequisite <{unknown[0]}> is not a credential in the graph"
    return "its prerequisites can never be met"


def _prerequisite_graph(catalogue: Catalogue) -> nx.DiGraph:
    """Edges prerequisite → credential."""
    graph = nx.DiGraph()
    graph.add_nodes_from(catalogue.credentials)
    graph.add_edges_from((p, c.iri) for c in catalogue.credentials.values() for p in c.prerequisites)
    return graph


def prerequisite_cycles(catalogue: Catalogue) -> list[list[str]]:
    """Every prerequisite cycle, each rotated to start at its smallest IRI, sorted."""
    return _cycles(_prerequisite_graph(catalogue))


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    """The simple cycles of a graph, each rotated to start at its smallest node, sorted."""
    cycles = []
    for cycle in nx.simple_cycles(graph):
        start = cycle.index(min(cycle))
        cycles.append(cycle[start:] + cycle[:start])
    return sorted(cycles)


# --- the gap ------------------------------------------------------------------------------

def gap(catalogue: Catalogue, holds: Iterable[str], target: str, *, time_limit: float = 5.0) -> GapResult:
    """Answer the contract's gap question for a person holding `holds` who aims at `target`.

    :raises PlanningInputError: if `target` is not a role or a held IRI is unknown.
    """
    holds = list(dict.fromkeys(holds))
    _check_role(catalogue, "target", target)
    _check_holds(catalogue, holds)
    held = held_competences(catalogue, holds)
    held_credentials = {iri for iri in holds if iri in catalogue.credentials}
    missing = sorted(catalogue.roles[target].requires - held)
    blocked = unattainable_credentials(catalogue, held_credentials)
    reasons = _unbridgeable_reasons(catalogue, missing, held_credentials, blocked)
    needed = [c for c in missing if c not in reasons]
    chosen, optimal = _solve(catalogue, needed, held_credentials, set(blocked), time_limit)
    plan = _study_order(catalogue, chosen, set(missing))
    return GapResult(target=target, held_competences=tuple(sorted(held)), missing=tuple(missing),
                     unbridgeable=tuple(sorted(reasons)), unbridgeable_reasons=reasons, plan=plan,
                     total_workload_hours=sum(step.workload_hours for step in plan), optimal=optimal)


def _unbridgeable_reasons(catalogue: Catalogue, missing: list[str], held_credentials: set[str],
                          blocked: dict[str, str]) -> dict[str, str]:
    """For each missing competence no credential can give, say why."""
    wanted = set(missing)
    taught_by: dict[str, list[str]] = defaultdict(list)
    for credential in catalogue.credentials.values():
        if credential.iri not in held_credentials:
            for competence in credential.teaches & wanted:
                taught_by[competence].append(credential.iri)
    reasons = {}
    for competence in missing:
        teachers = sorted(taught_by[competence])
        if not teachers:
            reasons[competence] = "no credential in the graph teaches it"
        elif all(t in blocked for t in teachers):
            why = "; ".join(f"<{t}>: {blocked[t]}" for t in teachers)
            reasons[competence] = f"every credential that teaches it has prerequisites that can never be met ({why})"
    return reasons


def _candidates(catalogue: Catalogue, needed: list[str], held_credentials: set[str],
                blocked: set[str]) -> list[str]:
    """Credentials that can be in a plan: attainable teachers of a needed competence and their prerequisites."""
    wanted = set(needed)
    frontier = [c.iri for c in catalogue.credentials.values()
                if c.teaches & wanted and c.iri not in held_credentials and c.iri not in blocked]
    found: set[str] = set()
    while frontier:
        iri = frontier.pop()
        if iri in found:
            continue
        found.add(iri)
        frontier.extend(p for p in catalogue.credentials[iri].prerequisites if p not in held_credentials)
    return sorted(found)


def _solve(catalogue: Catalogue, needed: list[str], held_credentials: set[str], blocked: set[str],
           time_limit: float) -> tuple[list[str], bool]:
    """The optimal plan's credentials (unordered) and whether optimality was proven in time."""
    if not needed:
        return [], True
    candidates = _candidates(catalogue, needed, held_credentials, blocked)
    problem = _Problem(catalogue, candidates, needed, held_credentials)
    return problem.solve(time.monotonic() + time_limit)


class _Problem:
    """The integer program: x_c ∈ {0,1}; cover each needed competence; x_c ≤ x_p for prerequisites."""

    def __init__(self, catalogue: Catalogue, candidates: list[str], needed: list[str], held: set[str]):
        self.candidates = candidates
        index = {iri: i for i, iri in enumerate(candidates)}
        self.weights = np.array([catalogue.credentials[c].workload_hours for c in candidates], dtype=float)
        rows, lower = [], []
        for competence in needed:
            row = np.zeros(len(candidates))
            for iri in candidates:
                if competence in catalogue.credentials[iri].teaches:
                    row[index[iri]] = 1.0
            rows.append(row)
            lower.append(1.0)
        upper = [np.inf] * len(rows)
        for iri in candidates:
            for prerequisite in catalogue.credentials[iri].prerequisites - held:
                row = np.zeros(len(candidates))
                row[index[iri]], row[index[prerequisite]] = 1.0, -1.0
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
            return self.candidates, False  # out of time before any plan: the whole closure is a valid plan
        best = self.weights @ x
        budget = LinearConstraint(self.weights, -np.inf, best + _TOLERANCE * max(1.0, abs(best)))
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


def _study_order(catalogue: Catalogue, chosen: list[str], missing: set[str]) -> tuple[PlanStep, ...]:
    """The plan in study order: prerequisites first, otherwise by IRI."""
    graph = nx.DiGraph()
    graph.add_nodes_from(chosen)
    graph.add_edges_from((p, c) for c in chosen for p in catalogue.credentials[c].prerequisites if p in graph)
    steps = []
    for iri in nx.lexicographical_topological_sort(graph):
        credential = catalogue.credentials[iri]
        steps.append(PlanStep(iri, credential.workload_hours, tuple(sorted(credential.teaches & missing)),
                              tuple(sorted(credential.prerequisites))))
    return tuple(steps)


# --- ladders ------------------------------------------------------------------------------

def _role_graph(catalogue: Catalogue) -> nx.DiGraph:
    """Edges role → next role."""
    graph = nx.DiGraph()
    graph.add_nodes_from(catalogue.roles)
    graph.add_edges_from((r.iri, n) for r in catalogue.roles.values() for n in r.next_roles if n in catalogue.roles)
    return graph


def reachable_roles(catalogue: Catalogue, role: str) -> list[str]:
    """Every role reachable from `role` along mm:nextRole, sorted.

    :raises PlanningInputError: if `role` is not a role.
    """
    _check_role(catalogue, "from", role)
    return sorted(nx.descendants(_role_graph(catalogue), role))


def shortest_chain(catalogue: Catalogue, source: str, target: str) -> list[str]:
    """The shortest chain of roles from `source` to `target`; among equals, the IRI-smallest.

    :raises NoLadderError: if no chain of mm:nextRole leads there.
    """
    graph = _role_graph(catalogue)
    try:
        distance = nx.shortest_path_length(graph, target=target)
    except nx.NodeNotFound as err:
        raise NoLadderError("to", target, f"<{target}> is not a role") from err
    if source not in distance:
        raise NoLadderError("to", target, f"no chain of mm:nextRole leads from <{source}> to <{target}>")
    chain = [source]
    while chain[-1] != target:
        here = chain[-1]
        chain.append(min(n for n in graph.successors(here) if distance.get(n) == distance[here] - 1))
    return chain


def ladder(catalogue: Catalogue, source: str, target: str, holds: Iterable[str] = (), *,
           time_limit: float = 5.0) -> LadderResult:
    """The shortest chain from `source` to `target`, each step bridged from all held before it.

    The person holds `source` and `holds`; after each step they also hold that role and the
    credentials of its plan.

    :raises PlanningInputError: if an end is not a role or a held IRI is unknown.
    :raises NoLadderError: if no chain leads from `source` to `target`.
    """
    _check_role(catalogue, "from", source)
    _check_role(catalogue, "to", target)
    held = [*dict.fromkeys(holds), source]
    _check_holds(catalogue, held)
    chain = shortest_chain(catalogue, source, target)
    steps = []
    for previous, role in zip(chain, chain[1:]):
        result = gap(catalogue, held, role, time_limit=time_limit)
        newly = catalogue.roles[role].requires - catalogue.roles[previous].requires
        steps.append(LadderStep(role, tuple(sorted(newly)), result))
        held += [role, *(s.credential for s in result.plan)]
    return LadderResult(tuple(chain), tuple(steps))
