"""Schemathesis over every operation of the real server's published OpenAPI schema.

Each generated request goes out as a candidate, an interviewer and a lead, with a bounded
number of derandomized examples per operation (valid and invalid input alike). A case fails
on any 5xx and on any response the schema does not describe: an undocumented status code,
another content type, or a body of another shape.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ServerFactory
from tests.support.api import Actor, bootstrap_lead, client, create_room, create_user, join
from tests.support.server import ROOT, Server


def no_crash(ctx: Any, response: Any, case: Any) -> bool | None:
    """``not_a_server_error``, but a 503 that the operation documents (a feature this server
    has not configured, e.g. the AI summary without a model) is an answer, not a crash."""
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code == 503 and "503" in documented:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_crash,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ("candidate", "interviewer", "lead")  # the least powerful first: a lead may DELETE
EXAMPLES = 30  # per operation, each sent as the three roles: about 2 minutes a database

FUZZ_LIMITS = {
    "CODEPAIR_RUNS_PER_MINUTE_PER_PERSON": "100000",
    "CODEPAIR_RUNS_PER_MINUTE_PER_ROOM": "100000",
}

# The committed schema names the operations at collection time (make lint keeps it equal to
# the app's); the test fuzzes the one the running server publishes.
COMMITTED = json.loads((ROOT / "web/src/api/openapi.json").read_text())
OPERATIONS = [(method.upper(), path) for path, ops in COMMITTED["paths"].items() for method in ops]
# Bodies schemathesis cannot build (a zip upload): their bad input has a suite of its own
# (tests/projects/test_zip_import.py: bombs, links, `..`, binary, caps).
FUZZED = [
    (method, path)
    for method, path in OPERATIONS
    if "application/zip"
    not in COMMITTED["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
]


@pytest.fixture(scope="module")
def fuzz_server(server_factory: ServerFactory) -> Server:
    """A server of its own: the fuzzer changes settings and users as a lead may."""
    return server_factory(FUZZ_LIMITS)


@pytest.fixture(scope="module")
def world(fuzz_server: Server) -> tuple[dict[str, Actor], dict[str, Any], dict[str, Any]]:
    """The three actors, and the ids of real things for path parameters: one set to read and
    change, one to delete or end (so that the others keep their room and accounts)."""
    lead = bootstrap_lead(fuzz_server)
    interviewer = create_user(fuzz_server, lead)
    room = create_room(fuzz_server, lead)
    scratch_room = create_room(fuzz_server, lead)
    scratch_user = create_user(fuzz_server, lead)
    actors = {"lead": lead, "interviewer": interviewer, "candidate": join(fuzz_server, room)}
    with client(fuzz_server) as c:
        r = c.post("/api/questions", headers=lead.headers, json={"title": "Fuzz question"})
        assert r.status_code == 201, r.text
        question_id = r.json()["id"]
        r = c.post(
            f"/api/rooms/{room['id']}/questions",
            headers=lead.headers,
            json={"question_id": question_id},
        )
        assert r.status_code == 201, r.text
        rq_id = r.json()["id"]
        r = c.post(
            "/api/me/tokens",
            headers=lead.headers,
            json={"name": "fuzz", "scopes": ["rooms:read"]},
        )
        assert r.status_code == 201, r.text
        token_id = r.json()["id"]
    keep = {
        "room_id": room["id"],
        "user_id": interviewer.user_id,
        "question_id": question_id,
        "rq_id": rq_id,
        "token_id": token_id,
        "invite_token": room["invite_token"],
        "doc": "code",
    }
    spend = {**keep, "room_id": scratch_room["id"], "user_id": scratch_user.user_id}
    return actors, keep, spend


@pytest.fixture(scope="module")
def api_schema(fuzz_server: Server) -> Any:
    return schemathesis.openapi.from_url(f"{fuzz_server.url}/api/openapi.json")


def test_the_server_publishes_the_committed_operations(api_schema: Any) -> None:
    live = {(method.upper(), path) for path, ops in api_schema.raw_schema["paths"].items()
            for method in ops}
    assert live == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), FUZZED, ids=[f"{m} {p}" for m, p in FUZZED])
def test_every_operation_answers_as_documented(
    api_schema: Any,
    world: tuple[dict[str, Actor], dict[str, Any], dict[str, Any]],
    method: str,
    path: str,
) -> None:
    actors, keep, spend = world
    operation = api_schema[path][method]
    # Changes that take a thing away (deleting, ending, editing a user) get the spare ones.
    spends = method == "DELETE" or path.endswith("/end") or path.startswith("/api/users/")
    known = spend if spends else keep
    real = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        *([operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real)] if real else []),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        for role in ROLES:
            case.call_and_validate(headers=actors[role].headers, checks=CHECKS)

    fuzz()
