import { describe, expect, it } from "vitest";
import * as Y from "yjs";

import { decodeBase64, DocTimeline, firstClient, initialMoment, lastAtOrBefore, parseT, replaySpan, type PackedUpdate, type ReplayData } from "./replayModel";
import { planSegments } from "./indexWorker";
import { mergeSegments, TextIndexBuilder, transferables } from "./textIndex";

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** Two authors typing: every update packed as the server sends it, with the text after it. */
function typing(): { packed: PackedUpdate[]; texts: string[]; frame: Uint8Array; frameSeq: number } {
  const a = new Y.Doc();
  const b = new Y.Doc();
  const packed: PackedUpdate[] = [];
  const texts: string[] = [];
  let frame: Uint8Array = new Uint8Array();
  let frameSeq = 0;
  const word = "hello world ";
  for (let i = 0; i < 300; i++) {
    const [doc, other, author] = i % 3 === 0 ? [b, a, 1] : [a, b, 0];
    const seen = Y.encodeStateVector(doc);
    const text = doc.getText("code");
    if (i % 17 === 16) text.delete(text.length - 1, 1);
    else text.insert(text.length, word[i % word.length] ?? "x");
    if (i === 150) doc.getMap("meta").set("language", "go");
    const update = Y.encodeStateAsUpdate(doc, seen);
    Y.applyUpdate(other, update);
    packed.push([i + 1, 1000 + i * 10, author, b64(update)]);
    texts.push(text.toString());
    if (i === 199) {
      frame = Y.encodeStateAsUpdate(doc);
      frameSeq = i + 1;
    }
  }
  return { packed, texts, frame, frameSeq };
}

