/**
 * CSS that paints y-monaco's remote selections in each person's colour, with their name.
 * The caret carries a dot in that colour; the name shows when the pointer is on the caret
 * (index.css), as CodeMirror's y-codemirror does, so it never sits over the line above.
 */

export interface CursorOwner {
  clientId: number;
  name: string;
  color: string;
}

/** A CSS string literal: quotes, backslashes and line breaks escaped. */
export function cssString(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&").replace(/[\n\r\f]/g, " ")}"`;
}

const COLOR = /^#[0-9a-fA-F]{3,8}$/;

export function cursorCss(owners: CursorOwner[]): string {
  return owners
    .filter((o) => Number.isInteger(o.clientId))
    .map(({ clientId, name, color }) => {
      const safe = COLOR.test(color) ? color : "#64748b";
      return [
        `.yRemoteSelection-${clientId}{background-color:${safe}}`,
        `.yRemoteSelectionHead-${clientId}{border-color:${safe}}`,
        `.yRemoteSelectionHead-${clientId}::before{background-color:${safe}}`,
        `.yRemoteSelectionHead-${clientId}::after{content:${cssString(name.slice(0, 40))};background-color:${safe}}`,
      ].join("\n");
    })
    .join("\n");
}
