import { useEffect, useState, useSyncExternalStore } from "react";

import { session } from "../api/session";
import { RoomDoc, type AwarenessUser, type DocState } from "../realtime/ydoc";

const OFF: DocState = { status: "disconnected", synced: false, unsynced: false };

/** One of the room's Yjs documents for as long as the component is mounted. */
export function useRoomDoc(roomId: string, name: "code" | "notes" | "board", user: AwarenessUser, storage: Storage | null, enabled = true) {
  const [doc, setDoc] = useState<RoomDoc | null>(null);
  const { name: userName, color, role } = user;
  useEffect(() => {
    if (!enabled) return;
    const roomDoc = new RoomDoc(roomId, name, () => session.bearer(), storage, { name: userName, color, role });
    setDoc(roomDoc);
    const offline = () => roomDoc.suspend();
    const online = () => roomDoc.resume();
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
      roomDoc.destroy();
      setDoc(null);
    };
  }, [roomId, name, userName, color, role, storage, enabled]);
  const state = useSyncExternalStore(
    (listener) => (doc ? doc.subscribe(listener) : () => undefined),
    () => doc?.current ?? OFF,
  );
  return { doc, state };
}
