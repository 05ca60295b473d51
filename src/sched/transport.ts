/**
 * Transport helpers for schedulers (L1 on any `TimelineSource`): the quantized start (Start on the
 * next quantum boundary, count-in visible as negative beats), stop and resume at a chosen
 * instant, and the song origin rule shared by the MIDI clock and the sequencer.
 *
 * Song position: beat 0 of the song is the Link beat where the transport started. Our own
 * quantized start maps Link beat 0 there (`setIsPlayingAndRequestBeatAtTime(true, t, 0, q)`),
 * so song position = Link beat. For a start we did not make (a peer's, with start/stop sync) the
 * song starts on the first quantum boundary at or after the start time — "on the bar" — without
 * touching the application's beat numbering.
 * @module
 */
import { beatsToMicroBeats } from '../link/timeline.ts';
import type { TimelineSource } from './timeline-source.ts';
import type { SessionState } from '../link/session-state.ts';
import { beatBoundary, ceilToMultiple, microBeatsAtTime, nextQuantumBoundary, timeAtMicroBeats } from './grid.ts';

/** A start time this far (µb) after a bar still counts as on that bar (µs rounding of the start time). */
const ON_BAR_TOLERANCE_MICRO_BEATS = 1000;

/**
 * The largest host time whose beat is still ≤ `microBeats`: committing a request for that beat
 * at this time can never slip to the next bar because of µs rounding. Pure.
 */
export function timeNotAfterBeat(state: SessionState, microBeats: number, quantum: number): number {
  let t = timeAtMicroBeats(state, microBeats, quantum);
  while (microBeatsAtTime(state, t, quantum) > microBeats) t--;
  return t;
}

/**
 * Starts the Link transport on the first quantum boundary at or after `earliestMicros`, with
 * beat 0 there (beats before it are the count-in, negative). Alone this re-maps the beat
 * magnitude; with peers the shared phase is kept (Link's quantized launch). Returns the start
 * time (host µs, the time of beat 0). Commits to `link`: peers hear it with start/stop sync.
 */
export function startTransportQuantized(link: TimelineSource, quantum: number, earliestMicros: number): number {
  const s = link.captureAppSessionState();
  const bar = nextQuantumBoundary(s, earliestMicros, quantum);
  const t = timeNotAfterBeat(s, bar.microBeats, quantum);
  s.setIsPlayingAndRequestBeatAtTime(true, t, 0, quantum);
  link.commitAppSessionState(s);
  return t;
}

/** Sets the Link transport playing or stopped at host time `timeMicros` (no beat request). */
export function setTransport(link: TimelineSource, isPlaying: boolean, timeMicros: number): void {
  const s = link.captureAppSessionState();
  s.setIsPlaying(isPlaying, timeMicros);
  link.commitAppSessionState(s);
}

/**
 * The song origin (µb, a Link beat) of a transport started at `startMicros` by someone else:
 * the first quantum boundary at or after the start. Pure.
 */
export function songOriginOfStart(state: SessionState, startMicros: number, quantum: number): number {
  const q = beatsToMicroBeats(quantum);
  const b = beatBoundary(state, startMicros, quantum);
  return q > 0 ? ceilToMultiple(b - ON_BAR_TOLERANCE_MICRO_BEATS, q) : b;
}
