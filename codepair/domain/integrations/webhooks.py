"""Webhooks: endpoints leads register, events emitted in a transaction, signed deliveries.

Following the Standard Webhooks spec: every delivery is a POST with ``webhook-id`` (the same
on every attempt of one message), ``webhook-timestamp`` and ``webhook-signature`` (``v1,`` +
base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the secret's decoded bytes).

Creating an event is separate from delivering it (as Zulip's ``send_event_on_commit``):
:func:`emit` adds one outbox row per subscribed endpoint in the caller's transaction, and the
outbox worker (:mod:`codepair.domain.integrations.outbox`) sends them once committed, retrying with
backoff. A rolled-back room creation therefore never announces itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from codepair.config import Settings
from codepair.db.models.integrations import WebhookDelivery, WebhookEndpoint
from codepair.db.models.interviews import Room
from codepair.domain.errors import Conflict, NotFound, Unprocessable
from codepair.security.tokens import new_id

EVENT_TYPES = (
    "interview.created", "interview.ended", "scorecard.submitted", "take_home.submitted",
)
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"
MAX_ERROR_CHARS = 300
MAX_RESPONSE_BYTES = 64 * 1024

# The outbox worker registers a callback here; a commit that added deliveries wakes it, so a
# delivery leaves at once instead of at the next poll.
_wakers: list[Callable[[], None]] = []


def add_waker(wake: Callable[[], None]) -> None:
    _wakers.append(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    if wake in _wakers:
        _wakers.remove(wake)


def wake_after_commit(db: AsyncSession) -> None:
    """Wake the outbox worker(s) of this process once ``db``'s transaction commits."""
    db.sync_session.info["outbox_wake"] = True


@event.listens_for(Session, "after_commit")
def _woken_by_commit(session: Session) -> None:
    if session.info.pop("outbox_wake", False):
        for wake in list(_wakers):
            wake()


@event.listens_for(Session, "after_rollback")
def _not_after_rollback(session: Session) -> None:
    session.info.pop("outbox_wake", None)


# -- signing -------------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict[str, str], body: str, tolerance: int = 300) -> bool:
    """A receiver's check (used by the tests and documented for integrators)."""
    msg_id, ts = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not ts.isdigit():
        return False
    if abs(int(datetime.now(UTC).timestamp()) - int(ts)) > tolerance:
        return False
    expected = sign(secret, msg_id, int(ts), body)
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, s) for s in offered)


# -- where a webhook may point -------------------------------------------------------------


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s), or whose host resolves to a loopback, private,
    link-local or otherwise non-public address (any one of its addresses), unless the
    operator allows private targets. Checked at registration and again before each send,
    since a name can be pointed elsewhere later."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("The webhook URL must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise Unprocessable("The webhook URL must not carry a user name or password")
    if allow_private:
        return
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Unprocessable("The webhook URL has an invalid port") from exc
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unprocessable(f"The webhook host {host!r} does not resolve") from exc
    addresses = {str(info[4][0]).split("%")[0] for info in infos}
    if not addresses or not all(_is_public(a) for a in addresses):
        raise Unprocessable(
            "The webhook URL points at a loopback or private address; "
            "the operator can allow that with CODEPAIR_WEBHOOK_ALLOW_PRIVATE=true"
        )


# -- endpoints -----------------------------------------------------------------------------


async def create_endpoint(
    db: AsyncSession,
    settings: Settings,
    *,
    url: str,
    events: list[str],
    description: str,
    created_by: int | None,
) -> WebhookEndpoint:
    count = await db.scalar(select(func.count()).select_from(WebhookEndpoint))
    if (count or 0) >= settings.webhook_max_endpoints:
        raise Conflict(f"At most {settings.webhook_max_endpoints} webhook endpoints")
    await check_target(url, allow_private=settings.webhook_allow_private)
    endpoint = WebhookEndpoint(
        id=new_id(),
        url=url,
        events=" ".join(sorted(set(events))),
        secret=new_secret(),
        description=description,
        created_by=created_by,
    )
    db.add(endpoint)
    await db.flush()
    return endpoint


async def get_endpoint(db: AsyncSession, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("Webhook not found")
    return endpoint


async def list_endpoints(db: AsyncSession) -> list[WebhookEndpoint]:
    rows = await db.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at))
    return list(rows.all())


