/**
 * The replay page's shell: the session check, the code of the moment painted at once from a
 * small answer (GET history/code, the text alone) in a plain read-only view, while the whole
 * record (GET replay) and the replay's own chunk (Monaco, Yjs: `ReplayView`) load in parallel.
 */
import { lazy, Suspense, useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import { api, ApiError } from "../api/client";
import { useSession } from "../api/useSession";
import { FullPageSpinner } from "../components/ui";
import type { ReplayData } from "./replayModel";
import type { Loaded } from "./ReplayView";

// Started when this chunk runs, not when the record has arrived.
const view = import("./ReplayView");
const Replay = lazy(() => view.then((m) => ({ default: m.Replay })));

export default function ReplayPage() {
  const { roomId = "" } = useParams();
  const state = useSession();
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ text: string; language?: string | null } | null>(null);
  const [params] = useSearchParams();
  const at = params.get("t");
  // The code of the moment shown first, from a small answer (the text alone), while the whole
  // record loads: `?t=` in seconds needs the record's start, so only without it or as a time.
  useEffect(() => {
    if (state.kind !== "user" || (at !== null && /^\d+(\.\d+)?$/.test(at))) return;
    const controller = new AbortController();
    const query = at ? `?at=${encodeURIComponent(at)}` : "";
    api<{ text: string; language?: string | null }>(`/api/rooms/${roomId}/history/code${query}`, { signal: controller.signal })
      .then((doc) => {
        if (!controller.signal.aborted) setPreview(doc);
      })
      .catch(() => undefined);
    return () => controller.abort();
  }, [roomId, state.kind, at]);
  useEffect(() => {
    if (state.kind !== "user") return;
    const controller = new AbortController();
    api<ReplayData>(`/api/rooms/${roomId}/replay`, { signal: controller.signal })
      .then(async (replay) => {
        const { inflateFrames } = await view;
        const [code, notes] = await Promise.all([inflateFrames(replay.docs.code), inflateFrames(replay.docs.notes)]);
        if (!controller.signal.aborted) setData({ replay, frames: { code, notes } });
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e instanceof ApiError && e.status === 404 ? "Interview not found" : e instanceof Error ? e.message : "Could not load the replay");
      });
    return () => controller.abort();
  }, [roomId, state.kind]);
  if (state.kind === "loading") return <FullPageSpinner label="Loading the replay…" />;
  if (state.kind !== "user") return <Message title="Replays are for interviewers" text="Sign in with your interviewer account to watch this interview." />;
  if (error) return <Message title={error} text="" />;
  if (!data) return preview ? <Preview text={preview.text} /> : <FullPageSpinner label="Loading the replay…" />;
  return (
    <Suspense fallback={preview ? <Preview text={preview.text} /> : <FullPageSpinner label="Loading the replay…" />}>
      <Replay data={data.replay} frames={data.frames} />
    </Suspense>
  );
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
