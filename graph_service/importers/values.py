"""Reading one cell's value: numbers, flags, levels, codes and ids; each error says what would be right."""

from __future__ import annotations

import re
from decimal import Decimal

import pyoxigraph as ox

from ..namespaces import EQF, ESCO_OCCUPATION, MMID, XSD
from .resolve import COUNTRY, ESCO_SKILL, ID_BASE, Index, Unresolved, as_iri, bare_id, short

DECIMAL = ox.NamedNode(XSD + "decimal")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_TRUE = {"true", "yes", "ja", "sant", "1", "x"}
_FALSE = {"false", "no", "nej", "falskt", "0", ""}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LEVEL_WORDS = {"eqf": EQF, "seqf": MMID + "seqf/"}


def decimal(text: str, upper: int | None = None) -> ox.Literal:
    """A number of zero or more (``16``, ``7.5``, ``7,5``; a trailing ``%`` when `upper` is 100) as xsd:decimal.

    :raises Unresolved: for anything else, or a number above `upper`.
    """
    plain = text.removesuffix("%").strip() if upper == 100 else text
    if plain.startswith("-") and _NUMBER.fullmatch(plain[1:]):
        raise Unresolved(f"{text} is negative; write zero or more")
    if not _NUMBER.fullmatch(plain):
        raise Unresolved(f"{text!r} is not a number: write digits with an optional decimal point, e.g. 16 or 7.5")
    value = Decimal(plain.replace(",", "."))
    if upper is not None and value > upper:
        raise Unresolved(f"{text} is more than {upper}; write a percentage from 0 to {upper}, e.g. 80")
    return ox.Literal(format(value.normalize(), "f"), datatype=DECIMAL)


def flag(text: str) -> bool:
    """A yes/no cell: true/false, yes/no, ja/nej, 1/0, x; empty is no.

    :raises Unresolved: for another word.
    """
    word = text.strip().casefold()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise Unresolved(f"{text!r} is not yes or no: write true or false (also yes/no, ja/nej, 1/0), or leave it empty")


def framework_level(framework: str, text: str) -> str:
    """An EQF or SeQF level from ``4``, ``EQF 4``, ``eqf:4`` or its IRI.

    :raises Unresolved: for a level outside 1–8 or text that is no level.
    """
    base = _LEVEL_WORDS[framework]
    iri = as_iri(text)
    number = iri[len(base):] if iri and iri.startswith(base) else None
    if iri is None:
        match = re.fullmatch(rf"(?:{framework}[\s:-]*)?(\d+)", text.strip().casefold())
        number = match.group(1) if match else None
    if number is None or not number.isdigit():
        raise Unresolved(f"{text!r} is not an {framework.upper()} level: write a number from 1 to 8, e.g. 4")
    if not 1 <= int(number) <= 8:
        raise Unresolved(f"{framework.upper()} has levels 1 to 8; {number} is not one of them")
    return base + str(int(number))


def entry_level(index: Index, text: str) -> str:
    """An entry level: any level by IRI or name (``SFI kurs D``), or ``SFI D``, ``SeQF 2``, ``EQF 3``.

    :raises Unresolved: when no level fits.
    """
    found = index.find("level", text)
    if found:
        return found
    words = text.strip().casefold()
    sfi = re.fullmatch(r"sfi\s*(?:kurs|course)?\s*([a-d])", words)
    if sfi:
        return MMID + "sfi/" + sfi.group(1).upper()
    for framework in _LEVEL_WORDS:
        if re.fullmatch(rf"{framework}[\s:-]*\d+", words):
            return framework_level(framework, text)
    raise Unresolved(f"{text!r} is not a known level: write e.g. 'SFI D', 'SeQF 2', 'EQF 3' or a level's name"
                     + index.suggest("level", text))


def country(text: str) -> str:
    """The issuer's country from a three-letter code (``SWE``) or its EU authority IRI.

    :raises Unresolved: for anything else.
    """
    iri = as_iri(text)
    if iri is None and re.fullmatch(r"[A-Za-z]{3}", text):
        return COUNTRY + text.upper()
    if iri is not None and re.fullmatch(re.escape(COUNTRY) + r"[A-Z]{3}", iri):
        return iri
    raise Unresolved(f"{text!r} is not a country code: write the three-letter EU code, e.g. SWE for Sweden, "
                     f"or the IRI {COUNTRY}SWE")


def ssyk(text: str) -> str:
    """An SSYK 2012 unit group from its four digits (``5321``), ``ssyk:5321`` or its IRI.

    :raises Unresolved: for anything else.
    """
    base = MMID + "ssyk/"
    iri = as_iri(text) or (base + text if text.isdigit() else text)
    if not re.fullmatch(re.escape(base) + r"\d{4}", iri):
        raise Unresolved(f"{text!r} is not an SSYK 2012 unit group: write its four digits, e.g. 5321")
    return iri


def esco(text: str, what: str) -> str:
    """An ESCO occupation or skill from its IRI, ``escoocc:<uuid>`` or the bare UUID.

    :raises Unresolved: for anything else.
    """
    base = ESCO_OCCUPATION if what == "occupation" else ESCO_SKILL
    iri = as_iri(text) or base + text.casefold()
    if not (iri.startswith(base) and _UUID.fullmatch(iri[len(base):])):
        raise Unresolved(f"{text!r} is not an ESCO {what}: write its IRI, e.g. {base}<uuid>, or the bare UUID")
    return iri


def identifier(kind: str, text: str) -> str:
    """The IRI an id column gives: a bare id under the kind's base (``vk-01`` → credential:vk-01), or an IRI.

    :raises Unresolved: for an id with other characters.
    """
    iri = as_iri(text)
    if iri is not None:
        return iri
    if bare_id(text):
        return ID_BASE[kind] + text
    raise Unresolved(f"{text!r} cannot be an id: use letters a–z, digits and hyphens (e.g. "
                     f"{short(ID_BASE[kind] + 'my-id')}), or a full IRI")
