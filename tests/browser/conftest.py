"""Headless Chromium (Debian's chromium and chromium-driver) against a real uvicorn server per catalogue.

No browser is downloaded: the driver path is given, so Selenium Manager never runs.
Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import pytest
from fastapi import FastAPI

import servers
from graph_service.api import create_app
from graph_service.loading import open_graph
from graph_service.settings import Settings
from graph_service.store import Store

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
UNCOVERED = """@prefix mm: <https://w3id.org/mikromerit/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/core/> .
ex:welder mm:requiresCompetence ex:inspection .
ex:inspection a mm:Competence ; skos:prefLabel "Svetsinspektion"@sv, "Weld inspection"@en .
"""


def pages_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The service app (create_app registers the page routes)."""
    return create_app(settings or Settings(), store)


@pytest.fixture(scope="module")
def pilot_server() -> Iterator[str]:
    """A real server on the pilot graph with the pages."""
    yield from servers.serve_app(pages_app(open_graph()))


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on tests/data/core-only.ttl plus one competence no credential teaches."""
    extra = tmp_path_factory.mktemp("catalogue") / "uncovered.ttl"
    extra.write_text(UNCOVERED, encoding="utf-8")
    core = Path(__file__).resolve().parents[1] / "data" / "core-only.ttl"
    yield from servers.serve_app(pages_app(open_graph([core, extra])))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator["WebDriver"]:
    """Headless Chromium, 1280 px wide, driven through Debian's chromedriver.

    Its temporary files go to a pytest folder: with the system's, each session left two
    /tmp/org.chromium.Chromium.* folders (its singleton socket) behind.
    """
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service as DriverService

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (make system-deps installs them)")
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--lang=sv-SE", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "sv-SE,sv,en"})
    scratch = str(tmp_path_factory.mktemp("chromium"))
    service = DriverService(str(CHROMEDRIVER), env={**os.environ, "TMPDIR": scratch})
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser: "WebDriver") -> Callable[[str], Path]:
    """Save the whole current page as test-output/screenshots/NAME.png."""
    def save(name: str, width: int = 1280) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.set_window_size(width, 900)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, min(max(height, 600), 8000))
        path = SCREENSHOTS / f"{name}.png"
        browser.save_screenshot(str(path))
        browser.set_window_size(1280, 900)
        return path

    return save

