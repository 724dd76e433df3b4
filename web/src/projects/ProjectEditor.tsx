/**
 * The room's editor as an IDE: the file tree, tabs and one Monaco editor. Each OPEN file has
 * one Monaco model and one y-monaco binding, made when it is first opened and dropped when
 * its tab closes, so a 500-file tree costs one row a file until a file is opened. Switching
 * files swaps the editor's model (and keeps each file's scroll and caret).
 *
 * A one-file room looks as it always did: the tree folds away to a thin rail and there are no
 * tabs until a second file exists. Each person's open file travels in their awareness state
 * (`file`): the tree shows who is where, and anyone can follow someone's open file.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useParams } from "react-router";
import { MonacoBinding } from "y-monaco";
import * as Y from "yjs";

import { ApiError } from "../api/client";
import { session } from "../api/session";
import { attachIntellisense } from "../intellisense/attach";
import { cursorCss, type CursorOwner } from "../lib/cursorCss";
import type { RoomDoc } from "../realtime/ydoc";
import { monaco } from "../room/monaco";
import { FileTree, type TreeActions } from "./FileTree";
import { usePresence } from "./presence";
import { basename, foldersOf, isInside, languageOf, moveProblem, movedPath, pairRenames, pathProblem } from "./paths";
import { ProjectDoc } from "./projectDoc";
import { downloadZip, isZip, readDropped, uploadZip } from "./transfer";

export interface ProjectEditorProps {
  roomDoc: RoomDoc;
  defaultLanguage: string;
  seedLanguage: boolean;
  onLanguage: (language: string) => void;
  onEditor?: (editor: monaco.editor.IStandaloneCodeEditor | null) => void;
  readOnly?: boolean;
  runRef?: React.RefObject<(() => void) | null>;
  /** Language servers for this room (web/src/intellisense); `assists` false: diagnostics only. */
  intellisense?: { roomId: string; assists: boolean };
}

interface OpenFile {
  text: Y.Text;
  model: monaco.editor.ITextModel;
  binding: MonacoBinding;
  view: monaco.editor.ICodeEditorViewState | null;
}

/** Tabs kept bound at most: opening one more closes the least recently used. */
const MAX_OPEN = 12;

