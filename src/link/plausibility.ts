/**
 * What phaselock accepts off the wire before it uses or adopts it (L0, pure). A decoded value
 * is not yet a trusted value: a peer may send any int64, and a forged one can be chosen to
 * overflow the arithmetic or to block every later change (link-wire-spec 02 §6 rule 2, §8 rule 2).
 *
 * The envelope: times (ghost or host) within ±2^49 µs (17.8 years), beats within ±2^50 µb
 * (1.1·10^9 beats: 17.8 years at 120 bpm, 2.1 years at 999 bpm), tempo clamped to
 * 20–999 bpm. Inside it every intermediate of the timeline arithmetic (timeline.ts,
 * app-timeline.ts, phase.ts) stays below 2^53, so nothing rounds or overflows; the property
 * test in plausibility.test.ts drives the extremes through every conversion. A real Link peer's
 * ghost time counts from its session's founding and its beat origin follows the present
 * (spec 02 §6 rule 3), so a real session stays inside for years; what lies outside is refused
 * with a warning, never adopted: a state we could never send again is never taken on.
 * @module
 */
import { clampMicrosPerBeat, MICRO_BEATS_PER_BEAT } from './timeline.ts';
import type { StartStopState, Timeline } from './types.ts';

/** Largest |time| in µs, host or ghost: 2^49 µs ≈ 17.8 years. */
export const MAX_TIME_MICROS = 2 ** 49;
/** Largest |beat| in µb: 2^50 µb ≈ 1.1·10^9 beats. */
export const MAX_MICRO_BEATS = 2 ** 50;
/** Largest |beat| the API takes, in beats. */
export const MAX_BEATS = MAX_MICRO_BEATS / MICRO_BEATS_PER_BEAT;
/**
 * How far a received start/stop stamp may lead our own ghost clock (µs). Stamps are the
 * sender's ghost time of a user action, so a real one leads ours by a measurement error at
 * most; latest-wins (spec 02 §8 rule 2) means a forged future stamp would otherwise freeze
 * the transport until it is reached.
 */
export const MAX_STAMP_LEAD_MICROS = 10_000_000;

const within = (x: number, limit: number) => Number.isSafeInteger(x) && x <= limit && x >= -limit;

/** Why a ghost time cannot be used, or undefined. */
export function ghostTimeProblem(ghost: number): string | undefined {
  return within(ghost, MAX_TIME_MICROS) ? undefined : `ghost time ${ghost} µs is outside ±2^49 µs`;
}

/**
 * Why a timeline cannot be adopted, or undefined. With `ghostNow` (our ghost clock in the
 * timeline's session) the beat at the present must be representable too.
 */
export function timelineProblem(tl: Timeline, ghostNow?: number): string | undefined {
  if (!Number.isSafeInteger(tl.microsPerBeat) || tl.microsPerBeat <= 0) return `tempo of ${tl.microsPerBeat} µs/beat`;
  if (!within(tl.beatOrigin, MAX_MICRO_BEATS)) return `beat origin ${tl.beatOrigin} µb is outside ±2^50 µb`;
  if (!within(tl.timeOrigin, MAX_TIME_MICROS)) return `time origin ${tl.timeOrigin} µs is outside ±2^49 µs`;
  if (ghostNow === undefined) return undefined;
  // Approximate (floating point) on purpose: it only decides whether the exact integer
  // arithmetic may run, so it must not itself overflow.
  const beatsNow = tl.beatOrigin + ((ghostNow - tl.timeOrigin) * MICRO_BEATS_PER_BEAT) / clampMicrosPerBeat(tl.microsPerBeat);
  if (!(Math.abs(beatsNow) <= MAX_MICRO_BEATS)) return `its beat now (${Math.round(beatsNow)} µb) is outside ±2^50 µb`;
  return undefined;
}

/** Why a start/stop state cannot be adopted at our ghost time `ghostNow`, or undefined. */
export function startStopProblem(st: StartStopState, ghostNow: number): string | undefined {
  if (!within(st.beats, MAX_MICRO_BEATS)) return `start/stop beat ${st.beats} µb is outside ±2^50 µb`;
  if (!within(st.timestamp, MAX_TIME_MICROS)) return `start/stop stamp ${st.timestamp} µs is outside ±2^49 µs`;
  if (st.timestamp > ghostNow + MAX_STAMP_LEAD_MICROS) {
    return `start/stop stamp ${st.timestamp} µs lies ${((st.timestamp - ghostNow) / 1e6).toFixed(1)} s ahead of our ghost clock (limit ${MAX_STAMP_LEAD_MICROS / 1e6} s)`;
  }
  return undefined;
}
