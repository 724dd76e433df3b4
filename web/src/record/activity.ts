/**
 * Activity signals from the candidate's browser (DESIGN.md "Interview record"): pastes into
 * the editor with their size and whether the text came from outside it, and the tab or window
 * losing and regaining focus. The server stamps time and sender; this only says what happened.
 */
import type { ActivityKind, ClientMessage } from "../realtime/protocol";
import { plural } from "../lib/plural";

type Send = (message: ClientMessage) => void;

/** The part of Monaco's editor this needs (kept small so it is testable without Monaco). */
export interface PasteSource {
  onDidPaste(listener: (event: { range: unknown }) => void): { dispose(): void };
  getModel(): { getValueInRange(range: never): string } | null;
  getSelection(): unknown;
  getDomNode(): HTMLElement | null;
}

/** Tracks what was last copied or cut inside the editor, so a paste of it is "internal". */
export function watchPastes(editor: PasteSource, send: Send): () => void {
  let copied: string | null = null;
  const dom = editor.getDomNode();
  const remember = () => {
    const selection = editor.getSelection();
    const model = editor.getModel();
    if (selection && model) copied = model.getValueInRange(selection as never);
  };
  dom?.addEventListener("copy", remember, true);
  dom?.addEventListener("cut", remember, true);
  const pasted = editor.onDidPaste(({ range }) => {
    const text = editor.getModel()?.getValueInRange(range as never) ?? "";
    if (!text) return;
    send({ type: "activity", kind: "paste", chars: text.length, external: text !== copied });
  });
  return () => {
    dom?.removeEventListener("copy", remember, true);
    dom?.removeEventListener("cut", remember, true);
    pasted.dispose();
  };
}

/** One focus_lost when the tab is hidden or the window blurs, one focus_returned when both
 * are back; never two of a kind in a row. */
export function watchFocus(send: Send, win: Window = window, doc: Document = document): () => void {
  let away = false;
  const update = () => {
    const nowAway = doc.visibilityState === "hidden" || !doc.hasFocus();
    if (nowAway === away) return;
    away = nowAway;
    const kind: ActivityKind = away ? "focus_lost" : "focus_returned";
    send({ type: "activity", kind });
  };
  // blur fires before the newly focused element is known: look a moment later.
  const later = () => setTimeout(update, 0);
  win.addEventListener("blur", later);
  win.addEventListener("focus", later);
  doc.addEventListener("visibilitychange", update);
  return () => {
    win.removeEventListener("blur", later);
    win.removeEventListener("focus", later);
    doc.removeEventListener("visibilitychange", update);
  };
}

/** What an interviewer's live indicator says about one signal. */
export function describeActivity(a: { kind: ActivityKind; name: string; chars?: number; external?: boolean; away_seconds?: number }): string {
  if (a.kind === "paste") {
    const where = a.external === false ? " (copied inside the editor)" : a.external ? " from outside the editor" : "";
    return `${a.name} pasted ${plural(a.chars ?? 0, "character")}${where}`;
  }
  if (a.kind === "focus_lost") return `${a.name} left the tab`;
  const seconds = a.away_seconds ?? 0;
  const span = seconds >= 90 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
  return `${a.name} came back after ${span} away`;
}
