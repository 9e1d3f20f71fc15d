"""Shared fixtures: a fresh store per test, built from the bundled files or tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.loading import open_graph
from graph_service.store import Store

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    """The folder of small test catalogues."""
    return DATA


@pytest.fixture
def pilot_store() -> Store:
    """A fresh in-memory store with the vocabularies and the bundled pilot catalogue."""
    return open_graph()


@pytest.fixture
def empty_store() -> Store:
    """A fresh, empty in-memory store."""
    return Store()
