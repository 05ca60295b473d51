/**
 * The drift rule of show control (L0): given how far the media is ahead of where the
 * transport says it should be, leave it, nudge mpv's `speed` a little, or seek. Pure (the
 * player measures and acts).
 *
 * - Within the deadband (default: half a video frame either way, a window of one frame) the
 *   media plays at the base speed: no audible speed wobble for drift nobody can see.
 * - Beyond it, a speed nudge proportional to the drift (`gainPerSecond`: 1 makes 20 ms of
 *   drift a 2 % nudge), between `minNudge` (1 %) and `maxNudge` (5 %), in steps of
 *   `nudgeStep` (0.5 %: fewer speed changes for mpv to resample), against the drift; it
 *   holds until the drift is back within half the deadband (hysteresis: no chatter at the
 *   edge) or has changed sign.
 * - Beyond `seekThresholdSeconds` (250 ms): a seek — a nudge would take seconds.
 * @module
 */

export interface DriftControllerOptions {
  /** Drift left alone, either way (s). */
  deadbandSeconds: number;
  /** Drift corrected by a seek (s). */
  seekThresholdSeconds: number;
  /** Smallest speed nudge (fraction, default 0.01). */
  minNudge?: number;
  /** Largest speed nudge (fraction, default 0.05). */
  maxNudge?: number;
  /** Nudge per second of drift (default 1). */
  gainPerSecond?: number;
  /** Nudges are multiples of this (fraction, default 0.005; 0: any). */
  nudgeStep?: number;
}

/** `nudge`: play at base speed × (1 + nudge); `seek`: jump to the transport's position. */
export type DriftAction = { kind: 'nudge'; nudge: number } | { kind: 'seek' };

export class DriftController {
  readonly deadbandSeconds: number;
  readonly seekThresholdSeconds: number;
  readonly minNudge: number;
  readonly maxNudge: number;
  readonly gainPerSecond: number;
  readonly nudgeStep: number;
  private correcting = 0;

  constructor(options: DriftControllerOptions) {
    this.deadbandSeconds = positive('deadbandSeconds', options.deadbandSeconds);
    this.seekThresholdSeconds = positive('seekThresholdSeconds', options.seekThresholdSeconds);
    this.minNudge = fraction('minNudge', options.minNudge ?? 0.01);
    this.maxNudge = fraction('maxNudge', options.maxNudge ?? 0.05);
    this.gainPerSecond = positive('gainPerSecond', options.gainPerSecond ?? 1);
    this.nudgeStep = fraction('nudgeStep', options.nudgeStep ?? 0.005);
    if (this.minNudge > this.maxNudge) throw new RangeError(`minNudge (${this.minNudge}) must be <= maxNudge (${this.maxNudge})`);
    if (this.seekThresholdSeconds <= this.deadbandSeconds) throw new RangeError('seekThresholdSeconds must be > deadbandSeconds');
  }

  /** Whether a nudge is in force. */
  get nudging(): boolean {
    return this.correcting !== 0;
  }

  /** What to do about `driftSeconds` (media ahead of the transport: positive). */
  update(driftSeconds: number): DriftAction {
    const size = Math.abs(driftSeconds);
    const sign = Math.sign(driftSeconds);
    if (size > this.seekThresholdSeconds) {
      this.correcting = 0;
      return { kind: 'seek' };
    }
    const back = this.correcting !== 0 && (size <= this.deadbandSeconds / 2 || sign !== this.correcting);
    if (back || (this.correcting === 0 && size <= this.deadbandSeconds)) {
      this.correcting = 0;
      return { kind: 'nudge', nudge: 0 };
    }
    this.correcting = sign;
    const step = this.nudgeStep;
    const raw = Math.min(this.maxNudge, Math.max(this.minNudge, size * this.gainPerSecond));
    const nudge = step > 0 ? Math.min(this.maxNudge, Math.max(this.minNudge, Math.round(raw / step) * step)) : raw;
    return { kind: 'nudge', nudge: -sign * nudge };
  }

  /** Forgets a nudge in force (after a seek, a pause, a reload). */
  reset(): void {
    this.correcting = 0;
  }
}

function positive(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${v}`);
  return v;
}

function fraction(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 0.5) throw new RangeError(`${name} must be in [0, 0.5], got ${v}`);
  return v;
}
