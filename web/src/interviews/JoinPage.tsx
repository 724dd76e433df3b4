/** The candidate's way in: their name, a camera and microphone check with a preview, then join. */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router";

import { api, ApiError } from "../api/client";
import { session } from "../api/session";
import type { JoinResult, Schema } from "../api/types";
import { Logo } from "../components/AppShell";
import { Alert, Button, Field, inputClass } from "../components/ui";
import { RecordingNotice } from "../record/RecordingNotice";
import { listDevices, openMedia, PROBLEM_TEXT, readMediaChoice, saveMediaChoice, type MediaChoice, type MediaProblem } from "../lib/media";
import { useTitle } from "../lib/useTitle";

type DeadLink = { title: string; text: string };

/** The page to show for a refused invite, or null when the error is not about the link. */
function deadLinkFor(err: unknown): DeadLink | null {
  if (!(err instanceof ApiError)) return null;
  if (err.status === 410) {
    return { title: "This interview has ended", text: "Thank you for your time. You can close this tab." };
  }
  if (err.status === 404 || err.status === 422 || err.status === 403) {
    return {
      title: "This invite link is not valid",
      text: "It may have been mistyped or replaced with a new one. Ask your interviewer to send the link again.",
    };
  }
  return null;
}

export function JoinPage() {
  useTitle("Join your interview");
  const { inviteToken = "" } = useParams();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [dead, setDead] = useState<DeadLink | null>(null);
  const [choice, setChoice] = useState<MediaChoice>(readMediaChoice);
  const [aiOn, setAiOn] = useState(false);

  // Say at once when the link is dead, before the candidate types a name.
  useEffect(() => {
    const controller = new AbortController();
    api<Schema<"InviteStatusOut">>(`/api/join/${encodeURIComponent(inviteToken)}`, {
      auth: false,
      signal: controller.signal,
    }).then((status) => {
      if (!controller.signal.aborted) setAiOn(status.ai_assistant === "on");
    }).catch((err: unknown) => {
      const page = deadLinkFor(err);
      if (page && !controller.signal.aborted) setDead(page);
    });
    return () => controller.abort();
  }, [inviteToken]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api<JoinResult>("/api/join", {
        method: "POST",
        body: { invite_token: inviteToken, name: name.trim() || null },
        auth: false,
      });
      saveMediaChoice(choice);
      session.joined({ room_id: result.room_id, token: result.token, name: result.name });
      navigate(`/rooms/${result.room_id}`, { replace: true });
    } catch (err) {
      const page = deadLinkFor(err);
      if (page) setDead(page);
      else setError(err instanceof Error ? err.message : "Could not join.");
    } finally {
      setBusy(false);
    }
  };

  if (dead) {
    return (
      <div className="flex min-h-full flex-col items-center justify-center gap-4 bg-slate-50 p-8 text-center" data-testid="join-dead">
        <Logo className="text-xl" />
        <h1 className="text-2xl font-semibold text-slate-900">{dead.title}</h1>
        <p className="max-w-md text-sm text-slate-500">{dead.text}</p>
      </div>
    );
  }

  return (
    <div className="flex min-h-full items-center justify-center bg-gradient-to-b from-slate-50 to-slate-100 px-4 py-12">
      <div className="w-full max-w-3xl">
        <div className="mb-8 flex justify-center">
          <Logo className="text-xl" />
        </div>
        <div className="grid gap-8 rounded-2xl bg-white p-8 shadow-sm ring-1 ring-slate-200 md:grid-cols-2">
          <DeviceCheck choice={choice} onChange={setChoice} />
          <form className="flex flex-col justify-center space-y-4" onSubmit={(e) => void submit(e)}>
            <div>
              <h1 className="text-xl font-semibold text-slate-900">Join your interview</h1>
              <p className="mt-1 text-sm text-slate-500">
                You'll share a code editor with your interviewers and see and hear each other. No account needed.
              </p>
            </div>
            {error && <Alert>{error}</Alert>}
            <Field label="Your name" hint="Shown to your interviewers next to your cursor.">
              {(id) => (
                <input
                  id={id}
                  name="name"
                  className={inputClass}
                  autoFocus
                  required
                  maxLength={100}
                  autoComplete="name"
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                />
              )}
            </Field>
            <RecordingNotice />
            {aiOn && (
              <p className="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-amber-200" data-testid="join-ai-notice">
                This interview has an AI assistant you may ask. Your interviewers see your conversation with it, and it is part of the interview record.
              </p>
            )}
            <Button type="submit" variant="primary" busy={busy} disabled={!name.trim()}>
              Join interview
            </Button>
          </form>
        </div>
      </div>
    </div>
  );
}

