/**
 * The room's shared terminal: xterm.js on `/ws/rooms/{id}/terminal` (docs/terminal.md).
 * Everyone types into the one shell; a new socket gets the recent output first, so this
 * screen matches everyone else's. Interviewers can restart it and make it read-only for the
 * candidate. The output only paints: no link opens without a click handled here (none is),
 * the title and the clipboard sequences do nothing.
 */
import "@xterm/xterm/css/xterm.css";

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { useEffect, useRef, useState } from "react";

import { session } from "../api/session";
import { socketBase } from "../realtime/protocol";
import { parseServerMessage, type ClientMessage, type StatusMessage } from "./protocol";

const RECONNECT_MS = 1500;
// Closes after which a new socket cannot help: unauthorized, forbidden, room ended.
const FINAL = new Set([4401, 4403, 4410, 1008]);

export const TERMINAL_THEME = { background: "#0f172a", foreground: "#e2e8f0", cursor: "#a5b4fc" };

/** xterm.js set up to paint and nothing more (shared by the room and the replay). */
export function paintOnlyTerminal(options: { cols?: number; rows?: number; disableStdin?: boolean } = {}): Terminal {
  return new Terminal({
    ...options,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace",
    fontSize: 13,
    scrollback: 5000,
    theme: TERMINAL_THEME,
    // OSC 8 hyperlinks from the shell's output open nothing.
    linkHandler: { activate: () => undefined, allowNonHttpProtocols: false },
  });
}

export function TerminalPanel({ roomId, interviewer, ended }: { roomId: string; interviewer: boolean; ended: boolean }) {
  const host = useRef<HTMLDivElement | null>(null);
  const socket = useRef<WebSocket | null>(null);
  const [status, setStatus] = useState<StatusMessage | null>(null);
  const [connected, setConnected] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const term = paintOnlyTerminal();
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    const encoder = new TextEncoder();
    let closed = false;
    let retry: number | undefined;

    const send = (message: ClientMessage | Uint8Array) => {
      const ws = socket.current;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send(message instanceof Uint8Array ? message : JSON.stringify(message));
    };
    const sayResize = () => send({ type: "resize", cols: term.cols, rows: term.rows });

    const connect = async () => {
      const token = await session.bearer();
      if (closed) return;
      const ws = new WebSocket(`${socketBase(location)}/ws/rooms/${roomId}/terminal?token=${encodeURIComponent(token ?? "")}`);
      ws.binaryType = "arraybuffer";
      socket.current = ws;
      let first = true;
      ws.onopen = () => {
        setConnected(true);
        setNotice(null);
        sayResize();
      };
      ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
        if (typeof event.data === "string") {
          const message = parseServerMessage(event.data);
          if (message?.type === "status") {
            setStatus(message);
            if (message.cols !== term.cols || message.rows !== term.rows) {
              // Everyone sees the typist's screen: this pane takes its size (and scrolls).
              term.resize(message.cols, message.rows);
            }
          } else if (message?.type === "error") setNotice(message.message);
          return;
        }
        if (first) {
          first = false;
          term.reset(); // a reconnect starts from the server's recent output, not on top of ours
        }
        term.write(new Uint8Array(event.data));
      };
      ws.onclose = (event) => {
        setConnected(false);
        if (socket.current === ws) socket.current = null;
        if (closed) return;
        if (FINAL.has(event.code)) {
          setNotice(event.reason || "The terminal is closed.");
          return;
        }
        retry = window.setTimeout(() => void connect(), RECONNECT_MS);
      };
    };
    void connect();

    const typed = term.onData((data) => send(encoder.encode(data)));
    const binary = term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
    const observer = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        return; // hidden (another tab): nothing to measure
      }
      sayResize();
    });
    observer.observe(element);
    return () => {
      closed = true;
      window.clearTimeout(retry);
      observer.disconnect();
      typed.dispose();
      binary.dispose();
      socket.current?.close();
      term.dispose();
    };
  }, [roomId]);

  const send = (message: ClientMessage) => socket.current?.send(JSON.stringify(message));
  const state = status?.state ?? "starting";
  return (
    <div className="flex h-full min-h-0 flex-col bg-slate-950" data-testid="terminal-panel">
      <div className="flex h-8 shrink-0 items-center gap-3 border-b border-slate-800 px-3 text-xs text-slate-400">
        <span data-testid="terminal-state">
          {!connected ? "Connecting…" : state === "running" ? "Shell running" : state === "starting" ? "Starting the shell…" : `Shell exited${status?.exit_code !== undefined ? ` (${status.exit_code})` : ""}`}
        </span>
        {status?.readonly && <span className="rounded bg-amber-900/60 px-1.5 py-0.5 text-amber-200">Read-only for the candidate</span>}
        <span className="text-slate-500">Everyone in the room types into this shell; /workspace holds the project.</span>
        {notice && <span className="text-amber-300" role="status">{notice}</span>}
        {interviewer && !ended && (
          <span className="ml-auto flex gap-2">
            <button type="button" className="rounded px-2 py-0.5 hover:bg-slate-800 hover:text-slate-200" onClick={() => send({ type: "readonly", on: !status?.readonly })}>
              {status?.readonly ? "Let the candidate type" : "Make read-only"}
            </button>
            <button type="button" className="rounded px-2 py-0.5 hover:bg-slate-800 hover:text-slate-200" onClick={() => send({ type: "restart" })} data-testid="terminal-restart">
              Restart
            </button>
          </span>
        )}
      </div>
      <div ref={host} className="min-h-0 flex-1 overflow-auto p-1" data-testid="terminal" />
    </div>
  );
}
