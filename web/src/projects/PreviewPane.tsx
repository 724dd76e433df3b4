/** The live preview of a project with an `index.html` (docs/preview.md): the server bundles
 * the tree in the sandbox and answers a short-lived link, shown in an iframe sandboxed to
 * scripts only (no same origin: the page cannot reach the app, its cookies or its API). Every
 * edit to the tree asks for a new build, debounced; a build error is shown over the last page
 * that built. */
import { useCallback, useEffect, useRef, useState } from "react";
import type * as Y from "yjs";

import { api, ApiError } from "../api/client";
import type { Schema } from "../api/types";

type Preview = Schema<"PreviewOut">;

/** How long the tree must stay still before a rebuild (a burst of typing builds once). */
export const REBUILD_DEBOUNCE_MS = 600;

interface Props {
  roomId: string;
  doc: Y.Doc;
}

export function PreviewPane({ roomId, doc }: Props) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [builtMs, setBuiltMs] = useState<number | null>(null);
  const latest = useRef(0);

  const build = useCallback(async () => {
    const mine = ++latest.current;
    setBusy(true);
    try {
      const answer = await api<Preview>(`/api/rooms/${roomId}/preview`, { method: "POST" });
      if (mine !== latest.current) return; // a newer edit asked again
      if (answer.status === "ok" && answer.url) {
        setUrl(answer.url);
        setError(null);
        setBuiltMs(answer.cached ? 0 : answer.built_ms);
      } else {
        setError(answer.error ?? "The build failed");
      }
    } catch (caught) {
      if (mine !== latest.current) return;
      setError(caught instanceof ApiError ? caught.message : "The preview could not be built");
    } finally {
      if (mine === latest.current) setBusy(false);
    }
  }, [roomId]);

  useEffect(() => {
    void build();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void build(), REBUILD_DEBOUNCE_MS);
    };
    const files = doc.getMap("files");
    const code = doc.getText("code");
    files.observeDeep(changed);
    code.observe(changed);
    return () => {
      clearTimeout(timer);
      files.unobserveDeep(changed);
      code.unobserve(changed);
    };
  }, [doc, build]);

  return (
    <section className="flex h-full min-h-0 flex-col bg-white" aria-label="Preview">
      <header className="flex items-center gap-2 border-b border-slate-800 bg-slate-900 px-3 py-1.5 text-xs text-slate-300">
        <span className="font-medium text-slate-100">Preview</span>
        <span data-testid="preview-status" className={error ? "text-rose-300" : "text-slate-400"}>
          {busy ? "Building…" : error ? "Build failed" : builtMs === null ? "" : builtMs === 0 ? "Up to date" : `Built in ${builtMs} ms`}
        </span>
        <button type="button" className="ml-auto text-slate-400 hover:text-slate-200" onClick={() => void build()}>
          Rebuild
        </button>
        {url && (
          <a href={url} target="_blank" rel="noopener noreferrer" className="text-slate-400 hover:text-slate-200">
            Open in a tab
          </a>
        )}
      </header>
      <div className="relative min-h-0 flex-1">
        {url ? (
          <iframe key={url} src={url} title="Project preview" sandbox="allow-scripts" referrerPolicy="no-referrer" className="h-full w-full border-0 bg-white" />
        ) : (
          !error && <p className="p-4 text-sm text-slate-500">Building the preview…</p>
        )}
        {error && (
          <pre role="alert" data-testid="preview-error" className="absolute inset-x-0 bottom-0 max-h-1/2 overflow-auto whitespace-pre-wrap border-t border-rose-800 bg-rose-950/95 p-3 font-mono text-xs text-rose-100">
            {error}
          </pre>
        )}
      </div>
    </section>
  );
}
