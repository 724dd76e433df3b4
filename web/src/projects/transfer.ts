/**
 * Files in and out of a room's tree from the desktop: a dropped folder is read here and
 * written into the document (the hub keeps the rules and caps); a dropped zip goes to
 * `POST files.zip`, which checks it whole and applies it as one update; "Download .zip" is
 * `GET files.zip`.
 */
import { ApiError } from "../api/client";
import { session } from "../api/session";
import { join, pathProblem } from "./paths";

/** The caps the server keeps (docs/projects.md), checked here first for a clear message. */
export const MAX_FILES = 500;
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_TREE_BYTES = 8 * 1024 * 1024;
const SKIPPED = new Set([".DS_Store", "Thumbs.db", ".git", "node_modules", "__pycache__", "__MACOSX"]);

async function authorized(path: string, init: RequestInit = {}): Promise<Response> {
  const token = await session.bearer();
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiError(0, null);
  }
  if (!response.ok) {
    let detail: unknown = null;
    try {
      detail = ((await response.json()) as { detail?: unknown }).detail;
    } catch {
      detail = null;
    }
    throw new ApiError(response.status, detail);
  }
  return response;
}

export async function downloadZip(roomId: string): Promise<void> {
  const response = await authorized(`/api/rooms/${roomId}/files.zip`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `codepair-${roomId}.zip`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Send a zip to the server; it answers the paths it wrote. */
export async function uploadZip(roomId: string, zip: Blob, folder: string): Promise<string[]> {
  const query = folder ? `?folder=${encodeURIComponent(folder)}` : "";
  const response = await authorized(`/api/rooms/${roomId}/files.zip${query}`, {
    method: "POST",
    headers: { "content-type": "application/zip" },
    body: zip,
  });
  return ((await response.json()) as { written: string[] }).written;
}

export function isZip(file: File): boolean {
  return file.type === "application/zip" || file.type === "application/x-zip-compressed" || file.name.toLowerCase().endsWith(".zip");
}

/** The text files of dropped folders and files, below `folder`; an Error saying why not. */
export async function readDropped(items: DataTransferItemList, folder: string): Promise<Record<string, string>> {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(items)) {
    const entry = item.kind === "file" ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
  }
  const out: Record<string, string> = {};
  let total = 0;
  const visit = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (SKIPPED.has(entry.name)) return;
    const path = join(prefix, entry.name);
    if (entry.isDirectory) {
      for (const child of await readAll(entry as FileSystemDirectoryEntry)) await visit(child, path);
      return;
    }
    const problem = pathProblem(path);
    if (problem) throw new Error(`${path}: ${problem}`);
    if (Object.keys(out).length >= MAX_FILES) throw new Error(`A project holds at most ${MAX_FILES} files.`);
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    if (file.size > MAX_FILE_BYTES) throw new Error(`${path} is over ${MAX_FILE_BYTES / 1024} KiB.`);
    total += file.size;
    if (total > MAX_TREE_BYTES) throw new Error(`A project holds at most ${MAX_TREE_BYTES / 1024 / 1024} MiB.`);
    out[path] = textOf(path, new Uint8Array(await file.arrayBuffer()));
  };
  for (const entry of entries) await visit(entry, folder);
  return out;
}

function textOf(path: string, bytes: Uint8Array): string {
  if (bytes.includes(0)) throw new Error(`${path} is a binary file: a project holds text files only.`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${path} is not UTF-8 text: a project holds text files only.`);
  }
}

async function readAll(folder: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = folder.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
    if (all.length > MAX_FILES * 4) throw new Error(`A project holds at most ${MAX_FILES} files.`);
  }
}
