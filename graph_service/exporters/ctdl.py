"""Credential Transparency Description Language: each career ladder as a ``ceterms:Pathway``.

One pathway per role that can be reached from a first rung of a ladder (a role no other role
leads to), e.g. Drifttekniker → Vakthavande drifttekniker, Vårdbiträde → Undersköterska. Its
destination is a ``ceterms:JobComponent`` for the target role; every role on the chain is a
JobComponent and every credential of the planner's plan for each step (with its prerequisites)
a ``ceterms:CredentialComponent``; each component is a stand-in (``ceterms:proxyFor``) for the
role or credential IRI. Required order goes through ``ceterms:hasCondition`` →
``ceterms:ComponentCondition`` (``requiredNumber`` of the ``targetComponent``s): a credential
requires its prerequisites, a role the role before it. The plan's study order is given only as
``ceterms:precedes`` (a suggestion). ``ceterms:prerequisite`` is not used on components: CTDL
dropped it there in 2022.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

import pyoxigraph as ox

from ..catalogue import load_catalogue
from ..model import Catalogue
from ..namespaces import MMID
from .jsonld import as_list, labels, language_map, node_id, nodes, types
from .records import Described, ExportError, Queryable
from .terms import CTDL_CONTEXT, CETERMS, MICRO_CREDENTIAL, RDF_TYPE, ROLE, mm

_TEXT = {
    "pathway": {"sv": "Karriärväg från {a} till {b} ({n} steg), med de mikromeriter som överbryggar varje steg "
                      "(plan beräknad av graph-service).",
                "en": "Career pathway from {a} to {b} ({n} step(s)), with the micro-credentials that bridge each "
                      "step (plan computed by graph-service)."},
    "illustrative": {"sv": "Bygger på illustrativa pilotdata.", "en": "Built on illustrative pilot data."},
    "credential": {"sv": "Mikromerit på karriärvägen.", "en": "Micro-credential on the career pathway."},
    "role": {"sv": "Roll på karriärvägen.", "en": "Role on the career pathway."},
    "prerequisites": {"sv": "Förkunskapskrav", "en": "Prerequisites"},
    "all": {"sv": "{n} av {n} krävs.", "en": "{n} of {n} required."},
    "previous": {"sv": "Föregående roll", "en": "Previous role"},
    "previous-text": {"sv": "Rollen före på karriärstegen.", "en": "The role before on the career ladder."},
}
_LANGS = ("sv", "en")


def ctid(iri: str) -> str:
    """A stable CTID for one of our IRIs: ``ce-`` and the name-based UUID of the IRI."""
    return f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, iri)}"


def _slug(iri: str, under: str) -> str:
    """The readable tail of one of our IRIs (``…/role/vardbitrade`` → ``vardbitrade``), else a hash."""
    return iri[len(under):] if iri.startswith(under) and iri != under else uuid.uuid5(uuid.NAMESPACE_URL, iri).hex[:16]


@dataclass
class Ladder:
    """One pathway: its IRI, the chain of roles, the credentials of each step's plan, and all members."""

    iri: str
    roles: list[str]
    plans: list[list[str]]
    credentials: list[str] = field(default_factory=list)

    def component(self, member: str) -> str:
        """The IRI of the component standing in for `member` (a role or credential IRI)."""
        tail = member[len(MMID):] if member.startswith(MMID) else f"component/{_slug(member, MMID)}"
        return f"{self.iri}/{tail}"

    @property
    def members(self) -> list[str]:
        """Every role and credential the pathway stands in for."""
        return self.roles + self.credentials


def ladders(catalogue: Catalogue, time_limit: float = 5.0) -> list[Ladder]:
    """Every pathway: from each first rung to each role it can reach, with the planner's plan per step."""
    from .. import planner  # with networkx, 0.2 s that the command line's start would otherwise pay

    targets = {nxt for role in catalogue.roles.values() for nxt in role.next_roles}
    found = []
    for root in sorted(set(catalogue.roles) - targets):
        for destination in planner.reachable_roles(catalogue, root):
            result = planner.ladder(catalogue, root, destination, time_limit=time_limit)
            plans = [[s.credential for s in step.gap.plan] for step in result.steps]
            iri = f"{MMID}pathway/{_slug(root, MMID + 'role/')}--{_slug(destination, MMID + 'role/')}"
            found.append(Ladder(iri, list(result.roles), plans, _closure(catalogue, plans)))
    return found


def _closure(catalogue: Catalogue, plans: list[list[str]]) -> list[str]:
    """The plans' credentials in study order, then any prerequisite they need that no plan has."""
    ordered = list(dict.fromkeys(c for plan in plans for c in plan))
    todo = list(ordered)
    while todo:
        for prerequisite in sorted(catalogue.credentials[todo.pop()].prerequisites):
            if prerequisite not in ordered and prerequisite in catalogue.credentials:
                ordered.append(prerequisite)
                todo.append(prerequisite)
    return ordered


def _texts(key: str, **values: Any) -> dict[str, str]:
    """A fixed text in Swedish and English, filled in."""
    return {lang: text.format(**values) for lang, text in _TEXT[key].items()}


def _condition(name: str, text: dict[str, str], targets: list[str]) -> dict[str, Any]:
    """A ceterms:ComponentCondition: every one of `targets` is required."""
    return {"@type": "ceterms:ComponentCondition", "ceterms:name": _texts(name), "ceterms:description": text,
            "ceterms:requiredNumber": len(targets), "ceterms:targetComponent": targets}


def _names(iri: str, described: Mapping[str, Described]) -> dict[str, str]:
    """A resource's labels as a language map (its IRI when it has none)."""
    return language_map(described[iri].labels) if iri in described and described[iri].labels else {"@none": iri}


