/** Room chat: history from the API, live messages from the events socket. */
import { useEffect, useRef, useState, type FormEvent } from "react";

import type { ChatMessage } from "../api/types";
import { Avatar } from "../components/ui";
import { personSeed } from "../lib/colors";
import { formatClock } from "../lib/time";

interface Props {
  messages: ChatMessage[];
  onSend: (text: string) => void;
  disabled?: boolean;
  error?: { message: string; at: number } | null;
}

export function ChatPanel({ messages, onSend, disabled, error }: Props) {
  const [text, setText] = useState("");
  const [shownError, setShownError] = useState<string | null>(null);
  useEffect(() => {
    if (!error) return;
    setShownError(error.message);
    const timer = setTimeout(() => setShownError(null), 5000);
    return () => clearTimeout(timer);
  }, [error]);
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [messages.length]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    onSend(value.slice(0, 2000));
    setText("");
  };
  return (
    <div className="flex h-full flex-col">
      <ol ref={list} className="min-h-0 flex-1 space-y-3 overflow-auto px-3 py-3" aria-live="polite" data-testid="chat-messages">
        {messages.length === 0 && <li className="py-8 text-center text-sm text-slate-400">No messages yet. Say hello!</li>}
        {messages.map((m) => (
          <li key={m.id} className="flex gap-2.5">
            <Avatar name={m.author.name} size="sm" seed={personSeed(m.author.role, m.author.name)} />
            <div className="min-w-0">
              <div className="flex items-baseline gap-2">
                <span className="text-xs font-semibold text-slate-800">{m.author.name}</span>
                {m.author.role === "candidate" && <span className="text-[10px] text-amber-700">candidate</span>}
                <time className="text-[10px] text-slate-400" dateTime={m.sent_at}>
                  {formatClock(m.sent_at)}
                </time>
              </div>
              <p className="text-sm break-words whitespace-pre-wrap text-slate-700">{m.text}</p>
            </div>
          </li>
        ))}
      </ol>
      {shownError && (
        <p role="alert" className="border-t border-rose-200 bg-rose-50 px-3 py-1.5 text-xs text-rose-700">
          {shownError}
        </p>
      )}
      <form onSubmit={submit} className="flex gap-2 border-t border-slate-200 p-2">
        <input
          aria-label="Chat message"
          placeholder={disabled ? "Chat is offline…" : "Message everyone…"}
          className="min-w-0 flex-1 rounded-md border-0 px-2.5 py-1.5 text-sm ring-1 ring-slate-300 focus:ring-2 focus:ring-indigo-500 focus:outline-none"
          maxLength={2000}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="rounded-md bg-indigo-600 px-3 text-sm font-medium text-white hover:bg-indigo-500 disabled:bg-indigo-300" disabled={!text.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}
