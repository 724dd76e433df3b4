/** Run the shared code: stdin, live output, and the room's run history. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { languagesQuery, readRun, roomKeys, runsQuery, startRun } from "../api/queries";
import type { Run, RunLanguage, RunStatus } from "../api/types";
import type { LiveRun } from "./useRoomRealtime";

const STATUS_TEXT: Record<RunStatus, string> = {
  queued: "Queued",
  running: "Running…",
  ok: "Finished",
  compile_error: "Compile error",
  runtime_error: "Runtime error",
  time_limit: "Time limit exceeded",
  memory_limit: "Memory limit exceeded",
  output_limit: "Output limit exceeded",
  internal_error: "Could not run",
};

const FINAL = new Set<RunStatus>(["ok", "compile_error", "runtime_error", "time_limit", "memory_limit", "output_limit", "internal_error"]);

interface Props {
  roomId: string;
  language: string;
  liveRuns: Record<string, LiveRun>;
  enabled: boolean;
  /** Set to "run now" while running is possible, for the editor's Ctrl/Cmd+Enter. */
  runRef: React.RefObject<(() => void) | null>;
}

export function RunPanel({ roomId, language, liveRuns, enabled, runRef }: Props) {
  const queryClient = useQueryClient();
  const [stdin, setStdin] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const history = useQuery({ ...runsQuery(roomId), enabled });
  const languages = useQuery({ ...languagesQuery, enabled });
  const runnable = languages.data?.items.find((l) => l.id === language);
  const unsupported = languages.data !== undefined && runnable === undefined;
  // Why no Run button: the server runs no code at all, or not this language (it says why).
  const runsOff = languages.data?.runs_off ?? null;
  const cannotRun = languages.data?.unavailable?.find((l) => l.id === language)?.reason ?? null;
  const run = useMutation({
    mutationFn: () => startRun(roomId, { language, stdin }),
    onSuccess: (started) => {
      setSelected(String(started.id));
      queryClient.setQueryData<Run[]>(roomKeys.runs(roomId), (old) => [started, ...(old ?? []).filter((r) => r.id !== started.id)]);
    },
  });

  const runs = mergeRuns(history.data ?? [], liveRuns);
  const current = runs.find((r) => String(r.id) === selected) ?? runs[0] ?? null;

  // Poll an unfinished run in case its events do not reach this page.
  const pending = current && !FINAL.has(current.status) ? current.id : null;
  useEffect(() => {
    if (pending === null) return;
    const timer = setInterval(() => {
      void readRun(roomId, pending)
        .then((fresh) => {
          queryClient.setQueryData<Run[]>(roomKeys.runs(roomId), (old) => (old ?? []).map((r) => (r.id === fresh.id ? fresh : r)));
        })
        .catch(() => undefined);
    }, 1000);
    return () => clearInterval(timer);
  }, [pending, roomId, queryClient]);

  const busy = run.isPending || (current !== null && !FINAL.has(current.status));
  const canRun = enabled && !busy && !unsupported;
  const { mutate } = run;
  useEffect(() => {
    runRef.current = canRun ? () => mutate() : null;
    return () => {
      runRef.current = null;
    };
  }, [canRun, mutate, runRef]);
  return (
    <div className="flex h-full min-h-0 text-sm">
      <div className="flex w-64 shrink-0 flex-col gap-2 border-r border-slate-800 p-2">
        {enabled && (runsOff || unsupported) ? (
          <p className="rounded-md bg-amber-950 px-2 py-1.5 text-xs text-amber-200 ring-1 ring-amber-800" data-testid="runs-off" role="status">
            {runsOff ?? cannotRun ?? `This server cannot run ${language}.`}
          </p>
        ) : (
          <button
            type="button"
            onClick={() => run.mutate()}
            disabled={!canRun}
            className="rounded-md bg-emerald-600 px-3 py-1.5 font-medium text-white hover:bg-emerald-500 disabled:bg-emerald-900 disabled:text-emerald-300"
            title={enabled ? "Run the code (Ctrl+Enter in the editor)" : "Runs are turned off for this room"}
          >
            {busy ? "Running…" : "▶ Run"}
          </button>
        )}
        <p className="text-[11px] text-slate-400" data-testid="run-language">
          {!enabled
            ? "Runs are off in this room."
            : runsOff || unsupported
              ? "\u00a0"
              : runnable
                ? runLabel(runnable)
                : languages.error
                  ? "The code runner is unavailable."
                  : "\u00a0"}
        </p>
        <label className="text-[11px] font-medium tracking-wide text-slate-400 uppercase" htmlFor="run-stdin">
          Input (stdin)
        </label>
        <textarea
          id="run-stdin"
          className="min-h-0 flex-1 resize-none rounded-md border-0 bg-slate-950 p-2 font-mono text-xs text-slate-200 ring-1 ring-slate-800 focus:ring-indigo-500"
          value={stdin}
          onChange={(e) => setStdin(e.target.value)}
        />
      </div>
      <div className="flex min-w-0 flex-1 flex-col">
        {run.error && <div className="bg-rose-950 px-3 py-1.5 text-xs text-rose-200">{run.error.message}</div>}
        {current ? (
          <>
            <div className="flex items-center gap-3 border-b border-slate-800 px-3 py-1.5 text-xs">
              <span className={current.status === "ok" ? "text-emerald-400" : FINAL.has(current.status) ? "text-rose-400" : "text-sky-300"} data-testid="run-status">
                {STATUS_TEXT[current.status] ?? current.status}
              </span>
              {current.exit_code !== null && current.exit_code !== undefined && <span className="text-slate-400">exit {current.exit_code}</span>}
              {current.wall_ms != null && <span className="text-slate-400">{current.wall_ms} ms</span>}
              {current.author && <span className="text-slate-500">by {current.author.name}</span>}
              {current.truncated && <span className="text-amber-300">output truncated</span>}
              <select
                aria-label="Run history"
                className="ml-auto rounded border-0 bg-slate-800 py-0.5 text-xs text-slate-200"
                value={String(current.id)}
                onChange={(e) => setSelected(e.target.value)}
              >
                {runs.map((r, i) => (
                  <option key={r.id} value={String(r.id)}>
                    Run {runs.length - i} · {r.language ?? ""} · {STATUS_TEXT[r.status] ?? r.status}
                  </option>
                ))}
              </select>
            </div>
            <pre className="min-h-0 flex-1 overflow-auto px-3 py-2 font-mono text-xs whitespace-pre-wrap text-slate-200" data-testid="run-output">
              {current.compile_output && <span className="text-amber-200">{current.compile_output}</span>}
              {current.stdout}
              {current.stderr && <span className="text-rose-300">{current.stderr}</span>}
              {!current.stdout && !current.stderr && !current.compile_output && FINAL.has(current.status) && (
                <span className="text-slate-500">(no output)</span>
              )}
            </pre>
          </>
        ) : (
          <div className="flex flex-1 items-center justify-center text-xs text-slate-500">
            {history.isLoading ? "Loading runs…" : "Run the code to see its output here."}
          </div>
        )}
      </div>
    </div>
  );
}

/** History from the API, overlaid with what the events socket has streamed since. */
function mergeRuns(history: Run[], live: Record<string, LiveRun>): LiveRun[] {
  const byId = new Map<string, LiveRun>(history.map((r) => [String(r.id), r]));
  for (const [id, run] of Object.entries(live)) {
    const known = byId.get(id);
    byId.set(id, known && FINAL.has(known.status) && !FINAL.has(run.status) ? known : { ...known, ...run });
  }
  return [...byId.values()].sort((a, b) => String(b.created_at ?? b.id).localeCompare(String(a.created_at ?? a.id)));
}

/** "Python 3.11.2": the version alone when it already names the language. */
function runLabel(language: RunLanguage): string {
  const name = language.name ?? language.id;
  const version = language.version ?? "";
  return version.toLowerCase().startsWith(name.toLowerCase()) ? version : `${name} ${version}`.trim();
}
