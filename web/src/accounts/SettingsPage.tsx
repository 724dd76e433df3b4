/** The user's own profile, password and API tokens; a lead's sign-in settings. */
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { changePassword, updateMe } from "../api/queries";
import { session } from "../api/session";
import { useSession } from "../api/useSession";
import { Alert, Button, Field, inputClass } from "../components/ui";
import { ApiTokensSection, SignInSettingsSection } from "../integrations/ApiTokensSection";
import { useTitle } from "../lib/useTitle";
import { CriteriaEditor } from "../reports/CriteriaEditor";

export function SettingsPage() {
  useTitle("Settings");
  const state = useSession();
  if (state.kind !== "user") return null;
  return (
    <div className="max-w-2xl space-y-8">
      <div>
        <h1 className="text-2xl font-semibold text-slate-900">Settings</h1>
        <p className="mt-1 text-sm text-slate-500">Your profile, password and API tokens.</p>
      </div>
      <Profile name={state.user.name} email={state.user.email} />
      <Password />
      <ApiTokensSection />
      {state.user.role === "lead" && <SignInSettingsSection />}
      {state.user.role === "lead" && <CriteriaEditor />}
    </div>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="rounded-xl bg-white p-6 shadow-xs ring-1 ring-slate-200">
      <h2 className="mb-4 text-base font-semibold text-slate-900">{title}</h2>
      {children}
    </section>
  );
}

function Profile({ name: initial, email }: { name: string; email: string }) {
  const [name, setName] = useState(initial);
  const save = useMutation({ mutationFn: updateMe, onSuccess: (user) => session.userChanged(user) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ name: name.trim() });
  };
  return (
    <Section title="Profile">
      <form className="space-y-4" onSubmit={submit}>
        {save.error && <Alert>{save.error.message}</Alert>}
        {save.isSuccess && <Alert tone="success">Saved.</Alert>}
        <Field label="Email" hint="Ask a lead to change it.">
          {(id) => <input id={id} className={inputClass} value={email} disabled />}
        </Field>
        <Field label="Name">
          {(id) => <input id={id} className={inputClass} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Button type="submit" variant="primary" busy={save.isPending} disabled={!name.trim() || name.trim() === initial}>
          Save profile
        </Button>
      </form>
    </Section>
  );
}

function Password() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const save = useMutation({
    mutationFn: changePassword,
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setConfirm("");
    },
  });
  const mismatch = confirm.length > 0 && confirm !== next;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    save.mutate({ current_password: current, new_password: next });
  };
  return (
    <Section title="Password">
      <form className="space-y-4" onSubmit={submit}>
        {save.error && <Alert>{save.error.message}</Alert>}
        {save.isSuccess && <Alert tone="success">Password changed. Other devices are signed out.</Alert>}
        <Field label="Current password">
          {(id) => (
            <input id={id} type="password" autoComplete="current-password" className={inputClass} value={current} onChange={(e) => setCurrent(e.target.value)} />
          )}
        </Field>
        <Field label="New password" hint="At least 8 characters.">
          {(id) => (
            <input id={id} type="password" autoComplete="new-password" className={inputClass} value={next} onChange={(e) => setNext(e.target.value)} />
          )}
        </Field>
        <Field label="Repeat new password" error={mismatch ? "The passwords differ." : null}>
          {(id) => (
            <input id={id} type="password" autoComplete="new-password" className={inputClass} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={save.isPending} disabled={!current || !next || mismatch}>
          Change password
        </Button>
      </form>
    </Section>
  );
}
