/** The interview room: editor, video, chat, notes, presence, timer and runs on one screen. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, Navigate, useLocation, useNavigate, useParams } from "react-router";

import { ApiError } from "../api/client";
import { TakeHomeRoom } from "../assessments/TakeHomeRoom";
import { endRoom, messagesQuery, roomKeys, roomQuery } from "../api/queries";
import type { ChatMessage, PeerRole, Room } from "../api/types";
import { useSession } from "../api/useSession";
import { Logo } from "../components/AppShell";
import { Avatar, Button, ConfirmDialog, FullPageSpinner, onTabListKeys } from "../components/ui";
import { copyText } from "../lib/clipboard";
import { personColor, personSeed } from "../lib/colors";
import type { TrackKind } from "../realtime/mesh";
import { DOC_FULL } from "../realtime/ydoc";
import { ChatPanel } from "./ChatPanel";
import { CodeEditor, LanguagePicker } from "./CodeEditor";
import { ConnectionBadge } from "./ConnectionBadge";
import { InterviewTimer } from "./InterviewTimer";
import { RunPanel } from "./RunPanel";
import { QuestionsPanel } from "../questions/QuestionsPanel";
import { PreviewPane } from "../projects/PreviewPane";
import { usePreviewable } from "../projects/usePreviewable";
import { useRoomDoc } from "./useRoomDoc";
import { useRoomRealtime } from "./useRoomRealtime";
import { VideoPanel } from "./VideoPanel";
import { ScorecardForm } from "../reports/ScorecardForm";
import { useTitle } from "../lib/useTitle";
import { watchFocus, watchPastes } from "../record/activity";
import { ActivityIndicator } from "../record/ActivityIndicator";
import { RecordingNotice } from "../record/RecordingNotice";
import type { monaco } from "./monaco";
import { AiPane } from "../ai/AiPane";
import { aiStatusQuery } from "../ai/api";

// TipTap is only for interviewers: a candidate's browser never downloads the notes editor.
const NotesPanel = lazy(() => import("./NotesPanel").then((m) => ({ default: m.NotesPanel })));
// Excalidraw is large: its chunk and the board's socket load when the Board tab first opens.
const BoardPanel = lazy(() => import("./BoardPanel").then((m) => ({ default: m.BoardPanel })));
// xterm.js loads, and the shell starts, when the Terminal tab first opens (docs/terminal.md).
const TerminalPanel = lazy(() => import("../terminal/TerminalPanel").then((m) => ({ default: m.TerminalPanel })));

export interface Identity {
  name: string;
  role: PeerRole;
  color: string;
  interviewer: boolean;
}

export default function RoomPage() {
  const { roomId = "" } = useParams();
  const state = useSession();
  const location = useLocation();
  if (state.kind === "loading") return <FullPageSpinner label="Opening the interview room…" />;
  if (state.kind === "candidate") {
    if (state.candidate.room_id !== roomId) return <Closing title="This is not your interview room" text="Use the invite link you were sent." />;
    const identity: Identity = { name: state.candidate.name, role: "candidate", color: personColor("candidate", state.candidate.name), interviewer: false };
    return <RoomScreen roomId={roomId} identity={identity} storage={sessionStorage} />;
  }
  if (state.kind === "anonymous") {
    const params = new URLSearchParams({ next: location.pathname });
    if (state.reason === "expired") params.set("expired", "1");
    return <Navigate to={`/login?${params}`} replace />;
  }
  const { user } = state;
  const identity: Identity = { name: user.name, role: user.role, color: personColor(user.role, user.name), interviewer: true };
  return <RoomScreen roomId={roomId} identity={identity} storage={localStorage} />;
}

/** A server's close reason ("the code is over its size cap") as a sentence. */
function sentence(reason: string): string {
  const text = reason.trim().replace(/\.$/, "");
  return text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}.` : "";
}

function Closing({ title, text, reload = false }: { title: string; text: string; reload?: boolean }) {
  return (
    <div className="flex min-h-full flex-col items-center justify-center gap-4 bg-slate-50 p-8 text-center" data-testid="closing-screen">
      <Logo className="text-xl" />
      <h1 className="text-2xl font-semibold text-slate-900">{title}</h1>
      <p className="max-w-md text-sm text-slate-500">{text}</p>
      {reload && <Button onClick={() => window.location.reload()}>Reload</Button>}
    </div>
  );
}

function RoomScreen({ roomId, identity, storage }: { roomId: string; identity: Identity; storage: Storage }) {
  const room = useQuery({ ...roomQuery(roomId), retry: false });
  if (room.isLoading) return <FullPageSpinner label="Opening the interview room…" />;
  if (room.error || !room.data) {
    const status = room.error instanceof ApiError ? room.error.status : 0;
    if (!identity.interviewer && (status === 401 || status === 403 || status === 410)) {
      // The candidate's token dies with the interview: this is the end, not a sign-in problem.
      return <Closing title="This interview has ended" text="Thank you for your time. You can close this tab." />;
    }
    return (
      <div className="flex min-h-full flex-col items-center justify-center gap-3 p-8 text-center">
        <h1 className="text-xl font-semibold text-slate-900">{status === 404 || status === 403 ? "Room not found" : "Could not open the room"}</h1>
        <p className="text-sm text-slate-500">{room.error?.message}</p>
        {identity.interviewer && (
          <Link to="/" className="text-sm font-medium text-indigo-600">
            Back to interviews
          </Link>
        )}
      </div>
    );
  }
  if (!identity.interviewer && room.data.kind === "take_home") {
    // A take-home: the candidate works alone, on the server's clock (docs/take-home.md).
    return <TakeHomeRoom room={room.data} identity={identity} />;
  }
  if (!identity.interviewer && room.data.status === "ended") {
    return <Closing title="This interview has ended" text="Thank you for your time. You can close this tab." />;
  }
  return <Workspace room={room.data} identity={identity} storage={storage} />;
}

type Tab = "chat" | "questions" | "ai" | "notes" | "scorecard" | "people";

function Workspace({ room, identity, storage }: { room: Room | Omit<Room, "owner" | "interviewers" | "invite_token" | "invite_url" | "my_role" | "created_at" | "started_at" | "ended_at" | "ai_prompt"> & Partial<Room>; identity: Identity; storage: Storage }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const tracks = useRef<Record<TrackKind, MediaStreamTrack | null>>({ audio: null, video: null });
  const runRef = useRef<(() => void) | null>(null);
  const { live, mesh, sendChat, send } = useRoomRealtime(room.id, tracks);
  const [editor, setEditor] = useState<monaco.editor.IStandaloneCodeEditor | null>(null);
  const awarenessUser = useMemo(() => ({ name: identity.name, color: identity.color, role: identity.role }), [identity]);
  const code = useRoomDoc(room.id, "code", awarenessUser, storage);
  const previewable = usePreviewable(code.doc?.doc ?? null) && room.runs_enabled;
  const notes = useRoomDoc(room.id, "notes", awarenessUser, localStorage, identity.interviewer);
  const history = useQuery(messagesQuery(room.id));
  const [tab, setTab] = useState<Tab>("chat");
  const [language, setLanguage] = useState(room.language);
  const [confirmEnd, setConfirmEnd] = useState(false);
  const [ending, setEnding] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const [seen, setSeen] = useState(0);
  const [showRuns, setShowRuns] = useState(true);
  const [view, setView] = useState<"code" | "board" | "terminal">("code");
  const [boardOpened, setBoardOpened] = useState(false);
  const [showPreview, setShowPreview] = useState(false);
  const [terminalOpened, setTerminalOpened] = useState(false);
  const ended = live.ended || room.status === "ended";
  // Language servers (web/src/intellisense): the candidate gets diagnostics only when the room has autocomplete off.
  const autocompleteOff = identity.role === "candidate" && room.autocomplete === "off";
  const intellisense = useMemo(() => (ended ? undefined : { roomId: room.id, assists: !autocompleteOff }), [ended, room.id, autocompleteOff]);
  // The AI pane: the candidate's when the room has the assistant on; interviewers' whenever the
  // server has a model (they see the candidate's conversation and may ask privately).
  const aiServer = useQuery(aiStatusQuery());
  const aiOn = room.ai_assistant === "on";
  const showAi = (aiServer.data?.enabled ?? false) && (aiOn || identity.interviewer);
  useTitle(ended ? "Interview ended" : `Interview with ${room.candidate_name}`);

  const messages = useMemo(() => {
    const all: ChatMessage[] = [...(history.data ?? [])];
    const ids = new Set(all.map((m) => m.id));
    for (const m of live.messages) if (!ids.has(m.id)) all.push(m);
    return all;
  }, [history.data, live.messages]);

  useEffect(() => {
    if (tab === "chat") setSeen(messages.length);
  }, [tab, messages.length]);
  const unread = tab === "chat" ? 0 : Math.max(0, messages.length - seen);

  useEffect(() => {
    // Only interviewers refetch: a candidate's token stops working when the interview ends.
    if (live.ended && identity.interviewer) void queryClient.invalidateQueries({ queryKey: roomKeys.all });
  }, [live.ended, identity.interviewer, queryClient]);

  // The interview starts when the candidate first joins: fetch the room again for its start time.
  const candidateHere = live.peers.some((p) => p.role === "candidate");
  const needsStart = identity.interviewer && candidateHere && !room.started_at;
  useEffect(() => {
    if (needsStart) void queryClient.invalidateQueries({ queryKey: roomKeys.detail(room.id) });
  }, [needsStart, room.id, queryClient]);

  const onLanguage = useCallback((value: string) => setLanguage(value), []);
  // A question just presented: everyone's side panel shows it.
  useEffect(() => {
    if (live.presented) setTab("questions");
  }, [live.presented]);
  // The candidate's browser tells interviewers about pastes and tab switches (they are told so).
  useEffect(() => {
    if (identity.interviewer || ended || !editor) return;
    return watchPastes(editor, send);
  }, [identity.interviewer, ended, editor, send]);
  useEffect(() => {
    if (identity.interviewer || ended) return;
    return watchFocus(send);
  }, [identity.interviewer, ended, send]);

  if (ended && !identity.interviewer) {
    return <Closing title="The interview has ended" text="Thank you for your time. Your interviewers will be in touch. You can close this tab." />;
  }
  if (!identity.interviewer && code.state.closed?.code === DOC_FULL) {
    return (
      <Closing
        title="Your last change was too large to save"
        text={`${sentence(code.state.closed.reason) || "The code is over its size limit."} Everything before it is saved: reload the page to go on from there.`}
        reload
      />
    );
  }
  if (!identity.interviewer && (live.status === "refused" || code.state.status === "refused")) {
    // A candidate's access ends only with the interview or a new invite link.
    return (
      <Closing
        title="You are no longer connected to this interview"
        text="The interview may have ended, or your invite link was replaced. Ask your interviewer for a new link if you need to rejoin."
      />
    );
  }

  const end = async () => {
    setEnding({ busy: true, error: null });
    try {
      await endRoom(room.id);
      setConfirmEnd(false);
      setEnding({ busy: false, error: null });
      void queryClient.invalidateQueries({ queryKey: roomKeys.all });
      void navigate(`/rooms/${room.id}/scorecard`); // the interviewer writes their scorecard next
    } catch (error) {
      setEnding({ busy: false, error: error instanceof Error ? error.message : "Could not end the interview." });
    }
  };

  const others = live.peers.filter((p) => p.peer_id !== live.selfId);
  const stateOf = new Map(live.remotes.map((r) => [r.peer.peer_id, r.state]));

  return (
    <div className="flex h-screen flex-col bg-slate-950 text-slate-100">
      <header className="flex h-12 shrink-0 items-center gap-4 border-b border-slate-800 px-4">
        {identity.interviewer ? (
          <Link to="/" className="flex items-center gap-2 text-sm font-semibold text-slate-100" aria-label="Back to interviews">
            <img src="/favicon.svg" alt="" className="h-6 w-6" />
          </Link>
        ) : (
          <img src="/favicon.svg" alt="CodePair" className="h-6 w-6" />
        )}
        <div className="min-w-0">
          <div className="truncate text-sm font-semibold">{room.title || `Interview with ${room.candidate_name}`}</div>
          <div className="truncate text-[11px] text-slate-400">Candidate: {room.candidate_name}</div>
        </div>
        <InterviewTimer startedAt={room.started_at ?? null} scheduledAt={room.scheduled_at} durationMinutes={room.duration_minutes} ended={ended} />
        {!ended && <ConnectionBadge events={live.status} code={code.state} notes={identity.interviewer ? notes.state : null} />}
        {identity.interviewer ? <ActivityIndicator items={live.activity} /> : <RecordingNotice compact />}
        <div className="ml-auto flex items-center gap-1.5" aria-label="People in the room" data-testid="presence">
          <span title={`${identity.name} (you)`}>
            <Avatar name={identity.name} size="sm" seed={personSeed(identity.role, identity.name)} />
          </span>
          {others.map((p) => (
            <span key={p.peer_id} title={`${p.name} · ${p.role}`} className="relative">
              <Avatar name={p.name} size="sm" seed={personSeed(p.role, p.name)} />
              <span
                className={`absolute -right-0.5 -bottom-0.5 h-2 w-2 rounded-full ring-2 ring-slate-950 ${stateOf.get(p.peer_id) === "connected" ? "bg-emerald-400" : "bg-amber-400"}`}
              />
            </span>
          ))}
        </div>
        {identity.interviewer && !ended && "invite_url" in room && room.invite_url && <CopyInvite url={room.invite_url} />}
        {identity.interviewer && !ended && (
          <Button variant="danger" size="sm" onClick={() => setConfirmEnd(true)}>
            End interview
          </Button>
        )}
        {identity.interviewer && ended && <span className="rounded bg-slate-800 px-2 py-1 text-xs text-slate-300">Interview ended</span>}
        {identity.interviewer && ended && (
          <Link to={`/rooms/${room.id}/replay`} className="rounded bg-indigo-600 px-2.5 py-1 text-xs font-medium text-white hover:bg-indigo-500" data-testid="open-replay">
            Open replay
          </Link>
        )}
      </header>

      <div className="flex min-h-0 flex-1">
        <main className="flex min-w-0 flex-1 flex-col">
          <div className="flex h-10 shrink-0 items-center gap-3 border-b border-slate-800 px-3">
            <div role="tablist" aria-label="Workspace" className="flex gap-1" onKeyDown={onTabListKeys}>
              {(["code", "board", "terminal"] as const).map((v) => (
                <button
                  key={v}
                  type="button"
                  role="tab"
                  aria-selected={view === v}
                  tabIndex={view === v ? 0 : -1}
                  onClick={() => {
                    setView(v);
                    if (v === "board") setBoardOpened(true);
                    if (v === "terminal") setTerminalOpened(true);
                  }}
                  className={`rounded px-2.5 py-1 text-xs font-medium ${view === v ? "bg-slate-700 text-white" : "text-slate-400 hover:text-slate-200"}`}
                >
                  {v === "code" ? "Code" : v === "board" ? "Board" : "Terminal"}
                </button>
              ))}
            </div>
            <div className={view === "code" ? "contents" : "hidden"}>
              <LanguagePicker roomDoc={code.doc} language={language} disabled={ended} />
              <span className="text-xs text-slate-500">Everyone in the room edits this file together.</span>
              {previewable && (
                <button type="button" className={`ml-auto rounded px-2 py-0.5 text-xs font-medium ${showPreview ? "bg-indigo-600 text-white" : "text-slate-300 ring-1 ring-slate-700 hover:text-white"}`} onClick={() => setShowPreview((v) => !v)} aria-pressed={showPreview}>
                  Preview
                </button>
              )}
              <button type="button" className={`${previewable ? "" : "ml-auto "}text-xs text-slate-400 hover:text-slate-200`} onClick={() => setShowRuns((v) => !v)} aria-expanded={showRuns}>
                {showRuns ? "Hide output" : "Show output"}
              </button>
            </div>
            {view === "board" && <span className="text-xs text-slate-500">Everyone in the room draws on this board together.</span>}
          </div>
          {boardOpened && (
            <div className={view === "board" ? "min-h-0 flex-1" : "hidden"} role="tabpanel" aria-label="Board">
              <Suspense fallback={<FullPageSpinner label="Loading the board…" />}>
                <BoardPanel roomId={room.id} user={awarenessUser} storage={storage} readOnly={ended} />
              </Suspense>
            </div>
          )}
          {terminalOpened && (
            <div className={view === "terminal" ? "min-h-0 flex-1" : "hidden"} role="tabpanel" aria-label="Terminal">
              <Suspense fallback={<FullPageSpinner label="Loading the terminal…" />}>
                <TerminalPanel roomId={room.id} interviewer={identity.interviewer} ended={ended} />
              </Suspense>
            </div>
          )}
          <div className={view === "code" ? "flex min-h-0 flex-1" : "hidden"}>
            <div className="min-h-0 min-w-0 flex-1">
              {code.doc ? (
                <CodeEditor roomDoc={code.doc} defaultLanguage={room.language} seedLanguage={identity.interviewer} onLanguage={onLanguage} onEditor={setEditor} readOnly={ended} runRef={runRef} intellisense={intellisense} />
              ) : (
                <FullPageSpinner label="Loading the editor…" />
              )}
            </div>
            {previewable && showPreview && code.doc && (
              <div className="min-h-0 w-1/2 shrink-0 border-l border-slate-800">
                <PreviewPane roomId={room.id} doc={code.doc.doc} />
              </div>
            )}
          </div>
          {showRuns && (
            <div className={view === "code" ? "h-52 shrink-0 border-t border-slate-800 bg-slate-900" : "hidden"}>
              <RunPanel roomId={room.id} language={language} liveRuns={live.runs} enabled={room.runs_enabled && !ended} runRef={runRef} />
            </div>
          )}
        </main>

        <aside className="flex w-[380px] shrink-0 flex-col border-l border-slate-800 bg-slate-900">
          <div className="p-3">
            <VideoPanel selfName={identity.name} selfRole={identity.role} peers={live.peers} selfId={live.selfId} remotes={live.remotes} mesh={mesh} tracks={tracks} />
          </div>
          <div role="tablist" aria-label="Side panels" className="flex overflow-x-auto border-y border-slate-800 px-1 [scrollbar-width:thin]" onKeyDown={onTabListKeys}>
            <TabButton id="chat" tab={tab} setTab={setTab}>
              Chat
              {unread > 0 && (
                <span className="ml-1.5 rounded-full bg-indigo-500 px-1.5 text-[10px] font-semibold text-white" data-testid="unread">
                  {unread}
                </span>
              )}
            </TabButton>
            <TabButton id="questions" tab={tab} setTab={setTab}>
              Questions
            </TabButton>
            {showAi && (
              <TabButton id="ai" tab={tab} setTab={setTab}>
                AI
              </TabButton>
            )}
            {identity.interviewer && (
              <TabButton id="notes" tab={tab} setTab={setTab}>
                Notes
              </TabButton>
            )}
            {identity.interviewer && (
              <TabButton id="scorecard" tab={tab} setTab={setTab}>
                Scorecard
              </TabButton>
            )}
            <TabButton id="people" tab={tab} setTab={setTab}>
              People ({others.length + 1})
            </TabButton>
          </div>
          <div className="min-h-0 flex-1 bg-white text-slate-900">
            <div className={tab === "chat" ? "h-full" : "hidden"} role="tabpanel" aria-label="Chat">
              <ChatPanel messages={messages} onSend={sendChat} disabled={live.status !== "connected"} error={live.lastError} />
            </div>
            <div className={tab === "questions" ? "h-full" : "hidden"} role="tabpanel" aria-label="Questions">
              <QuestionsPanel roomId={room.id} interviewer={identity.interviewer} presented={live.presented ?? null} liveRuns={live.runs} language={language} runsEnabled={room.runs_enabled} ended={ended} />
            </div>
            {showAi && (
              <div className={tab === "ai" ? "h-full" : "hidden"} role="tabpanel" aria-label="AI assistant">
                <AiPane roomId={room.id} interviewer={identity.interviewer} on={aiOn} ai={live.ai} send={send} editor={editor} error={live.lastError} disabled={ended || live.status !== "connected"} />
              </div>
            )}
            {identity.interviewer && notes.doc && (
              <div className={tab === "notes" ? "h-full" : "hidden"} role="tabpanel" aria-label="Notes" data-testid="notes-panel">
                <Suspense fallback={<FullPageSpinner label="Loading notes…" />}>
                  <NotesPanel roomDoc={notes.doc} user={awarenessUser} />
                </Suspense>
              </div>
            )}
            {identity.interviewer && tab === "scorecard" && (
              <div className="h-full overflow-auto" role="tabpanel" aria-label="Scorecard" data-testid="scorecard-panel">
                <ScorecardForm roomId={room.id} compact />
              </div>
            )}
            {tab === "people" && (
              <ul className="divide-y divide-slate-100" role="tabpanel" aria-label="People">
                <PersonRow name={identity.name} you role={identity.role} state="connected" />
                {others.map((p) => (
                  <PersonRow key={p.peer_id} name={p.name} role={p.role} state={stateOf.get(p.peer_id) ?? "new"} />
                ))}
              </ul>
            )}
          </div>
        </aside>
      </div>
      <ConfirmDialog
        open={confirmEnd}
        title="End the interview?"
        message={<p>{room.candidate_name} will see a closing screen and the invite link stops working. Code, notes and chat are kept.</p>}
        confirmLabel="End interview"
        busy={ending.busy}
        error={ending.error}
        onConfirm={() => void end()}
        onClose={() => setConfirmEnd(false)}
      />
    </div>
  );
}

function CopyInvite({ url }: { url: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="rounded-md px-2.5 py-1 text-xs font-medium text-slate-300 ring-1 ring-slate-700 hover:bg-slate-800"
      onClick={() => {
        void copyText(url).then((ok) => {
          if (!ok) window.prompt("Copy the invite link:", url);
          setCopied(ok);
          setTimeout(() => setCopied(false), 2000);
        });
      }}
    >
      {copied ? "Copied" : "Copy invite link"}
    </button>
  );
}

function TabButton({ id, tab, setTab, children }: { id: Tab; tab: Tab; setTab: (tab: Tab) => void; children: React.ReactNode }) {
  return (
    <button
      type="button"
      role="tab"
      aria-selected={tab === id}
      tabIndex={tab === id ? 0 : -1}
      onClick={() => setTab(id)}
      className={`-mb-px shrink-0 border-b-2 px-2 py-2 text-[13px] font-medium whitespace-nowrap ${tab === id ? "border-indigo-400 text-white" : "border-transparent text-slate-400 hover:text-slate-200"}`}
    >
      {children}
    </button>
  );
}

function PersonRow({ name, role, state, you = false }: { name: string; role: string; state: string; you?: boolean }) {
  return (
    <li className="flex items-center gap-3 px-3 py-2.5">
      <Avatar name={name} size="sm" seed={personSeed(role, name)} />
      <div className="min-w-0 flex-1">
        <div className="truncate text-sm font-medium">
          {name}
          {you && <span className="ml-1 text-xs text-slate-400">(you)</span>}
        </div>
        <div className="text-xs text-slate-500 capitalize">{role}</div>
      </div>
      <span className={`text-xs ${state === "connected" ? "text-emerald-600" : "text-amber-600"}`}>{state === "connected" ? "Connected" : "Connecting…"}</span>
    </li>
  );
}
