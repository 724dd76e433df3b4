/**
 * The code's text index: every update of the record turned into plain-text splices, with the
 * text and its authors kept every `CHECKPOINT_EVERY` updates, so a seek touches no Yjs (a
 * checkpoint plus at most that many string splices).
 *
 * Two halves. `TextIndexBuilder` is the forward pass (Yjs: every update applied to one
 * `Y.Doc`, the `Y.Text`'s change deltas recorded); it runs in a Web Worker on the page
 * (`textIndex.worker.ts`) and in steps on the main thread where there is no worker (tests).
 * Its result, `BuiltIndex`, is flat typed arrays and strings, cheap to post between threads.
 * `TextIndex` seeks in a `BuiltIndex`; it needs no Yjs.
 */
import * as Y from "yjs";

/** How many updates apart the index keeps a checkpoint: a seek applies at most this many
 * splices to a plain string (no Yjs at all). */
export const CHECKPOINT_EVERY = 100;

/** A run of characters by one author at the playhead: `[start, end)` in the text. */
export interface AuthorRun {
  start: number;
  end: number;
  author: number;
}

/** The forward pass's result: flat, so posting it from the worker copies few objects. */
export interface BuiltIndex {
  /** The number of updates. */
  n: number;
  /** Splices of update i: `spliceAt[i]..spliceAt[i+1]` in the arrays below. */
  spliceAt: Int32Array;
  pos: Int32Array;
  del: Int32Array;
  who: Int32Array;
  /** Splice k inserts `ins.slice(insAt[k], insAt[k + 1])`. */
  insAt: Int32Array;
  ins: string;
  /** The language set by update `index` (the `meta` map's `language`). */
  langChanges: { index: number; language: string }[];
  /** Checkpoint k: the text after update `k * CHECKPOINT_EVERY - 1` (k = 0: before any). */
  checkpoints: string[];
  /** Checkpoint k's author runs, flat: `[length, author, length, author, …]`. */
  checkpointRuns: Int32Array[];
  /** Each Yjs client id's author index, as `[client, author]` pairs. */
  clientAuthor: [number, number][];
}

/** What one forward pass over updates `[from, to)` gives (`mergeSegments` joins them):
 * `spliceAt` is local (`spliceAt[i - from]`), the checkpoints are those of `checkpointK`. */
export interface BuiltSegment extends Omit<BuiltIndex, "n"> {
  from: number;
  to: number;
  checkpointK: number[];
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

/** Who sent each client's updates: the author of the first update of that client. */
export function learnClients(count: number, bytes: (i: number) => Uint8Array, authorOf: ArrayLike<number>, into = new Map<number, number>()): Map<number, number> {
  for (let i = 0; i < count; i++) {
    const client = firstClient(bytes(i));
    const author = authorOf[i] ?? -1;
    if (client !== null && author >= 0 && !into.has(client)) into.set(client, author);
  }
  return into;
}

/** The author runs of a `Y.Text` as it stands, from its items' clients. */
export function itemRuns(text: Y.Text, clientAuthor: Map<number, number>): AuthorRun[] {
  const runs: AuthorRun[] = [];
  let offset = 0;
  let item = text._start;
  while (item) {
    if (!item.deleted && item.countable) {
      const author = clientAuthor.get(item.id.client) ?? -1;
      const last = runs.at(-1);
      if (last && last.author === author && last.end === offset) last.end += item.length;
      else runs.push({ start: offset, end: offset + item.length, author });
      offset += item.length;
    }
    item = item.right;
  }
  return runs;
}

/**
 * The forward pass: every update through one `Y.Doc`, its text changes recorded as splices.
 * The checkpoints' text and authors are read off the `Y.Text` itself (its items are merged
 * runs: cheap to walk), so the pass keeps no string of its own.
 */
export class TextIndexBuilder {
  private readonly doc = new Y.Doc();
  private readonly text: Y.Text;
  private readonly clientAuthor: Map<number, number>;
  private readonly spliceAt: Int32Array;
  private readonly pos: number[] = [];
  private readonly del: number[] = [];
  private readonly who: number[] = [];
  private readonly insAt: number[] = [0];
  private readonly ins: string[] = [];
  private insLength = 0;
  private readonly langChanges: { index: number; language: string }[] = [];
  private readonly checkpoints: string[] = [];
  private readonly checkpointRuns: Int32Array[] = [];
  private readonly checkpointK: number[] = [];
  private author = -1;
  /** While the starting keyframe is applied: its contents are the start, not splices. */
  private loading = false;
  private readonly from: number;
  private readonly to: number;
  /** How many updates the pass has applied (an index: it starts at `from`). */
  built: number;

