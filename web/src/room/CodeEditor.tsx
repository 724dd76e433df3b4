/** The shared code editor: Monaco bound to the room's `code` doc, remote cursors, language sync. */
import { useEffect, useRef, useState } from "react";
import { MonacoBinding } from "y-monaco";
import type * as Y from "yjs";

import { session } from "../api/session";
import { LANGUAGES } from "../api/types";
import { attachIntellisense } from "../intellisense/attach";
import { entryPath } from "../intellisense/entry";
import { cursorCss, type CursorOwner } from "../lib/cursorCss";
import type { RoomDoc } from "../realtime/ydoc";
import { monaco } from "./monaco";

interface Props {
  roomDoc: RoomDoc;
  defaultLanguage: string;
  /** Interviewers seed `meta.language` from the room when the document has none yet. */
  seedLanguage: boolean;
  onLanguage: (language: string) => void;
  onEditor?: (editor: monaco.editor.IStandaloneCodeEditor | null) => void;
  /** After the interview the code is the record: shown, not edited. */
  readOnly?: boolean;
  /** Ctrl/Cmd+Enter in the editor runs the code. */
  runRef?: React.RefObject<(() => void) | null>;
  /** Language servers for this room (web/src/intellisense); `assists` false: diagnostics only. */
  intellisense?: { roomId: string; assists: boolean };
}

export function CodeEditor({ roomDoc, defaultLanguage, seedLanguage, onLanguage, onEditor, readOnly = false, runRef, intellisense }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [css, setCss] = useState("");
  const [note, setNote] = useState("");

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const { doc, provider } = roomDoc;
    const text = doc.getText("code");
    const meta = doc.getMap<string>("meta");
    const model = monaco.editor.createModel("", meta.get("language") ?? defaultLanguage);
    // Remote edits must never move the local caret by itself; y-monaco keeps selections relative.
    model.setEOL(monaco.editor.EndOfLineSequence.LF);
    const editor = monaco.editor.create(element, {
      model,
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
    const binding = new MonacoBinding(text, model, new Set([editor]), provider.awareness);
    editorRef.current = editor;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runRef?.current?.());
    onEditor?.(editor);

    const applyLanguage = () => {
      const language = meta.get("language") ?? defaultLanguage;
      if (model.getLanguageId() !== language) monaco.editor.setModelLanguage(model, language);
      onLanguage(language);
    };
    applyLanguage();
    const onMeta = (event: Y.YMapEvent<string>) => {
      if (event.keysChanged.has("language")) applyLanguage();
    };
    meta.observe(onMeta);

    const seed = (synced: boolean) => {
      if (synced && seedLanguage && !meta.has("language")) meta.set("language", defaultLanguage);
    };
    provider.on("sync", seed);
    if (provider.synced) seed(true);

    // Each person's caret in their colour, with their name for the hover (lib/cursorCss.ts).
    const paintCursors = () => {
      const owners: CursorOwner[] = [];
      provider.awareness.getStates().forEach((state, clientId) => {
        const user = state.user as { name?: string; color?: string } | undefined;
        if (clientId === doc.clientID || !user?.name) return;
        owners.push({ clientId, name: user.name, color: user.color ?? "" });
      });
      setCss(cursorCss(owners));
    };
    provider.awareness.on("change", paintCursors);
    paintCursors();

    const lsp = intellisense
      ? attachIntellisense({
          monaco,
          roomId: intellisense.roomId,
          assists: intellisense.assists,
          getToken: () => session.bearer(),
          pathOf: (m) => (m === model ? entryPath(meta.get("entry"), model.getLanguageId()) : null),
          onNote: setNote,
        })
      : null;

    return () => {
      lsp?.dispose();
      provider.awareness.off("change", paintCursors);
      provider.off("sync", seed);
      meta.unobserve(onMeta);
      binding.destroy();
      onEditor?.(null);
      editorRef.current = null;
      editor.dispose();
      model.dispose();
    };
  }, [roomDoc, defaultLanguage, seedLanguage, onLanguage, onEditor, runRef, intellisense]);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly, readOnlyMessage: { value: "The interview has ended." } });
  }, [readOnly, roomDoc]);

  return (
    <>
      <style>{css}</style>
      <div ref={host} className="h-full w-full" data-testid="code-editor" />
      {note && (
        <div className="pointer-events-none absolute right-3 bottom-1 text-xs text-slate-500" data-testid="lsp-note">
          {note}
        </div>
      )}
    </>
  );
}

export function LanguagePicker({ roomDoc, language, disabled }: { roomDoc: RoomDoc | null; language: string; disabled?: boolean }) {
  return (
    <select
      aria-label="Language"
      data-testid="language-picker"
      className="rounded-md border-0 bg-slate-800 py-1 pr-8 pl-2.5 text-sm text-slate-100 ring-1 ring-slate-700 focus:ring-2 focus:ring-indigo-500"
      value={language}
      disabled={disabled || !roomDoc}
      onChange={(e) => roomDoc?.doc.getMap<string>("meta").set("language", e.target.value)}
    >
      {LANGUAGES.map((l) => (
        <option key={l.id} value={l.id}>
          {l.label}
        </option>
      ))}
    </select>
  );
}
