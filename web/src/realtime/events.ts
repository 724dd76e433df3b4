/**
 * The room's events socket with reconnection. Each connection asks for a fresh token, so a
 * user's refreshed access token is used after a drop.
 */
import { session } from "../api/session";
import { FINAL_CLOSE_CODES, parseServerMessage, socketBase, type ClientMessage, type ServerMessage } from "./protocol";

export type EventsStatus = "connecting" | "connected" | "disconnected" | "refused" | "closed";

interface Handlers {
  onMessage: (message: ServerMessage) => void;
  onStatus: (status: EventsStatus) => void;
}

export class EventsSocket {
  private ws: WebSocket | null = null;
  private attempts = 0;
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private outbox: ClientMessage[] = [];
  private readonly roomId: string;
  private readonly getToken: () => Promise<string | null>;
  private readonly handlers: Handlers;

  constructor(roomId: string, getToken: () => Promise<string | null>, handlers: Handlers) {
    this.roomId = roomId;
    this.getToken = getToken;
    this.handlers = handlers;
  }

  start(): void {
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.ws?.close(1000);
    this.ws = null;
  }

  /** Drops the connection now (the browser went offline); `reconnect` brings it back. */
  suspend(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    this.handlers.onStatus("disconnected");
  }

  reconnect(): void {
    if (this.stopped || this.ws) return;
    if (this.retry) clearTimeout(this.retry);
    this.attempts = 0;
    void this.open();
  }

  /** Sends now, or after reconnecting (chat typed while offline is not lost). */
  send(message: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
    else if (message.type === "chat.send") this.outbox.push(message);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.handlers.onStatus("connecting");
    const token = await this.getToken();
    if (this.stopped) return;
    if (!token) {
      this.handlers.onStatus("refused");
      return;
    }
    const url = `${socketBase(window.location)}/ws/rooms/${this.roomId}/events?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempts = 0;
      this.handlers.onStatus("connected");
      for (const message of this.outbox.splice(0)) ws.send(JSON.stringify(message));
    };
    ws.onmessage = (event) => {
      const message = parseServerMessage(event.data);
      if (message) this.handlers.onMessage(message);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      // The server says retrying is pointless (room ended, access revoked).
      if (event.code === 4401) void session.verify();
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.handlers.onStatus(event.code === 4410 ? "closed" : "refused");
        return;
      }
      this.handlers.onStatus("disconnected");
      this.attempts += 1;
      const delay = Math.min(5_000, 250 * 2 ** Math.min(this.attempts, 5)) * (opened ? 0.5 : 1);
      this.retry = setTimeout(() => void this.open(), delay);
    };
  }
}