export function ProjectEditor({ roomDoc, defaultLanguage, seedLanguage, onLanguage, onEditor, readOnly = false, runRef, intellisense }: ProjectEditorProps) {
  const { roomId = "" } = useParams();
  const host = useRef<HTMLDivElement>(null);
  const project = useMemo(() => new ProjectDoc(roomDoc.doc, defaultLanguage), [roomDoc, defaultLanguage]);
  const awareness = roomDoc.provider.awareness;
  const people = usePresence(awareness);
  const [paths, setPaths] = useState<string[]>(() => project.paths());
  const [entry, setEntry] = useState(() => project.entry);
  const [tabs, setTabs] = useState<string[]>(() => [project.entry]);
  const [active, setActive] = useState(() => project.entry);
  const [drafts, setDrafts] = useState<string[]>([]);
  const [treeOpen, setTreeOpen] = useState<boolean | null>(null);
  const [following, setFollowing] = useState<number | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [css, setCss] = useState("");
  const [note, setNote] = useState("");
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const open = useRef(new Map<string, OpenFile>());
  const activeRef = useRef(active);
  const tabsRef = useRef(tabs);
  /** The tabs, kept in a ref too: the tree's observer and `show` read them between renders. */
  const putTabs = useCallback((next: string[]) => {
    tabsRef.current = next;
    setTabs(next);
  }, []);

  const languageFor = useCallback(
    (path: string) => {
      if (path !== project.entry) return languageOf(path);
      const language = project.meta.get("language");
      return typeof language === "string" ? language : defaultLanguage;
    },
    [project, defaultLanguage],
  );

  /** The model of an open file, bound on first use. */
  const bind = useCallback(
    (path: string): OpenFile | null => {
      const editor = editorRef.current;
      const text = project.text(path);
      if (!editor || !text) return null;
      const known = open.current.get(path);
      if (known && known.text === text) return known;
      if (known) unbind(open.current, path);
      const model = monaco.editor.createModel("", languageFor(path));
      model.setEOL(monaco.editor.EndOfLineSequence.LF);
      const binding = new MonacoBinding(text, model, new Set([editor]), awareness);
      const file: OpenFile = { text, model, binding, view: null };
      open.current.set(path, file);
      return file;
    },
    [project, awareness, languageFor],
  );

  /** Show `path` in the editor (its tab opens if it was closed). */
  const show = useCallback(
    (path: string) => {
      const editor = editorRef.current;
      if (!editor) return;
      const file = bind(path);
      if (!file) return;
      const current = open.current.get(activeRef.current);
      if (current && current.model === editor.getModel()) current.view = editor.saveViewState();
      if (editor.getModel() !== file.model) {
        editor.setModel(file.model);
        if (file.view) editor.restoreViewState(file.view);
      }
      activeRef.current = path;
      setActive(path);
      if (!tabsRef.current.includes(path)) {
        const next = [...tabsRef.current, path];
        // Too many bound files: the oldest tab that is not in front goes.
        while (next.length > MAX_OPEN) {
          const drop = next.find((p) => p !== path);
          if (drop === undefined) break;
          next.splice(next.indexOf(drop), 1);
          unbind(open.current, drop);
        }
        putTabs(next);
      }
      if (awareness.getLocalState()?.file !== path) awareness.setLocalStateField("file", path);
    },
    [bind, awareness, putTabs],
  );

  const close = useCallback(
    (path: string) => {
      const old = tabsRef.current;
      if (old.length <= 1) return;
      const i = old.indexOf(path);
      const next = old.filter((p) => p !== path);
      putTabs(next);
      if (path === activeRef.current) show(next[Math.min(i, next.length - 1)] ?? project.entry);
      unbind(open.current, path);
    },
    [show, project, putTabs],
  );

  // The editor itself: made once per document.
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const editor = monaco.editor.create(element, {
      model: null,
      theme: "vs-dark",
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 14,
      fontFamily: "'JetBrains Mono', ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      scrollBeyondLastLine: false,
      padding: { top: 12 },
      tabSize: 4,
      renderLineHighlight: "line",
      smoothScrolling: true,
      ariaLabel: "Shared code editor",
    });
    editorRef.current = editor;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runRef?.current?.());
    onEditor?.(editor);
    const files = open.current;
    const first = project.entry;
    show(first);

    const meta = project.meta;
    const applyLanguage = () => {
      const language = languageFor(project.entry);
      const file = files.get(project.entry);
      if (file && file.model.getLanguageId() !== language) monaco.editor.setModelLanguage(file.model, language);
      onLanguage(typeof meta.get("language") === "string" ? (meta.get("language") as string) : defaultLanguage);
    };
    applyLanguage();
    const seed = (synced: boolean) => {
      if (synced && seedLanguage && !meta.has("language")) meta.set("language", defaultLanguage);
    };
    roomDoc.provider.on("sync", seed);
    if (roomDoc.provider.synced) seed(true);

    // The tree changed: renamed files keep their tabs, removed ones close, new ones show.
    let lastEntry = project.entry;
    const onTree = (events: Y.YEvent<Y.AbstractType<unknown>>[] | Y.YMapEvent<unknown>) => {
      const list = Array.isArray(events) ? events : [events];
      const removed: string[] = [];
      const added: string[] = [];
      let languageChanged = false;
      for (const event of list) {
        if (!(event instanceof Y.YMapEvent)) continue;
        if (event.target === project.files) {
          event.changes.keys.forEach((change, key) => {
            if (change.action === "delete") removed.push(key);
            else if (change.action === "add") added.push(key);
            else if (change.action === "update") {
              removed.push(key);
              added.push(key);
            }
          });
        } else if (event.target === meta && event.keysChanged.has("language")) languageChanged = true;
      }
      const nowEntry = project.entry;
      const renames = pairRenames(
        removed.filter((p) => !added.includes(p)),
        added.filter((p) => !removed.includes(p)),
      );
      if (nowEntry !== lastEntry) {
        renames.set(lastEntry, nowEntry);
        const file = files.get(lastEntry);
        if (file) {
          files.delete(lastEntry);
          files.set(nowEntry, file);
          if (file.model.getLanguageId() !== languageFor(nowEntry)) monaco.editor.setModelLanguage(file.model, languageFor(nowEntry));
        }
        lastEntry = nowEntry;
      }
      setEntry(nowEntry);
      setPaths(project.paths());
      setDrafts((old) => old.filter((d) => !project.paths().some((p) => isInside(p, d))));
      if (languageChanged) applyLanguage();
      const next: string[] = [];
      for (const path of tabsRef.current) {
        const target = renames.get(path) ?? path;
        if (project.text(target)) next.push(target);
        if (target !== path || !project.text(target)) unbind(files, path);
      }
      putTabs(next.length > 0 ? [...new Set(next)] : [project.entry]);
      // After the transaction: the file in front may have been renamed, replaced or removed.
      queueMicrotask(() => {
        const front = renames.get(activeRef.current) ?? activeRef.current;
        const file = files.get(front);
        if (!file || file.text !== project.text(front) || editor.getModel() !== file.model) {
          show(project.text(front) ? front : (tabsRef.current[0] ?? project.entry));
        }
      });
    };
    project.files.observe(onTree as (e: Y.YMapEvent<Y.Text>) => void);
    meta.observe(onTree as (e: Y.YMapEvent<unknown>) => void);

    // Each person's caret in their colour, with their name for the hover (lib/cursorCss.ts).
    const paintCursors = () => {
      const owners: CursorOwner[] = [];
      awareness.getStates().forEach((state, clientId) => {
        const user = state.user as { name?: string; color?: string } | undefined;
        if (clientId === roomDoc.doc.clientID || !user?.name) return;
        owners.push({ clientId, name: user.name, color: user.color ?? "" });
      });
      setCss(cursorCss(owners));
    };
    awareness.on("change", paintCursors);
    paintCursors();

    // Completion, hover, definition and diagnostics from the room's language servers: each
    // bound model is known by its path in the tree.
    const lsp = intellisense
      ? attachIntellisense({
          monaco,
          roomId: intellisense.roomId,
          assists: intellisense.assists,
          getToken: () => session.bearer(),
          pathOf: (model) => {
            for (const [path, file] of files) if (file.model === model) return path;
            return null;
          },
          openPath: (path, range) => {
            show(path);
            editor.setSelection(range);
            editor.revealRangeInCenter(range);
          },
          onNote: setNote,
        })
      : null;

    return () => {
      lsp?.dispose();
      awareness.off("change", paintCursors);
      roomDoc.provider.off("sync", seed);
      project.files.unobserve(onTree as (e: Y.YMapEvent<Y.Text>) => void);
      meta.unobserve(onTree as (e: Y.YMapEvent<unknown>) => void);
      for (const path of [...files.keys()]) unbind(files, path);
      onEditor?.(null);
      editorRef.current = null;
      editor.dispose();
    };
  }, [roomDoc, project, awareness, defaultLanguage, seedLanguage, onLanguage, onEditor, runRef, show, languageFor, putTabs, intellisense]);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly, readOnlyMessage: { value: "The interview has ended." } });
  }, [readOnly, roomDoc]);

  // Following someone: their open file comes to the front, and their caret into view.
  const followed = following === null ? undefined : people.find((p) => p.clientId === following);
  useEffect(() => {
    if (following === null) return;
    const reveal = () => {
      const state = awareness.getStates().get(following);
      const file = typeof state?.file === "string" ? state.file : null;
      if (!file || !project.text(file)) return;
      if (file !== activeRef.current) show(file);
      const head = (state?.selection as { head?: unknown } | undefined)?.head;
      const editor = editorRef.current;
      const model = editor?.getModel();
      if (!head || !editor || !model) return;
      const abs = Y.createAbsolutePositionFromRelativePosition(head as Y.RelativePosition, roomDoc.doc);
      if (abs && abs.type === project.text(file)) editor.revealLineInCenterIfOutsideViewport(model.getPositionAt(abs.index).lineNumber);
    };
    reveal();
    awareness.on("change", reveal);
    return () => awareness.off("change", reveal);
  }, [following, awareness, project, roomDoc, show]);

  const userOpen = useCallback(
    (path: string) => {
      // Choosing another file than the one followed stops following.
      if (followed && followed.file !== path) setFollowing(null);
      show(path);
    },
    [followed, show],
  );

  const actions: TreeActions = {
    open: userOpen,
    create: (path, kind) => {
      const problem = pathProblem(path) ?? (kind === "file" ? moveProblem([...paths, ...drafts], "\u0000", path) : null);
      if (problem) return problem;
      if (paths.includes(path) || foldersOf(paths).includes(path) || drafts.includes(path)) return `${path} already exists.`;
      if (foldersOf([path]).some((f) => paths.includes(f))) return `${foldersOf([path]).find((f) => paths.includes(f))} is a file.`;
      if (kind === "folder") setDrafts((old) => [...old, path]);
      else {
        project.create(path);
        show(path);
      }
      setTreeOpen(true);
      return null;
    },
    move: (from, to) => {
      if (from === to) return null;
      const draft = drafts.includes(from);
      const problem = moveProblem([...paths, ...drafts], from, to);
      if (problem) return problem;
      if (draft) setDrafts((old) => old.map((d) => movedPath(d, from, to) ?? d));
      else project.move(from, to);
      return null;
    },
    remove: (path) => {
      setDrafts((old) => old.filter((d) => d !== path && !isInside(d, path)));
      if (path !== project.entry) project.remove(path);
    },
    drop: (items, fileList, folder) => {
      const files = Array.from(fileList);
      setError(null);
      if (files.length === 1 && files[0] && isZip(files[0])) {
        setBusy(`Importing ${files[0].name}…`);
        uploadZip(roomId, files[0], folder)
          .then((written) => {
            setBusy(null);
            setError(written.length === 0 ? "Nothing new in that zip." : null);
          })
          .catch((e: unknown) => {
            setBusy(null);
            setError(e instanceof ApiError || e instanceof Error ? e.message : "The zip could not be imported.");
          });
        return;
      }
      setBusy("Reading the dropped files…");
      readDropped(items, folder)
        .then((read) => {
          setBusy(null);
          const clash = Object.keys(read).find((p) => foldersOf(paths).includes(p) || foldersOf([p]).some((f) => paths.includes(f)));
          if (clash) throw new Error(`${clash} clashes with a file or folder of the project.`);
          project.writeMany(read);
          setTreeOpen(true);
        })
        .catch((e: unknown) => {
          setBusy(null);
          setError(e instanceof Error ? e.message : "The files could not be read.");
        });
    },
    download: () => {
      downloadZip(roomId).catch((e: unknown) => setError(e instanceof Error ? e.message : "The download failed."));
    },
  };

  const single = paths.length === 1 && drafts.length === 0;
  const showTree = treeOpen ?? !single;
  const others = people.filter((p) => p.file !== null);

  return (
    <div className="flex h-full w-full min-w-0" data-testid="project-editor">
      <style>{css}</style>
      {showTree ? (
        <div className="w-56 shrink-0 border-r border-slate-800">
          <FileTree paths={paths} emptyFolders={drafts} entry={entry} active={active} people={people} readOnly={readOnly} busy={busy} error={error} actions={actions} />
        </div>
      ) : null}
      <div className="flex min-w-0 flex-1 flex-col">
        {(!single || showTree) && (
          <div className="flex h-8 shrink-0 items-stretch border-b border-slate-800 bg-slate-900" role="tablist" aria-label="Open files">
            <button
              type="button"
              className="px-2 text-xs text-slate-400 hover:text-white"
              aria-label={showTree ? "Hide the files" : "Show the files"}
              data-testid="toggle-tree"
              onClick={() => setTreeOpen(!showTree)}
            >
              {showTree ? "◂" : "▸ Files"}
            </button>
            <div className="flex min-w-0 flex-1 overflow-x-auto">
              {tabs.map((path) => (
                <div
                  key={path}
                  role="tab"
                  aria-selected={path === active}
                  data-testid="editor-tab"
                  data-path={path}
                  title={path}
                  className={`group flex shrink-0 cursor-pointer items-center gap-1 border-r border-slate-800 px-3 text-xs ${path === active ? "bg-slate-950 text-white" : "text-slate-400 hover:text-slate-200"}`}
                  onClick={() => userOpen(path)}
                >
                  {basename(path)}
                  {tabs.length > 1 && (
                    <button
                      type="button"
                      aria-label={`Close ${path}`}
                      className="ml-1 text-slate-500 opacity-0 group-hover:opacity-100 hover:text-white"
                      onClick={(e) => {
                        e.stopPropagation();
                        close(path);
                      }}
                    >
                      ×
                    </button>
                  )}
                </div>
              ))}
            </div>
            {others.length > 0 && (
              <label className="flex shrink-0 items-center gap-1 px-2 text-[11px] text-slate-400">
                Follow
                <select
                  aria-label="Follow someone's open file"
                  data-testid="follow-picker"
                  className="rounded bg-slate-800 py-0 pr-6 pl-1 text-[11px] text-slate-100"
                  value={following ?? ""}
                  onChange={(e) => setFollowing(e.target.value ? Number(e.target.value) : null)}
                >
                  <option value="">nobody</option>
                  {others.map((p) => (
                    <option key={p.clientId} value={p.clientId}>
                      {p.name} ({p.file})
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
        )}
        <div className="relative min-h-0 flex-1">
          {single && !showTree && (
            <button
              type="button"
              className="absolute top-1 right-3 z-10 rounded px-1.5 py-0.5 text-[11px] text-slate-500 hover:bg-slate-800 hover:text-slate-200"
              data-testid="toggle-tree"
              aria-label="Show the files"
              onClick={() => setTreeOpen(true)}
            >
              Files
            </button>
          )}
          <div ref={host} className="h-full w-full" data-testid="code-editor" data-active-file={active} />
          {note && (
            <div className="pointer-events-none absolute right-3 bottom-1 text-xs text-slate-500" data-testid="lsp-note">
              {note}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

function unbind(files: Map<string, OpenFile>, path: string): void {
  const file = files.get(path);
  if (!file) return;
  files.delete(path);
  file.binding.destroy();
  file.model.dispose();
}
