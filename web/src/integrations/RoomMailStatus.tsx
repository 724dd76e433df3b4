/** What was emailed about a room and whether it went out (failures are shown, with why). */
import { useQuery } from "@tanstack/react-query";

import { Badge } from "../components/ui";
import { formatDateTime } from "../lib/time";
import { roomMailQuery } from "./api";

export function RoomMailStatus({ roomId }: { roomId: string }) {
  const mail = useQuery(roomMailQuery(roomId));
  if (!mail.data?.configured || mail.data.items.length === 0) return null;
  return (
    <div className="rounded-lg bg-slate-50 p-3 text-xs ring-1 ring-slate-200" aria-label="Emails sent">
      <div className="mb-1.5 font-semibold text-slate-700">Emails</div>
      <ul className="space-y-1">
        {mail.data.items.slice(0, 6).map((m) => (
          <li key={m.id} className="flex flex-wrap items-center gap-2 text-slate-600">
            {m.status === "sent" ? <Badge kind="live">Sent</Badge> : m.status === "failed" ? <Badge kind="inactive">Failed</Badge> : <Badge kind="scheduled">Sending</Badge>}
            <span>
              {m.kind === "invitation" ? "Invitation" : m.kind === "update" ? "Update" : "Cancellation"}
              {m.calendar && " with calendar file"} to {m.to}
            </span>
            <span className="text-slate-400">{formatDateTime(m.sent_at ?? m.created_at)}</span>
            {m.last_error && <span className="text-rose-600">{m.last_error}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
