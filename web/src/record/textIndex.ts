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
  private readonly checkpoints: string[] = [""];
  private readonly checkpointRuns: Int32Array[] = [new Int32Array(0)];
  private author = -1;
  /** How many updates the pass has applied. */
  built = 0;

  constructor(
    private readonly n: number,
    private readonly bytes: (i: number) => Uint8Array,
    private readonly authorOf: ArrayLike<number>,
    name = "code",
  ) {
    this.spliceAt = new Int32Array(n + 1);
    // Every client's author first: a checkpoint's characters may come from an update that
    // carries another client's structs (a paste, a reconcile), as in the Y.Doc path.
    this.clientAuthor = learnClients(n, bytes, authorOf);
    this.text = this.doc.getText(name);
    this.text.observe((event) => {
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
      if (typeof value === "string") this.langChanges.push({ index: this.built, language: value });
    });
  }

  private push(p: number, d: number, s: string): void {
    this.pos.push(p);
    this.del.push(d);
    this.who.push(this.author);
    this.ins.push(s);
    this.insLength += s.length;
    this.insAt.push(this.insLength);
  }

  get done(): boolean {
    return this.built >= this.n;
  }

  /** Run the pass for about `budgetMs` (Infinity: to the end); true when it is done. */
  step(budgetMs = Infinity): boolean {
    const until = performance.now() + budgetMs;
    while (this.built < this.n) {
      const i = this.built;
      const bytes = this.bytes(i);
      const client = firstClient(bytes);
      this.author = (client !== null ? this.clientAuthor.get(client) : undefined) ?? this.authorOf[i] ?? -1;
      this.spliceAt[i] = this.pos.length;
      Y.applyUpdate(this.doc, bytes);
      this.built = i + 1;
      this.spliceAt[this.built] = this.pos.length;
      if (this.built % CHECKPOINT_EVERY === 0) {
        this.checkpoints.push(this.text.toString());
        const runs = itemRuns(this.text, this.clientAuthor);
        const flat = new Int32Array(runs.length * 2);
        runs.forEach((r, k) => {
          flat[2 * k] = r.end - r.start;
          flat[2 * k + 1] = r.author;
        });
        this.checkpointRuns.push(flat);
      }
      if (this.built % 64 === 0 && performance.now() > until) break;
    }
    return this.done;
  }

  /** The index (once `done`); the builder is spent after it. */
  result(): BuiltIndex {
    this.doc.destroy();
    return {
      n: this.n,
      spliceAt: this.spliceAt,
      pos: Int32Array.from(this.pos),
      del: Int32Array.from(this.del),
      who: Int32Array.from(this.who),
      insAt: Int32Array.from(this.insAt),
      ins: this.ins.join(""),
      langChanges: this.langChanges,
      checkpoints: this.checkpoints,
      checkpointRuns: this.checkpointRuns,
      clientAuthor: [...this.clientAuthor],
    };
  }
}

/** The buffers of a `BuiltIndex`, to transfer rather than copy when posting it. */
export function transferables(index: BuiltIndex): ArrayBuffer[] {
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
