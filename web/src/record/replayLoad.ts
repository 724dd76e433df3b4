/**
 * From the record (GET replay) to what the first paint needs, and no more: the timelines of
 * the code and the notes, the one keyframe of each that the opening moment starts from (the
 * others are inflated after), and the text index started in its worker at once, so it is
 * built while Monaco loads and paints.
 */
import { buildIndexOffThread } from "./indexWorker";
import { DocTimeline, inflateFrames, initialMoment, lastAtOrBefore, replaySpan, type ReplayData } from "./replayModel";

export interface Loaded {
  replay: ReplayData;
  code: DocTimeline;
  notes: DocTimeline;
  /** Where the replay opens (epoch ms). */
  opening: number;
  /** It opens at the end (no `?t=`, or one past it): the end may still move with the board. */
  atEnd: boolean;
  /** Settles once seeks in the code use the text index. */
  indexed: Promise<void>;
  /** Stops the index worker (the page went away). */
  stop: () => void;
}

type Keyframes = ReplayData["docs"][string]["keyframes"];

/** The keyframe a moment starts from: the last one at or before the update at `index`. */
function frameFor(keyframes: Keyframes, timeline: DocTimeline, index: number): Keyframes {
  if (index < 0) return [];
  const seq = timeline.seqs[index] ?? 0;
  const seqs = keyframes.map((f) => f.seq);
  const at = lastAtOrBefore(seqs, seq);
  const frame = keyframes[at];
  return frame ? [frame] : [];
}

export async function loadReplay(replay: ReplayData, t: string | null): Promise<Loaded> {
  const code = new DocTimeline(replay.docs.code ?? { updates: [] });
  const notes = new DocTimeline(replay.docs.notes ?? { updates: [] });
  let stop: () => void = () => undefined;
  const indexed = new Promise<void>((resolve) => {
    stop = buildIndexOffThread(code, replay.docs.code?.keyframes ?? [], resolve);
  });
  const span = replaySpan(replay, code);
  const opening = initialMoment(t, span);
  const codeFrames = replay.docs.code?.keyframes ?? [];
  const notesFrames = replay.docs.notes?.keyframes ?? [];
  const [c, n] = await Promise.all([
    inflateFrames(frameFor(codeFrames, code, code.indexAt(opening))),
    inflateFrames(frameFor(notesFrames, notes, notes.indexAt(opening))),
  ]);
  code.addFrames(c);
  notes.addFrames(n);
  // The other keyframes for later seeks (before the index is in, and always for the notes).
  void Promise.all([inflateFrames(codeFrames), inflateFrames(notesFrames)]).then(([all, allNotes]) => {
    code.addFrames(all);
    notes.addFrames(allNotes);
  });
  return { replay, code, notes, opening, atEnd: opening === span.end, indexed, stop };
}
