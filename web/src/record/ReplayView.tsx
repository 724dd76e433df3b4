/**
 * The replay of an interview (ended or live): a read-only editor with the code at the
 * playhead, each author's characters in their colour, a scrubber with a marker per event,
 * play/pause at 1x-32x, idle stretches skipped, step between events, and the chat, the run
 * output and the notes of that moment beside it. `?t=` (seconds from the start, or an ISO
 * time) opens it at a moment. A chunk of its own (it brings Monaco and Yjs), loaded by
 * `ReplayPage` while it paints the code of the moment from a small answer.
 */
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { FullPageSpinner } from "../components/ui";
import { personColor } from "../lib/colors";
import { formatDuration } from "../lib/time";
import { useTitle } from "../lib/useTitle";
import { monaco } from "../room/monaco";
import { describeActivity } from "./activity";
import { DocTimeline, inflateFrames, MARKER_KINDS, nextActivity, parseT, replaySpan, type Frame, type ReplayData, type ReplayEvent } from "./replayModel";

const SPEEDS = [1, 2, 4, 8, 16, 32] as const;
// The whiteboard at the playhead brings Excalidraw: loaded when its tab is first opened.
const BoardReplay = lazy(() => import("../room/BoardReplay").then((m) => ({ default: m.BoardReplay })));
const IDLE_MS = 3000; // a stretch with nothing happening longer than this is skipped

declare global {
  interface Window {
    /** For benchmarks and browser tests: seek and say how long it took (ms). */
    codepairReplay?: { start: number; end: number; seek: (ms: number) => number; text: () => string; markers: number; indexed: () => boolean };
  }
}

export { inflateFrames };

export interface Loaded {
  replay: ReplayData;
  frames: { code: Frame[]; notes: Frame[] };
}

