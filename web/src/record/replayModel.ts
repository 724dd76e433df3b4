/**
 * The replay's model: a room's record as the server sends it (GET /api/rooms/{id}/replay),
 * and any moment of a document rebuilt from it in the browser. A moment is the last keyframe
 * before it plus at most one keyframe interval of updates; moving forward a little applies
 * only the updates in between. Pure apart from Yjs: no React, no Monaco.
 */
import * as Y from "yjs";

import { decodeBase64, inflate } from "./base64";
import { firstClient, itemRuns, learnClients, TextIndex, TextIndexBuilder, type AuthorRun, type BuiltIndex } from "./textIndex";

export { decodeBase64, inflate } from "./base64";
export { CHECKPOINT_EVERY, firstClient, type AuthorRun } from "./textIndex";

export interface ReplayAuthor {
  id: string;
  name: string;
  role: string;
}

/** `[seq, at (ms since the epoch), author index, base64 update]`. */
export type PackedUpdate = [number, number, number, string];

export interface ReplayEvent {
  id: number;
  at: string;
  type: string;
  actor: { name: string; role: string | null } | null;
  [field: string]: unknown;
}

export interface ReplayRun {
  id: string;
  created_at: string;
  finished_at: string | null;
  status: string;
  language: string;
  author: { name: string; role: string | null };
  code: string;
  stdin: string;
  stdout: string;
  stderr: string;
  compile_output: string;
  exit_code: number | null;
}

export interface ReplayData {
  room: { id: string; title: string; candidate_name: string; language: string; created_at: string; started_at: string | null; ended_at: string | null };
  now: string;
  authors: ReplayAuthor[];
  docs: Record<string, { keyframes: { seq: number; at: string; state: string }[]; updates: PackedUpdate[] }>;
  events: ReplayEvent[];
  runs: ReplayRun[];
}

export interface Frame {
  seq: number;
  bytes: Uint8Array;
}

/** Keyframes of a document, inflated. */
export function inflateFrames(keyframes: { seq: number; state: string }[]): Promise<Frame[]> {
  return Promise.all(keyframes.map(async (f) => ({ seq: f.seq, bytes: await inflate(f.state) })));
}

/** The last index whose value is <= `x` in a non-decreasing array; -1 when none. */
export function lastAtOrBefore(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] ?? Infinity) <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Applying a keyframe's state costs about as much as this many keystroke updates. */
const FRAME_COST = 200;

/** One document of the record, able to stand as it was at any update. */
export class DocTimeline {
  readonly seqs: Float64Array;
  /** Non-decreasing times (a running maximum of each update's `at`), for searching by time. */
  readonly times: Float64Array;
  readonly authorOf: Int32Array;
  private readonly raw: PackedUpdate[];
  private readonly bytes: (Uint8Array | undefined)[];
  private readonly frames: { index: number; state: Uint8Array }[] = [];
  /** Each Yjs client id's author index (learned from the updates it sent). */
  readonly clientAuthor = new Map<number, number>();
  doc = new Y.Doc();
  /** The index of the last update applied to `doc` (-1: none). */
  applied = -1;

  constructor(packed: { updates: PackedUpdate[] }, keyframes: Frame[] = []) {
    const n = packed.updates.length;
    this.raw = packed.updates;
    this.seqs = new Float64Array(n);
    this.times = new Float64Array(n);
    this.authorOf = new Int32Array(n);
    this.bytes = new Array<Uint8Array | undefined>(n);
    let latest = -Infinity;
    packed.updates.forEach(([seq, at, author], i) => {
      this.seqs[i] = seq;
      latest = Math.max(latest, at);
      this.times[i] = latest;
      this.authorOf[i] = author;
    });
    this.addFrames(keyframes);
  }

  /** More keyframes (the page inflates the one its first moment needs first, the rest after). */
  addFrames(keyframes: Frame[]): void {
    const known = new Set(this.frames.map((f) => f.index));
    for (const f of keyframes) {
      const index = lastAtOrBefore(this.seqs, f.seq);
      if (index >= 0 && !known.has(index)) {
        known.add(index);
        this.frames.push({ index, state: f.bytes });
      }
    }
    this.frames.sort((a, b) => a.index - b.index);
  }

