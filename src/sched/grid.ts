/**
 * Beat-grid maths for scheduling (L0, pure): where the n-th step of a grid with `stepsPerBeat`
 * steps per beat lies on a Link timeline, which steps fall in a beat range, and the boundaries
 * between host time and integer micro-beats (µb) that make a window in time equal a window in
 * beats.
 *
 * The grid is defined by the timeline alone: step `n` is at beat `n / stepsPerBeat` and at host
 * time `state.timeAtBeat(n / stepsPerBeat, quantum)` (MIDI clock: 24 steps per beat, so tick n
 * is at `timeAtBeat(n / 24)`). Nothing here depends on when anything was computed, so nothing
 * can drift.
 *
 * Beats are integer micro-beats inside (as in `phaselock/link`), floats at the API.
 * @module
 */
import { beatsToMicroBeats } from '../link/timeline.ts';
import type { SessionState } from '../link/session-state.ts';

export const MICRO_BEATS_PER_BEAT = 1_000_000;

/** µb of grid step `n` (exactly what `timeAtBeat(n / stepsPerBeat)` rounds the beat to). Pure. */
export function stepMicroBeats(n: number, stepsPerBeat: number): number {
  return beatsToMicroBeats(n / stepsPerBeat);
}

/** The least step index whose beat is ≥ `microBeats`. Pure. */
export function firstStepAtOrAfter(microBeats: number, stepsPerBeat: number): number {
  let n = Math.ceil((microBeats * stepsPerBeat) / MICRO_BEATS_PER_BEAT);
  // The float estimate may be off by one either way; the exact test is stepMicroBeats.
  while (stepMicroBeats(n - 1, stepsPerBeat) >= microBeats) n--;
  while (stepMicroBeats(n, stepsPerBeat) < microBeats) n++;
  return n + 0; // no -0
}

/** Step indices whose beat lies in [fromMicroBeats, toMicroBeats), as a half-open index range. Pure. */
export function stepsInRange(fromMicroBeats: number, toMicroBeats: number, stepsPerBeat: number): { first: number; end: number } {
  const first = firstStepAtOrAfter(fromMicroBeats, stepsPerBeat);
  const end = Math.max(first, firstStepAtOrAfter(toMicroBeats, stepsPerBeat));
  return { first, end };
}

/** Host time (µs) of a beat given in µb. Pure. */
export function timeAtMicroBeats(state: SessionState, microBeats: number, quantum: number): number {
  return state.timeAtBeat(microBeats / MICRO_BEATS_PER_BEAT, quantum);
}

/** Host time (µs) of grid step `n`: `timeAtBeat(n / stepsPerBeat, quantum)`. Pure. */
export function stepTime(state: SessionState, n: number, stepsPerBeat: number, quantum: number): number {
  return state.timeAtBeat(n / stepsPerBeat, quantum);
}

/** The beat (µb) at host time `timeMicros`, as `beatAtTime` rounds it. Pure. */
export function microBeatsAtTime(state: SessionState, timeMicros: number, quantum: number): number {
  return beatsToMicroBeats(state.beatAtTime(timeMicros, quantum));
}

/**
 * The least beat (µb) whose host time is ≥ `timeMicros`: the boundary that turns the time
 * window [a, b) into the beat window [boundary(a), boundary(b)) holding exactly the same
 * beats. Pure.
 */
export function beatBoundary(state: SessionState, timeMicros: number, quantum: number): number {
  let b = microBeatsAtTime(state, timeMicros, quantum);
  // timeAtBeat is monotonic (non-decreasing) in the beat; walk to the exact boundary. A µb is
  // at most 3 µs (20 bpm), so this takes a few steps at most.
  while (timeAtMicroBeats(state, b, quantum) < timeMicros) b++;
  while (timeAtMicroBeats(state, b - 1, quantum) >= timeMicros) b--;
  return b;
}

/** The least multiple of `stepMicroBeats` that is ≥ `microBeats` (e.g. the next bar or 16th). Pure. */
export function ceilToMultiple(microBeats: number, stepMicroBeats: number): number {
  if (stepMicroBeats <= 0) return microBeats;
  return Math.ceil(microBeats / stepMicroBeats) * stepMicroBeats + 0; // no -0
}

/** The least beat ≥ `microBeats` having the phase of `target` modulo `periodMicroBeats`. Pure. */
export function alignUpTo(microBeats: number, target: number, periodMicroBeats: number): number {
  if (periodMicroBeats <= 0) return microBeats;
  const d = (((target - microBeats) % periodMicroBeats) + periodMicroBeats) % periodMicroBeats;
  return microBeats + d;
}

/**
 * The host time of the first quantum boundary (beat ≡ 0 mod quantum) at or after
 * `earliestMicros` — where a quantized start lands. Returns the boundary's beat (µb) too. Pure.
 */
export function nextQuantumBoundary(state: SessionState, earliestMicros: number, quantum: number): { microBeats: number; timeMicros: number } {
  const q = beatsToMicroBeats(quantum);
  let b = ceilToMultiple(beatBoundary(state, earliestMicros, quantum), q > 0 ? q : MICRO_BEATS_PER_BEAT);
  let t = timeAtMicroBeats(state, b, quantum);
  if (t < earliestMicros) {
    b += q > 0 ? q : MICRO_BEATS_PER_BEAT;
    t = timeAtMicroBeats(state, b, quantum);
  }
  return { microBeats: b, timeMicros: t };
}
