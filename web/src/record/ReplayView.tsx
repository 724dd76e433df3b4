/**
 * The replay of an interview (ended or live): a read-only editor with the code at the
 * playhead, each author's characters in their colour, a scrubber with a marker per event,
 * play/pause at 1x-32x, idle stretches skipped, step between events, and the chat, the run
 * output and the notes of that moment beside it. `?t=` (seconds from the start, or an ISO
 * time) opens it at a moment. A chunk of its own (it brings Monaco and Yjs), loaded by
 * `ReplayPage` while it paints the code of the moment from a small answer.
 */
import { lazy, memo, Suspense, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { FullPageSpinner } from "../components/ui";
import { personColor } from "../lib/colors";
import { formatDuration } from "../lib/time";
import { useTitle } from "../lib/useTitle";
import { monaco } from "../room/monaco";
import { ReplayTree } from "../projects/ReplayTree";
import { describeEvent } from "./eventText";
import { ChatList, EventsList, NotesView, RunOutput } from "./ReplayPanels";
import { AiList } from "../ai/AiReplay";
import type { Loaded } from "./replayLoad";
import { lastAtOrBefore, MARKER_KINDS, nextActivity, replaySpan, type ReplayData } from "./replayModel";

export { loadReplay } from "./replayLoad";

const SPEEDS = [1, 2, 4, 8, 16, 32] as const;
// The whiteboard at the playhead brings Excalidraw: loaded when its tab is first opened.
const BoardReplay = lazy(() => import("../room/BoardReplay").then((m) => ({ default: m.BoardReplay })));
// The terminal at the playhead brings xterm.js: loaded when its tab is first opened.
const TerminalReplay = lazy(() => import("../terminal/TerminalReplay").then((m) => ({ default: m.TerminalReplay })));
const IDLE_MS = 3000; // a stretch with nothing happening longer than this is skipped

declare global {
  interface Window {
    /** For benchmarks and browser tests: seek and say how long it took (ms). */
    codepairReplay?: { start: number; end: number; seek: (ms: number) => number; text: () => string; markers: number; indexed: () => boolean };
  }
}

/** How long the playhead rests before the URL follows it (a router navigation per seek
 * would re-render the page on every step of a drag). */
const URL_FOLLOWS_MS = 250;

export function Replay({ loaded, boardEnd }: { loaded: Loaded; boardEnd: number | null }) {
  const { replay: data, code, notes } = loaded;
  useTitle(`Replay: ${data.room.title || data.room.candidate_name}`);
  const [params, setParams] = useSearchParams();
  // The terminal's record is loaded with its tab; its last output may come after everything
  // else of a live room, and the span then reaches it.
  const [terminalEnd, setTerminalEnd] = useState<number | null>(null);
  const lastOther = boardEnd === null || terminalEnd === null ? (boardEnd ?? terminalEnd) : Math.max(boardEnd, terminalEnd);
  const span = useMemo(() => replaySpan(data, code, lastOther), [data, code, lastOther]);
  const events = data.events;
  const markerCount = useMemo(() => events.filter((e) => e.type !== "file_opened").length, [events]);
  const [t, setT] = useState(() => (loaded.atEnd ? span.end : loaded.opening));
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<(typeof SPEEDS)[number]>(4);
  const [skipIdle, setSkipIdle] = useState(true);
  const [side, setSide] = useState<"chat" | "ai" | "events" | "notes">("chat");
  const [view, setView] = useState<"code" | "board" | "terminal">("code");
  // A project's file other than the entry, chosen in the tree: its text at the playhead.
  const [file, setFile] = useState<{ path: string | null; text: string | null }>({ path: null, text: null });
  const chooseFile = useCallback((path: string | null, text: string | null) => setFile({ path, text }), []);
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

  const spanRef = useRef(span);
  spanRef.current = span;

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    performance.mark("replay:mount");
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
    performance.mark("replay:editor");
    decorations.current = editor.createDecorationsCollection();
    const scrolled = editor.onDidScrollChange((e) => {
      if (e.scrollTopChanged) colour();
    });
    shown.current = { index: -2, text: "" };
    paint(tRef.current);
    performance.mark("replay:painted");
    window.codepairReplay = {
      get start() {
        return spanRef.current.start;
      },
      get end() {
        return spanRef.current.end;
      },
      markers: markerCount,
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
      scrolled.dispose();
      delete window.codepairReplay;
      editor.dispose();
      model.dispose();
      editorRef.current = null;
    };
  }, [code, data.room.language, paint, colour, markerCount]);

  // The text index is built in a worker from the moment the record arrived (`loadReplay`);
  // until it is in, seeks take the Y.Doc path. Once in, the code is painted again from it
  // (the same text; the authors of the characters that came in a keyframe are known now).
  useEffect(() => {
    let live = true;
    void loaded.indexed.then(() => {
      if (!live) return;
      shown.current.index = -2;
      paint(tRef.current);
    });
    return () => {
      live = false;
    };
  }, [loaded.indexed, paint]);

  // Before the browser paints the new playhead (a passive effect would show it a frame late).
  useLayoutEffect(() => paint(t), [t, paint]);

  // The board's last drawing may arrive after the first paint and move the end: a playhead
  // that stands at the end (the page opened there and nobody moved it) moves with it.
  const lastEnd = useRef(span.end);
  useEffect(() => {
    if (span.end !== lastEnd.current && tRef.current === lastEnd.current) setT(span.end);
    lastEnd.current = span.end;
  }, [span.end]);

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

  // The URL follows the playhead once it rests, so the link always opens this moment.
  useEffect(() => {
    if (playing) return;
    const seconds = ((t - span.start) / 1000).toFixed(1);
    if (params.get("t") === seconds) return;
    const timer = setTimeout(() => setParams({ t: seconds }, { replace: true }), URL_FOLLOWS_MS);
    return () => clearTimeout(timer);
  }, [playing, t, span.start, params, setParams]);

  const seekTo = useCallback((ms: number) => setT(Math.min(spanRef.current.end, Math.max(spanRef.current.start, ms))), []);
  const eventTimes = useMemo(() => events.map((e) => Date.parse(e.at)), [events]);
  const chat = useMemo(() => events.filter((e) => e.type === "chat"), [events]);
  const chatTimes = useMemo(() => chat.map((e) => Date.parse(e.at)), [chat]);
  // The AI assistant's conversation at the playhead (docs/ai.md): its tab shows when there was one.
  const aiEvents = useMemo(() => events.filter((e) => e.type === "ai"), [events]);
  const aiTimes = useMemo(() => aiEvents.map((e) => Date.parse(e.at)), [aiEvents]);
  const pastAi = lastAtOrBefore(aiTimes, t) + 1;
  const runTimes = useMemo(() => data.runs.map((r) => Date.parse(r.created_at)), [data.runs]);
  const step = (direction: 1 | -1) => {
    const target = direction > 0 ? eventTimes.find((x) => x > t + 1) : [...eventTimes].reverse().find((x) => x < t - 1);
    if (target !== undefined) seekTo(target);
  };
  // What the panels depend on: counts and indexes that change only when the playhead crosses
  // an event, a run, a note (binary searches: the events and runs are oldest first).
  const pastEvents = lastAtOrBefore(eventTimes, t) + 1;
  const pastChat = lastAtOrBefore(chatTimes, t) + 1;
  const run = data.runs[lastAtOrBefore(runTimes, t)];
  const runDone = Boolean(run?.finished_at && Date.parse(run.finished_at) <= t);
  const notesIndex = side === "notes" ? notes.indexAt(t) : -1;
  const duration = span.end - span.start;

  // The markers do not move with the playhead: one element list, so React skips them on a seek.
  const markers = useMemo(() => {
    const left = (ms: number) => `${((ms - span.start) / (span.end - span.start)) * 100}%`;
    // Opening a file is not a moment to jump to (the tree shows who had which file open).
    return events.filter((e) => e.type !== "file_opened").map((e) => (
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
  }, [events, span]);
  const legend = useMemo(
    () =>
      Object.entries(MARKER_KINDS)
        .filter(([kind]) => events.some((e) => e.type === kind))
        .filter(([, { label }], i, all) => all.findIndex(([, other]) => other.label === label) === i)
        .map(([kind, { label, color }]) => (
          <span key={kind} className="flex items-center gap-1">
            <span className="h-2 w-2 rounded-sm" style={{ background: color }} />
            {label}
          </span>
        )),
    [events],
  );

  return (
    <div className="flex h-screen flex-col bg-slate-950 text-slate-100" data-testid="replay">
      <style>{authorCss}</style>
      <Header data={data} />

      <div className="flex min-h-0 flex-1">
        <main className="flex min-w-0 flex-1 flex-col">
          <div role="tablist" aria-label="Replay view" className="flex h-9 shrink-0 items-center gap-1 border-b border-slate-800 px-3">
            {(["code", "board", "terminal"] as const).map((v) => (
              <button
                key={v}
                type="button"
                role="tab"
                aria-selected={view === v}
                onClick={() => setView(v)}
                className={`rounded px-2.5 py-1 text-xs font-medium ${view === v ? "bg-slate-700 text-white" : "text-slate-400 hover:text-slate-200"}`}
              >
                {v === "code" ? "Code" : v === "board" ? "Board" : "Terminal"}
              </button>
            ))}
          </div>
          <div className={view === "code" ? "flex min-h-0 flex-1" : "hidden"}>
            <ReplayTree roomId={data.room.id} at={t} events={events} selected={file.path} onSelect={chooseFile} />
            <div className="relative min-w-0 flex-1">
              <div ref={host} className="h-full w-full" data-testid="replay-editor" />
              {file.path !== null && (
                <pre className="absolute inset-0 overflow-auto bg-slate-950 p-3 font-mono text-[13px] text-slate-200" data-testid="replay-file" data-path={file.path}>
                  {file.text ?? `${file.path} did not exist at this moment.`}
                </pre>
              )}
            </div>
          </div>
          {view === "board" && (
            <div className="min-h-0 flex-1">
              <Suspense fallback={<FullPageSpinner label="Loading the board…" />}>
                <BoardReplay roomId={data.room.id} at={t} />
              </Suspense>
            </div>
          )}
          {view === "terminal" && (
            <div className="min-h-0 flex-1">
              <Suspense fallback={<FullPageSpinner label="Loading the terminal…" />}>
                <TerminalReplay roomId={data.room.id} at={t} onEnd={setTerminalEnd} />
              </Suspense>
            </div>
          )}
          <RunOutput run={run} done={runDone} start={span.start} />
        </main>
        <aside className="flex w-[360px] shrink-0 flex-col border-l border-slate-800 bg-white text-slate-900">
          <div role="tablist" className="flex border-b border-slate-200 px-2">
            {(aiEvents.length ? (["chat", "ai", "events", "notes"] as const) : (["chat", "events", "notes"] as const)).map((s) => (
              <button
                key={s}
                type="button"
                role="tab"
                aria-selected={side === s}
                onClick={() => setSide(s)}
                className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium capitalize ${side === s ? "border-indigo-500 text-indigo-700" : "border-transparent text-slate-500"}`}
              >
                {s === "ai" ? "AI" : s}
              </button>
            ))}
          </div>
          <div className="min-h-0 flex-1 overflow-auto p-3 text-sm" data-testid={`replay-${side}`}>
            {side === "chat" && <ChatList chat={chat} count={pastChat} start={span.start} />}
            {side === "ai" && <AiList events={aiEvents} count={pastAi} start={span.start} />}
            {side === "events" && <EventsList events={events} times={eventTimes} count={pastEvents} start={span.start} onSeek={seekTo} />}
            {side === "notes" && <NotesView notes={notes} index={notesIndex} />}
          </div>
        </aside>
      </div>

      <footer className="shrink-0 border-t border-slate-800 bg-slate-900 px-4 py-3">
        <div className="relative h-6" data-testid="scrubber">
          <div className="absolute top-1/2 right-0 left-0 h-1 -translate-y-1/2 rounded bg-slate-700" />
          <div className="absolute top-1/2 left-0 h-1 -translate-y-1/2 rounded bg-indigo-500" style={{ width: `${((t - span.start) / duration) * 100}%` }} />
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
          <div className="ml-auto flex flex-wrap gap-2 text-[11px] text-slate-400">{legend}</div>
        </div>
      </footer>
    </div>
  );
}

/** The room's title and the authors' colours: the same for the whole replay. */
const Header = memo(function Header({ data }: { data: ReplayData }) {
  return (
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
  );
});
