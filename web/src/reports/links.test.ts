import { isValidElement, type ReactElement } from "react";
import { describe, expect, it } from "vitest";

import { replayLink } from "./api";
import { withReplayLinks } from "./ScorecardCard";

type LinkProps = { to: string; children: string };

describe("replay links in comments", () => {
  it("makes the client's own replay links clickable and leaves everything else text", () => {
    const link = replayLink("room_1", new Date("2026-12-01T19:05:00Z"));
    expect(link).toBe("/rooms/room_1/replay?t=2026-12-01T19%3A05%3A00.000Z");
    const nodes = withReplayLinks(`fast [replay 19:05](${link}) then [x](https://evil.example) <b>`);
    const links = nodes.filter((n): n is ReactElement<LinkProps> => isValidElement(n) && "to" in (n.props as object));
    expect(links.map((l) => [l.props.to, l.props.children])).toEqual([[link, "replay 19:05"]]);
    const text = nodes
      .filter((n): n is ReactElement<{ children: string }> => isValidElement(n) && !("to" in (n.props as object)))
      .map((n) => n.props.children)
      .join("|");
    expect(text).toBe("fast | then [x](https://evil.example) <b>");
  });
});
