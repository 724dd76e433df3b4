import { useEffect, useState } from "react";

import { formatDuration, interviewClock } from "../lib/time";

/** Counts down the planned time, then up into overtime; before the start, counts to it. */
export function InterviewTimer({ startedAt, scheduledAt, durationMinutes, ended }: { startedAt: string | null; scheduledAt: string | null; durationMinutes: number; ended: boolean }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (ended) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ended]);
  if (ended) return null;
  const clock = interviewClock(startedAt, scheduledAt, durationMinutes, now);
  const text = {
    before: `Starts in ${formatDuration(clock.ms)}`,
    waiting: `Not started · ${Math.round(clock.ms / 60_000)} min`,
    running: `${formatDuration(clock.ms)} left`,
    overtime: `+${formatDuration(clock.ms)} over`,
  }[clock.phase];
  const tone = clock.phase === "overtime" ? "text-rose-300 ring-rose-500/40" : clock.phase === "running" && clock.ms < 5 * 60_000 ? "text-amber-300 ring-amber-500/40" : "text-slate-200 ring-slate-700";
  return (
    <span className={`rounded-md px-2 py-0.5 font-mono text-xs tabular-nums ring-1 ${tone}`} role="timer" aria-label="Interview time">
      {text}
    </span>
  );
}
