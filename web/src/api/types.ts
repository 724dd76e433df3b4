/** Shapes of the REST API (see DESIGN.md, public contract). */

export type UserRole = "lead" | "interviewer";
export type RoomStatus = "scheduled" | "live" | "ended";
export type RoomRole = "owner" | "co" | "lead";
export type PeerRole = UserRole | "candidate";

export const LANGUAGES = [
  { id: "python", label: "Python" },
  { id: "javascript", label: "JavaScript" },
  { id: "typescript", label: "TypeScript" },
  { id: "c", label: "C" },
  { id: "cpp", label: "C++" },
  { id: "java", label: "Java" },
  { id: "rust", label: "Rust" },
  { id: "go", label: "Go" },
  { id: "shell", label: "Shell" },
] as const;

export type LanguageId = (typeof LANGUAGES)[number]["id"];

export interface User {
  id: number;
  email: string;
  name: string;
  role: UserRole;
  is_active: boolean;
  created_at: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  user: User;
}

export interface Person {
  id: number;
  name: string;
  email: string;
}

export interface Room {
  id: string;
  title: string;
  candidate_name: string;
  language: string;
  status: RoomStatus;
  scheduled_at: string | null;
  duration_minutes: number;
  runs_enabled: boolean;
  owner: Person;
  interviewers: Person[];
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  invite_token: string | null;
  invite_url: string | null;
  my_role: RoomRole;
}

/** What a candidate may know about their room. */
export interface CandidateRoom {
  id: string;
  title: string;
  candidate_name: string;
  language: string;
  status: RoomStatus;
  scheduled_at: string | null;
  duration_minutes: number;
  runs_enabled: boolean;
  started_at?: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface RoomInput {
  candidate_name: string;
  title: string;
  scheduled_at: string | null;
  duration_minutes: number;
  language: LanguageId;
}

export interface JoinResult {
  room_id: string;
  token: string;
  role: "candidate";
  name: string;
}

export interface ChatMessage {
  id: string | number;
  author: { name: string; role: PeerRole };
  text: string;
  sent_at: string;
}

export type RunStatus =
  | "queued"
  | "running"
  | "ok"
  | "compile_error"
  | "runtime_error"
  | "time_limit"
  | "memory_limit"
  | "output_limit"
  | "internal_error";

export interface Run {
  id: string | number;
  status: RunStatus;
  language?: string;
  stdout: string;
  stderr: string;
  compile_output?: string;
  exit_code: number | null;
  wall_ms?: number | null;
  truncated?: boolean;
  created_at?: string;
  author?: { name: string; role?: PeerRole } | null;
}

export interface RunLanguage {
  id: string;
  name?: string;
  version?: string;
}

export interface LanguageList {
  items: RunLanguage[];
  backend?: string;
  sandboxed?: boolean;
  notice?: string;
}
