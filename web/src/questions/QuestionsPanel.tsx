/**
 * The room's Questions tab. Interviewers plan (add from the bank, remove) and present;
 * everyone sees the presented question's prompt (safe Markdown), its visible tests, and can run
 * the tests against the editor's code. What a candidate's browser gets here is only what the
 * server sends a candidate: it never has hidden tests, the solution or the guidance to show.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";

import { ApiError } from "../api/client";
import { Alert, Button, ConfirmDialog, inputClass } from "../components/ui";
import type { LiveRun } from "../room/useRoomRealtime";
import {
  addRoomQuestion,
  isFullQuestion,
  presentQuestion,
  questionsQuery,
  questionKeys,
  removeRoomQuestion,
  roomQuestionsQuery,
  runTests,
  type PresentedQuestion,
  type RoomQuestion,
  type TestsRun,
} from "./api";
import { Markdown } from "./Markdown";
import { TestResults } from "./TestResults";
import { plural } from "../lib/plural";

interface Props {
  roomId: string;
  interviewer: boolean;
  /** The last `question.presented` from the events socket. */
  presented: PresentedQuestion | null;
  liveRuns: Record<string, LiveRun>;
  language: string;
  runsEnabled: boolean;
  ended: boolean;
}

export function QuestionsPanel({ roomId, interviewer, presented, liveRuns, language, runsEnabled, ended }: Props) {
  const queryClient = useQueryClient();
  const plan = useQuery(roomQuestionsQuery(roomId));
  useEffect(() => {
    if (presented) void queryClient.invalidateQueries({ queryKey: questionKeys.room(roomId) });
  }, [presented, roomId, queryClient]);

  const items = useMemo(() => plan.data ?? [], [plan.data]);
  const current: PresentedQuestion | RoomQuestion | null = useMemo(() => {
    const full = items.filter(isFullQuestion).filter((q) => q.presented_at);
    if (full.length) return [...full].sort((a, b) => (a.presented_at ?? "").localeCompare(b.presented_at ?? "")).at(-1) ?? null;
    if (presented) return presented;
    return items.filter((q) => !isFullQuestion(q)).at(-1) ?? null;
  }, [items, presented]);

  return (
    <div className="flex h-full flex-col overflow-auto p-3 text-sm" data-testid="questions-panel">
      {interviewer && <Plan roomId={roomId} items={items.filter(isFullQuestion)} currentId={current?.id ?? null} ended={ended} />}
      {current ? (
        <Presented roomId={roomId} question={current} liveRuns={liveRuns} language={language} enabled={runsEnabled && !ended} />
      ) : (
        <p className="py-6 text-center text-slate-500" data-testid="no-question">
          {!interviewer
            ? "Your interviewer has not shown a question yet."
            : ended
              ? "No question was presented in this interview."
              : items.length > 0
                ? "Present a question from the plan when you are ready."
                : "Add a question to the plan and present it."}
        </p>
      )}
    </div>
  );
}

