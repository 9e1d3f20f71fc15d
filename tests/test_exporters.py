"""The exporters: ELM v3, Open Badges 3.0, CTDL and the RDF dumps, checked against the standards and round-tripped."""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

import jsonschema
import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.compare import isomorphic

import servers
from graph_service.exporters import FORMATS, ExportError, export, projection, read_back
from graph_service.exporters.terms import duration_to_hours, hours_to_duration
from graph_service.loading import open_graph
from graph_service.remote import RemoteStore
from graph_service.service import Service
from graph_service.store import Store

SCHEMAS = Path(__file__).parent / "schemas"


def standards_dir() -> Path | None:
    """The standards' own files: $GRAPH_SERVICE_STANDARDS, else shared/standards beside this repository."""
    if os.environ.get("GRAPH_SERVICE_STANDARDS"):
        return Path(os.environ["GRAPH_SERVICE_STANDARDS"])
    beside = Path(__file__).resolve().parents[2] / "shared" / "standards"
    return beside if beside.is_dir() else None


STANDARDS = standards_dir()
official = pytest.mark.skipif(STANDARDS is None, reason="no standards' files: set GRAPH_SERVICE_STANDARDS "
                                                          "(tests/schemas/README.md)")
ID = "https://w3id.org/mikromerit/id/"
ELM = "http://data.europa.eu/snb/model/elm/"
EX = "http://example.org/core/"
ESCO_SKILL = "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000001"  # made up, for the test only
EXTRA = f"""
@prefix mm: <https://w3id.org/mikromerit/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <{EX}> .
ex:migcourse skos:prefLabel "MIG welding"@en ; mm:ects 1.50 ; mm:passThreshold 70 ;
    mm:entryLevel <{ID}sfi/D> ; mm:lifeArea <{ID}ibic/d3> ; mm:learningOutcome ex:o1, ex:o2 .
ex:o1 a mm:LearningOutcome ; skos:prefLabel "Kan svetsa MIG"@sv ; mm:dimension mm:Skills .
ex:o2 a mm:LearningOutcome ; skos:prefLabel "Tar ansvar för svetsen"@sv ; mm:dimension mm:ResponsibilityAutonomy .
ex:mig skos:closeMatch <{ESCO_SKILL}> .
ex:safety a mm:MicroCredential ; skos:prefLabel "Heta arbeten"@sv ; mm:workloadHours 7.5 ;
    mm:eqfLevel <http://data.europa.eu/snb/eqf/2> .
ex:helper a mm:Role ; skos:prefLabel "Svetsarbiträde"@sv ; mm:requiresCompetence ex:mig ; mm:nextRole ex:welder .
"""


@pytest.fixture
def extra_store(data_dir: Path, tmp_path: Path) -> Store:
    """The core-only catalogue plus ECTS, a 7.5-hour workload, an ESCO skill, outcomes and a two-role ladder."""
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    return open_graph([data_dir / "core-only.ttl", extra])


@pytest.fixture(scope="module", params=servers.SERVERS)
def remote(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteStore]:
    """A running SPARQL server (Oxigraph, Virtuoso) holding the vocabularies and the pilots."""
    try:
        with servers.with_pilots(request.param, tmp_path_factory.mktemp(request.param)) as running:
            yield running.store()
    except servers.ServerUnavailable as err:
        pytest.skip(str(err))


def as_rdflib(triples: list[ox.Triple]) -> rdflib.Graph:
    """Triples as an rdflib graph, for isomorphism checks."""
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")


def is_language_map(value: dict) -> bool:
    """Whether a JSON object is a JSON-LD language map (``{"sv": "…", "en": "…"}``)."""
    return bool(value) and all(isinstance(v, str) and (k == "@none" or re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", k))
                               for k, v in value.items())


def walk(value: Any) -> Iterator[dict]:
    """Every JSON object inside a JSON value, language maps left out."""
    if isinstance(value, dict) and not is_language_map(value):
        yield value
        for key, inner in value.items():
            if key != "@context":
                yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)


def keys(doc: Any) -> set[str]:
    """Every object key used anywhere in a JSON document."""
    return {key for node in walk(doc) for key in node}


