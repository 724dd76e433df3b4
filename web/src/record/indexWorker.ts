/**
 * Builds the code's text index in Web Workers (`textIndex.worker.ts`) and hands it to the
 * `DocTimeline` when it arrives: two segments in parallel where the machine has four cores
 * or more (the second starts from the keyframe nearest the middle), joined here. Where no worker can
 * be started, or one fails, it is built in 16 ms steps on this thread instead (yielding
 * through a `MessageChannel`, which has no setTimeout clamp).
 */
import { lastAtOrBefore, type DocTimeline } from "./replayModel";
import { mergeSegments, type BuiltSegment } from "./textIndex";
import type { IndexReply, IndexRequest } from "./textIndex.worker";

/** Below this many updates one worker does it all (a segment's keyframe costs its own). */
const SPLIT_FROM = 2000;

export interface SegmentPlan {
  from: number;
  to: number;
  frame: string | null;
}

/** Where to cut `n` updates into at most `parts` segments: after keyframes (`index`: the
 * last update each holds), as near the even cut points as there are keyframes. */
export function planSegments(n: number, keyframes: { index: number; state: string }[], parts: number): SegmentPlan[] {
  const plan: SegmentPlan[] = [{ from: 0, to: n, frame: null }];
  if (parts < 2 || n < SPLIT_FROM) return plan;
  for (let p = 1; p < parts; p++) {
    const target = Math.round((n * p) / parts);
    let best: { index: number; state: string } | null = null;
    for (const f of keyframes) if (f.index + 1 > 0 && f.index + 1 < n && (!best || Math.abs(f.index + 1 - target) < Math.abs(best.index + 1 - target))) best = f;
    const last = plan.at(-1) as SegmentPlan;
    if (!best || best.index + 1 <= last.from + SPLIT_FROM / 2 || n - (best.index + 1) < SPLIT_FROM / 2) continue;
    last.to = best.index + 1;
    plan.push({ from: best.index + 1, to: n, frame: best.state });
  }
  return plan;
}

/** Start building; `ready` runs once seeks use the index. Returns a stop function. */
export function buildIndexOffThread(code: DocTimeline, keyframes: { seq: number; state: string }[], ready: () => void): () => void {
  let stopped = false;
  let stopInThread: (() => void) | null = null;
  const workers: Worker[] = [];
  const stopWorkers = () => workers.forEach((w) => w.terminate());
  const inThread = () => {
    stopWorkers();
    if (stopped || stopInThread) return;
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      if (stopped) return;
      if (code.buildIndex(16)) ready();
      else channel.port2.postMessage(null);
    };
    channel.port2.postMessage(null);
    stopInThread = () => channel.port1.close();
  };
  const frames = keyframes.map((f) => ({ index: lastAtOrBefore(code.seqs, f.seq), state: f.state }));
  // Two segments only with cores to spare: on two cores the second worker took the page's
  // own thread's core while it painted (the first paint ~80 ms later, the index ~100 ms
  // sooner in the bench), and the first paint is what the page is judged by.
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 1 : 1;
  const plan = planSegments(code.length, frames, cores >= 4 ? 2 : 1);
  const { updates, authorOf, name } = code.indexRequest();
  const segments: BuiltSegment[] = [];
  const began = performance.now();
  try {
    for (const part of plan) {
      const worker = new Worker(new URL("./textIndex.worker.ts", import.meta.url), { type: "module", name: "replay-text-index" });
      workers.push(worker);
      worker.onmessage = (event: MessageEvent<IndexReply>) => {
        worker.terminate();
        if (stopped || stopInThread) return;
        if (!event.data.ok) {
          console.warn("replay: the text index worker failed, building it here", event.data.error);
          inThread();
          return;
        }
        segments.push(event.data.segment);
        if (segments.length < plan.length) return;
        code.useIndex(mergeSegments(code.length, segments));
        performance.mark("replay:indexed", { detail: { segments: plan.length, ms: performance.now() - began } });
        ready();
      };
      worker.onerror = (event) => {
        event.preventDefault();
        inThread();
      };
      const request: IndexRequest = { updates, authorOf: authorOf.slice(), name, ...part };
      worker.postMessage(request, [request.authorOf.buffer]);
    }
  } catch {
    inThread();
  }
  return () => {
    stopped = true;
    stopWorkers();
    stopInThread?.();
  };
}
