import type { EventsStatus } from "../realtime/events";
import { DOC_FULL, type DocState } from "../realtime/ydoc";

/** Online and synced, reconnecting, or offline with local changes waiting to sync. */
export function ConnectionBadge({ events, code, notes }: { events: EventsStatus; code: DocState; notes: DocState | null }) {
  const notesOnline = !notes || (notes.status === "connected" && notes.synced);
  const online = code.status === "connected" && code.synced && notesOnline;
  const unsynced = code.unsynced || (notes?.unsynced ?? false);
  let text = "Connected";
  let tone = "bg-emerald-400";
  const tooLarge = [code, notes].find((doc) => doc?.closed?.code === DOC_FULL);
  if (tooLarge) {
    text = "Last change too large: not saved, reload";
    tone = "bg-rose-500";
  } else if (code.status === "refused" || notes?.status === "refused" || events === "refused") {
    text = "Access refused";
    tone = "bg-rose-500";
  } else if (!online) {
    text = unsynced ? "Offline · unsynced changes" : "Reconnecting…";
    tone = unsynced ? "bg-rose-500" : "bg-amber-400";
  } else if (events !== "connected") {
    text = "Reconnecting…";
    tone = "bg-amber-400";
  }
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-slate-300" role="status" data-testid="connection" data-online={online && events === "connected"}>
      <span className={`h-2 w-2 rounded-full ${tone}`} />
      {text}
    </span>
  );
}
