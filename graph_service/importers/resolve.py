"""What a catalogue cell names: an IRI, a prefixed name, an id or a label, looked up among known resources.

Known are the vocabularies (ontology/), every graph of the store except the one being
replaced, and what the catalogue itself defines. New competences, organisations and
sectors get an IRI minted from their label with `slug`.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections import defaultdict
from typing import Iterable

import pyoxigraph as ox

from ..namespaces import MM, MMID, PREFIXES, SKOS
from ..resources import bundled_graph_iri, vocabulary_files
from ..store import Store

COUNTRY = "http://publications.europa.eu/resource/authority/country/"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"
PREFIXES_IN_CELLS: dict[str, str] = {
    **PREFIXES, "org": MMID + "org/", "sector": MMID + "sector/", "ssyk": MMID + "ssyk/",
    "outcome": MMID + "outcome/", "country": COUNTRY,
}
_LONGEST_FIRST = sorted(PREFIXES_IN_CELLS.items(), key=lambda kv: -len(kv[1]))
KIND_CLASS: dict[str, str] = {
    "credential": MM + "MicroCredential", "competence": MM + "Competence", "role": MM + "Role",
    "organisation": MM + "Organisation", "sector": MM + "Sector", "life area": MM + "LifeArea",
    "care-plan section": MM + "CarePlanSection", "level": MM + "Level", "participation form": MM + "ParticipationForm",
}
ID_BASE: dict[str, str] = {
    "credential": MMID + "credential/", "competence": MMID + "competence/", "role": MMID + "role/",
    "organisation": MMID + "org/", "sector": MMID + "sector/", "life area": MMID + "ibic/",
    "care-plan section": MMID + "careplan/", "participation form": MM,
}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")
HINTS = 200
"""Unknown names that get a near-match hint; bulk data past that is listed without one, to stay fast."""
_KNOWN = (f"PREFIX skos: <{SKOS}>\nSELECT ?s ?type ?g ?label ?lg WHERE {{\n"
          f"  VALUES ?type {{ {' '.join(f'<{c}>' for c in KIND_CLASS.values())} }}\n"
          "  GRAPH ?g { ?s a ?type }\n"
          "  OPTIONAL { GRAPH ?lg { ?s skos:prefLabel|skos:altLabel ?label } }\n}")


class Unresolved(ValueError):
    """A cell names nothing it could mean; the message says what would be right."""


def slug(text: str) -> str:
    """The IRI segment minted from a label: lower-case ASCII letters and digits joined by hyphens.

    >>> slug("Elsäkerhet vid högspänning (grund)")
    'elsakerhet-vid-hogspanning-grund'
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))


def key(text: str) -> str:
    """A label as compared: case and runs of spaces ignored."""
    return " ".join(text.split()).casefold()


def as_iri(text: str) -> str | None:
    """The IRI a cell writes in full or as a prefixed name (``competence:x``); None for an id or a label.

    :raises Unresolved: for a full IRI that is not valid.
    """
    if re.match(r"(https?|urn):", text):
        try:
            return ox.NamedNode(text).value
        except ValueError as err:
            raise Unresolved(f"{text!r} is not a valid IRI ({err}); IRIs have no spaces") from err
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES_IN_CELLS and local and not re.search(r"\s", local):
        return PREFIXES_IN_CELLS[prefix] + local
    return None


def bare_id(text: str) -> bool:
    """Whether a text can be an id: letters, digits, ``.``, ``_``, ``~`` and ``-``, starting with a letter or digit."""
    return bool(_ID.fullmatch(text))


def short(iri: str) -> str:
    """An IRI as a prefixed name where one fits, else in angle brackets."""
    for prefix, base in _LONGEST_FIRST:
        if iri.startswith(base) and bare_id(iri[len(base):]):
            return f"{prefix}:{iri[len(base):]}"
    return f"<{iri}>"


