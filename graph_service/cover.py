"""A gap's plan as a cover problem: credentials numbered per catalogue, the instance, and lone plans kept.

`planner.gap` decides what is needed; this module turns the needed competences into
`solver.CoverProblem`s and returns the chosen credentials. Most needed competences stand
alone (no credential of their plan, prerequisites included, serves another), and the plan of
a lone competence depends only on the catalogue, as long as nothing the person holds is
among its credentials. Those plans are kept per catalogue, so a gap question assembles and
solves a problem only for the competences that share credentials. `Service.gap` + JSON at
S = 1 000: 0.43 → 0.22 ms; kept plans take ~0.3 KB a competence (2.8 MiB for all 10 000).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from . import solver
from .model import Catalogue, per_catalogue


@dataclass(frozen=True)
class _Numbered:
    """The credentials numbered in IRI order, with weights, teachers and known prerequisites as numbers.

    Built once per catalogue: a gap's cover problem is then assembled from small ints, which
    hash and sort faster than IRIs sharing a long prefix.
    """

    iris: tuple[str, ...]
    number: dict[str, int]
    weights: tuple[float, ...]
    teachers: dict[str, tuple[int, ...]]
    prerequisites: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class _Lone:
    """A competence's plan when solved alone, for someone holding no credential.

    `reach` is every credential its plan could use (attainable teachers with their
    prerequisites), `shut` its teachers left out as never attainable for such a person, and
    `plan` the optimal credentials (None when no plan was proven optimal in time).
    """

    reach: tuple[int, ...]
    shut: tuple[str, ...]
    plan: tuple[str, ...] | None


def prepare(catalogue: Catalogue) -> None:
    """Number the catalogue's credentials now, rather than in its first gap (S = 10 000 roles: ~1.2 s)."""
    _numbered(catalogue)


def _numbered(catalogue: Catalogue) -> _Numbered:
    """The catalogue's numbered credentials (cached per catalogue)."""
    return per_catalogue(catalogue, "numbered", _number)


def _number(catalogue: Catalogue) -> _Numbered:
    """Number the credentials in IRI order."""
    iris = tuple(sorted(catalogue.credentials))
    number = {iri: n for n, iri in enumerate(iris)}
    records = [catalogue.credentials[iri] for iri in iris]
    return _Numbered(iris=iris, number=number, weights=tuple(c.workload_hours for c in records),
                     teachers={c: tuple(number[t] for t in ts) for c, ts in catalogue.taught_by.items()},
                     prerequisites=tuple(tuple(sorted(number[p] for p in c.prerequisites if p in number))
                                         for c in records))


def plan(catalogue: Catalogue, needed: list[str], held_credentials: set[str], blocked: set[str],
         blocked_from_nothing: frozenset[str], time_limit: float) -> tuple[list[str], bool]:
    """The optimal plan's credentials (unordered) for the needed competences, and whether it is proven optimal.

    `blocked` are the credentials the person can never take, `blocked_from_nothing` those that
    someone holding no credential can never take (a superset: holding more only unblocks).
    When no held credential is among the needed competences' credentials and none of their
    shut teachers opened, the problem is the one for someone holding nothing: each lone
    competence takes its kept plan and only the others are solved, together. Otherwise the
    whole problem is solved (the solver splits it into independent parts either way).
    """
    if not needed:
        return [], True
    deadline = time.monotonic() + time_limit
    number = _numbered(catalogue).number
    held = {number[iri] for iri in held_credentials}
    kept: dict[str, _Lone] = per_catalogue(catalogue, "lone plans", lambda _: {})
    lone = [kept.get(c) or _lone(catalogue, c, blocked_from_nothing, deadline, kept) for c in needed]
    chosen: list[str] = []
    if all(e.plan is not None and held.isdisjoint(e.reach) and blocked.issuperset(e.shut) for e in lone):
        together: set[int] = set()
        for group in _overlapping([entry.reach for entry in lone]):
            if len(group) == 1:
                chosen += lone[group[0]].plan or ()
            else:
                together.update(group)
        if not together:
            return chosen, True
        needed = [competence for k, competence in enumerate(needed) if k in together]
    more, optimal = solver.solve(cover_problem(catalogue, needed, held_credentials, blocked), deadline)
    return chosen + more, optimal


def _lone(catalogue: Catalogue, competence: str, blocked_from_nothing: frozenset[str], deadline: float,
          kept: dict[str, _Lone]) -> _Lone:
    """The competence's plan alone for someone holding no credential; into `kept` once proven optimal."""
    problem = cover_problem(catalogue, [competence], set(), blocked_from_nothing)
    chosen, optimal = solver.solve(problem, deadline) if problem.teachers[0] else ([], False)
    number = _numbered(catalogue).number
    entry = _Lone(reach=tuple(number[iri] for iri in problem.candidates),
                  shut=tuple(t for t in catalogue.taught_by.get(competence, ()) if t in blocked_from_nothing),
                  plan=tuple(chosen) if optimal else None)
    if optimal:
        kept[competence] = entry
    return entry


def _overlapping(reaches: list[tuple[int, ...]]) -> list[list[int]]:
    """The positions of `reaches` grouped where they share a credential, directly or through others."""
    if len(set().union(*reaches)) == sum(map(len, reaches)):  # the common case: no two share one
        return [[k] for k in range(len(reaches))]
    parent = list(range(len(reaches)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = k = parent[parent[k]]
        return k

    owner: dict[int, int] = {}
    for k, reach in enumerate(reaches):
        for credential in reach:
            first = owner.setdefault(credential, k)
            if first != k:
                parent[root(first)] = root(k)
    groups: dict[int, list[int]] = {}
    for k in range(len(reaches)):
        groups.setdefault(root(k), []).append(k)
    return list(groups.values())


def cover_problem(catalogue: Catalogue, needed: list[str], held_credentials: set[str],
                  blocked: set[str] | frozenset[str]) -> solver.CoverProblem:
    """The solver's instance: attainable teachers of the needed competences and their unheld prerequisites.

    Whole tuples are extended and mapped in C where nothing held is in the way (the common
    case), not filtered item by item by generators, which took a sixth of a gap's CPU at S = 1000.
    """
    numbered = _numbered(catalogue)
    held = {numbered.number[iri] for iri in held_credentials}
    excluded = held | {numbered.number[iri] for iri in blocked}
    frontier = [t for c in needed for t in numbered.teachers.get(c, ()) if t not in excluded]
    found: set[int] = set()
    while frontier:
        n = frontier.pop()
        if n not in found:
            found.add(n)
            needs = numbered.prerequisites[n]
            frontier.extend([p for p in needs if p not in held] if held else needs)
    candidates = sorted(found)
    index = {n: i for i, n in enumerate(candidates)}
    if held:
        prerequisites = [tuple([index[p] for p in numbered.prerequisites[n] if p not in held]) for n in candidates]
    else:  # every prerequisite of a candidate is a candidate
        prerequisites = [tuple(map(index.__getitem__, numbered.prerequisites[n])) for n in candidates]
    return solver.CoverProblem(
        candidates=tuple([numbered.iris[n] for n in candidates]),
        weights=tuple([numbered.weights[n] for n in candidates]),
        teachers=tuple([tuple([index[t] for t in numbered.teachers[c] if t in index]) for c in needed]),
        prerequisites=tuple(prerequisites))
