/** REST of the question bank and of a room's questions (docs/questions.md). */
import { queryOptions } from "@tanstack/react-query";

import { api } from "../api/client";
import type { Refine, Run, Same, Schema } from "../api/types";

export type TestCase = Schema<"TestCase">;
export type Criterion = Schema<"Criterion">;
export type Question = Schema<"QuestionOut">;
export type Difficulty = Question["difficulty"];
export type Compare = TestCase["compare"];
export const DIFFICULTIES = ["easy", "medium", "hard"] as const satisfies readonly Difficulty[];
/** The filter and form offer every difficulty the server knows (a new one fails here). */
export const DIFFICULTIES_MATCH_SERVER: Same<(typeof DIFFICULTIES)[number], Difficulty> = true;
/** The languages the bank keeps starters for in its form (any language id is accepted). */
export const STARTER_LANGUAGES = ["python", "javascript", "c"] as const;

/** What a question is written with: the create body's fields (`QuestionIn`), typed as the
 * server returns them (`QuestionOut`), since the form starts from a stored question. Wider
 * than the create body in one field: `solution_language` is any string here (the server
 * answers with a plain string, and checks the value against its languages on write). */
export type QuestionContent = Pick<Question, keyof Schema<"QuestionIn">>;

/** A room's copy as interviewers see it. */
export type RoomQuestion = Schema<"RoomQuestionOut">;

/** What a candidate may see of a presented question (and what the events socket carries). */
export type PresentedQuestion = Schema<"CandidateQuestionOut">;

export type TestResult = Schema<"TestResultOut">;
export type TryResult = Schema<"TryOut">;

/** A run made with `{tests: true}`: a run plus its per-test results. Narrower than the
 * schema, whose `RunOut.tests` is a list of untyped objects: the server fills it with
 * `TestResultOut`s. */
export type TestsRun = Refine<Run, { tests?: TestResult[] | null }>;

export interface QuestionFilter {
  q: string;
  tag: string;
  difficulty: Difficulty | "";
  archived: boolean;
  limit: number;
  offset: number;
}

export const questionKeys = {
  all: ["questions"] as const,
  list: (filter: QuestionFilter) => ["questions", "list", filter] as const,
  detail: (id: string) => ["questions", "detail", id] as const,
  room: (roomId: string) => ["rooms", "questions", roomId] as const,
};

export function questionsQuery(filter: QuestionFilter) {
  const params = new URLSearchParams({ limit: String(filter.limit), offset: String(filter.offset) });
  if (filter.q.trim()) params.set("q", filter.q.trim());
  if (filter.tag.trim()) params.set("tag", filter.tag.trim());
  if (filter.difficulty) params.set("difficulty", filter.difficulty);
  if (filter.archived) params.set("archived", "true");
  return queryOptions({
    queryKey: questionKeys.list(filter),
    queryFn: ({ signal }) => api<Schema<"QuestionList">>(`/api/questions?${params}`, { signal }),
    placeholderData: (previous) => previous,
  });
}

export function roomQuestionsQuery(roomId: string) {
  return queryOptions({
    queryKey: questionKeys.room(roomId),
    queryFn: async ({ signal }) =>
      (await api<Schema<"RoomQuestionList">>(`/api/rooms/${roomId}/questions`, { signal })).items,
  });
}

export const createQuestion = (body: QuestionContent) => api<Question>("/api/questions", { method: "POST", body });
export const updateQuestion = (id: string, body: Partial<QuestionContent> & Pick<Schema<"QuestionPatch">, "archived">) =>
  api<Question>(`/api/questions/${id}`, { method: "PATCH", body });
export const deleteQuestion = (id: string) =>
  api<Schema<"QuestionDeleted">>(`/api/questions/${id}`, { method: "DELETE" });
export const tryQuestion = (id: string, body: Schema<"TryIn">) =>
  api<TryResult>(`/api/questions/${id}/try`, { method: "POST", body });

export const addRoomQuestion = (roomId: string, questionId: string) =>
  api<RoomQuestion>(`/api/rooms/${roomId}/questions`, { method: "POST", body: { question_id: questionId } });
export const removeRoomQuestion = (roomId: string, rqId: string) =>
  api<undefined>(`/api/rooms/${roomId}/questions/${rqId}`, { method: "DELETE" });
export const presentQuestion = (roomId: string, rqId: string, replaceCode: boolean) =>
  api<Schema<"PresentOut">>(`/api/rooms/${roomId}/questions/${rqId}/present`, {
    method: "POST",
    body: { replace_code: replaceCode },
  });
export const runTests = (roomId: string, language: string) =>
  api<TestsRun>(`/api/rooms/${roomId}/runs`, { method: "POST", body: { tests: true, language } });

export function isFullQuestion(q: RoomQuestion | PresentedQuestion): q is RoomQuestion {
  return "position" in q;
}
