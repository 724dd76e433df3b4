"""Invitations by email, with an RFC 5545 calendar file for scheduled interviews.

Nothing here talks to the SMTP server inside a request: :func:`queue_invitations` and
friends compose the messages and add them to the ``mail_outbox`` in the caller's
transaction; the outbox worker (:mod:`codepair.domain.integrations.outbox`) sends them after
commit with :func:`send_claimed`, retrying on ``CODEPAIR_MAIL_RETRY_SECONDS``; each message's
status and last error are listed at ``GET /api/rooms/{id}/mail``.

Calendar: one event per room, ``UID`` ``<room id>@<host>`` for its whole life; ``SEQUENCE``
goes up on every change (``room_calendar``), so calendars replace the event instead of
adding a second; a cancellation is ``METHOD:CANCEL`` with the same UID.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.config import Settings
from codepair.db.models.integrations import MailMessage, RoomCalendar
from codepair.db.models.interviews import Room
from codepair.domain.interviews import rooms as room_logic

log = structlog.get_logger("codepair.mail")

Kind = Literal["invitation", "update", "cancel"]
MAX_ERROR_CHARS = 300
MAX_MAIL_PER_ROOM_PER_HOUR = 30


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    user: str | None
    password: str | None


def smtp_target(url: str) -> SmtpTarget:
    """``smtp://[user:pass@]host[:port][?starttls=true]`` or ``smtps://...`` (TLS at once)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("CODEPAIR_SMTP_URL must be smtp://host:port or smtps://host:port")
    implicit = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_url.get_secret_value())


# -- composing -----------------------------------------------------------------------------


def _host(settings: Settings) -> str:
    return urlsplit(settings.public_url).hostname or "codepair"


def _when(room: Room, zone_name: str | None) -> str:
    assert room.scheduled_at is not None
    zone = ZoneInfo(zone_name) if zone_name else UTC
    local = room.scheduled_at.astimezone(zone)
    label = zone_name or "UTC"
    return f"{local:%A %d %B %Y, %H:%M} ({label}), for {room.duration_minutes} minutes"


def _title(room: Room) -> str:
    return room.title or f"Interview with {room.candidate_name}"


def _candidate_text(room: Room, invite_url: str, kind: Kind) -> str:
    lines = [f"Hello {room.candidate_name},", ""]
    if kind == "cancel":
        lines += [f"The interview \"{_title(room)}\" has been cancelled.", ""]
        return "\n".join(lines)
    if kind == "update":
        lines += ["Your interview has changed. The current details:", ""]
    else:
        lines += ["You are invited to a live technical interview on CodePair.", ""]
    if room.scheduled_at is not None:
        lines.append(f"When: {_when(room, room.candidate_timezone)}")
    lines += [
        f"Join here: {invite_url}",
        "",
        "What to expect:",
        "- You and the interviewers share a code editor in the browser; nothing to install.",
        "- The page asks for your camera and microphone for the video call: please allow",
        "  them (a recent Chrome, Firefox, Edge or Safari works best).",
        f"- You can run your code in {room.language} and see its output"
        + (" during the interview." if room.runs_enabled else " (runs may be turned off)."),
        "- Keep this link to yourself: it opens your interview.",
        "",
        "Good luck!",
    ]
    return "\n".join(lines)


def _interviewer_text(room: Room, room_url: str, kind: Kind) -> str:
    if kind == "cancel":
        return f"The interview \"{_title(room)}\" with {room.candidate_name} was cancelled."
    verb = "changed" if kind == "update" else "scheduled"
    lines = [f"The interview \"{_title(room)}\" with {room.candidate_name} is {verb}."]
    if room.scheduled_at is not None:
        lines.append(f"When: {_when(room, None)}")
    lines.append(f"Room: {room_url}")
    return "\n".join(lines)


