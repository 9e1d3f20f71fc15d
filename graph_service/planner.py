"""Gap bridging and career ladders on plain catalogue records (no I/O, no store).

The gap semantics are the public contract's: held → missing → unbridgeable → plan, where the
plan is a minimum-workload set of credentials covering every bridgeable missing competence,
closed under prerequisites, ties broken by fewer credentials and then IRI order, listed in
study order. It is a weighted set cover with precedence constraints, solved exactly by
`solver` (a branch and bound of its own, HiGHS for instances too big for it) on the
problems `cover` builds.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from . import cover
from .lazy_modules import LazyModule
from .model import Catalogue, per_catalogue

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = LazyModule("networkx")


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


def prepare(catalogue: Catalogue) -> None:
    """Build now what questions derive from a catalogue once, so that its first gap or ladder does not.

    Who teaches what, the credentials nobody can take from nothing, the numbered credentials and
    the role graph. At 10 000 roles they take ~3 s, which the first gap or ladder on the catalogue
    paid (4.5 s measured while the query workers loaded); the warm-up builds them in the
    background.
    """
    catalogue.taught_by  # a cached property: reading it builds it
    _blocked_from_nothing(catalogue)
    cover.prepare(catalogue)
    _role_graph(catalogue)


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


def _blocked_from_nothing(catalogue: Catalogue) -> frozenset[str]:
    """Credentials nobody holding nothing can ever take (cached per catalogue: holding more only unblocks)."""
    return per_catalogue(catalogue, "blocked", lambda c: frozenset(_fixpoint(c, set(c.credentials))))


def _fixpoint(catalogue: Catalogue, pending: set[str]) -> set[str]:
    """Drop pending credentials whose prerequisites are all known credentials not pending; return the rest.

    Everything not pending counts as attainable (held, or taken after its prerequisites).
    """
    pending, known = set(pending), catalogue.credentials
    while True:
        ready = {iri for iri in pending if all(p in known and p not in pending for p in known[iri].prerequisites)}
        if not ready:
            return pending
        pending -= ready


def unattainable_credentials(catalogue: Catalogue, held: Iterable[str] = ()) -> dict[str, str]:
    """Credentials whose prerequisites can never be met from `held` credentials, with the reason.

    A credential is attainable when each prerequisite is held or attainable; what is left
    after that fixpoint sits on a prerequisite cycle, on an unknown prerequisite, or after one.
    Only credentials blocked for someone holding nothing need checking again.
    """
    pending = _fixpoint(catalogue, _blocked_from_nothing(catalogue) - set(held))
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
    chosen, optimal = cover.plan(catalogue, needed, held_credentials, set(blocked),
                                 _blocked_from_nothing(catalogue), time_limit)
    plan = _study_order(catalogue, chosen, set(missing))
    return GapResult(target=target, held_competences=tuple(sorted(held)), missing=tuple(missing),
                     unbridgeable=tuple(sorted(reasons)), unbridgeable_reasons=reasons, plan=plan,
                     total_workload_hours=sum(step.workload_hours for step in plan), optimal=optimal)


def _unbridgeable_reasons(catalogue: Catalogue, missing: list[str], held_credentials: set[str],
                          blocked: dict[str, str]) -> dict[str, str]:
    """For each missing competence no credential can give, say why."""
    reasons, taught_by = {}, catalogue.taught_by
    for competence in missing:
        teachers = taught_by.get(competence, ())
        if held_credentials:
            teachers = tuple([t for t in teachers if t not in held_credentials])
        if not teachers:
            reasons[competence] = "no credential in the graph teaches it"
        elif blocked and all(t in blocked for t in teachers):
            why = "; ".join(f"<{t}>: {blocked[t]}" for t in teachers)
            reasons[competence] = f"every credential that teaches it has prerequisites that can never be met ({why})"
    return reasons


def _study_order(catalogue: Catalogue, chosen: list[str], missing: set[str]) -> tuple[PlanStep, ...]:
    """The plan in study order: prerequisites first, otherwise by IRI.

    A topological sort taking the IRI-smallest credential whose prerequisites in the plan are
    all placed (Kahn's algorithm on a heap; networkx's lexicographical sort, without building
    a graph per answer, which cost a sixth of a gap).
    """
    credentials, in_plan = catalogue.credentials, set(chosen)
    waiting: dict[str, set[str]] = {}
    unlocks: dict[str, list[str]] = {}
    ready = []
    for iri in chosen:
        needs = in_plan.intersection(credentials[iri].prerequisites)
        if not needs:
            ready.append(iri)
            continue
        waiting[iri] = needs
        for prerequisite in needs:
            unlocks.setdefault(prerequisite, []).append(iri)
    heapq.heapify(ready)
    steps = []
    while ready:
        iri = heapq.heappop(ready)
        credential = credentials[iri]
        steps.append(PlanStep(iri, credential.workload_hours, tuple(sorted(credential.teaches & missing)),
                              tuple(sorted(credential.prerequisites))))
        for later in unlocks.get(iri, ()):
            needs = waiting[later]
            needs.discard(iri)
            if not needs:
                heapq.heappush(ready, later)
    if len(steps) != len(in_plan):
        raise ValueError("the plan's prerequisites form a cycle")  # the solver never picks blocked credentials
    return tuple(steps)


# --- ladders ------------------------------------------------------------------------------

def _role_graph(catalogue: Catalogue) -> nx.DiGraph:
    """Edges role → next role (built once per catalogue: every ladder question walks it)."""
    return per_catalogue(catalogue, "roles", _build_role_graph)


def _build_role_graph(catalogue: Catalogue) -> nx.DiGraph:
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
