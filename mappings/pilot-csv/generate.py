"""Write the bundled pilot catalogue (mappings/*.ttl) as the import template's CSV sheets, into this folder.

Run once from the repository root: ``.venv/bin/python mappings/pilot-csv/generate.py``. The CSVs
are committed as data; tests/test_importer.py checks that importing them gives the pilot's triples.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import rdflib
from rdflib.namespace import DCTERMS, RDF, SKOS

from graph_service.importers.columns import SHEETS

HERE = Path(__file__).resolve().parent
MM = rdflib.Namespace("https://w3id.org/mikromerit/ns#")
SEP = " | "


def local(iri: rdflib.term.Node) -> str:
    """The last path segment of an IRI (``…/credential/vk-01`` → ``vk-01``, ``…#Blended`` → ``Blended``)."""
    return str(iri).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def text(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.term.Node, lang: str | None = None) -> str:
    """The one literal of a property (in a language, if given), or ''."""
    for value in graph.objects(subject, predicate):
        if lang is None or getattr(value, "language", None) == lang:
            return str(value)
    return ""


def texts(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.term.Node, lang: str) -> str:
    """Every literal of a property in a language, joined by the separator."""
    return SEP.join(sorted(str(v) for v in graph.objects(subject, predicate) if v.language == lang))


def links(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.term.Node, show) -> str:
    """Every IRI of a property, shown by `show`, sorted and joined by the separator."""
    return SEP.join(sorted(show(o) for o in graph.objects(subject, predicate)))


def number(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.term.Node) -> str:
    value = graph.value(subject, predicate)
    return format(Decimal(str(value)).normalize(), "f") if value is not None else ""


def shared(graph: rdflib.Graph, subject: rdflib.term.Node) -> dict[str, str]:
    """The columns every sheet has: the illustrative flag, notes and source."""
    return {"illustrative": "true" if graph.value(subject, MM.illustrative) is not None else "",
            "note_sv": text(graph, subject, SKOS.note, "sv"), "note_en": text(graph, subject, SKOS.note, "en"),
            "source": text(graph, subject, DCTERMS.source)}


def credential(graph: rdflib.Graph, c: rdflib.term.Node) -> dict[str, str]:
    """One credential as a row of the credentials sheet."""
    def label(node: rdflib.term.Node) -> str:
        return text(graph, node, SKOS.prefLabel, "sv")

    row = {"credential_id": local(c), "title_sv": label(c), "title_en": text(graph, c, SKOS.prefLabel, "en"),
           "awarding_body": links(graph, c, MM.awardingBody, label),
           "issuer_country": links(graph, c, MM.issuerCountry, local),
           "issuer_region": text(graph, c, MM.issuerRegion),
           "participation_form": links(graph, c, MM.participationForm, local),
           "stackable_towards": links(graph, c, MM.stackableTowards, local),
           "eqf": links(graph, c, MM.eqfLevel, local), "seqf": links(graph, c, MM.seqfLevel, local),
           "entry_level": links(graph, c, MM.entryLevel, label),
           "workload_hours": number(graph, c, MM.workloadHours), "ects": number(graph, c, MM.ects),
           "teaches": links(graph, c, MM.teaches, label), "prerequisites": links(graph, c, MM.prerequisite, local),
           "life_areas": links(graph, c, MM.lifeArea, local),
           "care_plan_sections": links(graph, c, MM.carePlanSection, lambda s: label(s).lower()),
           "pass_threshold": number(graph, c, MM.passThreshold),
           "sector": links(graph, c, MM.sector, label), **shared(graph, c)}
    for name, predicate in (("assessment_type", MM.assessmentType), ("quality_assurance", MM.qualityAssurance),
                            ("supervision", MM.supervision), ("stackability", MM.stackability),
                            ("further_information", MM.furtherInformation)):
        row[f"{name}_sv"], row[f"{name}_en"] = text(graph, c, predicate, "sv"), text(graph, c, predicate, "en")
    outcomes = sorted(graph.objects(c, MM.learningOutcome), key=lambda o: (len(str(o)), str(o)))
    for name, dimension in (("knowledge", MM.Knowledge), ("skills", MM.Skills),
                            ("responsibility", MM.ResponsibilityAutonomy)):
        mine = [o for o in outcomes if graph.value(o, MM.dimension) == dimension]
        for lang in ("sv", "en"):
            row[f"outcome_{name}_{lang}"] = SEP.join(text(graph, o, SKOS.prefLabel, lang) for o in mine)
    return row


def role(graph: rdflib.Graph, r: rdflib.term.Node) -> dict[str, str]:
    """One role as a row of the roles sheet."""
    return {"role_id": local(r), "label_sv": text(graph, r, SKOS.prefLabel, "sv"),
            "label_en": text(graph, r, SKOS.prefLabel, "en"),
            "alt_label_sv": texts(graph, r, SKOS.altLabel, "sv"), "alt_label_en": texts(graph, r, SKOS.altLabel, "en"),
            "requires": links(graph, r, MM.requiresCompetence, local),
            "next_roles": links(graph, r, MM.nextRole, local),
            "ssyk": links(graph, r, MM.ssyk, local),
            "esco_exact_match": links(graph, r, SKOS.exactMatch, lambda o: f"escoocc:{local(o)}"),
            "esco_close_match": links(graph, r, SKOS.closeMatch, lambda o: f"escoocc:{local(o)}"),
            "sector": links(graph, r, MM.sector, lambda s: text(graph, s, SKOS.prefLabel, "sv")), **shared(graph, r)}


def competence(graph: rdflib.Graph, c: rdflib.term.Node) -> dict[str, str]:
    """One competence as a row of the competences sheet."""
    return {"competence_id": local(c), "label_sv": text(graph, c, SKOS.prefLabel, "sv"),
            "label_en": text(graph, c, SKOS.prefLabel, "en"),
            "esco_close_match": links(graph, c, SKOS.closeMatch, str), **shared(graph, c)}


def main() -> None:
    """Read the pilot (with the vocabularies, for labels) and write the three sheets."""
    graph = rdflib.Graph()
    for path in sorted((HERE.parent.parent / "ontology").glob("*.ttl")) + sorted(HERE.parent.glob("*.ttl")):
        graph.parse(path)
    sheets = {"credentials": (MM.MicroCredential, credential), "roles": (MM.Role, role),
              "competences": (MM.Competence, competence)}
    for kind, (cls, make) in sheets.items():
        columns = [c.name for c in SHEETS[kind]]
        with open(HERE / f"{kind}.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(make(graph, s) for s in sorted(graph.subjects(RDF.type, cls), key=str))


if __name__ == "__main__":
    main()
