/** The invite link's page: a live interview's join page, or a take-home's rules and the
 * button that starts the clock. Nothing of the questions is here: the server sends none
 * before the start. */
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router";

import { ApiError } from "../api/client";
import { session } from "../api/session";
import { Logo } from "../components/AppShell";
import { Alert, Button, ConfirmDialog, Field, FullPageSpinner, inputClass } from "../components/ui";
import { JoinPage } from "../interviews/JoinPage";
import { plural } from "../lib/plural";
import { useTitle } from "../lib/useTitle";
import { formatLeft, inviteQuery, startTakeHome, type TakeHomeInvite } from "./api";

export function InvitePage() {
  const { inviteToken = "" } = useParams();
  const invite = useQuery(inviteQuery(inviteToken));
  if (invite.isLoading) return <FullPageSpinner label="Opening your invitation…" />;
  // A live interview's link, or one the server refuses: the join page says what to say.
  if (!invite.data || invite.data.kind !== "take_home") return <JoinPage />;
  return <TakeHomeStart inviteToken={inviteToken} invite={invite.data} />;
}

function when(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
}

function Ended({ title, text }: { title: string; text: string }) {
  return (
    <div className="flex min-h-full flex-col items-center justify-center gap-4 bg-slate-50 p-8 text-center" data-testid="take-home-closed">
      <Logo className="text-xl" />
      <h1 className="text-2xl font-semibold text-slate-900">{title}</h1>
      <p className="max-w-md text-sm text-slate-500">{text}</p>
    </div>
  );
}

function TakeHomeStart({ inviteToken, invite }: { inviteToken: string; invite: TakeHomeInvite }) {
  useTitle("Your take-home assessment");
  const navigate = useNavigate();
  const [name, setName] = useState(invite.candidate_name ?? "");
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [closed, setClosed] = useState<string | null>(null);
  const running = invite.state === "in_progress";

  if (invite.state === "submitted") return <Ended title="You have submitted this take-home" text="Thank you. The team will review your work. You can close this tab." />;
  if (closed || invite.state === "expired") {
    return <Ended title="This take-home is closed" text={closed ?? "Its time has run out, or the last moment to start it has passed."} />;
  }

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await startTakeHome(inviteToken, name.trim());
      session.joined({ room_id: result.room_id, token: result.token, name: result.name });
      navigate(`/rooms/${result.room_id}`, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) setClosed(err.message);
      else setError(err instanceof Error ? err.message : "Could not start.");
      setConfirm(false);
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (running) void start();
    else setConfirm(true);
  };
  const limit = formatLeft(invite.time_limit_seconds ?? 0);
  const count = invite.question_count ?? 0;

  return (
    <div className="flex min-h-full items-center justify-center bg-gradient-to-b from-slate-50 to-slate-100 px-4 py-12">
      <div className="w-full max-w-2xl">
        <div className="mb-8 flex justify-center">
          <Logo className="text-xl" />
        </div>
        <form className="space-y-5 rounded-2xl bg-white p-8 shadow-sm ring-1 ring-slate-200" onSubmit={submit} data-testid="take-home-rules">
          <div>
            <p className="text-xs font-semibold tracking-wide text-indigo-600 uppercase">Take-home assessment</p>
            <h1 className="mt-1 text-2xl font-semibold text-slate-900">{invite.title || "Your coding assessment"}</h1>
          </div>
          <dl className="grid grid-cols-3 gap-3 text-sm">
            <div className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200">
              <dt className="text-xs text-slate-500">Time limit</dt>
              <dd className="mt-0.5 text-lg font-semibold text-slate-900" data-testid="time-limit">{limit}</dd>
            </div>
            <div className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200">
              <dt className="text-xs text-slate-500">Questions</dt>
              <dd className="mt-0.5 text-lg font-semibold text-slate-900">{count}</dd>
            </div>
            <div className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200">
              <dt className="text-xs text-slate-500">{running ? "Time runs out" : "Start by"}</dt>
              <dd className="mt-0.5 text-sm font-medium text-slate-900">{when(running ? invite.deadline : invite.closes_at)}</dd>
            </div>
          </dl>
          <section className="space-y-2 text-sm text-slate-700">
            <h2 className="font-semibold text-slate-900">The rules</h2>
            <ul className="list-disc space-y-1 pl-5">
              <li>You work alone, with no video. {count === 1 ? "The question appears" : `The ${plural(count, "question")} appear`} once you start the clock, not before.</li>
              <li>
                The clock is the server's: once started it runs for {limit} (and stops at the last moment above at the latest), even if you close this tab. Reopen your
                link to come back; your code is saved as you type.
              </li>
              <li>Run your code and the visible tests as often as you like. When the time is up, or when you submit, hidden tests grade your final code.</li>
              <li>Submitting is final: you cannot come back to it afterwards.</li>
            </ul>
            <h2 className="pt-1 font-semibold text-slate-900">What is recorded</h2>
            <p>
              Every edit of your code (the reviewers can replay it), your runs and their results, when you paste into the editor and how many characters, and when you switch
              away from this tab or window.
            </p>
          </section>
          {error && <Alert>{error}</Alert>}
          <Field label="Your name" hint="Shown to the reviewers.">
            {(id) => <input id={id} name="name" className={inputClass} required maxLength={100} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Button type="submit" variant="primary" busy={busy} disabled={!name.trim()} data-testid="start-take-home">
            {running ? "Go back to your take-home" : "Start the clock"}
          </Button>
        </form>
      </div>
      <ConfirmDialog
        open={confirm}
        title="Start the clock?"
        message={<p>You will have {limit} from now. The clock keeps running if you close the tab.</p>}
        confirmLabel="Start now"
        busy={busy}
        error={null}
        onConfirm={() => void start()}
        onClose={() => setConfirm(false)}
      />
    </div>
  );
}
