"""The questions the service answers (gap, ladder, coverage, browse), shared by API and CLI.

It reads the graph once into plain records and labels (cached until the graph changes) and
hands them to the planner; every answer carries labels in the language asked for.
"""

from __future__ import annotations

import gc
import gzip
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

import pyoxigraph as ox

from . import planner
from .cache import GraphCache
from .catalogue import Facets, Selectable, labels, read_catalogue, read_part, read_role_steps
from .memory import release_free_memory
from .model import Catalogue
from .namespaces import RDF
from .queries import named_queries
from .schemas import (ConceptSummary, CoverageAnswer, CoverageCell, CredentialSummary, GapAnswer, LadderAnswer,
                      LadderStep, ReachableAnswer, ResourceView, RoleCoverage, Statement)


_FEW_LABELS = 500
"""At most this many IRIs have their labels read on their own before every label is read (~0.25 s)."""


class UnknownResource(LookupError):
    """The graph says nothing about an IRI."""

    def __init__(self, iri: str):
        self.iri = iri
        super().__init__(f"the graph has nothing about <{iri}>")


class Service:
    """Answers over one store; call `refresh()` after the graph changes."""

    def __init__(self, store: Selectable, *, time_limit: float = 5.0, fallback_language: str = "en"):
        self.store = store
        self.time_limit = time_limit
        self.fallback = fallback_language
        self._languages = sorted({fallback_language, "sv", "en"})  # the pages' languages and the fallback
        # Records (with the facets), labels and coverage per language: each built on its own, so at
        # 10 000 roles a lookup that needs only the labels does not wait behind the records.
        self._cache = GraphCache()

    def refresh(self) -> None:
        """Forget the cached records so the next answer reads the graph again."""
        self._cache.clear()

    def warm(self) -> None:
        """Read the labels, the records with their facets and coverage, build the planner's indexes, then freeze them.

        At 10 000 roles reading them takes most of a minute, better spent at start-up than in the
        first request. Their queries run without the GIL (`Store.value_rows`), so the labels and
        the records, the two reads a gap needs, share the two cores. Frozen (exempt from garbage
        collection), the long-lived records and indexes no longer make full collections slow
        (built after the freeze, the indexes cost a ladder 2.8 s at 10 000 roles); what reading
        them freed goes back to the operating system.
        """
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="service-warm") as pool:
            reads = [pool.submit(self.labels, self.fallback),  # every language the pages offer, in one read
                     pool.submit(self._records)]
            for read in reads:
                read.result()
        for lang in self._languages:
            self.coverage(lang)
        planner.prepare(self.catalogue())
        gc.freeze()
        release_free_memory()

    def catalogue(self) -> Catalogue:
        """The planner's records of the graph (cached)."""
        return self._records()[0]

    def _records(self) -> tuple[Catalogue, Facets]:
        """The records and the credentials' facets, read together once per graph."""
        return self._cache.get("records", lambda: read_catalogue(self.store))

    def _records_for(self, roles: Callable[[], list[str] | None], holds: list[str]) -> Catalogue:
        """The whole records once read; until then, only the part of the graph a question about `roles()` touches.

        After start-up and after every write the whole records take a while to read (S = 1 000
        roles on disk: 2 s; S = 10 000: 25-50 s beside the warm-up's other reads). A gap or a
        ladder reads its part meanwhile (a gap: 60-160 ms) rather than wait; the planner answers
        the same on it. `roles()` gives None where the part cannot tell: the whole records are read.
        """
        whole = self._cache.peek("records")
        if whole is not None:
            return whole[0]  # type: ignore[index]
        wanted = roles()
        part = read_part(self.store, wanted, holds) if wanted is not None else None
        return part if part is not None else self.catalogue()

    def _chain(self, source: str, to: str) -> list[str] | None:
        """A ladder's chain of roles found on the mm:nextRole edges alone (S = 10 000 roles: 0.1 s), or None.

        The planner finds the same chain on the part holding its roles: the part holds the whole
        chain and no shorter one. None where there is no chain: the whole records say why.
        """
        try:
            return planner.shortest_chain(read_role_steps(self.store), source, to)
        except planner.NoLadderError:
            return None

    def labels(self, lang: str) -> dict[str, str]:
        """Labels in `lang`, falling back to the fallback language, then any (cached).

        The pages' languages (sv, en) and the fallback are read together, once; another
        language asked for is read on its own.
        """
        common = self._cache.get("labels", lambda: labels(self.store, self._languages, self.fallback))
        if lang in common:
            return common[lang]
        return self._cache.get(f"labels {lang}", lambda: labels(self.store, [lang], self.fallback)[lang])

    def _pick(self, iris: Iterable[str], lang: str) -> dict[str, str]:
        """The labels of the given IRIs that have one.

        From every label once read; until then a few IRIs (an answer's) have theirs read on
        their own, ~0.5 ms each, rather than wait for all of them (S = 10 000 roles: ~25 s).
        """
        wanted = sorted(set(iris))
        names = self._read_labels(lang)
        if names is None and len(wanted) <= _FEW_LABELS and not any(iri.startswith("_:") for iri in wanted):
            names = labels(self.store, [lang], self.fallback, resources=wanted)[lang]
        elif names is None:
            names = self.labels(lang)
        return {iri: names[iri] for iri in wanted if iri in names}

    def _read_labels(self, lang: str) -> dict[str, str] | None:
        """The labels in `lang` if they are read already, without reading them."""
        common = self._cache.peek("labels")
        if isinstance(common, dict) and lang in common:
            return common[lang]
        return self._cache.peek(f"labels {lang}")  # type: ignore[return-value]

    def gap(self, holds: list[str], target: str, lang: str = "sv") -> GapAnswer:
        """The contract's gap answer for a person.

        :raises planner.PlanningInputError: for an unknown IRI or one of the wrong kind.
        """
        result = planner.gap(self._records_for(lambda: [target], holds), holds, target, time_limit=self.time_limit)
        return self._gap_answer(result, lang)

    def _gap_answer(self, result: planner.GapResult, lang: str) -> GapAnswer:
        """Shape a planner result as the contract's JSON, with labels.

        Validated from plain values in one call: building each PlanStep model in Python first
        took 60-90 against 46-52 us per answer at S = 100 (14 steps; model_construct, in
        Python, is slower still).
        """
        mentioned = {result.target, *result.missing, *result.held_competences}
        for step in result.plan:
            mentioned.add(step.credential)
            mentioned.update(step.covers, step.prerequisites)
        names = self._pick(mentioned, lang)
        plan = [{"credential": s.credential, "label": names.get(s.credential), "workloadHours": s.workload_hours,
                 "covers": s.covers, "prerequisites": s.prerequisites} for s in result.plan]
        return GapAnswer.model_validate({
            "target": result.target, "missing": result.missing, "unbridgeable": result.unbridgeable, "plan": plan,
            "totalWorkloadHours": result.total_workload_hours, "optimal": result.optimal,
            "held": result.held_competences, "unbridgeableReasons": result.unbridgeable_reasons,
            "labels": names})

    def ladder(self, source: str, to: str, holds: list[str], lang: str = "sv") -> LadderAnswer:
        """The shortest chain of roles with the plan for each step.

        :raises planner.NoLadderError: when no chain of mm:nextRole leads there.
        :raises planner.PlanningInputError: for unknown IRIs or ones of the wrong kind.
        """
        records = self._records_for(lambda: self._chain(source, to), [*holds, source])
        result = planner.ladder(records, source, to, holds, time_limit=self.time_limit)
        names = self._pick(result.roles, lang)
        steps = [LadderStep(role=s.role, label=names.get(s.role), newlyRequired=list(s.newly_required),
                            gap=self._gap_answer(s.gap, lang)) for s in result.steps]
        return LadderAnswer(source=source, to=to, roles=list(result.roles), steps=steps,
                            totalWorkloadHours=sum(s.gap.totalWorkloadHours for s in steps),
                            optimal=all(s.gap.optimal for s in steps), labels=names)

    def reachable(self, source: str, lang: str = "sv") -> ReachableAnswer:
        """Every role reachable from `source` along mm:nextRole.

        :raises planner.PlanningInputError: if `source` is not a role.
        """
        roles = planner.reachable_roles(self.catalogue(), source)
        return ReachableAnswer(source=source, roles=roles, labels=self._pick([source, *roles], lang))

    def coverage(self, lang: str = "sv") -> CoverageAnswer:
        """For every role requirement, life area and plan section: which credentials cover it (cached per language)."""
        return self._coverage_entry(lang)[0]

    def coverage_json(self, lang: str = "sv", *, compressed: bool = False) -> bytes:
        """The coverage answer as the API's JSON, or that JSON gzipped (both cached with it).

        At 1 000 roles the JSON is 3.5 MB and gzip makes it 17× smaller; compressing once per
        graph spares every request the work and the transfer.
        """
        entry = self._coverage_entry(lang)
        return entry[2] if compressed else entry[1]

    def _coverage_entry(self, lang: str) -> tuple[CoverageAnswer, bytes, bytes]:
        """The coverage answer, its JSON and the gzipped JSON, built once per graph and language."""
        def build() -> tuple[CoverageAnswer, bytes, bytes]:
            answer = self._build_coverage(lang)
            body = answer.model_dump_json(by_alias=True).encode()
            return answer, body, gzip.compress(body, compresslevel=6, mtime=0)
        return self._cache.get(f"coverage {lang}", build)

    def _build_coverage(self, lang: str) -> CoverageAnswer:
        """The coverage answer, read from the records and the coverage queries."""
        names = self.labels(lang)
        catalogue = self.catalogue()
        taught_by: dict[str, list[str]] = defaultdict(list)
        for credential in sorted(catalogue.credentials.values(), key=lambda c: c.iri):
            for competence in credential.teaches:
                taught_by[competence].append(credential.iri)
        roles = []
        for role in sorted(catalogue.roles.values(), key=lambda r: r.iri):
            cells = [CoverageCell(iri=c, label=names.get(c), credentials=taught_by.get(c, []))
                     for c in sorted(role.requires)]
            covered = sum(1 for c in cells if c.credentials)
            roles.append(RoleCoverage(role=role.iri, label=names.get(role.iri), requirements=cells, covered=covered,
                                      total=len(cells), share=covered / len(cells) if cells else 1.0))
        areas = self._concept_cells("life-area-coverage", "lifeArea", names)
        sections = self._concept_cells("care-plan-section-coverage", "section", names)
        uncovered = {c.iri: c for r in roles for c in r.requirements if not c.credentials}
        uncovered.update({c.iri: c for c in areas + sections if not c.credentials})
        mentioned = [r.role for r in roles] + list(uncovered)
        return CoverageAnswer(roles=roles, lifeAreas=areas, carePlanSections=sections,
                              uncovered=sorted(uncovered.values(), key=lambda c: c.iri),
                              labels=self._pick(mentioned, lang))

    def _concept_cells(self, query: str, var: str, names: dict[str, str]) -> list[CoverageCell]:
        """Run a coverage query (concept, optional credential) into one cell per concept."""
        found: dict[str, list[str]] = defaultdict(list)
        for row in self.store.value_rows(named_queries()[query].text):
            cell = found[row[var]]
            if "credential" in row:
                cell.append(row["credential"])
        return [CoverageCell(iri=iri, label=names.get(iri), credentials=sorted(set(creds)))
                for iri, creds in sorted(found.items())]

    def _credential_facets(self) -> Facets:
        """Every credential's browsable facets, read with the records (cached with them)."""
        return self._records()[1]

    def credentials(self, lang: str = "sv", *, sector: str | None = None, eqf: str | None = None,
                    seqf: str | None = None, life_area: str | None = None, section: str | None = None,
                    text: str | None = None) -> list[CredentialSummary]:
        """Credentials, filtered by sector, level, life area, plan section and label text (sv or en)."""
        names = self.labels(lang)
        other = self.labels("en" if lang == "sv" else "sv")
        found = []
        for iri, facets in sorted(self._credential_facets().items()):
            summary = _summary(iri, facets, names.get(iri))
            wanted = [(sector, summary.sector), (eqf, [summary.eqfLevel]), (seqf, [summary.seqfLevel]),
                      (life_area, summary.lifeAreas), (section, summary.carePlanSections)]
            if any(value is not None and value not in have for value, have in wanted):
                continue
            if text and not any(text.casefold() in (n or "").casefold() for n in (names.get(iri), other.get(iri))):
                continue
            found.append(summary)
        return found

    def roles(self, lang: str = "sv") -> list[ConceptSummary]:
        """Every role with what it requires and where it leads."""
        names = self.labels(lang)
        previous: dict[str, list[str]] = defaultdict(list)
        for role in self.catalogue().roles.values():
            for nxt in role.next_roles:
                previous[nxt].append(role.iri)
        return [ConceptSummary(iri=r.iri, label=names.get(r.iri),
                               links={"requires": sorted(r.requires), "nextRole": sorted(r.next_roles),
                                      "previousRole": sorted(previous[r.iri])})
                for r in sorted(self.catalogue().roles.values(), key=lambda r: r.iri)]

    def competences(self, lang: str = "sv") -> list[ConceptSummary]:
        """Every competence with the credentials that teach it and the roles that require it."""
        names = self.labels(lang)
        catalogue = self.catalogue()
        links: dict[str, dict[str, list[str]]] = {c: {"taughtBy": [], "requiredBy": []} for c in catalogue.competences}
        for credential in catalogue.credentials.values():
            for c in credential.teaches:
                links.setdefault(c, {"taughtBy": [], "requiredBy": []})["taughtBy"].append(credential.iri)
        for role in catalogue.roles.values():
            for c in role.requires:
                links.setdefault(c, {"taughtBy": [], "requiredBy": []})["requiredBy"].append(role.iri)
        return [ConceptSummary(iri=c, label=names.get(c), links={k: sorted(v) for k, v in links[c].items()})
                for c in sorted(links)]

    def resource(self, iri: str, lang: str = "sv") -> ResourceView:
        """Everything the graph says about one IRI, outgoing and incoming.

        :raises UnknownResource: if the graph has no statement about it.
        """
        query = named_queries()["resource-links"]
        rows = self.store.select(query.text, {"resource": ox.NamedNode(iri)})
        if not rows:
            raise UnknownResource(iri)
        names = self.labels(lang)
        statements = [_statement(row, names) for row in rows]
        types = sorted(s.value for s in statements if s.direction == "out" and s.property == RDF + "type")
        return ResourceView(iri=iri, label=names.get(iri), types=types, statements=statements)


