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
            _remove_reasoner_input(err)
            return Consistency(False, f"HermiT found the ontology inconsistent: {err}")
        except Exception as err:  # Java missing (FileNotFoundError) or failing: the same file is left behind
            _remove_reasoner_input(err)
            raise
        unsatisfiable = tuple(sorted(c.iri for c in world.inconsistent_classes()))
        if unsatisfiable:
            return Consistency(False, "unsatisfiable classes: " + ", ".join(unsatisfiable), unsatisfiable)
        return Consistency(True, f"consistent ({len(graph)} triples)")


def _remove_reasoner_input(err: BaseException) -> None:
    """Delete the N-Triples file owlready2 wrote for HermiT, which it leaves in the system's temporary
    folder when HermiT fails (owlready2 0.51 removes it only after a success).

    The file's name is only in the failed call's frame (its local ``tmp``), so it is read from the
    traceback; should owlready2 rename it, nothing is removed, as before.
    """
    trace = err.__traceback__
    while trace is not None:
        frame = trace.tb_frame
        written = frame.f_locals.get("tmp") if frame.f_code.co_name.startswith("sync_reasoner") else None
        if isinstance(getattr(written, "name", None), str):
            Path(written.name).unlink(missing_ok=True)
        trace = trace.tb_next
