/** The signed-in frame: top bar with navigation, and the guard that sends others to sign-in. */
import type { ReactNode } from "react";
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from "react-router";

import { session } from "../api/session";
import { useSession } from "../api/useSession";
import { Avatar, FullPageSpinner } from "./ui";
import { personSeed } from "../lib/colors";

export function Logo({ className = "" }: { className?: string }) {
  return (
    <span className={`inline-flex items-center gap-2 font-semibold text-slate-900 ${className}`}>
      <img src="/favicon.svg" alt="" className="h-7 w-7" />
      CodePair
    </span>
  );
}

export function RequireUser({ children }: { children: ReactNode }) {
  const state = useSession();
  const location = useLocation();
  if (state.kind === "loading") return <FullPageSpinner />;
  if (state.kind === "candidate") return <Navigate to={`/rooms/${state.candidate.room_id}`} replace />;
  if (state.kind === "anonymous") {
    const next = location.pathname + location.search;
    const params = new URLSearchParams(next !== "/" ? { next } : {});
    if (state.reason === "expired") params.set("expired", "1");
    const query = params.toString();
    return <Navigate to={`/login${query ? `?${query}` : ""}`} replace />;
  }
  return <>{children}</>;
}

const navClass = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-1.5 text-sm font-medium ${isActive ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:text-slate-900"}`;

export function AppShell() {
  const state = useSession();
  const navigate = useNavigate();
  if (state.kind !== "user") return null;
  const { user } = state;
  return (
    <div className="min-h-full">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-6">
          <NavLink to="/" aria-label="CodePair home">
            <Logo />
          </NavLink>
          <nav className="flex items-center gap-1" aria-label="Main">
            <NavLink to="/" end className={navClass}>
              Interviews
            </NavLink>
            {user.role === "lead" && (
              <NavLink to="/admin/users" className={navClass}>
                Users
              </NavLink>
            )}
            {user.role === "lead" && (
              <NavLink to="/admin/audit" className={navClass}>
                Audit
              </NavLink>
            )}
            {user.role === "lead" && (
              <NavLink to="/admin/webhooks" className={navClass}>
                Webhooks
              </NavLink>
            )}
            <NavLink to="/questions" className={navClass}>
              Questions
            </NavLink>
            <NavLink to="/settings" className={navClass}>
              Settings
            </NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-3">
            <div className="hidden text-right sm:block">
              <div className="text-sm font-medium text-slate-900">{user.name}</div>
              <div className="text-xs text-slate-500 capitalize">{user.role}</div>
            </div>
            <Avatar name={user.name} seed={personSeed("interviewer", user.name)} />
            <button
              type="button"
              className="rounded-md px-2.5 py-1.5 text-sm text-slate-600 hover:bg-slate-100 hover:text-slate-900"
              onClick={() => {
                void session.signOut().then(() => navigate("/login"));
              }}
            >
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-6 py-8">
        <Outlet />
      </main>
    </div>
  );
}
