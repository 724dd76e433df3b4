"""Invitations by email with an RFC 5545 calendar file, sent by a real SMTP server's
rules (aiosmtpd in the test) and read back with a real calendar library (icalendar)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest

from tests.conftest import ServerFactory
from tests.integrations.smtp import Inbox, smtp_server
from tests.support.api import Actor, bootstrap_lead, client, create_room, create_user, join
from tests.support.server import Server, free_port

FAST = {
    "CODEPAIR_MAIL_RETRY_SECONDS": "0.3,0.6",
    "CODEPAIR_OUTBOX_POLL_SECONDS": "0.2",
    "CODEPAIR_MAIL_FROM": "CodePair <interviews@example.com>",
}


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server(free_port()) as box:
        yield box


@pytest.fixture(scope="module")
def mail_server(server_factory: ServerFactory, inbox: Inbox) -> Server:
    return server_factory({**FAST, "CODEPAIR_SMTP_URL": f"smtp://127.0.0.1:{inbox.port}"})


@pytest.fixture(scope="module")
def mail_lead(mail_server: Server) -> Actor:
    return bootstrap_lead(mail_server)


def addr() -> str:
    import secrets

    return f"cand-{secrets.token_hex(4)}@example.org"


def ics_of(msg: EmailMessage) -> icalendar.Calendar:
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert parts, "no text/calendar part"
    attachment = [p for p in parts if p.get_filename() == "invite.ics"]
    assert attachment, "no invite.ics attachment"
    raw = attachment[0].get_content()
    text = raw.decode() if isinstance(raw, bytes) else raw
    assert "\r\n" in text  # RFC 5545 lines end in CRLF
    return icalendar.Calendar.from_ical(text)


def event_of(cal: icalendar.Calendar) -> Any:
    [event] = cal.walk("VEVENT")
    return event


def body_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    text: str = part.get_content()
    return text


def wait_mail(server: Server, who: Actor, room_id: str, status: str, n: int) -> list[Any]:
    deadline = time.monotonic() + 15
    items: list[Any] = []
    while time.monotonic() < deadline:
        with client(server) as c:
            r = c.get(f"/api/rooms/{room_id}/mail", headers=who.headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        if len(items) >= n and all(i["status"] == status for i in items):
            return items
        time.sleep(0.1)
    raise AssertionError(f"mail not {status}: {items}")


def test_a_scheduled_invitation_arrives_with_a_valid_calendar_file(
    mail_server: Server, mail_lead: Actor, inbox: Inbox
) -> None:
    owner = create_user(mail_server, mail_lead, name="Olga Owner")
    to = addr()
    start = (datetime.now(UTC) + timedelta(days=3)).replace(
        hour=14, minute=30, second=0, microsecond=0
    )
    room = create_room(
        mail_server,
        owner,
        candidate_name="Cleo Candidate",
        title="Backend pairing",
        candidate_email=to,
        candidate_timezone="Asia/Tokyo",
        scheduled_at=start.isoformat(),
        duration_minutes=45,
    )
    assert room["candidate_email"] == to and room["candidate_timezone"] == "Asia/Tokyo"
    inbox.wait_for(1)
    [msg] = inbox.to(to)
    assert msg["From"] == "CodePair <interviews@example.com>"
    assert "Backend pairing" in msg["Subject"]
    text = body_of(msg)
    assert room["invite_url"] in text
    tokyo = start + timedelta(hours=9)  # Tokyo has no daylight saving time
    assert f"{tokyo:%H:%M} (Asia/Tokyo)" in text
    for expected in ("camera", "microphone", "run your code"):
        assert expected in text
    cal = ics_of(msg)
    assert cal["METHOD"] == "REQUEST"
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    event = event_of(cal)
    assert str(event["UID"]).startswith(room["id"] + "@")
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Backend pairing"
    assert str(event["LOCATION"]) == room["invite_url"]
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == [f"mailto:{to}"]
    assert str(event["ORGANIZER"]) == "mailto:interviews@example.com"
    [item] = wait_mail(mail_server, owner, room["id"], "sent", 1)
    assert item["kind"] == "invitation" and item["to"] == to and item["calendar"] == "REQUEST"
    assert item["attempts"] == 1 and item["sent_at"]


def test_changes_send_updates_and_deleting_cancels(
    mail_server: Server, mail_lead: Actor, inbox: Inbox
) -> None:
    owner = create_user(mail_server, mail_lead)
    co = create_user(mail_server, mail_lead, name="Cora Co")
    assert co.email is not None
    to = addr()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    room = create_room(
        mail_server, owner, candidate_email=to, scheduled_at=start.isoformat()
    )
    [first] = _wait_to(inbox, to, 1)
    uid = str(event_of(ics_of(first))["UID"])
    with client(mail_server) as c:
        # A co-interviewer added gets the invitation and the event too.
        r = c.post(
            f"/api/rooms/{room['id']}/interviewers",
            headers=owner.headers,
            json={"user_id": co.user_id},
        )
        assert r.status_code == 201, r.text
        [co_invite] = _wait_to(inbox, co.email, 1)
        assert str(event_of(ics_of(co_invite))["UID"]) == uid
        assert f"/rooms/{room['id']}" in body_of(co_invite)
        assert room["invite_url"] not in body_of(co_invite)  # the candidate's link stays theirs
        later = start + timedelta(hours=2)
        r = c.patch(
            f"/api/rooms/{room['id']}",
            headers=owner.headers,
            json={"scheduled_at": later.isoformat()},
        )
        assert r.status_code == 200, r.text
        update = _wait_to(inbox, to, 2)[1]
        co_update = _wait_to(inbox, co.email, 2)[1]
        for msg in (update, co_update):
            cal = ics_of(msg)
            assert cal["METHOD"] == "REQUEST"
            event = event_of(cal)
            assert str(event["UID"]) == uid
            assert int(event["SEQUENCE"]) == 1
            assert event.decoded("DTSTART") == later
        assert update["Subject"].startswith("Updated")
        # A PATCH that changes nothing the calendar shows sends nothing.
        r = c.patch(f"/api/rooms/{room['id']}", headers=owner.headers, json={"language": "go"})
        assert r.status_code == 200
        assert c.delete(f"/api/rooms/{room['id']}", headers=owner.headers).status_code == 204
        cancel = _wait_to(inbox, to, 3)[2]
        co_cancel = _wait_to(inbox, co.email, 3)[2]
    for msg in (cancel, co_cancel):
        cal = ics_of(msg)
        assert cal["METHOD"] == "CANCEL"
        event = event_of(cal)
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2
        assert str(event["STATUS"]) == "CANCELLED"
    assert "cancelled" in body_of(cancel)
    assert len(inbox.to(to)) == 3


def _wait_to(inbox: Inbox, address: str, n: int) -> list[EmailMessage]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = inbox.to(address)
        if len(found) >= n:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{address}: {len(inbox.to(address))} of {n} messages")


def test_an_unscheduled_room_sends_the_link_without_a_calendar(
    mail_server: Server, mail_lead: Actor, inbox: Inbox
) -> None:
    to = addr()
    room = create_room(mail_server, mail_lead, candidate_email=to)
    [msg] = _wait_to(inbox, to, 1)
    assert room["invite_url"] in body_of(msg)
    assert not [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert "When:" not in body_of(msg)


def test_a_new_address_and_a_new_link_are_mailed(
    mail_server: Server, mail_lead: Actor, inbox: Inbox
) -> None:
    room = create_room(mail_server, mail_lead)
    to = addr()
    with client(mail_server) as c:
        r = c.patch(
            f"/api/rooms/{room['id']}", headers=mail_lead.headers, json={"candidate_email": to}
        )
        assert r.status_code == 200 and r.json()["candidate_email"] == to
        [msg] = _wait_to(inbox, to, 1)
        assert room["invite_url"] in body_of(msg)
        rotated = c.post(f"/api/rooms/{room['id']}/invite", headers=mail_lead.headers).json()
        new_link = _wait_to(inbox, to, 2)[1]
        assert rotated["invite_url"] in body_of(new_link)
        assert room["invite_url"] not in body_of(new_link)


def test_who_may_see_a_rooms_mail(mail_server: Server, mail_lead: Actor) -> None:
    owner = create_user(mail_server, mail_lead)
    stranger = create_user(mail_server, mail_lead)
    room = create_room(mail_server, owner, candidate_email=addr())
    other = create_room(mail_server, stranger)
    candidate = join(mail_server, room)
    other_candidate = join(mail_server, other)
    path = f"/api/rooms/{room['id']}/mail"
    with client(mail_server) as c:
        assert c.get(path).status_code == 401
        assert c.get(path, headers=candidate.headers).status_code == 403
        assert c.get(path, headers=other_candidate.headers).status_code in (403, 404)
        assert c.get(path, headers=stranger.headers).status_code == 404
        assert c.get(path, headers=owner.headers).status_code == 200
        assert c.get(path, headers=mail_lead.headers).status_code == 200
        # A candidate never sees the address their invitation went to.
        seen = c.get(f"/api/rooms/{room['id']}", headers=candidate.headers).json()
        assert "candidate_email" not in seen


@pytest.mark.parametrize(
    "fields",
    [
        {"candidate_email": "not-an-address"},
        {"candidate_email": "a@" + "b" * 260 + ".com"},
        {"candidate_timezone": "Mars/Olympus_Mons"},
        {"candidate_timezone": "x" * 65},
    ],
)
def test_bad_contact_fields_are_refused(
    mail_server: Server, mail_lead: Actor, fields: dict[str, str]
) -> None:
    with client(mail_server) as c:
        r = c.post(
            "/api/rooms", headers=mail_lead.headers, json={"candidate_name": "X", **fields}
        )
        assert r.status_code == 422, r.text


def test_failures_are_retried_and_shown(server_factory: ServerFactory) -> None:
    """Nothing listens at first: the attempts fail and say why; once an SMTP server is
    there, the next retry goes through."""
    port = free_port()
    srv = server_factory(
        {
            **FAST,
            "CODEPAIR_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "CODEPAIR_MAIL_RETRY_SECONDS": "0.5,1,30",
        }
    )
    lead = bootstrap_lead(srv)
    to = addr()
    started = time.monotonic()
    room = create_room(srv, lead, candidate_email=to)
    assert time.monotonic() - started < 5  # the request never waits for the SMTP server
    deadline = time.monotonic() + 15
    while True:
        with client(srv) as c:
            [item] = c.get(f"/api/rooms/{room['id']}/mail", headers=lead.headers).json()["items"]
        if item["attempts"] >= 2:
            break
        assert time.monotonic() < deadline, item
        time.sleep(0.1)
    assert item["status"] == "pending"
    assert "Connection" in item["last_error"] or "refused" in item["last_error"]
    with smtp_server(port) as box:
        [msg] = box.wait_for(1, timeout=45)
        assert room["invite_url"] in body_of(msg)
        [item] = wait_mail(srv, lead, room["id"], "sent", 1)
    assert item["attempts"] >= 3 and item["last_error"] == ""


def test_failing_for_good_ends_failed(server_factory: ServerFactory) -> None:
    srv = server_factory({**FAST, "CODEPAIR_SMTP_URL": f"smtp://127.0.0.1:{free_port()}"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead, candidate_email=addr())
    [item] = wait_mail(srv, lead, room["id"], "failed", 1)
    assert item["attempts"] == 3 and item["next_attempt_at"] is None and item["last_error"]


def test_without_smtp_nothing_is_queued(server: Server, lead: Actor) -> None:
    room = create_room(server, lead, candidate_email=addr())
    with client(server) as c:
        body = c.get(f"/api/rooms/{room['id']}/mail", headers=lead.headers).json()
    assert body == {"configured": False, "items": []}


def test_a_room_edited_in_a_loop_does_not_flood_the_candidate(
    mail_server: Server, mail_lead: Actor, inbox: Inbox
) -> None:
    to = addr()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    room = create_room(mail_server, mail_lead, candidate_email=to, scheduled_at=start.isoformat())
    with client(mail_server) as c:
        for i in range(35):
            r = c.patch(
                f"/api/rooms/{room['id']}", headers=mail_lead.headers, json={"title": f"Take {i}"}
            )
            assert r.status_code == 200  # the edit itself is never refused
    items = wait_mail(mail_server, mail_lead, room["id"], "sent", 30)
    assert len(items) == 30
