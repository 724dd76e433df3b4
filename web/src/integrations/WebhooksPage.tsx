/** Leads register webhook endpoints, see every delivery with its status, and send a test event. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Navigate } from "react-router";

import { useSession } from "../api/useSession";
import { Alert, Badge, Button, ConfirmDialog, EmptyState, ErrorState, Field, inputClass, Modal, Spinner } from "../components/ui";
import { formatDateTime } from "../lib/time";
import { useTitle } from "../lib/useTitle";
import {
  createWebhook,
  deleteWebhook,
  deliveriesQuery,
  integrationKeys,
  sendTestEvent,
  WEBHOOK_EVENTS,
  webhooksQuery,
  type Delivery,
  type Webhook,
  type WebhookEvent,
} from "./api";

export function WebhooksPage() {
  useTitle("Webhooks");
  const state = useSession();
  const isLead = state.kind === "user" && state.user.role === "lead";
  const hooks = useQuery({ ...webhooksQuery(), enabled: isLead });
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  if (state.kind !== "user") return null;
  if (!isLead) return <Navigate to="/" replace />;
  const current = hooks.data?.find((h) => h.id === selected) ?? hooks.data?.[0] ?? null;

  return (
    <div className="space-y-6">
      <div className="flex items-end justify-between gap-6">
        <div>
          <h1 className="text-2xl font-semibold text-slate-900">Webhooks</h1>
          <p className="mt-1 text-sm text-slate-500">
            Tell your applicant tracking system when interviews are created or end and when scorecards are submitted. Each
            delivery is signed as the Standard Webhooks spec says and retried with backoff.
          </p>
        </div>
        <Button variant="primary" className="shrink-0 whitespace-nowrap" onClick={() => setCreating(true)}>
          + Add endpoint
        </Button>
      </div>
      {hooks.isLoading ? (
        <div className="flex justify-center gap-2 py-16 text-sm text-slate-500">
          <Spinner /> Loading webhooks…
        </div>
      ) : hooks.error ? (
        <ErrorState error={hooks.error} onRetry={() => void hooks.refetch()} />
      ) : !hooks.data?.length ? (
        <div className="rounded-xl bg-white shadow-xs ring-1 ring-slate-200">
          <EmptyState title="No webhook endpoints yet">Add one to receive interview events.</EmptyState>
        </div>
      ) : (
        <div className="grid gap-6 lg:grid-cols-[22rem_1fr]">
          <ul className="space-y-2" aria-label="Webhook endpoints">
            {hooks.data.map((hook) => (
              <li key={hook.id}>
                <button
                  type="button"
                  onClick={() => setSelected(hook.id)}
                  aria-current={current?.id === hook.id}
                  className={`w-full rounded-xl bg-white p-4 text-left shadow-xs ring-1 transition ${current?.id === hook.id ? "ring-2 ring-indigo-500" : "ring-slate-200 hover:ring-slate-300"}`}
                >
                  <div className="truncate font-mono text-sm text-slate-900">{hook.url}</div>
                  {hook.description && <div className="mt-0.5 truncate text-xs text-slate-500">{hook.description}</div>}
                  <div className="mt-2 flex flex-wrap gap-1">
                    {hook.events.map((e) => (
                      <span key={e} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-[11px] text-slate-600">
                        {e}
                      </span>
                    ))}
                  </div>
                </button>
              </li>
            ))}
          </ul>
          {current && <EndpointDetail key={current.id} hook={current} />}
        </div>
      )}
      <CreateWebhookDialog open={creating} onClose={() => setCreating(false)} onCreated={(id) => setSelected(id)} />
    </div>
  );
}

function EndpointDetail({ hook }: { hook: Webhook }) {
  const queryClient = useQueryClient();
  const deliveries = useQuery(deliveriesQuery(hook.id));
  const [confirming, setConfirming] = useState(false);
  const test = useMutation({
    mutationFn: () => sendTestEvent(hook.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: integrationKeys.deliveries(hook.id) }),
  });
  const remove = useMutation({
    mutationFn: () => deleteWebhook(hook.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: integrationKeys.webhooks }),
  });
  return (
    <section className="rounded-xl bg-white shadow-xs ring-1 ring-slate-200" aria-label="Deliveries">
      <div className="flex items-center justify-between gap-4 border-b border-slate-200 px-4 py-3">
        <div className="min-w-0">
          <h2 className="truncate font-mono text-sm font-semibold text-slate-900">{hook.url}</h2>
          <p className="text-xs text-slate-500">Added {formatDateTime(hook.created_at)}</p>
        </div>
        <div className="flex shrink-0 gap-2">
          <Button size="sm" busy={test.isPending} onClick={() => test.mutate()}>
            Send test event
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setConfirming(true)}>
            Delete
          </Button>
        </div>
      </div>
      {test.error && <div className="px-4 pt-3"><Alert>{test.error.message}</Alert></div>}
      {deliveries.isLoading ? (
        <div className="flex justify-center gap-2 py-12 text-sm text-slate-500">
          <Spinner /> Loading deliveries…
        </div>
      ) : deliveries.error ? (
        <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      ) : !deliveries.data?.items.length ? (
        <EmptyState title="No deliveries yet">Events this endpoint subscribes to show up here, and so does a test event.</EmptyState>
      ) : (
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
            <tr>
              <th scope="col" className="px-4 py-2">Event</th>
              <th scope="col" className="px-4 py-2">Status</th>
              <th scope="col" className="px-4 py-2">Attempts</th>
              <th scope="col" className="px-4 py-2">Last attempt</th>
              <th scope="col" className="px-4 py-2">Message id</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {deliveries.data.items.map((d) => (
              <DeliveryRow key={d.id} delivery={d} />
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={confirming}
        title="Delete this endpoint?"
        message={`Deliveries to ${hook.url} stop, and its delivery history is deleted.`}
        confirmLabel="Delete endpoint"
        busy={remove.isPending}
        error={remove.error?.message ?? null}
        onClose={() => setConfirming(false)}
        onConfirm={() => remove.mutate()}
      />
    </section>
  );
}

function DeliveryRow({ delivery: d }: { delivery: Delivery }) {
  const badge =
    d.status === "delivered" ? <Badge kind="live">Delivered</Badge> : d.status === "failed" ? <Badge kind="inactive">Failed</Badge> : <Badge kind="scheduled">Pending</Badge>;
  return (
    <tr>
      <td className="px-4 py-2 font-mono text-xs text-slate-700">{d.event_type}</td>
      <td className="px-4 py-2">
        {badge}
        {d.last_error && <div className="mt-1 max-w-xs truncate text-xs text-rose-600" title={d.last_error}>{d.last_error}</div>}
        {d.status === "pending" && d.next_attempt_at && d.attempts > 0 && (
          <div className="mt-1 text-xs text-slate-500">Next try {formatDateTime(d.next_attempt_at)}</div>
        )}
      </td>
      <td className="px-4 py-2 text-slate-600">
        {d.attempts}
        {d.last_status_code !== null && <span className="ml-1 text-xs text-slate-400">(HTTP {d.last_status_code})</span>}
      </td>
      <td className="px-4 py-2 text-slate-600">{d.last_attempt_at ? formatDateTime(d.last_attempt_at) : "—"}</td>
      <td className="px-4 py-2 font-mono text-[11px] text-slate-400">{d.id}</td>
    </tr>
  );
}

function CreateWebhookDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (id: string) => void }) {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>([...WEBHOOK_EVENTS]);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: createWebhook,
    onSuccess: (hook) => {
      void queryClient.invalidateQueries({ queryKey: integrationKeys.webhooks });
      setSecret(hook.secret);
      onCreated(hook.id);
    },
  });
  const close = () => {
    setUrl("");
    setDescription("");
    setEvents([...WEBHOOK_EVENTS]);
    setSecret(null);
    create.reset();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ url: url.trim(), events, description: description.trim() });
  };
  return (
    <Modal open={open} title={secret ? "Endpoint added" : "Add webhook endpoint"} onClose={close}>
      {secret ? (
        <div className="space-y-4">
          <Alert tone="success">Copy the signing secret now: it is not shown again.</Alert>
          <Field label="Signing secret" hint="Verify each delivery's webhook-signature header with it (any Standard Webhooks library).">
            {(id) => <input id={id} readOnly className={`${inputClass} font-mono text-xs`} value={secret} onFocus={(e) => e.target.select()} />}
          </Field>
          <div className="flex justify-end">
            <Button variant="primary" onClick={close}>Done</Button>
          </div>
        </div>
      ) : (
        <form className="space-y-4" onSubmit={submit}>
          {create.error && <Alert>{create.error.message}</Alert>}
          <Field label="Endpoint URL" hint="https:// recommended. Private and loopback addresses are refused unless the operator allows them.">
            {(id) => (
              <input id={id} type="url" required maxLength={2000} placeholder="https://ats.example.com/hooks/codepair" className={inputClass} value={url} onChange={(e) => setUrl(e.target.value)} />
            )}
          </Field>
          <Field label="Description (optional)">
            {(id) => <input id={id} maxLength={200} className={inputClass} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Events</legend>
            <div className="mt-2 space-y-1.5">
              {WEBHOOK_EVENTS.map((e) => (
                <label key={e} className="flex items-center gap-2 text-sm text-slate-700">
                  <input
                    type="checkbox"
                    className="rounded border-slate-300"
                    checked={events.includes(e)}
                    onChange={(ev) => setEvents(ev.target.checked ? [...events, e] : events.filter((x) => x !== e))}
                  />
                  <span className="font-mono text-xs">{e}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <div className="flex justify-end gap-2 pt-2">
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" variant="primary" busy={create.isPending} disabled={!url.trim() || events.length === 0}>
              Add endpoint
            </Button>
          </div>
        </form>
      )}
    </Modal>
  );
}
