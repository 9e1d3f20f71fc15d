"""Catalogue rows → RDF quads in the catalogue's graph, noting every problem at its row and column.

Nothing stops at the first problem: every row and cell is read, so one import lists them all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Callable, Iterator, Sequence

import pyoxigraph as ox

from ..namespaces import DCTERMS, MM, MMID, RDF, SKOS, XSD
from . import values
from .columns import ID_COLUMNS, SEPARATOR
from .resolve import ID_BASE, KIND_CLASS, Index, Unresolved, as_iri, short, slug
from .tables import Issue, Row, Sheet

Progress = Callable[[str, int, int], None]
"""Told (phase, done, total) as an import goes on."""

_KIND = {"credentials": "credential", "roles": "role", "competences": "competence"}
_LABELS = {"credentials": "title", "roles": "label", "competences": "label"}
_DIMENSIONS = (("knowledge", "k", MM + "Knowledge"), ("skills", "s", MM + "Skills"),
               ("responsibility", "r", MM + "ResponsibilityAutonomy"))
_TEXTS = {"assessment_type": MM + "assessmentType", "quality_assurance": MM + "qualityAssurance",
          "supervision": MM + "supervision", "stackability": MM + "stackability",
          "further_information": MM + "furtherInformation"}
_CLASSES = {**KIND_CLASS, "outcome": MM + "LearningOutcome"}
_TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
_CLOSED = {
    "life area": "write a code d1–d9 or the Swedish name, e.g. 'Personlig vård'",
    "care-plan section": "write mål, aktiviteter, ansvar or uppföljning",
    "participation form": "write OnSite, Online, Blended or WorkBased (or på plats, distans, kombinerad, "
                          "arbetsplatsförlagd)",
    "role": "name a role of the roles sheet or of the graph by its id, IRI or exact name",
    "credential": "name a credential of this catalogue or of the graph by its id (e.g. vk-01), IRI or exact title",
}


@dataclass
class Built:
    """What a catalogue became: its quads (in its graph), where each resource came from, and the problems found."""

    quads: list[ox.Quad] = field(default_factory=list)
    origins: dict[str, tuple[Sheet, int, str | None]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    issues: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)


class _Cells:
    """One row being read: its cells' text, and problems reported at its columns."""

    def __init__(self, built: Built, sheet: Sheet, row: Row):
        self.built, self.sheet, self.row = built, sheet, row
        self.illustrative = False

    def text(self, column: str) -> str:
        return self.row.cells.get(column, "")

    def items(self, column: str) -> list[str]:
        """The values of a cell, split at the separator."""
        return [part.strip() for part in self.text(column).split(SEPARATOR) if part.strip()]

    def error(self, column: str | None, value: str | None, message: str) -> None:
        self.built.issues.append(self.sheet.issue(self.row.number, column, value, message))

    def note(self, column: str | None, value: str | None, message: str) -> None:
        self.built.notes.append(self.sheet.issue(self.row.number, column, value, message))

    def each(self, column: str, read: Callable[[str], str]) -> list[str]:
        """Every value of a cell read by `read`; the ones that cannot be read become errors."""
        found = []
        for item in self.items(column):
            try:
                found.append(read(item))
            except Unresolved as err:
                self.error(column, item, str(err))
        return found

    def one(self, column: str, read: Callable[[str], object]) -> object | None:
        """The single value of a cell read by `read`; None when empty or wrong."""
        text = self.text(column)
        if not text:
            return None
        if SEPARATOR in text:
            self.error(column, text, f"give one value only, without {SEPARATOR!r}")
            return None
        try:
            return read(text)
        except Unresolved as err:
            self.error(column, text, str(err))
            return None