def with_context(doc: Any, context: Any) -> Any:
    """A copy of a document (or list of them) with every @context replaced."""
    if isinstance(doc, list):
        return [with_context(item, context) for item in doc]
    copy = json.loads(json.dumps(doc))
    for node in walk(copy):
        if "@context" in node:
            node["@context"] = context
    return copy


def to_rdf(doc: Any) -> set[ox.Triple]:
    """A JSON-LD document's triples (its contexts must be inline)."""
    return {q.triple for q in ox.parse(input=json.dumps(doc).encode(), format=ox.RdfFormat.JSON_LD)}


def dropped_keys(doc: Any, to_triples: Callable[[Any], set[ox.Triple]]) -> set[str]:
    """Keys whose removal changes nothing in the RDF: terms the context does not define."""
    full = len(to_triples(doc))
    found = set()
    for key in keys(doc) - {"@context", "@graph", "@id", "@type", "id", "type"}:
        stripped = json.loads(json.dumps(doc))
        for node in walk(stripped):
            node.pop(key, None)
        if len(to_triples(stripped)) == full:
            found.add(key)
    return found


def context_file(name: str) -> Any:
    """The @context of a JSON-LD file in tests/schemas."""
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))["@context"]


# --- formats, errors and the unit conversions ----------------------------------------------------

def test_unknown_format_or_credential_is_an_export_error(pilot_store: Store) -> None:
    with pytest.raises(ExportError, match="unknown export format 'xml'.*elm, ob3, ctdl, turtle, jsonld"):
        export(pilot_store, "xml")
    for fmt in FORMATS:
        with pytest.raises(ExportError, match="nope"):
            export(pilot_store, fmt, credential=ID + "credential/nope")
    with pytest.raises(ExportError, match="not JSON"):
        read_back("<not json>", "elm")


def test_hours_and_iso_8601_durations_convert_both_ways() -> None:
    for hours, text in [("24", "PT24H"), ("7.5", "PT7H30M"), ("0.25", "PT15M"), ("0.001", "PT3.6S")]:
        assert hours_to_duration(Decimal(hours)) == text
        assert duration_to_hours(text) == Decimal(hours)
    assert duration_to_hours("P1DT2H") == 26
    for bad in ("P1Y", "PT", "24 hours"):
        with pytest.raises(ValueError):
            duration_to_hours(bad)


# --- round trips: read_back(export(store)) is the projection of the store -------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_the_pilot_catalogue(pilot_store: Store, fmt: str) -> None:
    back, expected = read_back(export(pilot_store, fmt), fmt), projection(pilot_store, fmt)
    assert expected, f"the {fmt} projection of the pilots is empty"
    assert isomorphic(as_rdflib(back), as_rdflib(expected))


@pytest.mark.parametrize("fmt", ["elm", "ob3", "ctdl", "turtle", "jsonld"])
def test_round_trip_of_one_credential(pilot_store: Store, fmt: str) -> None:
    credential = ID + "credential/ys-10"
    back = read_back(export(pilot_store, fmt, credential=credential), fmt)
    assert isomorphic(as_rdflib(back), as_rdflib(projection(pilot_store, fmt, credential=credential)))
    assert ox.NamedNode(credential) in {t.subject for t in back}


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_with_ects_esco_plain_numbers_and_other_iris(extra_store: Store, fmt: str) -> None:
    back, expected = read_back(export(extra_store, fmt), fmt), projection(extra_store, fmt)
    assert expected
    assert isomorphic(as_rdflib(back), as_rdflib(expected))


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_over_a_sparql_server_equal_the_embedded_ones(remote: RemoteStore, pilot_store: Store,
                                                              fmt: str) -> None:
    if fmt in ("turtle", "jsonld"):
        assert isomorphic(as_rdflib(read_back(export(remote, fmt), fmt)), as_rdflib(projection(pilot_store, fmt)))
    else:
        assert export(remote, fmt) == export(pilot_store, fmt)
    assert projection(remote, fmt) == projection(pilot_store, fmt)


