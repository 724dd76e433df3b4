import { describe, expect, it } from "vitest";

import { clockOffset, formatLeft, secondsLeft } from "./api";

describe("the take-home clock", () => {
  it("shows the server's time left when the browser's clock is wrong", () => {
    // The browser is ten minutes fast: it reads 12:10 when the server says 12:00.
    const browserNow = Date.parse("2026-12-07T12:10:00Z");
    const offset = clockOffset("2026-12-07T12:00:00Z", browserNow);
    expect(secondsLeft("2026-12-07T12:30:00Z", offset, browserNow)).toBe(30 * 60);
  });

  it("never goes below zero", () => {
    expect(secondsLeft("2026-12-07T12:00:00Z", 0, Date.parse("2026-12-07T13:00:00Z"))).toBe(0);
  });

  it("formats hours, minutes and seconds", () => {
    expect(formatLeft(3909)).toBe("1:05:09");
    expect(formatLeft(245)).toBe("4:05");
    expect(formatLeft(9)).toBe("0:09");
  });
});