describe("replay model", () => {
  it("rebuilds the text after any update, forward, backward and from a keyframe", () => {
    const { packed, texts, frame, frameSeq } = typing();
    const timeline = new DocTimeline({ updates: packed }, [{ seq: frameSeq, bytes: frame }]);
    for (const i of [0, 5, 150, 120, 299, 210, 3, 250, 199, 200, -1]) {
      timeline.seekIndex(i);
      expect(timeline.text()).toBe(i < 0 ? "" : texts[i]);
    }
    expect(timeline.indexAt(1000 + 55 * 10 + 3)).toBe(55);
    expect(timeline.indexAt(0)).toBe(-1);
  });

  it("the text index gives the same text, language and authors as the Y.Doc at any update", () => {
    const { packed, texts } = typing();
    const plain = new DocTimeline({ updates: packed });
    plain.learnAuthors();
    const fast = new DocTimeline({ updates: packed });
    while (!fast.buildIndex(1));
    expect(fast.indexed).toBe(true);
    for (const i of [299, 0, 5, 150, 120, 210, 3, 250, 199, 200, 201, 99, 100, -1, 299, 180]) {
      fast.seekIndex(i);
      plain.seekIndex(i);
      expect(fast.text()).toBe(i < 0 ? "" : texts[i]);
      const runs = fast.authorRuns();
      expect(runs.map((r) => r.end - r.start).reduce((x, y) => x + y, 0)).toBe(fast.text().length);
      expect(runs).toEqual(plain.authorRuns());
      expect(fast.language()).toBe(i >= 150 ? "go" : undefined);
      expect(fast.language()).toBe(plain.language());
    }
  });

  it("an index built apart (as in the worker) and posted over works like one built here", () => {
    const { packed, texts } = typing();
    const plain = new DocTimeline({ updates: packed });
    plain.learnAuthors();
    const request = new DocTimeline({ updates: packed }).indexRequest();
    const bytes = request.updates.map(decodeBase64);
    const builder = new TextIndexBuilder(bytes.length, (i) => bytes[i] as Uint8Array, request.authorOf);
    expect(builder.step()).toBe(true);
    const built = builder.result();
    // What postMessage does to it: a structured clone (the typed arrays transferred).
    const posted = structuredClone(built, { transfer: transferables(built) });
    expect(built.pos.length).toBe(0); // transferred, not copied
    const fast = new DocTimeline({ updates: packed });
    fast.seekIndex(120); // seeks on the Y.Doc path until the index arrives
    expect(fast.text()).toBe(texts[120]);
    fast.useIndex(posted);
    expect(fast.indexed).toBe(true);
    expect(fast.text()).toBe(texts[120]);
    for (const i of [299, 0, 150, 99, 100, 101, -1, 250]) {
      fast.seekIndex(i);
      plain.seekIndex(i);
      expect(fast.text()).toBe(i < 0 ? "" : texts[i]);
      expect(fast.authorRuns()).toEqual(plain.authorRuns());
    }
    expect(() => new DocTimeline({ updates: packed.slice(1) }).useIndex(posted)).toThrow(/covers 300 updates/);
  });

  it("segments built apart (the second from a keyframe) and joined give the same index", () => {
    const { packed, texts, frame, frameSeq } = typing();
    const bytes = packed.map((u) => decodeBase64(u[3]));
    const authorOf = Int32Array.from(packed.map((u) => u[2]));
    const build = (from: number, to: number, start?: Uint8Array) => {
      const builder = new TextIndexBuilder(bytes.length, (i) => bytes[i] as Uint8Array, authorOf, "code", { from, to, frame: start });
      builder.step();
      return builder.segment();
    };
    // The keyframe holds every update up to seq 200: update index 199.
    expect(frameSeq).toBe(200);
    const joined = mergeSegments(300, [build(200, 300, frame), build(0, 200)]); // in any order
    const plain = new DocTimeline({ updates: packed });
    plain.learnAuthors();
    const fast = new DocTimeline({ updates: packed });
    fast.useIndex(joined);
    for (const i of [299, 0, 199, 200, 201, 250, 150, 99, 100, -1, 280]) {
      fast.seekIndex(i);
      plain.seekIndex(i);
      expect(fast.text()).toBe(i < 0 ? "" : texts[i]);
      expect(fast.authorRuns()).toEqual(plain.authorRuns());
      expect(fast.language()).toBe(plain.language());
    }
    expect(() => mergeSegments(300, [build(0, 150)])).toThrow(/end at update 150/);
    const plan = planSegments(20_000, [{ index: 9_499, state: "a" }, { index: 9_999, state: "b" }, { index: 14_999, state: "c" }], 2);
    expect(plan).toEqual([
      { from: 0, to: 10_000, frame: null },
      { from: 10_000, to: 20_000, frame: "b" },
    ]);
    expect(planSegments(20_000, [], 2)).toEqual([{ from: 0, to: 20_000, frame: null }]);
    expect(planSegments(500, [{ index: 249, state: "a" }], 2)).toHaveLength(1);
  });

  it("attributes every character to the author whose client typed it", () => {
    const { packed } = typing();
    const timeline = new DocTimeline({ updates: packed });
    timeline.learnAuthors();
    timeline.seekIndex(packed.length - 1);
    const runs = timeline.authorRuns();
    expect(runs.map((r) => r.end - r.start).reduce((x, y) => x + y, 0)).toBe(timeline.text().length);
    expect(new Set(runs.map((r) => r.author))).toEqual(new Set([0, 1]));
  });

  it("spans the events, the code and the board's last drawing; opens at ?t= or the end", () => {
    const { packed } = typing();
    const code = new DocTimeline({ updates: packed });
    const room = { id: "r", title: "", candidate_name: "C", language: "python", created_at: "2026-12-01T00:00:00Z", started_at: null, ended_at: null };
    const data: ReplayData = { room, now: "", authors: [], docs: {}, runs: [], events: [{ id: 1, at: new Date(500).toISOString(), type: "joined", actor: null }] };
    expect(replaySpan(data, code)).toEqual({ start: 500, end: 1000 + 299 * 10 });
    expect(replaySpan(data, code, 9_000)).toEqual({ start: 500, end: 9_000 });
    expect(replaySpan(data, code, 700)).toEqual({ start: 500, end: 1000 + 299 * 10 }); // earlier: no change
    const span = replaySpan(data, code, 9_000);
    expect(initialMoment(null, span)).toBe(9_000);
    expect(initialMoment("1", span)).toBe(1_500);
    expect(initialMoment("99999", span)).toBe(9_000);
  });

  it("reads update headers, searches times and parses ?t=", () => {
    const doc = new Y.Doc();
    doc.getText("code").insert(0, "x");
    expect(firstClient(Y.encodeStateAsUpdate(doc))).toBe(doc.clientID);
    expect(lastAtOrBefore([1, 2, 2, 5], 2)).toBe(2);
    expect(lastAtOrBefore([1, 2, 2, 5], 0)).toBe(-1);
    expect(parseT("90", 1000)).toBe(91_000);
    expect(parseT("2026-12-01T10:00:00Z", 0)).toBe(Date.parse("2026-12-01T10:00:00Z"));
    expect(parseT("nonsense", 0)).toBeNull();
  });
});
