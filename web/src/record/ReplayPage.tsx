/**
 * The replay page's shell: the session check, the code of the moment painted at once from a
 * small answer (GET history/code, the text alone) in a plain read-only view, while the whole
 * record (GET replay) and the replay's own chunk (Monaco, Yjs: `ReplayView`) load in parallel.
 */
import { useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import { api, ApiError } from "../api/client";
import { session } from "../api/session";
import { useSession } from "../api/useSession";
import { FullPageSpinner } from "../components/ui";
import type { ReplayData } from "./replayModel";
import type { Loaded } from "./replayLoad";

// Started when this chunk runs, not when the record has arrived. Held in state rather than
// behind React.lazy: a Suspense boundary that showed its fallback is revealed at the
// earliest 300 ms later (React's throttle), which was a third of the time to the first paint.
const view = import("./ReplayView").then((m) => {
  performance.mark("replay:chunk");
  viewLoaded = m;
  return m;
});
type ViewModule = Awaited<typeof view>;
let viewLoaded: ViewModule | null = null;

/** When the board was last drawn on (epoch ms), or null: the replay's span covers it. The
 * record holds the code and the notes only; the board's last update is its newest row. */
async function boardLastAt(roomId: string, signal: AbortSignal): Promise<number | null> {
  const now = await api<{ seq: number }>(`/api/rooms/${roomId}/history/board`, { signal });
  const page = await api<{ updates: [number, number, number, string][] }>(`/api/rooms/${roomId}/history/board/updates?after=${Math.max(-1, now.seq - 1)}&limit=1`, { signal });
  const last = page.updates[0];
  return last && last[0] === now.seq ? last[1] : null;
}

type PreviewDoc = { text: string; language?: string | null };

/** One load of the replay: the small answer for the preview, the record made ready for the
 * first paint (`loadReplay`: its index worker already started), the board's last drawing. */
interface Load {
  roomId: string;
  t: string | null;
  controller: AbortController;
  preview: Promise<PreviewDoc | null>;
  record: Promise<Loaded>;
  board: Promise<number | null>;
  /** The record, once ready (so a page that mounts after it can paint it at once). */
  ready?: Loaded;
}

function startLoad(roomId: string, t: string | null): Load {
  const controller = new AbortController();
  const { signal } = controller;
  // `?t=` in seconds needs the record's start: the preview is for no `t` or an ISO time.
  const previewable = t === null || !/^\d+(\.\d+)?$/.test(t);
  const query = t ? `?at=${encodeURIComponent(t)}` : "";
  const load: Load = {
    roomId,
    t,
    controller,
    preview: previewable ? api<PreviewDoc>(`/api/rooms/${roomId}/history/code${query}`, { signal }).catch(() => null) : Promise.resolve(null),
    record: api<ReplayData>(`/api/rooms/${roomId}/replay`, { signal }).then(async (replay) => {
      performance.mark("replay:json");
      const { loadReplay } = await view;
      const loaded = await loadReplay(replay, t);
      performance.mark("replay:frames");
      if (signal.aborted) loaded.stop();
      else load.ready = loaded;
      return loaded;
    }),
    // The board is not in the record: its last drawing may extend the span (not needed for
    // the first paint; without the whiteboard's module there is none).
    board: boardLastAt(roomId, signal).catch(() => null),
  };
  load.record.catch(() => undefined); // handled by the page; this only silences the unhandled copy
  return load;
}

// Opened at a replay's address: its loading starts as soon as this chunk runs (the bearer
// token waits for the sign-in check already under way), not when the page first renders:
// the router's Suspense reveals this page at the earliest 300 ms after its spinner showed.
let prefetched: Load | null = (() => {
  const match = /^\/rooms\/([^/]+)\/replay\/?$/.exec(window.location.pathname);
  if (!match?.[1] || (session.current.kind !== "loading" && session.current.kind !== "user")) return null;
  return startLoad(decodeURIComponent(match[1]), new URLSearchParams(window.location.search).get("t"));
})();

function peek(roomId: string, t: string | null): Load | null {
  return prefetched && prefetched.roomId === roomId && prefetched.t === t ? prefetched : null;
}

export default function ReplayPage() {
  const { roomId = "" } = useParams();
  const state = useSession();
  const [params] = useSearchParams();
  // The `t` the page was opened with: the record is loaded for it once (the URL then follows
  // the playhead, which must not reload the record).
  const [openedAt] = useState(() => params.get("t"));
  const [module, setModule] = useState<ViewModule | null>(() => viewLoaded);
  const [data, setData] = useState<Loaded | null>(() => peek(roomId, openedAt)?.ready ?? null);
  const [boardEnd, setBoardEnd] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<PreviewDoc | null>(null);
  useEffect(() => {
    let live = true;
    void view.then((m) => {
      if (live) setModule(m);
    });
    return () => {
      live = false;
    };
  }, []);
  useEffect(() => {
    if (state.kind !== "user") return;
    const load = peek(roomId, openedAt) ?? startLoad(roomId, openedAt);
    if (prefetched !== load) prefetched?.controller.abort(); // opened for another replay
    prefetched = null;
    const { signal } = load.controller;
    void load.preview.then((doc) => {
      if (!signal.aborted && doc) setPreview(doc);
    });
    void load.board.then((ms) => {
      if (!signal.aborted) setBoardEnd(ms);
    });
    load.record
      .then((loaded) => {
        if (!signal.aborted) setData(loaded);
      })
      .catch((e: unknown) => {
        if (signal.aborted) return;
        setError(e instanceof ApiError && e.status === 404 ? "Interview not found" : e instanceof Error ? e.message : "Could not load the replay");
      });
    return () => {
      load.controller.abort();
      load.ready?.stop();
    };
  }, [roomId, state.kind, openedAt]);
  if (state.kind === "loading") return <FullPageSpinner label="Loading the replay…" />;
  if (state.kind !== "user") return <Message title="Replays are for interviewers" text="Sign in with your interviewer account to watch this interview." />;
  if (error) return <Message title={error} text="" />;
  if (!data || !module) return preview ? <Preview text={preview.text} /> : <FullPageSpinner label="Loading the replay…" />;
  return <module.Replay loaded={data} boardEnd={boardEnd} />;
}

/** The code of the moment as plain text, before the record and the editor are loaded. */
function Preview({ text }: { text: string }) {
  return (
    <div className="flex h-screen flex-col bg-slate-950 text-slate-100" data-testid="replay-preview">
      <header className="flex h-12 shrink-0 items-center gap-4 border-b border-slate-800 px-4 text-sm text-slate-400">Loading the replay…</header>
      <pre className="min-h-0 flex-1 overflow-auto p-4 font-mono text-sm leading-[19px] text-slate-200" data-testid="replay-editor">
        {text}
      </pre>
    </div>
  );
}

function Message({ title, text }: { title: string; text: string }) {
  return (
    <div className="flex min-h-full flex-col items-center justify-center gap-3 p-8 text-center">
      <h1 className="text-xl font-semibold text-slate-900">{title}</h1>
      {text && <p className="text-sm text-slate-500">{text}</p>}
      <Link to="/" className="text-sm font-medium text-indigo-600">
        Back to interviews
      </Link>
    </div>
  );
}
