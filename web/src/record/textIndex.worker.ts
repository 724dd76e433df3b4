/**
 * The text index's forward pass off the page's thread: gets the code document's updates
 * (base64, as the record sends them), their authors and the segment to build (with the
 * keyframe it starts from, when it is not the first), runs `TextIndexBuilder` over it and
 * posts back the segment, its typed arrays transferred. The page joins the segments; it
 * keeps painting and seeking (the `Y.Doc` path) meanwhile.
 */
import { decodeBase64, inflate } from "./base64";
import { TextIndexBuilder, transferables, type BuiltSegment } from "./textIndex";

export interface IndexRequest {
  updates: string[];
  authorOf: Int32Array;
  name: string;
  from: number;
  to: number;
  /** The keyframe (base64 of zlib data) holding every update before `from`. */
  frame: string | null;
}

export type IndexReply = { ok: true; segment: BuiltSegment; ms: number } | { ok: false; error: string };

self.onmessage = async (event: MessageEvent<IndexRequest>) => {
  const began = performance.now();
  try {
    const { updates, authorOf, name, from, to, frame } = event.data;
    const bytes = updates.map(decodeBase64);
    const start = frame ? await inflate(frame) : undefined;
    const builder = new TextIndexBuilder(bytes.length, (i) => bytes[i] ?? new Uint8Array(), authorOf, name, { from, to, frame: start });
    builder.step();
    const segment = builder.segment();
    const reply: IndexReply = { ok: true, segment, ms: performance.now() - began };
    self.postMessage(reply, { transfer: transferables(segment) });
  } catch (e) {
    const reply: IndexReply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    self.postMessage(reply);
  }
};
