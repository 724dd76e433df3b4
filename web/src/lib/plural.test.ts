import { describe, expect, it } from "vitest";

import { describeActivity } from "../record/activity";
import { plural } from "./plural";

describe("plural", () => {
  it("agrees the noun with the count", () => {
    expect(plural(1, "hidden test")).toBe("1 hidden test");
    expect(plural(2, "hidden test")).toBe("2 hidden tests");
    expect(plural(0, "test")).toBe("0 tests");
    expect(plural(1, "day")).toBe("1 day");
    expect(plural(3, "person", "people")).toBe("3 people");
  });

  it("is what the activity and audit lines say", () => {
    expect(describeActivity({ kind: "paste", name: "Cody", chars: 1, external: true })).toBe("Cody pasted 1 character from outside the editor");
    expect(describeActivity({ kind: "paste", name: "Cody", chars: 2 })).toBe("Cody pasted 2 characters");
  });
});
