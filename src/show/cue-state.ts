/**
 * What a cue list implies (L0): the state at a song position — which file is loaded, where in
 * it the media stands, whether a `pause` cue holds it, the properties `set` so far — and the
 * cues a moving transport crosses. Pure.
 *
 * Beats map to media seconds at a tempo (`bpm`): from the last `load` (its offset) or `seek`
 * (its `to`) the media runs `(beats - cueBeats) × 60 / bpm` seconds; a `pause` cue freezes it
 * there, a `play` cue lets it run on from there. Before the first `load` nothing is loaded.
 * @module
 */
import type { Cue, CueList, CueValue } from './cue-list.ts';

export interface CueState {
  /** The file loaded at the position (undefined before the first `load`). */
  readonly file: string | undefined;
  /** Where the media stands (s); negative before the top (a count-in): not started yet. */
  readonly mediaSeconds: number;
  /** A `pause` cue holds the media. */
  readonly paused: boolean;
  /** The segment: index (in `list.cues`) of the last load/seek/pause/play at or before, -1 for none. */
  readonly segment: number;
  /** The value of every property `set` at or before the position. */
  readonly properties: ReadonlyMap<string, CueValue>;
}

/** Load, seek, pause and play: cues that change where the media stands. */
export function isMediaCue(cue: Cue): boolean {
  return cue.do === 'load' || cue.do === 'seek' || cue.do === 'pause' || cue.do === 'play';
}

/**
 * The state `list` implies at `beats`, mapping beats to seconds at `bpm`. Pure.
 * @example cueStateAt(list, 34, 120) // 2 beats into a file loaded at bar 9: { file, mediaSeconds: 1, … }
 */
export function cueStateAt(list: CueList, beats: number, bpm: number): CueState {
  const secondsPerBeat = 60 / bpm;
  const at = Math.max(0, beats);
  let file: string | undefined;
  let media = 0;
  let from = 0;
  let paused = false;
  let segment = -1;
  const properties = new Map<string, CueValue>();
  list.cues.forEach((c, i) => {
    if (c.atBeats > at) return;
    const run = file !== undefined && !paused ? (c.atBeats - from) * secondsPerBeat : 0;
    switch (c.do) {
      case 'load': file = c.file; media = c.offsetSeconds; paused = false; break;
      case 'seek': media = c.toSeconds; break;
      case 'pause': media += run; paused = true; break;
      case 'play': media += run; paused = false; break;
      case 'set': properties.set(c.property, c.value); return;
      case 'command': return;
    }
    from = c.atBeats;
    segment = i;
  });
  if (file !== undefined && !paused) media += (beats - from) * secondsPerBeat;
  return { file, mediaSeconds: media, paused, segment, properties };
}

/** The cues in `(afterBeats, uptoBeats]`, in order. Pure. */
export function cuesCrossed(list: CueList, afterBeats: number, uptoBeats: number): Cue[] {
  return list.cues.filter((c) => c.atBeats > afterBeats && c.atBeats <= uptoBeats);
}

/** The position of the first cue after `afterBeats`, undefined when none is left. Pure. */
export function nextCueBeats(list: CueList, afterBeats: number): number | undefined {
  return list.cues.find((c) => c.atBeats > afterBeats)?.atBeats;
}
