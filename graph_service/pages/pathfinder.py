"""The path finder's logic: resolve what a counsellor typed, ask the planner, shape the answer for the page."""

from __future__ import annotations

from dataclasses import dataclass

from ..namespaces import expand
from ..planner import PlanningInputError
from ..schemas import CredentialSummary, GapAnswer
from ..service import Service
from .i18n import LANGUAGES, Translator
from .ladder import LadderPicture, picture
from .render import compact

KIND_ORDER = ("role", "credential", "competence")


class PageInputError(ValueError):
    """Input the page cannot use; the message is written for the person at the screen."""


@dataclass(frozen=True)
class Item:
    """A credential, competence or role that can be held, with its labels by language."""

    iri: str
    kind: str
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        """The label in `lang`, else any label, else the IRI."""
        return self.labels.get(lang) or next(iter(self.labels.values()), None) or self.iri

    @property
    def value(self) -> str:
        """What the page puts in the URL for it: a prefixed name where one fits."""
        return compact(self.iri)


def option_text(item: Item, lang: str) -> str:
    """The type-ahead suggestion for an item: its label and its kind, e.g. ``Drifttekniker · roll``."""
    return f"{item.label(lang)} · {Translator(lang).kind(item.kind)}"


def _key(text: str) -> str:
    """A text as compared when resolving: whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


class Vocabulary:
    """Everything a person can hold, findable by IRI, prefixed name, or Swedish or English label."""

    def __init__(self, service: Service):
        catalogue = service.catalogue()
        names = {lang: service.labels(lang) for lang in LANGUAGES}
        groups = {"role": catalogue.roles, "credential": catalogue.credentials, "competence": catalogue.competences}
        self.items: dict[str, Item] = {}
        for kind in KIND_ORDER:
            for iri in sorted(groups[kind]):
                labels = {lang: names[lang][iri] for lang in LANGUAGES if iri in names[lang]}
                self.items[iri] = Item(iri, kind, labels)
        found: dict[str, set[str]] = {}
        for item in self.items.values():
            for lang in LANGUAGES:
                for text in (option_text(item, lang), item.label(lang)):
                    found.setdefault(_key(text), set()).add(item.iri)
        self._names = {key: next(iter(iris)) for key, iris in found.items() if len(iris) == 1}

    def resolve(self, text: str) -> str | None:
        """The IRI a typed text names (IRI, prefixed name, label, or suggestion), None if none or ambiguous."""
        text = text.strip()
        iri = expand(text.removeprefix("<").removesuffix(">"))
        return iri if iri in self.items else self._names.get(_key(text))

    def matches(self, text: str, limit: int = 5) -> list[Item]:
        """Items with `text` in a label (either language), at most `limit`, for partial input."""
        wanted = _key(text)
        found = [item for item in self.items.values() if wanted and any(wanted in _key(label)
                                                                        for label in item.labels.values())]
        return found[:limit]

    def options(self, lang: str) -> list[str]:
        """Suggestions for the type-ahead: every item in `lang`, then its other-language label where different."""
        other = "en" if lang == "sv" else "sv"
        first = [option_text(item, lang) for item in self.items.values()]
        second = [option_text(item, other) for item in self.items.values() if other in item.labels
                  and item.labels.get(other) != item.labels.get(lang)]
        return sorted(set(first), key=str.casefold) + sorted(set(second) - set(first), key=str.casefold)

    def roles(self, lang: str) -> list[Item]:
        """Every role, by label."""
        return sorted((i for i in self.items.values() if i.kind == "role"), key=lambda i: i.label(lang).casefold())


def resolve_holds(vocabulary: Vocabulary, raw: list[str]) -> tuple[list[Item], list[str]]:
    """The items named in `raw` (each once, in order) and the non-empty texts that name nothing.

    A text that is part of exactly one label names that item, so "driftteknik" finds the role.
    """
    items: list[Item] = []
    unknown: list[str] = []
    for text in raw:
        if not text.strip():
            continue
        iri = vocabulary.resolve(text)
        if iri is None and len(partial := vocabulary.matches(text, limit=2)) == 1:
            iri = partial[0].iri
        if iri is None:
            unknown.append(text.strip())
        elif vocabulary.items[iri] not in items:
            items.append(vocabulary.items[iri])
    return items, unknown


def resolve_target(vocabulary: Vocabulary, raw: str, t: Translator) -> Item:
    """The role a target text names.

    :raises PageInputError: if it names nothing, or something that is not a role.
    """
    iri = vocabulary.resolve(raw)
    if iri is None:
        raise PageInputError(t("error_unknown_target", value=raw.strip()))
    item = vocabulary.items[iri]
    if item.kind != "role":
        raise PageInputError(t("error_not_role", value=item.label(t.lang), kind=t.kind(item.kind)))
    return item


@dataclass(frozen=True)
class Named:
    """An IRI with its label, for a link."""

    iri: str
    label: str


@dataclass(frozen=True)
class PlanRow:
    """One credential of the plan as the table shows it."""

    order: int
    credential: Named
    hours: float
    cumulative: float
    eqf: str | None
    seqf: str | None
    covers: tuple[Named, ...]
    after: tuple[Named, ...]


@dataclass(frozen=True)
class MissingRow:
    """A missing competence, the plan credential that gives it, or why nothing can."""

    competence: Named
    given_by: Named | None
    reason: str | None


@dataclass(frozen=True)
class PathAnswer:
    """Everything the path finder shows for one person and target role."""

    target: Item
    gap: GapAnswer
    required: int
    plan: tuple[PlanRow, ...]
    missing: tuple[MissingRow, ...]
    unbridgeable: tuple[MissingRow, ...]
    ladder: LadderPicture


def _reason(text: str, t: Translator) -> str:
    """The planner's reason for an unbridgeable competence, said plainly in the page language."""
    if t.lang == "en":
        return text[:1].upper() + text[1:] + "."
    return t("reason_none") if text.startswith("no credential") else t("reason_blocked")


