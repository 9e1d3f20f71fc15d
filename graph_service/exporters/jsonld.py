"""Reading the JSON-LD shapes the exporters write: values that may be one or many, node references."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import pyoxigraph as ox

from .terms import PREF_LABEL, lang_literal


def as_list(value: Any) -> list:
    """A JSON-LD value as a list (absent → empty, one → [one])."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def node_id(value: Any) -> str | None:
    """The IRI of a node reference: an object's id / @id, or a plain string."""
    if isinstance(value, dict):
        found = value.get("id", value.get("@id"))
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) else None


def types(node: Mapping[str, Any]) -> list[str]:
    """A node's type names (``type`` or ``@type``, one or many)."""
    return [t for t in as_list(node.get("type", node.get("@type"))) if isinstance(t, str)]


def nodes(doc: Any) -> Iterable[dict]:
    """The top-level nodes of a JSON-LD document: a single node, a list, or a @graph."""
    if isinstance(doc, list):
        for item in doc:
            yield from nodes(item)
    elif isinstance(doc, dict):
        if "@graph" in doc:
            yield from nodes(doc["@graph"])
        else:
            yield doc


def language_map(texts: Mapping[str, str]) -> dict[str, str]:
    """A JSON-LD language map, languages sorted; a text without language goes under ``@none``."""
    return {lang or "@none": text for lang, text in sorted(texts.items())}


def labels(subject: ox.NamedNode, texts: Any) -> list[ox.Triple]:
    """skos:prefLabel triples from a JSON-LD language map (``{"sv": …, "en": …}``)."""
    if not isinstance(texts, dict):
        return []
    return [ox.Triple(subject, PREF_LABEL, lang_literal(text, "" if lang == "@none" else lang))
            for lang, text in sorted(texts.items()) if isinstance(text, str)]
