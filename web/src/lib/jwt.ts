/** Reads a JWT's expiry without verifying it: the server verifies, the client only schedules. */
export function tokenExpiry(token: string): number | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const payload: unknown = JSON.parse(json);
    if (payload && typeof payload === "object" && "exp" in payload && typeof payload.exp === "number") {
      return payload.exp * 1000;
    }
  } catch {
    return null;
  }
  return null;
}

/** Milliseconds to wait before refreshing a token that expires at `expiresAt`. */
export function refreshDelay(expiresAt: number, now: number): number {
  const lifetime = expiresAt - now;
  // Refresh at 80% of the remaining life, but at least 5 s ahead and never in the past.
  return Math.max(0, Math.min(lifetime * 0.8, lifetime - 5_000));
}
