/**
 * One of the room's Yjs documents over y-websocket. Local changes made while disconnected are
 * kept in Web Storage until the server has them, so a dropped network, a reload or a lapsed
 * sign-in never loses typing: the kept state is merged back (CRDT, same client ids) on return.
 */
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";

import { session } from "../api/session";
import { fromBase64, toBase64 } from "../lib/bytes";
import { FINAL_CLOSE_CODES, socketBase } from "./protocol";

export type DocStatus = "connecting" | "connected" | "disconnected" | "refused";

export interface DocState {
  status: DocStatus;
  synced: boolean;
  /** Local changes the server may not have yet. */
  unsynced: boolean;
  /** Why the server closed the socket for good (a code of FINAL_CLOSE_CODES and its reason). */
  closed?: { code: number; reason: string };
}

/** The server's close code for an update that would take the document over its size cap. */
export const DOC_FULL = 4413;

export interface AwarenessUser {
  name: string;
  color: string;
  role: string;
}

const CACHE_ORIGIN = Symbol("cache");

export class RoomDoc {
  readonly doc = new Y.Doc();
  readonly provider: WebsocketProvider;
  private state: DocState = { status: "connecting", synced: false, unsynced: false };
  private listeners = new Set<(state: DocState) => void>();
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;
  private readonly cacheKey: string;
  private readonly storage: Storage | null;
  private readonly getToken: () => Promise<string | null>;

  constructor(
    roomId: string,
    name: "code" | "notes" | "board",
    getToken: () => Promise<string | null>,
    storage: Storage | null,
    user: AwarenessUser,
  ) {
    this.getToken = getToken;
    this.storage = storage;
    this.cacheKey = `codepair.doc.${roomId}.${name}`;
    const cached = storage?.getItem(this.cacheKey);
    if (cached) {
      try {
        Y.applyUpdate(this.doc, fromBase64(cached), CACHE_ORIGIN);
        this.state = { ...this.state, unsynced: true };
      } catch {
        storage?.removeItem(this.cacheKey);
      }
    }
    this.provider = new WebsocketProvider(`${socketBase(window.location)}/ws/rooms/${roomId}/yjs`, name, this.doc, {
      connect: false,
      disableBc: true,
      maxBackoffTime: 4000,
      shouldReconnect: (event: CloseEvent) => !FINAL_CLOSE_CODES.has(event.code),
    });
    this.provider.awareness.setLocalStateField("user", user);
    this.provider.on("status", ({ status }) => this.update({ status }));
    this.provider.on("sync", (synced: boolean) => {
      if (synced && this.provider.wsconnected) {
        this.update({ synced: true, unsynced: false });
        // Our own half of the handshake (the offline edits) goes out just after this event:
        // keep the stored copy a moment longer, until it has surely left.
        setTimeout(() => {
          if (!this.destroyed && this.provider.synced && !this.state.unsynced) this.storage?.removeItem(this.cacheKey);
        }, 1000);
      } else {
        this.update({ synced });
      }
    });
    this.provider.on("connection-close", (event) => {
      if (event?.code === 4401) void session.verify();
      if (event && FINAL_CLOSE_CODES.has(event.code)) this.update({ closed: { code: event.code, reason: event.reason } });
      // The refused change would be refused again after a reload: drop the kept copy, so that
      // the page comes back with what the server has.
      if (event?.code === DOC_FULL) this.storage?.removeItem(this.cacheKey);
      // The next attempt reads provider.params: give it a live token.
      void this.refreshToken();
    });
    this.provider.on("closed", () => this.update({ status: "refused" }));
    this.doc.on("update", this.onUpdate);
    void this.refreshToken().then(() => {
      if (!this.destroyed) this.provider.connect();
    });
  }

  get current(): DocState {
    return this.state;
  }

  subscribe(listener: (state: DocState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The browser went offline: drop the socket now rather than wait for a timeout. */
  suspend(): void {
    this.provider.disconnect();
    this.update({ status: "disconnected", synced: false });
  }

  resume(): void {
    if (this.destroyed) return;
    void this.refreshToken().then(() => {
      if (!this.destroyed) this.provider.connect();
    });
  }

  destroy(): void {
    this.destroyed = true;
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.save();
    }
    this.doc.off("update", this.onUpdate);
    this.provider.destroy();
    this.doc.destroy();
  }

  private onUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === this.provider || origin === CACHE_ORIGIN) return;
    if (this.provider.wsconnected && this.provider.synced) return;
    // Typed while offline: mark it and keep it until the server confirms a sync.
    this.update({ unsynced: true });
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), 250);
  };

  private save(): void {
    this.saveTimer = null;
    if (!this.state.unsynced) return;
    try {
      this.storage?.setItem(this.cacheKey, toBase64(Y.encodeStateAsUpdate(this.doc)));
    } catch {
      // Storage full or blocked: the in-memory document still holds the changes.
    }
  }

  private async refreshToken(): Promise<void> {
    const token = await this.getToken();
    if (token) this.provider.params = { token };
    else {
      this.provider.shouldConnect = false;
      this.update({ status: "refused" });
    }
  }

  private update(patch: Partial<DocState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener(this.state);
  }
}
