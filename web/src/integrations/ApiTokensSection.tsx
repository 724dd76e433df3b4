/** Settings sections of the integrations: personal API tokens, and (leads) the sign-in settings. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";

import { Alert, Badge, Button, Field, inputClass, Spinner } from "../components/ui";
import { formatDateTime } from "../lib/time";
import { createToken, integrationKeys, revokeToken, signInSettingsQuery, tokensQuery, updateSignInSettings, type ApiToken, type ApiTokenScope } from "./api";

const SCOPES: { id: ApiTokenScope; label: string; hint: string }[] = [
  { id: "rooms:read", label: "Read rooms", hint: "list rooms and read one, with its invite link" },
  { id: "rooms:write", label: "Write rooms", hint: "create, change, end and delete rooms" },
];

function Section({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  return (
    <section className="rounded-xl bg-white p-6 shadow-xs ring-1 ring-slate-200">
      <h2 className="text-base font-semibold text-slate-900">{title}</h2>
      <p className="mt-1 mb-4 text-sm text-slate-500">{description}</p>
      {children}
    </section>
  );
}

export function ApiTokensSection() {
  const queryClient = useQueryClient();
  const tokens = useQuery(tokensQuery());
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiTokenScope[]>(["rooms:read", "rooms:write"]);
  const [shown, setShown] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: createToken,
    onSuccess: (token) => {
      setShown(token.token);
      setName("");
      void queryClient.invalidateQueries({ queryKey: integrationKeys.tokens });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), scopes });
  };
  return (
    <Section
      title="API tokens"
      description="For automation, such as an applicant tracking system creating rooms. A token acts as you on the rooms API only, within its scopes: send it as Authorization: Bearer <token>."
    >
      {shown && (
        <div className="mb-4 space-y-2">
          <Alert tone="success">Copy your new token now: it is not shown again.</Alert>
          <input aria-label="New API token" readOnly className={`${inputClass} font-mono text-xs`} value={shown} onFocus={(e) => e.target.select()} />
        </div>
      )}
      <form className="space-y-4" onSubmit={submit}>
        {create.error && <Alert>{create.error.message}</Alert>}
        <Field label="Token name" hint="What uses it, e.g. “Greenhouse sync”.">
          {(id) => <input id={id} required maxLength={100} className={inputClass} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Scopes</legend>
          <div className="mt-2 space-y-1.5">
            {SCOPES.map((s) => (
              <label key={s.id} className="flex items-start gap-2 text-sm text-slate-700">
                <input
                  type="checkbox"
                  className="mt-0.5 rounded border-slate-300"
                  checked={scopes.includes(s.id)}
                  onChange={(e) => setScopes(e.target.checked ? [...scopes, s.id] : scopes.filter((x) => x !== s.id))}
                />
                <span>
                  <span className="font-mono text-xs">{s.id}</span> <span className="text-slate-500">— {s.hint}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim() || scopes.length === 0}>
          Create token
        </Button>
      </form>
      <div className="mt-6">
        {tokens.isLoading ? (
          <div className="flex gap-2 text-sm text-slate-500"><Spinner /> Loading tokens…</div>
        ) : tokens.data?.length ? (
          <ul className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200" aria-label="Your API tokens">
            {tokens.data.map((t) => <TokenRow key={t.id} token={t} />)}
          </ul>
        ) : (
          <p className="text-sm text-slate-500">No tokens yet.</p>
        )}
      </div>
    </Section>
  );
}

function TokenRow({ token: t }: { token: ApiToken }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeToken(t.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: integrationKeys.tokens }),
  });
  return (
    <li className="flex items-center justify-between gap-4 px-4 py-3 text-sm">
      <div className="min-w-0">
        <div className="flex items-center gap-2">
          <span className="font-medium text-slate-900">{t.name}</span>
          {t.revoked_at && <Badge kind="inactive">Revoked</Badge>}
        </div>
        <div className="mt-0.5 text-xs text-slate-500">
          <span className="font-mono">{t.hint}…</span> · {t.scopes.join(", ")} · created {formatDateTime(t.created_at)} ·{" "}
          {t.last_used_at ? `last used ${formatDateTime(t.last_used_at)}` : "never used"}
        </div>
        {revoke.error && <p className="mt-1 text-xs text-rose-600">{revoke.error.message}</p>}
      </div>
      {!t.revoked_at && (
        <Button size="sm" variant="ghost" busy={revoke.isPending} onClick={() => revoke.mutate()}>
          Revoke
        </Button>
      )}
    </li>
  );
}

/** Leads: whether password sign-in stays on once single sign-on is set up. */
export function SignInSettingsSection() {
  const queryClient = useQueryClient();
  const settings = useQuery(signInSettingsQuery());
  const save = useMutation({
    mutationFn: updateSignInSettings,
    onSuccess: (data) => queryClient.setQueryData(integrationKeys.signIn, data),
  });
  const s = settings.data;
  return (
    <Section title="Sign-in" description="How interviewers and leads sign in to this server.">
      {!s ? (
        <div className="flex gap-2 text-sm text-slate-500"><Spinner /> Loading…</div>
      ) : (
        <div className="space-y-4 text-sm">
          {save.error && <Alert>{save.error.message}</Alert>}
          <p className="text-slate-700">
            Single sign-on:{" "}
            {s.oidc_enabled ? (
              <>
                <Badge kind="live">On</Badge> <span className="font-mono text-xs">{s.oidc_issuer}</span>
                {s.oidc_allowed_domains.length > 0 && (
                  <span className="block mt-1 text-xs text-slate-500">New accounts are made on first sign-in for {s.oidc_allowed_domains.join(", ")}.</span>
                )}
              </>
            ) : (
              <span className="text-slate-500">not configured (CODEPAIR_OIDC_ISSUER)</span>
            )}
          </p>
          <label className="flex items-center gap-2 text-slate-700">
            <input
              type="checkbox"
              className="rounded border-slate-300"
              checked={s.password_login_enabled}
              disabled={save.isPending || (!s.oidc_enabled && s.password_login_enabled)}
              onChange={(e) => save.mutate({ password_login_enabled: e.target.checked })}
            />
            Allow sign-in with email and password
          </label>
          {!s.oidc_enabled && <p className="text-xs text-slate-500">Password sign-in can be turned off once single sign-on is set up.</p>}
        </div>
      )}
    </Section>
  );
}