def answer(service: Service, holds: list[Item], target: Item, lang: str) -> PathAnswer:
    """Ask the planner for the gap and shape it for the page.

    :raises PageInputError: when the planner rejects the input (message in the page language).
    """
    t = Translator(lang)
    held_iris = [item.iri for item in holds]
    try:
        gap = service.gap(held_iris, target.iri, lang)
    except PlanningInputError as err:
        raise PageInputError(t("error_planner", message=str(err))) from err
    names = service.labels(lang)

    def named(iri: str) -> Named:
        """The IRI with its label (or prefixed name)."""
        return Named(iri, names.get(iri, compact(iri)))

    summaries: dict[str, CredentialSummary] = {c.iri: c for c in service.credentials(lang)}
    rows, total = [], 0.0
    given_by: dict[str, Named] = {}
    for order, step in enumerate(gap.plan, start=1):
        total += step.workloadHours
        summary = summaries.get(step.credential)
        rows.append(PlanRow(order=order, credential=named(step.credential), hours=step.workloadHours,
                            cumulative=total, eqf=summary.eqfLevel if summary else None,
                            seqf=summary.seqfLevel if summary else None,
                            covers=tuple(map(named, step.covers)), after=tuple(map(named, step.prerequisites))))
        for competence in step.covers:
            given_by.setdefault(competence, named(step.credential))
    missing = tuple(sorted((MissingRow(named(c), given_by.get(c), None) for c in gap.missing
                            if c not in gap.unbridgeable), key=lambda row: row.competence.label.casefold()))
    unbridgeable = tuple(MissingRow(named(c), None, _reason(gap.unbridgeableReasons.get(c, ""), t))
                         for c in gap.unbridgeable)
    role = next((r for r in service.roles(lang) if r.iri == target.iri), None)
    required = len(role.links.get("requires", [])) if role else len(gap.missing)
    ladder = picture(service, target.iri, held_iris, set(gap.held), lang)
    return PathAnswer(target=target, gap=gap, required=required, plan=tuple(rows), missing=missing,
                      unbridgeable=unbridgeable, ladder=ladder)


def examples(service: Service, vocabulary: Vocabulary, lang: str) -> list[tuple[Item, Item]]:
    """Example questions: from each ladder's first role to its last."""
    roles = {r.iri: r for r in service.roles(lang)}
    pairs = []
    for role in roles.values():
        if role.links.get("previousRole") or not role.links.get("nextRole"):
            continue
        top, seen = role.iri, {role.iri}
        while roles.get(top) and roles[top].links.get("nextRole") and roles[top].links["nextRole"][0] not in seen:
            top = roles[top].links["nextRole"][0]
            seen.add(top)
        if top in vocabulary.items:
            pairs.append((vocabulary.items[role.iri], vocabulary.items[top]))
    return sorted(pairs, key=lambda p: p[0].label(lang).casefold())
