"""The Prometheus exposition, and what the bus and the HTTP middleware record in it."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from codepair import metrics
from codepair.bus import MemoryBus


def sample(name: str, **labels: str) -> float:
    """The current value of one sample in the exposition (0 when absent)."""
    body, _ = metrics.exposition()
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_exposition_names_every_metric_the_services_use() -> None:
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    text = body.decode()
    for name in (
        "codepair_rooms_open",
        "codepair_sockets_open",
        "codepair_messages_in_total",
        "codepair_messages_out_total",
        "codepair_update_log_lag_seconds",
        "codepair_group_commit_seconds",
        "codepair_bus_lag_seconds",
        "codepair_bus_gaps_total",
        "codepair_errors_total",
        "codepair_http_requests_total",
        "codepair_runs_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


async def test_the_bus_records_its_lag_and_traffic() -> None:
    lag_before = sample("codepair_bus_lag_seconds_count")
    out_before = sample("codepair_bus_messages_total", direction="out")
    async with MemoryBus() as bus:
        sub = await bus.subscribe("m")
        await bus.publish("m", b"x")
        assert await anext(sub) == b"x"
    assert sample("codepair_bus_lag_seconds_count") == lag_before + 1
    assert sample("codepair_bus_messages_total", direction="out") == out_before + 1


async def test_http_requests_are_counted_by_route_template_not_by_path() -> None:
    async def room(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.path_params["room_id"])

    app = Starlette(routes=[Route("/api/rooms/{room_id}", room)])
    wrapped = metrics.HttpMetrics(app)
    before = sample(
        "codepair_http_requests_total", method="GET", route="/api/rooms/{room_id}", status="200"
    )
    missing_before = sample("codepair_http_requests_total", route="unmatched", status="404")
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/api/rooms/abc")).text == "abc"
        assert (await client.get("/api/rooms/def")).status_code == 200
        assert (await client.get("/nowhere")).status_code == 404
    after = sample(
        "codepair_http_requests_total", method="GET", route="/api/rooms/{room_id}", status="200"
    )
    assert after == before + 2
    assert sample("codepair_http_requests_total", route="unmatched", status="404") == (
        missing_before + 1
    )