class Index:
    """The resources a catalogue may refer to, by kind, with their ids, labels and the graphs describing them."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = defaultdict(set)
        self.graphs: dict[str, set[str]] = defaultdict(set)
        self.names: dict[str, str] = {}
        self._labels: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._display: dict[str, dict[str, str]] = defaultdict(dict)
        self._ids: dict[str, dict[str, str]] = defaultdict(dict)
        self._hints_left = HINTS

    def add(self, kind: str, iri: str, labels: Iterable[str] = (), graph: str | None = None) -> None:
        """Make a resource known as `kind`, findable by its labels (and its id under the kind's base IRI)."""
        self.kinds[iri].add(kind)
        if graph is not None:
            self.graphs[iri].add(graph)
        base = ID_BASE.get(kind)
        if base and iri.startswith(base):
            self._ids[kind].setdefault(iri[len(base):].casefold(), iri)
        for label in labels:
            if label:
                self._labels[kind][key(label)].add(iri)
                self._display[kind].setdefault(key(label), label)
                self.names.setdefault(iri, label)

    def is_a(self, kind: str, iri: str) -> bool:
        """Whether an IRI is known as `kind`."""
        return kind in self.kinds.get(iri, ())

    def classes(self, iri: str) -> list[str]:
        """The classes a known IRI has (for the SHACL check's context)."""
        return [KIND_CLASS[k] for k in sorted(self.kinds.get(iri, ()))]

    def find(self, kind: str, text: str) -> str | None:
        """The IRI of `kind` a cell names by IRI, prefixed name, id or label; None when nothing known fits.

        :raises Unresolved: for an IRI of another kind, a malformed IRI or a label naming several resources.
        """
        iri = as_iri(text)
        if iri is not None:
            if iri in self.kinds and not self.is_a(kind, iri):
                raise Unresolved(f"{short(iri)} is a {' and '.join(sorted(self.kinds[iri]))}, not a {kind}")
            return iri if self.is_a(kind, iri) else None
        found = self._ids[kind].get(text.casefold())
        if found:
            return found
        named = self._labels[kind].get(key(text), set())
        if len(named) > 1:
            raise Unresolved(f"{text!r} is the name of several {kind}s ({', '.join(short(i) for i in sorted(named))}); "
                             "write the one you mean by its IRI or prefixed name")
        return next(iter(named), None)

    def suggest(self, kind: str, text: str) -> str:
        """' (did you mean …?)' with the nearest id or label of `kind`, or '' when none is near (or out of hints)."""
        if self._hints_left <= 0:
            return ""
        self._hints_left -= 1
        candidates = [*self._display[kind], *self._ids[kind]]
        close = difflib.get_close_matches(key(text), candidates, n=1, cutoff=0.6)
        if not close:
            return ""
        shown = self._display[kind].get(close[0]) or self._ids[kind][close[0]][len(ID_BASE[kind]):]
        return f" (did you mean {shown!r}?)"

    def load(self, store: Store, skip_graph: str | None = None) -> None:
        """Add the typed resources and labels of every graph of a store but `skip_graph`."""
        kind_of = {cls: kind for kind, cls in KIND_CLASS.items()}
        for row in store.select(_KNOWN):
            graph = row["g"].value
            if graph == skip_graph:
                continue
            labels = [row["label"].value] if "label" in row and row["lg"].value != skip_graph else []
            self.add(kind_of[row["type"].value], row["s"].value, labels, graph)


@functools.cache
def vocabularies() -> Store:
    """The bundled vocabularies (ontology/) in a store of their own, read once."""
    store = Store()
    for path in vocabulary_files():
        store.load_file(path, bundled_graph_iri(path))
    return store


def known(store: Store, skip_graph: str | None) -> Index:
    """The index of the vocabularies and of a store (without the graph an import replaces)."""
    index = Index()
    index.load(vocabularies())
    index.load(store, skip_graph)
    return index
