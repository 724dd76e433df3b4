/**
 * The replay's project tree: the files as they stood at the playhead (GET history/code?at=,
 * asked again once the playhead rests), which file each person had open then (their last
 * `file_opened` event before it), and any file's text at that moment. The entry file is the
 * replay's own editor, with each author's colours; another file shows as plain text.
 */
import { useEffect, useMemo, useState } from "react";

import { api } from "../api/client";
import { personColor } from "../lib/colors";
import type { ReplayEvent } from "../record/replayModel";
import { buildTree, type TreeNode } from "./paths";

interface TreeAt {
  entry: string;
  files: Record<string, string>;
}

const REST_MS = 250;

/** Is this record a project (a file beside the entry at some moment)? */
export function isProjectRecord(events: ReplayEvent[], finalFiles: number): boolean {
  return finalFiles > 1 || events.some((e) => e.type.startsWith("file") && e.type !== "file_opened");
}

/** Who had which file open at `ms`, from the timeline. */
export function openFilesAt(events: ReplayEvent[], ms: number): Map<string, { name: string; role: string }[]> {
  const last = new Map<string, { path: string; role: string }>();
  for (const e of events) {
    if (Date.parse(e.at) > ms) break;
    if (e.type === "file_opened" && e.actor && typeof e.path === "string") last.set(e.actor.name, { path: e.path, role: e.actor.role ?? "" });
  }
  const out = new Map<string, { name: string; role: string }[]>();
  for (const [name, { path, role }] of last) out.set(path, [...(out.get(path) ?? []), { name, role }]);
  return out;
}

export function ReplayTree({ roomId, at, events, selected, onSelect }: { roomId: string; at: number; events: ReplayEvent[]; selected: string | null; onSelect: (path: string | null, text: string | null) => void }) {
  const [tree, setTree] = useState<TreeAt | null>(null);
  const [resting, setResting] = useState(at);
  useEffect(() => {
    const timer = setTimeout(() => setResting(at), REST_MS);
    return () => clearTimeout(timer);
  }, [at]);
  useEffect(() => {
    const controller = new AbortController();
    api<TreeAt>(`/api/rooms/${roomId}/history/code?at=${encodeURIComponent(new Date(resting).toISOString())}`, { signal: controller.signal })
      .then(setTree)
      .catch(() => undefined);
    return () => controller.abort();
  }, [roomId, resting]);
  const viewers = useMemo(() => openFilesAt(events, at), [events, at]);
  const nodes = useMemo(() => (tree ? buildTree(Object.keys(tree.files)) : []), [tree]);

  // The chosen file's text follows the playhead; a file that did not exist yet shows nothing.
  useEffect(() => {
    if (!tree || selected === null) return;
    if (selected === tree.entry) onSelect(null, null);
    else onSelect(selected, tree.files[selected] ?? null);
  }, [tree, selected, onSelect]);

  const row = (node: TreeNode, depth: number) => {
    const here = viewers.get(node.path) ?? [];
    const isEntry = node.path === tree?.entry;
    const active = node.kind === "file" && (selected === node.path || (selected === null && isEntry));
    return (
      <li key={node.path}>
        <button
          type="button"
          data-testid={node.kind === "file" ? "replay-tree-file" : "replay-tree-folder"}
          data-path={node.path}
          disabled={node.kind === "folder"}
          className={`flex h-6 w-full items-center gap-1 text-left text-[13px] ${active ? "bg-slate-700/70 text-white" : "text-slate-300 hover:bg-slate-800"}`}
          style={{ paddingLeft: 8 + depth * 12 }}
          onClick={() => onSelect(isEntry ? null : node.path, isEntry ? null : (tree?.files[node.path] ?? null))}
        >
          <span className={node.kind === "folder" ? "text-amber-300" : "text-slate-500"}>{node.kind === "folder" ? "▾" : "·"}</span>
          <span className="min-w-0 flex-1 truncate">{node.name}</span>
          {here.map((p) => (
            <span key={p.name} title={`${p.name} had this file open`} className="mr-1 h-2.5 w-2.5 shrink-0 rounded-full" style={{ backgroundColor: personColor(p.role, p.name) }} />
          ))}
        </button>
        {node.children.length > 0 && <ul>{node.children.map((c) => row(c, depth + 1))}</ul>}
      </li>
    );
  };

  // A one-file record keeps the replay as it always was.
  if (!tree || (Object.keys(tree.files).length <= 1 && !isProjectRecord(events, 0))) return null;
  return (
    <div className="flex h-full w-52 shrink-0 flex-col border-r border-slate-800 bg-slate-900" data-testid="replay-tree">
      <div className="flex h-8 shrink-0 items-center px-2 text-[11px] font-semibold tracking-wide text-slate-400 uppercase">
        Files {tree ? `(${Object.keys(tree.files).length})` : ""}
      </div>
      <ul className="min-h-0 flex-1 overflow-auto pb-2">{nodes.map((n) => row(n, 0))}</ul>
    </div>
  );
}
