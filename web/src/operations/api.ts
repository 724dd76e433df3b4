/** The audit log, retention and candidate erasure (leads): REST shapes, query factories, fetchers. */
import { queryOptions } from "@tanstack/react-query";

import { api } from "../api/client";
import type { Schema } from "../api/types";
import { plural } from "../lib/plural";

export type AuditEvent = Schema<"AuditEventOut">;
export type AuditList = Schema<"AuditList">;
export type Retention = Schema<"RetentionOut">;
export type Erasure = Schema<"ErasureOut">;

export interface AuditFilter {
  action: string;
  actor: string;
  room: string;
  since: string; // yyyy-mm-dd in the lead's zone, or ""
  until: string;
  limit: number;
  offset: number;
}

/** The actions a lead can pick; an entry ending in "." matches every action it begins. */
export const ACTIONS: { value: string; label: string }[] = [
  { value: "", label: "All actions" },
  { value: "auth.", label: "Sign-ins (all)" },
  { value: "auth.login", label: "Sign-in" },
  { value: "auth.login_failed", label: "Failed sign-in" },
  { value: "user.", label: "User changes" },
  { value: "room.", label: "Interviews (created, ended, deleted)" },
  { value: "invite.rotated", label: "Invite link rotated" },
  { value: "report.downloaded", label: "Report downloaded" },
  { value: "replay.viewed", label: "Replay viewed" },
  { value: "candidate.erased", label: "Candidate erased" },
  { value: "retention.purged", label: "Retention purge" },
  { value: "settings.updated", label: "Settings changed" },
  { value: "webhook.created", label: "Webhook created" },
  { value: "token.created", label: "API token created" },
];

/** What each recorded action is called on the page. */
const ACTION_LABELS: Record<string, string> = {
  "auth.login": "Signed in",
  "auth.login_failed": "Failed sign-in",
  "user.created": "User created",
  "user.updated": "User changed",
  "user.deleted": "User deleted",
  "user.password_changed": "Password changed",
  "room.created": "Interview created",
  "room.ended": "Interview ended",
  "room.deleted": "Interview deleted",
  "invite.rotated": "Invite link rotated",
  "report.downloaded": "Report downloaded",
  "replay.viewed": "Replay viewed",
  "candidate.erased": "Candidate erased",
  "retention.purged": "Old interviews purged",
  "settings.updated": "Settings changed",
  "webhook.created": "Webhook created",
  "token.created": "API token created",
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

export const auditKeys = {
  all: ["audit"] as const,
  list: (filter: AuditFilter) => ["audit", "list", filter] as const,
  retention: ["audit", "retention"] as const,
};

/** Midnight of a local yyyy-mm-dd as an ISO instant; `nextDay` for an inclusive "until". */
export function dayToIso(day: string, nextDay = false): string | null {
  const [y, m, d] = day.split("-").map(Number);
  if (!y || !m || !d) return null;
  return new Date(y, m - 1, d + (nextDay ? 1 : 0)).toISOString();
}

export function auditQuery(filter: AuditFilter) {
  const params = new URLSearchParams({ limit: String(filter.limit), offset: String(filter.offset) });
  if (filter.action) params.set("action", filter.action);
  if (filter.actor.trim()) params.set("actor", filter.actor.trim());
  if (filter.room.trim()) params.set("room", filter.room.trim());
  const since = dayToIso(filter.since);
  const until = dayToIso(filter.until, true);
  if (since) params.set("since", since);
  if (until) params.set("until", until);
  return queryOptions({
    queryKey: auditKeys.list(filter),
    queryFn: ({ signal }) => api<AuditList>(`/api/audit?${params}`, { signal }),
    placeholderData: (previous) => previous,
  });
}

export function retentionQuery() {
  return queryOptions({
    queryKey: auditKeys.retention,
    queryFn: ({ signal }) => api<Retention>("/api/settings/retention", { signal }),
  });
}

export function setRetention(retention_days: Schema<"RetentionIn">["retention_days"]): Promise<Retention> {
  return api<Retention>("/api/settings/retention", { method: "PUT", body: { retention_days } });
}

export function eraseCandidate(body: Schema<"ErasureIn">): Promise<Erasure> {
  return api<Erasure>("/api/candidates/erase", { method: "POST", body });
}

/** One line saying what an event's detail holds, for the table. */
export function describeDetail(event: AuditEvent): string {
  const d = event.detail;
  if (!d) return "";
  const changes = d.changes as Record<string, { from: unknown; to: unknown }> | undefined;
  if (changes) {
    return Object.entries(changes)
      .map(([k, v]) => `${k}: ${String(v.from)} → ${String(v.to)}`)
      .join(", ");
  }
  if (event.target === "retention_days") return `${String(d.from)} → ${typeof d.to === "number" ? plural(d.to, "day") : `${String(d.to)} days`}`;
  if (typeof d.rooms === "number") return plural(d.rooms, "interview");
  return Object.entries(d)
    .filter(([, v]) => typeof v !== "object")
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(", ");
}
