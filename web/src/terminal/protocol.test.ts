import { describe, expect, it } from "vitest";

import { castAt, parseCast, parseServerMessage } from "./protocol";

const CAST = [
  JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1000 }),
  JSON.stringify([0.5, "o", "$ "]),
  JSON.stringify([1.0, "i", "ls\r"]),
  JSON.stringify([1.1, "r", "100x30"]),
  JSON.stringify([1.2, "o", "a.py\r\n$ "]),
  "[2.0, \"o\"", // torn
].join("\n");

describe("the terminal's messages", () => {
  it("reads status and error frames and nothing else", () => {
    expect(parseServerMessage('{"type":"status","state":"running","readonly":false,"cols":80,"rows":24}')?.type).toBe("status");
    expect(parseServerMessage('{"type":"nope"}')).toBeNull();
    expect(parseServerMessage("not json")).toBeNull();
  });

  it("plays a cast up to a moment", () => {
    const cast = parseCast(CAST);
    if (!cast) throw new Error("the cast did not parse");
    expect(cast.events).toHaveLength(4);
    expect(castAt(cast, 1000_700)).toEqual({ output: "$ ", cols: 80, rows: 24 });
    expect(castAt(cast, 1002_000)).toEqual({ output: "$ a.py\r\n$ ", cols: 100, rows: 30 });
    expect(parseCast('{"version":1}')).toBeNull();
  });
});
