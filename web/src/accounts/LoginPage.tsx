import { useQuery } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { api, ApiError } from "../api/client";
import { session } from "../api/session";
import type { TokenPair } from "../api/types";
import { useSession } from "../api/useSession";
import { Logo } from "../components/AppShell";
import { Alert, Button, Field, inputClass } from "../components/ui";
import { signInOptionsQuery } from "../integrations/api";
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
  const options = useQuery(signInOptionsQuery());
  const ssoError = params.get("sso_error");

  // Back from single sign-on: the refresh token is in the fragment, never sent to a server.
  useEffect(() => {
    const match = /^#sso=([^&]+)/.exec(window.location.hash);
    if (!match?.[1]) return;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    void session.adoptRefreshToken(decodeURIComponent(match[1]));
  }, []);

  if (state.kind === "user") return <Navigate to={next} replace />;
  const passwords = options.data?.password_login_enabled ?? true;

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
      else if (err instanceof ApiError && err.status === 403) setError(err.message);
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
          {ssoError && (
            <div className="mt-6">
              <Alert>Single sign-on failed: {ssoError}</Alert>
            </div>
          )}
          {options.data?.oidc_enabled && (
            <div className="mt-6 space-y-4">
              <a
                href="/api/auth/oidc/login"
                className="flex w-full items-center justify-center gap-2 rounded-md bg-slate-900 px-3.5 py-2 text-sm font-medium text-white shadow-xs hover:bg-slate-800"
              >
                Sign in with {options.data.oidc_name}
              </a>
              {passwords && (
                <div className="flex items-center gap-3 text-xs text-slate-400">
                  <span className="h-px flex-1 bg-slate-200" /> or with your password <span className="h-px flex-1 bg-slate-200" />
                </div>
              )}
            </div>
          )}
          {passwords && (
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
          )}
        </div>
      </div>
    </div>
  );
}
