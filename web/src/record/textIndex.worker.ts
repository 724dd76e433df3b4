/**
 * The text index's forward pass off the page's thread: gets the code document's updates
 * (base64, as the record sends them) and their authors, runs `TextIndexBuilder` to the end
 * and posts back the `BuiltIndex`, its typed arrays transferred. A 60-minute interview's
 * pass takes seconds; the page keeps painting and seeking (the `Y.Doc` path) meanwhile.
 */
import { decodeBase64 } from "./base64";
import { TextIndexBuilder, transferables, type BuiltIndex } from "./textIndex";

export interface IndexRequest {
  updates: string[];
  authorOf: Int32Array;
  name: string;
}

export type IndexReply = { ok: true; index: BuiltIndex; ms: number } | { ok: false; error: string };

self.onmessage = (event: MessageEvent<IndexRequest>) => {
  const began = performance.now();
  try {
    const { updates, authorOf, name } = event.data;
    const bytes = updates.map(decodeBase64);
    const builder = new TextIndexBuilder(bytes.length, (i) => bytes[i] ?? new Uint8Array(), authorOf, name);
    builder.step();
    const index = builder.result();
    const reply: IndexReply = { ok: true, index, ms: performance.now() - began };
    self.postMessage(reply, { transfer: transferables(index) });
  } catch (e) {
    const reply: IndexReply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    self.postMessage(reply);
  }
};
