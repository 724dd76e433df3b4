import { describe, expect, it } from "vitest";

import { roomReducer, type RoomLive } from "../room/useRoomRealtime";
import { parseServerMessage } from "../realtime/protocol";
import { describeActivity } from "./activity";

describe("activity", () => {
  it("describes pastes and tab switches quietly", () => {
    expect(describeActivity({ kind: "paste", name: "Cody", chars: 240, external: true })).toBe("Cody pasted 240 characters from outside the editor");
    expect(describeActivity({ kind: "paste", name: "Cody", chars: 1, external: false })).toBe("Cody pasted 1 character (copied inside the editor)");
    expect(describeActivity({ kind: "focus_lost", name: "Cody" })).toBe("Cody left the tab");
    expect(describeActivity({ kind: "focus_returned", name: "Cody", away_seconds: 40.2 })).toBe("Cody came back after 40 s away");
  });

  it("keeps the latest 50 signals from the events socket", () => {
    const raw = JSON.stringify({ type: "activity", kind: "paste", peer_id: "p", name: "Cody", at: "2026-12-01T10:00:00Z", chars: 3 });
    const message = parseServerMessage(raw);
    expect(message?.type).toBe("activity");
    if (!message) return;
    let state = { activity: [] } as unknown as RoomLive;
    for (let i = 0; i < 60; i++) state = roomReducer(state, { type: "message", message });
    expect(state.activity).toHaveLength(50);
  });
});
