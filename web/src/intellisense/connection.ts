/**
 * A small Language Server Protocol client over the room's `/ws/rooms/{id}/lsp/{language}`
 * socket: JSON-RPC requests with promises, notifications to listeners, reconnection.
 * The server owns document sync, so this client never sends didOpen or didChange
 * (docs/intellisense.md says why a hand-written client instead of monaco-languageclient).
 */
import { FINAL_CLOSE_CODES, socketBase } from "../realtime/protocol";

type Listener = (params: unknown) => void;

export interface LspStatus {
  server: string | null;
  title: string;
  state: "starting" | "running" | "restarting" | "failed" | "unavailable" | "offline";
  message: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

export class LspConnection {
  capabilities: Record<string, unknown> = {};
  private socket: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private listeners = new Map<string, Set<Listener>>();
  private ready: Promise<void> | null = null;
  private closed = false;
  private retry = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly roomId: string,
    private readonly language: string,
    private readonly getToken: () => Promise<string | null>,
    private readonly diagnosticsOnly: boolean,
  ) {}

  /** Open the socket (once) and run `initialize`; resolves when requests may be sent. */
  start(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  on(method: string, listener: Listener): () => void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  async request<T>(method: string, params: unknown): Promise<T | null> {
    await this.start();
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return null;
    const id = this.nextId++;
    return new Promise<T | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  dispose(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close(1000);
    this.failPending();
  }

  private async open(): Promise<void> {
    const token = await this.getToken();
    if (this.closed || !token) return;
    const mode = this.diagnosticsOnly ? "&mode=diagnostics" : "";
    const url = `${socketBase(window.location)}/ws/rooms/${this.roomId}/lsp/${this.language}?token=${encodeURIComponent(token)}${mode}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onclose = (event) => this.closedSocket(event);
    await new Promise<void>((resolve) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("close", () => resolve(), { once: true });
    });
    if (socket.readyState !== WebSocket.OPEN) return;
    this.retry = 0;
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => resolve(null), 60_000);
      this.pending.set(id, { resolve, reject, timer });
    });
    socket.send(JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", params: { processId: null, rootUri: "file:///workspace", capabilities: {} } }));
    const result = (await answer.catch(() => null)) as { capabilities?: Record<string, unknown> } | null;
    this.capabilities = result?.capabilities ?? {};
    socket.send(JSON.stringify({ jsonrpc: "2.0", method: "initialized", params: {} }));
  }

  private receive(text: string): void {
    let message: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message?: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.method) {
      this.listeners.get(message.method)?.forEach((listener) => listener(message.params));
      return;
    }
    if (typeof message.id !== "number") return;
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    // An error (rate, autocomplete off, a file outside the project) is no answer, not a crash.
    waiting.resolve(message.error ? null : (message.result ?? null));
  }

  private closedSocket(event: CloseEvent): void {
    this.failPending();
    this.socket = null;
    this.ready = null;
    if (this.closed) return;
    this.listeners.get("$/codepair/status")?.forEach((listener) => listener({ server: null, title: this.language, state: "offline", message: "" }));
    if (FINAL_CLOSE_CODES.has(event.code)) return;
    const delay = Math.min(30_000, 1000 * 2 ** this.retry++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) void this.start();
    }, delay);
  }

  private failPending(): void {
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.resolve(null);
    }
    this.pending.clear();
  }
}
