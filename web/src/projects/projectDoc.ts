/**
 * The project tree on the room's `code` document (docs/projects.md): the entry file is
 * `Y.Text` `code` at path `meta.entry`; every other file is a `Y.Text` in `Y.Map` `files`.
 * Every change here is one transaction, so the hub sees (and refuses, or records) it whole.
 */
import * as Y from "yjs";

import { isInside, movedPath } from "./paths";

/** Each language's usual entry file name, as the server has them (tree.py DEFAULT_ENTRY). */
const DEFAULT_ENTRY: Record<string, string> = {
  python: "main.py",
  javascript: "main.js",
  typescript: "main.ts",
  java: "Main.java",
  go: "main.go",
  c: "main.c",
  cpp: "main.cpp",
  rust: "main.rs",
  shell: "main.sh",
};

export function defaultEntry(language: string | undefined): string {
  return DEFAULT_ENTRY[language ?? ""] ?? "main.txt";
}

export class ProjectDoc {
  readonly code: Y.Text;
  readonly files: Y.Map<Y.Text>;
  readonly meta: Y.Map<unknown>;

  constructor(
    readonly doc: Y.Doc,
    private readonly fallbackLanguage: string,
  ) {
    this.code = doc.getText("code");
    this.files = doc.getMap<Y.Text>("files");
    this.meta = doc.getMap<unknown>("meta");
  }

  get entry(): string {
    const entry = this.meta.get("entry");
    if (typeof entry === "string" && entry) return entry;
    const language = this.meta.get("language");
    return defaultEntry(typeof language === "string" ? language : this.fallbackLanguage);
  }

  /** Every path of the tree, the entry's included, sorted. */
  paths(): string[] {
    const entry = this.entry;
    const out = [entry];
    for (const [path, value] of this.files) if (path !== entry && value instanceof Y.Text) out.push(path);
    return out.sort();
  }

  /** The `Y.Text` of a file, or null when the tree has no such file. */
  text(path: string): Y.Text | null {
    if (path === this.entry) return this.code;
    const value = this.files.get(path);
    return value instanceof Y.Text ? value : null;
  }

  /** Every file's text, the entry's included. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const path of this.paths()) out[path] = this.text(path)?.toString() ?? "";
    return out;
  }

  create(path: string, content = ""): void {
    this.doc.transact(() => this.files.set(path, new Y.Text(content)));
  }

  /** Delete a file, or every file below a folder (never the entry file: callers refuse it). */
  remove(path: string): void {
    const entry = this.entry;
    this.doc.transact(() => {
      for (const p of [...this.files.keys()]) if (p !== entry && (p === path || isInside(p, path))) this.files.delete(p);
    });
  }

  /** Rename or move a file or a folder: one transaction; the entry file keeps its `Y.Text`
   * (`meta.entry` changes), the others are re-created at their new paths (a `Y.Text` cannot
   * move to another key). */
  move(from: string, to: string): void {
    if (from === to) return;
    const entry = this.entry;
    this.doc.transact(() => {
      const newEntry = movedPath(entry, from, to);
      if (newEntry !== null) this.meta.set("entry", newEntry);
      for (const [path, value] of [...this.files.entries()]) {
        const target = movedPath(path, from, to);
        if (target === null || path === entry) continue;
        const content = value instanceof Y.Text ? value.toString() : "";
        this.files.delete(path);
        this.files.set(target, new Y.Text(content));
      }
    });
  }

  /** Write many files at once (a folder dropped from the desktop): existing files get the new
   * text in place, so everyone's open editors stay bound. */
  writeMany(files: Record<string, string>): void {
    const entry = this.entry;
    this.doc.transact(() => {
      for (const [path, content] of Object.entries(files)) {
        const current = path === entry ? this.code : this.files.get(path);
        if (current instanceof Y.Text) {
          if (current.toString() === content) continue;
          current.delete(0, current.length);
          current.insert(0, content);
        } else this.files.set(path, new Y.Text(content));
      }
    });
  }
}
