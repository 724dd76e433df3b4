/** Scorecards and the interview report: REST shapes, query factories, fetchers. */
import { queryOptions } from "@tanstack/react-query";

import { api, ApiError } from "../api/client";
import { session } from "../api/session";
import type { Schema } from "../api/types";

export type Scorecard = Schema<"ScorecardOut">;
export type ScorecardList = Schema<"ScorecardList">;
export type RubricItem = Schema<"RubricItem">;
export type Rating = Schema<"RatingOut">;
export type RoomScorecardStatus = Schema<"RoomScorecardStatus">;
export type WaitingRoom = Schema<"WaitingRoom">;
export type Recommendation = NonNullable<Scorecard["recommendation"]>;
export type ReportFormat = "pdf" | "md" | "json";

export const RECOMMENDATIONS: { value: Recommendation; label: string; tone: string }[] = [
  { value: "strong_no", label: "Strong no", tone: "bg-rose-600 text-white ring-rose-600" },
  { value: "no", label: "No", tone: "bg-rose-100 text-rose-800 ring-rose-300" },
  { value: "yes", label: "Yes", tone: "bg-emerald-100 text-emerald-800 ring-emerald-300" },
  { value: "strong_yes", label: "Strong yes", tone: "bg-emerald-700 text-white ring-emerald-700" },
];

export const SCORES: { value: number; label: string }[] = [
  { value: 1, label: "Poor" },
  { value: 2, label: "Mixed" },
  { value: 3, label: "Good" },
  { value: 4, label: "Excellent" },
];

export function recommendationLabel(value: string | null | undefined): string {
  return RECOMMENDATIONS.find((r) => r.value === value)?.label ?? "No recommendation";
}

export const scorecardKeys = {
  all: ["scorecards"] as const,
  room: (roomId: string) => ["scorecards", "room", roomId] as const,
  status: (roomIds: readonly string[]) => ["scorecards", "status", ...roomIds] as const,
  waiting: ["scorecards", "waiting"] as const,
};

export function scorecardsQuery(roomId: string) {
  return queryOptions({
    queryKey: scorecardKeys.room(roomId),
    queryFn: ({ signal }) => api<ScorecardList>(`/api/rooms/${roomId}/scorecards`, { signal }),
    // Always read again on mount: the form starts from the stored draft, and others submit.
    staleTime: 0,
  });
}

export type ScorecardStatus = Schema<"RoomScorecardStatus">;

/** The scorecard state of every room on a dashboard page, in one request (the endpoint takes
 * up to 100 `room_id`s), by room id: one request per row cost the dashboard a round trip per
 * room on every load and refetch. */
export function scorecardStatusesQuery(roomIds: readonly string[]) {
  const ids = [...roomIds].sort();
  return queryOptions({
    queryKey: scorecardKeys.status(ids),
    queryFn: async ({ signal }): Promise<Record<string, ScorecardStatus>> => {
      const query = ids.map((id) => `room_id=${encodeURIComponent(id)}`).join("&");
      const data = await api<Schema<"ScorecardStatusList">>(`/api/scorecards/status?${query}`, { signal });
      return Object.fromEntries(data.items.map((item) => [item.room_id, item]));
    },
    enabled: ids.length > 0,
  });
}

export const waitingQuery = queryOptions({
  queryKey: scorecardKeys.waiting,
  queryFn: ({ signal }) => api<Schema<"WaitingList">>("/api/scorecards/waiting", { signal }),
});

/** A draft as the form saves it: every field of the body given (the schema leaves
 * `recommendation` and `summary` optional; the form always sends its whole state). */
export type DraftBody = Required<Schema<"ScorecardIn">>;

export const saveDraft = (roomId: string, body: DraftBody) =>
  api<Scorecard>(`/api/rooms/${roomId}/scorecards/me`, { method: "PUT", body });
export const submitScorecard = (roomId: string) =>
  api<Scorecard>(`/api/rooms/${roomId}/scorecards/me/submit`, { method: "POST" });
export const reopenScorecard = (roomId: string, userId: number) =>
  api<Scorecard>(`/api/rooms/${roomId}/scorecards/${userId}/reopen`, { method: "POST" });

/** Fetch the report with the tab's token and hand it to the browser as a download. */
export async function downloadReport(roomId: string, format: ReportFormat): Promise<void> {
  const token = await session.bearer();
  const response = await fetch(`/api/rooms/${roomId}/report?format=${format}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok) {
    let detail: unknown = null;
    try {
      detail = ((await response.json()) as { detail?: unknown }).detail;
    } catch {
      detail = null;
    }
    throw new ApiError(response.status, detail);
  }
  const disposition = response.headers.get("content-disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `interview-report.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A link to the replay at a moment, for a comment. */
export function replayLink(roomId: string, at: Date = new Date()): string {
  return `/rooms/${roomId}/replay?t=${encodeURIComponent(at.toISOString())}`;
}