export function Replay({ data, frames }: { data: ReplayData; frames: Loaded["frames"] }) {
  useTitle(`Replay: ${data.room.title || data.room.candidate_name}`);
  const [params, setParams] = useSearchParams();
  const code = useMemo(() => new DocTimeline(data.docs.code ?? { updates: [] }, frames.code), [data, frames]);
  const notes = useMemo(() => new DocTimeline(data.docs.notes ?? { updates: [] }, frames.notes), [data, frames]);
  const span = useMemo(() => replaySpan(data, code), [data, code]);
  const events = data.events;
  const [t, setT] = useState(() => {
    const fromUrl = parseT(params.get("t"), span.start);
    return fromUrl === null ? span.end : Math.min(span.end, Math.max(span.start, fromUrl));
  });
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<(typeof SPEEDS)[number]>(4);
  const [skipIdle, setSkipIdle] = useState(true);
  const [side, setSide] = useState<"chat" | "events" | "notes">("chat");
  const [view, setView] = useState<"code" | "board">("code");
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const shown = useRef<{ index: number; text: string }>({ index: -2, text: "" });
  const tRef = useRef(t);
  tRef.current = t;

  const authorCss = useMemo(
    () =>
      data.authors
        .map((a, i) => `.replay-author-${i}{background:${personColor(a.role, a.name)}33;border-bottom:2px solid ${personColor(a.role, a.name)}}`)
        .join("\n"),
    [data.authors],
  );

  /** The author colours of the lines on the screen (and a screenful either side), not of the
   * whole text: a seek or a scroll decorates a few dozen runs, however long the code is. */
  const colour = useMemo(
    () => () => {
      const editor = editorRef.current;
      const model = editor?.getModel();
      if (!editor || !model) return;
      const visible = editor.getVisibleRanges();
      const top = visible[0]?.startLineNumber ?? 1;
      const bottom = visible.at(-1)?.endLineNumber ?? model.getLineCount();
      const margin = bottom - top + 1;
      const firstLine = Math.max(1, top - margin);
      const lastLine = Math.min(model.getLineCount(), bottom + margin);
      const from = model.getOffsetAt({ lineNumber: firstLine, column: 1 });
      const to = model.getOffsetAt({ lineNumber: lastLine, column: model.getLineMaxColumn(lastLine) });
      const ranges = [];
      for (const run of code.authorRuns()) {
        if (run.end < from || run.author < 0) continue;
        if (run.start > to) break;
        const a = model.getPositionAt(Math.max(run.start, from));
        const b = model.getPositionAt(Math.min(run.end, to));
        ranges.push({ range: new monaco.Range(a.lineNumber, a.column, b.lineNumber, b.column), options: { inlineClassName: `replay-author-${run.author}` } });
      }
      decorations.current?.set(ranges);
    },
    [code],
  );

  /** Paint the code at `ms` (synchronous: the time it takes is the seek's cost). */
  const paint = useMemo(
    () => (ms: number) => {
      const editor = editorRef.current;
      const model = editor?.getModel();
      if (!editor || !model) return;
      const index = code.indexAt(ms);
      if (index === shown.current.index) return;
      code.seekIndex(index);
      const text = code.text();
      if (text !== shown.current.text) {
        const old = model.getValue();
        let head = 0;
        const most = Math.min(old.length, text.length);
        while (head < most && old.charCodeAt(head) === text.charCodeAt(head)) head++;
        let tail = 0;
        while (tail < most - head && old.charCodeAt(old.length - 1 - tail) === text.charCodeAt(text.length - 1 - tail)) tail++;
        const from = model.getPositionAt(head);
        const to = model.getPositionAt(old.length - tail);
        model.applyEdits([{ range: new monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column), text: text.slice(head, text.length - tail) }]);
        const language = code.language() ?? data.room.language;
        if (model.getLanguageId() !== language) monaco.editor.setModelLanguage(model, language);
      }
      shown.current = { index, text };
      colour();
    },
    [code, data.room.language, colour],
  );

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const model = monaco.editor.createModel("", data.room.language);
    model.setEOL(monaco.editor.EndOfLineSequence.LF);
    const editor = monaco.editor.create(element, {
      model,
      readOnly: true,
      readOnlyMessage: { value: "This is a replay." },
      theme: "vs-dark",
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 14,
      scrollBeyondLastLine: false,
      ariaLabel: "Code at the playhead",
    });
    editorRef.current = editor;
    decorations.current = editor.createDecorationsCollection();
    const scrolled = editor.onDidScrollChange((e) => {
      if (e.scrollTopChanged) colour();
    });
    shown.current = { index: -2, text: "" };
    paint(tRef.current);
    // Once the first paint is on the screen: the text index (every update turned into text
    // splices, a checkpoint every 100), built in steps of 16 ms so the page stays responsive.
    // Seeks then apply at most 100 splices to a string instead of a keyframe to a Y.Doc; it
    // also learns every client's author, so characters that came in a keyframe get a colour.
    // (A MessageChannel yields to the page between steps without setTimeout's 4 ms clamp.)
    const channel = new MessageChannel();
    let stopped = false;
    channel.port1.onmessage = () => {
      if (stopped) return;
      if (!code.buildIndex(16)) {
        channel.port2.postMessage(null);
        return;
      }
      shown.current.index = -2;
      paint(tRef.current);
    };
    const learn = setTimeout(() => channel.port2.postMessage(null), 50);
    window.codepairReplay = {
      start: span.start,
      end: span.end,
      markers: events.length,
      indexed: () => code.indexed,
      seek: (ms: number) => {
        const began = performance.now();
        paint(ms);
        const took = performance.now() - began;
        setT(ms);
        return took;
      },
      text: () => model.getValue(),
    };
    return () => {
      clearTimeout(learn);
      stopped = true;
      channel.port1.close();
      scrolled.dispose();
      delete window.codepairReplay;
      editor.dispose();
      model.dispose();
      editorRef.current = null;
    };
  }, [code, data.room.language, paint, colour, span, events.length]);

  useEffect(() => {
    paint(t);
    notes.seekIndex(notes.indexAt(t));
  }, [t, paint, notes]);

  // Playback: the playhead moves `speed` times faster than the clock, skipping idle stretches.
  useEffect(() => {
    if (!playing) return;
    let last = performance.now();
    let frame = requestAnimationFrame(function step(now) {
      let next = tRef.current + (now - last) * speed;
      last = now;
      if (skipIdle) {
        const upcoming = nextActivity(code, events, tRef.current);
        if (upcoming !== null && upcoming - tRef.current > IDLE_MS) next = Math.max(next, upcoming - 250);
      }
      if (next >= span.end) {
        setT(span.end);
        setPlaying(false);
        return;
      }
      setT(next);
      frame = requestAnimationFrame(step);
    });
    return () => cancelAnimationFrame(frame);
  }, [playing, speed, skipIdle, code, events, span.end]);

  // The URL follows the playhead when it stops, so the link always opens this moment.
  useEffect(() => {
    if (playing) return;
    const seconds = ((t - span.start) / 1000).toFixed(1);
    if (params.get("t") !== seconds) setParams({ t: seconds }, { replace: true });
  }, [playing, t, span.start, params, setParams]);

  const seekTo = (ms: number) => setT(Math.min(span.end, Math.max(span.start, ms)));
  const eventTimes = events.map((e) => Date.parse(e.at));
  const step = (direction: 1 | -1) => {
    const target = direction > 0 ? eventTimes.find((x) => x > t + 1) : [...eventTimes].reverse().find((x) => x < t - 1);
    if (target !== undefined) seekTo(target);
  };
  const past = events.filter((e) => Date.parse(e.at) <= t);
  const chat = past.filter((e) => e.type === "chat");
  const run = [...data.runs].reverse().find((r) => Date.parse(r.created_at) <= t);
  const runDone = run && run.finished_at && Date.parse(run.finished_at) <= t;
  const duration = span.end - span.start;
  const at = (ms: number) => `${((ms - span.start) / duration) * 100}%`;

  // The markers do not move with the playhead: one element list, so React skips them on a seek.
  const markers = useMemo(
    () => {
      const left = (ms: number) => `${((ms - span.start) / (span.end - span.start)) * 100}%`;
      return events.map((e) => (
            <button
              key={e.id}
              type="button"
              title={`${formatDuration(Date.parse(e.at) - span.start)} ${describeEvent(e)}`}
              aria-label={describeEvent(e)}
              data-testid={`marker-${e.type}`}
              className="absolute top-0 z-10 h-6 w-1.5 -translate-x-1/2 rounded-sm opacity-80 hover:opacity-100"
              style={{ left: left(Date.parse(e.at)), background: MARKER_KINDS[e.type]?.color ?? "#94a3b8" }}
              onClick={() => {
                setPlaying(false);
                setT(Math.min(span.end, Math.max(span.start, Date.parse(e.at))));
              }}
            />
      ));
    },
    [events, span],
  );

  return (
    <div className="flex h-screen flex-col bg-slate-950 text-slate-100" data-testid="replay">
      <style>{authorCss}</style>
      <header className="flex h-12 shrink-0 items-center gap-4 border-b border-slate-800 px-4">
        <Link to="/" aria-label="Back to interviews">
          <img src="/favicon.svg" alt="" className="h-6 w-6" />
        </Link>
        <div className="min-w-0">
          <div className="truncate text-sm font-semibold">Replay: {data.room.title || `Interview with ${data.room.candidate_name}`}</div>
          <div className="truncate text-[11px] text-slate-400">
            Candidate: {data.room.candidate_name} · {data.room.ended_at ? "ended" : "live (as of loading)"}
          </div>
        </div>
        <div className="ml-auto flex items-center gap-3 text-xs" aria-label="Authors">
          {data.authors
            .filter((a) => a.role !== "system")
            .map((a) => (
              <span key={a.id} className="flex items-center gap-1">
                <span className="h-2.5 w-2.5 rounded-full" style={{ background: personColor(a.role, a.name) }} />
                {a.name}
              </span>
            ))}
        </div>
      </header>

      <div className="flex min-h-0 flex-1">
        <main className="flex min-w-0 flex-1 flex-col">
          <div role="tablist" aria-label="Replay view" className="flex h-9 shrink-0 items-center gap-1 border-b border-slate-800 px-3">
            {(["code", "board"] as const).map((v) => (
              <button
                key={v}
                type="button"
                role="tab"
                aria-selected={view === v}
                onClick={() => setView(v)}
                className={`rounded px-2.5 py-1 text-xs font-medium ${view === v ? "bg-slate-700 text-white" : "text-slate-400 hover:text-slate-200"}`}
              >
                {v === "code" ? "Code" : "Board"}
              </button>
            ))}
          </div>
          <div ref={host} className={view === "code" ? "min-h-0 flex-1" : "hidden"} data-testid="replay-editor" />
          {view === "board" && (
            <div className="min-h-0 flex-1">
              <Suspense fallback={<FullPageSpinner label="Loading the board…" />}>
                <BoardReplay roomId={data.room.id} at={t} />
              </Suspense>
            </div>
          )}
          <div className="h-40 shrink-0 overflow-auto border-t border-slate-800 bg-slate-900 p-3 font-mono text-xs" data-testid="replay-run">
            {run ? (
              <>
                <div className="mb-1 text-slate-400">
                  Run by {run.author.name} ({run.language}) at {formatDuration(Date.parse(run.created_at) - span.start)}: {runDone ? run.status : "running…"}
                </div>
                {runDone && <pre className="whitespace-pre-wrap text-slate-200">{run.stdout || run.compile_output || run.stderr || "(no output)"}</pre>}
                {runDone && run.stdout && run.stderr && <pre className="whitespace-pre-wrap text-rose-300">{run.stderr}</pre>}
              </>
            ) : (
              <span className="text-slate-500">No run yet at this moment.</span>
            )}
          </div>
        </main>
        <aside className="flex w-[360px] shrink-0 flex-col border-l border-slate-800 bg-white text-slate-900">
          <div role="tablist" className="flex border-b border-slate-200 px-2">
            {(["chat", "events", "notes"] as const).map((s) => (
              <button
                key={s}
                type="button"
                role="tab"
                aria-selected={side === s}
                onClick={() => setSide(s)}
                className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium capitalize ${side === s ? "border-indigo-500 text-indigo-700" : "border-transparent text-slate-500"}`}
              >
                {s}
              </button>
            ))}
          </div>
          <div className="min-h-0 flex-1 overflow-auto p-3 text-sm" data-testid={`replay-${side}`}>
            {side === "chat" &&
              (chat.length ? (
                chat.map((e) => (
                  <div key={e.id} className="mb-2">
                    <span className="font-medium">{e.actor?.name}</span> <span className="text-xs text-slate-400">{formatDuration(Date.parse(e.at) - span.start)}</span>
                    <div className="whitespace-pre-wrap">{String(e.text ?? "")}</div>
                  </div>
                ))
              ) : (
                <p className="text-slate-400">No chat yet at this moment.</p>
              ))}
            {side === "events" && (
              <ol>
                {events.map((e) => (
                  <li key={e.id}>
                    <button
                      type="button"
                      className={`w-full rounded px-1 py-0.5 text-left hover:bg-slate-100 ${Date.parse(e.at) <= t ? "" : "text-slate-400"}`}
                      onClick={() => seekTo(Date.parse(e.at))}
                    >
                      <span className="mr-2 font-mono text-xs text-slate-400">{formatDuration(Date.parse(e.at) - span.start)}</span>
                      {describeEvent(e)}
                    </button>
                  </li>
                ))}
              </ol>
            )}
            {side === "notes" && <pre className="font-sans whitespace-pre-wrap">{notes.notesText() || "No notes yet at this moment."}</pre>}
          </div>
        </aside>
      </div>

      <footer className="shrink-0 border-t border-slate-800 bg-slate-900 px-4 py-3">
        <div className="relative h-6" data-testid="scrubber">
          <div className="absolute top-1/2 right-0 left-0 h-1 -translate-y-1/2 rounded bg-slate-700" />
          <div className="absolute top-1/2 left-0 h-1 -translate-y-1/2 rounded bg-indigo-500" style={{ width: at(t) }} />
          {markers}
          <input
            type="range"
            aria-label="Playhead"
            className="absolute inset-0 w-full cursor-pointer opacity-0"
            min={span.start}
            max={span.end}
            step={100}
            value={t}
            onChange={(e) => seekTo(Number(e.target.value))}
          />
        </div>
        <div className="mt-2 flex items-center gap-3 text-xs">
          <button type="button" className="rounded px-2 py-1 ring-1 ring-slate-700 hover:bg-slate-800" onClick={() => step(-1)} aria-label="Previous event">
            ◀ event
          </button>
          <button
            type="button"
            className="w-16 rounded bg-indigo-600 px-2 py-1 font-medium text-white hover:bg-indigo-500"
            data-testid="play"
            onClick={() => {
              if (!playing && t >= span.end) setT(span.start);
              setPlaying((p) => !p);
            }}
          >
            {playing ? "Pause" : "Play"}
          </button>
          <button type="button" className="rounded px-2 py-1 ring-1 ring-slate-700 hover:bg-slate-800" onClick={() => step(1)} aria-label="Next event">
            event ▶
          </button>
          <select aria-label="Speed" className="rounded bg-slate-800 py-1 pr-7 pl-2 text-xs" value={speed} onChange={(e) => setSpeed(Number(e.target.value) as (typeof SPEEDS)[number])}>
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}x
              </option>
            ))}
          </select>
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={skipIdle} onChange={(e) => setSkipIdle(e.target.checked)} /> Skip idle
          </label>
          <span className="font-mono text-slate-300" data-testid="replay-time">
            {formatDuration(t - span.start)} / {formatDuration(duration)}
          </span>
          <span className="text-slate-500">{new Date(t).toLocaleString()}</span>
          <div className="ml-auto flex flex-wrap gap-2 text-[11px] text-slate-400">
            {Object.entries(MARKER_KINDS)
              .filter(([kind]) => events.some((e) => e.type === kind))
              .map(([kind, { label, color }]) => (
                <span key={kind} className="flex items-center gap-1">
                  <span className="h-2 w-2 rounded-sm" style={{ background: color }} />
                  {label}
                </span>
              ))}
          </div>
        </div>
      </footer>
    </div>
  );
}

function describeEvent(e: ReplayEvent): string {
  const who = e.actor?.name ?? "";
  switch (e.type) {
    case "joined":
      return `${who} joined`;
    case "left":
      return `${who} left`;
    case "chat":
      return `${who}: ${String(e.text ?? "").slice(0, 80)}`;
    case "run":
      return `${who} ran the code (${String(e.language ?? "")}): ${String(e.status ?? "")}`;
    case "language":
      return `${who} switched to ${String(e.language ?? "")}`;
    case "paste":
    case "focus_lost":
    case "focus_returned":
      return describeActivity({
        kind: e.type,
        name: who,
        chars: typeof e.chars === "number" ? e.chars : undefined,
        external: typeof e.external === "boolean" ? e.external : undefined,
        away_seconds: typeof e.away_seconds === "number" ? e.away_seconds : undefined,
      });
    case "question":
      return `Question presented: ${String(e.title ?? "")}`;
    case "ended":
      return "The interview ended";
    default:
      return e.type;
  }
}
