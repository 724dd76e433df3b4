/** The dashboard's scorecard pieces: a room's "n of m submitted" (and the recommendations once
 * you may see them), and the interviews waiting for your scorecard. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { formatDateTime } from "../lib/time";
import { waitingQuery, type ScorecardStatus } from "./api";
import { RecommendationBadge } from "./ScorecardCard";

/** A room's row: its state comes with the page's (`scorecardStatusesQuery`). */
export function ScorecardState({ roomId, status: s }: { roomId: string; status: ScorecardStatus | undefined }) {
  if (!s) return <span className="text-xs text-slate-400">—</span>;
  return (
    <div className="flex flex-col gap-1" data-testid="scorecard-state">
      <Link to={`/rooms/${roomId}/scorecard`} className="text-xs text-slate-700 hover:underline">
        {s.submitted} of {s.expected} submitted
        {s.mine === "draft" && <span className="ml-1 text-amber-600">· yours is a draft</span>}
      </Link>
      {s.recommendations && s.recommendations.length > 0 && (
        <div className="flex flex-wrap gap-1">
          {s.recommendations.map((r) => (
            <span key={r.interviewer.id} title={r.interviewer.name}>
              <RecommendationBadge value={r.recommendation} />
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

export function ScorecardWaiting() {
  const waiting = useQuery(waitingQuery);
  const items = waiting.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section className="rounded-xl bg-amber-50 px-4 py-3 ring-1 ring-amber-200" aria-label="Waiting for your scorecard" data-testid="scorecard-waiting">
      <h2 className="text-sm font-semibold text-amber-900">Waiting for your scorecard</h2>
      <ul className="mt-2 flex flex-col gap-1.5">
        {items.map((room) => (
          <li key={room.room_id} className="flex items-center gap-3 text-sm">
            <span className="font-medium text-slate-900">{room.candidate_name}</span>
            <span className="text-xs text-slate-500">
              {room.title || "Interview"}
              {room.ended_at ? ` · ended ${formatDateTime(room.ended_at)}` : ""}
            </span>
            <Link to={`/rooms/${room.room_id}/scorecard`} className="ml-auto text-xs font-medium text-indigo-700 hover:underline">
              Write scorecard
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
