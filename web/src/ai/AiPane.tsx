/**
 * The AI assistant's pane: the room's conversation with the model, answers streaming in.
 * The candidate is told that interviewers see it; interviewers may ask privately. Code blocks
 * of an answer can be put into the editor at the cursor (recorded for the report).
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";

import type { ClientMessage } from "../realtime/protocol";
import type { monaco } from "../room/monaco";
import { formatClock } from "../lib/time";
import { aiMessagesQuery } from "./api";
import { mergeAi, type AiState } from "./aiState";
import type { AiMessage } from "./types";

interface Props {
  roomId: string;
  interviewer: boolean;
  /** The room's switch: off, only interviewers' private questions are answered. */
  on: boolean;
  ai: AiState;
  send: (message: ClientMessage) => void;
  editor: monaco.editor.IStandaloneCodeEditor | null;
  error: { message: string; at: number } | null;
  disabled?: boolean;
}

export function AiPane({ roomId, interviewer, on, ai, send, editor, error, disabled }: Props) {
  const stored = useQuery(aiMessagesQuery(roomId));
  const messages = useMemo(() => mergeAi(stored.data ?? [], ai.messages), [stored.data, ai.messages]);
  const [text, setText] = useState("");
  const [withCode, setWithCode] = useState(false);
  const [privately, setPrivately] = useState(interviewer);
  const [askedAt, setAskedAt] = useState(0);
  const list = useRef<HTMLOListElement>(null);
  const writing = Object.entries(ai.streaming);
  const streamedChars = writing.reduce((n, [, s]) => n + s.text.length, 0);
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [messages.length, streamedChars]);
  const shownError = error && askedAt && error.at >= askedAt ? error.message : null;
  const canAsk = !disabled && (on || (interviewer && privately));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const question = text.trim();
    if (!question || !canAsk) return;
    send({ type: "ai.ask", text: question, include_code: withCode, ...(interviewer && privately ? { private: true } : {}) });
    setAskedAt(Date.now());
    setText("");
  };
  const insert = (answerId: string, code: string) => {
    if (!editor) return;
    const selection = editor.getSelection();
    if (!selection) return;
    editor.executeEdits("ai-assistant", [{ range: selection, text: code, forceMoveMarkers: true }]);
    editor.focus();
    send({ type: "ai.insert", id: answerId, text: code });
  };

  return (
    <div className="flex h-full flex-col" data-testid="ai-pane">
      <p className="border-b border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900" data-testid="ai-notice">
        {interviewer
          ? "The candidate's conversation is shown here live. Your private questions are not shown to the candidate."
          : "Your interviewers see this conversation with the assistant, and it is part of the interview record."}
        {!on && (interviewer ? " The assistant is off for the candidate in this room." : " The assistant is off in this interview.")}
      </p>
      <ol ref={list} className="min-h-0 flex-1 space-y-3 overflow-auto p-3" aria-live="polite" data-testid="ai-messages">
        {messages.length === 0 && writing.length === 0 && (
          <li className="text-sm text-slate-400">No questions yet. Ask about a language, a library or an error.</li>
        )}
        {messages.map((m) => (
          <Message key={m.id} message={m} onInsert={editor ? insert : undefined}>
            {writing.filter(([, s]) => s.replyTo === m.id).map(([id, s]) => (
              <li key={id} className="rounded-md bg-slate-50 p-2 text-sm" data-testid="ai-streaming">
                <Header name="AI assistant" at={null} note="writing…" />
                <Rendered text={s.text} />
              </li>
            ))}
          </Message>
        ))}
      </ol>
      <form onSubmit={submit} className="space-y-2 border-t border-slate-200 p-3">
        {shownError && (
          <p role="alert" className="text-xs text-red-600" data-testid="ai-error">
            {shownError}
          </p>
        )}
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) submit(e);
          }}
          rows={2}
          maxLength={4000}
          placeholder={canAsk ? "Ask the assistant…" : "The assistant is off"}
          aria-label="Question for the AI assistant"
          disabled={!canAsk}
          className="w-full resize-none rounded-md border border-slate-300 px-2 py-1.5 text-sm disabled:bg-slate-100"
        />
        <div className="flex flex-wrap items-center gap-3 text-xs text-slate-600">
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={withCode} onChange={(e) => setWithCode(e.target.checked)} /> Include the current code
          </label>
          {interviewer && (
            <label className="flex items-center gap-1">
              <input type="checkbox" checked={privately} onChange={(e) => setPrivately(e.target.checked)} /> Ask privately
            </label>
          )}
          <button type="submit" disabled={!canAsk || !text.trim()} className="ml-auto rounded-md bg-indigo-600 px-3 py-1 text-sm font-medium text-white disabled:opacity-50">
            Ask
          </button>
        </div>
      </form>
    </div>
  );
}

