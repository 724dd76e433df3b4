/**
 * The editor's hook point for language intelligence: one call registers Monaco providers
 * (completion, hover, signature help, go to definition) and diagnostics markers that speak
 * to the room's language servers. The editor says which project file a model is
 * (`pathOf`); the server already holds the text, so nothing here sends the text.
 */
// The lean editor (room/monaco.ts) has none of these. Monaco 0.57's `features/suggest` holds
// only inline suggestions: the completion widget itself is `suggestController`, and the F12 /
// Ctrl+click commands are `goToCommands`, imported by path (vite.config.ts aliases them).
import "monaco-editor/features/hover/register";
import "monaco-editor/features/parameterHints/register";
import "monaco-editor/features/gotoSymbol/register";
import "monaco-editor/features/gotoError/register";
import "monaco-editor/features/snippet/register";
import "monaco-editor/esm/vs/editor/contrib/suggest/browser/suggestController.js";
import "monaco-editor/esm/vs/editor/contrib/gotoSymbol/browser/goToCommands.js";

import type * as Monaco from "monaco-editor/editor/editor.api";

import { LspConnection, type LspStatus } from "./connection";
import {
  hoverContents,
  kindName,
  labelOf,
  locations,
  pathOfUri,
  toMarker,
  toMarkdown,
  toPosition,
  toRange,
  uriOfPath,
  type LspCompletionItem,
  type LspDiagnostic,
  type LspLocation,
  type MarkedString,
} from "./convert";

type MonacoApi = typeof Monaco;
type Model = Monaco.editor.ITextModel;

/** Monaco language ids, grouped by the server that serves them (the socket's language). */
export const SERVER_GROUPS: Record<string, string[]> = {
  python: ["python"],
  typescript: ["typescript", "javascript"],
  cpp: ["c", "cpp"],
  go: ["go"],
};

export interface IntellisenseOptions {
  monaco: MonacoApi;
  roomId: string;
  getToken: () => Promise<string | null>;
  /** The project path a model shows (`main.py`), or null for a model that is not a room file. */
  pathOf: (model: Model) => string | null;
  /** Open another file of the project at a position (go to definition across files). */
  openPath?: (path: string, range: Monaco.IRange) => void;
  /** False for a candidate in a room with autocomplete off: diagnostics only. */
  assists?: boolean;
  /** What to show people about the language servers (a quiet line, or "" for nothing). */
  onNote?: (note: string) => void;
}

const MARKER_OWNER = "lsp";