def calendar(
    room: Room,
    settings: Settings,
    *,
    method: Literal["REQUEST", "CANCEL"],
    sequence: int,
    attendees: list[tuple[str, str]],
    url: str,
    description: str,
) -> str:
    """The room's event as an RFC 5545 iCalendar object (CRLF lines, folded)."""
    assert room.scheduled_at is not None
    cal = icalendar.Calendar()
    cal.add("prodid", "-//CodePair//Interviews//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = icalendar.Event()
    event.add("uid", f"{room.id}@{_host(settings)}")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", room.scheduled_at.astimezone(UTC))
    event.add("dtend", room.scheduled_at.astimezone(UTC) + timedelta(minutes=room.duration_minutes))
    event.add("sequence", sequence)
    event.add("summary", _title(room))
    event.add("description", description)
    event.add("location", url)
    event.add("url", url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    sender_name, sender_addr = parseaddr(settings.mail_from)
    organizer = icalendar.vCalAddress(f"mailto:{sender_addr}")
    organizer.params["cn"] = icalendar.vText(room.owner.name if room.owner else sender_name)
    event.add("organizer", organizer)
    for name, address in attendees:
        attendee = icalendar.vCalAddress(f"mailto:{address}")
        attendee.params["cn"] = icalendar.vText(name)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        attendee.params["rsvp"] = icalendar.vText("TRUE")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical.decode()


# -- queueing ------------------------------------------------------------------------------


async def _next_sequence(db: AsyncSession, room_id: str, *, bump: bool) -> int:
    row = await db.get(RoomCalendar, room_id)
    if row is None:
        row = RoomCalendar(room_id=room_id, sequence=0, cancelled=False)
        db.add(row)
    elif bump:
        row.sequence += 1
    await db.flush()
    return row.sequence


async def _sent_recently(db: AsyncSession, room_id: str) -> int:
    since = datetime.now(UTC) - timedelta(hours=1)
    count = await db.scalar(
        select(func.count())
        .select_from(MailMessage)
        .where(MailMessage.room_id == room_id, MailMessage.created_at >= since)
    )
    return int(count or 0)


def _invite_url(room: Room, settings: Settings) -> str | None:
    invite = room_logic.current_invite(room)
    return f"{settings.public_url}/join/{invite.token}" if invite is not None else None


def _recipients(room: Room) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
    candidate = (room.candidate_name, room.candidate_email) if room.candidate_email else None
    cos = [(ri.user.name, ri.user.email) for ri in room.interviewers if ri.user.is_active]
    return candidate, cos


async def queue_room_mail(
    db: AsyncSession,
    settings: Settings,
    room: Room,
    kind: Kind,
    *,
    only: list[tuple[str, str]] | None = None,
    keep_with_room: bool = True,
) -> int:
    """Queue ``kind`` mail about ``room`` for its candidate and co-interviewers (or ``only``
    these); a calendar file goes with it when the room is scheduled. Returns how many."""
    if not mail_configured(settings):
        return 0
    if await _sent_recently(db, room.id) >= MAX_MAIL_PER_ROOM_PER_HOUR:
        # Someone editing a room in a loop must not flood a candidate's inbox.
        log.warning("mail_capped", room=room.id, kind=kind)
        return 0
    invite_url = _invite_url(room, settings)
    room_url = f"{settings.public_url}/rooms/{room.id}"
    candidate, cos = _recipients(room)
    people: list[tuple[str, str, bool]] = []  # name, address, is the candidate
    if only is not None:
        people = [(n, a, a == room.candidate_email) for n, a in only]
    else:
        if candidate is not None:
            people.append((*candidate, True))
        people += [(n, a, False) for n, a in cos]
    if not people:
        return 0
    ics_method: Literal["REQUEST", "CANCEL"] = "CANCEL" if kind == "cancel" else "REQUEST"
    sequence = None
    if room.scheduled_at is not None:  # a new invitation joins the event as it stands
        sequence = await _next_sequence(db, room.id, bump=kind != "invitation")
    attendees = [(n, a) for n, a, _ in people]
    subject_prefix = {"invitation": "Invitation", "update": "Updated", "cancel": "Cancelled"}[kind]
    for _name, address, is_candidate in people:
        if is_candidate:
            if kind != "cancel" and invite_url is None:
                continue
            url = invite_url or room_url
            text = _candidate_text(room, url, kind)
        else:
            url = room_url
            text = _interviewer_text(room, room_url, kind)
        ics = None
        if sequence is not None:
            ics = calendar(
                room,
                settings,
                method=ics_method,
                sequence=sequence,
                attendees=attendees,
                url=url,
                description=text,
            )
        db.add(
            MailMessage(
                room_id=room.id if keep_with_room else None,
                kind=kind,
                to_addr=address,
                subject=f"{subject_prefix}: {_title(room)}",
                body=text,
                ics=ics,
                ics_method=ics_method if ics else None,
                next_attempt_at=datetime.now(UTC),
            )
        )
    await db.flush()
    from codepair.domain.integrations.webhooks import wake_after_commit

    wake_after_commit(db)
    return len(people)


async def room_messages(db: AsyncSession, room_id: str) -> list[MailMessage]:
    rows = await db.scalars(
        select(MailMessage)
        .where(MailMessage.room_id == room_id)
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
        .limit(100)
    )
    return list(rows.all())


# -- sending (the outbox worker) -----------------------------------------------------------


def _email(settings: Settings, m: MailMessage) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = m.to_addr
    msg["Subject"] = m.subject
    msg["Message-ID"] = make_msgid(domain=_host(settings))
    msg.set_content(m.body)
    if m.ics:
        # Both forms calendars look for: an alternative part (Outlook, Gmail's buttons) and
        # an invite.ics attachment (everyone else).
        msg.add_alternative(m.ics, subtype="calendar", params={"method": m.ics_method or ""})
        msg.add_attachment(
            m.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": m.ics_method or ""},
        )
    return msg


def _smtp_send(settings: Settings, message: EmailMessage) -> None:
    target = smtp_target(settings.smtp_url.get_secret_value())
    timeout = 20
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if target.implicit_tls:
        smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with smtp:
        smtp.ehlo()
        if target.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        if target.user:
            smtp.login(target.user, target.password or "")
        smtp.send_message(message)


async def send_claimed(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, message_id: int
) -> None:
    """Send one claimed outbox message and record how it went."""
    async with sessions() as db:
        m = await db.get(MailMessage, message_id)
        if m is None:
            return
        email = _email(settings, m)
    error = ""
    try:
        await asyncio.to_thread(_smtp_send, settings, email)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    now = datetime.now(UTC)
    delays = [float(s) for s in settings.mail_retry_seconds]
    async with sessions() as db:
        row = await db.get(MailMessage, message_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error
        if not error:
            row.status = "sent"
            row.sent_at = now
            row.next_attempt_at = None
        elif row.attempts > len(delays):
            row.status = "failed"
            row.next_attempt_at = None
        else:
            row.next_attempt_at = now + timedelta(seconds=delays[row.attempts - 1])
        await db.commit()
    log.info("mail_attempt", message=message_id, kind=m.kind, ok=not error, error=error or None)
