/**
 * The terminal socket's messages: the mirror of codepair/terminal/protocol.py (DESIGN.md,
 * "Terminal"). Binary frames are keystrokes in and output bytes out; text frames are JSON.
 */

export type TerminalState = "starting" | "running" | "exited";

export interface StatusMessage {
  type: "status";
  state: TerminalState;
  readonly: boolean;
  cols: number;
  rows: number;
  exit_code?: number;
  reason?: string;
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
}

export type ServerMessage = StatusMessage | ErrorMessage;

export type ClientMessage =
  | { type: "resize"; cols: number; rows: number }
  | { type: "restart" }
  | { type: "readonly"; on: boolean };

/** A server text frame as a message, or null for anything else. */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const type = (value as { type?: unknown }).type;
  if (type === "status" || type === "error") return value as ServerMessage;
  return null;
}

/** One asciicast v2 event: seconds from the start, code, text. */
export type CastEvent = [number, string, string];

export interface Cast {
  width: number;
  height: number;
  timestamp: number;
  events: CastEvent[];
}

/** An asciicast v2 file (header line, then one JSON array a line); bad lines are skipped. */
export function parseCast(text: string): Cast | null {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length === 0) return null;
  let header: { version?: unknown; width?: unknown; height?: unknown; timestamp?: unknown };
  try {
    header = JSON.parse(lines[0] ?? "") as typeof header;
  } catch {
    return null;
  }
  if (header.version !== 2) return null;
  const events: CastEvent[] = [];
  for (const line of lines.slice(1)) {
    try {
      const event = JSON.parse(line) as unknown;
      if (Array.isArray(event) && typeof event[0] === "number" && typeof event[1] === "string" && typeof event[2] === "string") {
        events.push([event[0], event[1], event[2]]);
      }
    } catch {
      // a torn last line: skip it
    }
  }
  return {
    width: typeof header.width === "number" ? header.width : 80,
    height: typeof header.height === "number" ? header.height : 24,
    timestamp: typeof header.timestamp === "number" ? header.timestamp : 0,
    events,
  };
}

/**
 * What the terminal showed at `atMs` (milliseconds since the epoch): the output written up to
 * then, and the size it had. The replay writes this into a fresh xterm.
 */
export function castAt(cast: Cast, atMs: number): { output: string; cols: number; rows: number } {
  let cols = cast.width;
  let rows = cast.height;
  const parts: string[] = [];
  const offset = atMs / 1000 - cast.timestamp;
  for (const [seconds, code, text] of cast.events) {
    if (seconds > offset) break;
    if (code === "o") parts.push(text);
    else if (code === "r") {
      const [c = 0, r = 0] = text.split("x").map(Number);
      if (c > 0 && r > 0) {
        cols = c;
        rows = r;
      }
    }
  }
  return { output: parts.join(""), cols, rows };
}
