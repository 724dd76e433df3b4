import { describe, expect, it } from "vitest";

import { hoverContents, kindName, pathOfUri, toMarker, toPosition, toRange, uriOfPath } from "./convert";

describe("LSP to Monaco", () => {
  it("maps project paths to workspace URIs and back", () => {
    expect(uriOfPath("lib/my file.py")).toBe("file:///workspace/lib/my%20file.py");
    expect(pathOfUri("file:///workspace/lib/my%20file.py")).toBe("lib/my file.py");
    expect(pathOfUri("file:///etc/passwd")).toBeNull();
  });

  it("turns 0-based LSP positions into 1-based Monaco ranges", () => {
    expect(toPosition(3, 5)).toEqual({ line: 2, character: 4 });
    expect(toRange({ start: { line: 0, character: 2 }, end: { line: 1, character: 0 } })).toEqual({ startLineNumber: 1, startColumn: 3, endLineNumber: 2, endColumn: 1 });
  });

  it("makes markers with Monaco's severities", () => {
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
    expect(toMarker({ range, severity: 1, message: "bad" }).severity).toBe(8);
    expect(toMarker({ range, severity: 2, message: "meh" }).severity).toBe(4);
    expect(toMarker({ range, message: "no severity is an error" }).severity).toBe(8);
  });

  it("names completion kinds and reads every hover shape", () => {
    expect(kindName(2)).toBe("Method");
    expect(kindName(99)).toBe("Text");
    expect(hoverContents({ kind: "markdown", value: "**x**" })).toEqual([{ value: "**x**" }]);
    expect(hoverContents([{ language: "python", value: "def f()" }, ""])).toEqual([{ value: "```python\ndef f()\n```" }]);
  });
});
