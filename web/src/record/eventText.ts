/** What the replay's event list says of each timeline event, in words. */
import { plural } from "../lib/plural";
import { describeActivity } from "./activity";
import type { ReplayEvent } from "./replayModel";

/** A run's status in words ("compile_error": "compile error"). */
function statusText(status: unknown): string {
  return String(status ?? "").replace(/_/g, " ");
}

/** A plain run says how it ended; a tests run (the event carries `total`) says its pass
 * count, and how it ended only when that was not a plain finish. */
function describeRun(who: string, e: ReplayEvent): string {
  const language = String(e.language ?? "");
  if (typeof e.total !== "number") return `${who} ran the code (${language}): ${statusText(e.status)}`;
  if (e.status === "queued" || e.status === "running") return `${who} ran the tests (${language}): running`;
  const passed = typeof e.passed === "number" ? e.passed : 0;
  const count = `${passed} of ${plural(e.total, "test")} passed`;
  return `${who} ran the tests (${language}): ${e.status === "ok" ? count : `${count}, ${statusText(e.status)}`}`;
}

/** One line for an event of the room's timeline. */
export function describeEvent(e: ReplayEvent): string {
  const who = e.actor?.name ?? "";
  switch (e.type) {
    case "joined":
      return `${who} joined`;
    case "left":
      return `${who} left`;
    case "chat":
      return `${who}: ${String(e.text ?? "").slice(0, 80)}`;
    case "run":
      return describeRun(who, e);
    case "language":
      return `${who} switched to ${String(e.language ?? "")}`;
    case "paste":
    case "focus_lost":
    case "focus_returned":
      return describeActivity({
        kind: e.type,
        name: who,
        chars: typeof e.chars === "number" ? e.chars : undefined,
        external: typeof e.external === "boolean" ? e.external : undefined,
        away_seconds: typeof e.away_seconds === "number" ? e.away_seconds : undefined,
      });
    case "question":
      return `Question presented: ${String(e.title ?? "")}`;
    case "ended":
      return "The interview ended";
    case "terminal":
      if (e.action === "exit") return `The terminal's shell exited (${String(e.exit_code ?? "")})`;
      if (e.action === "restart") return `${who} restarted the terminal`;
      return "The terminal's shell started";
    case "file_created":
      return `${who} created ${String(e.path ?? "")}`;
    case "file_renamed":
      return `${who} renamed ${String(e.from ?? "")} to ${String(e.path ?? "")}`;
    case "file_deleted":
      return `${who} deleted ${String(e.path ?? "")}`;
    case "file_opened":
      return `${who} opened ${String(e.path ?? "")}`;
    case "files_imported":
      return `${who} imported ${plural(typeof e.files === "number" ? e.files : 0, "file")}`;
    case "files_changed":
      return `${who} changed ${plural((Number(e.created) || 0) + (Number(e.deleted) || 0) + (Number(e.renamed) || 0), "file")}`;
    case "ai":
      return e.role === "user"
        ? `${who} asked the AI${e.private ? " (private)" : ""}: ${String(e.text ?? "").slice(0, 80)}`
        : `AI answered${e.status && e.status !== "ok" ? ` (${String(e.status)})` : ""}: ${String(e.text ?? "").slice(0, 80)}`;
    case "ai_insert":
      return `${who} inserted ${typeof e.chars === "number" ? e.chars : 0} characters from an AI answer`;
    default:
      return e.type;
  }
}
