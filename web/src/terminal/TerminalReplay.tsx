/**
 * The terminal at the replay's playhead: the room's asciicast (GET terminal.cast) played into
 * xterm.js up to that moment. Moving forward writes only what came since; moving back
 * repaints from the start.
 */
import "@xterm/xterm/css/xterm.css";

import { useEffect, useRef, useState } from "react";

import { api } from "../api/client";
import { castAt, parseCast, type Cast } from "./protocol";
import { paintOnlyTerminal } from "./TerminalPanel";

/** `onEnd`: the moment of the record's last event (epoch ms), once loaded, for the span. */
export function TerminalReplay({ roomId, at, onEnd }: { roomId: string; at: number; onEnd?: (ms: number | null) => void }) {
  const host = useRef<HTMLDivElement | null>(null);
  const term = useRef<ReturnType<typeof paintOnlyTerminal> | null>(null);
  const shown = useRef("");
  const [cast, setCast] = useState<Cast | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    api<unknown>(`/api/rooms/${roomId}/terminal.cast`)
      .then((body) => {
        if (gone) return;
        const parsed = parseCast(typeof body === "string" ? body : JSON.stringify(body));
        if (!parsed) {
          setError("The terminal's record could not be read.");
          return;
        }
        setCast(parsed);
        const last = parsed.events.at(-1);
        onEnd?.(last ? (parsed.timestamp + last[0]) * 1000 : null);
      })
      .catch(() => !gone && setError("The terminal's record could not be loaded."));
    return () => {
      gone = true;
    };
  }, [roomId, onEnd]);

  useEffect(() => {
    if (!host.current) return;
    const t = paintOnlyTerminal({ disableStdin: true });
    t.open(host.current);
    term.current = t;
    return () => {
      t.dispose();
      term.current = null;
      shown.current = "";
    };
  }, []);

  useEffect(() => {
    const t = term.current;
    if (!t || !cast) return;
    const { output, cols, rows } = castAt(cast, at);
    if (cols !== t.cols || rows !== t.rows) t.resize(cols, rows);
    if (output.startsWith(shown.current)) {
      t.write(output.slice(shown.current.length));
    } else {
      t.reset();
      t.write(output);
    }
    shown.current = output;
  }, [cast, at]);

  const empty = cast !== null && cast.events.length === 0;
  return (
    <div className="flex h-full min-h-0 flex-col bg-slate-950" data-testid="terminal-replay">
      {(error || empty) && <p className="px-3 py-2 text-xs text-slate-400">{error ?? "The terminal was not used in this interview."}</p>}
      <div ref={host} className="min-h-0 flex-1 overflow-auto p-1" />
    </div>
  );
}
