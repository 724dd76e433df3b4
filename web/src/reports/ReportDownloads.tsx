/** Download the interview report as PDF, Markdown or JSON. */
import { useState } from "react";

import { Button } from "../components/ui";
import { downloadReport, type ReportFormat } from "./api";

const FORMATS: { value: ReportFormat; label: string }[] = [
  { value: "pdf", label: "PDF" },
  { value: "md", label: "Markdown" },
  { value: "json", label: "JSON" },
];

export function ReportDownloads({ roomId }: { roomId: string }) {
  const [busy, setBusy] = useState<ReportFormat | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="report-downloads">
      <span className="text-sm font-medium text-slate-700">Report</span>
      {FORMATS.map((f) => (
        <Button
          key={f.value}
          size="sm"
          busy={busy === f.value}
          aria-label={`Download the report as ${f.label}`}
          onClick={() => {
            setBusy(f.value);
            setError(null);
            downloadReport(roomId, f.value)
              .catch((err: unknown) => setError(err instanceof Error ? err.message : "Could not download the report."))
              .finally(() => setBusy(null));
          }}
        >
          {f.label}
        </Button>
      ))}
      {error && <span className="text-xs text-rose-600">{error}</span>}
    </div>
  );
}
