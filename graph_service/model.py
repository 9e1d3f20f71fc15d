"""Plain Python records for the catalogue: what the planner works on, free of any store.

`catalogue.py` fills these from the graph with the named queries; tests build them by hand.
IRIs are plain strings (no angle brackets).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Credential:
    """A micro-credential specification: what it teaches, what it needs, what it costs."""

    iri: str
    workload_hours: float = 0.0
    teaches: frozenset[str] = frozenset()
    prerequisites: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Role:
    """An occupational role: the complete set of competences it requires, and its next steps."""

    iri: str
    requires: frozenset[str] = frozenset()
    next_roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Catalogue:
    """Everything the planner needs: credentials, roles and competences keyed by IRI."""

    credentials: dict[str, Credential] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    competences: frozenset[str] = frozenset()

    def kind_of(self, iri: str) -> str | None:
        """Say whether an IRI is a 'credential', 'role' or 'competence' here, or None if unknown."""
        if iri in self.credentials:
            return "credential"
        if iri in self.roles:
            return "role"
        if iri in self.competences:
            return "competence"
        return None

    @cached_property
    def taught_by(self) -> dict[str, tuple[str, ...]]:
        """Per competence, the credentials that teach it, sorted (built once: gap questions look it up)."""
        index: dict[str, list[str]] = {}
        for credential in self.credentials.values():
            for competence in credential.teaches:
                index.setdefault(competence, []).append(credential.iri)
        return {competence: tuple(sorted(iris)) for competence, iris in index.items()}


_PER_CATALOGUE: dict[tuple[int, str], object] = {}


def per_catalogue(catalogue: Catalogue, name: str, build: Callable[[Catalogue], T]) -> T:
    """A value derived from a catalogue, built once per catalogue object and dropped with it."""
    key = (id(catalogue), name)
    if key not in _PER_CATALOGUE:
        _PER_CATALOGUE[key] = build(catalogue)
        weakref.finalize(catalogue, _PER_CATALOGUE.pop, key, None)
    return _PER_CATALOGUE[key]  # type: ignore[return-value]