function Message({ message, onInsert, children }: { message: AiMessage; onInsert?: (id: string, code: string) => void; children?: React.ReactNode }) {
  const mine = message.role === "user";
  const note = [message.private ? "private" : "", message.include_code ? "with the code" : "", message.status !== "ok" ? message.status : ""].filter(Boolean).join(" · ");
  return (
    <>
      <li className={`rounded-md p-2 text-sm ${mine ? "bg-indigo-50" : message.status === "ok" ? "bg-slate-50" : "bg-red-50"}`} data-testid={mine ? "ai-question" : "ai-answer"}>
        <Header name={mine ? message.author.name : "AI assistant"} at={message.at} note={note} />
        {mine ? <p className="whitespace-pre-wrap">{message.text}</p> : <Rendered text={message.text} onInsert={onInsert ? (code) => onInsert(message.id, code) : undefined} />}
        {message.error && <p className="mt-1 text-xs text-red-700">{message.error}</p>}
      </li>
      {children}
    </>
  );
}

function Header({ name, at, note }: { name: string; at: string | null; note: string }) {
  return (
    <p className="mb-1 flex gap-2 text-xs text-slate-500">
      <span className="font-semibold text-slate-700">{name}</span>
      {at && <span>{formatClock(at)}</span>}
      {note && <span className="italic">{note}</span>}
    </p>
  );
}

/** Markdown as the pane shows it: paragraphs as written, fenced code blocks as code. */
export function Rendered({ text, onInsert }: { text: string; onInsert?: (code: string) => void }) {
  const parts = splitFences(text);
  return (
    <div className="space-y-1">
      {parts.map((part, i) =>
        part.code === null ? (
          <p key={i} className="whitespace-pre-wrap">
            {part.text}
          </p>
        ) : (
          <div key={i} className="overflow-hidden rounded border border-slate-200">
            <pre className="overflow-auto bg-slate-900 p-2 text-xs text-slate-100">{part.code}</pre>
            {onInsert && (
              <button type="button" className="w-full bg-slate-100 px-2 py-0.5 text-left text-xs text-indigo-700 hover:bg-slate-200" onClick={() => onInsert(part.code ?? "")}>
                Insert at cursor
              </button>
            )}
          </div>
        ),
      )}
    </div>
  );
}

/** Text and fenced code blocks, in order (an unclosed fence, still streaming, is code). */
export function splitFences(text: string): { text: string; code: string | null }[] {
  const out: { text: string; code: string | null }[] = [];
  const lines = text.split("\n");
  let buf: string[] = [];
  let fence: string | null = null;
  for (const line of lines) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      if (buf.join("\n").trim()) out.push({ text: buf.join("\n"), code: null });
      buf = [];
      fence = m[1] ?? "```";
    } else if (fence !== null && line.trim().startsWith(fence)) {
      out.push({ text: "", code: buf.join("\n") });
      buf = [];
      fence = null;
    } else buf.push(line);
  }
  if (fence !== null) out.push({ text: "", code: buf.join("\n") });
  else if (buf.join("\n").trim()) out.push({ text: buf.join("\n"), code: null });
  return out;
}
