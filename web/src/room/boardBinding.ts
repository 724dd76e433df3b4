/**
 * The whiteboard's binding between Excalidraw's scene and the room's `board` Yjs document
 * (docs/whiteboard.md). The document is one `Y.Map` named `elements`: element id -> the
 * element as plain JSON. Each element is written whole; when two people change one element
 * the map keeps one of the writes, and every client then keeps whichever element wins by
 * Excalidraw's own rule (higher `version`, then lower `versionNonce`), so all converge.
 *
 * Pure and framework-free: it takes Excalidraw's elements as plain objects, so it runs in
 * vitest without a browser.
 */
import type * as Y from "yjs";

export interface BoardElement {
  readonly id: string;
  readonly version: number;
  readonly versionNonce: number;
  readonly index?: string | null;
  readonly isDeleted?: boolean;
  readonly [field: string]: unknown;
}

/** The server's default cap (CODEPAIR_BOARD_MAX_ELEMENTS); the server enforces its own. */
export const BOARD_MAX_ELEMENTS = 5000;
/** Transaction origin of our own writes: the map's observer skips them. */
export const LOCAL_ORIGIN = Symbol("board-local");

export function boardMap(doc: Y.Doc): Y.Map<BoardElement> {
  return doc.getMap<BoardElement>("elements");
}

/** Does `next` replace `current`? Excalidraw's reconciliation rule. */
export function wins(next: BoardElement, current: BoardElement | undefined): boolean {
  if (!current) return true;
  if (next.version !== current.version) return next.version > current.version;
  return next.versionNonce < current.versionNonce;
}

function plain(el: BoardElement): BoardElement {
  // Excalidraw's elements are frozen and may carry `undefined` fields: store what JSON keeps.
  return JSON.parse(JSON.stringify(el)) as BoardElement;
}

/**
 * Write the scene's elements that are newer than the map's, in one transaction. New elements
 * beyond `maxElements` are not written (`refused` counts them).
 */
export function writeElements(
  doc: Y.Doc,
  elements: readonly BoardElement[],
  maxElements = BOARD_MAX_ELEMENTS,
): { written: number; refused: number } {
  const map = boardMap(doc);
  let written = 0;
  let refused = 0;
  doc.transact(() => {
    for (const el of elements) {
      if (typeof el.id !== "string" || typeof el.version !== "number") continue;
      const current = map.get(el.id);
      if (!current && map.size >= maxElements) {
        refused += 1;
        continue;
      }
      if (wins(el, current)) {
        map.set(el.id, plain(el));
        written += 1;
      }
    }
  }, LOCAL_ORIGIN);
  return { written, refused };
}

function byIndex(a: BoardElement, b: BoardElement): number {
  const ai = typeof a.index === "string" ? a.index : null;
  const bi = typeof b.index === "string" ? b.index : null;
  if (ai !== bi) {
    if (ai === null) return 1;
    if (bi === null) return -1;
    return ai < bi ? -1 : 1; // fractional indices compare as plain strings, not by locale
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The scene after remote changes: each changed id takes the remote element when it wins,
 * ids the map no longer holds (trimmed by the server) leave the scene; in z-order.
 * `rewrite` holds the local elements that beat the map's copy: the map kept a concurrent
 * write that loses by the rule, and writing ours again is what makes everyone converge.
 */
export function mergeScene(
  local: readonly BoardElement[],
  changed: Iterable<BoardElement>,
  removed: Iterable<string> = [],
): { scene: BoardElement[]; rewrite: BoardElement[] } {
  const byId = new Map(local.map((el) => [el.id, el]));
  const rewrite: BoardElement[] = [];
  for (const el of changed) {
    const mine = byId.get(el.id);
    if (wins(el, mine)) byId.set(el.id, el);
    else if (mine && (mine.version !== el.version || mine.versionNonce !== el.versionNonce)) rewrite.push(mine);
  }
  for (const id of removed) byId.delete(id);
  return { scene: [...byId.values()].sort(byIndex), rewrite };
}

/** Every element of the map, in z-order (the scene a newcomer starts from). */
export function allElements(doc: Y.Doc): BoardElement[] {
  return [...boardMap(doc).values()].sort(byIndex);
}

/** What one map event changed: elements to merge and ids that are gone. */
export function changesOf(event: Y.YMapEvent<BoardElement>, map: Y.Map<BoardElement>): { changed: BoardElement[]; removed: string[] } {
  const changed: BoardElement[] = [];
  const removed: string[] = [];
  event.changes.keys.forEach((change, key) => {
    const el = map.get(key);
    if (change.action === "delete" || !el) removed.push(key);
    else changed.push(el);
  });
  return { changed, removed };
}
