"""Namespace IRIs used across the service, and the prefixes users may write in parameters."""

from __future__ import annotations

MM = "https://w3id.org/mikromerit/ns#"
MMID = "https://w3id.org/mikromerit/id/"
GRAPH_BASE = "https://w3id.org/mikromerit/graph/"
EQF = "http://data.europa.eu/snb/eqf/"
ELM = "http://data.europa.eu/snb/model/elm/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"

PREFIXES: dict[str, str] = {
    "mm": MM,
    "mmid": MMID,
    "credential": MMID + "credential/",
    "competence": MMID + "competence/",
    "role": MMID + "role/",
    "ibic": MMID + "ibic/",
    "careplan": MMID + "careplan/",
    "seqf": MMID + "seqf/",
    "sfi": MMID + "sfi/",
    "eqf": EQF,
    "elm": ELM,
    "skos": SKOS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "dcterms": DCTERMS,
    "escoocc": ESCO_OCCUPATION,
}


def expand(name: str) -> str:
    """Expand a prefixed name such as ``eqf:4`` or ``role:drifttekniker``; return others as given."""
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name
