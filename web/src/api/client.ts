/** fetch with the tab's bearer token, one silent refresh on 401, and errors as `ApiError`. */
import { session } from "./session";

export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;

  constructor(status: number, detail: unknown) {
    super(describeDetail(status, detail));
    this.status = status;
    this.detail = detail;
  }
}

/** Turns `{"detail": ...}` (a string or FastAPI's list of field errors) into one sentence. */
export function describeDetail(status: number, detail: unknown): string {
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((item: unknown) => {
        if (!item || typeof item !== "object") return String(item);
        const { loc, msg } = item as { loc?: unknown[]; msg?: string };
        const field = Array.isArray(loc) ? loc.filter((p) => p !== "body").join(".") : "";
        return field ? `${field}: ${msg ?? "invalid"}` : (msg ?? "invalid");
      })
      .join("; ");
  }
  if (status === 0) return "Cannot reach the server. Check your connection.";
  if (status === 429) return "Too many attempts. Wait a moment and try again.";
  if (status >= 500) return "The server had a problem. Try again in a moment.";
  return `Request failed (${status})`;
}

interface Options {
  method?: string;
  body?: unknown;
  /** false for endpoints that take no token (sign-in, join). */
  auth?: boolean;
  signal?: AbortSignal;
}

export async function api<T>(path: string, options: Options = {}): Promise<T> {
  const { method = "GET", body, auth = true, signal } = options;
  const send = async (token: string | null): Promise<Response> => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(0, null);
    }
  };

  let response = await send(auth ? await session.bearer() : null);
  if (response.status === 401 && auth && session.current.kind === "user") {
    const token = await session.recover();
    if (token) response = await send(token);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : null;
    throw new ApiError(response.status, detail);
  }
  return data as T;
}
