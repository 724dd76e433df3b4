/** Your scorecard for a room: a score and a comment per criterion, a recommendation and a
 * summary. Drafts save as you type; submitting locks the card and shows the others' cards. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";

import { useSession } from "../api/useSession";
import { Alert, Button, Spinner } from "../components/ui";
import {
  RECOMMENDATIONS,
  SCORES,
  replayLink,
  saveDraft,
  scorecardKeys,
  scorecardsQuery,
  submitScorecard,
  type DraftBody,
  type Recommendation,
  type RubricItem,
  type ScorecardList,
} from "./api";
import { ScorecardCard } from "./ScorecardCard";
import { DraftSummary } from "../ai/DraftSummary";

const SAVE_AFTER_MS = 600;

type Entry = { score: number | null; comment: string };
type SaveState = "idle" | "pending" | "saving" | "saved" | "error";

export function ScorecardForm({ roomId, compact = false }: { roomId: string; compact?: boolean }) {
  const state = useSession();
  const me = state.kind === "user" ? state.user : null;
  const queryClient = useQueryClient();
  // Read again now and then: others submit (and a lead may reopen) while this form is open.
  const cards = useQuery({ ...scorecardsQuery(roomId), refetchInterval: 20_000 });
  const mine = cards.data?.items.find((c) => c.interviewer.id === me?.id) ?? null;
  const others = cards.data?.items.filter((c) => c.interviewer.id !== me?.id) ?? [];

  const [entries, setEntries] = useState<Record<string, Entry>>({});
  const [recommendation, setRecommendation] = useState<Recommendation | null>(null);
  const [summary, setSummary] = useState("");
  const [loaded, setLoaded] = useState(false);
  const [save, setSave] = useState<SaveState>("idle");
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef<DraftBody | null>(null);

  // The stored draft fills the form once; after that the form is the source of truth.
  useEffect(() => {
    // Wait for a fresh read: the cache may hold a card from before this tab's last edits.
    if (loaded || !cards.data || !cards.isFetchedAfterMount) return;
    if (mine) {
      setEntries(Object.fromEntries(mine.ratings.map((r) => [r.criterion, { score: r.score ?? null, comment: r.comment }])));
      setRecommendation((mine.recommendation as Recommendation | null) ?? null);
      setSummary(mine.summary);
    }
    setLoaded(true);
  }, [cards.data, cards.isFetchedAfterMount, mine, loaded]);

  const criteria: RubricItem[] = cards.data?.criteria ?? [];
  // A criterion already rated but no longer in the rubric stays on the card.
  const extra = Object.keys(entries)
    .filter((name) => !criteria.some((c) => c.criterion === name))
    .map((name): RubricItem => ({ criterion: name, description: "", source: "default" }));
  const rows = [...criteria, ...extra];

  const flush = useCallback(async (): Promise<boolean> => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const body = latest.current;
    if (!body) return true;
    latest.current = null;
    setSave("saving");
    try {
      const card = await saveDraft(roomId, body);
      queryClient.setQueryData(scorecardKeys.room(roomId), (old: ScorecardList | undefined) =>
        old ? { ...old, items: [...old.items.filter((c) => c.interviewer.id !== card.interviewer.id), card] } : old,
      );
      setSave(latest.current ? "pending" : "saved");
      setError(null);
      return true;
    } catch (err) {
      setSave("error");
      setError(err instanceof Error ? err.message : "Could not save your scorecard.");
      return false;
    }
  }, [roomId, queryClient]);

  useEffect(() => () => void flush(), [flush]);

  const schedule = (next: { entries?: Record<string, Entry>; recommendation?: Recommendation | null; summary?: string }) => {
    const e = next.entries ?? entries;
    latest.current = {
      ratings: Object.entries(e)
        .filter(([, v]) => v.score !== null || v.comment.trim() !== "")
        .map(([criterion, v]) => ({ criterion, score: v.score, comment: v.comment })),
      recommendation: next.recommendation !== undefined ? next.recommendation : recommendation,
      summary: next.summary ?? summary,
    };
    setSave("pending");
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void flush(), SAVE_AFTER_MS);
  };

  const setEntry = (criterion: string, change: Partial<Entry>) => {
    const current = entries[criterion] ?? { score: null, comment: "" };
    const next = { ...entries, [criterion]: { ...current, ...change } };
    setEntries(next);
    schedule({ entries: next });
  };

  const submit = async () => {
    setSubmitting(true);
    setError(null);
    if (!latest.current && !mine) {
      // Nothing typed yet: save what the form holds so there is a card to submit.
      latest.current = { ratings: [], recommendation, summary };
    }
    const saved = await flush();
    if (saved) {
      try {
        await submitScorecard(roomId);
      } catch (err) {
        setError(err instanceof Error ? err.message : "Could not submit your scorecard.");
      }
    }
    setSubmitting(false);
    void queryClient.invalidateQueries({ queryKey: scorecardKeys.all });
  };

  if (cards.isLoading || !loaded) {
    return (
      <div className="flex items-center gap-2 p-4 text-sm text-slate-500">
        <Spinner className="h-4 w-4" /> Loading scorecard…
      </div>
    );
  }
  if (cards.error) return <div className="p-4"><Alert>{cards.error.message}</Alert></div>;
  const progress = cards.data?.progress;
  const submitted = mine?.status === "submitted";

  return (
    <div className={`flex flex-col gap-4 ${compact ? "p-3" : ""}`} data-testid="scorecard-form">
      <div className="flex items-center gap-2">
        <h2 className={`${compact ? "text-sm" : "text-lg"} font-semibold text-slate-900`}>Your scorecard</h2>
        {progress && (
          <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600" data-testid="scorecard-progress">
            {progress.submitted} of {progress.expected} submitted
          </span>
        )}
        <span className="ml-auto text-xs text-slate-400" aria-live="polite" data-testid="save-state">
          {submitted ? "Submitted" : save === "saving" || save === "pending" ? "Saving…" : save === "saved" ? "Draft saved" : save === "error" ? "Not saved" : ""}
        </span>
      </div>

      {submitted && mine ? (
        <ScorecardCard card={mine} roomId={roomId} mine />
      ) : (
        <>
          <ol className="flex flex-col gap-3">
            {rows.map((item) => {
              const entry = entries[item.criterion] ?? { score: null, comment: "" };
              return (
                <li key={item.criterion} className="rounded-lg p-3 ring-1 ring-slate-200" data-testid="criterion">
                  <div className="flex flex-wrap items-center gap-2">
                    <div className="min-w-0 flex-1">
                      <div className="text-sm font-medium text-slate-900">{item.criterion}</div>
                      {item.description && !compact && <div className="text-xs text-slate-500">{item.description}</div>}
                    </div>
                    <div role="radiogroup" aria-label={`Score for ${item.criterion}`} className="flex gap-1">
                      {SCORES.map((s) => (
                        <button
                          key={s.value}
                          type="button"
                          role="radio"
                          aria-checked={entry.score === s.value}
                          aria-label={`${s.value} ${s.label}`}
                          title={s.label}
                          onClick={() => setEntry(item.criterion, { score: entry.score === s.value ? null : s.value })}
                          className={`h-7 w-7 rounded-md text-xs font-semibold ring-1 ${entry.score === s.value ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-600 ring-slate-300 hover:bg-slate-50"}`}
                        >
                          {s.value}
                        </button>
                      ))}
                    </div>
                  </div>
                  <div className="mt-2 flex items-start gap-2">
                    <textarea
                      aria-label={`Comment on ${item.criterion}`}
                      rows={compact ? 1 : 2}
                      maxLength={4000}
                      placeholder="Evidence: what did you see?"
                      value={entry.comment}
                      onChange={(e) => setEntry(item.criterion, { comment: e.target.value })}
                      className="min-h-8 w-full resize-y rounded-md border-0 px-2 py-1 text-sm ring-1 ring-slate-300 focus:ring-2 focus:ring-indigo-500"
                    />
                    <button
                      type="button"
                      title="Add a link to this moment of the replay"
                      aria-label={`Link this moment in the comment on ${item.criterion}`}
                      className="shrink-0 rounded-md px-1.5 py-1 text-xs text-indigo-600 ring-1 ring-slate-200 hover:bg-indigo-50"
                      onClick={() => {
                        const now = new Date();
                        const label = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
                        const sep = entry.comment && !entry.comment.endsWith(" ") ? " " : "";
                        setEntry(item.criterion, { comment: `${entry.comment}${sep}[replay ${label}](${replayLink(roomId, now)})` });
                      }}
                    >
                      <svg viewBox="0 0 16 16" className="mr-0.5 inline h-3 w-3" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden="true">
                        <circle cx="8" cy="8" r="6.2" />
                        <path d="M8 4.5V8l2.4 1.6" strokeLinecap="round" />
                      </svg>
                      Link
                    </button>
                  </div>
                </li>
              );
            })}
          </ol>

          <fieldset>
            <legend className="mb-1.5 text-sm font-medium text-slate-900">Recommendation</legend>
            <div role="radiogroup" aria-label="Recommendation" className="grid grid-cols-4 gap-1.5">
              {RECOMMENDATIONS.map((r) => (
                <button
                  key={r.value}
                  type="button"
                  role="radio"
                  aria-checked={recommendation === r.value}
                  onClick={() => {
                    setRecommendation(r.value);
                    schedule({ recommendation: r.value });
                  }}
                  className={`rounded-md px-2 py-1.5 text-xs font-semibold ring-1 ${recommendation === r.value ? r.tone : "bg-white text-slate-600 ring-slate-300 hover:bg-slate-50"}`}
                >
                  {r.label}
                </button>
              ))}
            </div>
          </fieldset>

          <label className="flex flex-col gap-1.5">
            <span className="text-sm font-medium text-slate-900">Summary</span>
            <textarea
              aria-label="Summary"
              rows={compact ? 3 : 5}
              maxLength={20000}
              placeholder="Your overall judgment, and why."
              value={summary}
              onChange={(e) => {
                setSummary(e.target.value);
                schedule({ summary: e.target.value });
              }}
              className="w-full resize-y rounded-md border-0 px-2 py-1.5 text-sm ring-1 ring-slate-300 focus:ring-2 focus:ring-indigo-500"
            />
          </label>
          <DraftSummary
            roomId={roomId}
            onUse={(text) => {
              setSummary(text);
              schedule({ summary: text });
            }}
          />

          {error && <Alert>{error}</Alert>}
          <div className="flex items-center gap-3">
            <Button variant="primary" busy={submitting} disabled={!recommendation} onClick={() => void submit()}>
              Submit scorecard
            </Button>
            <span className="text-xs text-slate-500">
              {recommendation ? "Submitting locks your card; a lead can reopen it." : "Choose a recommendation to submit."}
            </span>
          </div>
        </>
      )}

      <section aria-label="Other interviewers' scorecards" className="flex flex-col gap-2">
        {cards.data?.others_hidden ? (
          (progress?.expected ?? 0) > 1 && (
            <p className="rounded-lg bg-slate-50 px-3 py-2 text-xs text-slate-500" data-testid="others-hidden">
              The other interviewers' scorecards appear here once you submit yours, so that each judgment is your own.
            </p>
          )
        ) : (
          others.map((card) => <ScorecardCard key={card.interviewer.id} card={card} roomId={roomId} />)
        )}
      </section>
    </div>
  );
}
