"""Schemathesis against the live API on PostgreSQL: every documented operation, with an admin key
and anonymously, must never answer 5xx and must answer only documented statuses, content types,
headers and bodies. Bounded (25 fuzzed examples per operation) to stay well under five minutes."""
from __future__ import annotations

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from booking_app.api.app import create_api_app
from tests.integration.conftest import ALL_WEEK, booking_body, future_day

# The document the server publishes at /api/v1/openapi.json (test_served_document checks they match);
# loading it from the app lets pytest list one test per operation before the server runs.
DOCUMENT = create_api_app().openapi()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
SETTINGS = hypothesis.settings(max_examples=25, deadline=None, derandomize=True, database=None,
                               suppress_health_check=list(hypothesis.HealthCheck))

pytestmark = [
    # Only PostgreSQL: the production database, with the exclusion constraint and row locks.
    pytest.mark.parametrize("database", ["postgres"], indirect=True),
    # Raised from inside schemathesis' own strategies, not ours.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

# Real values (path parameter -> value, plus the manage token), filled by the `seeded` fixture.
REAL: dict[str, str] = {}


def flatmap_path_parameters(context, path_parameters):
    """Half the cases aim at a real calendar/type/appointment, so fuzzing gets past the 404s."""
    real = {name: REAL[name] for name in path_parameters or {} if name in REAL}
    return st.sampled_from([path_parameters, {**path_parameters, **real}]) if real else st.just(path_parameters)


def flatmap_query(context, query):
    """Customer routes also get the real manage token half the time (else they stop at 403)."""
    if "token" not in {p.name for p in context.operation.query} or "token" not in REAL:
        return st.just(query)
    return st.sampled_from([query, {**(query or {}), "token": REAL["token"]}])


def load(phases: list[str]):
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    schema.config.phases.update(phases=phases)
    schema.hook(flatmap_path_parameters)
    schema.hook(flatmap_query)
    return schema


# The coverage phase (boundary and malformed values for every field) only pays off where requests
# get past authentication, so the anonymous pass fuzzes without it.
as_admin = load(["examples", "coverage", "fuzzing"])
anonymous = load(["examples", "fuzzing"])


@pytest.fixture(scope="module")
def seeded(api_server, admin_key) -> None:
    """A calendar with a type and one booking, whose ids and manage token the hooks above use."""
    with httpx.Client(base_url=api_server.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {admin_key}"}) as admin:
        calendar = admin.post("/api/v1/calendars", json={
            "name": "Fuzz", "timezone": "Europe/Berlin", "weekly_hours": ALL_WEEK}).json()
        admin.post(f"/api/v1/calendars/{calendar['id']}/appointment-types",
                   json={"slug": "consult", "name": "Consultation", "duration_minutes": 30}).raise_for_status()
        booked = admin.post("/api/v1/appointments", headers={"Authorization": ""},
                            json=booking_body(calendar, future_day(10).replace(hour=9)))
        booked.raise_for_status()
    REAL.update(calendar_id=calendar["id"], calendar_ref=calendar["slug"], slug="consult",
                appointment_id=booked.json()["id"], token=booked.json()["manage_token"])


def test_served_document(client):
    assert client.get("/api/v1/openapi.json").json() == DOCUMENT


@as_admin.parametrize()
@SETTINGS
def test_as_admin(case, api_server, seeded, admin_key):
    case.call_and_validate(base_url=api_server.base_url, headers={"Authorization": f"Bearer {admin_key}"},
                           checks=CHECKS)


@anonymous.parametrize()
@SETTINGS
def test_anonymous(case, api_server, seeded):
    case.call_and_validate(base_url=api_server.base_url, checks=CHECKS)
