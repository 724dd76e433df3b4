/** The room's conversation with the assistant as the events socket builds it. */
import type { AiMessage } from "./types";

export interface AiState {
  /** Questions and finished answers, oldest first. */
  messages: AiMessage[];
  /** Answers being written: answer id → its question's id and the text so far. */
  streaming: Record<string, { replyTo: string; text: string }>;
}

export const initialAi: AiState = { messages: [], streaming: {} };

export function aiDelta(state: AiState, id: string, replyTo: string, text: string): AiState {
  const prev = state.streaming[id];
  return { ...state, streaming: { ...state.streaming, [id]: { replyTo, text: (prev?.text ?? "") + text } } };
}

export function aiMessage(state: AiState, message: AiMessage): AiState {
  const streaming = Object.fromEntries(Object.entries(state.streaming).filter(([id]) => id !== message.id));
  if (state.messages.some((m) => m.id === message.id)) return { ...state, streaming };
  return { messages: [...state.messages, message], streaming };
}

/** Merge the stored conversation (fetched on open) with what arrived live. */
export function mergeAi(stored: AiMessage[], live: AiMessage[]): AiMessage[] {
  const byId = new Map(stored.map((m) => [m.id, m]));
  for (const m of live) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

