/** One scorecard, read-only: scores, comments (with their replay links), recommendation, summary. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Fragment, type ReactNode } from "react";
import { Link } from "react-router";

import { useSession } from "../api/useSession";
import { Button } from "../components/ui";
import { formatDateTime } from "../lib/time";
import { RECOMMENDATIONS, recommendationLabel, reopenScorecard, scorecardKeys, type Scorecard } from "./api";

const LINK = /\[([^\]]{1,80})\]\((\/rooms\/[\w-]+\/replay\?t=[\w%.:+-]+)\)/g;

/** Plain text with its `[label](/rooms/…/replay?t=…)` links made clickable; nothing else is markup. */
export function withReplayLinks(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const index = match.index ?? 0;
    if (index > last) out.push(<Fragment key={`t${last}`}>{text.slice(last, index)}</Fragment>);
    out.push(
      <Link key={`l${index}`} to={match[2] ?? "/"} className="text-indigo-600 hover:underline">
        {match[1]}
      </Link>,
    );
    last = index + match[0].length;
  }
  if (last < text.length) out.push(<Fragment key={`t${last}`}>{text.slice(last)}</Fragment>);
  return out;
}

export function RecommendationBadge({ value }: { value: string | null | undefined }) {
  const tone = RECOMMENDATIONS.find((r) => r.value === value)?.tone ?? "bg-slate-100 text-slate-600 ring-slate-200";
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ${tone}`}>{recommendationLabel(value)}</span>;
}

export function ScorecardCard({ card, roomId, mine = false }: { card: Scorecard; roomId: string; mine?: boolean }) {
  const state = useSession();
  const isLead = state.kind === "user" && state.user.role === "lead";
  const queryClient = useQueryClient();
  const reopen = useMutation({
    mutationFn: () => reopenScorecard(roomId, card.interviewer.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: scorecardKeys.all }),
  });
  return (
    <article className="rounded-lg bg-white p-3 ring-1 ring-slate-200" data-testid="scorecard-card" aria-label={`Scorecard of ${card.interviewer.name}`}>
      <header className="flex flex-wrap items-center gap-2">
        <h3 className="text-sm font-semibold text-slate-900">{mine ? "You" : card.interviewer.name}</h3>
        <RecommendationBadge value={card.recommendation} />
        <span className="text-xs text-slate-500">
          {card.status === "submitted" ? `Submitted ${card.submitted_at ? formatDateTime(card.submitted_at) : ""}` : "Draft"}
        </span>
        {isLead && card.status === "submitted" && (
          <Button size="sm" variant="ghost" className="ml-auto" busy={reopen.isPending} onClick={() => reopen.mutate()}>
            Reopen
          </Button>
        )}
      </header>
      {card.ratings.length > 0 && (
        <dl className="mt-2 grid grid-cols-[minmax(0,1fr)_auto] gap-x-3 gap-y-1 text-sm">
          {card.ratings.map((r) => (
            <Fragment key={r.criterion}>
              <dt className="text-slate-700">
                {r.criterion}
                {r.comment && <div className="text-xs whitespace-pre-wrap text-slate-500">{withReplayLinks(r.comment)}</div>}
              </dt>
              <dd className="text-right font-semibold text-slate-900" aria-label={`${r.criterion} score`}>
                {r.score ? `${r.score}/4` : "—"}
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
      {card.summary && <p className="mt-2 text-sm whitespace-pre-wrap text-slate-800">{withReplayLinks(card.summary)}</p>}
    </article>
  );
}
