import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { api, ApiError } from "../api/client";
import { session } from "../api/session";
import type { TokenPair } from "../api/types";
import { useSession } from "../api/useSession";
import { Logo } from "../components/AppShell";
import { Alert, Button, Field, inputClass } from "../components/ui";
import { useTitle } from "../lib/useTitle";

/** Only same-site paths: `next` comes from the address bar. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  useTitle("Sign in");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const state = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get("next"));

  if (state.kind === "user") return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const pair = await api<TokenPair>("/api/auth/login", { method: "POST", body: { email, password }, auth: false });
      session.signedIn(pair);
      navigate(next, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError("That email and password don't match an active account.");
      else setError(err instanceof Error ? err.message : "Sign-in failed.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex min-h-full items-center justify-center bg-gradient-to-b from-slate-50 to-slate-100 px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex justify-center">
          <Logo className="text-xl" />
        </div>
        <div className="rounded-xl bg-white p-8 shadow-sm ring-1 ring-slate-200">
          <h1 className="text-lg font-semibold text-slate-900">Sign in</h1>
          <p className="mt-1 text-sm text-slate-500">Interviewers and leads sign in here. Candidates use their invite link.</p>
          <form className="mt-6 space-y-4" onSubmit={(e) => void submit(e)} noValidate>
            {params.get("expired") && !error && (
              <Alert tone="info">Your session ended. Sign in again to continue where you left off.</Alert>
            )}
            {error && <Alert>{error}</Alert>}
            <Field label="Email">
              {(id) => (
                <input
                  id={id}
                  name="email"
                  type="email"
                  autoComplete="username"
                  required
                  autoFocus
                  className={inputClass}
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                />
              )}
            </Field>
            <Field label="Password">
              {(id) => (
                <input
                  id={id}
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  required
                  className={inputClass}
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              )}
            </Field>
            <Button type="submit" variant="primary" className="w-full" busy={busy} disabled={!email || !password}>
              Sign in
            </Button>
          </form>
        </div>
      </div>
    </div>
  );
}
