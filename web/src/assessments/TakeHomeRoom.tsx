/** The candidate's take-home room: the questions, the editor, runs and visible tests, and
 * the server's clock; no video, no chat. "Submit" asks first. The room's code is the Yjs
 * document as in a live room, so a closed tab loses nothing, and the clock runs on. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { ApiError } from "../api/client";
import type { CandidateRoom } from "../api/types";
import { Logo } from "../components/AppShell";
import { Alert, Button, ConfirmDialog, FullPageSpinner } from "../components/ui";
import { useTitle } from "../lib/useTitle";
import { questionKeys } from "../questions/api";
import { QuestionsPanel } from "../questions/QuestionsPanel";
import { watchFocus, watchPastes } from "../record/activity";
import { RecordingNotice } from "../record/RecordingNotice";
import type { TrackKind } from "../realtime/mesh";
import { CodeEditor } from "../room/CodeEditor";
import type { monaco } from "../room/monaco";
import { RunPanel } from "../room/RunPanel";
import { useRoomDoc } from "../room/useRoomDoc";
import { useRoomRealtime } from "../room/useRoomRealtime";
import { attemptQuery, clockOffset, formatLeft, openQuestion, secondsLeft, submitTakeHome, takeHomeKeys, type TakeHome } from "./api";

interface Identity {
  name: string;
  color: string;
}

function Closed({ title, text }: { title: string; text: string }) {
  return (
    <div className="flex min-h-full flex-col items-center justify-center gap-4 bg-slate-50 p-8 text-center" data-testid="take-home-closed">
      <Logo className="text-xl" />
      <h1 className="text-2xl font-semibold text-slate-900">{title}</h1>
      <p className="max-w-md text-sm text-slate-500">{text}</p>
    </div>
  );
}

export function TakeHomeRoom({ room, identity }: { room: CandidateRoom; identity: Identity }) {
  const attempt = useQuery({ ...attemptQuery(room.id), retry: false, refetchInterval: 30_000 });
  const [submitted, setSubmitted] = useState(false);
  if (submitted) return <Closed title="Your take-home is submitted" text="Thank you. Your code is being graded and the team will review it. You can close this tab." />;
  if (attempt.isLoading) return <FullPageSpinner label="Opening your take-home…" />;
  if (attempt.error || !attempt.data) {
    const error = attempt.error;
    const gone = error instanceof ApiError && [401, 403, 410].includes(error.status);
    return <Closed title="This take-home is closed" text={gone ? error.message : "Could not open it. Reload the page to try again."} />;
  }
  if (attempt.data.state !== "in_progress") {
    return <Closed title="This take-home is closed" text={attempt.data.state === "submitted" ? "You submitted it. You can close this tab." : "The time is up. Your work was saved and handed in."} />;
  }
  return <Workspace room={room} identity={identity} attempt={attempt.data} receivedAt={attempt.dataUpdatedAt} onSubmitted={() => setSubmitted(true)} />;
}

function Workspace({
  room,
  identity,
  attempt,
  receivedAt,
  onSubmitted,
}: {
  room: CandidateRoom;
  identity: Identity;
  attempt: TakeHome;
  receivedAt: number;
  onSubmitted: () => void;
}) {
  useTitle(room.title || "Take-home assessment");
  const queryClient = useQueryClient();
  const tracks = useRef<Record<TrackKind, MediaStreamTrack | null>>({ audio: null, video: null });
  const runRef = useRef<(() => void) | null>(null);
  const { live, send } = useRoomRealtime(room.id, tracks);
  const user = useMemo(() => ({ name: identity.name, color: identity.color, role: "candidate" as const }), [identity]);
  const code = useRoomDoc(room.id, "code", user, sessionStorage);
  const [editor, setEditor] = useState<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [language, setLanguage] = useState(room.language);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The server's clock: the offset from the reply that carried `server_now`.
  const offset = useMemo(() => clockOffset(attempt.server_now, receivedAt), [attempt.server_now, receivedAt]);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = attempt.deadline ? secondsLeft(attempt.deadline, offset, now) : 0;
  const timeUp = left <= 0 || live.ended;

  useEffect(() => {
    if (!editor || timeUp) return;
    return watchPastes(editor, send);
  }, [editor, timeUp, send]);
  useEffect(() => {
    if (timeUp) return;
    return watchFocus(send);
  }, [timeUp, send]);
  const onLanguage = useCallback((value: string) => setLanguage(value), []);

  if (timeUp) return <Closed title="The time is up" text="Your work was saved and handed in as it stood. Thank you; you can close this tab." />;

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: takeHomeKeys.attempt(room.id) });
    void queryClient.invalidateQueries({ queryKey: questionKeys.room(room.id) });
  };
  const open = async (questionId?: string) => {
    setError(null);
    try {
      await openQuestion(room.id, questionId);
      refresh();
    } catch (err) {
      setError(err instanceof Error ? err.message : "Could not open the question.");
    }
  };
  const submit = async () => {
    setBusy(true);
    try {
      await submitTakeHome(room.id);
      onSubmitted();
    } catch (err) {
      setError(err instanceof Error ? err.message : "Could not submit.");
      setConfirm(false);
    } finally {
      setBusy(false);
    }
  };
  const count = attempt.question_count ?? attempt.questions.length;
  const reached = attempt.questions;
  const last = reached.at(-1);
  const onLast = attempt.current_question_id === last?.id;
  const more = attempt.layout === "sequence" && onLast && reached.length < count;
  const urgent = left < 5 * 60;

  return (
    <div className="flex h-screen flex-col bg-slate-950 text-slate-100" data-testid="take-home-room">
      <header className="flex h-12 shrink-0 items-center gap-4 border-b border-slate-800 px-4">
        <img src="/favicon.svg" alt="CodePair" className="h-6 w-6" />
        <div className="min-w-0">
          <div className="truncate text-sm font-semibold">{room.title || "Take-home assessment"}</div>
          <div className="truncate text-[11px] text-slate-400">{identity.name}</div>
        </div>
        <div
          className={`rounded-md px-2.5 py-1 font-mono text-sm tabular-nums ring-1 ${urgent ? "bg-rose-950 text-rose-200 ring-rose-800" : "bg-slate-900 text-slate-100 ring-slate-700"}`}
          role="timer"
          aria-label="Time left"
          data-testid="take-home-clock"
        >
          {formatLeft(left)} left
        </div>
        <RecordingNotice compact />
        <Button variant="primary" size="sm" className="ml-auto" onClick={() => setConfirm(true)} data-testid="submit-take-home">
          Submit
        </Button>
      </header>
      {error && (
        <div className="border-b border-slate-800 p-2">
          <Alert>{error}</Alert>
        </div>
      )}
      <div className="flex min-h-0 flex-1">
        <aside className="flex w-[400px] shrink-0 flex-col border-r border-slate-800 bg-white text-slate-900">
          <nav className="flex flex-wrap items-center gap-1 border-b border-slate-200 p-2" aria-label="Questions">
            {reached.map((q, i) => (
              <button
                key={q.id}
                type="button"
                disabled={attempt.layout === "sequence" && q.id !== attempt.current_question_id}
                aria-current={q.id === attempt.current_question_id ? "step" : undefined}
                onClick={() => void open(q.id)}
                className={`rounded px-2 py-1 text-xs font-medium ${q.id === attempt.current_question_id ? "bg-indigo-600 text-white" : "text-slate-600 hover:bg-slate-100 disabled:text-slate-400"}`}
              >
                {i + 1}. {q.title}
              </button>
            ))}
            <span className="ml-auto text-xs text-slate-500">
              {attempt.layout === "sequence" ? `Question ${reached.length} of ${count}` : `${count} questions`}
            </span>
            {more && (
              <Button size="sm" onClick={() => void open()} data-testid="next-question">
                Next question
              </Button>
            )}
          </nav>
          {more && <p className="border-b border-slate-200 px-3 py-1.5 text-[11px] text-slate-500">Moving on is final: your code for this question is kept as your answer.</p>}
          <div className="min-h-0 flex-1">
            <QuestionsPanel roomId={room.id} interviewer={false} presented={live.presented ?? null} liveRuns={live.runs} language={language} runsEnabled={room.runs_enabled} ended={false} />
          </div>
        </aside>
        <main className="flex min-w-0 flex-1 flex-col">
          <div className="min-h-0 flex-1">
            {code.doc ? (
              <CodeEditor roomDoc={code.doc} defaultLanguage={room.language} seedLanguage={false} onLanguage={onLanguage} onEditor={setEditor} runRef={runRef} />
            ) : (
              <FullPageSpinner label="Loading the editor…" />
            )}
          </div>
          <div className="h-52 shrink-0 border-t border-slate-800 bg-slate-900">
            <RunPanel roomId={room.id} language={language} liveRuns={live.runs} enabled={room.runs_enabled} runRef={runRef} />
          </div>
        </main>
      </div>
      <ConfirmDialog
        open={confirm}
        title="Submit your take-home?"
        message={
          <p>
            Your code is graded as it stands now, and you cannot change it afterwards. You still have {formatLeft(left)}.
          </p>
        }
        confirmLabel="Submit now"
        busy={busy}
        error={null}
        onConfirm={() => void submit()}
        onClose={() => setConfirm(false)}
      />
    </div>
  );
}
