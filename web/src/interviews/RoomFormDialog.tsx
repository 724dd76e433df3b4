/** Create or edit an interview: candidate, title, schedule, duration, language, questions, co-interviewers. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";

import { addInterviewer, createRoom, directoryQuery, removeInterviewer, roomKeys, updateRoom } from "../api/queries";
import { LANGUAGES, type LanguageId, type Room, type RoomInput, type Schema } from "../api/types";
import { aiStatusQuery } from "../ai/api";
import { Alert, Avatar, Button, Field, inputClass, Modal } from "../components/ui";
import { personSeed } from "../lib/colors";
import { RoomMailStatus } from "../integrations/RoomMailStatus";
import { fromLocalInput, toLocalInput } from "../lib/time";
import { isFullQuestion, questionKeys, roomQuestionsQuery } from "../questions/api";
import { planIds, type QuestionPick } from "../questions/picks";
import { QuestionPicker } from "../questions/QuestionPicker";

const DURATIONS = [30, 45, 60, 90, 120];

/** The candidate's contact fields (integrations: the invitation by email). */
interface CandidateContact {
  candidate_email?: string | null;
  candidate_timezone?: string | null;
  /** The plan: bank questions in order (on edit, only when the picks changed). */
  question_ids?: string[];
}

const TIME_ZONES: string[] = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

export function RoomFormDialog({
  open,
  room,
  onClose,
  onSaved,
}: {
  open: boolean;
  room: Room | null;
  onClose: () => void;
  onSaved: (room: Room) => void;
}) {
  return (
    <Modal open={open} title={room ? "Edit interview" : "New interview"} onClose={onClose} wide>
      {open && <RoomForm key={room?.id ?? "new"} room={room} onClose={onClose} onSaved={onSaved} />}
    </Modal>
  );
}

/** The AI assistant's fields of a room (docs/ai.md). */
type AiFields = Pick<Schema<"RoomCreate">, "ai_assistant" | "ai_prompt">;

