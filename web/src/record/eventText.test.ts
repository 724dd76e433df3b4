import { describe, expect, it } from "vitest";

import { describeEvent } from "./eventText";
import type { ReplayEvent } from "./replayModel";

const cody = { name: "Cody", role: "candidate" };
const run = (fields: Record<string, unknown>): ReplayEvent => ({ id: 1, at: "2026-12-01T12:00:00Z", type: "run", actor: cody, ...fields });

describe("describeEvent", () => {
  it("says a tests run apart, with its pass count", () => {
    expect(describeEvent(run({ language: "python", status: "ok", passed: 0, total: 2 }))).toBe("Cody ran the tests (python): 0 of 2 tests passed");
    expect(describeEvent(run({ language: "python", status: "ok", passed: 1, total: 1 }))).toBe("Cody ran the tests (python): 1 of 1 test passed");
    expect(describeEvent(run({ language: "c", status: "compile_error", passed: 0, total: 3 }))).toBe("Cody ran the tests (c): 0 of 3 tests passed, compile error");
    expect(describeEvent(run({ language: "python", status: "running", passed: 0, total: 3 }))).toBe("Cody ran the tests (python): running");
  });

  it("says how a plain run ended", () => {
    expect(describeEvent(run({ language: "python", status: "ok" }))).toBe("Cody ran the code (python): ok");
    expect(describeEvent(run({ language: "python", status: "runtime_error" }))).toBe("Cody ran the code (python): runtime error");
  });

  it("says how long the candidate was away", () => {
    const back: ReplayEvent = { id: 2, at: "2026-12-01T12:00:00Z", type: "focus_returned", actor: cody, away_seconds: 40.2 };
    expect(describeEvent(back)).toBe("Cody came back after 40 s away");
  });
});

describe("the project's file events", () => {
  const cody = { name: "Cody", role: "candidate" };
  it("say what happened to which file", () => {
    const at = "2026-12-01T12:00:00Z";
    expect(describeEvent({ id: 1, at, type: "file_created", actor: cody, path: "calc/ops.py" })).toBe("Cody created calc/ops.py");
    expect(describeEvent({ id: 2, at, type: "file_renamed", actor: cody, from: "a.py", path: "b/a.py" })).toBe("Cody renamed a.py to b/a.py");
    expect(describeEvent({ id: 3, at, type: "file_deleted", actor: cody, path: "x.py" })).toBe("Cody deleted x.py");
    expect(describeEvent({ id: 4, at, type: "files_imported", actor: cody, files: 3 })).toBe("Cody imported 3 files");
  });
});
