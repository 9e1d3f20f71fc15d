"""The columns of the three catalogue sheets and the RDF property each fills.

mappings/templates/README.md documents every column (EU standard element, allowed values,
examples); tests/test_importer.py checks that it and the template headers list exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..namespaces import DCTERMS, MM, SKOS

SEPARATOR = "|"
"""Separates several values in one cell, e.g. ``d4 | Personlig vård``."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet and the property it fills (None: it names the row's resource)."""

    name: str
    predicate: str | None


def _texts(name: str, predicate: str) -> tuple[Column, Column]:
    """A text column in Swedish and English (``<name>_sv``, ``<name>_en``)."""
    return Column(f"{name}_sv", predicate), Column(f"{name}_en", predicate)


_SHARED = (
    Column("illustrative", MM + "illustrative"),
    *_texts("note", SKOS + "note"),
    Column("source", DCTERMS + "source"),
)

CREDENTIAL_COLUMNS: tuple[Column, ...] = (
    Column("credential_id", None),
    *_texts("title", SKOS + "prefLabel"),
    Column("awarding_body", MM + "awardingBody"),
    Column("issuer_country", MM + "issuerCountry"),
    Column("issuer_region", MM + "issuerRegion"),
    *_texts("assessment_type", MM + "assessmentType"),
    Column("participation_form", MM + "participationForm"),
    *_texts("quality_assurance", MM + "qualityAssurance"),
    *_texts("supervision", MM + "supervision"),
    *_texts("stackability", MM + "stackability"),
    Column("stackable_towards", MM + "stackableTowards"),
    *_texts("further_information", MM + "furtherInformation"),
    Column("eqf", MM + "eqfLevel"),
    Column("seqf", MM + "seqfLevel"),
    Column("entry_level", MM + "entryLevel"),
    Column("workload_hours", MM + "workloadHours"),
    Column("ects", MM + "ects"),
    Column("teaches", MM + "teaches"),
    Column("prerequisites", MM + "prerequisite"),
    Column("life_areas", MM + "lifeArea"),
    Column("care_plan_sections", MM + "carePlanSection"),
    Column("pass_threshold", MM + "passThreshold"),
    *_texts("outcome_knowledge", MM + "learningOutcome"),
    *_texts("outcome_skills", MM + "learningOutcome"),
    *_texts("outcome_responsibility", MM + "learningOutcome"),
    Column("sector", MM + "sector"),
    *_SHARED,
)

ROLE_COLUMNS: tuple[Column, ...] = (
    Column("role_id", None),
    *_texts("label", SKOS + "prefLabel"),
    *_texts("alt_label", SKOS + "altLabel"),
    Column("requires", MM + "requiresCompetence"),
    Column("next_roles", MM + "nextRole"),
    Column("ssyk", MM + "ssyk"),
    Column("esco_exact_match", SKOS + "exactMatch"),
    Column("esco_close_match", SKOS + "closeMatch"),
    Column("sector", MM + "sector"),
    *_SHARED,
)

COMPETENCE_COLUMNS: tuple[Column, ...] = (
    Column("competence_id", None),
    *_texts("label", SKOS + "prefLabel"),
    Column("esco_close_match", SKOS + "closeMatch"),
    *_SHARED,
)

SHEETS: dict[str, tuple[Column, ...]] = {
    "credentials": CREDENTIAL_COLUMNS,
    "roles": ROLE_COLUMNS,
    "competences": COMPETENCE_COLUMNS,
}
"""Sheet kind → its columns; the first column is the id column that tells a CSV's kind."""

ID_COLUMNS: dict[str, str] = {kind: columns[0].name for kind, columns in SHEETS.items()}


def column_for(kind: str, predicate: str) -> str | None:
    """The column(s) of a sheet that fill a property, e.g. ``title_sv / title_en``."""
    names = [c.name for c in SHEETS[kind] if c.predicate == predicate]
    return " / ".join(names) or None
