"""The outbox worker's own housekeeping, in process against a migrated SQLite database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory
from codepair.db.migrate import upgrade
from codepair.db.models.integrations import MailMessage
from codepair.domain.integrations.outbox import OutboxWorker


def test_finished_mail_without_a_room_is_forgotten_after_a_week(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings)

    async def go() -> list[str]:
        engine = create_engine(settings)
        sessions = session_factory(engine)
        old = datetime.now(UTC) - timedelta(days=8)
        async with sessions() as db:
            for subject, status, created in (
                ("old sent", "sent", old),
                ("old failed", "failed", old),
                ("old pending", "pending", old),
                ("new sent", "sent", datetime.now(UTC)),
            ):
                db.add(
                    MailMessage(
                        kind="cancel",
                        to_addr="c@example.org",
                        subject=subject,
                        body="b",
                        status=status,
                        created_at=created,
                        next_attempt_at=None,
                    )
                )
            await db.commit()
        worker = OutboxWorker(settings, sessions)
        await worker._sweep()
        async with sessions() as db:
            left = list(await db.scalars(select(MailMessage.subject).order_by(MailMessage.id)))
        await worker.stop()
        await engine.dispose()
        return left

    assert asyncio.run(go()) == ["old pending", "new sent"]
