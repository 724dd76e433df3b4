/**
 * The room's live state from the events socket: who is here, chat, runs, the end of the
 * interview, and the WebRTC mesh that rides on its `signal` messages.
 */
import { useCallback, useEffect, useReducer, useRef } from "react";

import { session } from "../api/session";
import type { ChatMessage, PeerRole, Run } from "../api/types";
import { EventsSocket, type EventsStatus } from "../realtime/events";
import { PeerMesh, type RemotePeer, type TrackKind } from "../realtime/mesh";
import type { ActivityMessage, ClientMessage, Peer, ServerMessage } from "../realtime/protocol";
import type { PresentedQuestion } from "../questions/api";
import { aiDelta, aiMessage, initialAi, type AiState } from "../ai/aiState";

export interface LiveRun extends Run {
  live?: boolean;
}

export interface RoomLive {
  status: EventsStatus;
  selfId: string | null;
  role: PeerRole | null;
  peers: Peer[];
  messages: ChatMessage[];
  runs: Record<string, LiveRun>;
  ended: boolean;
  remotes: RemotePeer[];
  /** The server's last complaint about something we sent (e.g. chat too fast), with when. */
  lastError: { message: string; at: number } | null;
  /** The candidate's pastes and tab switches (interviewers only get these), latest last. */
  activity: ActivityMessage[];
  /** The question presented last (`question.presented`), as everyone in the room may see it. */
  presented?: PresentedQuestion | null;
  /** The AI assistant's conversation as it arrives (docs/ai.md). */
  ai: AiState;
}

type Action =
  | { type: "status"; status: EventsStatus }
  | { type: "message"; message: ServerMessage }
  | { type: "mesh"; remotes: RemotePeer[] };

const initial: RoomLive = {
  status: "connecting",
  selfId: null,
  role: null,
  peers: [],
  messages: [],
  runs: {},
  ended: false,
  remotes: [],
  lastError: null,
  activity: [],
  presented: null,
  ai: initialAi,
};

export function roomReducer(state: RoomLive, action: Action): RoomLive {
  switch (action.type) {
    case "status":
      return { ...state, status: action.status };
    case "mesh":
      return { ...state, remotes: action.remotes };
    case "message":
      return applyMessage(state, action.message);
  }
}

function applyMessage(state: RoomLive, message: ServerMessage): RoomLive {
  switch (message.type) {
    case "welcome":
      return { ...state, selfId: message.peer_id, role: message.role, peers: message.peers };
    case "peer.joined":
      return {
        ...state,
        peers: [...state.peers.filter((p) => p.peer_id !== message.peer.peer_id), message.peer],
      };
    case "peer.left":
      return { ...state, peers: state.peers.filter((p) => p.peer_id !== message.peer_id) };
    case "chat.history": {
      // Sent after every welcome, so also after a reconnect: merge, keep order by id.
      const byId = new Map(state.messages.map((m) => [m.id, m]));
      for (const m of message.messages) byId.set(m.id, m);
      return { ...state, messages: [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id)) };
    }
    case "chat.message":
      if (state.messages.some((m) => m.id === message.message.id)) return state;
      return { ...state, messages: [...state.messages, message.message] };
    case "question.presented":
      return { ...state, presented: message.question };
    case "room.ended":
      return { ...state, ended: true };
    case "run.started":
    case "run.finished":
    case "run.tests":
      return {
        ...state,
        runs: {
          ...state.runs,
          [String(message.run.id)]: {
            ...state.runs[String(message.run.id)],
            ...message.run,
            stdout: message.run.stdout ?? state.runs[String(message.run.id)]?.stdout ?? "",
            stderr: message.run.stderr ?? state.runs[String(message.run.id)]?.stderr ?? "",
            live: message.type === "run.started",
          },
        },
      };
    case "run.output": {
      const id = String(message.run_id);
      const run: LiveRun = state.runs[id] ?? { id, status: "running", stdout: "", stderr: "", exit_code: null, live: true };
      return {
        ...state,
        runs: { ...state.runs, [id]: { ...run, [message.stream]: (run[message.stream] ?? "") + message.text } },
      };
    }
    case "error":
      return { ...state, lastError: { message: message.message, at: Date.now() } };
    case "signal":
      return state;
    case "activity":
      return { ...state, activity: [...state.activity.slice(-49), message] };
    case "ai.delta":
      return { ...state, ai: aiDelta(state.ai, message.id, message.reply_to, message.text) };
    case "ai.message":
      return { ...state, ai: aiMessage(state.ai, message.message) };
  }
}

/** `tracks` holds the local camera and microphone tracks, owned by the video panel. */
export function useRoomRealtime(roomId: string, tracks: React.RefObject<Record<TrackKind, MediaStreamTrack | null>>) {
  const [state, dispatch] = useReducer(roomReducer, initial);
  const socketRef = useRef<EventsSocket | null>(null);
  const meshRef = useRef<PeerMesh | null>(null);

  useEffect(() => {
    const mesh = new PeerMesh(
      (to, data) => socketRef.current?.send({ type: "signal", to, data }),
      () => dispatch({ type: "mesh", remotes: mesh.remotes() }),
    );
    const socket = new EventsSocket(roomId, () => session.bearer(), {
      onStatus: (status) => dispatch({ type: "status", status }),
      onMessage: (message) => {
        if (message.type === "welcome") mesh.reset(message.peer_id, message.ice_servers ?? [], message.peers);
        else if (message.type === "peer.joined") mesh.joined(message.peer);
        else if (message.type === "peer.left") mesh.left(message.peer_id);
        else if (message.type === "signal") mesh.signal(message.from, message.data);
        dispatch({ type: "message", message });
      },
    });
    mesh.tracks.audio = tracks.current.audio;
    mesh.tracks.video = tracks.current.video;
    socketRef.current = socket;
    meshRef.current = mesh;
    socket.start();
    const offline = () => socket.suspend();
    const online = () => {
      // The sign-in may have been revoked while offline: find out now, not at the next request.
      void session.verify();
      socket.reconnect();
      mesh.restartIce();
    };
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
      socket.stop();
      mesh.close();
      socketRef.current = null;
      meshRef.current = null;
    };
  }, [roomId, tracks]);

  const send = useCallback((message: ClientMessage) => socketRef.current?.send(message), []);
  return {
    live: state,
    send,
    mesh: meshRef,
    sendChat: (text: string) => socketRef.current?.send({ type: "chat.send", text }),
  };
}
