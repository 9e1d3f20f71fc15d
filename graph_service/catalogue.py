"""Turn the graph into plain records (model.Catalogue) with the named queries.

The planner works only on these records, so it runs the same over the embedded store or a
remote SPARQL endpoint: anything with ``select(text, bindings)`` (rows of terms) and
``value_rows(text)`` (the rows of a catalogue-wide query as the values' text, streamed) will do.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Iterable, Iterator, Mapping, Protocol, Sequence

import pyoxigraph as ox

from .model import Catalogue, Credential, Role
from .namespaces import MM, RDF
from .queries import named_queries
from .sparql_protocol import csv_row


class Selectable(Protocol):
    """What reading the graph needs of a store: SELECT rows as dicts of terms, or streamed as the values' text."""

    def select(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None) -> list[dict]: ...

    def value_rows(self, sparql: str) -> Iterator[dict[str, str]]: ...


def _run(store: Selectable, name: str) -> Iterator[dict[str, str]]:
    """Run one bundled named query; its rows are read one at a time, as the values' text."""
    return store.value_rows(named_queries()[name].text)


def _run_about(store: Selectable, name: str, iri: str) -> list[dict[str, str]]:
    """Run one bundled named query with its resource bound to `iri`; rows as the values' text, as `_run` gives them.

    No rows for text that is not an IRI: the graph holds nothing about it.
    """
    try:
        resource = ox.NamedNode(iri)
    except ValueError:
        return []
    rows = store.select(named_queries()[name].text, {"resource": resource})
    return [csv_row(row) for row in rows]


def name(value: str) -> str:
    """A value as one shared string per distinct value, however many records and languages hold it.

    Each row that names an IRI brings a new string; interned, the records, labels and facets
    hold one copy of each (at 1 000 roles ~25 MB less).
    """
    return sys.intern(value)


def _number(value: str | None) -> float | None:
    """A numeric literal's value, or None when absent or not a number."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


_FACETS = {MM + n: n for n in ("eqfLevel", "seqfLevel", "sector", "lifeArea", "carePlanSection", "workloadHours",
                                "ects", "passThreshold", "prerequisite", "teaches", "entryLevel", "illustrative")}
"""The credential-facets query's properties, by the short name the facets are kept under."""

Facets = dict[str, dict[str, list[str]]]
"""Per credential IRI, each facet's values as text (IRIs as they are, literals by their lexical form).

Shared strings (`name`), not pyoxigraph terms: at 1 000 roles the 0.2 M values are mostly a few
levels, sectors and competences, and weigh ~20 MB less than a term object each.
"""


def load_catalogue(store: Selectable) -> Catalogue:
    """Read credentials, roles and competences from the store into a Catalogue."""
    return read_catalogue(store)[0]


def read_catalogue(store: Selectable) -> tuple[Catalogue, Facets]:
    """The planner's records and every credential's browsable facets, from one read of the credentials.

    The records' workload, competences taught and prerequisites are facets too: read once, the
    credentials cost one query of a hash join instead of two (S = 10 000 roles on disk: the
    records and facets took 26 s and 13 s read apart). A credential without
    ``mm:workloadHours`` counts 0 hours (its ECTS are kept in the graph but not converted: the
    contract optimises hours only).
    """
    facets: Facets = defaultdict(lambda: defaultdict(list))
    for row in _run(store, "credential-facets"):
        facets[name(row["credential"])][_FACETS[row["facet"]]].append(name(row["value"]))
    for row in _run(store, "catalogue-credentials"):
        facets[name(row["credential"])]  # a credential with no facet is still one
    credentials = {iri: _credential(iri, values) for iri, values in facets.items()}
    requires: dict[str, set[str]] = {}
    nexts: dict[str, set[str]] = defaultdict(set)
    for row in _run(store, "catalogue-roles"):
        iri = name(row["role"])
        requires.setdefault(iri, set())
        if "requires" in row:
            requires[iri].add(name(row["requires"]))
        if "next" in row:
            nexts[iri].add(name(row["next"]))
    competences = frozenset(name(row["competence"]) for row in _run(store, "catalogue-competences"))
    roles = {iri: Role(iri, frozenset(requires[iri]), frozenset(nexts[iri])) for iri in requires}
    return Catalogue(credentials, roles, competences - set(credentials) - set(roles)), facets


def read_role_steps(store: Selectable) -> Catalogue:
    """The roles on career ladders with their next roles, nothing else: enough to find a chain, not to plan one."""
    nexts: dict[str, set[str]] = defaultdict(set)
    for row in _run(store, "role-steps"):
        nexts[row["role"]].add(row["next"])
        nexts[row["next"]]  # a next role is a role too, with or without steps of its own
    return Catalogue(roles={iri: Role(iri, next_roles=frozenset(later)) for iri, later in nexts.items()})


class _WholeNeeded(Exception):
    """The part cannot be read resource by resource, or is too big to: read the whole records."""


PART_MOST = 2_000
"""At most this many resources are read for a part (~1-3 s); a gap needing more reads the whole records."""


