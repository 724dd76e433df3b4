/**
 * Who this tab is: a signed-in user (access token in memory, refresh token in localStorage) or a
 * candidate (their room token in sessionStorage, so it dies with the tab). Every request and
 * socket asks this module for the current bearer token.
 */
import { refreshDelay, tokenExpiry } from "../lib/jwt";
import type { TokenPair, User } from "./types";

const REFRESH_KEY = "codepair.refresh";
const CANDIDATE_KEY = "codepair.candidate";
// A sign-in check that gets no answer (offline, network coming back) is tried again.
const VERIFY_ATTEMPTS = 5;
const VERIFY_RETRY_MS = 1000;

export interface CandidateSession {
  room_id: string;
  token: string;
  name: string;
}

export type SessionState =
  | { kind: "loading" }
  | { kind: "anonymous"; reason?: "expired" | "signed-out" }
  | { kind: "user"; user: User }
  | { kind: "candidate"; candidate: CandidateSession };

type Listener = (state: SessionState) => void;

class SessionExpired extends Error {}

export class Session {
  private state: SessionState = { kind: "loading" };
  private accessToken: string | null = null;
  private refreshing: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Set<Listener>();

  get current(): SessionState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  /** Restores the tab's identity at start-up: a candidate of this tab, else a stored sign-in. */
  async restore(): Promise<void> {
    const candidate = readCandidate();
    if (candidate) {
      this.set({ kind: "candidate", candidate });
      return;
    }
    if (!localStorage.getItem(REFRESH_KEY)) {
      this.set({ kind: "anonymous" });
      return;
    }
    try {
      await this.refresh();
    } catch {
      // refresh() already moved to anonymous when the server refused the token.
      if (this.state.kind === "loading") this.set({ kind: "anonymous" });
    }
  }

  /**
   * Single sign-on lands on /login with a refresh token in the URL fragment: keep it and
   * rotate it at once (the copy left in the address bar's history is then dead).
   */
  async adoptRefreshToken(token: string): Promise<void> {
    sessionStorage.removeItem(CANDIDATE_KEY);
    localStorage.setItem(REFRESH_KEY, token);
    this.set({ kind: "loading" });
    await this.restore();
  }

  signedIn(pair: TokenPair): void {
    sessionStorage.removeItem(CANDIDATE_KEY);
    localStorage.setItem(REFRESH_KEY, pair.refresh_token);
    this.useAccessToken(pair.access_token);
    this.set({ kind: "user", user: pair.user });
  }

  joined(candidate: CandidateSession): void {
    sessionStorage.setItem(CANDIDATE_KEY, JSON.stringify(candidate));
    this.set({ kind: "candidate", candidate });
  }

  userChanged(user: User): void {
    if (this.state.kind === "user") this.set({ kind: "user", user });
  }

  /** Signs out locally at once; the server-side revocation is best effort. */
  async signOut(): Promise<void> {
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    this.clear("signed-out");
    if (refreshToken) {
      await fetch("/api/auth/logout", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      }).catch(() => undefined);
    }
  }

  /** The token to send now, refreshing first when a user's access token is about to lapse. */
  async bearer(): Promise<string | null> {
    if (this.state.kind === "candidate") return this.state.candidate.token;
    if (this.state.kind !== "user" && this.state.kind !== "loading") return null;
    const expiry = this.accessToken ? tokenExpiry(this.accessToken) : null;
    if (this.accessToken && (expiry === null || expiry - Date.now() > 5_000)) return this.accessToken;
    if (!localStorage.getItem(REFRESH_KEY)) return null;
    try {
      return await this.refresh();
    } catch {
      return null;
    }
  }

  /**
   * Back online, or a socket was closed as unauthorized: ask the server whether this sign-in
   * still stands. A revoked session ends here, and the app sends the user to sign in again.
   */
  async verify(attempts = VERIFY_ATTEMPTS): Promise<void> {
    if (this.state.kind !== "user") return;
    const token = await this.bearer();
    const response = await fetch("/api/me", { headers: { authorization: `Bearer ${token ?? ""}` } }).catch(() => null);
    if (response === null) {
      // No answer: still offline, or the network is only coming back (a socket's 4401 can
      // arrive before requests go through again). Ask again shortly rather than never.
      if (attempts > 1) setTimeout(() => void this.verify(attempts - 1), VERIFY_RETRY_MS);
      return;
    }
    if (response.status === 401) await this.recover();
  }

  /** Called after a 401 with a user token: one refresh, shared by every caller waiting. */
  async recover(): Promise<string | null> {
    if (this.state.kind !== "user") return null;
    try {
      return await this.refresh();
    } catch {
      return null;
    }
  }

  private refresh(): Promise<string> {
    if (!this.refreshing) {
      this.refreshing = withRefreshLock(() => this.refreshNow()).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async refreshNow(): Promise<string> {
    // Read inside the lock: another tab may have rotated the token a moment ago.
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    if (!refreshToken) {
      this.clear("expired");
      throw new SessionExpired();
    }
    const response = await fetch("/api/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    if (response.status === 401 || response.status === 422) {
      this.clear("expired");
      throw new SessionExpired();
    }
    if (!response.ok) throw new Error(`refresh failed: ${response.status}`);
    const pair = (await response.json()) as TokenPair;
    localStorage.setItem(REFRESH_KEY, pair.refresh_token);
    this.useAccessToken(pair.access_token);
    this.set({ kind: "user", user: pair.user });
    return pair.access_token;
  }

  private useAccessToken(token: string): void {
    this.accessToken = token;
    if (this.timer) clearTimeout(this.timer);
    const expiry = tokenExpiry(token);
    if (expiry !== null) {
      // Refresh ahead of expiry, so reconnecting sockets always carry a live token.
      this.timer = setTimeout(() => {
        this.refresh().catch(() => undefined);
      }, refreshDelay(expiry, Date.now()));
    }
  }

  private clear(reason: "expired" | "signed-out"): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.accessToken = null;
    localStorage.removeItem(REFRESH_KEY);
    this.set({ kind: "anonymous", reason });
  }
}

function readCandidate(): CandidateSession | null {
  const raw = sessionStorage.getItem(CANDIDATE_KEY);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as CandidateSession;
    return typeof value.token === "string" && typeof value.room_id === "string" ? value : null;
  } catch {
    return null;
  }
}

/** Serializes refreshes across this user's tabs: rotation makes concurrent refreshes collide. */
async function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("codepair.refresh", fn);
  }
  return fn();
}

export const session = new Session();
