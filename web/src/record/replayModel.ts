/**
 * The replay's model: a room's record as the server sends it (GET /api/rooms/{id}/replay),
 * and any moment of a document rebuilt from it in the browser. A moment is the last keyframe
 * before it plus at most one keyframe interval of updates; moving forward a little applies
 * only the updates in between. Pure apart from Yjs: no React, no Monaco.
 */
import * as Y from "yjs";

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

export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A keyframe's state: base64 of zlib data (the server stores and sends them compressed). */
export async function inflate(text: string): Promise<Uint8Array> {
  const stream = new Blob([decodeBase64(text) as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export interface Frame {
  seq: number;
  bytes: Uint8Array;
}

/** Every keyframe of a document, inflated. */
export function inflateFrames(doc: { keyframes: { seq: number; state: string }[] } | undefined): Promise<Frame[]> {
  return Promise.all((doc?.keyframes ?? []).map(async (f) => ({ seq: f.seq, bytes: await inflate(f.state) })));
}

/** The client id of an update's first struct group (a keystroke has one), or null. */
export function firstClient(update: Uint8Array): number | null {
  let pos = 0;
  const next = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = update[pos++];
      if (byte === undefined) return -1;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  const groups = next();
  if (groups <= 0) return null;
  if (next() < 0) return null;
  const client = next();
  return client < 0 ? null : client;
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

/** A run of characters by one author at the playhead: `[start, end)` in the text. */
export interface AuthorRun {
  start: number;
  end: number;
  author: number;
}

/** How many updates apart the text index keeps a checkpoint: a seek applies at most this many
 * splices to a plain string (no Yjs at all). */
export const CHECKPOINT_EVERY = 100;

/** A run of characters by one author, as a length (the runs of a text are contiguous). */
interface LenRun {
  len: number;
  author: number;
}

/** Apply a splice (delete `del` characters at `pos`, then insert `ins` there by `author`). */
function spliceRuns(runs: LenRun[], pos: number, del: number, insLen: number, author: number): void {
  let i = 0;
  let offset = 0;
  // Find the run holding `pos` (or the end).
  while (i < runs.length && offset + (runs[i]?.len ?? 0) <= pos) offset += runs[i++]?.len ?? 0;
  if (i < runs.length && offset < pos) {
    // Split the run at pos.
    const run = runs[i] as LenRun;
    const head = pos - offset;
    runs.splice(i, 1, { len: head, author: run.author }, { len: run.len - head, author: run.author });
    i++;
  }
  let left = del;
  while (left > 0 && i < runs.length) {
    const run = runs[i] as LenRun;
    if (run.len <= left) {
      left -= run.len;
      runs.splice(i, 1);
    } else {
      runs[i] = { len: run.len - left, author: run.author };
      left = 0;
    }
  }
  if (insLen > 0) {
    const before = runs[i - 1];
    if (before && before.author === author) runs[i - 1] = { len: before.len + insLen, author };
    else runs.splice(i, 0, { len: insLen, author });
  }
  // Merge neighbours that became one author's after a delete.
  const prev = runs[i - 1];
  const next = runs[i];
  if (insLen === 0 && prev && next && prev.author === next.author) runs.splice(i - 1, 2, { len: prev.len + next.len, author: prev.author });
}

/**
 * The code's plain text and its authors after every update, without Yjs at seek time: one
 * forward pass through a `Y.Doc` (in steps, in idle time) turns each update into text splices,
 * and every `CHECKPOINT_EVERY` updates the text and its author runs are kept. A moment is then
 * a checkpoint plus at most that many string splices.
 */
export class TextIndex {
  private readonly n: number;
  private readonly doc = new Y.Doc();
  /** Splices of update i: `spliceAt[i]..spliceAt[i+1]` in the flat arrays. */
  private readonly spliceAt: Int32Array;
  private readonly pos: number[] = [];
  private readonly del: number[] = [];
  private readonly ins: string[] = [];
  private readonly who: number[] = [];
  /** Language after update i (undefined: unchanged from the one before; see `languageAt`). */
  private readonly langChanges: { index: number; language: string }[] = [];
  private readonly checkpoints: { text: string; runs: LenRun[] }[] = [{ text: "", runs: [] }];
  /** How many updates the forward pass has turned into splices. */
  built = 0;
  /** The state at `at` (an update index, -1: before any). */
  private at = -1;
  private curText = "";
  private curRuns: LenRun[] = [];
  private pending: { author: number } = { author: -1 };
  /** The forward pass's own text and runs (after update `built - 1`). */
  private buildText = "";
  private readonly buildRuns: LenRun[] = [];

  constructor(
    private readonly timeline: DocTimeline,
    name = "code",
  ) {
    this.n = timeline.length;
    this.spliceAt = new Int32Array(this.n + 1);
    const text = this.doc.getText(name);
    text.observe((event) => {
      let p = 0;
      for (const op of event.delta) {
        if (op.retain !== undefined) p += op.retain;
        else if (op.delete !== undefined) this.push(p, op.delete, "");
        else if (typeof op.insert === "string") {
          this.push(p, 0, op.insert);
          p += op.insert.length;
        }
      }
    });
    this.doc.getMap("meta").observe(() => {
      const value = this.doc.getMap("meta").get("language");
      if (typeof value === "string") this.langChanges.push({ index: this.built, language: value });
    });
  }

  private push(p: number, d: number, s: string): void {
    this.pos.push(p);
    this.del.push(d);
    this.ins.push(s);
    this.who.push(this.pending.author);
  }

  get ready(): boolean {
    return this.built >= this.n;
  }

  /** Run the forward pass for about `budgetMs`; true when it is done. */
  build(budgetMs = 8): boolean {
    const until = performance.now() + budgetMs;
    let text = this.buildText;
    const runs = this.buildRuns;
    while (this.built < this.n) {
      const i = this.built;
      const bytes = this.timeline.updateBytes(i);
      const client = firstClient(bytes);
      const own = this.timeline.authorOf[i] ?? -1;
      this.pending = { author: (client !== null ? this.timeline.clientAuthor.get(client) : undefined) ?? own };
      this.spliceAt[i] = this.pos.length;
      Y.applyUpdate(this.doc, bytes);
      for (let k = this.spliceAt[i] ?? 0; k < this.pos.length; k++) {
        const p = this.pos[k] ?? 0;
        const d = this.del[k] ?? 0;
        const s = this.ins[k] ?? "";
        text = text.slice(0, p) + s + text.slice(p + d);
        spliceRuns(runs, p, d, s.length, this.who[k] ?? -1);
      }
      this.built = i + 1;
      this.spliceAt[this.built] = this.pos.length;
      if (this.built % CHECKPOINT_EVERY === 0) this.checkpoints.push({ text, runs: runs.map((r) => ({ ...r })) });
      if (this.built % 64 === 0 && performance.now() > until) break;
    }
    this.buildText = text;
    if (this.ready) this.doc.destroy();
    return this.ready;
  }

  /** Make the index stand after update `to` (needs `ready`). */
  seek(to: number): void {
    if (to === this.at) return;
    let from = this.at;
    if (to < this.at || to - this.at > CHECKPOINT_EVERY) {
      const k = Math.floor((to + 1) / CHECKPOINT_EVERY);
      const cp = this.checkpoints[k] ?? { text: "", runs: [] };
      this.curText = cp.text;
      this.curRuns = cp.runs.map((r) => ({ ...r }));
      from = k * CHECKPOINT_EVERY - 1;
    }
    const first = this.spliceAt[from + 1] ?? 0;
    const last = this.spliceAt[to + 1] ?? 0;
    for (let k = first; k < last; k++) {
      const p = this.pos[k] ?? 0;
      const d = this.del[k] ?? 0;
      const s = this.ins[k] ?? "";
      this.curText = this.curText.slice(0, p) + s + this.curText.slice(p + d);
      spliceRuns(this.curRuns, p, d, s.length, this.who[k] ?? -1);
    }
    this.at = to;
  }

  text(): string {
    return this.curText;
  }

  language(): string | undefined {
    let found: string | undefined;
    for (const change of this.langChanges) {
      if (change.index > this.at) break;
      found = change.language;
    }
    return found;
  }

  authorRuns(): AuthorRun[] {
    const out: AuthorRun[] = [];
    let offset = 0;
    for (const run of this.curRuns) {
      out.push({ start: offset, end: offset + run.len, author: run.author });
      offset += run.len;
    }
    return out;
  }
}

/** One document of the record, able to stand as it was at any update. */
export class DocTimeline {
  readonly seqs: Float64Array;
  /** Non-decreasing times (a running maximum of each update's `at`), for searching by time. */
  readonly times: Float64Array;
  readonly authorOf: Int32Array;
  private readonly raw: PackedUpdate[];
  private readonly bytes: (Uint8Array | undefined)[];
  private readonly frames: { index: number; state: Uint8Array }[];
  /** Each Yjs client id's author index (learned from the updates it sent). */
  readonly clientAuthor = new Map<number, number>();
  doc = new Y.Doc();
  /** The index of the last update applied to `doc` (-1: none). */
  applied = -1;
  /** The most updates applied forward before starting from a keyframe instead. */
  readonly stride: number;

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
    this.frames = keyframes
      .map((f) => ({ index: lastAtOrBefore(this.seqs, f.seq), state: f.bytes }))
      .filter((f) => f.index >= 0)
      .sort((a, b) => a.index - b.index);
    const gaps = this.frames.map((f, i) => f.index - (this.frames[i - 1]?.index ?? -1));
    this.stride = Math.max(200, ...gaps);
  }

  get length(): number {
    return this.raw.length;
  }

  /** The text index, once built (`buildIndex`): seeks then touch no Yjs at all. */
  private index: TextIndex | null = null;
  private indexing: TextIndex | null = null;

  /** Build the text index for about `budgetMs`; true once it is ready and in use. */
  buildIndex(budgetMs = 8): boolean {
    if (this.index) return true;
    this.indexing ??= new TextIndex(this);
    if (!this.indexing.build(budgetMs)) return false;
    this.index = this.indexing;
    this.index.seek(this.applied);
    return true;
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
    for (let i = 0; i < this.raw.length; i++) this.update(i);
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
    if (to < this.applied || to - this.applied > this.stride) {
      const frameAt = lastAtOrBefore(
        this.frames.map((f) => f.index),
        to,
      );
      const frame = frameAt >= 0 ? this.frames[frameAt] : undefined;
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
    const runs: AuthorRun[] = [];
    let offset = 0;
    let item = this.doc.getText(name)._start;
    while (item) {
      if (!item.deleted && item.countable) {
        const author = this.clientAuthor.get(item.id.client) ?? -1;
        const last = runs.at(-1);
        if (last && last.author === author && last.end === offset) last.end += item.length;
        else runs.push({ start: offset, end: offset + item.length, author });
        offset += item.length;
      }
      item = item.right;
    }
    return runs;
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
};

/** The span the replay covers, in epoch milliseconds. */
export function replaySpan(data: ReplayData, code: DocTimeline): { start: number; end: number } {
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
  return { start, end: Math.max(...ends) };
}

/** `?t=`: seconds from the start, or an ISO 8601 time; null when absent or unreadable. */
export function parseT(raw: string | null, start: number): number | null {
  if (!raw) return null;
  if (/^\d+(\.\d+)?$/.test(raw)) return start + Number(raw) * 1000;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : ms;
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
