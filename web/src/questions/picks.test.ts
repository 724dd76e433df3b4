import { describe, expect, it } from "vitest";

import { addPick, MAX_PICKS, movePick, planIds, removePick, type QuestionPick } from "./picks";

const q = (id: string, presented = false): QuestionPick => ({ id, title: `Question ${id}`, difficulty: "easy", presented });

describe("question picks", () => {
  it("adds each question once, in the order picked, up to the server's cap", () => {
    let picks = addPick(addPick([], q("a")), q("b"));
    picks = addPick(picks, q("a"));
    expect(picks.map((p) => p.id)).toEqual(["a", "b"]);
    const full = Array.from({ length: MAX_PICKS }, (_, i) => q(String(i)));
    expect(addPick(full, q("x"))).toBe(full);
  });

  it("reorders within the list and removes all but presented ones", () => {
    const picks = [q("a"), q("b"), q("c", true)];
    expect(movePick(picks, 2, -1).map((p) => p.id)).toEqual(["a", "c", "b"]);
    expect(movePick(picks, 0, -1)).toBe(picks);
    expect(movePick(picks, 0, 5).map((p) => p.id)).toEqual(["b", "c", "a"]);
    expect(removePick(picks, "a").map((p) => p.id)).toEqual(["b", "c"]);
    expect(removePick(picks, "c").map((p) => p.id)).toEqual(["a", "b", "c"]);
  });

  it("sends the plan only when it changed", () => {
    const before = [q("a"), q("b")];
    expect(planIds(before, before)).toBeUndefined();
    expect(planIds([q("b"), q("a")], before)).toEqual(["b", "a"]);
    expect(planIds([], before)).toEqual([]);
    expect(planIds([q("a")], [])).toEqual(["a"]);
  });
});
