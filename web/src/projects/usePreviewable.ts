/** Whether a room's project is a page: its tree holds an `index.html` (docs/preview.md). */
import { useEffect, useState } from "react";
import type * as Y from "yjs";

export const PREVIEW_PAGE = "index.html";

function hasPage(doc: Y.Doc): boolean {
  const entry = doc.getMap("meta").get("entry");
  return doc.getMap("files").has(PREVIEW_PAGE) || entry === PREVIEW_PAGE;
}

/** Follows the tree: true while it has an `index.html`. */
export function usePreviewable(doc: Y.Doc | null): boolean {
  const [page, setPage] = useState(() => (doc ? hasPage(doc) : false));
  useEffect(() => {
    if (!doc) return;
    const update = () => setPage(hasPage(doc));
    update();
    const files = doc.getMap("files");
    const meta = doc.getMap("meta");
    files.observe(update);
    meta.observe(update);
    return () => {
      files.unobserve(update);
      meta.unobserve(update);
    };
  }, [doc]);
  return page;
}
