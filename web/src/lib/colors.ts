/** A stable colour per person, for cursors, carets and avatars. */
export const PALETTE = [
  "#2563eb",
  "#db2777",
  "#059669",
  "#d97706",
  "#7c3aed",
  "#dc2626",
  "#0891b2",
  "#65a30d",
] as const;

export function hashString(text: string): number {
  // FNV-1a: cheap and spreads short names well.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function colorFor(seed: string): string {
  return PALETTE[hashString(seed) % PALETTE.length] ?? PALETTE[0];
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts.slice(0, 1);
  return letters.map((p) => p?.[0]?.toUpperCase() ?? "").join("") || "?";
}

/** The seed that gives one person the same colour in the cursor, the avatar and the chat. */
export function personSeed(role: string, name: string): string {
  return `${role === "candidate" ? "candidate" : "staff"}-${name}`;
}

export function personColor(role: string, name: string): string {
  return colorFor(personSeed(role, name));
}
