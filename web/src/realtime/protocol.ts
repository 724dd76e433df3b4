/** The room events socket's messages, mirroring DESIGN.md's public contract. */
import type { ChatMessage, PeerRole, Run } from "../api/types";
import type { PresentedQuestion } from "../questions/api";
import type { AiMessage } from "../ai/types";

export interface Peer {
  peer_id: string;
  name: string;
  role: PeerRole;
}

export type ServerMessage =
  | { type: "welcome"; peer_id: string; role: PeerRole; peers: Peer[]; ice_servers: RTCIceServer[] }
  | { type: "chat.history"; messages: ChatMessage[] }
  | { type: "peer.joined"; peer: Peer }
  | { type: "peer.left"; peer_id: string }
  | { type: "chat.message"; message: ChatMessage }
  | { type: "signal"; from: string; data: SignalData }
  | { type: "room.ended" }
  | { type: "run.started"; run: Run }
  | { type: "run.output"; run_id: string | number; stream: "stdout" | "stderr"; text: string }
  | { type: "run.finished"; run: Run }
  /** To interviewers only, after `run.finished` of a tests run: every test's details. */
  | { type: "run.tests"; run: Run }
  | { type: "question.presented"; question: PresentedQuestion }
  | { type: "error"; code: string; message: string }
  /** The AI assistant (docs/ai.md): a piece of an answer being written, then each message. */
  | { type: "ai.delta"; id: string; reply_to: string; text: string }
  | { type: "ai.message"; message: AiMessage }
  | ActivityMessage;

/** A candidate's browser signal as interviewers get it (stamped by the server). */
export interface ActivityMessage {
  type: "activity";
  kind: ActivityKind;
  peer_id: string;
  name: string;
  at: string;
  chars?: number;
  external?: boolean;
  away_seconds?: number;
}

export type ActivityKind = "paste" | "focus_lost" | "focus_returned";

export type ClientMessage =
  | { type: "chat.send"; text: string }
  | { type: "signal"; to: string; data: SignalData }
  | { type: "activity"; kind: ActivityKind; chars?: number; external?: boolean }
  | { type: "ai.ask"; text: string; include_code?: boolean; private?: boolean }
  | { type: "ai.insert"; id: string; text: string };

/**
 * What peers send each other through `signal`: SDP and ICE as the browser makes them, and the
 * sender's microphone and camera state (the server relays `data` without reading it).
 */
export type SignalData =
  | { description: RTCSessionDescriptionInit }
  | { candidate: RTCIceCandidateInit | null }
  | { media: MediaState };

export interface MediaState {
  audio: boolean;
  video: boolean;
}

const SERVER_TYPES = new Set([
  "welcome",
  "chat.history",
  "peer.joined",
  "peer.left",
  "chat.message",
  "signal",
  "room.ended",
  "run.started",
  "run.output",
  "run.finished",
  "run.tests",
  "question.presented",
  "error",
  "activity",
  "ai.delta",
  "ai.message",
]);

/** Parses one text frame; unknown or malformed frames give null and are ignored. */
export function parseServerMessage(raw: unknown): ServerMessage | null {
  if (typeof raw !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object" || !("type" in value)) return null;
  const type = (value as { type: unknown }).type;
  if (typeof type !== "string" || !SERVER_TYPES.has(type)) return null;
  return value as ServerMessage;
}

/** The WebSocket base URL for this page, e.g. `ws://host:port`. */
export function socketBase(location: { protocol: string; host: string }): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}`;
}

/**
 * Close codes after which reconnecting cannot help (codepair/hub/protocol.py CloseCode):
 * unauthorized, forbidden, room ended, a document over its size cap (4413: every retry would
 * resend the same update). Room full (4429) and rate limited (4430) are retried.
 */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4401, 4403, 4410, 4413]);
