"""Interview rooms, their co-interviewers and invite links; the candidate's join."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic_core import to_json

from codepair.api.bounds import IdPath, Offset
from codepair.api.deps import (
    CurrentUser,
    DbSession,
    SettingsDep,
    client_ip,
)
from codepair.api.errors import errors
from codepair.api.notify import after_commit_candidates_revoked, after_commit_room_ended
from codepair.api.principal_reads import PrincipalReads, UserReads
from codepair.api.routes.assessments import after_commit_take_home_started
from codepair.api.schemas.common import PersonOut
from codepair.api.schemas.interviews import (
    CandidateRoomOut,
    InterviewerAdd,
    InviteStatusOut,
    JoinIn,
    JoinOut,
    RoomCreate,
    RoomList,
    RoomOut,
    RoomUpdate,
)
from codepair.config import Settings
from codepair.db.models.accounts import User
from codepair.db.models.interviews import Room
from codepair.domain.assessments import attempts as take_homes
from codepair.domain.assessments import messages as take_home_messages
from codepair.domain.errors import Conflict, Forbidden, NotFound, Unprocessable
from codepair.domain.integrations import room_events as integrations
from codepair.domain.interviews import room_views, rooms
from codepair.domain.interviews.access import RoomRole
from codepair.domain.operations import audit
from codepair.domain.questions import bank as room_plan

router = APIRouter(tags=["rooms"])
CONTACT = set(integrations.CONTACT_FIELDS)


def _person(user: User) -> PersonOut:
    return PersonOut(id=user.id, name=user.name, email=user.email)


def _candidate_view(room: Room) -> CandidateRoomOut:
    return CandidateRoomOut(
        id=room.id,
        title=room.title,
        candidate_name=room.candidate_name,
        language=room.language,
        status=rooms.status_of(room),
        scheduled_at=room.scheduled_at,
        duration_minutes=room.duration_minutes,
        runs_enabled=room.runs_enabled,
        autocomplete=room.autocomplete,
        started_at=room.started_at,
        kind="take_home" if room.kind == take_homes.KIND else "live",
        ai_assistant="on" if room.ai_assistant == "on" else "off",
    )


def room_out(room: Room, role: RoomRole, settings: Settings) -> RoomOut:
    assert role != "candidate"
    invite = rooms.current_invite(room)
    token = invite.token if invite is not None and room.ended_at is None else None
    return RoomOut(
        **_candidate_view(room).model_dump(),
        owner=_person(room.owner),
        interviewers=[_person(ri.user) for ri in room.interviewers],
        created_at=room.created_at,
        ended_at=room.ended_at,
        invite_token=token,
        invite_url=f"{settings.public_url}/join/{token}" if token else None,
        my_role=role,
        candidate_email=room.candidate_email,
        candidate_timezone=room.candidate_timezone,
        ai_prompt=room.ai_prompt,
    )


@router.get("/api/rooms", response_model=RoomList)
async def list_rooms(
    reads: UserReads,
    status: Literal["scheduled", "live", "ended"] | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
    kind: Literal["live", "take_home"] | None = None,
) -> Response:
    """The rooms the user may see, newest first: the principal check and one prebuilt
    query in one read, no session (ADR 8)."""
    flt = rooms.RoomFilter(status=status, q=q, kind=kind, limit=limit, offset=offset)
    settings = reads.settings
    items, total = await reads.run_checking(
        lambda conn, claims: room_views.list_rooms_checked(conn, settings, claims, flt),
        lambda conn, principal: room_views.list_rooms(conn, settings, principal, flt),
    )
    # RoomList's JSON, written from room_views' dicts, which hold exactly its fields: the
    # model's validation and FastAPI's serialization of it were a sixth of a list's CPU.
    body = to_json({"items": items, "total": total})
    return Response(body, media_type="application/json")


@router.post("/api/rooms", status_code=201, responses=errors(404, 429))
async def create_room(
    body: RoomCreate, principal: CurrentUser, db: DbSession, settings: SettingsDep, request: Request
) -> RoomOut:
    request.app.state.limits.room_create.hit(str(principal.user_id))
    take_home = body.kind == "take_home"
    if take_home and (body.closes_at is None or body.time_limit_minutes is None
                      or not body.question_ids):
        raise Unprocessable(
            "A take-home needs question_ids, closes_at and time_limit_minutes"
        )
    room = await rooms.create_room(
        db,
        principal,
        candidate_name=body.candidate_name,
        title=body.title,
        scheduled_at=None if take_home else body.scheduled_at,
        duration_minutes=body.time_limit_minutes or body.duration_minutes
        if take_home else body.duration_minutes,
        language=body.language,
    )
    if body.autocomplete != "on":  # language servers' setting (docs/intellisense.md)
        room.autocomplete = body.autocomplete
    room.ai_assistant, room.ai_prompt = body.ai_assistant, body.ai_prompt
    await db.flush()
    await audit.record(
        db,
        "room.created",
        actor=principal,
        ip=client_ip(request),
        room_id=room.id,
        detail={"language": room.language},
    )
    if take_home:  # its own invitation (the rules and the deadline), not a live one's
        assert body.closes_at is not None and body.time_limit_minutes is not None
        await integrations.room_created(db, settings, room, {})
        room.candidate_email = body.candidate_email
        room.candidate_timezone = body.candidate_timezone
        spec = take_homes.TakeHomeSpec(
            closes_at=body.closes_at, time_limit_minutes=body.time_limit_minutes,
            question_ids=list(body.question_ids or []), layout=body.question_layout,
        )
        th = await take_homes.create(db, room, spec)
        await take_home_messages.queue_invitation(db, settings, room, th, len(spec.question_ids))
        return room_out(await rooms.load_room(db, room.id), "owner", settings)
    await integrations.room_created(db, settings, room, body.model_dump(include=CONTACT))
    if body.question_ids:
        await room_plan.set_plan(db, room.id, body.question_ids)
    return room_out(room, "owner", settings)


@router.get("/api/rooms/{room_id}")
async def read_room(
    room_id: str, reads: PrincipalReads, settings: SettingsDep
) -> RoomOut | CandidateRoomOut:
    found = await reads.run(
        lambda conn, principal: room_views.read_room(conn, settings, principal, room_id)
    )
    if found is None:
        raise NotFound(rooms.ROOM_NOT_FOUND)
    room, role = found
    if role == "candidate":
        return CandidateRoomOut.model_validate(room)
    return RoomOut.model_validate(room)


@router.patch("/api/rooms/{room_id}", responses=errors(409))
async def update_room(
    room_id: str, body: RoomUpdate, principal: CurrentUser, db: DbSession, settings: SettingsDep
) -> RoomOut:
    room, role = await rooms.room_for(db, principal, room_id)
    changes = body.model_dump(exclude_unset=True)
    if room.ended_at is not None and set(changes) - {"title"}:
        raise Conflict("This interview has ended; only its title can change")
    for field in (
        "candidate_name", "title", "duration_minutes", "language", "runs_enabled",
        "autocomplete", "ai_assistant", "ai_prompt",
    ):
        if changes.get(field) is not None:
            setattr(room, field, changes[field])
    if "scheduled_at" in changes:
        room.scheduled_at = body.scheduled_at
    if body.question_ids is not None:  # the plan, in this order (presented ones are kept)
        await room_plan.set_plan(db, room.id, body.question_ids)
    await integrations.room_updated(db, settings, room, changes)  # before the flush
    await db.flush()
    return room_out(room, role, settings)


@router.delete("/api/rooms/{room_id}", status_code=204)
async def delete_room(
    room_id: str, principal: CurrentUser, db: DbSession, settings: SettingsDep, request: Request
) -> Response:
    room, _role = await rooms.room_for(db, principal, room_id)
    await audit.record(
        db,
        "room.deleted",
        actor=principal,
        ip=client_ip(request),
        room_id=room_id,
    )
    await integrations.room_deleted(db, settings, room)
    await db.delete(room)
    after_commit_room_ended(request, room_id)
    return Response(status_code=204)


@router.post("/api/rooms/{room_id}/end")
async def end_room(
    room_id: str, principal: CurrentUser, db: DbSession, settings: SettingsDep, request: Request
) -> RoomOut:
    room, role = await rooms.room_for(db, principal, room_id)
    if await rooms.end_room(db, room):
        if room.kind == take_homes.KIND and room.ended_at is not None:  # the attempt ends too
            await take_homes.close(db, room_id, "expired", room.ended_at)
        await audit.record(
            db, "room.ended", actor=principal, ip=client_ip(request), room_id=room_id
        )
        await integrations.room_ended(db, settings, room)
        after_commit_room_ended(request, room_id)
    return room_out(room, role, settings)


@router.post("/api/rooms/{room_id}/invite", responses=errors(409))
async def rotate_invite(
    room_id: str, principal: CurrentUser, db: DbSession, settings: SettingsDep, request: Request
) -> RoomOut:
    """A new invite link; the old one and candidate sessions from it stop working."""
    room, role = await rooms.room_for(db, principal, room_id)
    rotated = await rooms.rotate_invite(db, room)
    await audit.record(
        db, "invite.rotated", actor=principal, ip=client_ip(request), room_id=room_id
    )
    await integrations.invite_rotated(db, settings, rotated)
    after_commit_candidates_revoked(request, room_id)
    return room_out(rotated, role, settings)


@router.post("/api/rooms/{room_id}/interviewers", status_code=201, responses=errors(409))
async def add_interviewer(
    room_id: str,
    body: InterviewerAdd,
    principal: CurrentUser,
    db: DbSession,
    settings: SettingsDep,
) -> RoomOut:
    room, role = await rooms.room_for(db, principal, room_id)
    if not rooms.may_manage_interviewers(role):
        raise Forbidden("Only the room's owner or a lead can change its interviewers")
    room = await rooms.add_interviewer(db, room, body.user_id)
    await integrations.interviewer_added(db, settings, room, body.user_id)
    return room_out(room, role, settings)


@router.delete("/api/rooms/{room_id}/interviewers/{user_id}")
async def remove_interviewer(
    room_id: str, user_id: IdPath, principal: CurrentUser, db: DbSession, settings: SettingsDep
) -> RoomOut:
    room, role = await rooms.room_for(db, principal, room_id)
    if not rooms.may_manage_interviewers(role):
        raise Forbidden("Only the room's owner or a lead can change its interviewers")
    return room_out(await rooms.remove_interviewer(db, room, user_id), role, settings)


@router.get("/api/join/{invite_token}", responses=errors(410, 429))
async def check_invite(
    invite_token: Annotated[str, Path(max_length=512)], request: Request, db: DbSession
) -> InviteStatusOut:
    """Whether an invite link still opens its room, before the candidate types a name.

    Answers 404 for an unknown or rotated link and 410 once the interview has ended, like
    ``POST /api/join``; says nothing else about the room but whether its AI assistant is on
    (the candidate is told before joining that interviewers see that conversation).
    """
    request.app.state.limits.join_ip.hit(client_ip(request))
    found = await rooms.check_invite(db, invite_token)
    # The candidate is told before joining that the AI assistant's conversation is seen.
    return InviteStatusOut(
        kind="take_home" if found.kind == take_homes.KIND else "live",
        ai_assistant="on" if found.ai_assistant == "on" else "off",
    )


@router.post("/api/join", responses=errors(404, 409, 410, 429))
async def join(body: JoinIn, request: Request, db: DbSession, settings: SettingsDep) -> JoinOut:
    """A candidate token for the invite's room. A take-home's clock starts with
    ``start: true`` (once; later joins come back to the running attempt) and the answer
    carries its ``deadline``, when the token stops working."""
    request.app.state.limits.join_ip.hit(client_ip(request))
    found, take_home = await take_homes.by_invite(db, body.invite_token)
    if take_home is not None:
        attempt = await take_homes.join(db, settings, found, take_home, body.name,
                                         start=body.start)
        if attempt.started_now:
            after_commit_take_home_started(request, attempt)
        return JoinOut(room_id=attempt.room_id, token=attempt.token, name=attempt.name,
                       deadline=attempt.deadline)
    candidate = await rooms.join(db, settings, body.invite_token, body.name)
    return JoinOut(room_id=candidate.room_id, token=candidate.token, name=candidate.name)