function RoomForm({ room, onClose, onSaved }: { room: Room | null; onClose: () => void; onSaved: (room: Room) => void }) {
  const queryClient = useQueryClient();
  const [candidate, setCandidate] = useState(room?.candidate_name ?? "");
  const [title, setTitle] = useState(room?.title ?? "");
  const [scheduled, setScheduled] = useState(toLocalInput(room?.scheduled_at ?? null));
  const [duration, setDuration] = useState(room?.duration_minutes ?? 60);
  const [language, setLanguage] = useState<LanguageId>((room?.language as LanguageId | undefined) ?? "python");
  const [runsEnabled, setRunsEnabled] = useState(room?.runs_enabled ?? true);
  const [autocomplete, setAutocomplete] = useState(room?.autocomplete !== "off");
  const [aiOn, setAiOn] = useState(room?.ai_assistant === "on");
  const [aiPrompt, setAiPrompt] = useState(room?.ai_prompt ?? "");
  const aiServer = useQuery(aiStatusQuery());
  const contact = room as (Room & CandidateContact) | null;
  const [email, setEmail] = useState(contact?.candidate_email ?? "");
  const [zone, setZone] = useState(contact?.candidate_timezone ?? "");
  // The plan as it stands (edit), and the picks once changed here.
  const plan = useQuery({ ...roomQuestionsQuery(room?.id ?? ""), enabled: room !== null });
  const planned: QuestionPick[] = useMemo(
    () =>
      (plan.data ?? [])
        .filter(isFullQuestion)
        .filter((q) => q.question_id !== null)
        .sort((a, b) => a.position - b.position)
        .map((q) => ({ id: q.question_id ?? "", title: q.title, difficulty: q.difficulty, presented: q.presented_at !== null })),
    [plan.data],
  );
  const [picked, setPicked] = useState<QuestionPick[] | null>(null);
  const picks = picked ?? planned;
  const save = useMutation({
    mutationFn: (input: (RoomInput & CandidateContact & AiFields) | { title: string }) =>
      room ? updateRoom(room.id, "candidate_name" in input ? { ...input, runs_enabled: runsEnabled, autocomplete: autocomplete ? ("on" as const) : ("off" as const) } : input) : createRoom(input as RoomInput),
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: roomKeys.all });
      void queryClient.invalidateQueries({ queryKey: questionKeys.room(saved.id) });
      onSaved(saved);
    },
  });
  const ended = room?.status === "ended";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!candidate.trim()) return;
    const input: RoomInput & CandidateContact & AiFields = {
      candidate_name: candidate.trim(),
      title: title.trim(),
      scheduled_at: fromLocalInput(scheduled),
      duration_minutes: duration,
      language,
      // Integrations: the invitation (and its calendar file) goes to this address.
      candidate_email: email.trim() || null,
      candidate_timezone: zone.trim() || null,
      question_ids: planIds(picks, planned),
      // The AI assistant (docs/ai.md): on for the candidate, and the room's own instructions.
      ai_assistant: aiOn ? "on" : "off",
      ai_prompt: aiPrompt.trim(),
    };
    if (ended && room) {
      // Only the title of an ended interview can change.
      save.mutate({ title: input.title });
      return;
    }
    save.mutate(input);
  };

  return (
    <form onSubmit={submit} className="space-y-4" aria-label={room ? "Edit interview" : "New interview"}>
      {save.error && <Alert>{save.error.message}</Alert>}
      {ended && <Alert tone="info">This interview has ended; only its title can change.</Alert>}
      <div className="grid grid-cols-2 gap-4">
        <Field label="Candidate name">
          {(id) => (
            <input
              id={id}
              name="candidate_name"
              className={inputClass}
              required
              autoFocus
              maxLength={100}
              disabled={ended}
              value={candidate}
              onChange={(e) => setCandidate(e.target.value)}
            />
          )}
        </Field>
        <Field label="Title" hint="Optional, e.g. “Backend, round 2”">
          {(id) => (
            <input id={id} name="title" className={inputClass} maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
          )}
        </Field>
        <Field label="Scheduled for" hint="Leave empty to start any time">
          {(id) => (
            <input
              id={id}
              name="scheduled_at"
              type="datetime-local"
              className={inputClass}
              disabled={ended}
              value={scheduled}
              onChange={(e) => setScheduled(e.target.value)}
            />
          )}
        </Field>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Duration">
            {(id) => (
              <select
                id={id}
                name="duration_minutes"
                className={inputClass}
                disabled={ended}
                value={duration}
                onChange={(e) => setDuration(Number(e.target.value))}
              >
                {[...new Set([...DURATIONS, duration])].sort((a, b) => a - b).map((d) => (
                  <option key={d} value={d}>
                    {d} min
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Language">
            {(id) => (
              <select
                id={id}
                name="language"
                className={inputClass}
                disabled={ended}
                value={language}
                onChange={(e) => setLanguage(e.target.value as LanguageId)}
              >
                {LANGUAGES.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      </div>
      <div className="grid grid-cols-2 gap-4">
        <Field label="Candidate email" hint="Optional: the invitation and calendar file are emailed here">
          {(id) => (
            <input
              id={id}
              name="candidate_email"
              type="email"
              className={inputClass}
              maxLength={254}
              disabled={ended}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Candidate's time zone" hint="Optional, e.g. Europe/Paris: the invitation shows the time there">
          {(id) => (
            <>
              <input
                id={id}
                name="candidate_timezone"
                list={`${id}-zones`}
                className={inputClass}
                maxLength={64}
                disabled={ended}
                value={zone}
                onChange={(e) => setZone(e.target.value)}
              />
              <datalist id={`${id}-zones`}>
                {TIME_ZONES.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      </div>
      {!ended && (room === null || plan.isSuccess) && <QuestionPicker picks={picks} onChange={setPicked} />}
      {room && !ended && plan.error && <Alert>The room's questions could not be loaded: {plan.error.message}</Alert>}
      {room && !ended && (
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            name="runs_enabled"
            className="h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
            checked={runsEnabled}
            onChange={(e) => setRunsEnabled(e.target.checked)}
          />
          Allow running code in this room
        </label>
      )}
      {room && !ended && (
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            name="autocomplete"
            className="h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
            checked={autocomplete}
            onChange={(e) => setAutocomplete(e.target.checked)}
          />
          Autocomplete for the candidate (errors stay underlined either way)
        </label>
      )}
      {!ended && aiServer.data?.enabled && (
        <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              name="ai_assistant"
              className="h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
              checked={aiOn}
              onChange={(e) => setAiOn(e.target.checked)}
            />
            Let the candidate use the AI assistant ({aiServer.data.model}); you see the conversation
          </label>
          {aiOn && (
            <textarea
              name="ai_prompt"
              aria-label="Instructions to the assistant for this room"
              placeholder="Instructions for this room, e.g. Explain, don't hand over full solutions."
              maxLength={2000}
              rows={2}
              className={inputClass}
              value={aiPrompt}
              onChange={(e) => setAiPrompt(e.target.value)}
            />
          )}
        </fieldset>
      )}
      {room && (room.my_role === "owner" || room.my_role === "lead") && !ended && <CoInterviewers room={room} />}
      {room && <RoomMailStatus roomId={room.id} />}
      <div className="flex justify-end gap-2 border-t border-slate-200 pt-4">
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="primary" busy={save.isPending} disabled={!candidate.trim()}>
          {room ? "Save changes" : "Create interview"}
        </Button>
      </div>
    </form>
  );
}

function CoInterviewers({ room }: { room: Room }) {
  const queryClient = useQueryClient();
  const [q, setQ] = useState("");
  const [current, setCurrent] = useState(room);
  const directory = useQuery({ ...directoryQuery(q), enabled: q.trim().length > 0 });
  const change = useMutation({
    mutationFn: ({ id, add }: { id: number; add: boolean }) => (add ? addInterviewer(room.id, id) : removeInterviewer(room.id, id)),
    onSuccess: (saved) => {
      setCurrent(saved);
      setQ("");
      void queryClient.invalidateQueries({ queryKey: roomKeys.all });
    },
  });
  const taken = new Set([current.owner.id, ...current.interviewers.map((p) => p.id)]);
  return (
    <div className="space-y-2">
      <div className="text-sm font-medium text-slate-700">Co-interviewers</div>
      {change.error && <Alert>{change.error.message}</Alert>}
      <ul className="flex flex-wrap gap-2">
        {current.interviewers.length === 0 && <li className="text-sm text-slate-500">None yet.</li>}
        {current.interviewers.map((p) => (
          <li key={p.id} className="inline-flex items-center gap-2 rounded-full bg-slate-100 py-1 pr-2 pl-1 text-sm">
            <Avatar name={p.name} size="sm" seed={personSeed("interviewer", p.name)} />
            {p.name}
            <button
              type="button"
              className="text-slate-400 hover:text-rose-600"
              aria-label={`Remove ${p.name}`}
              onClick={() => change.mutate({ id: p.id, add: false })}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        className={inputClass}
        placeholder="Add a colleague by name or email…"
        aria-label="Find a colleague"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      {q.trim() && (
        <ul className="max-h-40 overflow-auto rounded-md ring-1 ring-slate-200">
          {directory.isLoading && <li className="px-3 py-2 text-sm text-slate-500">Searching…</li>}
          {directory.data?.filter((p) => !taken.has(p.id)).map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className="flex w-full items-center gap-2 px-3 py-2 text-left text-sm hover:bg-slate-50"
                onClick={() => change.mutate({ id: p.id, add: true })}
              >
                <Avatar name={p.name} size="sm" seed={personSeed("interviewer", p.name)} />
                <span className="font-medium">{p.name}</span>
                <span className="text-slate-500">{p.email}</span>
              </button>
            </li>
          ))}
          {directory.data && directory.data.filter((p) => !taken.has(p.id)).length === 0 && (
            <li className="px-3 py-2 text-sm text-slate-500">No one else matches.</li>
          )}
        </ul>
      )}
    </div>
  );
}
