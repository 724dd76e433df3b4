import { describe, expect, it } from "vitest";

import { aiDelta, aiMessage, initialAi, mergeAi } from "./aiState";
import { splitFences } from "./AiPane";
import type { AiMessage } from "./types";

const msg = (id: string, role: "user" | "assistant", at: string, text = "t"): AiMessage => ({
  id, role, at, text, author: { name: "Cody", role: "candidate" }, private: false, status: "ok",
  reply_to: null, include_code: false, tokens: 0,
});

describe("the assistant's live state", () => {
  it("gathers deltas and drops them when the answer arrives", () => {
    let s = aiDelta(initialAi, "a1", "q1", "Hel");
    s = aiDelta(s, "a1", "q1", "lo");
    expect(s.streaming.a1).toEqual({ replyTo: "q1", text: "Hello" });
    s = aiMessage(s, msg("a1", "assistant", "2026-01-01T00:00:01Z", "Hello"));
    expect(s.streaming).toEqual({});
    expect(s.messages.map((m) => m.id)).toEqual(["a1"]);
    expect(aiMessage(s, msg("a1", "assistant", "2026-01-01T00:00:01Z")).messages).toHaveLength(1);
  });

  it("merges stored and live messages in time order without doubles", () => {
    const stored = [msg("q1", "user", "2026-01-01T00:00:00Z"), msg("a1", "assistant", "2026-01-01T00:00:01Z")];
    const live = [msg("a1", "assistant", "2026-01-01T00:00:01Z"), msg("q2", "user", "2026-01-01T00:00:02Z")];
    expect(mergeAi(stored, live).map((m) => m.id)).toEqual(["q1", "a1", "q2"]);
  });

  it("splits an answer into text and code blocks, an open fence being code", () => {
    expect(splitFences("Try this:\n```python\nprint(1)\n```\nDone.")).toEqual([
      { text: "Try this:", code: null },
      { text: "", code: "print(1)" },
      { text: "Done.", code: null },
    ]);
    expect(splitFences("```js\nlet a")).toEqual([{ text: "", code: "let a" }]);
  });
});
