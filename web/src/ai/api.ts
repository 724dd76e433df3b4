/** The assistant's REST side: the stored conversation and a drafted summary (docs/ai.md). */
import { queryOptions } from "@tanstack/react-query";

import { api } from "../api/client";
import type { AiMessage } from "./types";

export const aiKeys = {
  messages: (roomId: string) => ["rooms", "ai", roomId] as const,
};

export const aiMessagesQuery = (roomId: string) =>
  queryOptions({
    queryKey: aiKeys.messages(roomId),
    queryFn: ({ signal }) => api<{ items: AiMessage[] }>(`/api/rooms/${roomId}/ai/messages`, { signal }).then((r) => r.items),
    staleTime: Infinity,
  });

export const draftSummary = (roomId: string) =>
  api<{ summary: string }>(`/api/rooms/${roomId}/ai/summary`, { method: "POST" }).then((r) => r.summary);

export const aiStatusQuery = () =>
  queryOptions({
    queryKey: ["ai", "status"] as const,
    queryFn: ({ signal }) => api<{ enabled: boolean; model: string | null }>("/api/ai", { signal }),
    staleTime: Infinity,
  });
