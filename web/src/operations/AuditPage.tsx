/** Leads: the audit log with filters, how long ended interviews are kept, and erasing a candidate. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, Navigate } from "react-router";

import { useSession } from "../api/useSession";
import {
  ACTIONS,
  actionLabel,
  auditKeys,
  auditQuery,
  describeDetail,
  eraseCandidate,
  retentionQuery,
  setRetention,
  type AuditEvent,
  type AuditFilter,
  type Erasure,
} from "./api";
import { Alert, Badge, Button, ConfirmDialog, EmptyState, ErrorState, Field, inputClass, Spinner } from "../components/ui";
import { formatDateTime } from "../lib/time";
import { useTitle } from "../lib/useTitle";
import { plural } from "../lib/plural";

const PAGE_SIZE = 50;
const EMPTY: AuditFilter = { action: "", actor: "", room: "", since: "", until: "", limit: PAGE_SIZE, offset: 0 };

export function AuditPage() {
  useTitle("Audit log");
  const state = useSession();
  const isLead = state.kind === "user" && state.user.role === "lead";
  const [filter, setFilter] = useState<AuditFilter>(EMPTY);
  const events = useQuery({ ...auditQuery(filter), enabled: isLead });
  if (state.kind !== "user") return null;
  if (!isLead) return <Navigate to="/" replace />;
  const total = events.data?.total ?? 0;
  const change = (patch: Partial<AuditFilter>) => setFilter((f) => ({ ...f, ...patch, offset: 0 }));
  const filtered = JSON.stringify({ ...filter, offset: 0 }) !== JSON.stringify(EMPTY);

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold text-slate-900">Audit log</h1>
        <p className="mt-1 text-sm text-slate-500">
          Who signed in, changed users and interviews, downloaded reports or watched replays: when, and from which address.
          The log cannot be edited; it holds no candidate names.
        </p>
      </div>

      <section aria-label="Audit log" className="space-y-3">
        <form className="flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
          <label className="text-xs font-medium text-slate-600">
            Action
            <select
              className={`${inputClass} mt-1 w-56`}
              value={filter.action}
              onChange={(e) => change({ action: e.target.value })}
            >
              {ACTIONS.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label}
                </option>
              ))}
            </select>
          </label>
          <label className="text-xs font-medium text-slate-600">
            Who
            <input
              type="search"
              className={`${inputClass} mt-1 w-44`}
              placeholder="Name or user id"
              maxLength={100}
              value={filter.actor}
              onChange={(e) => change({ actor: e.target.value })}
            />
          </label>
          <label className="text-xs font-medium text-slate-600">
            Interview
            <input
              type="search"
              className={`${inputClass} mt-1 w-40`}
              placeholder="Room id"
              maxLength={24}
              value={filter.room}
              onChange={(e) => change({ room: e.target.value })}
            />
          </label>
          <label className="text-xs font-medium text-slate-600">
            From
            <input type="date" className={`${inputClass} mt-1 w-40`} value={filter.since} onChange={(e) => change({ since: e.target.value })} />
          </label>
          <label className="text-xs font-medium text-slate-600">
            To
            <input type="date" className={`${inputClass} mt-1 w-40`} value={filter.until} onChange={(e) => change({ until: e.target.value })} />
          </label>
          {filtered && (
            <Button variant="ghost" onClick={() => setFilter(EMPTY)}>
              Clear filters
            </Button>
          )}
        </form>

        <div className="overflow-x-auto rounded-xl bg-white shadow-xs ring-1 ring-slate-200">
          {events.isLoading ? (
            <div className="flex justify-center gap-2 py-16 text-sm text-slate-500">
              <Spinner /> Loading the audit log…
            </div>
          ) : events.error ? (
            <ErrorState error={events.error} onRetry={() => void events.refetch()} />
          ) : events.data?.items.length === 0 ? (
            <EmptyState title={filtered ? "Nothing matches these filters" : "Nothing recorded yet"} />
          ) : (
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
                <tr>
                  <th scope="col" className="px-4 py-3">When</th>
                  <th scope="col" className="px-4 py-3">Action</th>
                  <th scope="col" className="px-4 py-3">Who</th>
                  <th scope="col" className="px-4 py-3">From</th>
                  <th scope="col" className="px-4 py-3">About</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {events.data?.items.map((e) => <EventRow key={e.id} event={e} onFilter={change} />)}
              </tbody>
            </table>
          )}
          {total > 0 && (
            <nav className="flex items-center justify-between border-t border-slate-200 px-4 py-3 text-sm" aria-label="Pagination">
              <span className="text-slate-500">
                {total <= PAGE_SIZE
                  ? plural(total, "event")
                  : `${filter.offset + 1}–${Math.min(filter.offset + PAGE_SIZE, total)} of ${total} events`}
              </span>
              <div className="flex gap-2">
                <Button size="sm" disabled={filter.offset === 0} onClick={() => setFilter((f) => ({ ...f, offset: Math.max(0, f.offset - PAGE_SIZE) }))}>
                  Newer
                </Button>
                <Button size="sm" disabled={filter.offset + PAGE_SIZE >= total} onClick={() => setFilter((f) => ({ ...f, offset: f.offset + PAGE_SIZE }))}>
                  Older
                </Button>
              </div>
            </nav>
          )}
        </div>
      </section>

      <div className="grid gap-6 lg:grid-cols-2">
        <RetentionCard />
        <ErasureCard />
      </div>
    </div>
  );
}

function EventRow({ event, onFilter }: { event: AuditEvent; onFilter: (patch: Partial<AuditFilter>) => void }) {
  const failed = event.action === "auth.login_failed";
  return (
    <tr className={failed ? "bg-rose-50/40" : undefined}>
      <td className="px-4 py-2.5 whitespace-nowrap text-slate-600">{formatDateTime(event.at)}</td>
      <td className="px-4 py-2.5">
        <button type="button" className="text-left font-medium text-slate-900 hover:underline" onClick={() => onFilter({ action: event.action })} title={event.action}>
          {actionLabel(event.action)}
        </button>
      </td>
      <td className="px-4 py-2.5">
        {event.actor ? (
          <span className="flex items-center gap-2">
            {event.actor.user_id != null ? (
              <button type="button" className="hover:underline" onClick={() => onFilter({ actor: String(event.actor?.user_id) })}>
                {event.actor.name ?? `user ${event.actor.user_id}`}
              </button>
            ) : (
              <span>{event.actor.name ?? "a candidate"}</span>
            )}
            {event.actor.role === "lead" || event.actor.role === "interviewer" || event.actor.role === "candidate" ? (
              <Badge kind={event.actor.role} />
            ) : null}
          </span>
        ) : (
          <span className="text-slate-400">{event.action.startsWith("retention.") ? "the server" : "—"}</span>
        )}
      </td>
      <td className="px-4 py-2.5 font-mono text-xs text-slate-600">{event.ip ?? "—"}</td>
      <td className="px-4 py-2.5 text-slate-600">
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          {event.room_id && (
            <button type="button" className="font-mono text-xs text-indigo-700 hover:underline" onClick={() => onFilter({ room: event.room_id ?? "" })}>
              {event.room_id}
            </button>
          )}
          {event.target && <span className="text-xs">{event.target}</span>}
          <span className="text-xs text-slate-500">{describeDetail(event)}</span>
        </div>
      </td>
    </tr>
  );
}

function RetentionCard() {
  const queryClient = useQueryClient();
  const retention = useQuery(retentionQuery());
  const [days, setDays] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: setRetention,
    onSuccess: (data) => {
      queryClient.setQueryData(auditKeys.retention, data);
      void queryClient.invalidateQueries({ queryKey: ["audit", "list"] });
      setDays(null);
    },
  });
  const current = retention.data;
  const value = days ?? (current ? String(current.retention_days) : "");
  const parsed = Number(value);
  const valid = value !== "" && Number.isInteger(parsed) && parsed >= 0 && parsed <= 36500;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) save.mutate(parsed);
  };
  return (
    <section className="rounded-xl bg-white p-5 shadow-xs ring-1 ring-slate-200" aria-labelledby="retention-title">
      <h2 id="retention-title" className="text-base font-semibold text-slate-900">Retention</h2>
      <p className="mt-1 text-sm text-slate-500">
        Ended interviews older than this are deleted whole (code, history, notes, chat, runs, scorecards), checked every hour. 0 keeps them for ever.
      </p>
      {retention.error ? (
        <ErrorState error={retention.error} onRetry={() => void retention.refetch()} />
      ) : !current ? (
        <div className="mt-4 flex gap-2 text-sm text-slate-500"><Spinner /> Loading…</div>
      ) : (
        <form className="mt-4 space-y-3" onSubmit={submit}>
          {save.error && <Alert>{save.error.message}</Alert>}
          <div className="max-w-xs">
            <Field
              label="Keep ended interviews for (days)"
              hint={
                current.source === "org"
                  ? `Set here; the server's default is ${current.default_days === 0 ? "for ever" : plural(current.default_days, "day")}.`
                  : "The server's default (CODEPAIR_RETENTION_DAYS)."
              }
            >
              {(id) => (
                <input
                  id={id}
                  type="number"
                  min={0}
                  max={36500}
                  step={1}
                  className={inputClass}
                  value={value}
                  onChange={(e) => setDays(e.target.value)}
                />
              )}
            </Field>
          </div>
          <div className="flex gap-2">
            <Button type="submit" variant="primary" busy={save.isPending} disabled={!valid || parsed === current.retention_days}>
              Save
            </Button>
            {current.source === "org" && (
              <Button onClick={() => save.mutate(null)} disabled={save.isPending}>
                Use the server's default
              </Button>
            )}
          </div>
          <p className="text-xs text-slate-500">Audit entries are kept {current.audit_retention_days === 0 ? "for ever" : plural(current.audit_retention_days, "day")}.</p>
        </form>
      )}
    </section>
  );
}

function ErasureCard() {
  const queryClient = useQueryClient();
  const [who, setWho] = useState("");
  const [preview, setPreview] = useState<Erasure | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<Erasure | null>(null);
  const body = () => (who.includes("@") ? { candidate_email: who.trim() } : { candidate_name: who.trim() });
  const look = useMutation({
    mutationFn: () => eraseCandidate({ ...body(), dry_run: true }),
    onSuccess: (data) => {
      setPreview(data);
      setDone(null);
    },
  });
  const erase = useMutation({
    mutationFn: () => eraseCandidate({ ...body(), dry_run: false }),
    onSuccess: (data) => {
      setDone(data);
      setPreview(null);
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: ["rooms"] });
      void queryClient.invalidateQueries({ queryKey: auditKeys.all });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (who.trim()) look.mutate();
  };
  const count = preview?.rooms.length ?? 0;
  return (
    <section className="rounded-xl bg-white p-5 shadow-xs ring-1 ring-slate-200" aria-labelledby="erasure-title">
      <h2 id="erasure-title" className="text-base font-semibold text-slate-900">Erase a candidate</h2>
      <p className="mt-1 text-sm text-slate-500">
        On a candidate's request: every interview under their exact name or email (case aside), live or ended, with everything in it, deleted at once.
      </p>
      <form className="mt-4 flex items-end gap-2" onSubmit={submit}>
        <div className="w-72">
          <Field label="Candidate's name or email">
            {(id) => (
              <input
                id={id}
                className={inputClass}
                maxLength={254}
                value={who}
                onChange={(e) => {
                  setWho(e.target.value);
                  setPreview(null);
                }}
              />
            )}
          </Field>
        </div>
        <Button type="submit" busy={look.isPending} disabled={!who.trim()}>
          Find interviews
        </Button>
      </form>
      {look.error && <div className="mt-3"><Alert>{look.error.message}</Alert></div>}
      {done && (
        <div className="mt-3">
          <Alert tone="success">
            Erased {plural(done.rooms.length, "interview")} and all their data.
          </Alert>
        </div>
      )}
      {preview && (
        <div className="mt-4 space-y-3">
          {count === 0 ? (
            <p className="text-sm text-slate-600">No interview matches “{who.trim()}”.</p>
          ) : (
            <>
              <ul className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
                {preview.rooms.map((r) => (
                  <li key={r.id} className="flex items-center justify-between px-3 py-2 text-sm">
                    <span>
                      <Link to={`/rooms/${r.id}`} className="font-medium text-slate-900 hover:underline">
                        {r.title || "Untitled interview"}
                      </Link>
                      <span className="ml-2 text-slate-500">{r.candidate_name}</span>
                    </span>
                    <span className="text-xs text-slate-500">{r.ended_at ? `ended ${formatDateTime(r.ended_at)}` : "not ended"}</span>
                  </li>
                ))}
              </ul>
              <Button variant="danger" onClick={() => setConfirming(true)}>
                Erase {plural(count, "interview")}
              </Button>
            </>
          )}
        </div>
      )}
      <ConfirmDialog
        open={confirming}
        title="Erase this candidate's data?"
        message={
          <p>
            {plural(count, "interview")} with their code, history, notes, chat, runs and scorecards will be deleted for good. Anyone still in them is disconnected.
          </p>
        }
        confirmLabel="Erase for good"
        busy={erase.isPending}
        error={erase.error?.message ?? null}
        onConfirm={() => erase.mutate()}
        onClose={() => setConfirming(false)}
      />
    </section>
  );
}