def read_part(store: Selectable, roles: Iterable[str], holds: Iterable[str]) -> Catalogue | None:
    """The records a gap towards `roles`, or a ladder through them, needs; None if only the whole will do.

    Read resource by resource: each role and held IRI, every credential that teaches a competence
    the roles require, and the credentials they need as prerequisites, transitively. The planner
    answers a gap on this part as on the whole records (`tests/test_catalogue_part.py`): everything
    it weighs, the candidates, their prerequisites and why one can never be taken, lies upstream of
    the required competences. A gap reads ~100 resources: 60-80 ms at S = 1 000 roles on disk and
    ~160 ms at S = 10 000, where the whole records take 2 s and 23 s (read after start-up and after
    every write). None when a credential to follow is a blank node, which cannot be bound as a
    parameter, or when the part passes `PART_MOST` resources: then the whole records, read once for
    every question, are the better buy.
    """
    part = _Part(store)
    try:
        for iri in [*holds, *roles]:
            part.follow(iri)
        for iri in roles:
            for competence in _values(part.about(iri)[0], "requiresCompetence"):
                for teacher in _values(part.about(competence)[1], "teaches"):
                    part.follow(teacher)
    except _WholeNeeded:
        return None
    return part.catalogue()


class _Part:
    """The resources read for one part of the catalogue, each once."""

    def __init__(self, store: Selectable):
        self.store = store
        self.facts: dict[str, tuple[dict[str, list[str]], dict[str, list[str]]]] = {}
        self.followed: set[str] = set()

    def about(self, iri: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """What the graph says about `iri`: its outgoing and incoming statements' other ends, by property."""
        if iri.startswith("_:") or (iri not in self.facts and len(self.facts) >= PART_MOST):
            raise _WholeNeeded(iri)
        if iri not in self.facts:
            out: dict[str, list[str]] = defaultdict(list)
            into: dict[str, list[str]] = defaultdict(list)
            for row in _run_about(self.store, "resource-links", iri):
                if "other" in row:  # an empty literal is no value, as in the catalogue-wide reads
                    (out if row["direction"] == "out" else into)[row["property"]].append(row["other"])
            self.facts[iri] = (out, into)
        return self.facts[iri]

    def follow(self, iri: str) -> None:
        """Read `iri` and, if it is a credential, its prerequisites, transitively (a chain of any length)."""
        pending = [iri]
        while pending:
            here = pending.pop()
            if here in self.followed:
                continue
            self.followed.add(here)
            out, _ = self.about(here)
            if _is_credential(out):
                pending.extend(_values(out, "prerequisite"))

    def catalogue(self) -> Catalogue:
        """The records of what was read, kinds told as the catalogue-wide queries tell them."""
        credentials = {iri: _credential(iri, {facet: out.get(MM + facet, []) for facet in _RECORD_FACETS})
                       for iri, (out, into) in self.facts.items() if _is_credential(out)}
        roles = {iri: Role(iri, frozenset(_values(out, "requiresCompetence")), frozenset(_values(out, "nextRole")))
                 for iri, (out, into) in self.facts.items() if _is_role(out, into)}
        competences = {iri for iri, (out, into) in self.facts.items() if _is_competence(out, into)}
        competences.update(*(c.teaches for c in credentials.values()), *(r.requires for r in roles.values()))
        return Catalogue(credentials, roles, frozenset(competences - set(credentials) - set(roles)))


_RECORD_FACETS = ("workloadHours", "teaches", "prerequisite")
"""The facets a credential's record is built from (`_credential`)."""


def _values(facts: dict[str, list[str]], prop: str) -> list[str]:
    """The values of one mm: property among a resource's facts."""
    return facts.get(MM + prop, [])


def _is_credential(out: dict[str, list[str]]) -> bool:
    """Typed mm:MicroCredential, as catalogue-credentials.rq counts credentials."""
    return MM + "MicroCredential" in out.get(RDF + "type", ())


def _is_role(out: dict[str, list[str]], into: dict[str, list[str]]) -> bool:
    """A role as catalogue-roles.rq counts one: typed mm:Role or used with mm:requiresCompetence / mm:nextRole."""
    return (MM + "Role" in out.get(RDF + "type", ()) or bool(_values(out, "requiresCompetence"))
            or bool(_values(out, "nextRole")) or bool(_values(into, "nextRole")))


def _is_competence(out: dict[str, list[str]], into: dict[str, list[str]]) -> bool:
    """A competence as catalogue-competences.rq counts one: typed mm:Competence, taught or required."""
    return (MM + "Competence" in out.get(RDF + "type", ()) or bool(_values(into, "teaches"))
            or bool(_values(into, "requiresCompetence")))


def _credential(iri: str, facets: dict[str, list[str]]) -> Credential:
    """A credential's record from its facets; the largest numeric workload, never below 0 hours."""
    hours = max([0.0, *(h for h in map(_number, facets.get("workloadHours", ())) if h is not None)])
    return Credential(iri, hours, frozenset(facets.get("teaches", ())), frozenset(facets.get("prerequisite", ())))


def labels(store: Selectable, langs: Sequence[str], fallback: str = "en",
           resources: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """Every resource's skos:prefLabel in each of `langs`, else in `fallback`, else in any language.

    All the languages come from one read of the labels (at 10 000 roles each read takes seconds):
    the first label per resource and tag, merged per language in C (dict updates) rather than
    ranked in Python per row and language. Where a resource has several labels in the winning
    language, or only labels in other languages, the first one read wins. `resources`: only
    these IRIs', each read on its own (an answer's few, before every label is read).
    """
    first: dict[str, str] = {}
    by_tag: dict[str, dict[str, str]] = defaultdict(dict)
    rows = _run(store, "labels") if resources is None else (
        row for iri in resources for row in _run_about(store, "labels", iri))
    for row in rows:
        iri, label = name(row["resource"]), name(row["label"])
        first.setdefault(iri, label)
        by_tag[row.get("lang", "")].setdefault(iri, label)
    found: dict[str, dict[str, str]] = {}
    for lang in langs:
        merged = dict(first)
        merged.update(by_tag.get(fallback, {}))
        merged.update(by_tag.get(lang, {}))
        found[lang] = merged
    return found
