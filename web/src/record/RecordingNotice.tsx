/** What the candidate is told about the interview record (the join page and the room). */
export const RECORDING_NOTICE =
  "Your interviewers can see when you paste into the editor (and how many characters), and when you switch away from this tab or window. The code's edit history, chat and runs are kept as the interview's record.";

export function RecordingNotice({ compact = false }: { compact?: boolean }) {
  if (compact) {
    return (
      <span className="truncate text-[11px] text-slate-400" title={RECORDING_NOTICE} data-testid="recording-notice">
        Pastes and tab switches are visible to your interviewers
      </span>
    );
  }
  return (
    <p className="rounded-md bg-slate-50 p-3 text-xs text-slate-600 ring-1 ring-slate-200" data-testid="recording-notice">
      {RECORDING_NOTICE}
    </p>
  );
}
