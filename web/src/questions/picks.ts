/**
 * The room dialog's question picks: bank questions in the order the interview will take them.
 * A room's plan is set on create (`question_ids` on POST /api/rooms) and on edit (`question_ids`
 * on PATCH, which reorders kept copies, copies new ones and drops unpresented ones left out:
 * domain/questions.py `set_plan`).
 */
export interface QuestionPick {
  /** The bank question's id. */
  id: string;
  title: string;
  difficulty: string;
  /** Already shown in the room: the server keeps it whatever the list says. */
  presented?: boolean;
}

export const MAX_PICKS = 20; // RoomCreate/RoomUpdate: question_ids has at most 20

export function addPick(picks: QuestionPick[], pick: QuestionPick): QuestionPick[] {
  if (picks.length >= MAX_PICKS || picks.some((p) => p.id === pick.id)) return picks;
  return [...picks, pick];
}

export function removePick(picks: QuestionPick[], id: string): QuestionPick[] {
  return picks.filter((p) => p.id !== id || p.presented);
}

/** Move the pick at `index` by `delta` places (kept inside the list). */
export function movePick(picks: QuestionPick[], index: number, delta: number): QuestionPick[] {
  const to = Math.min(picks.length - 1, Math.max(0, index + delta));
  if (index < 0 || index >= picks.length || to === index) return picks;
  const next = [...picks];
  next.splice(to, 0, ...next.splice(index, 1));
  return next;
}

/** The `question_ids` to send: the picks in order, or nothing when they did not change (an
 * edit that leaves the plan alone does not touch it). */
export function planIds(picks: QuestionPick[], before: QuestionPick[]): string[] | undefined {
  const ids = picks.map((p) => p.id);
  const same = ids.length === before.length && ids.every((id, i) => id === before[i]?.id);
  return same ? undefined : ids;
}
