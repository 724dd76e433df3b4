/** QuestionPick bank questions for an interview, in order: search the bank, add, reorder, remove. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { Badge, Button, inputClass } from "../components/ui";
import { questionsQuery } from "./api";
import { addPick, MAX_PICKS, movePick, removePick, type QuestionPick } from "./picks";

const SHOWN = 6;

export function QuestionPicker({ picks, onChange, disabled = false }: { picks: QuestionPick[]; onChange: (picks: QuestionPick[]) => void; disabled?: boolean }) {
  const [search, setSearch] = useState("");
  const bank = useQuery({
    ...questionsQuery({ q: search, tag: "", difficulty: "", archived: false, limit: SHOWN + picks.length, offset: 0 }),
    enabled: !disabled,
  });
  const picked = new Set(picks.map((p) => p.id));
  const found = (bank.data?.items ?? []).filter((q) => !picked.has(q.id)).slice(0, SHOWN);
  const full = picks.length >= MAX_PICKS;

  return (
    <section className="space-y-2" aria-label="Questions">
      <div className="text-sm font-medium text-slate-700">Questions</div>
      {picks.length === 0 ? (
        <p className="text-sm text-slate-500">None planned: pick from the bank below, in the order you will ask them.</p>
      ) : (
        <ol className="space-y-1" aria-label="Planned questions">
          {picks.map((p, index) => (
            <li key={p.id} className="flex items-center gap-2 rounded-md bg-slate-50 px-2 py-1 text-sm ring-1 ring-slate-200" data-testid="picked-question">
              <span className="w-5 text-right text-xs text-slate-400">{index + 1}.</span>
              <span className="min-w-0 flex-1 truncate font-medium text-slate-900">{p.title}</span>
              {p.presented && <span className="text-xs text-slate-500">presented</span>}
              <Badge kind={p.difficulty === "hard" ? "ended" : p.difficulty === "easy" ? "live" : "scheduled"}>{p.difficulty}</Badge>
              <Button size="sm" variant="ghost" disabled={disabled || index === 0} onClick={() => onChange(movePick(picks, index, -1))} aria-label={`Move ${p.title} up`}>
                ↑
              </Button>
              <Button
                size="sm"
                variant="ghost"
                disabled={disabled || index === picks.length - 1}
                onClick={() => onChange(movePick(picks, index, 1))}
                aria-label={`Move ${p.title} down`}
              >
                ↓
              </Button>
              <Button
                size="sm"
                variant="ghost"
                className="hover:text-rose-600"
                disabled={disabled || p.presented}
                title={p.presented ? "Presented questions stay in the record" : undefined}
                onClick={() => onChange(removePick(picks, p.id))}
                aria-label={`Remove ${p.title}`}
              >
                ×
              </Button>
            </li>
          ))}
        </ol>
      )}
      {!disabled && (
        <>
          <input
            className={inputClass}
            type="search"
            placeholder="Search the question bank…"
            aria-label="Search the question bank"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <ul className="max-h-44 overflow-auto rounded-md ring-1 ring-slate-200" aria-label="Bank questions">
            {bank.isLoading && <li className="px-3 py-2 text-sm text-slate-500">Searching…</li>}
            {found.map((q) => (
              <li key={q.id}>
                <button
                  type="button"
                  className="flex w-full items-center gap-2 px-3 py-1.5 text-left text-sm hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50"
                  disabled={full}
                  onClick={() => onChange(addPick(picks, { id: q.id, title: q.title, difficulty: q.difficulty }))}
                  aria-label={`Add ${q.title}`}
                >
                  <span className="min-w-0 flex-1 truncate font-medium text-slate-900">{q.title}</span>
                  <span className="truncate text-xs text-slate-500">{q.tags.join(", ")}</span>
                  <span className="text-xs text-indigo-700">Add</span>
                </button>
              </li>
            ))}
            {bank.data && found.length === 0 && (
              <li className="px-3 py-2 text-sm text-slate-500">{search.trim() ? "No other question matches." : "No other question in the bank."}</li>
            )}
          </ul>
          {full && <p className="text-xs text-slate-500">An interview plans at most {MAX_PICKS} questions.</p>}
        </>
      )}
    </section>
  );
}
