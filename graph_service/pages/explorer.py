"""The gap explorer's logic: heat maps of coverage and the demand no credential meets, under filters.

Every count comes from the coverage answer (`Service.coverage`, the same as GET /api/coverage),
restricted to the credentials that pass the filters (`Service.credentials`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from ..namespaces import MM, expand
from ..queries import named_queries
from ..schemas import ConceptSummary, CoverageCell
from ..service import Service
from .render import last_segment

SHADES = 4


@dataclass(frozen=True)
class Cell:
    """One heat-map cell: the credentials counted there; `count` None where the row does not apply."""

    count: int | None
    credentials: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True for demand with no credential (the cells that must stand out)."""
        return self.count == 0

    @property
    def shade(self) -> int:
        """0 for empty, then 1 … SHADES by count (the darker, the more)."""
        return min(self.count or 0, SHADES)


@dataclass(frozen=True)
class Header:
    """A row or column heading: the IRI and its label, with an optional note (e.g. the covered share)."""

    iri: str
    label: str
    note: str | None = None


@dataclass(frozen=True)
class HeatMap:
    """Rows × columns of cells, with a total per row and per column."""

    columns: tuple[Header, ...]
    rows: tuple[tuple[Header, tuple[Cell, ...], Cell | None], ...]
    totals: tuple[Cell, ...] = ()


@dataclass(frozen=True)
class Demand:
    """A piece of demand no selected credential meets: a role requirement, life area or plan section."""

    item: Header
    kind: str
    roles: tuple[Header, ...] = ()


@dataclass(frozen=True)
class Exploration:
    """Everything the explorer page shows."""

    selected: int
    roles: HeatMap
    care: HeatMap
    uncovered: tuple[Demand, ...]
    sectors: tuple[Header, ...]
    levels: tuple[Header, ...]


def role_order(roles: list[ConceptSummary]) -> list[ConceptSummary]:
    """Roles ladder by ladder: each first step (by IRI), then up along mm:nextRole."""
    by_iri = {r.iri: r for r in roles}
    ordered: list[str] = []

    def climb(iri: str) -> None:
        """Add a role, then the roles above it."""
        if iri in ordered or iri not in by_iri:
            return
        ordered.append(iri)
        for nxt in by_iri[iri].links.get("nextRole", []):
            climb(nxt)

    for role in roles:
        if not role.links.get("previousRole"):
            climb(role.iri)
    for role in roles:
        climb(role.iri)
    return [by_iri[iri] for iri in ordered]


def role_sectors(service: Service) -> dict[str, set[str]]:
    """Every role's sectors (from the named query role-facets)."""
    sectors: dict[str, set[str]] = defaultdict(set)
    for row in service.store.select(named_queries()["role-facets"].text):
        if row["facet"].value == MM + "sector":
            sectors[row["role"].value].add(row["value"].value)
    return sectors


def concept_order(service: Service) -> dict[str, str]:
    """The notation of each IBIC life area and care-plan section (named query page-concept-order)."""
    return {row["concept"].value: row["notation"].value
            for row in service.store.select(named_queries()["page-concept-order"].text)}


def _cell(credentials: list[str] | tuple[str, ...], chosen: set[str]) -> Cell:
    """A cell counting the given credentials that are among the chosen ones."""
    kept = tuple(c for c in credentials if c in chosen)
    return Cell(len(kept), kept)


def explore(service: Service, lang: str, sector: str | None = None, eqf: str | None = None) -> Exploration:
    """Heat maps and uncovered demand over the credentials in `sector` at EQF level `eqf` (IRIs; None: all)."""
    names = service.labels(lang)
    everything = service.credentials(lang)
    chosen = {c.iri for c in service.credentials(lang, sector=sector, eqf=eqf)}
    coverage = service.coverage(lang)
    sectors_of = role_sectors(service)

    def header(iri: str, note: str | None = None) -> Header:
        """A heading with the IRI's label in the page language."""
        return Header(iri, names.get(iri, last_segment(iri)), note)

    coverage_of = {r.role: r for r in coverage.roles}
    columns = [r for r in role_order(service.roles(lang))
               if sector is None or not sectors_of.get(r.iri) or sector in sectors_of[r.iri]]
    teaching = {cell.iri: cell.credentials for r in coverage.roles for cell in r.requirements}
    cells_by_role = {r.iri: {c.iri: _cell(c.credentials, chosen) for c in coverage_of[r.iri].requirements}
                     for r in columns if r.iri in coverage_of}
    competences: list[str] = []
    for role in columns:
        for iri in sorted(cells_by_role.get(role.iri, {}), key=lambda c: names.get(c, c).casefold()):
            if iri not in competences:
                competences.append(iri)
    shares = {r.iri: sum(1 for c in cells_by_role.get(r.iri, {}).values() if not c.empty) for r in columns}
    role_map = HeatMap(
        columns=tuple(header(r.iri, f"{shares[r.iri]}/{len(cells_by_role.get(r.iri, {}))}") for r in columns),
        rows=tuple((header(c), tuple(cells_by_role.get(r.iri, {}).get(c, Cell(None)) for r in columns),
                    _cell(teaching.get(c, []), chosen)) for c in competences))
    care_map = _care_map(coverage.lifeAreas, coverage.carePlanSections, chosen, concept_order(service), header)
    uncovered = [Demand(header(c), "competence", tuple(header(r.iri) for r in columns
                                                        if cells_by_role.get(r.iri, {}).get(c, Cell(None)).empty))
                 for c in competences if any(cells_by_role.get(r.iri, {}).get(c, Cell(None)).empty for r in columns)]
    uncovered += [Demand(row, "lifeArea") for row, _, total in care_map.rows if total is not None and total.empty]
    uncovered += [Demand(col, "section") for col, total in zip(care_map.columns, care_map.totals) if total.empty]
    sectors = sorted({s for c in everything for s in c.sector} | {s for v in sectors_of.values() for s in v})
    levels = sorted({c.eqfLevel for c in everything if c.eqfLevel}, key=lambda i: (len(i), i))
    return Exploration(selected=len(chosen), roles=role_map, care=care_map,
                       uncovered=tuple(uncovered),
                       sectors=tuple(header(s) for s in sectors),
                       levels=tuple(Header(level, f"EQF {last_segment(level)}") for level in levels))


def _care_map(areas: list[CoverageCell], sections: list[CoverageCell], chosen: set[str], order: dict[str, str],
              header: Callable[..., Header]) -> HeatMap:
    """IBIC life areas × care-plan sections: the selected credentials with both, totals per row and column."""
    def key(cell: CoverageCell) -> tuple[str, str]:
        """Order by notation (numbers padded), then IRI."""
        notation = order.get(cell.iri, "")
        return notation.zfill(4) if notation.isdigit() else notation, cell.iri

    areas, sections = sorted(areas, key=key), sorted(sections, key=key)
    section_sets = {s.iri: set(s.credentials) for s in sections}
    rows = tuple((header(a.iri, last_segment(a.iri)),
                  tuple(_cell([c for c in a.credentials if c in section_sets[s.iri]], chosen) for s in sections),
                  _cell(a.credentials, chosen)) for a in areas)
    return HeatMap(columns=tuple(header(s.iri) for s in sections), rows=rows,
                   totals=tuple(_cell(s.credentials, chosen) for s in sections))


def filter_value(raw: str | None) -> str | None:
    """A filter parameter as an IRI (prefixed names expanded); None when empty."""
    return expand(raw.strip()) if raw and raw.strip() else None
