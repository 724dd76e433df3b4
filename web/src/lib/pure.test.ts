import { describe, expect, it } from "vitest";

import { describeDetail } from "../api/client";
import { fromBase64, toBase64 } from "./bytes";
import { colorFor, initials, PALETTE, personColor } from "./colors";
import { cssString, cursorCss } from "./cursorCss";
import { refreshDelay, tokenExpiry } from "./jwt";
import { mediaProblem } from "./media";
import { formatDuration, fromLocalInput, interviewClock } from "./time";

function jwt(payload: object): string {
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${encode({ alg: "HS256" })}.${encode(payload)}.signature`;
}

describe("tokens", () => {
  it("reads the expiry of a JWT in milliseconds", () => {
    expect(tokenExpiry(jwt({ exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
  });
  it("gives null for garbage or a token without exp", () => {
    expect(tokenExpiry("nope")).toBeNull();
    expect(tokenExpiry("a.%%%.c")).toBeNull();
    expect(tokenExpiry(jwt({ sub: "1" }))).toBeNull();
  });
  it("refreshes ahead of expiry, never in the past", () => {
    expect(refreshDelay(100_000, 0)).toBe(80_000);
    expect(refreshDelay(10_000, 0)).toBe(5_000);
    expect(refreshDelay(1_000, 5_000)).toBe(0);
  });
});

describe("error messages", () => {
  it("uses the server's detail", () => {
    expect(describeDetail(409, "Already ended")).toBe("Already ended");
  });
  it("joins FastAPI field errors without the body prefix", () => {
    const detail = [{ loc: ["body", "candidate_name"], msg: "Field required" }];
    expect(describeDetail(422, detail)).toBe("candidate_name: Field required");
  });
  it("names network, rate and server failures plainly", () => {
    expect(describeDetail(0, null)).toMatch(/reach the server/);
    expect(describeDetail(429, null)).toMatch(/Too many/);
    expect(describeDetail(503, null)).toMatch(/server had a problem/);
  });
});

describe("colours", () => {
  it("are stable and from the palette", () => {
    expect(colorFor("Ada")).toBe(colorFor("Ada"));
    expect(PALETTE).toContain(colorFor("Grace"));
  });
  it("keep candidates and staff of the same name apart only by seed", () => {
    expect(personColor("lead", "Sam")).toBe(personColor("interviewer", "Sam"));
  });
  it("makes initials", () => {
    expect(initials("Ada Lovelace")).toBe("AL");
    expect(initials("  cody ")).toBe("C");
    expect(initials("")).toBe("?");
  });
});

describe("remote cursor css", () => {
  it("escapes names so they cannot break out of the rule", () => {
    expect(cssString('a"b\\c\nd')).toBe('"a\\"b\\\\c d"');
    const css = cursorCss([{ clientId: 7, name: '"}body{display:none}', color: "#2563eb" }]);
    expect(css).toContain('content:"\\"}body{display:none}"');
    expect(css.split("\n")).toHaveLength(4);
  });
  it("leaves when the name shows to the stylesheet (on hover), not to each person's rule", () => {
    const css = cursorCss([{ clientId: 2, name: "Cody", color: "#2563eb" }]);
    expect(css).not.toContain("opacity");
    expect(css).toContain(".yRemoteSelectionHead-2::before{background-color:#2563eb}");
  });
  it("refuses colours that are not hex", () => {
    expect(cursorCss([{ clientId: 1, name: "x", color: "red;}" }])).toContain("#64748b");
  });
});

describe("bytes", () => {
  it("round-trips large updates through base64", () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
  });
});

describe("interview clock", () => {
  const t0 = Date.parse("2026-01-01T10:00:00Z");
  it("counts down to a scheduled start", () => {
    expect(interviewClock(null, "2026-01-01T10:10:00Z", 60, t0)).toEqual({ phase: "before", ms: 600_000 });
  });
  it("waits for the candidate when the start has passed or there is no schedule", () => {
    expect(interviewClock(null, "2026-01-01T09:00:00Z", 45, t0)).toEqual({ phase: "waiting", ms: 2_700_000 });
    expect(interviewClock(null, null, 60, t0)).toEqual({ phase: "waiting", ms: 3_600_000 });
  });
  it("counts the time left from the real start", () => {
    expect(interviewClock("2026-01-01T09:30:00Z", "2026-01-01T09:00:00Z", 60, t0)).toEqual({ phase: "running", ms: 1_800_000 });
  });
  it("shows overtime", () => {
    expect(interviewClock("2026-01-01T08:30:00Z", null, 60, t0)).toEqual({ phase: "overtime", ms: 1_800_000 });
  });
  it("formats durations", () => {
    expect(formatDuration(65_000)).toBe("1:05");
    expect(formatDuration(3_725_000)).toBe("1:02:05");
    expect(formatDuration(-5)).toBe("0:00");
  });
  it("reads datetime-local values", () => {
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("nonsense")).toBeNull();
  });
});

describe("media failures", () => {
  const named = (name: string) => Object.assign(new Error("x"), { name });
  it("tells a denied permission from a missing or busy device", () => {
    expect(mediaProblem(named("NotAllowedError"))).toBe("denied");
    expect(mediaProblem(named("NotFoundError"))).toBe("missing");
    expect(mediaProblem(named("NotReadableError"))).toBe("busy");
    expect(mediaProblem("weird")).toBe("error");
  });
});
