/** The entry file's path when `meta.entry` is not set (codepair/domain/projects/tree.py's DEFAULT_ENTRY). */
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

/** The path of the entry file (the `code` text) as the server names it. */
export function entryPath(entry: string | undefined, language: string): string {
  return entry || DEFAULT_ENTRY[language] || "main.txt";
}
