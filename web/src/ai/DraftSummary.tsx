/** "Draft with AI": a summary for the scorecard from the record, for the interviewer to edit.
 * The draft is shown first; nothing reaches the scorecard until "Use this draft". */
import { useMutation, useQuery } from "@tanstack/react-query";

import { aiStatusQuery, draftSummary } from "./api";

export function DraftSummary({ roomId, onUse }: { roomId: string; onUse: (text: string) => void }) {
  const status = useQuery(aiStatusQuery());
  const draft = useMutation({ mutationFn: () => draftSummary(roomId) });
  if (!status.data?.enabled) return null;
  return (
    <div className="space-y-1.5" data-testid="ai-draft-summary">
      <button type="button" className="text-xs font-medium text-indigo-700 hover:underline disabled:opacity-50" disabled={draft.isPending} onClick={() => draft.mutate()}>
        {draft.isPending ? "Drafting from the record…" : "Draft a summary with AI"}
      </button>
      {draft.error && <p className="text-xs text-red-600">{draft.error.message}</p>}
      {draft.data && (
        <div className="rounded-md bg-amber-50 p-2 text-xs text-amber-950 ring-1 ring-amber-200">
          <p className="whitespace-pre-wrap" data-testid="ai-draft-text">{draft.data}</p>
          <div className="mt-1 flex gap-3">
            <button type="button" className="font-medium text-indigo-700 hover:underline" onClick={() => { onUse(draft.data); draft.reset(); }}>
              Use this draft
            </button>
            <button type="button" className="text-slate-600 hover:underline" onClick={() => draft.reset()}>
              Discard
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
