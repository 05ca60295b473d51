/**
 * The drift rule of show control (L0): given how far the media is ahead of where the
 * transport says it should be, leave it, nudge mpv's `speed` a little, or seek. Pure (the
 * player measures and acts).
 *
 * - Within the deadband (default: half a video frame either way, a window of one frame) the
 *   media plays at the base speed: no audible speed wobble for drift nobody can see.
 * - Beyond it, a speed nudge proportional to the drift (`gainPerSecond`: 0.5 makes 20 ms of
 *   drift a 1 % nudge), between `minNudge` (1 %) and `maxNudge` (5 %), in steps of
 *   `nudgeStep` (0.5 %), against the drift. The nudge is **held** for the whole correction — it
 *   grows only if the drift does beyond twice the deadband — until the drift is back within half
 *   the deadband (hysteresis: no chatter at the edge) or has changed sign. Every change of speed
 *   costs a step: mpv re-times the audio it has buffered (its position moves by about the
 *   change × its buffer: 2–8 ms for 1 %, 22–24 ms for 5 %, bench/follow.ts), so the rule changes speed as seldom
 *   and as little as it can.
 * - A **trim** cancels a steady difference of rate (the DAW's clock 0.5 % fast against the
 *   sound card mpv plays on): at the end of each correction the rate the media needed over the
 *   whole cycle — the speed commanded, averaged over the cycle, less the drift it still gained —
 *   becomes the trim, within ±`maxTrim` (2 %). After one cycle the media runs at the
 *   transport's rate and corrections become rare. It needs the update times (`nowSeconds`);
 *   without them there is no trim.
 * - Beyond `seekThresholdSeconds` (250 ms): a seek — a nudge would take seconds. The trim stays
 *   (it is a property of the two clocks), as it does over `reset()`.
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
  /** Nudge per second of drift (default 0.5: 20 ms of drift makes a 1 % nudge). */
  gainPerSecond?: number;
  /** Nudges are multiples of this (fraction, default 0.005; 0: any). */
  nudgeStep?: number;
  /** Largest trim, either way (fraction, default 0.02; 0: no trim). */
  maxTrim?: number;
}

/** `nudge`: play at base speed × (1 + nudge) (the trim included); `seek`: jump to the transport's position. */
export type DriftAction = { kind: 'nudge'; nudge: number } | { kind: 'seek' };

export class DriftController {
  readonly deadbandSeconds: number;
  readonly seekThresholdSeconds: number;
  readonly minNudge: number;
  readonly maxNudge: number;
  readonly gainPerSecond: number;
  readonly nudgeStep: number;
  readonly maxTrim: number;
  /** Sign of the drift being corrected (0: none). */
  private correcting = 0;
  /** Magnitude of the nudge held during the correction. */
  private held = 0;
  private trimValue = 0;
  /** The cycle the next trim is measured over: its start, the drift then, ∫ commanded dt. */
  private cycleStart: number | undefined;
  private cycleDrift = 0;
  private commandedIntegral = 0;
  private lastTime: number | undefined;
  /** The fraction commanded since `lastTime` (trim + nudge). */
  private commanded = 0;

  constructor(options: DriftControllerOptions) {
    this.deadbandSeconds = positive('deadbandSeconds', options.deadbandSeconds);
    this.seekThresholdSeconds = positive('seekThresholdSeconds', options.seekThresholdSeconds);
    this.minNudge = fraction('minNudge', options.minNudge ?? 0.01);
    this.maxNudge = fraction('maxNudge', options.maxNudge ?? 0.05);
    this.gainPerSecond = positive('gainPerSecond', options.gainPerSecond ?? 0.5);
    this.nudgeStep = fraction('nudgeStep', options.nudgeStep ?? 0.005);
    this.maxTrim = fraction('maxTrim', options.maxTrim ?? 0.02);
    if (this.minNudge > this.maxNudge) throw new RangeError(`minNudge (${this.minNudge}) must be <= maxNudge (${this.maxNudge})`);
    if (this.seekThresholdSeconds <= this.deadbandSeconds) throw new RangeError('seekThresholdSeconds must be > deadbandSeconds');
  }

  /** Whether a nudge is in force. */
  get nudging(): boolean {
    return this.correcting !== 0;
  }

  /** The rate correction in force (fraction: +0.005 plays the media 0.5 % fast). */
  get trim(): number {
    return this.trimValue;
  }

  /**
   * What to do about `driftSeconds` (media ahead of the transport: positive), measured at
   * `nowSeconds` (any steady clock; needed for the trim).
   */
  update(driftSeconds: number, nowSeconds?: number): DriftAction {
    const now = nowSeconds !== undefined && Number.isFinite(nowSeconds) ? nowSeconds : undefined;
    this.integrate(now, driftSeconds);
    const size = Math.abs(driftSeconds);
    const sign = Math.sign(driftSeconds);
    if (size > this.seekThresholdSeconds) {
      this.correcting = 0;
      this.restartCycle(now, 0);
      this.command(0, now);
      return { kind: 'seek' };
    }
    const back = this.correcting !== 0 && (size <= this.deadbandSeconds / 2 || sign !== this.correcting);
    if (back) {
      this.correcting = 0;
      this.endCycle(now, driftSeconds);
      return this.command(0, now);
    }
    if (this.correcting === 0 && size <= this.deadbandSeconds) return this.command(0, now);
    const wanted = this.magnitude(size);
    if (this.correcting === 0) this.held = wanted;
    else if (size > 2 * this.deadbandSeconds) this.held = Math.max(this.held, wanted);
    this.correcting = sign;
    return this.command(-sign * this.held, now);
  }

  /** Forgets a nudge in force (after a seek, a pause, a reload); the trim stays. */
  reset(): void {
    this.correcting = 0;
    this.cycleStart = undefined;
    this.lastTime = undefined;
  }

  private magnitude(size: number): number {
    const step = this.nudgeStep;
    const raw = Math.min(this.maxNudge, Math.max(this.minNudge, size * this.gainPerSecond));
    return step > 0 ? Math.min(this.maxNudge, Math.max(this.minNudge, Math.round(raw / step) * step)) : raw;
  }

  private command(nudge: number, now: number | undefined): DriftAction {
    if (now !== undefined) this.lastTime = now;
    this.commanded = this.trimValue + nudge;
    return { kind: 'nudge', nudge: Math.round(this.commanded * 1e6) / 1e6 };
  }

  /** Adds what was commanded since the last update to the cycle's integral. */
  private integrate(now: number | undefined, drift: number): void {
    if (now === undefined) return;
    if (this.cycleStart === undefined || this.lastTime === undefined || now < this.lastTime) {
      this.restartCycle(now, drift);
      return;
    }
    this.commandedIntegral += this.commanded * (now - this.lastTime);
  }

  private restartCycle(now: number | undefined, drift: number): void {
    this.cycleStart = now;
    this.cycleDrift = drift;
    this.commandedIntegral = 0;
  }

  /**
   * A correction ended: over the cycle, d(drift)/dt = commanded − needed, so the rate the media
   * needed is (∫ commanded dt − Δdrift) / T. Cycles under 2 s say too little.
   */
  private endCycle(now: number | undefined, drift: number): void {
    if (now === undefined || this.cycleStart === undefined || this.maxTrim === 0) return;
    const span = now - this.cycleStart;
    if (span < 2) return;
    const needed = (this.commandedIntegral - (drift - this.cycleDrift)) / span;
    this.trimValue = Math.max(-this.maxTrim, Math.min(this.maxTrim, needed));
    this.restartCycle(now, drift);
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
