"""IRIs, JSON-LD context addresses and literal conversions shared by the exporters.

Every external IRI below is one the standards publish (ELM v3 and the EU controlled
vocabularies, Open Badges 3.0, CTDL); the tests check the exports against them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from ..namespaces import EQF, MM, MMID, RDF, SKOS, XSD

# --- European Learning Model v3 and the EU vocabularies it uses ------------------------------
ELM = "http://data.europa.eu/snb/model/elm/"
ELM_CONTEXT = ["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]
EQF_SCHEME = EQF + "25831c2"
SEQF_SCHEME = MMID + "seqf"
SKILL_TYPE = "http://data.europa.eu/snb/skill-type/"
SKILL_TYPE_SCHEME = SKILL_TYPE + "25831c2"
CREDIT_SCHEME = "http://data.europa.eu/snb/education-credit/25831c2"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
LANGUAGE_SCHEME = "http://publications.europa.eu/resource/authority/language"
#: BCP 47 tag → (EU language authority code, its English label); only the catalogue's languages.
LANGUAGES = {"sv": ("SWE", "Swedish"), "en": ("ENG", "English")}
ESCO_SKILL = "http://data.europa.eu/esco/skill/"
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
ESCO_SKILLS_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills"

# --- Open Badges 3.0 -----------------------------------------------------------------------
OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

# --- Credential Transparency Description Language ------------------------------------------
CETERMS = "https://purl.org/ctdl/terms/"
CTDL_CONTEXT = "https://credreg.net/ctdl/schema/context/json"

# --- our own terms ---------------------------------------------------------------------------
MICRO_CREDENTIAL = ox.NamedNode(MM + "MicroCredential")
LEARNING_OUTCOME = ox.NamedNode(MM + "LearningOutcome")
ROLE = ox.NamedNode(MM + "Role")
KNOWLEDGE, SKILLS = MM + "Knowledge", MM + "Skills"
#: outcome dimension ↔ ESCO/ELM skill type; responsibility and autonomy has no skill type.
SKILL_TYPES = {KNOWLEDGE: SKILL_TYPE + "knowledge", SKILLS: SKILL_TYPE + "skill"}
RDF_TYPE = ox.NamedNode(RDF + "type")
PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")
_DECIMAL = ox.NamedNode(XSD + "decimal")
_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def mm(name: str) -> ox.NamedNode:
    """A term of our own vocabulary, e.g. ``mm("eqfLevel")``."""
    return ox.NamedNode(MM + name)


def canonical_decimal(value: Decimal) -> str:
    """The canonical lexical form of an xsd:decimal as the store writes it: ``12``, ``7.5``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def decimal_literal(value: Decimal | str) -> ox.Literal:
    """An xsd:decimal literal in canonical form, so read-back triples equal the store's.

    :raises ValueError: if `value` is not a number.
    """
    try:
        number = Decimal(value)
    except InvalidOperation as err:
        raise ValueError(f"{value!r} is not a decimal number") from err
    return ox.Literal(canonical_decimal(number), datatype=_DECIMAL)


def number(term: ox.Literal) -> Decimal | None:
    """A numeric literal's value as a Decimal, or None when it is not a finite number."""
    try:
        value = Decimal(term.value)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def hours_to_duration(hours: Decimal) -> str:
    """Hours as an ISO 8601 / xsd:duration: 24 → ``PT24H``, 7.5 → ``PT7H30M``."""
    seconds = hours * 3600
    whole_hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(whole_hours, "H"), (minutes, "M"), (secs, "S")]
    text = "".join(f"{canonical_decimal(Decimal(v))}{unit}" for v, unit in parts if v)
    return "PT" + (text or "0H")


def duration_to_hours(duration: str) -> Decimal:
    """The hours an ISO 8601 day/time duration stands for (``PT7H30M`` → 7.5).

    :raises ValueError: for years, months or anything that is not a day/time duration.
    """
    match = _DURATION.match(duration.strip())
    if not match or duration.strip() in ("P", "PT"):
        raise ValueError(f"{duration!r} is not an ISO 8601 day/time duration such as PT24H")
    days, hours, minutes, seconds = (Decimal(g) if g else Decimal(0) for g in match.groups())
    return (days * 86400 + hours * 3600 + minutes * 60 + seconds) / 3600


def lang_literal(text: str, lang: str) -> ox.Literal:
    """A language-tagged string (``""`` as the tag gives a plain string)."""
    return ox.Literal(text, language=lang) if lang else ox.Literal(text)


def local_code(iri: str) -> str:
    """The last path or fragment segment of an IRI: ``…/credential/vk-01`` → ``vk-01``."""
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]
