"""Every route fuzzed from the app's own OpenAPI schema (schemathesis): no 5xx, and every answer as declared.

Each operation gets a fresh app over the pilot graph in a throwaway in-memory store, with a write
token that every request carries, so the token-protected writes (SPARQL Update, Graph Store,
catalogue import) really run without touching any other test's data. Checked: no server error,
status codes, content types, headers and bodies as the schema declares them, 405s with the
right Allow header, and schema-invalid input rejected. Not checked: that schema-valid input is
accepted, since an IRI the graph does not hold is rightly a 4xx the schema cannot express.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from graph_service.api import create_app
from graph_service.importers import XLSX_MEDIA
from graph_service.loading import open_graph
from graph_service.settings import Settings
from graph_service.store import Store
from soak import size

TOKEN = "fuzz-token-0123456789"
EXAMPLES = size(quick=30, soak=500)
@schemathesis.serializer("application/sparql-query", "application/sparql-update", "application/n-triples",
                         "application/x-turtle", XLSX_MEDIA)
def as_bytes(_: schemathesis.SerializationContext, value: object) -> bytes:
    """SPARQL and RDF text and XLSX bytes go on the wire as they are (negative cases may make other JSON values)."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


schema = schemathesis.openapi.from_dict(create_app(Settings(sparql_token=TOKEN), Store()).openapi())


@pytest.fixture
def app() -> Iterator[FastAPI]:
    """A fresh app with a write token over a fresh in-memory pilot graph; its query workers stopped afterwards."""
    fresh = create_app(Settings(sparql_token=TOKEN), open_graph())
    yield fresh
    if fresh.state.query_pool is not None:
        fresh.state.query_pool.close()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_route_answers_as_declared(case: schemathesis.Case, app: FastAPI) -> None:
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {TOKEN}"},
                           excluded_checks=[positive_data_acceptance])
