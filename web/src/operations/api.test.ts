import { describe, expect, it } from "vitest";

import { actionLabel, dayToIso, describeDetail, type AuditEvent } from "./api";

const event = (over: Partial<AuditEvent>): AuditEvent => ({
  id: 1,
  at: "2026-12-01T10:00:00Z",
  action: "user.updated",
  actor: null,
  ip: null,
  room_id: null,
  target: null,
  detail: null,
  ...over,
});

describe("audit page helpers", () => {
  it("turns a local day into the instant it starts, or the next day's for 'until'", () => {
    const start = dayToIso("2026-03-04");
    const end = dayToIso("2026-03-04", true);
    expect(start && new Date(start).getDate()).toBe(4);
    expect(end && new Date(end).getDate()).toBe(5);
    expect(dayToIso("")).toBeNull();
    expect(dayToIso("soon")).toBeNull();
  });

  it("says what changed in one line", () => {
    const changed = event({ detail: { changes: { role: { from: "interviewer", to: "lead" } } } });
    expect(describeDetail(changed)).toBe("role: interviewer → lead");
    const retention = event({ action: "settings.updated", target: "retention_days", detail: { from: 0, to: 30 } });
    expect(describeDetail(retention)).toBe("0 → 30 days");
    expect(describeDetail(event({ action: "candidate.erased", detail: { rooms: 2, room_ids: ["a", "b"] } }))).toBe("2 interviews");
    expect(describeDetail(event({ detail: { password_login_enabled: false } }))).toBe("password_login_enabled: false");
    expect(describeDetail(event({}))).toBe("");
  });

  it("names known actions and shows unknown ones as they are", () => {
    expect(actionLabel("auth.login_failed")).toBe("Failed sign-in");
    expect(actionLabel("something.new")).toBe("something.new");
  });
});
