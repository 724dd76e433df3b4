"""Webhooks: Standard Webhooks signatures, delivery after commit to a real receiver, retries
with backoff, the delivery list, the test event, and refused private targets."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest

from codepair.domain.errors import Unprocessable
from codepair.domain.integrations import webhooks
from tests.integrations.receiver import Received, receiver
from tests.support.api import Actor, client, create_room, create_user, join
from tests.support.server import Server

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signer_matches_the_spec_test_vector() -> None:
    assert webhooks.sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE


def test_new_secrets_have_the_spec_form() -> None:
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


def register(server: Server, lead: Actor, url: str, events: list[str] | None = None) -> Any:
    with client(server) as c:
        r = c.post(
            "/api/webhooks",
            headers=lead.headers,
            json={"url": url, "events": events or list(webhooks.EVENT_TYPES)},
        )
    assert r.status_code == 201, r.text
    return r.json()


def unregister(server: Server, lead: Actor, hook: dict[str, Any]) -> None:
    with client(server) as c:
        assert c.delete(f"/api/webhooks/{hook['id']}", headers=lead.headers).status_code == 204


def check_signed(hook: dict[str, Any], req: Received) -> dict[str, Any]:
    """What a receiver does: verify the signature over the exact body, then parse it."""
    assert webhooks.verify(hook["secret"], req.headers, req.body), req.headers
    assert req.headers["content-type"] == "application/json"
    body: dict[str, Any] = json.loads(req.body)
    assert set(body) == {"type", "timestamp", "data"}
    return body


def deliveries(server: Server, lead: Actor, hook: dict[str, Any]) -> list[dict[str, Any]]:
    with client(server) as c:
        r = c.get(f"/api/webhooks/{hook['id']}/deliveries", headers=lead.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def wait_status(
    server: Server, lead: Actor, hook: dict[str, Any], status: str, timeout: float = 15
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = deliveries(server, lead, hook)
        if items and all(d["status"] == status for d in items):
            return items
        time.sleep(0.1)
    raise AssertionError(f"deliveries not {status}: {deliveries(server, lead, hook)}")


def test_room_created_and_ended_reach_a_receiver_signed(
    hook_server: Server, hook_lead: Actor
) -> None:
    with receiver() as rec:
        hook = register(hook_server, hook_lead, rec.url)
        assert hook["secret"].startswith("whsec_")
        assert hook["events"] == sorted(webhooks.EVENT_TYPES)
        try:
            owner = create_user(hook_server, hook_lead)
            room = create_room(hook_server, owner, candidate_name="Ada Webhook")
            created = check_signed(hook, rec.wait_for(1)[0])
            assert created["type"] == "interview.created"
            assert created["data"]["room_id"] == room["id"]
            assert created["data"]["candidate_name"] == "Ada Webhook"
            assert created["data"]["url"].endswith(f"/rooms/{room['id']}")
            with client(hook_server) as c:
                r = c.post(f"/api/rooms/{room['id']}/end", headers=owner.headers)
                assert r.status_code == 200
            ended = check_signed(hook, rec.wait_for(2)[1])
            assert ended["type"] == "interview.ended"
            assert ended["data"]["room_id"] == room["id"]
            assert ended["data"]["ended_at"]
            listed = wait_status(hook_server, hook_lead, hook, "delivered")
            assert [d["event_type"] for d in listed] == ["interview.ended", "interview.created"]
            assert all(d["attempts"] == 1 and d["last_status_code"] == 200 for d in listed)
            # A receiver that verifies also rejects a body someone changed on the way.
            req = rec.requests[0]
            assert not webhooks.verify(hook["secret"], req.headers, req.body + " ")
        finally:
            unregister(hook_server, hook_lead, hook)


def test_only_subscribed_events_are_sent(hook_server: Server, hook_lead: Actor) -> None:
    with receiver() as rec:
        hook = register(hook_server, hook_lead, rec.url, ["interview.ended"])
        try:
            room = create_room(hook_server, hook_lead)
            with client(hook_server) as c:
                c.post(f"/api/rooms/{room['id']}/end", headers=hook_lead.headers)
            body = check_signed(hook, rec.wait_for(1)[0])
            assert body["type"] == "interview.ended"
            time.sleep(0.5)
            assert len(rec.requests) == 1
        finally:
            unregister(hook_server, hook_lead, hook)


def test_a_failing_receiver_gets_retries_with_backoff(
    hook_server: Server, hook_lead: Actor
) -> None:
    with receiver(fail_first=2) as rec:
        hook = register(hook_server, hook_lead, rec.url, ["interview.created"])
        try:
            create_room(hook_server, hook_lead)
            reqs = rec.wait_for(3)
            # The same message id on every attempt, each attempt signed afresh.
            assert len({r.headers["webhook-id"] for r in reqs}) == 1
            for r in reqs:
                check_signed(hook, r)
            # Backoff of 0.3 s then 0.6 s (the test server's schedule).
            assert reqs[1].at - reqs[0].at >= 0.25
            assert reqs[2].at - reqs[1].at >= 0.5
            [d] = wait_status(hook_server, hook_lead, hook, "delivered")
            assert d["attempts"] == 3
        finally:
            unregister(hook_server, hook_lead, hook)


def test_a_receiver_that_keeps_failing_ends_failed(hook_server: Server, hook_lead: Actor) -> None:
    with receiver(always_fail=True) as rec:
        hook = register(hook_server, hook_lead, rec.url, ["interview.created"])
        try:
            create_room(hook_server, hook_lead)
            [d] = wait_status(hook_server, hook_lead, hook, "failed")
            assert d["attempts"] == 3  # the first try and both retries
            assert d["last_status_code"] == 503
            assert d["last_error"] == "HTTP 503"
            assert d["next_attempt_at"] is None
            assert len(rec.requests) == 3
        finally:
            unregister(hook_server, hook_lead, hook)


def test_send_test_event(hook_server: Server, hook_lead: Actor) -> None:
    with receiver() as rec:
        hook = register(hook_server, hook_lead, rec.url, ["scorecard.submitted"])
        try:
            with client(hook_server) as c:
                r = c.post(f"/api/webhooks/{hook['id']}/test", headers=hook_lead.headers)
            assert r.status_code == 202, r.text
            assert r.json()["status"] == "pending"
            body = check_signed(hook, rec.wait_for(1)[0])
            assert body["type"] == "webhook.test"
            [d] = wait_status(hook_server, hook_lead, hook, "delivered")
            assert d["event_type"] == "webhook.test"
        finally:
            unregister(hook_server, hook_lead, hook)


def test_the_secret_is_shown_once(hook_server: Server, hook_lead: Actor) -> None:
    hook = register(hook_server, hook_lead, "http://127.0.0.1:9/never")
    try:
        with client(hook_server) as c:
            listed = c.get("/api/webhooks", headers=hook_lead.headers).json()["items"]
            one = c.get(f"/api/webhooks/{hook['id']}", headers=hook_lead.headers).json()
        assert [h for h in listed if h["id"] == hook["id"]]
        assert all("secret" not in h for h in listed)
        assert "secret" not in one
    finally:
        unregister(hook_server, hook_lead, hook)


def test_only_leads_manage_webhooks(hook_server: Server, hook_lead: Actor) -> None:
    hook = register(hook_server, hook_lead, "http://127.0.0.1:9/never")
    interviewer = create_user(hook_server, hook_lead)
    room = create_room(hook_server, interviewer)
    candidate = join(hook_server, room)
    body = {"url": "http://127.0.0.1:9/x", "events": ["interview.created"]}
    try:
        with client(hook_server) as c:
            for who in (interviewer, candidate):
                assert c.post("/api/webhooks", headers=who.headers, json=body).status_code == 403
                assert c.get("/api/webhooks", headers=who.headers).status_code == 403
                path = f"/api/webhooks/{hook['id']}"
                assert c.delete(path, headers=who.headers).status_code == 403
                assert c.post(f"{path}/test", headers=who.headers).status_code == 403
                assert c.get(f"{path}/deliveries", headers=who.headers).status_code == 403
            assert c.post("/api/webhooks", json=body).status_code == 401
            assert c.get("/api/webhooks").status_code == 401
            assert c.get("/api/webhooks/nope", headers=hook_lead.headers).status_code == 404
    finally:
        unregister(hook_server, hook_lead, hook)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/x", "events": ["interview.created"]},
        {"url": "http://user:pw@example.com/x", "events": ["interview.created"]},
        {"url": "http://example.com/x", "events": []},
        {"url": "http://example.com/x", "events": ["room.exploded"]},
        {"url": "http://example.com/" + "a" * 2000, "events": ["interview.created"]},
        {"url": "http://example.com/x", "events": ["interview.created"], "extra": 1},
    ],
)
def test_bad_webhooks_are_refused(hook_server: Server, hook_lead: Actor, body: Any) -> None:
    with client(hook_server) as c:
        r = c.post("/api/webhooks", headers=hook_lead.headers, json=body)
    assert r.status_code == 422, r.text


# -- private targets: refused on a server with the default settings --------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",  # a name: resolved, and every address checked
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "http://no-such-host.invalid/hook",
    ],
)
def test_private_targets_are_refused_by_default(
    server: Server, lead: Actor, url: str
) -> None:
    with client(server) as c:
        r = c.post(
            "/api/webhooks", headers=lead.headers, json={"url": url, "events": ["interview.ended"]}
        )
    assert r.status_code == 422, r.text
    assert "CODEPAIR_WEBHOOK_ALLOW_PRIVATE" in r.json()["detail"] or "resolve" in r.json()[
        "detail"
    ]


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every address a name resolves to is checked, not just the first."""
    answers = [("93.184.215.14", 80), ("10.0.0.7", 80)]

    async def fake_getaddrinfo(*_args: Any, **_kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", a) for a in answers]

    async def check() -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
        with pytest.raises(Unprocessable):
            await webhooks.check_target("http://mixed.example/hook", allow_private=False)
        answers.pop()
        await webhooks.check_target("http://mixed.example/hook", allow_private=False)

    asyncio.run(check())


def test_private_targets_are_allowed_when_the_operator_says_so() -> None:
    asyncio.run(webhooks.check_target("http://127.0.0.1:1/x", allow_private=True))


def test_a_submitted_scorecard_reaches_the_receiver(hook_server: Server, hook_lead: Actor) -> None:
    with receiver() as rec:
        hook = register(hook_server, hook_lead, rec.url, ["scorecard.submitted"])
        try:
            room = create_room(hook_server, hook_lead, candidate_name="Sam Scored")
            with client(hook_server) as c:
                base = f"/api/rooms/{room['id']}/scorecards/me"
                r = c.put(
                    base, headers=hook_lead.headers, json={"ratings": [], "recommendation": "yes"}
                )
                assert r.status_code == 200, r.text
                r = c.post(f"{base}/submit", headers=hook_lead.headers)
                assert r.status_code == 200, r.text
            body = check_signed(hook, rec.wait_for(1)[0])
            assert body["type"] == "scorecard.submitted"
            assert body["data"]["room_id"] == room["id"]
            assert body["data"]["recommendation"] == "yes"
        finally:
            unregister(hook_server, hook_lead, hook)


def test_test_events_are_rate_limited(hook_server: Server, hook_lead: Actor) -> None:
    hook = register(hook_server, hook_lead, "http://127.0.0.1:9/never", ["interview.ended"])
    try:
        with client(hook_server) as c:
            codes = [
                c.post(f"/api/webhooks/{hook['id']}/test", headers=hook_lead.headers).status_code
                for _ in range(11)
            ]
        assert codes[:10] == [202] * 10
        assert codes[10] == 429
    finally:
        unregister(hook_server, hook_lead, hook)
