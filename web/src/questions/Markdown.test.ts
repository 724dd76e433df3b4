import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { createElement } from "react";

import { Markdown, parseBlocks } from "./Markdown";

const render = (source: string) => renderToStaticMarkup(createElement(Markdown, { source }));

describe("Markdown", () => {
  it("renders the usual blocks", () => {
    const html = render("# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n```\nx = 1\n```");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<li>one</li>");
    expect(html).toContain("<pre");
    expect(parseBlocks("a\nb\n\nc").map((b) => b.kind)).toEqual(["paragraph", "paragraph"]);
  });

  it("never passes HTML through", () => {
    const html = render('<script>alert(1)</script> <img src=x onerror=alert(1)> <b>x</b>');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;");
  });

  it("loads no images and keeps only safe links", () => {
    const html = render("![logo](https://example.com/a.png) [ok](https://example.com) [bad](javascript:alert(1))");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("example.com/a.png");
    expect(html).toContain('href="https://example.com"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
    expect(html).not.toContain("javascript:");
  });
});
