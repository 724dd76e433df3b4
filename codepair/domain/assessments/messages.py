"""What a take-home tells people: the candidate's invitation, the owner's result mail, and
the ``take_home.submitted`` webhook's data.

Mail goes through the integrations' outbox (rows added in the caller's transaction, sent by
the worker after commit), as every invitation does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from codepair.config import Settings
from codepair.db.models.assessments import TakeHome
from codepair.db.models.integrations import MailMessage
from codepair.db.models.interviews import Room
from codepair.domain.integrations import mail
from codepair.domain.integrations.webhooks import wake_after_commit
from codepair.domain.interviews import rooms


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def local_time(at: datetime, zone_name: str | None) -> str:
    """``at`` in the candidate's zone (UTC without one), as a person reads it."""
    zone = ZoneInfo(zone_name) if zone_name else UTC
    return f"{at.astimezone(zone):%A %d %B %Y, %H:%M} ({zone_name or 'UTC'})"


def _title(room: Room) -> str:
    return room.title or f"Take-home for {room.candidate_name}"


def invitation_text(room: Room, th: TakeHome, url: str, question_count: int) -> str:
    hours, minutes = divmod(th.time_limit_minutes, 60)
    limit = " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes
                                 else "") if p)
    return "\n".join([
        f"Hello {room.candidate_name},",
        "",
        f"You are invited to a take-home assessment on CodePair: \"{_title(room)}\".",
        "",
        f"- {question_count} question{'s' if question_count != 1 else ''}, "
        f"{limit} from the moment you start the clock.",
        f"- Start it by {local_time(th.closes_at, room.candidate_timezone)}.",
        "- The questions are shown only once you start; the clock then keeps running even "
        "if you close the page (your work is saved as you type).",
        "- Your code, its runs, pastes and when the page loses focus are recorded for the "
        "reviewers. There is no video.",
        "",
        f"Open it here: {url}",
        "",
        "Keep this link to yourself: it opens your assessment. Good luck!",
    ])


async def queue_invitation(
    db: AsyncSession, settings: Settings, room: Room, th: TakeHome, question_count: int
) -> bool:
    """The candidate's invitation, when mail is configured and the room has an address."""
    if not mail.mail_configured(settings) or not room.candidate_email:
        return False
    invite = rooms.current_invite(room)
    if invite is None:
        return False
    url = f"{settings.public_url}/join/{invite.token}"
    db.add(MailMessage(
        room_id=room.id, kind="invitation", to_addr=room.candidate_email,
        subject=f"Take-home assessment: {_title(room)}",
        body=invitation_text(room, th, url, question_count),
        next_attempt_at=datetime.now(UTC),
    ))
    await db.flush()
    wake_after_commit(db)
    return True


def report_url(room: Room, settings: Settings) -> str:
    return f"{settings.public_url}/rooms/{room.id}/scorecard"


def submitted_data(room: Room, th: TakeHome, settings: Settings) -> dict[str, Any]:
    """``take_home.submitted``: who, how it ended, the score and where to review it."""
    return {
        "room_id": room.id,
        "title": room.title,
        "candidate_name": room.candidate_name,
        "owner_id": room.owner_id,
        "outcome": th.outcome,
        "started_at": _iso(th.started_at),
        "deadline": _iso(th.deadline_at),
        "finished_at": _iso(th.finished_at),
        "passed": th.passed,
        "total": th.total,
        "score": round((th.passed or 0) / th.total, 4) if th.total else None,
        "questions": [
            {k: r.get(k) for k in ("title", "passed", "total", "status")} for r in th.results
        ],
        "url": f"{settings.public_url}/rooms/{room.id}",
        "report_url": report_url(room, settings),
    }


async def queue_result(db: AsyncSession, settings: Settings, room: Room, th: TakeHome) -> bool:
    """The owner's mail: the outcome, the score, the report link."""
    if not mail.mail_configured(settings) or room.owner is None:
        return False
    how = "submitted" if th.outcome == "submitted" else "ran out of time"
    lines = [
        f"{room.candidate_name} {how} the take-home \"{_title(room)}\".",
        "",
        f"Score: {th.passed} of {th.total} tests passed (visible and hidden).",
    ]
    lines += [f"- {r['title']}: {r['passed']} of {r['total']}" for r in th.results]
    lines += ["", f"Report: {report_url(room, settings)}",
              f"Replay: {settings.public_url}/rooms/{room.id}/replay"]
    db.add(MailMessage(
        room_id=room.id, kind="take_home", to_addr=room.owner.email,
        subject=f"Take-home {how}: {room.candidate_name} scored {th.passed}/{th.total}",
        body="\n".join(lines), next_attempt_at=datetime.now(UTC),
    ))
    await db.flush()
    wake_after_commit(db)
    return True
