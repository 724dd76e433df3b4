/**
 * A small, safe Markdown renderer for question prompts: headings, paragraphs, lists, block
 * quotes, fenced code, inline code, bold, italic and links. Everything becomes React elements
 * from plain text, so no HTML in the source is ever interpreted (it shows as text); links are
 * kept only for http(s) and mailto and open in a new tab without a referrer; images are never
 * loaded (their alt text is shown), so a prompt cannot make the browser fetch anything.
 */
import type { ReactNode } from "react";

type Block =
  | { kind: "heading"; level: number; text: string }
  | { kind: "code"; text: string }
  | { kind: "list"; ordered: boolean; items: string[] }
  | { kind: "quote"; text: string }
  | { kind: "paragraph"; text: string };

export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const at = (index: number): string => lines[index] ?? "";
  const isItem = (text: string) => /^\s*([-*+]|\d+[.)])\s+/.test(text);
  const isFence = (text: string) => /^\s*```/.test(text);
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = at(i);
    if (isFence(line)) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !isFence(at(i))) body.push(at(i++));
      i += 1;
      blocks.push({ kind: "code", text: body.join("\n") });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push({ kind: "heading", level: (heading[1] ?? "#").length, text: heading[2] ?? "" });
      i += 1;
      continue;
    }
    if (isItem(line)) {
      const ordered = /^\s*\d/.test(line);
      const items: string[] = [];
      while (i < lines.length && isItem(at(i))) items.push(at(i++).replace(/^\s*([-*+]|\d+[.)])\s+/, ""));
      blocks.push({ kind: "list", ordered, items });
      continue;
    }
    if (/^>\s?/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^>\s?/.test(at(i))) body.push(at(i++).replace(/^>\s?/, ""));
      blocks.push({ kind: "quote", text: body.join(" ") });
      continue;
    }
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const body: string[] = [];
    while (i < lines.length && at(i).trim() && !/^(#{1,6}\s|\s*```|>)/.test(at(i)) && !isItem(at(i))) body.push(at(i++));
    blocks.push({ kind: "paragraph", text: body.join(" ") });
  }
  return blocks;
}

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

/** Inline Markdown to React nodes: `code`, **bold**, *italic* / _italic_, [text](url), ![alt](src). */
export function inline(text: string, key = "i"): ReactNode[] {
  const out: ReactNode[] = [];
  const pattern = /(`[^`]+`)|(!\[[^\]]*\]\([^)]*\))|(\[[^\]]+\]\([^)\s]+\))|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)/;
  let rest = text;
  let n = 0;
  while (rest) {
    const match = pattern.exec(rest);
    if (!match) {
      out.push(rest);
      break;
    }
    if (match.index > 0) out.push(rest.slice(0, match.index));
    const token = match[0];
    const k = `${key}-${n++}`;
    if (match[1]) {
      out.push(
        <code key={k} className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.85em] text-slate-800">
          {token.slice(1, -1)}
        </code>,
      );
    } else if (match[2]) {
      const alt = /^!\[([^\]]*)\]/.exec(token)?.[1] ?? "";
      out.push(
        <span key={k} className="text-slate-500 italic" title="Images are not shown">
          [image{alt ? `: ${alt}` : ""}]
        </span>,
      );
    } else if (match[3]) {
      const parts = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token);
      const label = parts?.[1] ?? token;
      const href = parts?.[2] ?? "";
      out.push(
        SAFE_LINK.test(href) ? (
          <a key={k} href={href} target="_blank" rel="noopener noreferrer nofollow" referrerPolicy="no-referrer" className="text-indigo-600 underline">
            {inline(label, k)}
          </a>
        ) : (
          <span key={k}>{inline(label, k)}</span>
        ),
      );
    } else if (match[4]) {
      out.push(<strong key={k}>{inline(token.slice(2, -2), k)}</strong>);
    } else {
      out.push(<em key={k}>{inline(token.slice(1, -1), k)}</em>);
    }
    rest = rest.slice(match.index + token.length);
  }
  return out;
}

export function Markdown({ source, className = "" }: { source: string; className?: string }) {
  const blocks = parseBlocks(source);
  return (
    <div className={`space-y-2 text-sm leading-relaxed ${className}`} data-testid="markdown">
      {blocks.map((block, index) => {
        const key = `b${index}`;
        switch (block.kind) {
          case "heading": {
            const size = block.level <= 1 ? "text-lg" : block.level === 2 ? "text-base" : "text-sm";
            return (
              <p key={key} role="heading" aria-level={block.level} className={`${size} font-semibold`}>
                {inline(block.text, key)}
              </p>
            );
          }
          case "code":
            return (
              <pre key={key} className="overflow-x-auto rounded bg-slate-900 p-2 font-mono text-xs text-slate-100">
                {block.text}
              </pre>
            );
          case "list": {
            const items = block.items.map((item, j) => <li key={`${key}-${j}`}>{inline(item, `${key}-${j}`)}</li>);
            return block.ordered ? (
              <ol key={key} className="list-decimal space-y-0.5 pl-5">
                {items}
              </ol>
            ) : (
              <ul key={key} className="list-disc space-y-0.5 pl-5">
                {items}
              </ul>
            );
          }
          case "quote":
            return (
              <blockquote key={key} className="border-l-2 border-slate-300 pl-3 text-slate-600">
                {inline(block.text, key)}
              </blockquote>
            );
          default:
            return <p key={key}>{inline(block.text, key)}</p>;
        }
      })}
    </div>
  );
}
