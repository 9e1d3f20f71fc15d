"""OWL consistency check with owlready2 and its bundled HermiT reasoner (needs Java)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import rdflib


@dataclass(frozen=True)
class Consistency:
    """Whether the ontology is consistent, and what the reasoner said when it is not."""

    consistent: bool
    message: str
    inconsistent_classes: tuple[str, ...] = ()


def check_consistency(paths: Iterable[Path]) -> Consistency:
    """Merge Turtle files, hand them to HermiT through owlready2, and report consistency.

    owlready2 reads RDF/XML, so the files are converted with rdflib first, into a private
    temporary folder; its quadstore is in memory and discarded afterwards.

    :raises FileNotFoundError: if Java is not installed (HermiT runs on the JVM).
    """
    import owlready2

    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "merged.owl"
        graph.serialize(target, format="xml")
        world = owlready2.World()
        onto = world.get_ontology(target.as_uri()).load()
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as err:
            return Consistency(False, f"HermiT found the ontology inconsistent: {err}")
        unsatisfiable = tuple(sorted(c.iri for c in world.inconsistent_classes()))
        if unsatisfiable:
            return Consistency(False, "unsatisfiable classes: " + ", ".join(unsatisfiable), unsatisfiable)
        return Consistency(True, f"consistent ({len(graph)} triples)")