function DeviceCheck({ choice, onChange }: { choice: MediaChoice; onChange: (choice: MediaChoice) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<MediaProblem | null>(null);
  const [checking, setChecking] = useState(true);
  const [level, setLevel] = useState(0);
  const [devices, setDevices] = useState<{ audio: MediaDeviceInfo[]; video: MediaDeviceInfo[] }>({ audio: [], video: [] });
  const [attempt, setAttempt] = useState(0);
  const { audioDeviceId, videoDeviceId } = choice;

  useEffect(() => {
    let stream: MediaStream | null = null;
    let stopped = false;
    let frame = 0;
    let audioContext: AudioContext | null = null;
    void openMedia({ audioDeviceId, videoDeviceId, micOn: true, camOn: true }).then(async (result) => {
      if (stopped) {
        result.stream?.getTracks().forEach((t) => t.stop());
        return;
      }
      stream = result.stream;
      setProblem(result.problem);
      setChecking(false);
      if (video.current) video.current.srcObject = stream;
      setDevices(await listDevices());
      if (stream && stream.getAudioTracks().length > 0) {
        // A live level meter shows the microphone really picks up sound.
        audioContext = new AudioContext();
        const analyser = audioContext.createAnalyser();
        analyser.fftSize = 256;
        audioContext.createMediaStreamSource(stream).connect(analyser);
        const data = new Uint8Array(analyser.frequencyBinCount);
        const tick = () => {
          analyser.getByteTimeDomainData(data);
          let peak = 0;
          for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
          setLevel(Math.min(1, peak / 64));
          frame = requestAnimationFrame(tick);
        };
        tick();
      }
    });
    return () => {
      stopped = true;
      cancelAnimationFrame(frame);
      void audioContext?.close();
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, [audioDeviceId, videoDeviceId, attempt]);

  return (
    <div className="space-y-3">
      <div className="relative aspect-video overflow-hidden rounded-xl bg-slate-900">
        <video ref={video} autoPlay muted playsInline className="h-full w-full -scale-x-100 object-cover" data-testid="preview" />
        {checking && <div className="absolute inset-0 flex items-center justify-center text-sm text-slate-300">Starting camera…</div>}
        {problem && !checking && (
          <div className="absolute inset-0 flex items-center justify-center p-4 text-center text-sm text-slate-200">Camera off</div>
        )}
      </div>
      {problem && (
        <Alert tone="info">
          {PROBLEM_TEXT[problem]}{" "}
          <button type="button" className="font-medium underline" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </Alert>
      )}
      <div className="flex items-center gap-2 text-xs text-slate-500">
        <span>Microphone</span>
        <div className="h-1.5 flex-1 overflow-hidden rounded-full bg-slate-200" aria-label="Microphone level">
          <div className="h-full rounded-full bg-emerald-500 transition-[width] duration-75" style={{ width: `${Math.round(level * 100)}%` }} />
        </div>
      </div>
      <div className="grid grid-cols-2 gap-2">
        <select
          aria-label="Camera"
          className={inputClass}
          value={videoDeviceId ?? ""}
          onChange={(e) => onChange({ ...choice, videoDeviceId: e.target.value || null })}
          disabled={devices.video.length === 0}
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
          className={inputClass}
          value={audioDeviceId ?? ""}
          onChange={(e) => onChange({ ...choice, audioDeviceId: e.target.value || null })}
          disabled={devices.audio.length === 0}
        >
          <option value="">Default microphone</option>
          {devices.audio.map((d, i) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label || `Microphone ${i + 1}`}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
