"""The SPARQL editor in a real browser: YASGUI from static/vendor/, a named query run against our /sparql."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import httpx
import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from graph_service.pages.sparql_editor import assets_built  # noqa: E402

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROLE = "https://w3id.org/mikromerit/id/role/drifttekniker"
ROWS = ".yasr table tbody tr"
Shot = Callable[..., object]
pytestmark = pytest.mark.skipif(not assets_built(), reason="YASGUI is not vendored: run make assets")


def api_roles(base: str) -> set[str]:
    """The roles catalogue-roles returns, asked of the same server's /sparql without the browser."""
    text = httpx.get(f"{base}/sparql-editor", params={"example": "catalogue-roles"}).text
    assert "catalogue-roles" in text
    from graph_service.queries import named_queries

    reply = httpx.post(f"{base}/sparql", data={"query": named_queries()["catalogue-roles"].text},
                       headers={"Accept": "application/sparql-results+json"})
    reply.raise_for_status()
    return {b["role"]["value"] for b in reply.json()["results"]["bindings"]}


def test_named_query_runs_in_yasgui(pilot_server: str, browser: "WebDriver", screenshot: Shot) -> None:
    browser.get(pilot_server + "/sparql-editor?example=catalogue-roles")
    WebDriverWait(browser, 15).until(lambda b: b.execute_script("return !!(window.yasgui && window.yasgui.getTab()"
                                                                " && window.yasgui.getTab().getYasqe())"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv"
    assert not browser.find_element(By.ID, "fallback").is_displayed()
    shown = browser.execute_script("return window.yasgui.getTab().getQuery()")
    assert "SELECT ?role ?requires ?next" in shown
    assert browser.execute_script("return window.yasgui.getTab().getEndpoint()") == pilot_server + "/sparql"
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    WebDriverWait(browser, 20).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ROWS)) > 0)
    screenshot("sparql-editor")
    assert ROLE in api_roles(pilot_server)
    # the table pages 50 of ~110 rows: filter it so the check does not depend on the row order
    browser.find_element(By.CSS_SELECTOR, ".yasr input[placeholder='Filter query results']").send_keys("drifttekniker")
    WebDriverWait(browser, 10).until(
        lambda b: "role/drifttekniker>" in b.find_element(By.CSS_SELECTOR, ".yasr table").text)


def test_typed_query_runs_through_the_api(pilot_server: str, browser: "WebDriver") -> None:
    browser.get(pilot_server + "/sparql-editor?lang=en")
    WebDriverWait(browser, 15).until(lambda b: b.execute_script("return !!(window.yasgui && window.yasgui.getTab()"
                                                                " && window.yasgui.getTab().getYasqe())"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "SPARQL editor"
    browser.execute_script("""
        var tab = window.yasgui.getTab();
        tab.setQuery('PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\\n'
                     + 'SELECT ?label WHERE { <%s> skos:prefLabel ?label }');
        tab.query();""" % ROLE)
    WebDriverWait(browser, 20).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ROWS)) > 0)
    assert "Drifttekniker" in browser.find_element(By.CSS_SELECTOR, ".yasr table").text