def _statement(row: dict, names: dict[str, str]) -> Statement:
    """One resource-links row as a Statement with the other end's label."""
    other = row["other"]
    is_iri = isinstance(other, ox.NamedNode)
    lang = other.language if isinstance(other, ox.Literal) else None
    return Statement(direction=row["direction"].value, property=row["property"].value, value=other.value,
                     isIri=is_iri, label=names.get(other.value) if is_iri else None, lang=lang)


def _summary(iri: str, facets: dict[str, list[str]], label: str | None) -> CredentialSummary:
    """A CredentialSummary from one credential's facet values."""
    def iris(facet: str) -> list[str]:
        return sorted(facets.get(facet, []))

    def number(facet: str) -> float | None:
        values = facets.get(facet)
        return float(values[0]) if values else None

    def first(facet: str) -> str | None:
        values = iris(facet)
        return values[0] if values else None

    return CredentialSummary(
        iri=iri, label=label, workloadHours=number("workloadHours"), ects=number("ects"),
        eqfLevel=first("eqfLevel"), seqfLevel=first("seqfLevel"), sector=iris("sector"),
        lifeAreas=iris("lifeArea"), carePlanSections=iris("carePlanSection"), teaches=iris("teaches"),
        prerequisites=iris("prerequisite"), passThreshold=number("passThreshold"),
        illustrative=any(v == "true" for v in facets.get("illustrative", [])),
    )

