/**
 * Quantum and phase on integer micro-beats (link-wire-spec 02 §9), and the application
 * beat encoding with its inverse.
 * @module
 */
import { beatsAtTime, timeAtBeats } from './timeline.ts';
import type { Timeline } from './types.ts';

/** `b mod q` in [0, q); negative `b` is not mirrored. phase(b, 0) = 0. */
export function phase(b: number, q: number): number {
  if (q === 0) return 0;
  const r = b % q;
  return r < 0 ? r + q : r;
}

/** The least value ≥ x with the phase of `target`. */
export function alignUp(x: number, target: number, q: number): number {
  if (q === 0) return x;
  return x + phase(phase(target, q) - phase(x, q), q);
}

/** The value with target's phase nearest to x; a tie at exactly q/2 resolves downward. */
export function alignNear(x: number, target: number, q: number): number {
  return alignUp(x - q / 2, target, q);
}

/**
 * Application beat at time `t` (spec 02 §9): the raw beat magnitude snapped to the phase of
 * `beats − beatOrigin`. All values µb / µs.
 */
export function toPhaseEncodedBeats(tl: Timeline, t: number, q: number): number {
  // alignNear(b, b − bo, q) = (b − q/2) + phase((b − bo) − (b − q/2), q) = b − q/2 + phase(q/2 − bo, q):
  // the same value with one modulo instead of three (this runs per audio buffer).
  if (q === 0) return beatsAtTime(tl, t);
  return beatsAtTime(tl, t) - q / 2 + phase(q / 2 - tl.beatOrigin, q);
}

/** Phase in [0, q) of the application beat at time `t`: the phase of `beats − beatOrigin`. */
export function phaseAtTimeMicroBeats(tl: Timeline, t: number, q: number): number {
  return phase(beatsAtTime(tl, t) - tl.beatOrigin, q);
}

/** Inverse of toPhaseEncodedBeats, with the opposite tie-break so the two compose. */
export function fromPhaseEncodedBeats(tl: Timeline, b: number, q: number): number {
  const r = b - tl.beatOrigin;
  const ph = phase(r, q);
  const cycle = r - ph;
  const delta = alignNear(q - ph, q - phase(b, q), q);
  return timeAtBeats(tl, tl.beatOrigin + cycle + q - delta);
}
