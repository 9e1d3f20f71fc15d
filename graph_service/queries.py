"""Named SPARQL queries from queries/*.rq: their headers, and parameters bound as RDF terms.

A query file opens with a comment header: the first line says what it answers, and each
``# param: NAME TYPE description`` line declares a parameter (TYPE is IRI, string, decimal
or integer). Parameters are passed to the store as bound terms, never pasted into the text.
A query whose name ends in ``-violation`` is a data check: any row is a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from .namespaces import XSD, expand
from .resources import resource_dir

_PARAM = re.compile(r"^#\s*param:\s*(\w+)\s+(IRI|string|decimal|integer)\b\s*(.*)$", re.IGNORECASE)
_DATATYPES = {"decimal": XSD + "decimal", "integer": XSD + "integer"}


class QueryError(Exception):
    """A named query or its parameters were wrong; the message says what to do instead."""


@dataclass(frozen=True)
class Param:
    """A declared query parameter."""

    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class NamedQuery:
    """A SPARQL query file with its header parsed."""

    name: str
    path: Path
    text: str
    description: str
    params: tuple[Param, ...]

    @property
    def is_check(self) -> bool:
        """True for data checks (``*-violation``): any row is a failure."""
        return self.name.endswith("-violation")

    def bind(self, values: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Turn raw parameter strings into RDF terms of the declared kinds.

        :raises QueryError: for an undeclared parameter or a value of the wrong kind.
        """
        declared = {p.name: p for p in self.params}
        bound: dict[str, ox.NamedNode | ox.Literal] = {}
        for name, raw in values.items():
            if name not in declared:
                known = ", ".join(declared) or "none"
                raise QueryError(f"query {self.name!r} has no parameter {name!r} (it takes: {known})")
            bound[name] = to_term(declared[name], raw)
        return bound


def to_term(param: Param, raw: str) -> ox.NamedNode | ox.Literal:
    """Parse one raw value as the parameter's kind of RDF term.

    :raises QueryError: if the value is not a valid IRI or number.
    """
    kind = param.kind.lower()
    if kind == "iri":
        iri = expand(raw.strip().removeprefix("<").removesuffix(">"))
        try:
            return ox.NamedNode(iri)
        except ValueError as err:
            raise QueryError(f"parameter {param.name!r}: {raw!r} is not an IRI ({err})") from err
    if kind in _DATATYPES:
        try:
            number = Decimal(raw) if kind == "decimal" else int(raw)
        except (InvalidOperation, ValueError) as err:
            raise QueryError(f"parameter {param.name!r}: {raw!r} is not a {kind}") from err
        return ox.Literal(str(number), datatype=ox.NamedNode(_DATATYPES[kind]))
    return ox.Literal(raw)


def parse_header(name: str, path: Path) -> NamedQuery:
    """Read a query file and its comment header."""
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    description = header[0].lstrip("# ").strip() if header else ""
    params = tuple(Param(m[1], m[2], m[3].strip()) for m in map(_PARAM.match, header) if m)
    return NamedQuery(name, path, text, description, params)


@lru_cache(maxsize=None)
def named_queries(folder: Path | None = None) -> dict[str, NamedQuery]:
    """All named queries in a folder (default: the bundled queries/), by name."""
    folder = folder or resource_dir("queries")
    return {p.stem: parse_header(p.stem, p) for p in sorted(folder.glob("*.rq"))}


def get_query(name_or_path: str) -> NamedQuery:
    """Find a named query by name, or read a SPARQL file by path.

    :raises QueryError: if it is neither a known name nor a readable file.
    """
    queries = named_queries()
    if name_or_path in queries:
        return queries[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        return parse_header(path.stem, path)
    known = ", ".join(sorted(queries))
    raise QueryError(f"{name_or_path!r} is neither a named query nor a file; named queries: {known}")
