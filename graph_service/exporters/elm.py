"""European Learning Model v3: each mm:MicroCredential as an elm:LearningAchievementSpecification.

Written in the JSON-LD of the EU's EDC application profile (context ``edc-ap``, as in the EU's own
ELM v3 samples): title, ``educationLevel`` (EQF level, EU IRI, and SeQF level; never
``EQFLevel``, which ELM keeps for elm:Qualification), ``volumeOfLearning`` as an xsd:duration,
``creditPoint`` → elm:CreditPoint (ECTS), ``learningOutcome`` → elm:LearningOutcome (type from
the EU skill-type list where the dimension is knowledge or skills), ``entryRequirement`` →
elm:Note (its dc:subject the entry level, e.g. SFI course D), ``relatedESCOSkill``.
"""

from __future__ import annotations

from typing import Any, Mapping

import pyoxigraph as ox

from ..namespaces import EQF
from .jsonld import as_list, labels, language_map, node_id, nodes, types
from .records import CredentialRecord, Described, matches_under
from .terms import (CREDIT_SCHEME, ECTS, ELM_CONTEXT, EQF_SCHEME, ESCO_SKILL, ESCO_SKILLS_SCHEME, LANGUAGE_SCHEME,
                    LANGUAGES, LEARNING_OUTCOME, MICRO_CREDENTIAL, RDF_TYPE, SEQF_SCHEME,
                    SKILL_TYPE_SCHEME, SKILL_TYPES, canonical_decimal, decimal_literal, duration_to_hours,
                    hours_to_duration, mm)

_PREREQUISITE_WORDS = {"sv": "godkänd mikromerit", "en": "passed micro-credential"}