def _pathway(ladder: Ladder, described: Mapping[str, Described]) -> dict[str, Any]:
    """The ceterms:Pathway node: names and description in the languages both end roles have."""
    first, last = ladder.roles[0], ladder.roles[-1]
    a, b = _names(first, described), _names(last, described)
    langs = [lang for lang in _LANGS if lang in a and lang in b] or sorted(set(a) & set(b))
    name = {lang: f"{a[lang]} → {b[lang]}" for lang in langs} or {"@none": f"{first} → {last}"}
    illustrative = any(m in described and described[m].illustrative for m in ladder.members)
    description = {}
    for lang, text in _TEXT["pathway"].items():
        text = text.format(n=len(ladder.roles) - 1, a=a.get(lang, first), b=b.get(lang, last))
        description[lang] = f"{text} {_TEXT['illustrative'][lang]}" if illustrative else text
    return {"@id": ladder.iri, "@type": "ceterms:Pathway", "ceterms:ctid": ctid(ladder.iri),
            "ceterms:name": name, "ceterms:description": description,
            "ceterms:hasDestinationComponent": [ladder.component(last)],
            "ceterms:hasPart": [ladder.component(m) for m in ladder.members]}


def _pathway_graph(ladder: Ladder, catalogue: Catalogue, described: Mapping[str, Described]) -> list[dict]:
    """The pathway node and its components, as CTDL JSON-LD nodes."""
    last = ladder.roles[-1]
    components: dict[str, dict[str, Any]] = {}
    for member in ladder.members:
        kind = "ceterms:JobComponent" if member in ladder.roles else "ceterms:CredentialComponent"
        iri = ladder.component(member)
        components[member] = {"@id": iri, "@type": kind, "ceterms:ctid": ctid(iri),
                              "ceterms:name": _names(member, described),
                              "ceterms:description": _texts("role" if member in ladder.roles else "credential"),
                              "ceterms:proxyFor": member}
    components[last]["ceterms:isDestinationComponentOf"] = [ladder.iri]
    for previous, role in zip(ladder.roles, ladder.roles[1:]):
        components[role]["ceterms:hasCondition"] = [
            _condition("previous", _texts("previous-text"), [ladder.component(previous)])]
    for credential in ladder.credentials:
        needed = sorted(catalogue.credentials[credential].prerequisites & set(ladder.credentials))
        if needed:
            components[credential]["ceterms:hasCondition"] = [
                _condition("prerequisites", _texts("all", n=len(needed)), [ladder.component(p) for p in needed])]
    for previous, role, plan in zip(ladder.roles, ladder.roles[1:], ladder.plans):
        order = [previous, *plan, role]  # a suggested order only: ceterms:precedes
        for before, after in zip(order, order[1:]):
            components[before].setdefault("ceterms:precedes", []).append(ladder.component(after))
    return [_pathway(ladder, described), *components.values()]


def document(store: Queryable, described: Mapping[str, Described], member: str | None = None,
             time_limit: float = 5.0) -> dict[str, Any]:
    """Every pathway (or those `member` is on) with their components, as one CTDL JSON-LD @graph.

    :raises ExportError: if `member` is on no pathway.
    """
    catalogue = load_catalogue(store)
    chosen = [ladder for ladder in ladders(catalogue, time_limit) if member is None or member in ladder.members]
    if member is not None and not chosen:
        raise ExportError(f"<{member}> is on no career pathway (no chain of mm:nextRole plans it)")
    graph = [node for ladder in chosen for node in _pathway_graph(ladder, catalogue, described)]
    return {"@context": CTDL_CONTEXT, "@graph": graph}


# --- reading an export back ------------------------------------------------------------------

def _kind(node: Mapping[str, Any]) -> str | None:
    """A node's CTDL class name without prefix (``CredentialComponent``), if it has one."""
    for name in types(node):
        for prefix in ("ceterms:", CETERMS):
            if name.startswith(prefix):
                return name[len(prefix):]
    return None


def read(doc: Any) -> list[ox.Triple]:
    """mm: triples for what a pathway carries: credentials and roles with titles, prerequisites, next roles."""
    index = {node_id(n): n for n in nodes(doc) if node_id(n)}
    proxies = {iri: node_id(n.get("ceterms:proxyFor")) for iri, n in index.items()}
    out: list[ox.Triple] = []
    for iri, node in index.items():
        kind, proxy = _kind(node), proxies.get(iri)
        if kind not in ("CredentialComponent", "JobComponent") or not proxy:
            continue
        subject = ox.NamedNode(proxy)
        out.append(ox.Triple(subject, RDF_TYPE, MICRO_CREDENTIAL if kind == "CredentialComponent" else ROLE))
        out += labels(subject, node.get("ceterms:name"))
        conditions = [c if isinstance(c, dict) else index.get(node_id(c), {})
                      for c in as_list(node.get("ceterms:hasCondition"))]
        while conditions:
            condition = conditions.pop()
            conditions += [c for c in as_list(condition.get("ceterms:hasCondition")) if isinstance(c, dict)]
            for target in as_list(condition.get("ceterms:targetComponent")):
                other = index.get(node_id(target), {})
                target_proxy = proxies.get(node_id(target))
                if not target_proxy or _kind(other) != kind:
                    continue
                if kind == "CredentialComponent":
                    out.append(ox.Triple(subject, mm("prerequisite"), ox.NamedNode(target_proxy)))
                else:
                    out.append(ox.Triple(ox.NamedNode(target_proxy), mm("nextRole"), subject))
    return out
