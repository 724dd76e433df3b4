/** Take-home assessments: the attempt, the invite's rules, the dashboard's list, and the
 * clock as the server keeps it (docs/take-home.md). */
import { queryOptions } from "@tanstack/react-query";

import { api } from "../api/client";
import type { Room, Schema } from "../api/types";

export type TakeHome = Schema<"TakeHomeOut">;
export type TakeHomeInvite = Schema<"TakeHomeInviteOut">;
export type TakeHomeItem = Schema<"TakeHomeListItem">;
export type TakeHomeState = TakeHome["state"];
export type TakeHomeCreate = Pick<
  Schema<"RoomCreate">,
  "candidate_name" | "title" | "language" | "candidate_email" | "candidate_timezone" | "closes_at" | "time_limit_minutes" | "question_ids" | "question_layout"
>;

export const takeHomeKeys = {
  all: ["take-homes"] as const,
  list: (sort: "score" | "created") => ["take-homes", "list", sort] as const,
  attempt: (roomId: string) => ["take-homes", "attempt", roomId] as const,
  invite: (token: string) => ["take-homes", "invite", token] as const,
};

export function takeHomesQuery(sort: "score" | "created") {
  return queryOptions({
    queryKey: takeHomeKeys.list(sort),
    queryFn: ({ signal }) => api<Schema<"TakeHomeList">>(`/api/take-homes?sort=${sort}&limit=100`, { signal }),
    // Time left and grades change by themselves (the server's clock, the grader).
    refetchInterval: 5000,
  });
}

export function attemptQuery(roomId: string) {
  return queryOptions({
    queryKey: takeHomeKeys.attempt(roomId),
    queryFn: ({ signal }) => api<TakeHome>(`/api/rooms/${roomId}/take-home`, { signal }),
  });
}

export function inviteQuery(token: string) {
  return queryOptions({
    queryKey: takeHomeKeys.invite(token),
    queryFn: ({ signal }) => api<TakeHomeInvite>(`/api/take-homes/invite/${encodeURIComponent(token)}`, { signal, auth: false }),
    retry: false,
  });
}

export function createTakeHome(body: TakeHomeCreate): Promise<Room> {
  return api<Room>("/api/rooms", { method: "POST", body: { kind: "take_home", ...body } });
}

export function startTakeHome(inviteToken: string, name: string): Promise<Schema<"JoinOut">> {
  return api<Schema<"JoinOut">>("/api/join", { method: "POST", body: { invite_token: inviteToken, name, start: true }, auth: false });
}

/** Open a question (none: the next one in the plan). */
export function openQuestion(roomId: string, questionId?: string): Promise<TakeHome> {
  return api<TakeHome>(`/api/rooms/${roomId}/take-home/question`, { method: "POST", body: questionId ? { question_id: questionId } : {} });
}

export function submitTakeHome(roomId: string): Promise<TakeHome> {
  return api<TakeHome>(`/api/rooms/${roomId}/submit`, { method: "POST" });
}

/** Milliseconds the browser's clock is behind the server's (negative: ahead), from a reply
 * that carries `server_now`: the clock shows the server's time left, whatever the browser's
 * clock says. */
export function clockOffset(serverNow: string, receivedAt: number = Date.now()): number {
  return new Date(serverNow).getTime() - receivedAt;
}

/** Seconds left to `deadline` at the browser's `now`, corrected by `offset`; never below 0. */
export function secondsLeft(deadline: string, offset: number, now: number = Date.now()): number {
  return Math.max(0, Math.floor((new Date(deadline).getTime() - (now + offset)) / 1000));
}

/** `1:05:09`, `4:05`, `0:09`. */
export function formatLeft(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

export const STATE_LABEL: Record<TakeHomeState, string> = {
  not_started: "Not started",
  in_progress: "In progress",
  submitted: "Submitted",
  expired: "Expired",
};
