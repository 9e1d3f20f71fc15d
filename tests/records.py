"""Catalogue records built by hand for the planner's tests: credentials, roles, a catalogue of them."""

from __future__ import annotations

from graph_service.model import Catalogue, Credential, Role


def catalogue(credentials: list[Credential], roles: list[Role], extra: tuple[str, ...] = ()) -> Catalogue:
    """A catalogue whose competences are everything taught or required, plus `extra`."""
    competences = {c for cred in credentials for c in cred.teaches} | {c for r in roles for c in r.requires}
    return Catalogue({c.iri: c for c in credentials}, {r.iri: r for r in roles}, frozenset(competences | set(extra)))


def cred(iri: str, hours: float, teaches: str = "", prereqs: str = "") -> Credential:
    return Credential(iri, hours, frozenset(teaches.split()), frozenset(prereqs.split()))


def role(iri: str, requires: str = "", nxt: str = "") -> Role:
    return Role(iri, frozenset(requires.split()), frozenset(nxt.split()))
