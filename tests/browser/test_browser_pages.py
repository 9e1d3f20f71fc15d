"""The pages in a real browser: a counsellor fills the path finder, a designer reads the explorer, links work.

Every check compares what the page shows with the JSON API of the same server.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import unquote

import httpx
import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ID = "https://w3id.org/mikromerit/id/"
START, GOAL = ID + "role/drifttekniker", ID + "role/vakthavande-drifttekniker"
PLAN_URL = "/?holds=role:drifttekniker&target=role:vakthavande-drifttekniker&lang=sv"
Shot = Callable[..., object]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def api_gap(base: str, holds: list[str], target: str, lang: str = "sv") -> dict:
    """The JSON gap answer of the same server."""
    reply = httpx.post(f"{base}/api/gap", params={"lang": lang}, json={"holds": holds, "target": target})
    reply.raise_for_status()
    return reply.json()


def shown_plan(browser: "WebDriver") -> tuple[list[str], list[str], float]:
    """The plan table as shown: credential IRIs and labels in order, and the total hours."""
    rows = browser.find_elements(By.CSS_SELECTOR, "#plan tbody tr")
    iris = [row.get_attribute("data-credential") for row in rows]
    labels = [next((a.text for a in row.find_elements(By.CSS_SELECTOR, "th a:not(.data)")),
                   row.find_element(By.TAG_NAME, "th").text) for row in rows]
    total = float(browser.find_element(By.ID, "plan-total").get_attribute("data-hours"))
    return iris, labels, total


def wait_for(browser: "WebDriver", element_id: str) -> None:
    """Wait until the page has an element with this id."""
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, element_id)))


def test_counsellor_fills_the_path_finder(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv"
    screenshot("pathfinder-start")
    suggestions = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#holdables option")]
    assert "Drifttekniker · roll" in suggestions
    browser.find_element(By.ID, "holds-add").send_keys("Drifttekniker · roll")
    Select(browser.find_element(By.ID, "target")).select_by_visible_text("Vakthavande drifttekniker inom vattenkraft")
    browser.find_element(By.ID, "show").click()
    wait_for(browser, "plan")
    assert "holds=role:drifttekniker" in unquote(browser.current_url)
    expected = api_gap(pilot_server, [START], GOAL)
    iris, labels, total = shown_plan(browser)
    assert iris == [step["credential"] for step in expected["plan"]]
    assert labels == [step["label"] for step in expected["plan"]]
    assert total == expected["totalWorkloadHours"] == 416
    assert browser.find_element(By.ID, "missing-count").text == str(len(expected["missing"]))
    here = browser.find_element(By.CSS_SELECTOR, "#ladder .here")
    assert here.get_attribute("data-role") == START
    assert browser.find_element(By.CSS_SELECTOR, "#ladder .goal").get_attribute("data-role") == GOAL
    screenshot("pathfinder-sv")


def test_english_switch_gives_english_labels(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + PLAN_URL)
    browser.find_element(By.CSS_SELECTOR, "a.switch").click()
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Path finder"
    expected = api_gap(pilot_server, [START], GOAL, lang="en")
    assert shown_plan(browser)[1] == [step["label"] for step in expected["plan"]]
    screenshot("pathfinder-en")


def test_the_plan_prints_on_one_sheet(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + PLAN_URL)
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "pathfinder-print.pdf").write_bytes(pdf)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        screenshot("pathfinder-print", 703)  # A4 less 12 mm margins, at 96 dpi
        assert not browser.find_element(By.CSS_SELECTOR, "form.finder").is_displayed()
        assert browser.find_element(By.ID, "plan").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "the plan should fit on one A4 sheet"


def test_plan_links_to_resource_pages_and_back(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + PLAN_URL)
    before = shown_plan(browser)
    first = browser.find_element(By.CSS_SELECTOR, "#plan tbody tr")
    iri, label = first.get_attribute("data-credential"), first.find_element(By.CSS_SELECTOR, "th a").text
    first.find_element(By.CSS_SELECTOR, "a.data").click()
    WebDriverWait(browser, 10).until(lambda b: "/id/credential/" in b.current_url)
    assert browser.current_url.split("?")[0] == pilot_server + "/id/" + iri[len(ID):]
    assert browser.find_element(By.TAG_NAME, "h1").text == label
    screenshot("resource-id-page")
    browser.back()
    wait_for(browser, "plan")
    assert shown_plan(browser) == before
    browser.find_element(By.CSS_SELECTOR, "#plan tbody tr th a").click()
    WebDriverWait(browser, 10).until(lambda b: "/credential/" in b.current_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == label
    screenshot("credential-page")
    browser.find_element(By.LINK_TEXT, "Använd i vägvisaren").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.split("?")[0] == pilot_server + "/")
    chips = browser.find_elements(By.CSS_SELECTOR, ".chips input[name=holds]")
    assert [c.get_attribute("value") for c in chips] == ["credential:" + iri.rsplit("/", 1)[-1]]


def empty_cells(browser: "WebDriver") -> set[tuple[str, str]]:
    """(competence, role) of every empty cell in the roles × competences heat map."""
    return {(td.get_attribute("data-row"), td.get_attribute("data-col"))
            for td in browser.find_elements(By.CSS_SELECTOR, "#role-heat td[data-empty]")}


def uncovered_by_api(base: str) -> tuple[set[tuple[str, str]], list[str]]:
    """From GET /api/coverage: the (competence, role) pairs with no credential, and every uncovered IRI."""
    coverage = httpx.get(f"{base}/api/coverage").json()
    pairs = {(cell["iri"], role["role"]) for role in coverage["roles"] for cell in role["requirements"]
             if not cell["credentials"]}
    return pairs, sorted(cell["iri"] for cell in coverage["uncovered"])


def test_explorer_empty_cells_match_coverage(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + "/explore")
    pairs, uncovered = uncovered_by_api(pilot_server)
    assert empty_cells(browser) == pairs == set()
    assert uncovered == [] and browser.find_element(By.ID, "uncovered-none").is_displayed()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#role-heat td[data-count]")) > 0
    screenshot("explorer-sv")


def test_explorer_shows_uncovered_demand(small_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(small_server + "/explore")
    pairs, uncovered = uncovered_by_api(small_server)
    assert empty_cells(browser) == pairs == {("http://example.org/core/inspection", "http://example.org/core/welder")}
    listed = sorted(li.get_attribute("data-iri") for li in browser.find_elements(By.CSS_SELECTOR, "#uncovered li"))
    assert listed == uncovered
    screenshot("explorer-small-catalogue")


def test_explorer_filters_by_sector_and_level(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + "/explore?lang=en")
    Select(browser.find_element(By.ID, "sector")).select_by_visible_text("Health and social care")
    Select(browser.find_element(By.ID, "eqf")).select_by_visible_text("EQF 3")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 10).until(lambda b: "eqf=" in b.current_url)
    expected = httpx.get(f"{pilot_server}/api/credentials", params={"sector": "mmid:sector/vard-och-omsorg",
                                                                    "eqf": "eqf:3"}).json()
    assert browser.find_element(By.ID, "selection").text.startswith(f"{len(expected)} ")
    screenshot("explorer-filtered-en")


def test_unbridgeable_gap_is_said_plainly(small_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(small_server + "/")
    Select(browser.find_element(By.ID, "target")).select_by_visible_text("Svetsare")
    browser.find_element(By.ID, "show").click()
    wait_for(browser, "plan")
    expected = api_gap(small_server, [], "http://example.org/core/welder")
    assert shown_plan(browser)[0] == [step["credential"] for step in expected["plan"]]
    section = browser.find_element(By.ID, "unbridgeable").find_element(By.XPATH, "..")
    assert "Svetsinspektion" in section.text and "Ingen mikromerit i katalogen lär ut den." in section.text
    screenshot("pathfinder-unbridgeable")


def test_a_name_that_fits_nothing_gets_a_message(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + "/")
    browser.find_element(By.ID, "holds-add").send_keys("elsäkerhet")
    Select(browser.find_element(By.ID, "target")).select_by_visible_text("Undersköterska")
    browser.find_element(By.ID, "show").click()
    wait_for(browser, "error")
    assert "Menade du" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "holds-add").get_attribute("value") == "elsäkerhet"
    screenshot("pathfinder-error")
