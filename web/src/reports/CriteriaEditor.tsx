/** A lead's editor for the organization's default scorecard criteria (every room's rubric
 * starts from them; cards already written keep theirs). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api } from "../api/client";
import type { Schema } from "../api/types";
import { Alert, Button, inputClass } from "../components/ui";
import { scorecardKeys } from "./api";

type Criterion = Schema<"CriterionOut">;

const criteriaQuery = {
  queryKey: [...scorecardKeys.all, "criteria"] as const,
  queryFn: ({ signal }: { signal: AbortSignal }) => api<Schema<"CriteriaOut">>("/api/scorecard-criteria", { signal }),
};

export function CriteriaEditor() {
  const queryClient = useQueryClient();
  const current = useQuery(criteriaQuery);
  const [items, setItems] = useState<Criterion[]>([]);
  useEffect(() => {
    if (current.data) setItems(current.data.items);
  }, [current.data]);
  const save = useMutation({
    mutationFn: (body: Criterion[]) => api<Schema<"CriteriaOut">>("/api/scorecard-criteria", { method: "PUT", body: { items: body } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: scorecardKeys.all }),
  });
  const update = (i: number, change: Partial<Criterion>) => setItems((list) => list.map((c, j) => (j === i ? { ...c, ...change } : c)));
  const move = (i: number, by: number) =>
    setItems((list) => {
      const next = [...list];
      const [item] = next.splice(i, 1);
      if (item) next.splice(i + by, 0, item);
      return next;
    });
  return (
    <section className="rounded-xl bg-white p-6 shadow-xs ring-1 ring-slate-200" aria-label="Scorecard criteria" data-testid="criteria-editor">
      <h2 className="text-base font-semibold text-slate-900">Scorecard criteria</h2>
      <p className="mt-1 mb-4 text-sm text-slate-500">
        Every interview's scorecard rates these, after the criteria of its questions. Cards already written keep theirs.
      </p>
      <ol className="flex flex-col gap-2">
        {items.map((item, i) => (
          <li key={i} className="flex items-start gap-2">
            <div className="flex flex-1 flex-col gap-1">
              <input
                className={inputClass}
                aria-label={`Criterion ${i + 1}`}
                maxLength={100}
                value={item.criterion}
                onChange={(e) => update(i, { criterion: e.target.value })}
              />
              <input
                className={`${inputClass} text-xs`}
                aria-label={`Description of criterion ${i + 1}`}
                maxLength={1000}
                placeholder="What good looks like"
                value={item.description}
                onChange={(e) => update(i, { description: e.target.value })}
              />
            </div>
            <Button size="sm" variant="ghost" disabled={i === 0} aria-label={`Move criterion ${i + 1} up`} onClick={() => move(i, -1)}>
              ↑
            </Button>
            <Button size="sm" variant="ghost" disabled={i === items.length - 1} aria-label={`Move criterion ${i + 1} down`} onClick={() => move(i, 1)}>
              ↓
            </Button>
            <Button size="sm" variant="ghost" disabled={items.length <= 1} aria-label={`Remove criterion ${i + 1}`} onClick={() => setItems((l) => l.filter((_, j) => j !== i))}>
              Remove
            </Button>
          </li>
        ))}
      </ol>
      <div className="mt-4 flex items-center gap-2">
        <Button size="sm" disabled={items.length >= 30} onClick={() => setItems((l) => [...l, { criterion: "", description: "" }])}>
          Add criterion
        </Button>
        <Button
          size="sm"
          variant="primary"
          busy={save.isPending}
          disabled={items.some((c) => !c.criterion.trim())}
          onClick={() => save.mutate(items.map((c) => ({ criterion: c.criterion.trim(), description: c.description.trim() })))}
        >
          Save criteria
        </Button>
        {save.isSuccess && <span className="text-xs text-emerald-700">Saved</span>}
      </div>
      {save.error && (
        <div className="mt-3">
          <Alert>{save.error.message}</Alert>
        </div>
      )}
    </section>
  );
}
