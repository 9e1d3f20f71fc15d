"""Plain Python records for the catalogue: what the planner works on, free of any store.

`catalogue.py` fills these from the graph with the named queries; tests build them by hand.
IRIs are plain strings (no angle brackets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


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
