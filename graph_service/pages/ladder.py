"""The career ladder as a picture: the roles leading up to the target as steps, the person's position marked.

This module computes what to draw and where (plain numbers); the template `_ladder.svg` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..lazy_modules import LazyModule
from ..schemas import ConceptSummary
from ..service import Service
from .i18n import Translator

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = LazyModule("networkx")

STEP_WIDTH = 236
STEP_GAP = 12
PAD = 16
BASE_HEIGHT = 70
RISE = 38
LINE = 18
MAX_LINES = 3
BADGE = 30
CHARS_PER_LINE = 26


@dataclass(frozen=True)
class Step:
    """One role on the ladder and where it is drawn."""

    iri: str
    label: str
    lines: tuple[str, ...]
    x: int
    y: int
    width: int
    height: int
    held: int
    required: int
    hours: float | None
    reached: bool
    here: bool
    goal: bool

    @property
    def bar(self) -> float:
        """Width of the filled part of the progress bar (held share of the role's requirements)."""
        share = self.held / self.required if self.required else 1.0
        return round((self.width - 28) * share, 1)

    @property
    def label_y(self) -> int:
        """Baseline of the first label line, so that the last one sits just above the step."""
        return self.y - 12 - (len(self.lines) - 1) * LINE

    @property
    def badge_y(self) -> int:
        """Top of the 'you are here' / 'goal' badge, above the label."""
        return self.label_y - LINE - BADGE + 6


@dataclass(frozen=True)
class LadderPicture:
    """Every step, the picture's size, and the role marked as the person's position (if any)."""

    steps: tuple[Step, ...]
    width: int
    height: int
    position: str | None

    def describe(self, t: Translator) -> str:
        """The picture in words, for screen readers: every step, the position and the goal marked."""
        parts = []
        for step in self.steps:
            marks = [t("ladder_step_here")] * step.here + [t("ladder_step_goal")] * step.goal
            parts.append(step.label + (f" ({', '.join(marks)})" if marks else ""))
        return t("ladder_desc", steps=" → ".join(parts))


def wrap(text: str, width: int = CHARS_PER_LINE, lines: int = MAX_LINES) -> tuple[str, ...]:
    """Break a label into at most `lines` lines of about `width` characters, with an ellipsis if cut."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return tuple(out) or ("",)


def chain_to(roles: dict[str, ConceptSummary], target: str) -> list[str]:
    """The target and every role it can be reached from along mm:nextRole, lowest first."""
    graph = nx.DiGraph()
    graph.add_nodes_from(roles)
    graph.add_edges_from((r.iri, n) for r in roles.values() for n in r.links.get("nextRole", []) if n in roles)
    if target not in graph:
        return [target]
    below = graph.subgraph(nx.ancestors(graph, target) | {target})
    if not nx.is_directed_acyclic_graph(below):  # a loop in the ladder: no order to draw, keep IRI order
        return sorted(below)
    return list(nx.lexicographical_topological_sort(below))


def picture(service: Service, target: str, holds: list[str], held: set[str], lang: str) -> LadderPicture:
    """The ladder up to `target` for a person holding `holds` (with `held` competences)."""
    roles = {r.iri: r for r in service.roles(lang)}
    chain = chain_to(roles, target)
    names = service.labels(lang)
    requires = {iri: set(roles[iri].links.get("requires", [])) if iri in roles else set() for iri in chain}
    complete = [i for i, iri in enumerate(chain) if requires[iri] and requires[iri] <= held]
    named = [i for i, iri in enumerate(chain) if iri in holds]
    position = max(named) if named else (max(complete) if complete else None)
    lines = [wrap(names.get(iri, iri)) for iri in chain]
    marked = [i == position or iri == target for i, iri in enumerate(chain)]
    reach = max(BASE_HEIGHT + i * RISE + 12 + len(lines[i]) * LINE + BADGE * marked[i] for i in range(len(chain)))
    height = PAD + reach + PAD
    baseline = height - PAD
    steps = []
    for i, iri in enumerate(chain):
        reached = (position is not None and i <= position) or i in complete
        step_height = BASE_HEIGHT + i * RISE
        hours = None if reached else service.gap(holds, iri, lang).totalWorkloadHours
        steps.append(Step(iri=iri, label=names.get(iri, iri), lines=lines[i], x=PAD + i * (STEP_WIDTH + STEP_GAP),
                          y=baseline - step_height, width=STEP_WIDTH, height=step_height,
                          held=len(requires[iri] & held), required=len(requires[iri]), hours=hours, reached=reached,
                          here=i == position, goal=iri == target))
    width = 2 * PAD + len(chain) * STEP_WIDTH + (len(chain) - 1) * STEP_GAP
    return LadderPicture(steps=tuple(steps), width=width, height=height,
                         position=chain[position] if position is not None else None)