async def list_deliveries(
    db: AsyncSession, endpoint_id: str, *, limit: int, offset: int
) -> tuple[list[WebhookDelivery], int]:
    where = WebhookDelivery.endpoint_id == endpoint_id
    total = await db.scalar(select(func.count()).select_from(WebhookDelivery).where(where))
    rows = await db.scalars(
        select(WebhookDelivery)
        .where(where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


# -- events --------------------------------------------------------------------------------


def _body(type: str, data: dict[str, Any], at: datetime) -> str:
    return json.dumps(
        {"type": type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
        default=str,
    )


def _delivery(
    endpoint: WebhookEndpoint, type: str, body: str, room_id: str | None
) -> WebhookDelivery:
    return WebhookDelivery(
        id=f"msg_{secrets.token_urlsafe(18)}",
        endpoint_id=endpoint.id,
        room_id=room_id,
        event_type=type,
        body=body,
        next_attempt_at=datetime.now(UTC),
    )


async def emit(db: AsyncSession, type: str, data: dict[str, Any]) -> None:
    """Queue ``type`` with ``data`` for every endpoint subscribed to it, in the caller's
    transaction; the outbox worker delivers after commit. ``data["room_id"]`` ties the
    deliveries to that room (deleted with it)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    endpoints = [e for e in await list_endpoints(db) if type in e.events.split()]
    if not endpoints:
        return
    room_id = data.get("room_id") if isinstance(data.get("room_id"), str) else None
    if room_id is not None and await db.get(Room, room_id) is None:
        room_id = None
    body = _body(type, data, datetime.now(UTC))
    for endpoint in endpoints:
        db.add(_delivery(endpoint, type, body, room_id))
    await db.flush()
    wake_after_commit(db)


async def send_test(db: AsyncSession, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event for one endpoint, whatever it subscribes to."""
    now = datetime.now(UTC)
    body = _body(TEST_EVENT, {"endpoint_id": endpoint.id, "message": "Test event"}, now)
    delivery = _delivery(endpoint, TEST_EVENT, body, None)
    db.add(delivery)
    await db.flush()
    wake_after_commit(db)
    return delivery


def room_event_data(room: Room, settings: Settings) -> dict[str, Any]:
    """What ``interview.*`` events say about a room (nothing a lead could not read)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value is not None else None

    return {
        "room_id": room.id,
        "title": room.title,
        "candidate_name": room.candidate_name,
        "language": room.language,
        "scheduled_at": iso(room.scheduled_at),
        "duration_minutes": room.duration_minutes,
        "created_at": iso(room.created_at),
        "ended_at": iso(room.ended_at),
        "owner_id": room.owner_id,
        "url": f"{settings.public_url}/rooms/{room.id}",
    }


# -- delivery (called by the outbox worker) ------------------------------------------------


def retry_delays(settings: Settings) -> list[float]:
    return [float(s) for s in settings.webhook_retry_seconds]


async def attempt(
    client: httpx.AsyncClient, settings: Settings, endpoint: WebhookEndpoint, d: WebhookDelivery
) -> tuple[bool, int | None, str]:
    """One POST of a delivery: (delivered, status code, error)."""
    try:
        await check_target(endpoint.url, allow_private=settings.webhook_allow_private)
    except Unprocessable as exc:
        return False, None, exc.detail
    timestamp = int(datetime.now(UTC).timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "CodePair-Webhooks/1",
        "webhook-id": d.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(endpoint.secret, d.id, timestamp, d.body),
    }
    try:
        # No redirects: a 3xx could point the signed request at an internal address.
        async with client.stream(
            "POST", endpoint.url, content=d.body.encode(), headers=headers
        ) as response:
            async for _chunk in response.aiter_bytes():  # read (and drop) a bounded answer
                if response.num_bytes_downloaded > MAX_RESPONSE_BYTES:
                    break
    except httpx.HTTPError as exc:
        return False, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    if 200 <= response.status_code < 300:
        return True, response.status_code, ""
    return False, response.status_code, f"HTTP {response.status_code}"


def schedule_after_failure(
    d: WebhookDelivery, delays: list[float], now: datetime
) -> None:
    """After attempt number ``d.attempts`` failed: the next try, or failed for good."""
    if d.attempts > len(delays):
        d.status = "failed"
        d.next_attempt_at = None
    else:
        d.next_attempt_at = now + timedelta(seconds=delays[d.attempts - 1])
