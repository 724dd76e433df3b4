/** LSP shapes to Monaco's and back: pure functions (positions are 0-based in LSP, 1-based in Monaco). */

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
export interface LspLocation {
  uri: string;
  range: LspRange;
}
export interface LspDiagnostic {
  range: LspRange;
  severity?: number;
  code?: string | number;
  source?: string;
  message: string;
}
export interface LspCompletionItem {
  label: string | { label: string };
  kind?: number;
  detail?: string;
  documentation?: string | { kind: string; value: string };
  sortText?: string;
  filterText?: string;
  insertText?: string;
  insertTextFormat?: number;
  textEdit?: { range?: LspRange; insert?: LspRange; newText: string };
}
export type MarkedString = string | { language: string; value: string } | { kind: string; value: string };

export interface MonacoRange {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

export const WORKSPACE = "file:///workspace/";

/** `file:///workspace/PATH` for a project path, as the server names files. */
export function uriOfPath(path: string): string {
  return WORKSPACE + path.split("/").map(encodeURIComponent).join("/");
}

/** The project path of a `file:///workspace/...` URI, or null. */
export function pathOfUri(uri: string): string | null {
  if (!uri.startsWith(WORKSPACE)) return null;
  try {
    return decodeURIComponent(uri.slice(WORKSPACE.length));
  } catch {
    return null;
  }
}

export function toPosition(lineNumber: number, column: number): LspPosition {
  return { line: lineNumber - 1, character: column - 1 };
}

export function toRange(range: LspRange): MonacoRange {
  return {
    startLineNumber: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLineNumber: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

/** Monaco's MarkerSeverity values: Hint 1, Info 2, Warning 4, Error 8. */
export function toSeverity(severity: number | undefined): 1 | 2 | 4 | 8 {
  switch (severity) {
    case 2:
      return 4;
    case 3:
      return 2;
    case 4:
      return 1;
    default:
      return 8;
  }
}

export function toMarker(d: LspDiagnostic) {
  return {
    ...toRange(d.range),
    severity: toSeverity(d.severity),
    message: d.message,
    source: d.source,
    code: d.code === undefined ? undefined : String(d.code),
  };
}

/** LSP CompletionItemKind (1-25) as the name of Monaco's CompletionItemKind member. */
export const KIND_NAMES = [
  "Text", "Text", "Method", "Function", "Constructor", "Field", "Variable", "Class", "Interface", "Module",
  "Property", "Unit", "Value", "Enum", "Keyword", "Snippet", "Color", "File", "Reference", "Folder",
  "EnumMember", "Constant", "Struct", "Event", "Operator", "TypeParameter",
] as const;

export function kindName(kind: number | undefined): (typeof KIND_NAMES)[number] {
  return (kind !== undefined && KIND_NAMES[kind]) || "Text";
}

export function labelOf(item: LspCompletionItem): string {
  return typeof item.label === "string" ? item.label : item.label.label;
}

export function toMarkdown(doc: LspCompletionItem["documentation"] | MarkedString | undefined): { value: string } | undefined {
  if (doc === undefined || doc === null) return undefined;
  if (typeof doc === "string") return { value: doc };
  if ("language" in doc) return { value: "```" + doc.language + "\n" + doc.value + "\n```" };
  return { value: doc.kind === "plaintext" ? doc.value.replace(/[\\`*_{}[\]()#+\-.!<>]/g, "\\$&") : doc.value };
}

export function hoverContents(contents: MarkedString | MarkedString[] | undefined): { value: string }[] {
  if (contents === undefined) return [];
  const list = Array.isArray(contents) ? contents : [contents];
  return list.map((c) => toMarkdown(c)).filter((c): c is { value: string } => !!c && c.value.trim() !== "");
}

export function locations(result: LspLocation | LspLocation[] | null): LspLocation[] {
  if (!result) return [];
  return Array.isArray(result) ? result : [result];
}
