/**
 * The arithmetic of `ClockLinkBridge` (L0, pure): the hysteresis band of tempo commits, the
 * smoothing of a tempo estimate, and the phase error between Link and a song position.
 * @module
 */

/**
 * A raw estimate further than this from the smoothed one (bpm), and further than
 * `STEP_SIGMAS` of its own σ, is a change the smoothing must not delay: it is taken at once.
 * Under 0–2 ms of jitter the estimate wanders by a few hundredths of a bpm.
 */
export const STEP_BPM = 0.1;
export const STEP_SIGMAS = 3;

/** A smoothed tempo and when it was last updated. */
export interface SmoothedTempo {
  bpm: number;
  atMicros: number;
}

/** A σ that can be used: finite and ≥ 0, else 0. */
const sigmaOf = (sigmaBpm: number | undefined): number => (typeof sigmaBpm === 'number' && Number.isFinite(sigmaBpm) && sigmaBpm > 0 ? sigmaBpm : 0);

/**
 * How far (bpm) an estimate must be from the committed tempo to be committed:
 * max(`minStepBpm`, `factor` × σ). Pure.
 * @example tempoBandBpm(0.05, 2, 0.012) // 0.05
 */
export function tempoBandBpm(minStepBpm: number, factor: number, sigmaBpm: number | undefined): number {
  return Math.max(minStepBpm, factor * sigmaOf(sigmaBpm));
}

/**
 * The next smoothed tempo: an exponential moving average of the raw estimates with time
 * constant `tauMicros` once the estimate has settled (σ ≤ `settledSigmaBpm`). An estimate not yet
 * settled (converging after a start or a step, when it moves for real) is taken as it is, and so
 * is a change beyond max(STEP_BPM, STEP_SIGMAS × σ) — a tempo step; `tauMicros` 0 takes every
 * value. No estimate: none. Pure.
 */
export function smoothTempo(prev: SmoothedTempo | undefined, rawBpm: number | undefined, sigmaBpm: number | undefined, nowMicros: number, tauMicros: number, settledSigmaBpm: number): SmoothedTempo | undefined {
  if (rawBpm === undefined) return undefined;
  const sigma = sigmaOf(sigmaBpm);
  const step = Math.max(STEP_BPM, STEP_SIGMAS * sigma);
  if (prev === undefined || tauMicros === 0 || sigma > settledSigmaBpm || Math.abs(rawBpm - prev.bpm) > step) return { bpm: rawBpm, atMicros: nowMicros };
  const weight = 1 - Math.exp(-Math.max(0, nowMicros - prev.atMicros) / tauMicros);
  return { bpm: prev.bpm + weight * (rawBpm - prev.bpm), atMicros: nowMicros };
}

/**
 * Link's phase minus the song position's (`linkBeat − songBeat` modulo `quantum`, wrapped into
 * [−quantum/2, quantum/2)), in µs at `bpm`: + when Link is ahead. Pure.
 * @example phaseErrorMicros(8.01, 4, 4, 120) // ≈ 5000: Link 5 ms ahead of the bar line
 */
export function phaseErrorMicros(linkBeat: number, songBeat: number, quantum: number, bpm: number): number {
  const d = (((linkBeat - songBeat) % quantum) + quantum) % quantum;
  return ((d >= quantum / 2 ? d - quantum : d) * 60e6) / bpm;
}
