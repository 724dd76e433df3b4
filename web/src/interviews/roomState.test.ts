import { describe, expect, it } from "vitest";

import { hasReplay, roomPhase } from "./roomState";

describe("roomPhase and hasReplay", () => {
  it("calls a live room nobody joined not started, with nothing to replay", () => {
    const waiting = { status: "live" as const, started_at: null };
    expect(roomPhase(waiting)).toBe("not_started");
    expect(hasReplay(waiting)).toBe(false);
  });

  it("calls a joined room live, and offers its replay live and ended", () => {
    const started = { status: "live" as const, started_at: "2026-12-01T12:00:00Z" };
    expect(roomPhase(started)).toBe("live");
    expect(hasReplay(started)).toBe(true);
    expect(roomPhase({ ...started, status: "ended" })).toBe("ended");
    expect(hasReplay({ started_at: started.started_at })).toBe(true);
  });

  it("keeps scheduled and ended rooms that never started as they are, without a replay", () => {
    expect(roomPhase({ status: "scheduled", started_at: null })).toBe("scheduled");
    expect(roomPhase({ status: "ended", started_at: null })).toBe("ended");
    expect(hasReplay({ started_at: null })).toBe(false);
  });
});
