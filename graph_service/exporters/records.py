"""The store read into plain records for the exporters, through the named export-*.rq queries.

Works over anything with ``select`` and ``query`` (the embedded Store or a remote endpoint), so
the exporters never touch pyoxigraph stores themselves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping, Protocol

import pyoxigraph as ox

from ..namespaces import MM, SKOS
from ..queries import named_queries
from .terms import number

Term = ox.NamedNode | ox.BlankNode | ox.Literal


class Queryable(Protocol):
    """What exporting needs of a store: SELECT rows as dicts of terms (the Store or a RemoteStore)."""

    def select(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> list[dict]: ...


class ExportError(ValueError):
    """An export was asked for something the graph or the format cannot give; the message says what."""


def triple_rows(store: Queryable, name: str, bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
    """Run a named query that returns one triple per row (?s ?p ?o): its triples, deduplicated and sorted.

    Named queries are SELECTs (every one runs over the embedded and a remote store alike), so
    these play the part of CONSTRUCT queries, as describe-resource.rq does.
    """
    rows = store.select(named_queries()[name].text, bindings)
    return sorted({ox.Triple(r["s"], r["p"], r["o"]) for r in rows if {"s", "p", "o"} <= r.keys()}, key=str)


@dataclass
class Described:
    """What the graph says to name and place one resource: labels, notation, schemes, dimension, matches."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    notation: str | None = None
    schemes: list[str] = field(default_factory=list)
    dimension: str | None = None
    matches: list[str] = field(default_factory=list)
    illustrative: bool = False

    def label(self, lang: str, fallback: str = "en") -> str | None:
        """The label in `lang`, else `fallback`, else any (alphabetically first language)."""
        for tag in (lang, fallback, *sorted(self.labels)):
            if tag in self.labels:
                return self.labels[tag]
        return None


@dataclass
class CredentialRecord:
    """One micro-credential with the facts the exporters carry (IRIs as strings, texts per language)."""

    iri: str
    titles: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    further_information: dict[str, str] = field(default_factory=dict)
    assessment: dict[str, str] = field(default_factory=dict)
    eqf_levels: list[str] = field(default_factory=list)
    seqf_levels: list[str] = field(default_factory=list)
    workload_hours: Decimal | None = None
    ects: Decimal | None = None
    pass_threshold: Decimal | None = None
    outcomes: list[str] = field(default_factory=list)
    entry_levels: list[str] = field(default_factory=list)
    prerequisites: list[str] = field(default_factory=list)
    life_areas: list[str] = field(default_factory=list)
    care_plan_sections: list[str] = field(default_factory=list)
    awarding_bodies: list[str] = field(default_factory=list)
    teaches: list[str] = field(default_factory=list)
    stackable_towards: list[str] = field(default_factory=list)
    illustrative: bool = False


_LISTS = {"eqfLevel": "eqf_levels", "seqfLevel": "seqf_levels", "learningOutcome": "outcomes",
          "entryLevel": "entry_levels", "prerequisite": "prerequisites", "lifeArea": "life_areas",
          "carePlanSection": "care_plan_sections", "awardingBody": "awarding_bodies", "teaches": "teaches",
          "stackableTowards": "stackable_towards"}
_TEXTS = {SKOS + "prefLabel": "titles", SKOS + "note": "notes", MM + "furtherInformation": "further_information",
          MM + "assessmentType": "assessment"}
_NUMBERS = {"workloadHours": "workload_hours", "ects": "ects", "passThreshold": "pass_threshold"}


def _put_text(texts: dict[str, str], value: Term) -> None:
    """Keep one text per language (the alphabetically first, so exports are deterministic)."""
    if isinstance(value, ox.Literal):
        lang = value.language or ""
        if lang not in texts or value.value < texts[lang]:
            texts[lang] = value.value


def _is_true(value: Term) -> bool:
    """Whether a literal is xsd:boolean true."""
    return isinstance(value, ox.Literal) and value.value in ("true", "1")


def credential_records(store: Queryable, credential: str | None = None) -> list[CredentialRecord]:
    """Every micro-credential (or just `credential`) as a record, sorted by IRI.

    :raises ExportError: if `credential` is given but is no mm:MicroCredential in the graph.
    """
    bindings = {"credential": ox.NamedNode(credential)} if credential else None
    rows = store.select(named_queries()["export-credential-facts"].text, bindings)
    records: dict[str, CredentialRecord] = {}
    for row in rows:
        iri, prop, value = row["credential"].value, row["property"].value, row["value"]
        record = records.setdefault(iri, CredentialRecord(iri))
        local = prop[len(MM):] if prop.startswith(MM) else None
        if prop in _TEXTS:
            _put_text(getattr(record, _TEXTS[prop]), value)
        elif local in _LISTS and not isinstance(value, ox.Literal):
            getattr(record, _LISTS[local]).append(value.value)
        elif local in _NUMBERS and isinstance(value, ox.Literal):
            current, new = getattr(record, _NUMBERS[local]), number(value)
            if new is not None and (current is None or new > current):
                setattr(record, _NUMBERS[local], new)
        elif local == "illustrative":
            record.illustrative = record.illustrative or _is_true(value)
    if credential and credential not in records:
        raise ExportError(f"<{credential}> is not a micro-credential (mm:MicroCredential) in the graph")
    for record in records.values():
        for name in _LISTS.values():
            setattr(record, name, sorted(set(getattr(record, name))))
    return [records[iri] for iri in sorted(records)]


def descriptions(store: Queryable) -> dict[str, Described]:
    """Labels, notation, schemes, dimension, SKOS matches and illustrative flag of every resource, by IRI."""
    found: dict[str, Described] = {}
    matches: dict[str, set[str]] = defaultdict(set)
    for row in store.select(named_queries()["export-descriptions"].text):
        resource, prop, value = row["resource"], row["property"].value, row["value"]
        if not isinstance(resource, ox.NamedNode):
            continue
        item = found.setdefault(resource.value, Described(resource.value))
        if prop == SKOS + "prefLabel":
            _put_text(item.labels, value)
        elif prop == SKOS + "notation" and isinstance(value, ox.Literal):
            item.notation = min(item.notation or value.value, value.value)
        elif prop == SKOS + "inScheme" and isinstance(value, ox.NamedNode):
            item.schemes = sorted({*item.schemes, value.value})
        elif prop == MM + "dimension" and isinstance(value, ox.NamedNode):
            item.dimension = min(item.dimension or value.value, value.value)
        elif prop in (SKOS + "exactMatch", SKOS + "closeMatch") and isinstance(value, ox.NamedNode):
            matches[resource.value].add(value.value)
        elif prop == MM + "illustrative":
            item.illustrative = item.illustrative or _is_true(value)
    for iri, targets in matches.items():
        found[iri].matches = sorted(targets)
    return found


def matches_under(described: Mapping[str, Described], iris: Iterable[str], prefix: str) -> list[str]:
    """The SKOS matches of `iris` whose IRI starts with `prefix` (e.g. ESCO skills), sorted."""
    return sorted({m for iri in iris if iri in described for m in described[iri].matches if m.startswith(prefix)})
