/** The record's bytes: base64 (updates) and base64 of zlib data (keyframes), for the page
 * and the index worker. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A keyframe's state: base64 of zlib data (the server stores and sends them compressed). */
export async function inflate(text: string): Promise<Uint8Array> {
  const stream = new Blob([decodeBase64(text) as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
