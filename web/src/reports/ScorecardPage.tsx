/** After the interview: your scorecard for the room, the others' once yours is in, the report. */
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";

import { roomQuery } from "../api/queries";
import { ErrorState, Spinner } from "../components/ui";
import { formatDateTime } from "../lib/time";
import { useTitle } from "../lib/useTitle";
import { ReportDownloads } from "./ReportDownloads";
import { ScorecardForm } from "./ScorecardForm";

export function ScorecardPage() {
  const { roomId = "" } = useParams();
  const room = useQuery(roomQuery(roomId));
  useTitle(room.data ? `Scorecard: ${room.data.candidate_name}` : "Scorecard");
  if (room.isLoading) {
    return (
      <div className="flex items-center gap-2 py-16 text-sm text-slate-500">
        <Spinner /> Loading…
      </div>
    );
  }
  if (room.error || !room.data) return <ErrorState error={room.error} onRetry={() => void room.refetch()} />;
  const r = room.data;
  const endedAt = "ended_at" in r ? r.ended_at : null;
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <Link to="/" className="text-xs font-medium text-indigo-600 hover:underline">
            ← Interviews
          </Link>
          <h1 className="mt-1 text-2xl font-semibold text-slate-900">Scorecard: {r.candidate_name}</h1>
          <p className="mt-1 text-sm text-slate-500">
            {r.title || "Interview"}
            {endedAt ? ` · ended ${formatDateTime(endedAt)}` : ""}
          </p>
        </div>
        <div className="flex items-center gap-3">
          <Link to={`/rooms/${r.id}`} className="text-sm font-medium text-indigo-600 hover:underline">
            Open the room
          </Link>
        </div>
      </div>
      <div className="rounded-xl bg-white p-5 shadow-xs ring-1 ring-slate-200">
        <ScorecardForm roomId={r.id} />
      </div>
      <div className="rounded-xl bg-white px-5 py-4 shadow-xs ring-1 ring-slate-200">
        <ReportDownloads roomId={r.id} />
      </div>
    </div>
  );
}
