/** CSS that paints y-monaco's remote selections in each person's colour, with their name. */

export interface CursorOwner {
  clientId: number;
  name: string;
  color: string;
  /** Moved or typed lately: show the name; idle names fade so they do not cover code. */
  active?: boolean;
}

/** A CSS string literal: quotes, backslashes and line breaks escaped. */
export function cssString(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&").replace(/[\n\r\f]/g, " ")}"`;
}

const COLOR = /^#[0-9a-fA-F]{3,8}$/;

export function cursorCss(owners: CursorOwner[]): string {
  return owners
    .filter((o) => Number.isInteger(o.clientId))
    .map(({ clientId, name, color, active = true }) => {
      const safe = COLOR.test(color) ? color : "#64748b";
      return [
        `.yRemoteSelection-${clientId}{background-color:${safe}}`,
        `.yRemoteSelectionHead-${clientId}{border-color:${safe}}`,
        `.yRemoteSelectionHead-${clientId}::after{content:${cssString(name.slice(0, 40))};background-color:${safe};opacity:${active ? 1 : 0}}`,
      ].join("\n");
    })
    .join("\n");
}