def _concept(iri: str, scheme: str, described: Mapping[str, Described], names: dict[str, str] | None = None
             ) -> dict[str, Any]:
    """A skos:Concept node the way the EU samples write one: id, type, inScheme, prefLabel, notation."""
    item = described.get(iri)
    node: dict[str, Any] = {"id": iri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"}}
    names = names if names is not None else (dict(item.labels) if item else {})
    if names:
        node["prefLabel"] = language_map(names)
    if item and item.notation:
        node["notation"] = item.notation
    return node


def _name(iri: str, lang: str, described: Mapping[str, Described]) -> str:
    """A resource's label in `lang` (with fallbacks), else its IRI."""
    item = described.get(iri)
    return (item.label(lang) if item else None) or iri


def _note(texts: Mapping[str, str]) -> dict[str, Any]:
    """An elm:Note with one text per language."""
    return {"type": "Note", "noteLiteral": language_map(texts)}


def _entry_requirement(record: CredentialRecord, described: Mapping[str, Described]) -> dict[str, Any] | None:
    """The entry requirement note: entry levels and prerequisite credentials, in every language they have."""
    if not record.entry_levels and not record.prerequisites:
        return None
    langs = sorted({lang for iri in record.entry_levels + record.prerequisites if iri in described
                    for lang in described[iri].labels} | set(record.titles)) or ["en"]
    texts = {}
    for lang in langs:
        word = _PREREQUISITE_WORDS.get(lang, _PREREQUISITE_WORDS["en"])
        parts = [_name(i, lang, described) for i in record.entry_levels]
        parts += [f"{word}: {_name(i, lang, described)}" for i in record.prerequisites]
        texts[lang] = "; ".join(parts)
    note = _note(texts)
    if len(record.entry_levels) == 1:  # elm:Note has at most one dc:subject
        level = record.entry_levels[0]
        schemes = described[level].schemes if level in described else []
        note["subject"] = _concept(level, schemes[0], described) if schemes else {"id": level}
    return note


def _outcome(iri: str, described: Mapping[str, Described]) -> dict[str, Any]:
    """An elm:LearningOutcome: title per language, and its skill type where ELM has one."""
    item = described.get(iri)
    node: dict[str, Any] = {"id": iri, "type": "LearningOutcome"}
    if item and item.labels:
        node["title"] = language_map(item.labels)
    if item and item.dimension in SKILL_TYPES:
        kind = SKILL_TYPES[item.dimension]
        node["dcType"] = _concept(kind, SKILL_TYPE_SCHEME, described, {"en": kind.rsplit("/", 1)[-1]})
    return node


def specification(record: CredentialRecord, described: Mapping[str, Described]) -> dict[str, Any]:
    """One credential as an elm:LearningAchievementSpecification node (JSON-LD, edc-ap terms)."""
    spec: dict[str, Any] = {"id": record.iri, "type": "LearningAchievementSpecification",
                            "title": language_map(record.titles)}
    languages = [_concept(f"{LANGUAGE_SCHEME}/{LANGUAGES[t][0]}", LANGUAGE_SCHEME, described, {"en": LANGUAGES[t][1]})
                 for t in sorted(record.titles) if t in LANGUAGES]
    if languages:
        spec["language"] = languages
    levels = [_concept(i, EQF_SCHEME, described) for i in record.eqf_levels]
    levels += [_concept(i, SEQF_SCHEME, described) for i in record.seqf_levels]  # read back by scheme
    if levels:
        spec["educationLevel"] = levels
    if record.workload_hours is not None:
        spec["volumeOfLearning"] = hours_to_duration(record.workload_hours)
    if record.ects is not None:
        framework = _concept(ECTS, CREDIT_SCHEME, described, {"en": "European Credit Transfer System"})
        spec["creditPoint"] = [{"type": "CreditPoint", "framework": framework, "point": canonical_decimal(record.ects)}]
    entry = _entry_requirement(record, described)
    if entry:
        spec["entryRequirement"] = entry
    if record.outcomes:
        spec["learningOutcome"] = [_outcome(i, described) for i in record.outcomes]
    skills = matches_under(described, record.teaches, ESCO_SKILL)
    if skills:
        spec["relatedESCOSkill"] = [_concept(s, ESCO_SKILLS_SCHEME, described) for s in skills]
    notes = [_note(t) for t in (record.further_information, record.notes) if t]
    if notes:
        spec["additionalNote"] = notes
    return spec


def document(records: list[CredentialRecord], described: Mapping[str, Described], single: bool) -> dict[str, Any]:
    """The JSON-LD document: one specification with its context, or a @graph of them."""
    specs = [specification(r, described) for r in records]
    if single:
        return {"@context": ELM_CONTEXT, **specs[0]}
    return {"@context": ELM_CONTEXT, "@graph": specs}


# --- reading an export back ------------------------------------------------------------------

def read(doc: Any) -> list[ox.Triple]:
    """mm: triples for what an ELM export carries: type, titles, levels, workload, ECTS, entry level, outcomes.

    :raises ValueError: for a volumeOfLearning that is not a day/time duration or a non-numeric point.
    """
    out: list[ox.Triple] = []
    dimensions = {kind: dim for dim, kind in SKILL_TYPES.items()}
    for node in nodes(doc):
        if "LearningAchievementSpecification" not in types(node) or not node_id(node):
            continue
        spec = ox.NamedNode(node_id(node))
        out.append(ox.Triple(spec, RDF_TYPE, MICRO_CREDENTIAL))
        out += labels(spec, node.get("title"))
        for level in as_list(node.get("educationLevel")):
            scheme = node_id(level.get("inScheme")) if isinstance(level, dict) else None
            iri = node_id(level)
            if iri and (scheme == EQF_SCHEME or (scheme is None and iri.startswith(EQF))):
                out.append(ox.Triple(spec, mm("eqfLevel"), ox.NamedNode(iri)))
            elif iri and scheme == SEQF_SCHEME:
                out.append(ox.Triple(spec, mm("seqfLevel"), ox.NamedNode(iri)))
        if node.get("volumeOfLearning"):
            hours = duration_to_hours(str(node["volumeOfLearning"]))
            out.append(ox.Triple(spec, mm("workloadHours"), decimal_literal(hours)))
        for credit in as_list(node.get("creditPoint")):
            if isinstance(credit, dict) and node_id(credit.get("framework")) == ECTS and "point" in credit:
                out.append(ox.Triple(spec, mm("ects"), decimal_literal(str(credit["point"]))))
        for entry in as_list(node.get("entryRequirement")):
            subject = node_id(entry.get("subject")) if isinstance(entry, dict) else None
            if subject:
                out.append(ox.Triple(spec, mm("entryLevel"), ox.NamedNode(subject)))
        for outcome in as_list(node.get("learningOutcome")):
            if not isinstance(outcome, dict) or not node_id(outcome):
                continue
            lo = ox.NamedNode(node_id(outcome))
            out += [ox.Triple(spec, mm("learningOutcome"), lo), ox.Triple(lo, RDF_TYPE, LEARNING_OUTCOME)]
            out += labels(lo, outcome.get("title"))
            kind = node_id(outcome.get("dcType"))
            if kind in dimensions:
                out.append(ox.Triple(lo, mm("dimension"), ox.NamedNode(dimensions[kind])))
    return out