  get length(): number {
    return this.raw.length;
  }

  /** The text index, once built (`buildIndex` here, or in a worker and given to
   * `useIndex`): seeks then touch no Yjs at all. */
  private index: TextIndex | null = null;
  private indexing: TextIndexBuilder | null = null;

  /** Build the text index on this thread for about `budgetMs`; true once it is in use.
   * (The page builds it in a worker: `startIndexWorker`.) */
  buildIndex(budgetMs = 8): boolean {
    if (this.index) return true;
    this.indexing ??= new TextIndexBuilder(this.length, (i) => this.update(i), this.authorOf);
    if (!this.indexing.step(budgetMs)) return false;
    this.useIndex(this.indexing.result());
    this.indexing = null;
    return true;
  }

  /** Seek through a built index from now on; it also names every client's author, so the
   * characters that came in a keyframe get a colour on the Y.Doc path too. */
  useIndex(built: BuiltIndex): void {
    if (built.n !== this.length) throw new Error(`the index covers ${built.n} updates, the record ${this.length}`);
    for (const [client, author] of built.clientAuthor) if (!this.clientAuthor.has(client)) this.clientAuthor.set(client, author);
    this.index = new TextIndex(built);
    this.index.seek(this.applied);
  }

  /** What the index worker needs: the updates as sent (base64) and their authors. */
  indexRequest(name = "code"): { updates: string[]; authorOf: Int32Array; name: string } {
    return { updates: this.raw.map((u) => u[3]), authorOf: this.authorOf.slice(), name };
  }

  get indexed(): boolean {
    return this.index !== null;
  }

  updateBytes(i: number): Uint8Array {
    return this.update(i);
  }

  private update(i: number): Uint8Array {
    let bytes = this.bytes[i];
    if (!bytes) {
      bytes = decodeBase64(this.raw[i]?.[3] ?? "");
      this.bytes[i] = bytes;
      const client = firstClient(bytes);
      const author = this.authorOf[i] ?? -1;
      if (client !== null && author >= 0 && !this.clientAuthor.has(client)) this.clientAuthor.set(client, author);
    }
    return bytes;
  }

  /** Every update's client, so the authors of a keyframe's characters are known too. */
  learnAuthors(): void {
    learnClients(this.length, (i) => this.update(i), this.authorOf, this.clientAuthor);
  }

  /** The index of the last update at or before `ms` (epoch milliseconds). */
  indexAt(ms: number): number {
    return lastAtOrBefore(this.times, ms);
  }

  /** Make `doc` the document after update `target` (-1: before any). */
  seekIndex(target: number): void {
    const to = Math.max(-1, Math.min(target, this.raw.length - 1));
    if (to === this.applied) return;
    if (this.index) {
      this.index.seek(to);
      this.applied = to;
      return;
    }
    const frameAt = lastAtOrBefore(
      this.frames.map((f) => f.index),
      to,
    );
    const frame = frameAt >= 0 ? this.frames[frameAt] : undefined;
    // Back in time: start again, from a keyframe if there is one. Forward: from a keyframe
    // when it skips more updates than applying its state costs.
    if (to < this.applied || (frame && frame.index - this.applied > FRAME_COST)) {
      this.doc.destroy();
      this.doc = new Y.Doc();
      this.applied = -1;
      if (frame) {
        Y.applyUpdate(this.doc, frame.state);
        this.applied = frame.index;
      }
    }
    Y.transact(this.doc, () => {
      for (let i = this.applied + 1; i <= to; i++) Y.applyUpdate(this.doc, this.update(i));
    });
    this.applied = to;
  }

  text(name = "code"): string {
    if (this.index && name === "code") return this.index.text();
    return this.doc.getText(name).toString();
  }

  language(): string | undefined {
    if (this.index) return this.index.language();
    const value = this.doc.getMap("meta").get("language");
    return typeof value === "string" ? value : undefined;
  }

  /** Who wrote each character of the `Y.Text` at the playhead, as runs. */
  authorRuns(name = "code"): AuthorRun[] {
    if (this.index && name === "code") return this.index.authorRuns();
    return itemRuns(this.doc.getText(name), this.clientAuthor);
  }