def test_projections_hold_the_promised_elements(pilot_store: Store, extra_store: Store) -> None:
    mm = "https://w3id.org/mikromerit/ns#"
    elm = {(t.subject.value, t.predicate.value, t.object.value) for t in projection(pilot_store, "elm")}
    ys01 = ID + "credential/ys-01"
    assert {(ys01, mm + "workloadHours", "12"), (ys01, mm + "eqfLevel", "http://data.europa.eu/snb/eqf/2"),
            (ys01, mm + "entryLevel", ID + "sfi/D"),
            (ID + "outcome/ys-01-k1", mm + "dimension", mm + "Knowledge")} <= elm
    assert not any(o == mm + "ResponsibilityAutonomy" for _, _, o in elm)  # no ELM skill type for it
    ob3 = {(t.subject.value, t.predicate.value, t.object.value) for t in projection(pilot_store, "ob3")}
    assert (ys01, mm + "passThreshold", "80") in ob3 and (ys01, mm + "lifeArea", ID + "ibic/d2") in ob3
    ctdl = {(t.subject.value, t.predicate.value, t.object.value) for t in projection(extra_store, "ctdl")}
    assert (EX + "tigcourse", mm + "prerequisite", EX + "migcourse") in ctdl
    assert (EX + "helper", mm + "nextRole", EX + "welder") in ctdl


# --- ELM v3 ------------------------------------------------------------------------------------

def test_elm_specification_carries_the_standard_elements(pilot_store: Store) -> None:
    spec = json.loads(export(pilot_store, "elm", credential=ID + "credential/ys-01"))
    assert spec["type"] == "LearningAchievementSpecification" and spec["id"] == ID + "credential/ys-01"
    assert set(spec["title"]) == {"sv", "en"}
    eqf = [level for level in spec["educationLevel"] if level["id"] == "http://data.europa.eu/snb/eqf/2"]
    assert eqf and eqf[0]["inScheme"]["id"] == "http://data.europa.eu/snb/eqf/25831c2"
    assert spec["volumeOfLearning"] == "PT12H"
    assert spec["entryRequirement"]["subject"]["id"] == ID + "sfi/D"
    assert "SFI kurs D" in spec["entryRequirement"]["noteLiteral"]["sv"]
    assert all(o["type"] == "LearningOutcome" and o["title"]["sv"] for o in spec["learningOutcome"])
    whole = json.loads(export(pilot_store, "elm"))
    assert len(whole["@graph"]) == 38
    assert not {"EQFLevel", "eqfLevel"} & keys(whole), "EQF level of a specification goes in educationLevel"


def test_elm_credit_points_esco_skills_and_fractional_hours(extra_store: Store) -> None:
    spec = json.loads(export(extra_store, "elm", credential=EX + "migcourse"))
    (credit,) = spec["creditPoint"]
    assert credit["type"] == "CreditPoint" and credit["point"] == "1.5"
    assert credit["framework"]["id"] == "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    assert [s["id"] for s in spec["relatedESCOSkill"]] == [ESCO_SKILL]
    assert json.loads(export(extra_store, "elm", credential=EX + "safety"))["volumeOfLearning"] == "PT7H30M"


@pytest.mark.parametrize("catalogue", ["pilot_store", "extra_store"])
def test_elm_export_conforms_to_the_profile_shapes(catalogue: str, request: pytest.FixtureRequest) -> None:
    doc = json.loads(export(request.getfixturevalue(catalogue), "elm"))
    context = context_file("elm-context.jsonld")
    assert keys(doc) - {"@context", "@graph"} <= set(context), "every key must be an edc-ap term"
    assert not dropped_keys(with_context(doc, context), to_rdf)
    data = as_rdflib(sorted(to_rdf(with_context(doc, context)), key=str))
    shapes = rdflib.Graph().parse(SCHEMAS / "elm-profile-shapes.ttl")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text
    some = next(data.subjects(rdflib.RDF.type, rdflib.URIRef(ELM + "LearningAchievementSpecification")))
    data.add((some, rdflib.URIRef(ELM + "EQFLevel"), rdflib.URIRef("http://data.europa.eu/snb/eqf/2")))
    assert not pyshacl.validate(data, shacl_graph=shapes, inference="none")[0], "the shapes must bite"


# --- Open Badges 3.0 ---------------------------------------------------------------------------