function Plan({ roomId, items, currentId, ended }: { roomId: string; items: RoomQuestion[]; currentId: string | null; ended: boolean }) {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [confirm, setConfirm] = useState<RoomQuestion | null>(null);
  const [error, setError] = useState<string | null>(null);
  const bank = useQuery({ ...questionsQuery({ q: search, tag: "", difficulty: "", archived: false, limit: 8, offset: 0 }), enabled: !ended });
  const refresh = () => queryClient.invalidateQueries({ queryKey: questionKeys.room(roomId) });
  const add = useMutation({ mutationFn: (id: string) => addRoomQuestion(roomId, id), onSuccess: refresh, onError: (e) => setError(e.message) });
  const remove = useMutation({ mutationFn: (id: string) => removeRoomQuestion(roomId, id), onSuccess: refresh, onError: (e) => setError(e.message) });
  const present = useMutation({
    mutationFn: ({ rq, replace }: { rq: RoomQuestion; replace: boolean }) => presentQuestion(roomId, rq.id, replace),
    onSuccess: () => {
      setConfirm(null);
      setError(null);
      void refresh();
    },
    onError: (e, { rq, replace }) => {
      if (e instanceof ApiError && e.status === 409 && !replace) setConfirm(rq);
      else setError(e.message);
    },
  });
  const planned = new Set(items.map((i) => i.question_id));

  return (
    <section className="mb-4 space-y-2 border-b border-slate-200 pb-3" aria-label="Plan">
      <h3 className="text-xs font-semibold text-slate-500 uppercase">Plan</h3>
      {error && <Alert>{error}</Alert>}
      <ol className="space-y-1">
        {items.map((q) => (
          <li key={q.id} className={`flex items-center gap-2 rounded px-2 py-1 ${q.id === currentId ? "bg-indigo-50" : ""}`} data-testid="plan-item">
            <span className="min-w-0 flex-1 truncate font-medium">{q.title}</span>
            <span className="text-[11px] text-slate-400">{q.difficulty}</span>
            {!ended && (
              <Button size="sm" variant="primary" busy={present.isPending && present.variables?.rq.id === q.id} onClick={() => present.mutate({ rq: q, replace: false })}>
                {q.presented_at ? "Present again" : "Present"}
              </Button>
            )}
            {!ended && !q.presented_at && (
              <Button size="sm" variant="ghost" onClick={() => remove.mutate(q.id)} aria-label={`Remove ${q.title}`}>
                ✕
              </Button>
            )}
          </li>
        ))}
      </ol>
      {!ended && (
        <div className="space-y-1">
          <input className={inputClass} placeholder="Add from the bank: search…" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search the question bank" />
          <ul className="max-h-40 overflow-auto">
            {(bank.data?.items ?? [])
              .filter((q) => !planned.has(q.id))
              .map((q) => (
                <li key={q.id} className="flex items-center gap-2 px-2 py-0.5">
                  <span className="min-w-0 flex-1 truncate">{q.title}</span>
                  <Button size="sm" onClick={() => add.mutate(q.id)} aria-label={`Add ${q.title}`}>
                    Add
                  </Button>
                </li>
              ))}
          </ul>
        </div>
      )}
      <ConfirmDialog
        open={confirm !== null}
        title="Replace the code in the editor?"
        message={<p>The editor has code in it. Presenting puts this question's starter code in its place for everyone.</p>}
        confirmLabel="Replace and present"
        busy={present.isPending}
        onConfirm={() => confirm && present.mutate({ rq: confirm, replace: true })}
        onClose={() => setConfirm(null)}
      />
    </section>
  );
}

function Presented({ roomId, question, liveRuns, language, enabled }: { roomId: string; question: PresentedQuestion | RoomQuestion; liveRuns: Record<string, LiveRun>; language: string; enabled: boolean }) {
  const [runId, setRunId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<TestsRun | null>(null);
  const run = useMutation({
    mutationFn: () => runTests(roomId, language),
    onMutate: () => setError(null),
    onSuccess: (r) => {
      setStarted(r);
      setRunId(String(r.id));
    },
    onError: (e) => setError(e.message),
  });
  // The latest tests run of the room, mine or anyone's, as the events socket reports it.
  const latest = useMemo(() => {
    const runs = Object.values(liveRuns).filter((r) => (r as TestsRun).total != null) as TestsRun[];
    const byId = runId ? (liveRuns[runId] as TestsRun | undefined) : undefined;
    return byId?.tests ? byId : (runs.at(-1) ?? started);
  }, [liveRuns, runId, started]);
  const visibleTests = question.tests.filter((t) => !t.hidden);
  const hiddenCount = question.tests.length - visibleTests.length;
  const finished = latest?.tests && latest.status !== "queued" && latest.status !== "running";

  return (
    <section className="space-y-3" aria-label="Presented question" data-testid="presented-question">
      <h2 className="text-base font-semibold text-slate-900" data-testid="question-title">
        {question.title}
      </h2>
      <Markdown source={question.prompt} />
      {visibleTests.length > 0 && (
        <div>
          <h3 className="mb-1 text-xs font-semibold text-slate-500 uppercase">Examples</h3>
          <ul className="space-y-1">
            {visibleTests.map((t) => (
              <li key={t.name} className="grid grid-cols-2 gap-2 rounded border border-slate-200 p-1.5 text-xs">
                <div className="col-span-2 font-medium">{t.name}</div>
                <pre className="overflow-auto rounded bg-slate-50 p-1 font-mono whitespace-pre-wrap">{t.stdin || "(no input)"}</pre>
                <pre className="overflow-auto rounded bg-slate-50 p-1 font-mono whitespace-pre-wrap">{t.expected_stdout}</pre>
              </li>
            ))}
          </ul>
          {hiddenCount > 0 && <p className="mt-1 text-[11px] text-slate-500">{plural(hiddenCount, "hidden test")} as well.</p>}
        </div>
      )}
      <div className="flex items-center gap-2">
        <Button variant="primary" size="sm" busy={run.isPending} disabled={!enabled} onClick={() => run.mutate()} data-testid="run-tests">
          Run tests
        </Button>
        <span className="text-[11px] text-slate-500">Runs the editor's code ({language}) against the tests.</span>
      </div>
      {error && <Alert>{error}</Alert>}
      {latest && !finished && <p className="text-xs text-slate-500">Running the tests…</p>}
      {latest && finished && latest.tests && (
        <>
          {latest.status === "compile_error" && <pre className="max-h-32 overflow-auto rounded bg-rose-50 p-2 font-mono text-[11px] text-rose-800">{latest.compile_output}</pre>}
          <TestResults tests={latest.tests} passed={latest.passed ?? 0} total={latest.total ?? latest.tests.length} />
        </>
      )}
    </section>
  );
}