export function attachIntellisense(options: IntellisenseOptions): { dispose: () => void } {
  const { monaco, roomId, getToken, pathOf, openPath, onNote } = options;
  const assists = options.assists ?? true;
  const connections = new Map<string, LspConnection>();
  const disposables: Monaco.IDisposable[] = [];
  const diagnostics = new Map<string, LspDiagnostic[]>();
  const notes = new Map<string, string>();

  const groupOf = (languageId: string) => Object.keys(SERVER_GROUPS).find((g) => SERVER_GROUPS[g]?.includes(languageId)) ?? null;

  const showNote = () => {
    const parts = [...notes.values()].filter(Boolean);
    if (!assists) parts.unshift("Autocomplete is off in this interview");
    onNote?.(parts.join(" · "));
  };

  const markModel = (model: Model) => {
    const path = pathOf(model);
    const list = path ? diagnostics.get(path) : undefined;
    monaco.editor.setModelMarkers(model, MARKER_OWNER, (list ?? []).map(toMarker));
  };

  const connectionFor = (model: Model): LspConnection | null => {
    const group = groupOf(model.getLanguageId());
    if (!group || !pathOf(model)) return null;
    let connection = connections.get(group);
    if (!connection) {
      connection = new LspConnection(roomId, group, getToken, !assists);
      connections.set(group, connection);
      connection.on("textDocument/publishDiagnostics", (params) => {
        const { uri, diagnostics: list } = params as { uri: string; diagnostics: LspDiagnostic[] };
        const path = pathOfUri(uri);
        if (path === null) return;
        diagnostics.set(path, list);
        for (const m of monaco.editor.getModels()) if (pathOf(m) === path && groupOf(m.getLanguageId()) === group) markModel(m);
      });
      connection.on("$/codepair/status", (params) => {
        const status = params as LspStatus;
        const quiet = status.state === "running" || status.state === "starting" || status.state === "offline";
        notes.set(group, quiet ? "" : status.message);
        showNote();
      });
      void connection.start();
    }
    return connection;
  };

  const watchModel = (model: Model) => {
    connectionFor(model);
    markModel(model);
    disposables.push(
      model.onDidChangeLanguage(() => {
        connectionFor(model);
        markModel(model);
      }),
    );
  };
  monaco.editor.getModels().forEach(watchModel);
  disposables.push(monaco.editor.onDidCreateModel(watchModel));

  const ask = async <T>(model: Model, method: string, position: Monaco.Position, extra: Record<string, unknown> = {}): Promise<T | null> => {
    const path = pathOf(model);
    const connection = connectionFor(model);
    if (!path || !connection) return null;
    return connection.request<T>(method, {
      textDocument: { uri: uriOfPath(path) },
      position: toPosition(position.lineNumber, position.column),
      ...(extra as Record<string, never>),
    });
  };

  const languages = Object.values(SERVER_GROUPS).flat();

  if (assists) {
    disposables.push(
      monaco.languages.registerCompletionItemProvider(languages, {
        triggerCharacters: [".", ":", ">", "/", '"', "'", "(", "<"],
        provideCompletionItems: async (model, position, context) => {
          const result = await ask<{ items: LspCompletionItem[]; isIncomplete?: boolean } | LspCompletionItem[]>(model, "textDocument/completion", position, {
            context: { triggerKind: context.triggerKind + 1, triggerCharacter: context.triggerCharacter },
          });
          if (!result) return { suggestions: [] };
          const items = Array.isArray(result) ? result : result.items;
          const word = model.getWordUntilPosition(position);
          const fallback = { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: word.startColumn, endColumn: word.endColumn };
          return {
            incomplete: !Array.isArray(result) && !!result.isIncomplete,
            suggestions: items.slice(0, 500).map((item) => {
              const edit = item.textEdit;
              const range = edit ? toRange(edit.range ?? edit.insert ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }) : fallback;
              return {
                label: labelOf(item),
                kind: monaco.languages.CompletionItemKind[kindName(item.kind)],
                detail: item.detail,
                documentation: toMarkdown(item.documentation),
                sortText: item.sortText,
                filterText: item.filterText,
                insertText: edit?.newText ?? item.insertText ?? labelOf(item),
                insertTextRules: item.insertTextFormat === 2 ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
                range,
              };
            }),
          };
        },
      }),
      monaco.languages.registerSignatureHelpProvider(languages, {
        signatureHelpTriggerCharacters: ["(", ","],
        signatureHelpRetriggerCharacters: [","],
        provideSignatureHelp: async (model, position) => {
          const help = await ask<{
            signatures: { label: string; documentation?: MarkedString; parameters?: { label: string | [number, number]; documentation?: MarkedString }[] }[];
            activeSignature?: number;
            activeParameter?: number;
          }>(model, "textDocument/signatureHelp", position);
          if (!help || help.signatures.length === 0) return null;
          return {
            value: {
              signatures: help.signatures.map((s) => ({
                label: s.label,
                documentation: toMarkdown(s.documentation),
                parameters: (s.parameters ?? []).map((p) => ({ label: p.label, documentation: toMarkdown(p.documentation) })),
              })),
              activeSignature: help.activeSignature ?? 0,
              activeParameter: help.activeParameter ?? 0,
            },
            dispose: () => undefined,
          };
        },
      }),
    );
  }

  disposables.push(
    monaco.languages.registerHoverProvider(languages, {
      provideHover: async (model, position) => {
        if (!assists) return null;
        const hover = await ask<{ contents: MarkedString | MarkedString[]; range?: LspLocation["range"] }>(model, "textDocument/hover", position);
        if (!hover) return null;
        const contents = hoverContents(hover.contents);
        return contents.length ? { contents, range: hover.range ? toRange(hover.range) : undefined } : null;
      },
    }),
    monaco.languages.registerDefinitionProvider(languages, {
      provideDefinition: async (model, position) => {
        const found = locations(await ask<LspLocation | LspLocation[]>(model, "textDocument/definition", position));
        return found.flatMap((loc) => {
          const path = pathOfUri(loc.uri);
          if (path === null) return [];
          // The same file: this model. Another file: its model when the editor has one.
          const target = pathOf(model) === path ? model : monaco.editor.getModels().find((m) => pathOf(m) === path);
          return [{ uri: target ? target.uri : monaco.Uri.parse(loc.uri), range: toRange(loc.range) }];
        });
      },
    }),
    monaco.editor.registerEditorOpener({
      openCodeEditor: (_source, resource, selection) => {
        const path = pathOfUri(resource.toString()) ?? monaco.editor.getModels().map((m) => (m.uri.toString() === resource.toString() ? pathOf(m) : null)).find(Boolean) ?? null;
        if (!path || !openPath) return false;
        const range = selection && "startLineNumber" in selection ? selection : selection ? { startLineNumber: selection.lineNumber, startColumn: selection.column, endLineNumber: selection.lineNumber, endColumn: selection.column } : { startLineNumber: 1, startColumn: 1, endLineNumber: 1, endColumn: 1 };
        openPath(path, range);
        return true;
      },
    }),
  );
  showNote();

  return {
    dispose: () => {
      disposables.forEach((d) => d.dispose());
      connections.forEach((c) => c.dispose());
      for (const m of monaco.editor.getModels()) monaco.editor.setModelMarkers(m, MARKER_OWNER, []);
    },
  };
}