def ob3_validator() -> jsonschema.Draft201909Validator:
    """The test schema for an Achievement (tests/schemas/ob3-achievement.schema.json)."""
    schema = json.loads((SCHEMAS / "ob3-achievement.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("catalogue", ["pilot_store", "extra_store"])
def test_every_achievement_matches_the_schema(catalogue: str, request: pytest.FixtureRequest) -> None:
    achievements = json.loads(export(request.getfixturevalue(catalogue), "ob3"))
    validator = ob3_validator()
    assert achievements
    for achievement in achievements:
        assert not [e.message for e in validator.iter_errors(achievement)], achievement["id"]
    broken = dict(achievements[0], resultDescription=[{"id": "x", "type": ["ResultDescription"], "name": "n",
                                                      "resultType": "Percent", "requiredValue": 80}])
    del broken["criteria"]
    assert len(list(validator.iter_errors(broken))) == 2, "the schema must bite"


def test_achievement_alignments_and_pass_mark(pilot_store: Store) -> None:
    ach = json.loads(export(pilot_store, "ob3", credential=ID + "credential/ys-01"))
    assert ach["type"] == ["Achievement"] and ach["achievementType"] == "MicroCredential"
    assert ach["inLanguage"] == "sv" and ach["criteria"]["narrative"]
    (result,) = ach["resultDescription"]
    assert (result["resultType"], result["requiredValue"], result["valueMax"]) == ("Percent", "80", "100")
    urls = {a["targetUrl"]: a for a in ach["alignment"]}
    assert urls["http://data.europa.eu/snb/eqf/2"]["targetType"] == "ext:EQFLevel"
    assert urls[ID + "ibic/d2"]["targetName"] and urls[ID + "ibic/d2"]["targetCode"] == "d2"
    assert "http://data.europa.eu/esco/occupation/d38c2107-98f2-47b7-8bb4-f69750d51082" in urls
    skill = json.loads(export(open_graph(), "ob3", credential=ID + "credential/vk-05"))
    assert any(a["targetType"] == "ext:ESCOOccupation" for a in skill["alignment"])


def test_achievement_aligns_esco_skills(extra_store: Store) -> None:
    ach = json.loads(export(extra_store, "ob3", credential=EX + "migcourse"))
    assert [a["targetUrl"] for a in ach["alignment"] if a["targetType"] == "ext:ESCOSkill"] == [ESCO_SKILL]
    assert ach["resultDescription"][0]["requiredValue"] == "70"


# --- CTDL pathways -----------------------------------------------------------------------------

def by_type(doc: dict, kind: str) -> list[dict]:
    """The @graph nodes of one CTDL class."""
    return [n for n in doc["@graph"] if n["@type"] == kind]


def test_a_pathway_per_ladder_with_a_destination(pilot_store: Store) -> None:
    doc = json.loads(export(pilot_store, "ctdl"))
    pathways = {p["@id"]: p for p in by_type(doc, "ceterms:Pathway")}
    assert {ID + "pathway/drifttekniker--vakthavande-drifttekniker", ID + "pathway/vardbitrade--underskoterska"} \
        <= set(pathways)
    nodes = {n["@id"]: n for n in doc["@graph"]}
    for iri, pathway in pathways.items():
        (destination,) = pathway["ceterms:hasDestinationComponent"]
        assert nodes[destination]["@type"] == "ceterms:JobComponent"
        assert nodes[destination]["ceterms:isDestinationComponentOf"] == [iri]
        assert destination in pathway["ceterms:hasPart"]
        assert all(nodes[part]["ceterms:proxyFor"] for part in pathway["ceterms:hasPart"])
    assert "ceterms:prerequisite" not in keys(doc), "CTDL dropped ceterms:prerequisite on components in 2022"


def test_conditions_require_prerequisites_and_precedes_only_suggests(pilot_store: Store) -> None:
    doc = json.loads(export(pilot_store, "ctdl"))
    nodes = {n["@id"]: n for n in doc["@graph"]}
    prerequisites = {c.iri: c.prerequisites for c in Service(pilot_store).catalogue().credentials.values()}
    for node in by_type(doc, "ceterms:CredentialComponent"):
        targets = [t for c in node.get("ceterms:hasCondition", []) for t in c["ceterms:targetComponent"]]
        assert {nodes[t]["ceterms:proxyFor"] for t in targets} == prerequisites[node["ceterms:proxyFor"]]
        for condition in node.get("ceterms:hasCondition", []):
            assert condition["@type"] == "ceterms:ComponentCondition"
            assert condition["ceterms:requiredNumber"] == len(condition["ceterms:targetComponent"])
    for node in doc["@graph"]:
        assert all(nodes[t]["@type"].endswith("Component") for t in node.get("ceterms:precedes", []))


def test_pathway_credentials_are_the_ladder_plan(pilot_store: Store) -> None:
    doc = json.loads(export(pilot_store, "ctdl", credential=ID + "role/underskoterska"))
    assert [p["@id"] for p in by_type(doc, "ceterms:Pathway")] == [ID + "pathway/vardbitrade--underskoterska"]
    ladder = Service(pilot_store).ladder(ID + "role/vardbitrade", ID + "role/underskoterska", [])
    planned = [step.credential for s in ladder.steps for step in s.gap.plan]
    assert [n["ceterms:proxyFor"] for n in by_type(doc, "ceterms:CredentialComponent")] == planned


def test_ctdl_uses_known_terms_only(pilot_store: Store, extra_store: Store) -> None:
    terms = json.loads((SCHEMAS / "ctdl-terms.json").read_text(encoding="utf-8"))
    classes, properties = terms["classes"], terms["properties"]
    context = context_file("ctdl-context.jsonld")
    for store in (pilot_store, extra_store):
        doc = json.loads(export(store, "ctdl"))
        for node in walk(doc["@graph"]):
            kind = node["@type"]
            assert kind in classes
            for key in set(node) - {"@id", "@type"}:
                assert kind in properties[key] or classes[kind] in properties[key], (kind, key)
        assert not dropped_keys(with_context(doc, context), to_rdf)


# --- against the standards' own files (GRAPH_SERVICE_STANDARDS, see tests/schemas/README.md) ------

@official
def test_official_elm_profile_and_ontology(pilot_store: Store, extra_store: Store) -> None:
    edc = json.loads((STANDARDS / "elm/edc-ap-context.jsonld").read_text(encoding="utf-8"))["@context"]
    context = [{"id": "@id", "type": "@type"}, edc]  # the VC 1.1 context only lends id and type here
    shapes = rdflib.Graph().parse(STANDARDS / "elm/EDC-generic-no-cv.ttl")
    shapes.parse(STANDARDS / "elm/EDC-generic-full.ttl")
    ontology = rdflib.Graph().parse(STANDARDS / "elm/ELM.ttl")
    declared = set(ontology.subjects(rdflib.RDF.type, None))
    for store in (pilot_store, extra_store):
        doc = with_context(json.loads(export(store, "elm")), context)
        assert not dropped_keys(doc, to_rdf)
        data = as_rdflib(sorted(to_rdf(doc), key=str))
        conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
        assert conforms, text
        for s, p, o in data:
            used = [p] + ([o] if p == rdflib.RDF.type else [])
            assert all(t in declared for t in used if str(t).startswith(ELM)), (p, o)
            for domain in ontology.objects(p, rdflib.RDFS.domain):
                assert (s, rdflib.RDF.type, domain) in data, (s, p, domain)
        assert not list(data.subject_objects(rdflib.URIRef(ELM + "EQFLevel")))


@official
def test_official_ob3_schema_and_context(pilot_store: Store, extra_store: Store) -> None:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT201909

    schema = json.loads((STANDARDS / "ob3/ob_v3p0_achievementcredential_schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema, DRAFT201909))
    validator = jsonschema.Draft201909Validator({"$ref": schema["$id"] + "#/$defs/Achievement"}, registry=registry)
    contexts = [json.loads((STANDARDS / f"ob3/{name}").read_text(encoding="utf-8"))["@context"]
                for name in ("credentials-v2.jsonld", "context-3.0.3.json")]
    for store in (pilot_store, extra_store):
        for achievement in json.loads(export(store, "ob3")):
            assert not [e.message for e in validator.iter_errors(achievement)], achievement["id"]
            assert not dropped_keys(with_context(achievement, contexts), to_rdf), achievement["id"]


@official
def test_official_ctdl_class_tree(pilot_store: Store) -> None:
    tree = json.loads((STANDARDS / "ctdl/subclasses_map.json").read_text(encoding="utf-8"))
    components = set(tree["ceterms:PathwayComponent"])
    doc = json.loads(export(pilot_store, "ctdl"))
    used = {node["@type"] for node in walk(doc["@graph"])}
    assert used - components <= {"ceterms:Pathway", "ceterms:ComponentCondition"}
    assert {"ceterms:Pathway", "ceterms:ComponentCondition"} <= set(tree)
