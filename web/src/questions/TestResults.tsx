/** Per-test results of a tests run or a try: passed or failed, time, expected against actual. */
import type { TestResult } from "./api";
import { plural } from "../lib/plural";

export function TestResults({ tests, passed, total }: { tests: TestResult[]; passed: number; total: number }) {
  return (
    <div className="space-y-1" data-testid="test-results">
      <div className={`text-xs font-semibold ${passed === total ? "text-emerald-600" : "text-rose-600"}`} data-testid="tests-summary">
        {passed} of {plural(total, "test")} passed
      </div>
      <ul className="space-y-1">
        {tests.map((t, index) => (
          <li key={`${t.name}-${index}`} className="rounded border border-slate-200 px-2 py-1 text-xs" data-testid="test-result">
            <div className="flex items-center gap-2">
              <span className={t.passed ? "text-emerald-600" : "text-rose-600"} aria-label={t.passed ? "passed" : "failed"}>
                {t.passed ? "✓" : "✗"}
              </span>
              <span className="font-medium">{t.name}</span>
              {t.hidden && <span className="rounded bg-slate-100 px-1 text-[10px] text-slate-500 uppercase">hidden</span>}
              {t.status && t.status !== "ok" && <span className="text-rose-600">{t.status.replace("_", " ")}</span>}
              {t.wall_ms != null && <span className="ml-auto text-slate-400">{t.wall_ms} ms</span>}
            </div>
            {!t.passed && t.expected_stdout != null && (
              <div className="mt-1 grid grid-cols-2 gap-2">
                <Output label="Expected" text={t.expected_stdout} />
                <Output label="Actual" text={t.actual_stdout ?? ""} />
                {t.stderr ? (
                  <div className="col-span-2">
                    <Output label="Errors" text={t.stderr} />
                  </div>
                ) : null}
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Output({ label, text }: { label: string; text: string }) {
  return (
    <div className="min-w-0">
      <div className="text-[10px] font-semibold text-slate-500 uppercase">{label}</div>
      <pre className="max-h-24 overflow-auto rounded bg-slate-50 p-1 font-mono text-[11px] whitespace-pre-wrap text-slate-800">{text || "(nothing)"}</pre>
    </div>
  );
}
