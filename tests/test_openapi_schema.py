"""The published schema describes every error with the one error shape and every non-JSON
answer with its media type (docs/api.md); the fuzz suite checks the live answers against it."""

from __future__ import annotations

from typing import Any

import pytest

from codepair.commands.openapi import schema

ERROR_REFS = {"#/components/schemas/ErrorOut", "#/components/schemas/ValidationErrorOut"}


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    return schema()


def _operations(published: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in published["paths"].items() for m, op in ops.items()]


def test_errors_have_one_shape(published: dict[str, Any]) -> None:
    components = published["components"]["schemas"]
    assert "HTTPValidationError" not in components  # it promised fields never sent
    assert components["ErrorOut"]["required"] == ["detail"]
    for method, path, op in _operations(published):
        for status, response in op["responses"].items():
            if status[0] in "45" and path != "/readyz":  # its 503 is its usual body
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref in ERROR_REFS, (method, path, status)
                assert ref.endswith("ValidationErrorOut") == (status == "422"), (method, path)


def test_each_kind_of_route_lists_its_errors(published: dict[str, Any]) -> None:
    for method, path, op in _operations(published):
        statuses = set(op["responses"])
        if "security" in op:
            assert {"401", "403"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        if "requestBody" in op:
            assert {"400", "413", "422"} <= statuses, (method, path)
    users = published["paths"]["/api/users/{user_id}"]
    assert users["get"]["security"] == [{"bearer": []}]
    assert "409" in users["delete"]["responses"]
    assert "429" in published["paths"]["/api/auth/login"]["post"]["responses"]


def test_non_json_answers_say_their_media_type(published: dict[str, Any]) -> None:
    report = published["paths"]["/api/rooms/{room_id}/report"]["get"]["responses"]["200"]
    assert set(report["content"]) == {"application/json", "text/markdown", "application/pdf"}
    metrics = published["paths"]["/metrics"]["get"]["responses"]["200"]
    assert set(metrics["content"]) == {"text/plain"}


def test_integer_inputs_are_bounded(published: dict[str, Any]) -> None:
    for method, path, op in _operations(published):
        for parameter in op.get("parameters", []):
            if parameter["schema"].get("type") == "integer":
                assert "maximum" in parameter["schema"], (method, path, parameter["name"])
    user_id = published["components"]["schemas"]["InterviewerAdd"]["properties"]["user_id"]
    assert (user_id["minimum"], user_id["maximum"]) == (1, 2**31 - 1)
