"""Open Badges 3.0 (1EdTech): each mm:MicroCredential as an ``Achievement``.

An Achievement is plain JSON checked by 1EdTech's JSON Schema: ``name`` and ``description``
are single strings, so the title is given in one language (Swedish, else English) with
``inLanguage``. Alignments point at EQF and SeQF levels, IBIC life areas, care-plan sections and
ESCO occupations (through the roles a credential stacks towards) and skills (through the
competences it teaches); each alignment has ``targetName`` and ``targetUrl`` and says which
kind of target it is in ``targetType`` (``ext:`` names, the spec's way to extend that list). The
pass mark is a ``resultDescription`` of result type ``Percent`` (values as strings).
"""

from __future__ import annotations

from typing import Any, Mapping

import pyoxigraph as ox

from ..namespaces import EQF, MMID
from .jsonld import as_list, node_id, nodes, types
from .records import CredentialRecord, Described, matches_under
from .terms import (ESCO_OCCUPATION, ESCO_SKILL, MICRO_CREDENTIAL, OB3_CONTEXT, PREF_LABEL, RDF_TYPE,
                    canonical_decimal, decimal_literal, lang_literal, local_code, mm)

LANGUAGES = ("sv", "en")
#: alignment targetType → the mm: property it carries back (None: shown, not read back).
TARGET_TYPES: dict[str, str | None] = {
    "ext:EQFLevel": "eqfLevel", "ext:SeQFLevel": "seqfLevel", "ext:IBICLifeArea": "lifeArea",
    "ext:CarePlanSection": "carePlanSection", "ext:ESCOOccupation": None, "ext:ESCOSkill": None,
}
_BY_PREFIX = {EQF: "eqfLevel", MMID + "seqf/": "seqfLevel", MMID + "ibic/": "lifeArea",
              MMID + "careplan/": "carePlanSection"}
_WORDS = {
    "sv": {"assessment": "Bedömning", "outcomes": "Läranderesultat", "pass": "Godkänt: andel rätt (procent)"},
    "en": {"assessment": "Assessment", "outcomes": "Learning outcomes", "pass": "Pass mark: share correct (percent)"},
}


def primary_language(record: CredentialRecord) -> str | None:
    """The language an Achievement is written in: Swedish if the title has it, else English."""
    return next((lang for lang in LANGUAGES if lang in record.titles), None)


def _text(texts: Mapping[str, str], lang: str) -> str | None:
    """The text in `lang`, else English, else None."""
    return texts.get(lang) or texts.get("en")


def _alignment(iri: str, kind: str, lang: str, described: Mapping[str, Described], framework: str | None = None
               ) -> dict[str, Any]:
    """One Alignment: name, URL, framework (the concept scheme's name) and code where the graph has them."""
    item = described.get(iri)
    node: dict[str, Any] = {"type": ["Alignment"], "targetName": (item.label(lang) if item else None) or iri,
                            "targetUrl": iri, "targetType": kind}
    schemes = item.schemes if item else []
    scheme = described.get(schemes[0]) if schemes else None
    name = (scheme.label(lang) if scheme else None) or framework
    if name:
        node["targetFramework"] = name
    if item and item.notation:
        node["targetCode"] = item.notation
    return node


def _criteria(record: CredentialRecord, lang: str, described: Mapping[str, Described]) -> str:
    """The criteria narrative (Markdown): how the credential is assessed and its learning outcomes."""
    words = _WORDS.get(lang, _WORDS["en"])
    parts = []
    if _text(record.assessment, lang):
        parts.append(f"**{words['assessment']}:** {_text(record.assessment, lang)}")
    outcomes = [described[o].label(lang) for o in record.outcomes if o in described and described[o].labels]
    if outcomes:
        parts.append(f"**{words['outcomes']}:**\n" + "\n".join(f"- {text}" for text in outcomes))
    return "\n\n".join(parts) or record.titles.get(lang, record.iri)


