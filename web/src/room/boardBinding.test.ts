import { describe, expect, it } from "vitest";
import * as Y from "yjs";

import { allElements, boardMap, changesOf, mergeScene, wins, writeElements, type BoardElement } from "./boardBinding";

const el = (id: string, version = 1, extra: Record<string, unknown> = {}): BoardElement => ({
  id,
  version,
  versionNonce: 100,
  index: `a${id}`,
  type: "rectangle",
  ...extra,
});

function linked(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on("update", (u: Uint8Array, origin: unknown) => origin !== "b" && Y.applyUpdate(b, u, "a"));
  b.on("update", (u: Uint8Array, origin: unknown) => origin !== "a" && Y.applyUpdate(a, u, "b"));
  return [a, b];
}

describe("board binding", () => {
  it("applies Excalidraw's rule: higher version, then lower nonce", () => {
    expect(wins(el("x", 2), el("x", 1))).toBe(true);
    expect(wins(el("x", 1), el("x", 2))).toBe(false);
    expect(wins({ ...el("x", 3), versionNonce: 5 }, { ...el("x", 3), versionNonce: 9 })).toBe(true);
    expect(wins(el("x"), undefined)).toBe(true);
  });

  it("writes only what is newer, and syncs between two documents", () => {
    const [a, b] = linked();
    expect(writeElements(a, [el("1"), el("2", 1, { undefinedField: undefined })])).toEqual({ written: 2, refused: 0 });
    expect(writeElements(a, [el("1"), el("2")]).written).toBe(0); // unchanged: no traffic
    expect(allElements(b).map((e) => e.id)).toEqual(["1", "2"]);
    writeElements(b, [el("1", 2, { x: 50 })]);
    expect(boardMap(a).get("1")?.x).toBe(50);
  });

  it("converges when two people change one element at once", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    writeElements(a, [el("s")]);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    writeElements(a, [{ ...el("s", 2), versionNonce: 7, x: 1 }]);
    writeElements(b, [{ ...el("s", 2), versionNonce: 3, x: 2 }]);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    // The map keeps one write; each scene then keeps the element that wins by the rule.
    const mineA = { ...el("s", 2), versionNonce: 7, x: 1 };
    const mineB = { ...el("s", 2), versionNonce: 3, x: 2 };
    const mergedA = mergeScene([mineA], allElements(a));
    const mergedB = mergeScene([mineB], allElements(b));
    // Whoever holds the winner and sees the map keep the loser writes the winner again.
    for (const [doc, merged] of [[a, mergedA], [b, mergedB]] as const) writeElements(doc, merged.rewrite);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    const finalA = mergeScene(mergedA.scene, allElements(a)).scene;
    const finalB = mergeScene(mergedB.scene, allElements(b)).scene;
    expect(finalA[0]?.x).toBe(2);
    expect(finalB[0]?.x).toBe(2);
    expect(boardMap(a).get("s")?.x).toBe(2);
  });

  it("refuses new elements over the cap but still updates existing ones", () => {
    const doc = new Y.Doc();
    expect(writeElements(doc, [el("1"), el("2"), el("3")], 2)).toEqual({ written: 2, refused: 1 });
    expect(writeElements(doc, [el("1", 5)], 2)).toEqual({ written: 1, refused: 0 });
  });

  it("merges remote changes in z-order and drops removed ids", () => {
    const local = [el("b"), el("a"), { ...el("z"), index: null }];
    const { scene, rewrite } = mergeScene(local, [el("c"), el("a", 0)], ["b"]);
    expect(scene.map((e) => e.id)).toEqual(["a", "c", "z"]);
    expect(scene[0]?.version).toBe(1); // the older remote "a" lost
    expect(rewrite.map((e) => e.id)).toEqual(["a"]);
  });

  it("reports what a map event changed", () => {
    const [a, b] = linked();
    writeElements(a, [el("1"), el("2")]);
    const seen: { changed: string[]; removed: string[] }[] = [];
    const map = boardMap(b);
    map.observe((event) => {
      const { changed, removed } = changesOf(event, map);
      seen.push({ changed: changed.map((e) => e.id), removed });
    });
    a.transact(() => {
      boardMap(a).delete("1");
      boardMap(a).set("3", el("3"));
    });
    expect(seen).toEqual([{ changed: ["3"], removed: ["1"] }]);
  });
});
