/**
 * Builds the code's text index in a Web Worker (`textIndex.worker.ts`) and hands it to the
 * `DocTimeline` when it arrives; where no worker can be started, in 16 ms steps on this
 * thread instead (yielding through a `MessageChannel`, which has no setTimeout clamp).
 */
import type { DocTimeline } from "./replayModel";
import type { IndexReply } from "./textIndex.worker";

/** Start building; `ready` runs once seeks use the index. Returns a stop function. */
export function buildIndexOffThread(code: DocTimeline, ready: () => void): () => void {
  let stopped = false;
  let worker: Worker | null = null;
  const inThread = () => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      if (stopped) return;
      if (code.buildIndex(16)) ready();
      else channel.port2.postMessage(null);
    };
    channel.port2.postMessage(null);
    return () => channel.port1.close();
  };
  let stopInThread: (() => void) | null = null;
  try {
    worker = new Worker(new URL("./textIndex.worker.ts", import.meta.url), { type: "module", name: "replay-text-index" });
  } catch {
    stopInThread = inThread();
  }
  if (worker) {
    const request = code.indexRequest();
    worker.onmessage = (event: MessageEvent<IndexReply>) => {
      worker?.terminate();
      if (stopped) return;
      if (event.data.ok) {
        code.useIndex(event.data.index);
        performance.mark("replay:indexed", { detail: { workerMs: event.data.ms } });
        ready();
      } else {
        console.warn("replay: the text index worker failed, building it here", event.data.error);
        stopInThread = inThread();
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker?.terminate();
      if (!stopped) stopInThread = inThread();
    };
    worker.postMessage(request, [request.authorOf.buffer]);
  }
  return () => {
    stopped = true;
    worker?.terminate();
    stopInThread?.();
  };
}
