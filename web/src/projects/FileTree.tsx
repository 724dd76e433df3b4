/**
 * The project's files beside the editor: folders and files, each person's open file (a dot
 * in their colour), and create, rename or move, delete, drag to move, drop from the desktop.
 * It only shows and asks: every change goes through the callbacks (ProjectEditor).
 */
import { useMemo, useState, type DragEvent, type ReactNode } from "react";

import { initials } from "../lib/colors";
import { buildTree, dirname, join, type TreeNode } from "./paths";
import type { Presence } from "./presence";

const INTERNAL = "application/x-codepair-path";

export interface TreeActions {
  open: (path: string) => void;
  create: (path: string, kind: "file" | "folder") => string | null;
  move: (from: string, to: string) => string | null;
  remove: (path: string) => void;
  /** Files or a zip dropped from the desktop into `folder`. */
  drop: (items: DataTransferItemList, files: FileList, folder: string) => void;
  download: () => void;
}

interface Props {
  paths: string[];
  emptyFolders: string[];
  entry: string;
  active: string;
  people: Presence[];
  readOnly: boolean;
  busy: string | null;
  error: string | null;
  actions: TreeActions;
}

type Editing = { kind: "create-file" | "create-folder"; folder: string } | { kind: "rename"; path: string } | null;

export function FileTree({ paths, emptyFolders, entry, active, people, readOnly, busy, error, actions }: Props) {
  const tree = useMemo(() => buildTree(paths, emptyFolders), [paths, emptyFolders]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const [editing, setEditing] = useState<Editing>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [target, setTarget] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [folder, setFolder] = useState("");
  const viewers = useMemo(() => {
    const map = new Map<string, Presence[]>();
    for (const p of people) if (p.file) map.set(p.file, [...(map.get(p.file) ?? []), p]);
    return map;
  }, [people]);

  const toggle = (path: string) =>
    setCollapsed((old) => {
      const next = new Set(old);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });

  const submit = (value: string) => {
    const name = value.trim();
    const edit = editing;
    if (!edit || !name) {
      setEditing(null);
      setProblem(null);
      return;
    }
    const outcome =
      edit.kind === "rename" ? actions.move(edit.path, name) : actions.create(join(edit.folder, name), edit.kind === "create-file" ? "file" : "folder");
    if (outcome) setProblem(outcome);
    else {
      setEditing(null);
      setProblem(null);
    }
  };

  const dropOn = (event: DragEvent, into: string) => {
    event.preventDefault();
    event.stopPropagation();
    setTarget(null);
    if (readOnly) return;
    const moving = event.dataTransfer.getData(INTERNAL);
    if (moving) {
      const name = moving.slice(moving.lastIndexOf("/") + 1);
      const outcome = actions.move(moving, join(into, name));
      setProblem(outcome);
      return;
    }
    if (event.dataTransfer.files.length > 0) actions.drop(event.dataTransfer.items, event.dataTransfer.files, into);
  };
  const dragOver = (event: DragEvent, into: string) => {
    if (readOnly) return;
    event.preventDefault();
    event.stopPropagation();
    event.dataTransfer.dropEffect = event.dataTransfer.types.includes(INTERNAL) ? "move" : "copy";
    setTarget(into);
  };

  const row = (node: TreeNode, depth: number): ReactNode => {
    const isFolder = node.kind === "folder";
    const open = isFolder && !collapsed.has(node.path);
    const here = viewers.get(node.path) ?? [];
    const renaming = editing?.kind === "rename" && editing.path === node.path;
    const selected = !isFolder && node.path === active;
    return (
      <li key={`${node.kind}:${node.path}`} role="treeitem" aria-expanded={isFolder ? open : undefined} aria-selected={selected}>
        <div
          className={`group flex h-6 cursor-pointer items-center gap-1 pr-1 text-[13px] ${selected ? "bg-slate-700/70 text-white" : "text-slate-300 hover:bg-slate-800"} ${target === node.path ? "ring-1 ring-indigo-400 ring-inset" : ""}`}
          style={{ paddingLeft: 6 + depth * 12 }}
          data-testid={isFolder ? "tree-folder" : "tree-file"}
          data-path={node.path}
          draggable={!readOnly && node.path !== entry && !renaming}
          onDragStart={(e) => e.dataTransfer.setData(INTERNAL, node.path)}
          onDragOver={isFolder ? (e) => dragOver(e, node.path) : undefined}
          onDragLeave={isFolder ? () => setTarget(null) : undefined}
          onDrop={isFolder ? (e) => dropOn(e, node.path) : undefined}
          onClick={() => {
            if (isFolder) {
              toggle(node.path);
              setFolder(node.path);
            } else {
              actions.open(node.path);
              setFolder(dirname(node.path));
            }
          }}
        >
          <span className="w-3 shrink-0 text-[10px] text-slate-500">{isFolder ? (open ? "▾" : "▸") : ""}</span>
          <span aria-hidden className={`shrink-0 text-[11px] ${isFolder ? "text-amber-300" : "text-slate-500"}`}>
            {isFolder ? "▪" : "·"}
          </span>
          {renaming ? (
            <NameInput initial={node.path} onDone={submit} label={`New path for ${node.path}`} />
          ) : (
            <span className="min-w-0 flex-1 truncate" title={node.path}>
              {node.name}
              {node.path === entry && <span className="ml-1 text-[10px] text-indigo-300">entry</span>}
            </span>
          )}
          {here.length > 0 && !renaming && (
            <span className="flex shrink-0 -space-x-1" data-testid="tree-viewers" aria-label={`Open by ${here.map((p) => p.name).join(", ")}`}>
              {here.slice(0, 3).map((p) => (
                <span
                  key={p.clientId}
                  title={`${p.name} has this file open`}
                  className="inline-flex h-4 w-4 items-center justify-center rounded-full text-[8px] font-semibold text-white ring-1 ring-slate-900"
                  style={{ backgroundColor: p.color }}
                >
                  {initials(p.name)}
                </span>
              ))}
            </span>
          )}
          {!readOnly && !renaming && confirm !== node.path && (
            <span className="hidden shrink-0 gap-0.5 group-hover:flex">
              {isFolder && (
                <IconButton
                  label={`New file in ${node.path}`}
                  onClick={() => {
                    setEditing({ kind: "create-file", folder: node.path });
                    setCollapsed((old) => new Set([...old].filter((p) => p !== node.path)));
                  }}
                >
                  +
                </IconButton>
              )}
              <IconButton label={`Rename ${node.path}`} onClick={() => setEditing({ kind: "rename", path: node.path })}>
                ✎
              </IconButton>
              {node.path !== entry && (
                <IconButton label={`Delete ${node.path}`} onClick={() => setConfirm(node.path)}>
                  ×
                </IconButton>
              )}
            </span>
          )}
          {confirm === node.path && (
            <span className="flex shrink-0 items-center gap-1 text-[11px]" onClick={(e) => e.stopPropagation()}>
              <span className="text-rose-300">Delete?</span>
              <button
                type="button"
                className="rounded bg-rose-600 px-1 text-white"
                onClick={() => {
                  actions.remove(node.path);
                  setConfirm(null);
                }}
              >
                Yes
              </button>
              <button type="button" className="rounded bg-slate-700 px-1" onClick={() => setConfirm(null)}>
                No
              </button>
            </span>
          )}
        </div>
        {isFolder && open && (
          <ul role="group">
            {editing && editing.kind !== "rename" && editing.folder === node.path && createRow(depth + 1)}
            {node.children.map((child) => row(child, depth + 1))}
          </ul>
        )}
      </li>
    );
  };

  const createRow = (depth: number) => (
    <li key="creating" className="flex h-6 items-center" style={{ paddingLeft: 18 + depth * 12 }}>
      <NameInput initial="" onDone={submit} label={editing?.kind === "create-folder" ? "New folder name" : "New file name"} />
    </li>
  );

  return (
    <div
      className={`flex h-full flex-col bg-slate-900 ${target === "" ? "ring-1 ring-indigo-400 ring-inset" : ""}`}
      data-testid="file-tree"
      onDragOver={(e) => dragOver(e, "")}
      onDragLeave={() => setTarget(null)}
      onDrop={(e) => dropOn(e, "")}
    >
      <div className="flex h-8 shrink-0 items-center gap-1 border-b border-slate-800 px-2">
        <span className="flex-1 text-[11px] font-semibold tracking-wide text-slate-400 uppercase">Files</span>
        {!readOnly && (
          <>
            <IconButton label="New file" testId="new-file" onClick={() => setEditing({ kind: "create-file", folder })}>
              +f
            </IconButton>
            <IconButton label="New folder" testId="new-folder" onClick={() => setEditing({ kind: "create-folder", folder })}>
              +d
            </IconButton>
          </>
        )}
        <IconButton label="Download .zip" testId="download-zip" onClick={actions.download}>
          ⤓
        </IconButton>
      </div>
      <ul role="tree" aria-label="Project files" className="min-h-0 flex-1 overflow-auto py-1">
        {editing && editing.kind !== "rename" && editing.folder === "" && createRow(0)}
        {tree.map((node) => row(node, 0))}
      </ul>
      {(problem ?? error ?? busy) && (
        <p className={`shrink-0 border-t border-slate-800 px-2 py-1.5 text-[11px] ${busy ? "text-slate-300" : "text-rose-300"}`} role={busy ? "status" : "alert"} data-testid="tree-message">
          {busy ?? problem ?? error}
        </p>
      )}
      {!readOnly && <p className="shrink-0 px-2 pb-1.5 text-[10px] text-slate-500">Drop a folder or a .zip here to add it.</p>}
    </div>
  );
}

function IconButton({ label, onClick, children, testId }: { label: string; onClick: () => void; children: ReactNode; testId?: string }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      data-testid={testId}
      className="rounded px-1 text-[11px] leading-4 text-slate-400 hover:bg-slate-700 hover:text-white"
      onClick={(e) => {
        e.stopPropagation();
        onClick();
      }}
    >
      {children}
    </button>
  );
}

function NameInput({ initial, onDone, label }: { initial: string; onDone: (value: string) => void; label: string }) {
  const [value, setValue] = useState(initial);
  return (
    <input
      autoFocus
      aria-label={label}
      data-testid="tree-name-input"
      className="h-5 min-w-0 flex-1 rounded bg-slate-950 px-1 text-[12px] text-white ring-1 ring-indigo-500 outline-none"
      value={value}
      onChange={(e) => setValue(e.target.value)}
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === "Enter") onDone(value);
        if (e.key === "Escape") onDone("");
      }}
      onBlur={() => onDone(value === initial ? "" : value)}
    />
  );
}