class Builder:
    """Reads the sheets of one catalogue into quads in `graph`, resolving names against an index of known resources.

    Quads, not triples: the store writes them as they are (rebuilding 0.6 M triples as quads took
    ~1.7 s of a 10 000-row import).
    """

    def __init__(self, index: Index, graph: str):
        self.index = index
        self._graph = ox.NamedNode(graph)
        self.built = Built()
        self._ids: dict[tuple[str, int], str] = {}
        self._defined: dict[str, str] = {}
        self._minted: dict[str, str] = {}
        self._prerequisites: dict[str, list[str]] = {}
        self._nodes: dict[str, ox.NamedNode] = {}

    def build(self, sheets: Sequence[Sheet], progress: Progress | None = None) -> Built:
        """Register every defined id first (so rows may refer to later rows), then read the rows."""
        ordered = sorted(sheets, key=lambda s: ("competences", "roles", "credentials").index(s.kind))
        for sheet in ordered:
            self.built.issues += sheet.issues
            for row in sheet.rows:
                self._register(sheet, row)
        total, done = sum(len(s.rows) for s in sheets), 0
        if progress:
            progress("checking rows", 0, total)
        readers = {"credentials": self._credential, "roles": self._role, "competences": self._competence}
        for sheet in ordered:
            for row in sheet.rows:
                cells = _Cells(self.built, sheet, row)
                cells.illustrative = bool(cells.one("illustrative", values.flag))
                readers[sheet.kind](cells, self._ids.get((sheet.origin, row.number)) or self._placeholder(row))
                done += 1
                if progress and (done % 200 == 0 or done == total):
                    progress("checking rows", done, total)
        self._check_cycles()
        return self.built

    def _placeholder(self, row: Row) -> str:
        """A subject for a row whose id is wrong, so its other cells are still checked (nothing is written)."""
        return f"urn:x-invalid-row:{row.number}"

    def _register(self, sheet: Sheet, row: Row) -> None:
        """Note a row's id and names so that any row may refer to it."""
        kind, column = _KIND[sheet.kind], ID_COLUMNS[sheet.kind]
        cells = _Cells(self.built, sheet, row)
        text = cells.text(column)
        if not text:
            cells.error(column, None, f"missing {column}: every row needs an id, a short code such as 'my-{kind}-01'")
            return
        iri = cells.one(column, lambda t: values.identifier(kind, t))
        if iri is None:
            return
        if iri in self._defined:
            cells.error(column, text, f"{short(iri)} is already defined in {self._defined[iri]}; "
                                      "give each row its own id")
            return
        self._defined[iri] = f"{sheet.origin}, row {row.number}"
        self._ids[(sheet.origin, row.number)] = iri
        others = sorted(self.index.graphs.get(iri, ()))
        if others:
            cells.note(column, text, f"{short(iri)} is also described in <{others[0]}>; the two descriptions are "
                                     "merged (give it another id to keep them apart)")
        label = _LABELS[sheet.kind]
        names = [cells.text(f"{label}_sv"), cells.text(f"{label}_en")]
        if sheet.kind == "roles":
            names += cells.items("alt_label_sv") + cells.items("alt_label_en")
        self.index.add(kind, iri, names)

    # -- quads -------------------------------------------------------------------------------------

    def _node(self, iri: str) -> ox.NamedNode:
        """A NamedNode, made once per IRI per import."""
        node = self._nodes.get(iri)
        if node is None:
            node = self._nodes[iri] = ox.NamedNode(iri)
        return node

    def _add(self, subject: str, predicate: str, obj: str | ox.Literal) -> None:
        target = obj if isinstance(obj, ox.Literal) else self._node(obj)
        self.built.quads.append(ox.Quad(self._node(subject), self._node(predicate), target, self._graph))

    def _resource(self, cells: _Cells, iri: str, kind: str, column: str | None = None,
                  illustrative: bool | None = None) -> None:
        """Type a resource this catalogue describes, flag it (as its row is), and remember the row it came from."""
        cls = _CLASSES[kind]
        self._add(iri, RDF + "type", cls)
        self.built.origins[iri] = (cells.sheet, cells.row.number, column)
        self.built.types[iri] = cls
        if cells.illustrative if illustrative is None else illustrative:
            self._add(iri, MM + "illustrative", _TRUE)

    def _texts(self, cells: _Cells, subject: str, name: str, predicate: str) -> bool:
        """Add the Swedish and English text of a ``<name>_sv``/``<name>_en`` pair; whether there was any."""
        for lang in ("sv", "en"):
            text = cells.text(f"{name}_{lang}")
            if text:
                self._add(subject, predicate, ox.Literal(text, language=lang))
        return bool(cells.text(f"{name}_sv") or cells.text(f"{name}_en"))

    def _links(self, cells: _Cells, subject: str, column: str, predicate: str, read: Callable[[str], str]) -> list[str]:
        """Link a subject to every IRI a cell names."""
        found = cells.each(column, read)
        for iri in found:
            self._add(subject, predicate, iri)
        return found

    def _describe(self, cells: _Cells, iri: str, kind: str, label: str) -> None:
        """What every sheet has: type, names (required), the illustrative flag, notes and source."""
        self._resource(cells, iri, kind)
        self.built.counts[kind] += 1
        if not self._texts(cells, iri, label, SKOS + "prefLabel"):
            cells.error(f"{label}_sv", None, f"missing {label}: give {label}_sv (and {label}_en where known)")
        self._texts(cells, iri, "note", SKOS + "note")
        if cells.text("source"):
            self._add(iri, DCTERMS + "source", ox.Literal(cells.text("source")))

    # -- names -------------------------------------------------------------------------------------

    def _known(self, kind: str) -> Callable[[str], str]:
        """A reader of names of a closed kind: unknown ones are errors with the nearest match."""
        def read(text: str) -> str:
            found = self.index.find(kind, text)
            if found is None:
                raise Unresolved(f"{text!r} is not a known {kind}: {_CLOSED[kind]}" + self.index.suggest(kind, text))
            return found
        return read

    def _open(self, kind: str, cells: _Cells) -> Callable[[str], str]:
        """A reader of names of an open kind (competence, organisation, sector): a new name makes a new one."""
        def read(text: str) -> str:
            found = self.index.find(kind, text)
            if found is not None:
                return found
            if as_iri(text) is not None:
                where = "define it in the competences sheet, or " if kind == "competence" else ""
                raise Unresolved(f"{text} is not a known {kind}: {where}write its name to make a new one"
                                 + self.index.suggest(kind, text))
            return self._mint(kind, text, cells)
        return read

    def _mint(self, kind: str, label: str, cells: _Cells) -> str:
        """A new resource named by a label, at ``mmid:<kind path>/<slug of the label>``."""
        iri = ID_BASE[kind] + slug(label)
        if iri == ID_BASE[kind]:
            raise Unresolved(f"cannot make an IRI from {label!r}: it has no letters a–z or digits; "
                             "define it with an id instead")
        if iri in self._minted or iri in self.index.kinds:
            other = self._minted.get(iri) or self.index.names.get(iri)
            taken = repr(other) if other else "in use"
            raise Unresolved(f"{label!r} would become {short(iri)}, which is already {taken}: write the name the "
                             "same way, or define the new one with its own id")
        hint = self.index.suggest(kind, label)
        self._minted[iri] = label
        self.index.add(kind, iri, [label])
        self._resource(cells, iri, kind, illustrative=cells.illustrative and kind == "competence")
        self._add(iri, SKOS + "prefLabel", ox.Literal(label, language="sv"))
        self.built.counts[kind] += 1
        cells.note(None, label, f"new {kind} {short(iri)} named {label!r}{hint}")
        return iri

    # -- the three sheets --------------------------------------------------------------------------

    def _credential(self, cells: _Cells, iri: str) -> None:
        """One credential row: the EU standard elements, levels, workload, links and learning outcomes."""
        self._describe(cells, iri, "credential", "title")
        self._links(cells, iri, "awarding_body", MM + "awardingBody", self._open("organisation", cells))
        for column, predicate, read in (
            ("issuer_country", "issuerCountry", values.country),
            ("participation_form", "participationForm", self._known("participation form")),
            ("eqf", "eqfLevel", lambda t: values.framework_level("eqf", t)),
            ("seqf", "seqfLevel", lambda t: values.framework_level("seqf", t)),
            ("entry_level", "entryLevel", lambda t: values.entry_level(self.index, t)),
            ("workload_hours", "workloadHours", values.decimal),
            ("ects", "ects", values.decimal),
            ("pass_threshold", "passThreshold", lambda t: values.decimal(t, upper=100)),
        ):
            value = cells.one(column, read)
            if value is not None:
                self._add(iri, MM + predicate, value)
        self._check_levels(cells)
        if cells.text("issuer_region"):
            self._add(iri, MM + "issuerRegion", ox.Literal(cells.text("issuer_region"), language="sv"))
        for name, predicate in _TEXTS.items():
            self._texts(cells, iri, name, predicate)
        self._links(cells, iri, "stackable_towards", MM + "stackableTowards", self._known("role"))
        self._links(cells, iri, "teaches", MM + "teaches", self._open("competence", cells))
        needs = self._links(cells, iri, "prerequisites", MM + "prerequisite", self._known("credential"))
        if iri in needs:
            cells.error("prerequisites", short(iri), "a credential cannot be its own prerequisite")
        self._prerequisites[iri] = needs
        self._links(cells, iri, "life_areas", MM + "lifeArea", self._known("life area"))
        self._links(cells, iri, "care_plan_sections", MM + "carePlanSection", self._known("care-plan section"))
        self._links(cells, iri, "sector", MM + "sector", self._open("sector", cells))
        self._outcomes(cells, iri)

    def _check_levels(self, cells: _Cells) -> None:
        """Note an SeQF level that is not the EQF level of the same number (SeQF n matches EQF n)."""
        eqf, seqf = cells.text("eqf"), cells.text("seqf")
        try:
            same = not (eqf and seqf) or (values.framework_level("eqf", eqf).rsplit("/", 1)[1]
                                           == values.framework_level("seqf", seqf).rsplit("/", 1)[1])
        except Unresolved:
            return
        if not same:
            cells.note("seqf", seqf, f"SeQF {seqf} matches EQF {seqf}, but eqf says {eqf}: check the two levels")

    def _outcomes(self, cells: _Cells, credential: str) -> None:
        """The learning outcomes, per dimension: Swedish and English lists paired in order."""
        code = credential[len(ID_BASE["credential"]):] if credential.startswith(ID_BASE["credential"]) else None
        for name, letter, dimension in _DIMENSIONS:
            sv, en = cells.items(f"outcome_{name}_sv"), cells.items(f"outcome_{name}_en")
            if sv and en and len(sv) != len(en):
                cells.error(f"outcome_{name}_en", cells.text(f"outcome_{name}_en"),
                            f"{len(en)} English outcome(s) for {len(sv)} Swedish: give them in the same order, "
                            f"one for one, separated by {SEPARATOR!r}")
                continue
            for number, texts in enumerate(zip_longest(sv, en, fillvalue=""), start=1):
                outcome = (f"{MMID}outcome/{code}-{letter}{number}" if code else f"{credential}-{letter}{number}")
                self._resource(cells, outcome, "outcome", f"outcome_{name}_sv")
                for lang, text in zip(("sv", "en"), texts):
                    if text:
                        self._add(outcome, SKOS + "prefLabel", ox.Literal(text, language=lang))
                self._add(outcome, MM + "dimension", dimension)
                self._add(credential, MM + "learningOutcome", outcome)

    def _role(self, cells: _Cells, iri: str) -> None:
        """One role row: names, required competences, next roles, SSYK and ESCO occupations, sector."""
        self._describe(cells, iri, "role", "label")
        for lang in ("sv", "en"):
            for alt in cells.items(f"alt_label_{lang}"):
                self._add(iri, SKOS + "altLabel", ox.Literal(alt, language=lang))
        self._links(cells, iri, "requires", MM + "requiresCompetence", self._open("competence", cells))
        if iri in self._links(cells, iri, "next_roles", MM + "nextRole", self._known("role")):
            cells.error("next_roles", short(iri), "a role cannot be its own next role")
        self._links(cells, iri, "ssyk", MM + "ssyk", values.ssyk)
        self._links(cells, iri, "esco_exact_match", SKOS + "exactMatch", lambda t: values.esco(t, "occupation"))
        self._links(cells, iri, "esco_close_match", SKOS + "closeMatch", lambda t: values.esco(t, "occupation"))
        self._links(cells, iri, "sector", MM + "sector", self._open("sector", cells))

    def _competence(self, cells: _Cells, iri: str) -> None:
        """One competence row: names and the ESCO skill it is close to."""
        self._describe(cells, iri, "competence", "label")
        self._links(cells, iri, "esco_close_match", SKOS + "closeMatch", lambda t: values.esco(t, "skill"))

    def _check_cycles(self) -> None:
        """Prerequisites that go round in a circle make every credential on it impossible to take."""
        state: dict[str, int] = {}
        for start in self._prerequisites:
            if start in state:
                continue
            state[start] = 1
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(self._prerequisites[start]))]
            path = [start]
            while stack:
                node, todo = stack[-1]
                nxt = next(todo, None)
                if nxt is None:
                    state[node] = 2
                    stack.pop()
                    path.pop()
                elif state.get(nxt) == 1 and nxt != node:
                    loop = path[path.index(nxt):] + [nxt]
                    sheet, row, _ = self.built.origins[nxt]
                    circle = " → ".join(short(c) for c in loop)
                    self.built.issues.append(sheet.issue(row, "prerequisites", None, "the prerequisites go round in a "
                                                         f"circle ({circle}): none of them could ever be taken; "
                                                         "remove one of the links"))
                elif nxt in self._prerequisites and nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(self._prerequisites[nxt])))
                    path.append(nxt)
