/** The AI assistant's conversation in the replay: the `ai` timeline events past the playhead. */
import { memo } from "react";

import { formatDuration } from "../lib/time";
import type { ReplayEvent } from "../record/replayModel";
import { Rendered } from "./AiPane";

export const AiList = memo(function AiList({ events, count, start }: { events: ReplayEvent[]; count: number; start: number }) {
  if (count === 0) return <p className="text-slate-400">No questions to the assistant yet at this moment.</p>;
  return (
    <ol className="space-y-2" data-testid="replay-ai-list">
      {events.slice(0, count).map((e) => {
        const question = e.role === "user";
        return (
          <li key={e.id} className={`rounded-md p-2 ${question ? "bg-indigo-50" : "bg-slate-50"}`}>
            <p className="mb-1 flex gap-2 text-xs text-slate-500">
              <span className="font-semibold text-slate-700">{question ? e.actor?.name : "AI assistant"}</span>
              <span>{formatDuration(Date.parse(e.at) - start)}</span>
              {Boolean(e.private) && <span className="italic">private</span>}
              {typeof e.status === "string" && e.status !== "ok" && <span className="italic">{e.status}</span>}
            </p>
            {question ? <p className="whitespace-pre-wrap">{String(e.text ?? "")}</p> : <Rendered text={String(e.text ?? "")} />}
          </li>
        );
      })}
    </ol>
  );
});
