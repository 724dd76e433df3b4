/**
 * A project's paths as the server's rules have them (codepair/domain/projects/tree.py), the
 * tree the file list shows, and each file's editor language. Pure: no Yjs, no React.
 */

export const MAX_PATH_BYTES = 255;

/** Why `path` is not a valid project path, or null when it is (the hub refuses the same). */
export function pathProblem(path: string): string | null {
  if (!path) return "A name cannot be empty.";
  if (new TextEncoder().encode(path).length > MAX_PATH_BYTES) return `A path is at most ${MAX_PATH_BYTES} bytes.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "A name cannot hold control characters.";
  if (path.includes("\\")) return "Use / between folders, not \\.";
  if (path.startsWith("/")) return "A path is relative to the project (no leading /).";
  for (const segment of path.split("/")) {
    if (segment === "") return "A folder name cannot be empty (no // and no / at the end).";
    if (segment === "." || segment === "..") return "A name cannot be . or ..";
  }
  return null;
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function join(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}

/** Every folder `paths` imply, parents before children. */
export function foldersOf(paths: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join("/"));
  }
  return [...out].sort();
}

/** Is `path` inside `folder` (at any depth)? */
export function isInside(path: string, folder: string): boolean {
  return folder === "" || path.startsWith(`${folder}/`);
}

/** Where `path` goes when `from` (a file or a folder) is renamed or moved to `to`; null when
 * `path` is not `from` or below it. */
export function movedPath(path: string, from: string, to: string): string | null {
  if (path === from) return to;
  if (path.startsWith(`${from}/`)) return to + path.slice(from.length);
  return null;
}

/** Why renaming or moving `from` to `to` cannot be done in a tree of `files` (null: it can). */
export function moveProblem(files: readonly string[], from: string, to: string): string | null {
  const problem = pathProblem(to);
  if (problem) return problem;
  if (to === from) return null;
  if (isInside(to, from)) return "A folder cannot move into itself.";
  const moving = new Set(files.filter((p) => movedPath(p, from, to) !== null));
  const staying = files.filter((p) => !moving.has(p));
  const targets = [...moving].map((p) => movedPath(p, from, to) ?? p);
  const stay = new Set(staying);
  const stayFolders = new Set(foldersOf(staying));
  for (const target of targets) {
    if (stay.has(target) || stayFolders.has(target)) return `${target} already exists.`;
    for (const folder of foldersOf([target])) if (stay.has(folder)) return `${folder} is a file.`;
  }
  return null;
}

export interface TreeNode {
  name: string;
  path: string;
  kind: "file" | "folder";
  children: TreeNode[];
}

/** The nested tree of `files` and of `emptyFolders` (folders no file is in yet): folders
 * first, then files, each by name. */
export function buildTree(files: Iterable<string>, emptyFolders: Iterable<string> = []): TreeNode[] {
  const root: TreeNode = { name: "", path: "", kind: "folder", children: [] };
  const folders = new Map<string, TreeNode>([["", root]]);
  const folderNode = (path: string): TreeNode => {
    const known = folders.get(path);
    if (known) return known;
    const node: TreeNode = { name: basename(path), path, kind: "folder", children: [] };
    folders.set(path, node);
    folderNode(dirname(path)).children.push(node);
    return node;
  };
  for (const folder of emptyFolders) folderNode(folder);
  for (const path of files) folderNode(dirname(path)).children.push({ name: basename(path), path, kind: "file", children: [] });
  const sort = (node: TreeNode) => {
    node.children.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "folder" ? -1 : 1));
    node.children.forEach(sort);
  };
  sort(root);
  return root.children;
}

/** Monaco's language id for a file, from its extension ("plaintext" when unknown). */
const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  py: "python",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "javascript",
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  java: "java",
  go: "go",
  c: "cpp",
  h: "cpp",
  cpp: "cpp",
  cc: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  rs: "rust",
  sh: "shell",
  bash: "shell",
};

export function languageOf(path: string): string {
  const name = basename(path);
  if (name === "Makefile" || name === "makefile") return "plaintext";
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return "plaintext";
  return LANGUAGE_BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? "plaintext";
}

/** When one update removed some paths and added others: which removal became which
 * addition (a rename is a removal and an addition of the same text; see the hub's
 * treewatch.py, which pairs them the same way for the timeline). */
export function pairRenames(removed: string[], added: string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  const left = [...added];
  for (const old of removed) {
    const i = left.findIndex((p) => basename(p) === basename(old));
    if (i >= 0) {
      pairs.set(old, left[i] ?? "");
      left.splice(i, 1);
    }
  }
  const oldLeft = removed.filter((p) => !pairs.has(p));
  if (oldLeft.length === 1 && left.length === 1) pairs.set(oldLeft[0] ?? "", left[0] ?? "");
  return pairs;
}
