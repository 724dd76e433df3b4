/**
 * Who has which file open: each person's awareness state carries `file`, the path of the
 * file in front of them (the hub also records it on the timeline as `file_opened`).
 */
import { useEffect, useState } from "react";
import type { Awareness } from "y-protocols/awareness";

export interface Presence {
  clientId: number;
  name: string;
  color: string;
  role: string;
  file: string | null;
  /** y-monaco's selection (relative positions), when they have one. */
  selection: { anchor: unknown; head: unknown } | null;
}

export function readPresence(awareness: Awareness): Presence[] {
  const out: Presence[] = [];
  awareness.getStates().forEach((state, clientId) => {
    if (clientId === awareness.clientID) return;
    const user = state.user as { name?: string; color?: string; role?: string } | undefined;
    if (!user?.name) return;
    const file = typeof state.file === "string" ? state.file : null;
    const selection = state.selection && typeof state.selection === "object" ? (state.selection as Presence["selection"]) : null;
    out.push({ clientId, name: user.name, color: user.color ?? "#64748b", role: user.role ?? "", file, selection });
  });
  return out.sort((a, b) => a.clientId - b.clientId);
}

const signature = (people: Presence[]) => people.map((p) => `${p.clientId}\u0000${p.name}\u0000${p.color}\u0000${p.file ?? ""}`).join("\u0001");

/** The other people in the document and their open files, kept current: a remote caret
 * moving (most awareness changes) renders nothing again. */
export function usePresence(awareness: Awareness): Presence[] {
  const [people, setPeople] = useState<Presence[]>(() => readPresence(awareness));
  useEffect(() => {
    let last = "";
    const update = () => {
      const next = readPresence(awareness);
      const key = signature(next);
      if (key !== last) {
        last = key;
        setPeople(next);
      }
    };
    awareness.on("change", update);
    update();
    return () => awareness.off("change", update);
  }, [awareness]);
  return people;
}
