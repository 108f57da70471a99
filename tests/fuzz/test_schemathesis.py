"""Schemathesis against the live API on PostgreSQL: every documented operation, anonymous and with
an admin key, must never answer 5xx and must answer only documented statuses, content types and
bodies. Bounded (max_examples per operation) so the module runs in well under five minutes."""
from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from booking_app.api.app import create_api_app

# The document the server publishes at /api/v1/openapi.json (test_served_document checks they match);
# loading it from the app lets pytest list one test per operation without a running server.
schema = schemathesis.openapi.from_dict(create_api_app().openapi())
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]

# Only PostgreSQL: the production database, with the exclusion constraint and real concurrency.
pytestmark = pytest.mark.parametrize("database", ["postgres"], indirect=True)


@pytest.fixture(params=["anonymous", "admin"])
def auth_headers(request, admin_key) -> dict:
    return {"Authorization": f"Bearer {admin_key}"} if request.param == "admin" else {}


def test_served_document(client):
    assert client.get("/api/v1/openapi.json").json() == schema.raw_schema


@schema.parametrize()
@hypothesis.settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_api(case, api_server, auth_headers):
    case.call_and_validate(base_url=api_server.base_url, headers=auth_headers, checks=CHECKS)
