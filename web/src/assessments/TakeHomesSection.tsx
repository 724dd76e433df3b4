/** The dashboard's take-homes: "New take-home", and each one's state (time left while in
 * progress) and graded result at a glance, sorted by date or by score. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { LANGUAGES, type LanguageId } from "../api/types";
import { Alert, Badge, Button, EmptyState, ErrorState, Field, inputClass, Modal, Spinner } from "../components/ui";
import { copyText } from "../lib/clipboard";
import { formatDateTime, fromLocalInput, toLocalInput } from "../lib/time";
import type { QuestionPick } from "../questions/picks";
import { QuestionPicker } from "../questions/QuestionPicker";
import { createTakeHome, formatLeft, STATE_LABEL, takeHomeKeys, takeHomesQuery, type TakeHomeItem } from "./api";

const BADGE = { not_started: "scheduled", in_progress: "live", submitted: "ended", expired: "not_started" } as const;

export function TakeHomesSection() {
  const [sort, setSort] = useState<"score" | "created">("created");
  const [creating, setCreating] = useState(false);
  const list = useQuery(takeHomesQuery(sort));

  return (
    <section className="space-y-3" aria-label="Take-homes" data-testid="take-homes">
      <div className="flex items-end justify-between gap-4">
        <div>
          <h2 className="text-lg font-semibold text-slate-900">Take-homes</h2>
          <p className="text-sm text-slate-500">The candidate works alone, on the clock; hidden tests grade the result.</p>
        </div>
        <div className="flex items-center gap-2">
          <label className="flex items-center gap-2 text-sm text-slate-600">
            Sort by
            <select className={`${inputClass} w-auto`} value={sort} onChange={(e) => setSort(e.target.value as "score" | "created")} aria-label="Sort take-homes">
              <option value="created">Newest</option>
              <option value="score">Best score</option>
            </select>
          </label>
          <Button variant="primary" onClick={() => setCreating(true)} data-testid="new-take-home">
            <span aria-hidden="true" className="text-base leading-none">+</span> New take-home
          </Button>
        </div>
      </div>
      <div className="overflow-hidden rounded-xl bg-white shadow-xs ring-1 ring-slate-200">
        {list.isLoading ? (
          <div className="flex items-center justify-center gap-2 py-10 text-sm text-slate-500">
            <Spinner /> Loading take-homes…
          </div>
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : !list.data || list.data.items.length === 0 ? (
          <EmptyState title="No take-homes yet">Send one to screen a candidate before anyone meets.</EmptyState>
        ) : (
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">Candidate</th>
                <th scope="col" className="px-4 py-3">State</th>
                <th scope="col" className="px-4 py-3">Score</th>
                <th scope="col" className="px-4 py-3">Limit</th>
                <th scope="col" className="px-4 py-3">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.data.items.map((item) => (
                <Row key={item.room_id} item={item} />
              ))}
            </tbody>
          </table>
        )}
      </div>
      {creating && <NewTakeHomeDialog onClose={() => setCreating(false)} />}
    </section>
  );
}

function Row({ item }: { item: TakeHomeItem }) {
  const [copied, setCopied] = useState(false);
  const finished = item.state === "submitted" || item.state === "expired";
  return (
    <tr data-testid="take-home-row">
      <td className="px-4 py-3">
        <div className="font-medium text-slate-900">{item.candidate_name}</div>
        <div className="text-xs text-slate-500">{item.title || item.candidate_email || "—"}</div>
      </td>
      <td className="px-4 py-3">
        <Badge kind={BADGE[item.state]}>{STATE_LABEL[item.state]}</Badge>
        <div className="mt-0.5 text-xs text-slate-500">
          {item.state === "in_progress" && item.seconds_left !== null && item.seconds_left !== undefined
            ? `${formatLeft(Math.floor(item.seconds_left))} left`
            : item.state === "not_started"
              ? `Start by ${formatDateTime(item.closes_at)}`
              : item.finished_at
                ? formatDateTime(item.finished_at)
                : ""}
        </div>
      </td>
      <td className="px-4 py-3" data-testid="take-home-score">
        {item.graded && item.total ? (
          <div>
            <span className={`font-semibold ${item.passed === item.total ? "text-emerald-700" : "text-slate-900"}`}>
              {item.passed}/{item.total}
            </span>
            <span className="ml-1.5 text-xs text-slate-500">{Math.round((item.score ?? 0) * 100)}%</span>
            <div className="text-xs text-slate-500">{(item.results ?? []).map((r) => `${r.title}: ${r.passed}/${r.total}`).join(" · ")}</div>
          </div>
        ) : finished && item.started_at ? (
          <span className="text-xs text-slate-500">Grading…</span>
        ) : (
          <span className="text-xs text-slate-400">—</span>
        )}
      </td>
      <td className="px-4 py-3 text-slate-600">{item.time_limit_minutes} min</td>
      <td className="px-4 py-3 text-right whitespace-nowrap">
        {item.invite_url && (
          <Button
            size="sm"
            onClick={() => {
              void copyText(item.invite_url ?? "").then((ok) => {
                setCopied(ok);
                setTimeout(() => setCopied(false), 2000);
              });
            }}
          >
            {copied ? "Copied" : "Copy link"}
          </Button>
        )}
        {item.started_at && (
          <Link to={`/rooms/${item.room_id}/replay`} className="ml-2 text-sm font-medium text-indigo-600 hover:text-indigo-500" data-testid="take-home-replay">
            Replay
          </Link>
        )}
        {finished && (
          <Link to={`/rooms/${item.room_id}/scorecard`} className="ml-3 text-sm font-medium text-indigo-600 hover:text-indigo-500">
            Review
          </Link>
        )}
      </td>
    </tr>
  );
}

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function NewTakeHomeDialog({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [zone, setZone] = useState(ZONE);
  const [title, setTitle] = useState("");
  const [language, setLanguage] = useState<LanguageId>("python");
  const [limit, setLimit] = useState(90);
  const [closes, setCloses] = useState(toLocalInput(new Date(Date.now() + 7 * 86400_000).toISOString()));
  const [layout, setLayout] = useState<"sequence" | "all">("sequence");
  const [picks, setPicks] = useState<QuestionPick[]>([]);
  const create = useMutation({
    mutationFn: () =>
      createTakeHome({
        candidate_name: name.trim(),
        title: title.trim(),
        language,
        candidate_email: email.trim() || null,
        candidate_timezone: zone.trim() || null,
        closes_at: fromLocalInput(closes),
        time_limit_minutes: limit,
        question_ids: picks.map((p) => p.id),
        question_layout: layout,
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: takeHomeKeys.all });
      void queryClient.invalidateQueries({ queryKey: ["rooms"] });
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Modal
      open
      wide
      title="New take-home"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="take-home-form" busy={create.isPending} disabled={!name.trim() || picks.length === 0 || !closes}>
            Create and invite
          </Button>
        </>
      }
    >
      <form id="take-home-form" className="space-y-4" onSubmit={submit}>
        {create.error && <Alert>{create.error.message}</Alert>}
        <div className="grid grid-cols-2 gap-3">
          <Field label="Candidate">
            {(id) => <input id={id} name="candidate_name" className={inputClass} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Email" hint="The invitation and the deadline go here.">
            {(id) => <input id={id} name="candidate_email" type="email" className={inputClass} maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field label="Title">
            {(id) => <input id={id} name="title" className={inputClass} maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Backend screen" />}
          </Field>
          <Field label="Candidate's time zone">
            {(id) => <input id={id} name="candidate_timezone" className={inputClass} maxLength={64} value={zone} onChange={(e) => setZone(e.target.value)} />}
          </Field>
          <Field label="Time limit (minutes)">
            {(id) => <input id={id} name="time_limit_minutes" type="number" min={1} max={10080} className={inputClass} value={limit} onChange={(e) => setLimit(Number(e.target.value))} />}
          </Field>
          <Field label="Start by" hint="The last moment the clock can be started.">
            {(id) => <input id={id} name="closes_at" type="datetime-local" className={inputClass} required value={closes} onChange={(e) => setCloses(e.target.value)} />}
          </Field>
          <Field label="Language">
            {(id) => (
              <select id={id} className={inputClass} value={language} onChange={(e) => setLanguage(e.target.value as LanguageId)}>
                {LANGUAGES.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Questions are shown">
            {(id) => (
              <select id={id} className={inputClass} value={layout} onChange={(e) => setLayout(e.target.value as "sequence" | "all")}>
                <option value="sequence">One after another</option>
                <option value="all">All at once</option>
              </select>
            )}
          </Field>
        </div>
        <QuestionPicker picks={picks} onChange={setPicks} />
      </form>
    </Modal>
  );
}
