/**
 * What the dashboard says of a room. The server's `status` is `live` from the scheduled time
 * on (or at once without one), whether or not anyone came; `started_at` is stamped when the
 * candidate first joins (domain/rooms.py), and only from then on is there an interview to
 * replay.
 */
import type { Room } from "../api/types";

export type RoomPhase = "scheduled" | "not_started" | "live" | "ended";

export const PHASE_LABELS: Record<RoomPhase, string> = {
  scheduled: "Scheduled",
  not_started: "Not started",
  live: "Live",
  ended: "Ended",
};

/** The room's phase: a live room nobody has joined yet is not started. */
export function roomPhase(room: Pick<Room, "status" | "started_at">): RoomPhase {
  if (room.status === "live" && !room.started_at) return "not_started";
  return room.status;
}

/** Whether the room has an interview to replay: the candidate joined at some point. */
export function hasReplay(room: Pick<Room, "started_at">): boolean {
  return Boolean(room.started_at);
}
