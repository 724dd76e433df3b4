/**
 * The replay's parts that follow the playhead, each memoized on what it shows rather than on
 * the playhead itself: the chat on how many messages are past it, the events list on how many
 * events are, the run output on the run and whether it had finished, the notes on the notes'
 * update index. A seek that crosses nothing re-renders none of them; the side panels that are
 * not open are not rendered at all.
 */
import { memo, useMemo } from "react";

import { formatDuration } from "../lib/time";
import { describeEvent } from "./eventText";
import type { DocTimeline, ReplayEvent, ReplayRun } from "./replayModel";

export const ChatList = memo(function ChatList({ chat, count, start }: { chat: ReplayEvent[]; count: number; start: number }) {
  if (count === 0) return <p className="text-slate-400">No chat yet at this moment.</p>;
  return (
    <>
      {chat.slice(0, count).map((e) => (
        <div key={e.id} className="mb-2">
          <span className="font-medium">{e.actor?.name}</span> <span className="text-xs text-slate-400">{formatDuration(Date.parse(e.at) - start)}</span>
          <div className="whitespace-pre-wrap">{String(e.text ?? "")}</div>
        </div>
      ))}
    </>
  );
});

export const EventsList = memo(function EventsList({
  events,
  times,
  count,
  start,
  onSeek,
}: {
  events: ReplayEvent[];
  times: number[];
  count: number;
  start: number;
  onSeek: (ms: number) => void;
}) {
  return (
    <ol>
      {events.map((e, i) => (
        <li key={e.id}>
          <button
            type="button"
            className={`w-full rounded px-1 py-0.5 text-left hover:bg-slate-100 ${i < count ? "" : "text-slate-400"}`}
            onClick={() => onSeek(times[i] ?? start)}
          >
            <span className="mr-2 font-mono text-xs text-slate-400">{formatDuration((times[i] ?? start) - start)}</span>
            {describeEvent(e)}
          </button>
        </li>
      ))}
    </ol>
  );
});

/** The notes at the playhead (the notes' own Y.Doc, seeked only while this panel is open). */
export const NotesView = memo(function NotesView({ notes, index }: { notes: DocTimeline; index: number }) {
  const text = useMemo(() => {
    notes.seekIndex(index);
    return notes.notesText();
  }, [notes, index]);
  return <pre className="font-sans whitespace-pre-wrap">{text || "No notes yet at this moment."}</pre>;
});

export const RunOutput = memo(function RunOutput({ run, done, start }: { run: ReplayRun | undefined; done: boolean; start: number }) {
  return (
    <div className="h-40 shrink-0 overflow-auto border-t border-slate-800 bg-slate-900 p-3 font-mono text-xs" data-testid="replay-run">
      {run ? (
        <>
          <div className="mb-1 text-slate-400">
            Run by {run.author.name} ({run.language}) at {formatDuration(Date.parse(run.created_at) - start)}: {done ? run.status : "running…"}
          </div>
          {done && <pre className="whitespace-pre-wrap text-slate-200">{run.stdout || run.compile_output || run.stderr || "(no output)"}</pre>}
          {done && run.stdout && run.stderr && <pre className="whitespace-pre-wrap text-rose-300">{run.stderr}</pre>}
        </>
      ) : (
        <span className="text-slate-500">No run yet at this moment.</span>
      )}
    </div>
  );
});
