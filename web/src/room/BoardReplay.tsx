/**
 * The whiteboard as it stood at the replay's playhead: read-only Excalidraw fed by
 * `GET /api/rooms/{id}/history/board?at=` (its `elements`). A moving playhead asks at most
 * every FETCH_EVERY_MS, and always for the moment it stops at. Lazy: it brings Excalidraw.
 */
import "@excalidraw/excalidraw/index.css";

import { CaptureUpdateAction, Excalidraw } from "@excalidraw/excalidraw";
import type { ExcalidrawImperativeAPI } from "@excalidraw/excalidraw/types";
import { useEffect, useRef, useState } from "react";

import { api } from "../api/client";

window.EXCALIDRAW_ASSET_PATH = "/assets/excalidraw/";

const FETCH_EVERY_MS = 300;

type SceneElements = Parameters<ExcalidrawImperativeAPI["updateScene"]>[0]["elements"];

interface BoardAt {
  at: string;
  seq: number;
  elements: Record<string, unknown>[] | null;
}

export function BoardReplay({ roomId, at }: { roomId: string; at: number }) {
  const [excalidraw, setExcalidraw] = useState<ExcalidrawImperativeAPI | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shownSeq = useRef<number | null>(null);
  const wanted = useRef(at);
  const busy = useRef(false);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  wanted.current = at;
  // Excalidraw replaces its scene with its initial data once mounted: the first board goes
  // in as that initial data, later ones through updateScene.
  const [first] = useState(() => {
    let resolve: (scene: { elements: SceneElements }) => void = () => undefined;
    const promise = new Promise<{ elements: SceneElements }>((r) => (resolve = r));
    return { promise, resolve, done: false };
  });

  useEffect(() => {
    if (!excalidraw) return;
    const load = async () => {
      timer.current = null;
      if (busy.current) return;
      busy.current = true;
      last.current = performance.now();
      const moment = wanted.current;
      try {
        const board = await api<BoardAt>(`/api/rooms/${roomId}/history/board?at=${encodeURIComponent(new Date(moment).toISOString())}`);
        setError(null);
        if (board.seq !== shownSeq.current) {
          shownSeq.current = board.seq;
          const elements = (board.elements ?? []) as unknown as SceneElements;
          if (!first.done) {
            first.done = true;
            first.resolve({ elements });
          } else excalidraw.updateScene({ elements, captureUpdate: CaptureUpdateAction.NEVER });
          setCount(board.elements?.length ?? 0);
        }
      } catch (e) {
        setError(e instanceof Error ? e.message : "Could not load the board");
      } finally {
        busy.current = false;
      }
      // The playhead moved on while we asked: follow it.
      if (wanted.current !== moment && !timer.current) timer.current = setTimeout(() => void load(), FETCH_EVERY_MS);
    };
    const wait = Math.max(0, FETCH_EVERY_MS - (performance.now() - last.current));
    if (!timer.current) timer.current = setTimeout(() => void load(), wait);
  }, [excalidraw, roomId, at, first]);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  return (
    <div className="relative h-full w-full bg-white" data-testid="replay-board" data-elements={count ?? ""}>
      {(error || count === 0) && (
        <div className="absolute top-3 left-1/2 z-10 -translate-x-1/2 rounded bg-slate-100 px-3 py-1.5 text-xs text-slate-600" role="status">
          {error ?? "The board is empty at this moment."}
        </div>
      )}
      <Excalidraw initialData={first.promise} excalidrawAPI={setExcalidraw} viewModeEnabled UIOptions={{ tools: { image: false }, canvasActions: { loadScene: false, export: false, saveAsImage: false } }} />
    </div>
  );
}
