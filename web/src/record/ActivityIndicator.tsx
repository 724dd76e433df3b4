/** A quiet live line for interviewers: the candidate's latest paste or tab switch. */
import { useEffect, useState } from "react";

import type { ActivityMessage } from "../realtime/protocol";
import { describeActivity } from "./activity";

const SHOW_MS = 12_000;

export function ActivityIndicator({ items }: { items: ActivityMessage[] }) {
  const last = items.at(-1);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!last) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [last]);
  if (!last) return null;
  const away = last.kind === "focus_lost";
  const fresh = away || now - Date.parse(last.at) < SHOW_MS;
  const text = away ? `${describeActivity(last)} ${Math.max(0, Math.round((now - Date.parse(last.at)) / 1000))} s ago` : describeActivity(last);
  return (
    <span
      className={`min-w-0 truncate rounded px-2 py-0.5 text-[11px] ${fresh ? "bg-amber-500/15 text-amber-200" : "text-slate-500"}`}
      title={items.slice(-10).map((i) => `${new Date(i.at).toLocaleTimeString()} ${describeActivity(i)}`).join("\n")}
      data-testid="activity-indicator"
      aria-live="polite"
    >
      {text}
    </span>
  );
}
