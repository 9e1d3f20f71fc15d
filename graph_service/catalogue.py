"""Turn the graph into plain records (model.Catalogue) with the named queries.

The planner works only on these records, so it runs the same over the embedded store or a
remote SPARQL endpoint: anything with ``select(text, bindings)`` (rows of terms) and
``value_rows(text)`` (the rows of a catalogue-wide query as the values' text, streamed) will do.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Iterator, Mapping, Protocol, Sequence

import pyoxigraph as ox

from .model import Catalogue, Credential, Role
from .namespaces import MM
from .queries import named_queries


class Selectable(Protocol):
    """What reading the graph needs of a store: SELECT rows as dicts of terms, or streamed as the values' text."""

    def select(self, sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None) -> list[dict]: ...

    def value_rows(self, sparql: str) -> Iterator[dict[str, str]]: ...


def _run(store: Selectable, name: str) -> Iterator[dict[str, str]]:
    """Run one bundled named query; its rows are read one at a time, as the values' text."""
    return store.value_rows(named_queries()[name].text)


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


def _credential(iri: str, facets: dict[str, list[str]]) -> Credential:
    """A credential's record from its facets; the largest numeric workload, never below 0 hours."""
    hours = max([0.0, *(h for h in map(_number, facets.get("workloadHours", ())) if h is not None)])
    return Credential(iri, hours, frozenset(facets.get("teaches", ())), frozenset(facets.get("prerequisite", ())))


def labels(store: Selectable, langs: Sequence[str], fallback: str = "en") -> dict[str, dict[str, str]]:
    """Every resource's skos:prefLabel in each of `langs`, else in `fallback`, else in any language.

    All the languages come from one read of the labels (at 10 000 roles each read takes seconds):
    the first label per resource and tag, merged per language in C (dict updates) rather than
    ranked in Python per row and language. Where a resource has several labels in the winning
    language, or only labels in other languages, the first one read wins.
    """
    first: dict[str, str] = {}
    by_tag: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _run(store, "labels"):
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
