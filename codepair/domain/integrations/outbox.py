"""The outbox worker: sends committed webhook deliveries and emails, with retries.

Requests only add outbox rows (in their own transaction); this background task, one per core
process, picks up due rows, claims each with a compare-and-set on ``next_attempt_at`` (so two
processes never send one row at once), sends it outside any transaction, then records the
result: delivered/sent, or the next attempt after a backoff, or failed after the last one.
A commit that added rows wakes it at once; otherwise it looks every ``outbox_poll_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.config import Settings
from codepair.db.models.integrations import MailMessage, WebhookDelivery, WebhookEndpoint
from codepair.domain.integrations import mail, webhooks

log = structlog.get_logger("codepair.outbox")

BATCH = 20
CONCURRENCY = 8
# A claimed row is retried by someone else if its sender died before recording the result.
LEASE = timedelta(minutes=2)
SWEEP_EVERY = 3600.0  # seconds
MAIL_KEPT_WITHOUT_ROOM = timedelta(days=7)

Table = type[WebhookDelivery] | type[MailMessage]


class OutboxWorker:
    """One background task per core process; :meth:`wake` makes it look now."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._swept = float("-inf")
        self._client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        webhooks.add_waker(self.wake)
        self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        webhooks.remove_waker(self.wake)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception as exc:  # a database hiccup must not end the worker
                log.error("outbox_pass_failed", error=type(exc).__name__, exc_info=exc)
                busy = False
            if busy:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds())

    def _poll_seconds(self) -> float:
        # Retries sooner than the poll (as in tests) are still on time.
        delays = [
            float(s)
            for s in (*self.settings.webhook_retry_seconds, *self.settings.mail_retry_seconds)
        ]
        return max(0.05, min([self.settings.outbox_poll_seconds, *delays]))

    async def run_once(self) -> bool:
        """One pass over both outboxes; True when a full batch was found (look again)."""
        if time.monotonic() - self._swept >= SWEEP_EVERY:
            await self._sweep()
        hooks = await self._claim(WebhookDelivery)
        mails = await self._claim(MailMessage)
        jobs: list[Awaitable[None]] = [self._deliver(i) for i in hooks]
        jobs += [self._send_mail(i) for i in mails]
        await asyncio.gather(*jobs)
        return len(hooks) >= BATCH or len(mails) >= BATCH

    async def _sweep(self) -> None:
        """Forget finished mail that outlived its room (a deleted room's cancellation): it
        names the candidate, and nothing else would ever delete it."""
        self._swept = time.monotonic()
        cutoff = datetime.now(UTC) - MAIL_KEPT_WITHOUT_ROOM
        async with self.sessions() as db:
            await db.execute(
                delete(MailMessage).where(
                    MailMessage.room_id.is_(None),
                    MailMessage.status != "pending",
                    MailMessage.created_at < cutoff,
                )
            )
            await db.commit()

    async def _claim(self, table: Table) -> list[Any]:
        now = datetime.now(UTC)
        async with self.sessions() as db:
            due = (
                await db.execute(
                    select(table.id, table.next_attempt_at)
                    .where(table.status == "pending", table.next_attempt_at <= now)
                    .order_by(table.next_attempt_at)
                    .limit(BATCH)
                )
            ).all()
            claimed = []
            for row in due:
                result = await db.execute(
                    update(table)
                    .where(table.id == row.id, table.next_attempt_at == row.next_attempt_at)
                    .values(next_attempt_at=now + LEASE)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(row.id)
            await db.commit()
        return claimed

    async def _deliver(self, delivery_id: str) -> None:
        async with self._limit:
            async with self.sessions() as db:
                d = await db.get(WebhookDelivery, delivery_id)
                endpoint = await db.get(WebhookEndpoint, d.endpoint_id) if d else None
                if d is None or endpoint is None:
                    return
                db.expunge_all()
            ok, code, error = await webhooks.attempt(self._client, self.settings, endpoint, d)
            now = datetime.now(UTC)
            async with self.sessions() as db:
                row = await db.get(WebhookDelivery, delivery_id)
                if row is None:  # deleted with its room or endpoint meanwhile
                    return
                row.attempts += 1
                row.last_attempt_at = now
                row.last_status_code = code
                row.last_error = error
                if ok:
                    row.status = "delivered"
                    row.delivered_at = now
                    row.next_attempt_at = None
                else:
                    webhooks.schedule_after_failure(row, webhooks.retry_delays(self.settings), now)
                await db.commit()
            log.info(
                "webhook_attempt",
                delivery=delivery_id,
                endpoint=endpoint.id,
                type=d.event_type,
                ok=ok,
                status_code=code,
                error=error or None,
            )

    async def _send_mail(self, message_id: int) -> None:
        async with self._limit:
            await mail.send_claimed(self.sessions, self.settings, message_id)
