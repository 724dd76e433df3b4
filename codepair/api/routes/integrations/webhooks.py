"""Webhook endpoints (leads only): register, list, delete, test, and their deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from codepair.api.bounds import Offset
from codepair.api.deps import CurrentLead, DbSession, SettingsDep, client_ip
from codepair.api.errors import errors
from codepair.api.schemas.integrations import (
    DeliveryList,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
)
from codepair.db.models.integrations import WebhookEndpoint
from codepair.domain.integrations import webhooks
from codepair.domain.operations import audit
from codepair.domain.ratelimit import RateLimiter

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
# Test events per endpoint: enough to try a receiver, too few to flood one.
TEST_EVENTS = RateLimiter(10, 60)


def _out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        events=endpoint.events.split(),
        description=endpoint.description,
        created_at=endpoint.created_at,
    )


@router.post("", status_code=201, responses=errors(409))
async def create_webhook(
    body: WebhookCreate, principal: CurrentLead, db: DbSession, settings: SettingsDep,
    request: Request,
) -> WebhookCreated:
    endpoint = await webhooks.create_endpoint(
        db,
        settings,
        url=body.url,
        events=list(body.events),
        description=body.description,
        created_by=principal.user_id,
    )
    await audit.record(
        db,
        "webhook.created",
        actor=principal,
        ip=client_ip(request),
        target=endpoint.id,
        detail={"url": endpoint.url, "events": endpoint.events.split()},
    )
    return WebhookCreated(**_out(endpoint).model_dump(), secret=endpoint.secret)


@router.get("")
async def list_webhooks(principal: CurrentLead, db: DbSession) -> WebhookList:
    return WebhookList(items=[_out(e) for e in await webhooks.list_endpoints(db)])


@router.get("/{webhook_id}")
async def read_webhook(webhook_id: str, principal: CurrentLead, db: DbSession) -> WebhookOut:
    return _out(await webhooks.get_endpoint(db, webhook_id))


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, principal: CurrentLead, db: DbSession) -> Response:
    await db.delete(await webhooks.get_endpoint(db, webhook_id))
    return Response(status_code=204)


@router.post("/{webhook_id}/test", status_code=202, responses=errors(429))
async def send_test_event(webhook_id: str, principal: CurrentLead, db: DbSession) -> DeliveryOut:
    """Queue a ``webhook.test`` event for this endpoint; its delivery shows in the list."""
    TEST_EVENTS.hit(webhook_id)
    delivery = await webhooks.send_test(db, await webhooks.get_endpoint(db, webhook_id))
    await db.refresh(delivery)
    return DeliveryOut.model_validate(delivery)


@router.get("/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: str,
    principal: CurrentLead,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> DeliveryList:
    await webhooks.get_endpoint(db, webhook_id)
    items, total = await webhooks.list_deliveries(db, webhook_id, limit=limit, offset=offset)
    return DeliveryList(items=[DeliveryOut.model_validate(d) for d in items], total=total)
