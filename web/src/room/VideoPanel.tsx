/** Local and remote video tiles with mute, camera, device picker and screen sharing. */
import { useCallback, useEffect, useRef, useState } from "react";

import { Avatar } from "../components/ui";
import { personSeed } from "../lib/colors";
import { constraints, listDevices, mediaProblem, openMedia, PROBLEM_TEXT, readMediaChoice, saveMediaChoice, type MediaProblem } from "../lib/media";
import type { PeerMesh, RemotePeer, TrackKind } from "../realtime/mesh";
import type { Peer } from "../realtime/protocol";

interface Props {
  selfName: string;
  selfRole: string;
  peers: Peer[];
  selfId: string | null;
  remotes: RemotePeer[];
  mesh: React.RefObject<PeerMesh | null>;
  tracks: React.RefObject<Record<TrackKind, MediaStreamTrack | null>>;
}

export function VideoPanel({ selfName, selfRole, peers, selfId, remotes, mesh, tracks }: Props) {
  const [choice, setChoice] = useState(readMediaChoice);
  const [problem, setProblem] = useState<MediaProblem | null>(null);
  const [starting, setStarting] = useState(true);
  const [local, setLocal] = useState<MediaStream | null>(null);
  const [sharing, setSharing] = useState(false);
  const [devices, setDevices] = useState<{ audio: MediaDeviceInfo[]; video: MediaDeviceInfo[] }>({ audio: [], video: [] });
  const [showDevices, setShowDevices] = useState(false);
  const camera = useRef<MediaStreamTrack | null>(null);

  const publish = useCallback(
    (kind: TrackKind, track: MediaStreamTrack | null) => {
      tracks.current[kind] = track;
      void mesh.current?.setTrack(kind, track);
      setLocal(new MediaStream([tracks.current.audio, tracks.current.video].filter((t): t is MediaStreamTrack => t !== null)));
    },
    [mesh, tracks],
  );

  const start = useCallback(async () => {
    setStarting(true);
    const current = readMediaChoice();
    const result = await openMedia(current);
    setStarting(false);
    setProblem(result.problem);
    const audio = result.stream?.getAudioTracks()[0] ?? null;
    const video = result.stream?.getVideoTracks()[0] ?? null;
    if (audio) audio.enabled = current.micOn;
    camera.current = video;
    if (video && !current.camOn) video.stop();
    publish("audio", audio);
    publish("video", video && current.camOn ? video : null);
    if (result.stream) setDevices(await listDevices());
  }, [publish]);

  useEffect(() => {
    void start();
    const owned = tracks.current;
    return () => {
      owned.audio?.stop();
      owned.video?.stop();
      camera.current?.stop();
      owned.audio = null;
      owned.video = null;
    };
  }, [start, tracks]);

  const update = (patch: Partial<typeof choice>) => {
    const next = { ...choice, ...patch };
    setChoice(next);
    saveMediaChoice(next);
    return next;
  };

  const toggleMic = () => {
    const next = update({ micOn: !choice.micOn });
    if (tracks.current.audio) tracks.current.audio.enabled = next.micOn;
    mesh.current?.announce();
    setLocal((s) => (s ? new MediaStream(s.getTracks()) : s));
  };

  const openCamera = async (deviceId: string | null): Promise<MediaStreamTrack | null> => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints({ ...choice, videoDeviceId: deviceId }, { audio: false, video: true }));
      return stream.getVideoTracks()[0] ?? null;
    } catch (error) {
      setProblem(mediaProblem(error));
      return null;
    }
  };

  const toggleCamera = async () => {
    if (choice.camOn) {
      update({ camOn: false });
      camera.current?.stop();
      camera.current = null;
      if (!sharing) publish("video", null);
      return;
    }
    const track = await openCamera(choice.videoDeviceId);
    if (!track) return;
    update({ camOn: true });
    camera.current = track;
    if (!sharing) publish("video", track);
  };

  const pickDevice = async (kind: TrackKind, deviceId: string) => {
    update(kind === "audio" ? { audioDeviceId: deviceId } : { videoDeviceId: deviceId });
    if (kind === "video") {
      if (!choice.camOn) return;
      const track = await openCamera(deviceId);
      if (!track) return;
      camera.current?.stop();
      camera.current = track;
      if (!sharing) publish("video", track);
    } else {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
        const track = stream.getAudioTracks()[0] ?? null;
        if (track) track.enabled = choice.micOn;
        tracks.current.audio?.stop();
        publish("audio", track);
      } catch (error) {
        setProblem(mediaProblem(error));
      }
    }
  };

  const toggleShare = async () => {
    if (sharing) {
      tracks.current.video?.stop();
      setSharing(false);
      publish("video", choice.camOn ? camera.current : null);
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const track = stream.getVideoTracks()[0];
      if (!track) return;
      // The browser's own "Stop sharing" button ends the track: fall back to the camera.
      track.onended = () => {
        setSharing(false);
        publish("video", readMediaChoice().camOn ? camera.current : null);
      };
      setSharing(true);
      publish("video", track);
    } catch {
      // The person cancelled the picker: nothing to do.
    }
  };

  const byId = new Map(remotes.map((r) => [r.peer.peer_id, r]));
  const others = peers.filter((p) => p.peer_id !== selfId);

  return (
    <section aria-label="Video" className="space-y-2">
      <div className={`grid gap-2 ${others.length === 0 ? "grid-cols-1" : "grid-cols-2"}`}>
        <Tile name={`${selfName} (you)`} seed={personSeed(selfRole, selfName)} stream={local} mirrored={!sharing} muted local micOff={!choice.micOn} state={null} />
        {others.map((peer) => (
          <Tile
            key={peer.peer_id}
            name={peer.name}
            seed={personSeed(peer.role, peer.name)}
            role={peer.role}
            stream={byId.get(peer.peer_id)?.stream ?? null}
            state={byId.get(peer.peer_id)?.state ?? "new"}
            cameraOff={byId.get(peer.peer_id)?.media?.video === false}
            micOff={byId.get(peer.peer_id)?.media?.audio === false}
          />
        ))}
      </div>
      {problem && !starting && (
        <div role="status" className="rounded-md bg-amber-500/10 px-2.5 py-2 text-xs text-amber-200 ring-1 ring-amber-400/30" data-testid="media-problem">
          {PROBLEM_TEXT[problem]}{" "}
          <button type="button" className="font-semibold underline" onClick={() => void start()}>
            Retry
          </button>
        </div>
      )}
      <div className="flex items-center justify-center gap-2">
        <ControlButton label={choice.micOn ? "Mute microphone" : "Unmute microphone"} off={!choice.micOn} onClick={toggleMic} disabled={!tracks.current.audio}>
          {choice.micOn ? "Mic" : "Muted"}
        </ControlButton>
        <ControlButton label={choice.camOn ? "Turn camera off" : "Turn camera on"} off={!choice.camOn} onClick={() => void toggleCamera()}>
          {choice.camOn ? "Camera" : "Cam off"}
        </ControlButton>
        <ControlButton label={sharing ? "Stop sharing screen" : "Share screen"} off={false} active={sharing} onClick={() => void toggleShare()}>
          {sharing ? "Stop share" : "Share"}
        </ControlButton>
        <ControlButton label="Choose camera and microphone" off={false} active={showDevices} onClick={() => setShowDevices((v) => !v)}>
          Devices
        </ControlButton>
      </div>
      {showDevices && (
        <div className="grid grid-cols-2 gap-2">
          <select
            aria-label="Camera"
            className="rounded-md border-0 bg-slate-800 py-1 text-xs text-slate-100 ring-1 ring-slate-700"
            value={choice.videoDeviceId ?? ""}
            onChange={(e) => void pickDevice("video", e.target.value)}
          >
            <option value="">Default camera</option>
            {devices.video.map((d, i) => (
              <option key={d.deviceId} value={d.deviceId}>
                {d.label || `Camera ${i + 1}`}
              </option>
            ))}
          </select>
          <select
            aria-label="Microphone"
            className="rounded-md border-0 bg-slate-800 py-1 text-xs text-slate-100 ring-1 ring-slate-700"
            value={choice.audioDeviceId ?? ""}
            onChange={(e) => void pickDevice("audio", e.target.value)}
          >
            <option value="">Default microphone</option>
            {devices.audio.map((d, i) => (
              <option key={d.deviceId} value={d.deviceId}>
                {d.label || `Microphone ${i + 1}`}
              </option>
            ))}
          </select>
        </div>
      )}
    </section>
  );
}

