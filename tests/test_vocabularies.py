"""ontology/: the framework vocabularies say exactly what the reference sheet says."""

from __future__ import annotations

import pytest

from graph_service.namespaces import EQF, MM, MMID

SKOS = "http://www.w3.org/2004/02/skos/core#"
IBIC_NAMES = {
    "d1": "Lärande och att tillämpa kunskap",
    "d2": "Allmänna uppgifter och krav",
    "d3": "Kommunikation",
    "d4": "Förflyttning",
    "d5": "Personlig vård",
    "d6": "Hemliv",
    "d7": "Mellanmänskliga interaktioner och relationer",
    "d8": "Utbildning, arbete, sysselsättning och ekonomiskt liv",
    "d9": "Samhällsgemenskap, socialt och medborgerligt liv",
}


def values(store, query: str) -> list[str]:
    rows = store.select(query)
    return sorted(next(iter(r.values())).value for r in rows)


def test_eqf_levels_use_the_eu_iris_with_three_descriptors(pilot_store) -> None:
    levels = values(pilot_store, f"SELECT ?l WHERE {{ ?l <{SKOS}inScheme> <{EQF}25831c2> }}")
    assert levels == sorted(f"{EQF}{n}" for n in range(1, 9))
    for prop in ("knowledgeDescriptor", "skillsDescriptor", "responsibilityAutonomyDescriptor"):
        described = values(pilot_store, f"SELECT ?l WHERE {{ ?l <{MM}{prop}> ?d FILTER(lang(?d) = 'en') }}")
        assert described == levels, prop


def test_seqf_levels_match_eqf_one_to_one(pilot_store) -> None:
    rows = pilot_store.select(
        f"SELECT ?s ?e WHERE {{ ?s <{SKOS}inScheme> <{MMID}seqf> ; <{SKOS}exactMatch> ?e }}")
    pairs = sorted((r["s"].value, r["e"].value) for r in rows)
    assert pairs == sorted((f"{MMID}seqf/{n}", f"{EQF}{n}") for n in range(1, 9))


def test_only_sfi_course_d_has_a_seqf_level(pilot_store) -> None:
    courses = values(pilot_store, f"SELECT ?c WHERE {{ ?c <{SKOS}inScheme> <{MMID}sfi> }}")
    assert courses == [f"{MMID}sfi/{c}" for c in "ABCD"]
    rows = pilot_store.select(f"SELECT ?c ?l WHERE {{ ?c <{SKOS}inScheme> <{MMID}sfi> ; <{MM}seqfLevel> ?l }}")
    assert [(r["c"].value, r["l"].value) for r in rows] == [(f"{MMID}sfi/D", f"{MMID}seqf/2")]


def test_ibic_life_areas_have_the_exact_swedish_names_and_icf_chapters(pilot_store) -> None:
    rows = pilot_store.select(f"""SELECT ?a ?label ?icf WHERE {{
        ?a a <{MM}LifeArea> ; <{SKOS}prefLabel> ?label ; <{MM}icfChapter> ?icf FILTER(lang(?label) = 'sv') }}""")
    found = {r["a"].value.rsplit("/", 1)[1]: (r["label"].value, r["icf"].value) for r in rows}
    assert found == {code: (name, f"{MMID}icf/{code}") for code, name in IBIC_NAMES.items()}


def test_the_two_extra_ibic_areas_are_concepts_but_not_life_areas(pilot_store) -> None:
    extra = [f"{MMID}ibic/kansla-av-trygghet", f"{MMID}ibic/stod-till-narstaende"]
    for iri in extra:
        assert bool(pilot_store.query(f"ASK {{ <{iri}> <{SKOS}inScheme> <{MMID}ibic> }}"))
        assert not bool(pilot_store.query(f"ASK {{ <{iri}> a <{MM}LifeArea> }}"))


def test_care_plan_sections_and_outcome_phases(pilot_store) -> None:
    sections = values(pilot_store, f"SELECT ?l WHERE {{ ?s a <{MM}CarePlanSection> ; <{SKOS}prefLabel> ?l FILTER(lang(?l)='sv') }}")
    assert sections == sorted(["Mål", "Aktiviteter", "Ansvar", "Uppföljning"])
    phases = values(pilot_store, f"SELECT ?l WHERE {{ ?s a <{MM}OutcomePhase> ; <{SKOS}prefLabel> ?l FILTER(lang(?l)='sv') }}")
    assert phases == sorted(["Inledning", "Aktivitet", "Innehåll", "Kvalitet och sammanhang"])


def test_outcome_dimensions_exist(pilot_store) -> None:
    dims = values(pilot_store, f"SELECT ?d WHERE {{ ?d a <{MM}OutcomeDimension> }}")
    assert dims == sorted(f"{MM}{d}" for d in ("Knowledge", "Skills", "ResponsibilityAutonomy"))


def test_esco_occupations_and_ssyk_groups(pilot_store) -> None:
    occupations = values(pilot_store, "SELECT ?o WHERE { ?o a <http://data.europa.eu/esco/model#Occupation> }")
    assert len(occupations) == 6
    assert "http://data.europa.eu/esco/occupation/12938d1a-eeb2-4b1e-a22b-f0bebeadfb73" in occupations
    ssyk = values(pilot_store, f"SELECT ?n WHERE {{ ?g <{SKOS}inScheme> <{MMID}ssyk> ; <{SKOS}notation> ?n }}")
    assert ssyk == ["5321", "5330", "8191", "8199"]


@pytest.mark.parametrize("scheme", ["seqf", "sfi", "ibic", "icf", "careplan", "phase", "ssyk"])
def test_every_concept_has_swedish_and_english_labels_and_a_source(pilot_store, scheme: str) -> None:
    concepts = values(pilot_store, f"SELECT ?c WHERE {{ ?c <{SKOS}inScheme> <{MMID}{scheme}> }}")
    assert concepts
    for lang in ("sv", "en"):
        labelled = values(pilot_store, f"""SELECT DISTINCT ?c WHERE {{ ?c <{SKOS}inScheme> <{MMID}{scheme}> ;
            <{SKOS}prefLabel> ?l FILTER(lang(?l) = '{lang}') }}""")
        if scheme == "icf" and lang == "sv":
            continue  # ICF chapter titles are English; only d8 has a Swedish title on record
        assert labelled == concepts, f"{scheme}: concepts without @{lang} label"
    sourced = values(pilot_store, f"""SELECT DISTINCT ?c WHERE {{ ?c <{SKOS}inScheme> <{MMID}{scheme}> .
        {{ ?c <http://purl.org/dc/terms/source> ?s }} UNION {{ <{MMID}{scheme}> <http://purl.org/dc/terms/source> ?s }} }}""")
    assert sourced == concepts
