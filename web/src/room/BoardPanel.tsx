/**
 * The room's whiteboard: Excalidraw on the `board` Yjs document, with everyone's pointers
 * and names through awareness. Loaded (chunk and socket) only when the Board tab is first
 * opened; the binding is boardBinding.ts, the design docs/whiteboard.md.
 */
import "@excalidraw/excalidraw/index.css";

import { CaptureUpdateAction, Excalidraw } from "@excalidraw/excalidraw";
import type { ExcalidrawImperativeAPI, Collaborator, SocketId } from "@excalidraw/excalidraw/types";
import { useEffect, useMemo, useRef, useState } from "react";
import type * as Y from "yjs";

import type { AwarenessUser, RoomDoc } from "../realtime/ydoc";
import { allElements, BOARD_MAX_ELEMENTS, boardMap, changesOf, LOCAL_ORIGIN, mergeScene, writeElements, type BoardElement } from "./boardBinding";
import { useRoomDoc } from "./useRoomDoc";

declare global {
  interface Window {
    EXCALIDRAW_ASSET_PATH?: string | string[];
  }
}
// Fonts come from our own server (copied into the build by vite.config.ts), not a CDN.
window.EXCALIDRAW_ASSET_PATH = "/assets/excalidraw/";

const WRITE_EVERY_MS = 50; // a drag becomes at most 20 updates a second
const POINTER_EVERY_MS = 50;

interface PointerState {
  x: number;
  y: number;
  tool: "pointer" | "laser";
  button: "up" | "down";
}

type SceneElements = Parameters<ExcalidrawImperativeAPI["updateScene"]>[0]["elements"];

/** The board as the server holds it: Excalidraw replaces its scene with its initial data
 * once it has mounted, so the first scene must wait for the sync (or give up after a while,
 * offline, and start from what this browser kept). */
function syncedElements(roomDoc: RoomDoc): Promise<{ elements: SceneElements }> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      roomDoc.provider.off("sync", done);
      resolve({ elements: allElements(roomDoc.doc) as unknown as SceneElements });
    };
    const timer = setTimeout(done, 4000);
    if (roomDoc.provider.synced) done();
    else roomDoc.provider.on("sync", done);
  });
}

export function BoardPanel({ roomId, user, storage, readOnly }: { roomId: string; user: AwarenessUser; storage: Storage | null; readOnly: boolean }) {
  const board = useRoomDoc(roomId, "board", user, storage);
  const [api, setApi] = useState<ExcalidrawImperativeAPI | null>(null);
  const [full, setFull] = useState(false);
  const roomDoc = board.doc;
  const pending = useRef<readonly BoardElement[] | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastPointer = useRef(0);
  const lastButton = useRef<"up" | "down">("up");
  // What the scene shows, on the panel's element for tests and tools (no re-render per change).
  const panel = useRef<HTMLDivElement>(null);
  const refused = board.state.status === "refused";
  const initialData = useMemo(() => (roomDoc ? syncedElements(roomDoc) : null), [roomDoc]);

  // Yjs -> Excalidraw: the whole board once, then each remote change as it arrives.
  useEffect(() => {
    if (!api || !roomDoc) return;
    const doc: Y.Doc = roomDoc.doc;
    const map = boardMap(doc);
    const show = (changed: BoardElement[], removed: string[]) => {
      const local = api.getSceneElementsIncludingDeleted() as unknown as readonly BoardElement[];
      const { scene, rewrite } = mergeScene(local, changed, removed);
      api.updateScene({ elements: scene as unknown as SceneElements, captureUpdate: CaptureUpdateAction.NEVER });
      if (rewrite.length) writeElements(doc, rewrite);
    };
    show(allElements(doc), []);
    const onChange = (event: Y.YMapEvent<BoardElement>) => {
      if (event.transaction.origin === LOCAL_ORIGIN) return;
      const { changed, removed } = changesOf(event, map);
      show(changed, removed);
    };
    map.observe(onChange);
    return () => map.unobserve(onChange);
  }, [api, roomDoc]);

  // Others' pointers and names, from awareness.
  useEffect(() => {
    if (!api || !roomDoc) return;
    const awareness = roomDoc.provider.awareness;
    const render = () => {
      const collaborators = new Map<SocketId, Collaborator>();
      awareness.getStates().forEach((state, clientId) => {
        if (clientId === awareness.clientID) return;
        const who = state.user as AwarenessUser | undefined;
        const pointer = state.pointer as PointerState | undefined;
        if (!who) return;
        collaborators.set(String(clientId) as SocketId, {
          id: String(clientId),
          username: who.name,
          color: { background: who.color, stroke: who.color },
          pointer: pointer ? { x: pointer.x, y: pointer.y, tool: pointer.tool } : undefined,
          button: pointer?.button,
        });
      });
      api.updateScene({ collaborators });
      if (panel.current) panel.current.dataset.pointers = String([...collaborators.values()].filter((c) => c.pointer).length);
    };
    render();
    awareness.on("change", render);
    return () => awareness.off("change", render);
  }, [api, roomDoc]);

  // Excalidraw -> Yjs, coalesced: the newest scene is written at most every WRITE_EVERY_MS.
  const flush = useMemo(
    () => () => {
      timer.current = null;
      const elements = pending.current;
      pending.current = null;
      if (!elements || !roomDoc) return;
      const { refused: over } = writeElements(roomDoc.doc, elements);
      setFull(over > 0 || boardMap(roomDoc.doc).size >= BOARD_MAX_ELEMENTS);
    },
    [roomDoc],
  );
  useEffect(
    () => () => {
      if (timer.current) {
        clearTimeout(timer.current);
        flush();
      }
    },
    [flush],
  );

  const locked = readOnly || refused;
  return (
    <div ref={panel} className="relative h-full w-full bg-white" data-testid="board-panel" data-elements="0" data-pointers="0">
      {(refused || full) && (
        <div className="absolute top-14 left-1/2 z-10 -translate-x-1/2 rounded bg-amber-100 px-3 py-1.5 text-xs text-amber-900 shadow" role="status">
          {refused ? "The board is full or no longer connected: new drawings are not saved." : `The board holds its maximum of ${BOARD_MAX_ELEMENTS} elements.`}
        </div>
      )}
      {initialData && (
      <Excalidraw
        initialData={initialData}
        excalidrawAPI={setApi}
        isCollaborating
        viewModeEnabled={locked}
        UIOptions={{ tools: { image: false }, canvasActions: { loadScene: false, clearCanvas: !locked } }}
        onChange={(elements) => {
          if (panel.current) panel.current.dataset.elements = String(elements.filter((el) => !el.isDeleted).length);
          if (locked || !roomDoc) return;
          pending.current = elements as unknown as readonly BoardElement[];
          if (!timer.current) timer.current = setTimeout(flush, WRITE_EVERY_MS);
        }}
        onPointerUpdate={({ pointer, button }) => {
          if (!roomDoc) return;
          // At most every POINTER_EVERY_MS, pressed or not (a drag moves the pointer 60+ times
          // a second, and the socket's cap is 100 messages a second); a press or release at once.
          const now = performance.now();
          if (now - lastPointer.current < POINTER_EVERY_MS && button === lastButton.current) return;
          lastPointer.current = now;
          lastButton.current = button;
          const state: PointerState = { x: Math.round(pointer.x), y: Math.round(pointer.y), tool: pointer.tool, button };
          roomDoc.provider.awareness.setLocalStateField("pointer", state);
        }}
      />
      )}
    </div>
  );
}