  /** The notes (TipTap's XmlFragment `default`) as plain text, one block a line. */
  notesText(): string {
    const lines: string[] = [];
    const walk = (node: Y.XmlFragment | Y.XmlElement) => {
      for (const child of node.toArray()) {
        if (child instanceof Y.XmlText) lines.push(child.toString().replace(/<[^>]+>/g, ""));
        else if (child instanceof Y.XmlElement) {
          const hasBlocks = child.toArray().some((c) => c instanceof Y.XmlElement);
          if (hasBlocks) walk(child);
          else lines.push(child.toArray().map((c) => (c instanceof Y.XmlText ? c.toString().replace(/<[^>]+>/g, "") : "")).join(""));
        }
      }
    };
    walk(this.doc.getXmlFragment("default"));
    return lines.join("\n");
  }
}

/** The marker kinds on the scrubber, with the colour each is drawn in. */
export const MARKER_KINDS: Record<string, { label: string; color: string }> = {
  joined: { label: "Joined", color: "#10b981" },
  left: { label: "Left", color: "#64748b" },
  chat: { label: "Chat", color: "#6366f1" },
  run: { label: "Run", color: "#0ea5e9" },
  language: { label: "Language", color: "#a855f7" },
  paste: { label: "Paste", color: "#f59e0b" },
  focus_lost: { label: "Left the tab", color: "#ef4444" },
  focus_returned: { label: "Back to the tab", color: "#fb7185" },
  question: { label: "Question", color: "#14b8a6" },
  ended: { label: "Ended", color: "#e2e8f0" },
  file_created: { label: "Files", color: "#eab308" },
  file_renamed: { label: "Files", color: "#eab308" },
  file_deleted: { label: "Files", color: "#eab308" },
  files_imported: { label: "Files", color: "#eab308" },
  files_changed: { label: "Files", color: "#eab308" },
  ai: { label: "AI assistant", color: "#eab308" },
  ai_insert: { label: "Code from the AI", color: "#ca8a04" },
};

/** The span the replay covers, in epoch milliseconds: from the first thing that happened to
 * the last (an event, a code update, the end, and the board's last drawing when known: the
 * record does not carry the board, see `ReplayPage`). */
export function replaySpan(data: ReplayData, code: DocTimeline, boardEnd: number | null = null): { start: number; end: number } {
  const times = [Date.parse(data.room.created_at)];
  const firstEvent = data.events[0];
  if (firstEvent) times.push(Date.parse(firstEvent.at));
  if (code.length > 0) times.push(code.times[0] ?? Infinity);
  // Start at the first thing that happened (an interview may be created days ahead).
  const happened = times.slice(1);
  const start = happened.length ? Math.min(...happened) : (times[0] ?? 0);
  const lastEvent = data.events.at(-1);
  const ends = [start + 1000, code.length ? (code.times[code.length - 1] ?? 0) : 0, lastEvent ? Date.parse(lastEvent.at) : 0];
  if (data.room.ended_at) ends.push(Date.parse(data.room.ended_at));
  if (boardEnd !== null) ends.push(boardEnd);
  return { start, end: Math.max(...ends) };
}

/** `?t=`: seconds from the start, or an ISO 8601 time; null when absent or unreadable. */
export function parseT(raw: string | null, start: number): number | null {
  if (!raw) return null;
  if (/^\d+(\.\d+)?$/.test(raw)) return start + Number(raw) * 1000;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : ms;
}

/** Where the replay opens: `?t=` clamped to the span, else the end. */
export function initialMoment(raw: string | null, span: { start: number; end: number }): number {
  const fromUrl = parseT(raw, span.start);
  return fromUrl === null ? span.end : Math.min(span.end, Math.max(span.start, fromUrl));
}

/** The next moment anything happens after `ms`, for skipping idle stretches. */
export function nextActivity(code: DocTimeline, events: ReplayEvent[], ms: number): number | null {
  const i = code.indexAt(ms) + 1;
  const nextUpdate = i < code.length ? (code.times[i] ?? null) : null;
  const nextEvent = events.map((e) => Date.parse(e.at)).find((t) => t > ms) ?? null;
  if (nextUpdate === null) return nextEvent;
  if (nextEvent === null) return nextUpdate;
  return Math.min(nextUpdate, nextEvent);
}
