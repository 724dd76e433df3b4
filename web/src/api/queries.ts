/** Query factories and fetchers, keyed like ['rooms', 'list', filter]. */
import { queryOptions } from "@tanstack/react-query";

import { api } from "./client";
import type {
  ChatMessage,
  LanguageList,
  Refine,
  Reply,
  Room,
  RoomInput,
  RoomList,
  RoomStatus,
  Run,
  Schema,
  User,
  UserList,
} from "./types";

export interface RoomFilter {
  status: RoomStatus | "";
  q: string;
  limit: number;
  offset: number;
}

export const roomKeys = {
  all: ["rooms"] as const,
  list: (filter: RoomFilter) => ["rooms", "list", filter] as const,
  detail: (id: string) => ["rooms", "detail", id] as const,
  messages: (id: string) => ["rooms", "messages", id] as const,
  runs: (id: string) => ["rooms", "runs", id] as const,
};

export function roomsQuery(filter: RoomFilter) {
  // Take-homes have their own section (web/src/assessments/): this is the interviews' list.
  const params = new URLSearchParams({ kind: "live", limit: String(filter.limit), offset: String(filter.offset) });
  if (filter.status) params.set("status", filter.status);
  if (filter.q.trim()) params.set("q", filter.q.trim());
  return queryOptions({
    queryKey: roomKeys.list(filter),
    queryFn: ({ signal }) => api<RoomList>(`/api/rooms?${params}`, { signal }),
    placeholderData: (previous) => previous,
  });
}

export function roomQuery(id: string) {
  return queryOptions({
    queryKey: roomKeys.detail(id),
    queryFn: ({ signal }) => api<Reply<"/api/rooms/{room_id}">>(`/api/rooms/${id}`, { signal }),
  });
}

/** Chat history. */
export function messagesQuery(roomId: string) {
  return queryOptions({
    queryKey: roomKeys.messages(roomId),
    queryFn: async ({ signal }) =>
      (await api<Refine<Schema<"ChatHistoryOut">, { items: ChatMessage[] }>>(`/api/rooms/${roomId}/messages`, { signal })).items,
    staleTime: Infinity,
  });
}

export function runsQuery(roomId: string) {
  return queryOptions({
    queryKey: roomKeys.runs(roomId),
    queryFn: async ({ signal }) => (await api<Refine<Schema<"RunList">, { items: Run[] }>>(`/api/rooms/${roomId}/runs`, { signal })).items,
  });
}

export const languagesQuery = queryOptions({
  queryKey: ["languages"],
  queryFn: ({ signal }) => api<LanguageList>("/api/languages", { signal }),
  staleTime: 5 * 60_000,
});

export const createRoom = (input: RoomInput) => api<Room>("/api/rooms", { method: "POST", body: input });
export const updateRoom = (id: string, input: Partial<RoomInput> & Pick<Schema<"RoomUpdate">, "runs_enabled" | "autocomplete">) =>
  api<Room>(`/api/rooms/${id}`, { method: "PATCH", body: input });
export const deleteRoom = (id: string) => api<undefined>(`/api/rooms/${id}`, { method: "DELETE" });
export const endRoom = (id: string) => api<Room>(`/api/rooms/${id}/end`, { method: "POST" });
export const addInterviewer = (roomId: string, userId: number) =>
  api<Room>(`/api/rooms/${roomId}/interviewers`, { method: "POST", body: { user_id: userId } });
export const removeInterviewer = (roomId: string, userId: number) =>
  api<Room>(`/api/rooms/${roomId}/interviewers/${userId}`, { method: "DELETE" });

/** The run body's fields the client sends; the schema marks all four required because the
 * server defaults them (openapi-typescript types a defaulted field as always present). */
export const startRun = (roomId: string, body: Partial<Pick<Schema<"RunIn">, "language" | "stdin">>) =>
  api<Run>(`/api/rooms/${roomId}/runs`, { method: "POST", body });
export const readRun = (roomId: string, runId: string | number) => api<Run>(`/api/rooms/${roomId}/runs/${runId}`);

export const directoryQuery = (q: string) =>
  queryOptions({
    queryKey: ["directory", q],
    queryFn: ({ signal }) => api<Reply<"/api/directory">>(`/api/directory?q=${encodeURIComponent(q)}&limit=10`, { signal }),
  });

export interface UserFilter {
  q: string;
  limit: number;
  offset: number;
}

export const userKeys = { all: ["users"] as const };

export function usersQuery(filter: UserFilter) {
  const params = new URLSearchParams({ limit: String(filter.limit), offset: String(filter.offset) });
  if (filter.q.trim()) params.set("q", filter.q.trim());
  return queryOptions({
    queryKey: ["users", filter],
    queryFn: ({ signal }) => api<UserList>(`/api/users?${params}`, { signal }),
    placeholderData: (previous) => previous,
  });
}

export const createUser = (body: Schema<"UserCreate">) =>
  api<User>("/api/users", { method: "POST", body });
export const updateUser = (id: number, body: Schema<"UserUpdate">) =>
  api<User>(`/api/users/${id}`, { method: "PATCH", body });
export const updateMe = (body: Schema<"MeUpdate">) => api<User>("/api/me", { method: "PATCH", body });
export const changePassword = (body: Schema<"PasswordChange">) =>
  api<undefined>("/api/me/password", { method: "POST", body });
