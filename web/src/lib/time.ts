/** Dates and the interview clock. */

export function formatDateTime(iso: string | null, locale?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

export function formatClock(iso: string, locale?: string): string {
  return new Date(iso).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

/** `h:mm:ss` or `m:ss` for a non-negative number of milliseconds. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export interface InterviewClock {
  phase: "before" | "waiting" | "running" | "overtime";
  /** Until the scheduled start (before), the planned length (waiting), until the end (running), or past it. */
  ms: number;
}

/**
 * Where the interview stands. It starts when the candidate first joins (`started_at`) and runs
 * for its planned duration; until then it counts down to the scheduled start, or waits.
 */
export function interviewClock(
  startedAt: string | null,
  scheduledAt: string | null,
  durationMinutes: number,
  now: number,
): InterviewClock {
  const planned = durationMinutes * 60_000;
  if (!startedAt) {
    const scheduled = scheduledAt ? new Date(scheduledAt).getTime() : null;
    if (scheduled !== null && scheduled > now) return { phase: "before", ms: scheduled - now };
    return { phase: "waiting", ms: planned };
  }
  const end = new Date(startedAt).getTime() + planned;
  return end >= now ? { phase: "running", ms: end - now } : { phase: "overtime", ms: now - end };
}

/** A `<input type="datetime-local">` value for an ISO time, in local time. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 16);
}

export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
