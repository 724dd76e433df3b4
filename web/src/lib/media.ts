/** Camera and microphone: asking, naming the failure, and remembering the choice for the room. */

export type MediaProblem = "denied" | "missing" | "busy" | "insecure" | "error";

export interface MediaChoice {
  audioDeviceId: string | null;
  videoDeviceId: string | null;
  micOn: boolean;
  camOn: boolean;
}

const CHOICE_KEY = "codepair.media";

export function readMediaChoice(): MediaChoice {
  const fallback: MediaChoice = { audioDeviceId: null, videoDeviceId: null, micOn: true, camOn: true };
  try {
    const raw = sessionStorage.getItem(CHOICE_KEY);
    return raw ? { ...fallback, ...(JSON.parse(raw) as Partial<MediaChoice>) } : fallback;
  } catch {
    return fallback;
  }
}

export function saveMediaChoice(choice: MediaChoice): void {
  sessionStorage.setItem(CHOICE_KEY, JSON.stringify(choice));
}

/** Classifies a getUserMedia failure by its DOMException name. */
export function mediaProblem(error: unknown): MediaProblem {
  const name = error instanceof Error ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") return "denied";
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return "missing";
  if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError") return "busy";
  if (name === "TypeError") return "insecure";
  return "error";
}

export const PROBLEM_TEXT: Record<MediaProblem, string> = {
  denied: "Camera and microphone access is blocked. Allow it in your browser's site settings, then try again. You can still code and chat.",
  missing: "No camera or microphone was found. You can still code and chat.",
  busy: "Your camera or microphone is in use by another app. Close it and try again.",
  insecure: "This page cannot use the camera here (it needs HTTPS). You can still code and chat.",
  error: "The camera or microphone could not start. You can still code and chat.",
};

export function constraints(choice: MediaChoice, kinds: { audio: boolean; video: boolean }): MediaStreamConstraints {
  return {
    audio: kinds.audio ? (choice.audioDeviceId ? { deviceId: { exact: choice.audioDeviceId } } : true) : false,
    video: kinds.video
      ? {
          ...(choice.videoDeviceId ? { deviceId: { exact: choice.videoDeviceId } } : {}),
          width: { ideal: 640 },
          height: { ideal: 360 },
        }
      : false,
  };
}

/** Asks for media; when both fail, tries each alone so a missing camera keeps the microphone. */
export async function openMedia(choice: MediaChoice): Promise<{ stream: MediaStream | null; problem: MediaProblem | null }> {
  if (!navigator.mediaDevices?.getUserMedia) return { stream: null, problem: "insecure" };
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(constraints(choice, { audio: true, video: true })), problem: null };
  } catch (error) {
    const problem = mediaProblem(error);
    if (problem === "denied") return { stream: null, problem };
    for (const kinds of [{ audio: true, video: false }, { audio: false, video: true }]) {
      try {
        return { stream: await navigator.mediaDevices.getUserMedia(constraints(choice, kinds)), problem };
      } catch {
        // try the other kind
      }
    }
    return { stream: null, problem };
  }
}

export async function listDevices(): Promise<{ audio: MediaDeviceInfo[]; video: MediaDeviceInfo[] }> {
  const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  return {
    audio: devices.filter((d) => d.kind === "audioinput" && d.deviceId),
    video: devices.filter((d) => d.kind === "videoinput" && d.deviceId),
  };
}