def achievement(record: CredentialRecord, described: Mapping[str, Described]) -> dict[str, Any]:
    """One credential as an Open Badges 3.0 Achievement (JSON, with the OB 3.0 JSON-LD context)."""
    lang = primary_language(record) or "en"
    name = record.titles.get(lang) or local_code(record.iri)
    description = "\n\n".join(t for t in (_text(record.further_information, lang), _text(record.notes, lang)) if t)
    node: dict[str, Any] = {
        "@context": OB3_CONTEXT, "id": record.iri, "type": ["Achievement"], "achievementType": "MicroCredential",
        "name": name, "description": description or name,
        "criteria": {"narrative": _criteria(record, lang, described)}, "humanCode": local_code(record.iri),
    }
    if primary_language(record):
        node["inLanguage"] = lang
    bodies = [b for b in record.awarding_bodies if b in described and described[b].labels]
    if bodies:
        node["creator"] = {"id": bodies[0], "type": ["Profile"], "name": described[bodies[0]].label(lang)}
    alignment = [_alignment(i, "ext:EQFLevel", lang, described) for i in record.eqf_levels]
    alignment += [_alignment(i, "ext:SeQFLevel", lang, described) for i in record.seqf_levels]
    alignment += [_alignment(i, "ext:IBICLifeArea", lang, described) for i in record.life_areas]
    alignment += [_alignment(i, "ext:CarePlanSection", lang, described) for i in record.care_plan_sections]
    alignment += [_alignment(i, "ext:ESCOOccupation", lang, described, "ESCO")
                  for i in matches_under(described, record.stackable_towards, ESCO_OCCUPATION)]
    alignment += [_alignment(i, "ext:ESCOSkill", lang, described, "ESCO")
                  for i in matches_under(described, record.teaches, ESCO_SKILL)]
    if alignment:
        node["alignment"] = alignment
    if record.pass_threshold is not None:
        node["resultDescription"] = [{
            "id": f"{record.iri}#pass-mark", "type": ["ResultDescription"],
            "name": _WORDS.get(lang, _WORDS["en"])["pass"], "resultType": "Percent",
            "requiredValue": canonical_decimal(record.pass_threshold), "valueMin": "0", "valueMax": "100",
        }]
    return node


def document(records: list[CredentialRecord], described: Mapping[str, Described], single: bool) -> Any:
    """One Achievement, or a JSON array of them."""
    items = [achievement(r, described) for r in records]
    return items[0] if single else items


def _property(alignment: Mapping[str, Any]) -> str | None:
    """Which mm: property an alignment carries back: by its targetType, else by its URL's namespace."""
    kind = alignment.get("targetType")
    if kind in TARGET_TYPES:
        return TARGET_TYPES[kind]
    url = alignment.get("targetUrl") or ""
    return next((prop for prefix, prop in _BY_PREFIX.items() if url.startswith(prefix) and url != prefix), None)


def read(doc: Any) -> list[ox.Triple]:
    """mm: triples for what an Achievement carries: type, title, levels, life areas, plan sections, pass mark.

    :raises ValueError: for a Percent result whose requiredValue is not a number.
    """
    out: list[ox.Triple] = []
    for node in nodes(doc):
        if "Achievement" not in types(node) or not node_id(node):
            continue
        subject = ox.NamedNode(node_id(node))
        if node.get("achievementType") == "MicroCredential":
            out.append(ox.Triple(subject, RDF_TYPE, MICRO_CREDENTIAL))
        if isinstance(node.get("name"), str) and node.get("inLanguage"):
            out.append(ox.Triple(subject, PREF_LABEL, lang_literal(node["name"], node["inLanguage"])))
        for alignment in as_list(node.get("alignment")):
            prop = _property(alignment) if isinstance(alignment, dict) else None
            if prop and alignment.get("targetUrl"):
                out.append(ox.Triple(subject, mm(prop), ox.NamedNode(alignment["targetUrl"])))
        for result in as_list(node.get("resultDescription")):
            if isinstance(result, dict) and result.get("resultType") == "Percent" and "requiredValue" in result:
                out.append(ox.Triple(subject, mm("passThreshold"), decimal_literal(str(result["requiredValue"]))))
    return out
