"""A credential's page: the EU standard elements, outcomes by dimension, and links up and down the catalogue.

Read with the named query page-credential (the credential bound as a term).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from ..namespaces import MM, SKOS
from ..queries import named_queries
from ..service import Service
from .i18n import Translator
from .render import compact, last_segment

DIMENSIONS = (MM + "Knowledge", MM + "Skills", MM + "ResponsibilityAutonomy")
# the EU standard elements shown in the facts table, in order: (word key, properties)
FACTS = (
    ("fact_awarding", ("awardingBody",)),
    ("fact_country", ("issuerCountry", "issuerRegion")),
    ("fact_sector", ("sector",)),
    ("fact_entry", ("entryLevel",)),
    ("fact_participation", ("participationForm",)),
    ("fact_assessment", ("assessmentType",)),
    ("fact_pass", ("passThreshold",)),
    ("fact_quality", ("qualityAssurance",)),
    ("fact_supervision", ("supervision",)),
    ("fact_stackability", ("stackability",)),
    ("fact_further", ("furtherInformation",)),
)


@dataclass(frozen=True)
class Value:
    """A value to show: its text, and the IRI it names (for a link) if any."""

    label: str
    iri: str | None = None


@dataclass(frozen=True)
class CredentialView:
    """Everything the credential page shows."""

    iri: str
    title: str
    hours: float | None
    ects: float | None
    eqf: str | None
    seqf: str | None
    illustrative: bool
    facts: tuple[tuple[str, tuple[Value, ...]], ...]
    outcomes: tuple[tuple[str, tuple[str, ...]], ...]
    life_areas: tuple[Value, ...]
    sections: tuple[Value, ...]
    teaches: tuple[Value, ...]
    prerequisites: tuple[Value, ...]
    unlocks: tuple[Value, ...]
    roles: tuple[Value, ...]
    stackable: tuple[Value, ...]


def pick(literals: list[ox.Literal], lang: str) -> list[str]:
    """The literals in `lang`, else in the other language, else the untagged ones."""
    for wanted in (lang, "en" if lang == "sv" else "sv", None):
        found = [lit.value for lit in literals if (lit.language or None) == wanted]
        if found:
            return found
    return [lit.value for lit in literals]


def credential_view(service: Service, iri: str, lang: str) -> CredentialView | None:
    """The page of one credential, or None if the graph has no credential with that IRI."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # a code with characters no IRI may hold names no credential
        return None
    rows = service.store.select(named_queries()["page-credential"].text, {"credential": node})
    if not rows:
        return None
    t, names = Translator(lang), service.labels(lang)
    facts: dict[str, list[ox.NamedNode | ox.Literal]] = defaultdict(list)
    outcomes: dict[str, list[ox.Literal]] = defaultdict(list)
    dimension_of: dict[str, str] = {}
    related: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        part = row["part"].value
        if part == "fact":
            facts[row["property"].value].append(row["value"])
        elif part == "outcome":
            outcomes[row["outcome"].value].append(row["value"])
            dimension_of[row["outcome"].value] = row["dimension"].value if "dimension" in row else ""
        else:
            related[part].add(row["value"].value)

    def values(name: str) -> tuple[Value, ...]:
        """The values of mm:`name`: IRIs by label, then literals in the page language."""
        terms = facts.get(MM + name, [])
        iris = sorted({term.value for term in terms if isinstance(term, ox.NamedNode)},
                      key=lambda i: names.get(i, i).casefold())
        shown = [Value(names.get(i, _readable(i)), i) for i in iris]
        literals = [term for term in terms if isinstance(term, ox.Literal)]
        if name == "passThreshold":
            return tuple(shown + [Value(f"{t.number(float(v))}\u00a0%") for v in pick(literals, lang)])
        return tuple(shown + [Value(v) for v in pick(literals, lang)])

    def linked(iris: set[str]) -> tuple[Value, ...]:
        """IRIs as labelled values, by label."""
        return tuple(Value(names.get(i, compact(i)), i) for i in sorted(iris, key=lambda i: names.get(i, i).casefold()))

    def number(name: str) -> float | None:
        """The first value of mm:`name` as a number."""
        found = facts.get(MM + name)
        return float(found[0].value) if found else None

    def first(name: str) -> str | None:
        """The smallest IRI value of mm:`name`."""
        found = sorted(term.value for term in facts.get(MM + name, []))
        return found[0] if found else None

    grouped: dict[str, list[str]] = defaultdict(list)
    for outcome in sorted(outcomes):
        grouped[dimension_of[outcome]] += pick(outcomes[outcome], lang)[:1]
    order = [d for d in DIMENSIONS if d in grouped] + sorted(d for d in grouped if d not in DIMENSIONS)
    title = pick([v for v in facts.get(SKOS + "prefLabel", []) if isinstance(v, ox.Literal)], lang)
    return CredentialView(
        iri=iri, title=title[0] if title else compact(iri), hours=number("workloadHours"), ects=number("ects"),
        eqf=first("eqfLevel"), seqf=first("seqfLevel"),
        illustrative=any(v.value == "true" for v in facts.get(MM + "illustrative", [])),
        facts=tuple((t(key), tuple(v for name in props for v in values(name))) for key, props in FACTS
                    if any(facts.get(MM + name) for name in props)),
        outcomes=tuple((names.get(d, t("other_dimension")) if d else t("other_dimension"), tuple(grouped[d]))
                       for d in order),
        life_areas=values("lifeArea"), sections=values("carePlanSection"), teaches=values("teaches"),
        prerequisites=values("prerequisite"), unlocks=linked(related["unlocks"]), roles=linked(related["role"]),
        stackable=values("stackableTowards"))


def _readable(iri: str) -> str:
    """A name for an IRI without a label, e.g. ``SWE`` for the EU country authority's Sweden."""
    return last_segment(iri)