  /**
   * The pass over updates `[from, to)` (all of them by default). A segment that starts past
   * the first update starts from `frame`, the keyframe holding every update before `from`,
   * so segments can be built in parallel and joined (`mergeSegments`).
   */
  constructor(
    private readonly n: number,
    private readonly bytes: (i: number) => Uint8Array,
    private readonly authorOf: ArrayLike<number>,
    name = "code",
    segment: { from: number; to: number; frame?: Uint8Array } = { from: 0, to: n },
  ) {
    this.from = segment.from;
    this.to = segment.to;
    this.built = segment.from;
    this.spliceAt = new Int32Array(this.to - this.from + 1);
    // Every client's author first: a checkpoint's characters may come from an update that
    // carries another client's structs (a paste, a reconcile), as in the Y.Doc path.
    this.clientAuthor = learnClients(n, bytes, authorOf);
    this.text = this.doc.getText(name);
    this.text.observe((event) => {
      if (this.loading) return;
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
    const meta = this.doc.getMap("meta");
    meta.observe(() => {
      const value = meta.get("language");
      if (!this.loading && typeof value === "string") this.langChanges.push({ index: this.built, language: value });
    });
    if (segment.frame) {
      this.loading = true;
      Y.applyUpdate(this.doc, segment.frame);
      this.loading = false;
    }
    if (this.from % CHECKPOINT_EVERY === 0) this.checkpoint();
  }

  private push(p: number, d: number, s: string): void {
    this.pos.push(p);
    this.del.push(d);
    this.who.push(this.author);
    this.ins.push(s);
    this.insLength += s.length;
    this.insAt.push(this.insLength);
  }

  private checkpoint(): void {
    this.checkpointK.push(this.built / CHECKPOINT_EVERY);
    this.checkpoints.push(this.text.toString());
    const runs = itemRuns(this.text, this.clientAuthor);
    const flat = new Int32Array(runs.length * 2);
    runs.forEach((r, k) => {
      flat[2 * k] = r.end - r.start;
      flat[2 * k + 1] = r.author;
    });
    this.checkpointRuns.push(flat);
  }

  get done(): boolean {
    return this.built >= this.to;
  }

  /** Run the pass for about `budgetMs` (Infinity: to the end); true when it is done. */
  step(budgetMs = Infinity): boolean {
    const until = performance.now() + budgetMs;
    while (this.built < this.to) {
      const i = this.built;
      const bytes = this.bytes(i);
      const client = firstClient(bytes);
      this.author = (client !== null ? this.clientAuthor.get(client) : undefined) ?? this.authorOf[i] ?? -1;
      this.spliceAt[i - this.from] = this.pos.length;
      Y.applyUpdate(this.doc, bytes);
      this.built = i + 1;
      this.spliceAt[this.built - this.from] = this.pos.length;
      if (this.built % CHECKPOINT_EVERY === 0) this.checkpoint();
      if (this.built % 64 === 0 && performance.now() > until) break;
    }
    return this.done;
  }

  /** The segment (once `done`); the builder is spent after it. */
  segment(): BuiltSegment {
    this.doc.destroy();
    return {
      from: this.from,
      to: this.to,
      spliceAt: this.spliceAt,
      pos: Int32Array.from(this.pos),
      del: Int32Array.from(this.del),
      who: Int32Array.from(this.who),
      insAt: Int32Array.from(this.insAt),
      ins: this.ins.join(""),
      langChanges: this.langChanges,
      checkpoints: this.checkpoints,
      checkpointRuns: this.checkpointRuns,
      checkpointK: this.checkpointK,
      clientAuthor: [...this.clientAuthor],
    };
  }

  /** The whole index (a builder over all the updates). */
  result(): BuiltIndex {
    return mergeSegments(this.n, [this.segment()]);
  }
}

/** Segments that cover `[0, n)` end to end, joined into one index. */
export function mergeSegments(n: number, segments: BuiltSegment[]): BuiltIndex {
  const parts = [...segments].sort((a, b) => a.from - b.from);
  let at = 0;
  for (const part of parts) {
    if (part.from !== at) throw new Error(`the index segments leave a gap at update ${at}`);
    at = part.to;
  }
  if (at !== n) throw new Error(`the index segments end at update ${at}, not ${n}`);
  const total = parts.reduce((sum, p) => sum + p.pos.length, 0);
  const spliceAt = new Int32Array(n + 1);
  const pos = new Int32Array(total);
  const del = new Int32Array(total);
  const who = new Int32Array(total);
  const insAt = new Int32Array(total + 1);
  const checkpoints: string[] = [];
  const checkpointRuns: Int32Array[] = [];
  const clientAuthor = new Map<number, number>();
  let splices = 0;
  let chars = 0;
  for (const part of parts) {
    for (let i = part.from; i <= part.to; i++) spliceAt[i] = splices + (part.spliceAt[i - part.from] ?? 0);
    pos.set(part.pos, splices);
    del.set(part.del, splices);
    who.set(part.who, splices);
    for (let k = 1; k < part.insAt.length; k++) insAt[splices + k] = chars + (part.insAt[k] ?? 0);
    part.checkpointK.forEach((k, j) => {
      checkpoints[k] = part.checkpoints[j] ?? "";
      checkpointRuns[k] = part.checkpointRuns[j] ?? new Int32Array(0);
    });
    for (const [client, author] of part.clientAuthor) if (!clientAuthor.has(client)) clientAuthor.set(client, author);
    splices += part.pos.length;
    chars += part.ins.length;
  }
  return {
    n,
    spliceAt,
    pos,
    del,
    who,
    insAt,
    ins: parts.map((p) => p.ins).join(""),
    langChanges: parts.flatMap((p) => p.langChanges),
    checkpoints,
    checkpointRuns,
    clientAuthor: [...clientAuthor],
  };
}

/** The buffers of a `BuiltIndex` or a segment, to transfer rather than copy when posting it. */
export function transferables(index: BuiltIndex | BuiltSegment): ArrayBuffer[] {
  const arrays = [index.spliceAt, index.pos, index.del, index.who, index.insAt, ...index.checkpointRuns];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** A run of characters by one author, as a length (the runs of a text are contiguous). */
interface LenRun {
  len: number;
  author: number;
}

/** Apply a splice (delete `del` characters at `pos`, then insert `insLen` there by `author`). */
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

/** The text and authors after any update, from a `BuiltIndex`: no Yjs. */
export class TextIndex {
  /** The state after update `at` (-1: before any). */
  private at = -1;
  private curText = "";
  private curRuns: LenRun[] = [];

  constructor(readonly built: BuiltIndex) {}

  /** Make the index stand after update `to`. */
  seek(to: number): void {
    if (to === this.at) return;
    const b = this.built;
    let from = this.at;
    if (to < this.at || to - this.at > CHECKPOINT_EVERY) {
      const k = Math.min(Math.floor((to + 1) / CHECKPOINT_EVERY), b.checkpoints.length - 1);
      this.curText = b.checkpoints[k] ?? "";
      const flat = b.checkpointRuns[k] ?? new Int32Array(0);
      this.curRuns = [];
      for (let r = 0; r < flat.length; r += 2) this.curRuns.push({ len: flat[r] ?? 0, author: flat[r + 1] ?? -1 });
      from = k * CHECKPOINT_EVERY - 1;
    }
    const first = b.spliceAt[from + 1] ?? 0;
    const last = b.spliceAt[to + 1] ?? 0;
    for (let k = first; k < last; k++) {
      const p = b.pos[k] ?? 0;
      const d = b.del[k] ?? 0;
      const s = b.ins.slice(b.insAt[k] ?? 0, b.insAt[k + 1] ?? 0);
      this.curText = this.curText.slice(0, p) + s + this.curText.slice(p + d);
      spliceRuns(this.curRuns, p, d, s.length, b.who[k] ?? -1);
    }
    this.at = to;
  }

  text(): string {
    return this.curText;
  }

  language(): string | undefined {
    let found: string | undefined;
    for (const change of this.built.langChanges) {
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