function ControlButton({
  label,
  off,
  active,
  onClick,
  disabled,
  children,
}: {
  label: string;
  off: boolean;
  active?: boolean;
  onClick: () => void;
  disabled?: boolean;
  children: React.ReactNode;
}) {
  const tone = off ? "bg-rose-600 text-white hover:bg-rose-500" : active ? "bg-indigo-600 text-white" : "bg-slate-800 text-slate-200 hover:bg-slate-700";
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      aria-pressed={off || active}
      disabled={disabled}
      onClick={onClick}
      className={`rounded-full px-3 py-1.5 text-xs font-medium disabled:opacity-40 ${tone}`}
    >
      {children}
    </button>
  );
}

const STATE_TEXT: Partial<Record<RTCPeerConnectionState, string>> = {
  new: "Connecting…",
  connecting: "Connecting…",
  disconnected: "Reconnecting…",
  failed: "Connection failed",
};

function Tile({
  name,
  seed,
  role,
  stream,
  state,
  muted = false,
  mirrored = false,
  local = false,
  micOff = false,
  cameraOff = false,
}: {
  name: string;
  seed: string;
  role?: string;
  stream: MediaStream | null;
  state: RTCPeerConnectionState | null;
  muted?: boolean;
  mirrored?: boolean;
  local?: boolean;
  micOff?: boolean;
  cameraOff?: boolean;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [blocked, setBlocked] = useState(false);
  const [, setTick] = useState(0);
  const videoTrack = stream?.getVideoTracks()[0] ?? null;
  // A remote camera turned off keeps its track but sends no frames: the track reports "muted".
  useEffect(() => {
    if (!videoTrack) return;
    const rerender = () => setTick((n) => n + 1);
    videoTrack.addEventListener("mute", rerender);
    videoTrack.addEventListener("unmute", rerender);
    videoTrack.addEventListener("ended", rerender);
    return () => {
      videoTrack.removeEventListener("mute", rerender);
      videoTrack.removeEventListener("unmute", rerender);
      videoTrack.removeEventListener("ended", rerender);
    };
  }, [videoTrack]);
  const hasVideo = !!videoTrack && videoTrack.readyState === "live" && !videoTrack.muted && !cameraOff;
  useEffect(() => {
    const element = video.current;
    if (!element) return;
    if (element.srcObject !== stream) element.srcObject = stream;
    if (stream) {
      element.play().catch(() => {
        // Autoplay with sound was refused: play muted and offer to unmute.
        element.muted = true;
        setBlocked(true);
        void element.play().catch(() => undefined);
      });
    }
  }, [stream]);
  return (
    <div
      className="relative aspect-video overflow-hidden rounded-lg bg-slate-800 ring-1 ring-slate-700"
      data-testid={local ? "local-tile" : "remote-tile"}
      data-peer-name={name}
      data-connection-state={state ?? "local"}
    >
      <video
        ref={video}
        autoPlay
        playsInline
        muted={muted}
        data-remote={local ? undefined : "true"}
        className={`h-full w-full object-cover ${mirrored ? "-scale-x-100" : ""} ${hasVideo ? "" : "invisible"}`}
      />
      {!hasVideo && (
        <div className="absolute inset-0 flex items-center justify-center">
          <Avatar name={name.replace(" (you)", "")} seed={seed} />
        </div>
      )}
      <div className="absolute inset-x-0 bottom-0 flex items-center gap-1.5 bg-gradient-to-t from-black/70 to-transparent px-2 py-1 text-[11px] text-white">
        <span className="truncate font-medium">{name}</span>
        {role === "candidate" && <span className="text-amber-300">candidate</span>}
        {micOff && <span className="text-rose-300">muted</span>}
        {state && STATE_TEXT[state] && <span className="ml-auto text-slate-300">{STATE_TEXT[state]}</span>}
      </div>
      {blocked && (
        <button
          type="button"
          className="absolute top-1 right-1 rounded bg-black/60 px-2 py-0.5 text-[11px] text-white"
          onClick={() => {
            if (video.current) video.current.muted = false;
            setBlocked(false);
          }}
        >
          Click to hear
        </button>
      )}
    </div>
  );
}
