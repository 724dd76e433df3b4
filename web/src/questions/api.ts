/** REST of the question bank and of a room's questions (docs/questions.md). */
import { queryOptions } from "@tanstack/react-query";

import { api } from "../api/client";
import type { Run } from "../api/types";

export type Difficulty = "easy" | "medium" | "hard";
export type Compare = "exact" | "trailing_whitespace";
export const DIFFICULTIES: Difficulty[] = ["easy", "medium", "hard"];
/** The languages the bank keeps starters for in its form (any language id is accepted). */
export const STARTER_LANGUAGES = ["python", "javascript", "c"] as const;

export interface TestCase {
  name: string;
  stdin: string;
  expected_stdout: string;
  hidden: boolean;
  compare: Compare;
}

export interface Criterion {
  criterion: string;
  description: string;
}

export interface QuestionContent {
  title: string;
  prompt: string;
  difficulty: Difficulty;
  tags: string[];
  starters: Record<string, string>;
  tests: TestCase[];
  solution: string;
  solution_language: string;
  guidance: string;
  rubric: Criterion[];
}

export interface Question extends QuestionContent {
  id: string;
  slug: string | null;
  author: { id: number; name: string } | null;
  created_at: string;
  updated_at: string;
  archived: boolean;
  used: number;
}

/** A room's copy as interviewers see it. */
export interface RoomQuestion extends QuestionContent {
  id: string;
  question_id: string | null;
  position: number;
  created_at: string;
  presented_at: string | null;
}

/** What a candidate may see of a presented question (and what the events socket carries). */
export interface PresentedQuestion {
  id: string;
  title: string;
  prompt: string;
  starters: Record<string, string>;
  tests: { name: string; stdin: string; expected_stdout: string; hidden: false }[];
}

export interface TestResult {
  name: string;
  hidden: boolean;
  passed: boolean;
  status?: string | null;
  wall_ms?: number | null;
  cpu_ms?: number | null;
  stdin?: string | null;
  expected_stdout?: string | null;
  actual_stdout?: string | null;
  stderr?: string | null;
}

export interface TryResult {
  status: string;
  compile_output: string;
  passed: number;
  total: number;
  wall_ms: number | null;
  tests: TestResult[];
}

/** A run made with `{tests: true}`: a run plus its per-test results. */
export type TestsRun = Run & { tests?: TestResult[] | null; passed?: number | null; total?: number | null };

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
    queryFn: ({ signal }) => api<{ items: Question[]; total: number }>(`/api/questions?${params}`, { signal }),
    placeholderData: (previous) => previous,
  });
}

export function roomQuestionsQuery(roomId: string) {
  return queryOptions({
    queryKey: questionKeys.room(roomId),
    queryFn: async ({ signal }) =>
      (await api<{ items: (RoomQuestion | PresentedQuestion)[] }>(`/api/rooms/${roomId}/questions`, { signal })).items,
  });
}

export const createQuestion = (body: QuestionContent) => api<Question>("/api/questions", { method: "POST", body });
export const updateQuestion = (id: string, body: Partial<QuestionContent> & { archived?: boolean }) =>
  api<Question>(`/api/questions/${id}`, { method: "PATCH", body });
export const deleteQuestion = (id: string) =>
  api<{ id: string; outcome: "deleted" | "archived" }>(`/api/questions/${id}`, { method: "DELETE" });
export const tryQuestion = (id: string, body: { language?: string; code?: string }) =>
  api<TryResult>(`/api/questions/${id}/try`, { method: "POST", body });

export const addRoomQuestion = (roomId: string, questionId: string) =>
  api<RoomQuestion>(`/api/rooms/${roomId}/questions`, { method: "POST", body: { question_id: questionId } });
export const removeRoomQuestion = (roomId: string, rqId: string) =>
  api<undefined>(`/api/rooms/${roomId}/questions/${rqId}`, { method: "DELETE" });
export const presentQuestion = (roomId: string, rqId: string, replaceCode: boolean) =>
  api<{ question: RoomQuestion; code_replaced: boolean; note: string }>(`/api/rooms/${roomId}/questions/${rqId}/present`, {
    method: "POST",
    body: { replace_code: replaceCode },
  });
export const runTests = (roomId: string, language: string) =>
  api<TestsRun>(`/api/rooms/${roomId}/runs`, { method: "POST", body: { tests: true, language } });

export function isFullQuestion(q: RoomQuestion | PresentedQuestion): q is RoomQuestion {
  return "position" in q;
}
