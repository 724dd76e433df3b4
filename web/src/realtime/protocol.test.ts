import { describe, expect, it } from "vitest";

import { roomReducer, type RoomLive } from "../room/useRoomRealtime";
import { initialAi } from "../ai/aiState";
import { parseServerMessage, socketBase, type ServerMessage } from "./protocol";

const empty: RoomLive = {
  status: "connected",
  selfId: null,
  role: null,
  peers: [],
  messages: [],
  runs: {},
  ai: initialAi,
  ended: false,
  remotes: [],
  lastError: null,
  activity: [],
};

const apply = (state: RoomLive, ...messages: ServerMessage[]) =>
  messages.reduce((s, message) => roomReducer(s, { type: "message", message }), state);

const chat = (id: number, text: string) => ({
  id,
  author: { name: "Ada", role: "interviewer" as const },
  text,
  sent_at: "2026-01-01T10:00:00Z",
});

describe("parseServerMessage", () => {
  it("accepts known message types", () => {
    expect(parseServerMessage('{"type":"room.ended"}')).toEqual({ type: "room.ended" });
  });
  it("ignores garbage, unknown types and binary frames", () => {
    expect(parseServerMessage("{")).toBeNull();
    expect(parseServerMessage('{"type":"hack"}')).toBeNull();
    expect(parseServerMessage("[1]")).toBeNull();
    expect(parseServerMessage(new ArrayBuffer(2))).toBeNull();
  });
  it("builds socket URLs from the page's scheme", () => {
    expect(socketBase({ protocol: "https:", host: "x.io" })).toBe("wss://x.io");
    expect(socketBase({ protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000");
  });
});

describe("room state", () => {
  it("tracks who is here", () => {
    const state = apply(
      empty,
      { type: "welcome", peer_id: "a", role: "interviewer", peers: [{ peer_id: "b", name: "Cody", role: "candidate" }], ice_servers: [] },
      { type: "peer.joined", peer: { peer_id: "c", name: "Bo", role: "lead" } },
      { type: "peer.joined", peer: { peer_id: "c", name: "Bo", role: "lead" } },
      { type: "peer.left", peer_id: "b" },
    );
    expect(state.selfId).toBe("a");
    expect(state.peers.map((p) => p.peer_id)).toEqual(["c"]);
  });

  it("merges chat history after a reconnect without duplicates, in order", () => {
    const state = apply(
      empty,
      { type: "chat.message", message: chat(2, "two") },
      { type: "chat.history", messages: [chat(1, "one"), chat(2, "two")] },
      { type: "chat.message", message: chat(2, "two") },
      { type: "chat.message", message: chat(3, "three") },
    );
    expect(state.messages.map((m) => m.text)).toEqual(["one", "two", "three"]);
  });

  it("streams run output and keeps the final result", () => {
    const run = { id: 9, status: "running" as const, stdout: "", stderr: "", exit_code: null };
    const state = apply(
      empty,
      { type: "run.started", run },
      { type: "run.output", run_id: 9, stream: "stdout", text: "hel" },
      { type: "run.output", run_id: 9, stream: "stdout", text: "lo\n" },
      { type: "run.finished", run: { ...run, status: "ok", stdout: "hello\n", exit_code: 0 } },
    );
    expect(state.runs["9"]).toMatchObject({ status: "ok", stdout: "hello\n", exit_code: 0, live: false });
  });

  it("notes the end of the interview", () => {
    expect(apply(empty, { type: "room.ended" }).ended).toBe(true);
  });
});
