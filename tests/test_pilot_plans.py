"""Hand-computed gap and ladder answers on the bundled pilot catalogue (mappings/).

Each expected plan below was worked out by hand from the catalogue: in the pilots every
competence is taught by exactly one credential, so the plan is the teachers of the missing
competences plus their prerequisites, and study order is the IRI-smallest topological order.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from graph_service.api import create_app
from graph_service.service import Service
from graph_service.settings import Settings

ID = "https://w3id.org/mikromerit/id/"


def vk(*numbers: int) -> list[str]:
    return [f"{ID}credential/vk-{n:02}" for n in numbers]


def ys(*numbers: int) -> list[str]:
    return [f"{ID}credential/ys-{n:02}" for n in numbers]


def plan(answer) -> list[str]:
    return [step.credential for step in answer.plan]


@pytest.fixture
def service(pilot_store) -> Service:
    return Service(pilot_store)


def test_new_drifttekniker_to_vakthavande(service: Service) -> None:
    answer = service.gap([ID + "role/drifttekniker"], ID + "role/vakthavande-drifttekniker")
    assert len(answer.missing) == 17 and answer.unbridgeable == []
    assert plan(answer) == vk(6, 7, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23)
    assert answer.totalWorkloadHours == 416.0 and answer.optimal
    last = answer.plan[-1]
    assert last.covers == [ID + "competence/arbetsledning-drift", ID + "competence/vakthavande-ansvar"]
    assert last.prerequisites == vk(19, 20, 22)
    assert answer.labels[last.credential] == "Vakthavandes ansvar och ledning av driftarbete"


def test_a_held_credential_is_skipped_and_satisfies_prerequisites(service: Service) -> None:
    answer = service.gap([ID + "role/drifttekniker", *vk(16)], ID + "role/vakthavande-drifttekniker")
    assert plan(answer) == vk(6, 7, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23)
    assert answer.totalWorkloadHours == 400.0
    assert answer.plan[-4].credential == vk(20)[0] and vk(16)[0] in answer.plan[-4].prerequisites


def test_sfi_d_care_worker_to_underskoterska(service: Service) -> None:
    answer = service.gap([ID + "role/vardbitrade"], ID + "role/underskoterska")
    assert answer.missing == [ID + "competence/delaktighet", ID + "competence/dokumentera-uppfoljning",
                              ID + "competence/skriva-genomforandeplan"]
    assert plan(answer) == ys(8, 10) and answer.totalWorkloadHours == 36.0


def test_newcomer_without_experience_to_underskoterska_takes_all_ten(service: Service) -> None:
    answer = service.gap([], ID + "role/underskoterska", lang="en")
    assert plan(answer) == ys(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    assert answer.totalWorkloadHours == 152.0
    assert answer.labels[ys(10)[0]] == "Follow-up – reviewing and writing the care plan"


def test_ladder_drifttekniker_to_vakthavande_goes_through_kopplingsbehorig(service: Service) -> None:
    answer = service.ladder(ID + "role/drifttekniker", ID + "role/vakthavande-drifttekniker", [])
    assert answer.roles == [ID + "role/drifttekniker", ID + "role/kopplingsbehorig-drifttekniker",
                            ID + "role/vakthavande-drifttekniker"]
    first, second = answer.steps
    assert len(first.newlyRequired) == 8 and plan(first.gap) == vk(6, 7, 11, 12, 14, 15, 18)
    assert first.gap.totalWorkloadHours == 200.0
    assert len(second.newlyRequired) == 9 and plan(second.gap) == vk(13, 16, 17, 19, 20, 21, 22, 23)
    assert second.gap.totalWorkloadHours == 216.0
    assert answer.totalWorkloadHours == 416.0  # the same as bridging the whole gap at once


def test_validerare_step_orders_the_soft_skill_credentials(service: Service) -> None:
    answer = service.gap([ID + "role/vakthavande-drifttekniker"], ID + "role/validerare")
    assert plan(answer) == [f"{ID}credential/vv-0{n}" for n in (1, 4, 3, 5, 2)]
    assert answer.totalWorkloadHours == 64.0


def test_reachable_roles_from_drifttekniker(service: Service) -> None:
    answer = service.reachable(ID + "role/drifttekniker")
    assert answer.roles == [ID + "role/kopplingsbehorig-drifttekniker", ID + "role/vakthavande-drifttekniker",
                            ID + "role/validerare"]


def test_pilot_coverage_has_no_uncovered_demand(service: Service) -> None:
    answer = service.coverage()
    assert all(r.share == 1.0 for r in answer.roles)
    assert sorted(c.iri.rsplit("/", 1)[1] for c in answer.lifeAreas) == [f"d{n}" for n in range(1, 10)]
    assert all(c.credentials for c in answer.lifeAreas + answer.carePlanSections)
    assert len(answer.carePlanSections) == 4 and answer.uncovered == []


def test_browse_care_credentials_by_life_area_and_section(service: Service) -> None:
    personal_care = service.credentials(life_area=ID + "ibic/d5")
    assert personal_care and all(ID + "ibic/d5" in c.lifeAreas for c in personal_care)
    follow_up = service.credentials(section=ID + "careplan/uppfoljning")
    assert ys(10)[0] in [c.iri for c in follow_up]
    assert all(c.passThreshold == 80.0 and c.illustrative for c in service.credentials(sector=ID + "sector/vard-och-omsorg"))


def test_pilot_gap_over_http_with_prefixed_names(pilot_store) -> None:
    client = TestClient(create_app(Settings(), pilot_store))
    reply = client.post("/api/gap", json={"holds": ["role:vardbitrade"], "target": "role:underskoterska"},
                        headers={"Accept-Language": "en"})
    assert reply.status_code == 200
    body = reply.json()
    assert [s["credential"] for s in body["plan"]] == ys(8, 10)
    assert body["labels"][ID + "role/underskoterska"]
    wrong = client.post("/api/gap", json={"holds": [], "target": "credential:vk-01"})
    assert wrong.status_code == 422 and wrong.json()["value"] == vk(1)[0]
