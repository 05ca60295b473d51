/**
 * Timeline maths in integers: tempo in µs per beat, beats in micro-beats, times in µs
 * (link-wire-spec 02 §6, 00 §4.7). Conversions round the *delta* half away from zero,
 * exactly, at any magnitude that fits a safe integer.
 * @module
 */
import { roundHalfAway } from '../core/checks.ts';
import type { Timeline } from './types.ts';

export const MICROS_PER_SECOND = 1_000_000;
export const MICRO_BEATS_PER_BEAT = 1_000_000;
export const MIN_BPM = 20;
export const MAX_BPM = 999;

/** Clamps a bpm value into Link's range [20, 999]. */
export function clampBpm(bpm: number): number {
  return bpm < MIN_BPM ? MIN_BPM : bpm > MAX_BPM ? MAX_BPM : bpm;
}

/** Wire tempo: round(60e6 / bpm) µs per beat, bpm clamped first. 120 → 500000. */
export function bpmToMicrosPerBeat(bpm: number): number {
  return roundHalfAway(60_000_000 / clampBpm(bpm));
}

/** bpm from a wire tempo, re-clamped (999 bpm → 60060 → 999.000999… → 999). */
export function microsPerBeatToBpm(microsPerBeat: number): number {
  return clampBpm(60_000_000 / microsPerBeat);
}

/** Beats (float) → micro-beats, half away from zero: -5e-7 → -1. */
export function beatsToMicroBeats(beats: number): number {
  return roundHalfAway(beats * MICRO_BEATS_PER_BEAT);
}

export function microBeatsToBeats(microBeats: number): number {
  return microBeats / MICRO_BEATS_PER_BEAT;
}

/**
 * round(a · m / d) half away from zero, exactly, for safe integers `a`, `m` ≥ 0, `d` > 0
 * with m·d ≤ 2^53. Splits `a = q·d + r` so no intermediate leaves the safe range.
 */
export function mulDivRound(a: number, m: number, d: number): number {
  const small = a * m;
  if (small <= 4503599627370496 && small >= -4503599627370496) {
    // |a·m| < 2^52: the product is exact and the quotient's error is far below the
    // 1/(2d) distance of any non-tie from a .5 boundary.
    return roundHalfAway(small / d);
  }
  let q = Math.trunc(a / d);
  let r = a - q * d;
  if (a >= 0) {
    while (r < 0) { q -= 1; r += d; }
    while (r >= d) { q += 1; r -= d; }
  } else {
    while (r > 0) { q += 1; r -= d; }
    while (r <= -d) { q -= 1; r += d; }
  }
  return q * m + roundHalfAway((r * m) / d);
}

/** Beats (µb) on `tl` at time `t` (µs). */
export function beatsAtTime(tl: Timeline, t: number): number {
  return tl.beatOrigin + mulDivRound(t - tl.timeOrigin, MICRO_BEATS_PER_BEAT, tl.microsPerBeat);
}

/** Time (µs) of beat `b` (µb) on `tl`. */
export function timeAtBeats(tl: Timeline, b: number): number {
  return tl.timeOrigin + mulDivRound(b - tl.beatOrigin, tl.microsPerBeat, MICRO_BEATS_PER_BEAT);
}

/** The same line at another tempo, continuous at `atTime` and keeping its beat origin. */
export function withTempoAt(tl: Timeline, microsPerBeat: number, atTime: number): Timeline {
  const beats = beatsAtTime(tl, atTime);
  return { microsPerBeat, beatOrigin: tl.beatOrigin, timeOrigin: atTime - mulDivRound(beats - tl.beatOrigin, microsPerBeat, MICRO_BEATS_PER_BEAT) };
}

/** Moves every time of `tl` by `deltaMicros` (e.g. host ↔ ghost with slope 1). */
export function shiftTime(tl: Timeline, deltaMicros: number): Timeline {
  return { microsPerBeat: tl.microsPerBeat, beatOrigin: tl.beatOrigin, timeOrigin: tl.timeOrigin + deltaMicros };
}

/** Clamps a wire tempo into [20, 999] bpm: 60060..3000000 µs/beat. */
export function clampMicrosPerBeat(tempo: number): number {
  const min = bpmToMicrosPerBeat(MAX_BPM);
  const max = bpmToMicrosPerBeat(MIN_BPM);
  return tempo < min ? min : tempo > max ? max : tempo;
}

/** Whether two timelines are the same three numbers (tempo, beat origin, time origin). Pure. */
export function identicalTimelines(a: Timeline, b: Timeline): boolean {
  return a.microsPerBeat === b.microsPerBeat && a.beatOrigin === b.beatOrigin && a.timeOrigin === b.timeOrigin;
}
