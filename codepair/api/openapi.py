"""The published OpenAPI schema says what the server answers (docs/api.md).

Each operation lists the error statuses it can give, with the one error shape of
``codepair.api.errors``: routes declare their own (``responses=errors(409)``), and the ones
every route of a kind has are added here: 401 and 403 behind a token, 404 with a path
parameter, 400 and 413 with a body, 422 with any input. ``python -m codepair.commands.openapi``
writes the schema for the web client's types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from codepair.api.deps import get_principal
from codepair.api.errors import DESCRIPTIONS, ErrorOut, ValidationErrorOut, ValidationIssue
from codepair.api.principal_reads import get_principal_reads, get_user_reads

REF = "#/components/schemas/{model}"
# Dependencies that read the bearer token: a route behind one answers 401 without a valid
# token, and 403 when its holder may not do this (a candidate, a lead-only route, a room that
# is not theirs, an API token without the scope).
AUTHENTICATED: tuple[Callable[..., Any], ...] = (
    get_principal,
    get_principal_reads,
    get_user_reads,
)


def install_openapi(app: FastAPI) -> None:
    """Build the app's schema with its error responses described (once, on first use)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes, description=app.description
            )
            describe_errors(schema, list(_api_routes(app)))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """The routes in the schema, through included routers (FastAPI 0.16x wraps them in
    contexts that answer for the route's attributes)."""
    contexts = getattr(routing, "iter_route_contexts", None)
    routes: Iterable[Any] = contexts(app.routes) if contexts else app.routes
    for route in routes:
        if getattr(route, "include_in_schema", False) and hasattr(route, "dependant"):
            yield route


def describe_errors(schema: dict[str, Any], routes: list[APIRoute]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # FastAPI's own validation models promise fields (input, ctx) that are never sent.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    models: list[type[BaseModel]] = [ErrorOut, ValidationIssue, ValidationErrorOut]
    _, defs = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
    components.update(defs["$defs"])
    schemes = schema["components"].setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer"}
    for route in routes:
        statuses = _inferred_statuses(route)
        for method in sorted(route.methods or ()):
            operation = schema["paths"][route.path_format][method.lower()]
            responses: dict[str, Any] = operation["responses"]
            if "422" in responses:
                responses["422"] = _error_response(422)
            for status in statuses:
                responses.setdefault(str(status), _error_response(status))
            if route.dependant and _authenticated(route.dependant):
                operation["security"] = [{"bearer": []}]
            operation["responses"] = dict(sorted(responses.items()))


def _inferred_statuses(route: APIRoute) -> list[int]:
    dependant = route.dependant
    statuses = []
    if _authenticated(dependant):
        statuses += [401, 403]
    if dependant.path_params:
        statuses.append(404)
    if route.body_field is not None:
        statuses += [400, 413]  # 400: a body that is not UTF-8 JSON at all
    if dependant.path_params or dependant.query_params or route.body_field is not None:
        statuses.append(422)
    return statuses


def _authenticated(dependant: Dependant) -> bool:
    return any(dep.call in AUTHENTICATED for dep in _all_dependencies(dependant))


def _all_dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dep in dependant.dependencies:
        yield dep
        yield from _all_dependencies(dep)


def _error_response(status: int) -> dict[str, Any]:
    model = ValidationErrorOut if status == 422 else ErrorOut
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}},
    }
