/**
 * `TempoEstimator` (L0, pure): the tempo of a MIDI beat clock from the host times of its ticks —
 * robust to jitter, quick on a change, with an honest uncertainty. Values in, values out: no
 * clock, no timers.
 *
 * How (why each step is there):
 * - **Regression, not intervals.** Tick times are fitted by least squares against the tick
 *   index over a sliding window (default 96 ticks, 4 beats). An interval between two ticks
 *   carries the jitter of both; a line through N ticks has a slope error that falls as N^-1.5
 *   (the classic filters — a moving average of 24 intervals — fall as N^-1 and lag by half
 *   the window).
 * - **Outliers.** A tick whose residual from the current line exceeds `outlierK` × the robust
 *   noise (1.4826 × the median absolute residual, at least `minNoiseMicros`) is left out of the
 *   fit: one late USB packet must not bend the line.
 * - **Lost ticks.** A run of ticks that sit a whole number of intervals late, each of them, on an
 *   unchanged slope is a tick that never arrived (a dropped packet): the ticks are renumbered
 *   and the line goes on (`'lost'`, `lostTicks`), so neither the tempo nor a count of clocks
 *   built on the indices slips.
 * - **Steps.** When `stepTicks` consecutive ticks all fall out on the same side (and are not lost
 *   ticks), the tempo changed, or the sender re-phased its clock: the window restarts with them,
 *   so the new tempo is fitted from the new ticks only, within a few ticks of the change.
 * - **No overshoot.** Right after a step (or a `reset()`) the new line rests on a handful of
 *   ticks and its slope is noisy. Until its uncertainty is small (`settledBpm`), the reported
 *   tempo moves from the tempo before the change towards the new estimate but stops
 *   `stepMarginSigmas` standard errors short: it reports the part of the change it is sure of.
 * - **Smoothing** (optional, `smoothing` < 1): each update applies that fraction of what is
 *   left between the reported tempo and the target; nothing is lost, a change is only spread.
 *
 * The uncertainty is the standard error of the fitted slope (from the residuals; right after a
 * step, from the noise measured before it, since a few residuals say little), as bpm.
 * @module
 */
import { finiteNumber, intInRange } from '../core/checks.ts';

export interface TempoEstimatorOptions {
  /** Ticks per quarter note (default 24, MIDI beat clock). */
  ticksPerBeat?: number;
  /** Most ticks in the regression (default 96: 4 beats). At least 8. */
  windowTicks?: number;
  /** Ticks in a fit before it is reported, and before outliers are judged (default 6). */
  minTicks?: number;
  /** A residual beyond this many robust standard deviations is an outlier (default 4). */
  outlierK?: number;
  /** Floor of the robust noise (µs, default 250): a perfect clock still has µs rounding. */
  minNoiseMicros?: number;
  /** Consecutive same-side outliers that make a tempo step (default 3). */
  stepTicks?: number;
  /** After a step, report the change less this many standard errors (default 2). */
  stepMarginSigmas?: number;
  /** The step margin is dropped once the standard error is below this (bpm, default 0.05). */
  settledBpm?: number;
  /** Fraction (0, 1] of the remaining change applied per tick (default 1: no smoothing). */
  smoothing?: number;
}

/** What `push` made of a tick. */
export type TickVerdict =
  /** Too few ticks to judge yet: taken into the fit. */
  | 'warmup'
  /** On the line: taken into the fit. */
  | 'fit'
  /** Off the line: left out of the fit. */
  | 'outlier'
  /** The last `stepTicks` ticks left the line on one side: a new line starts. */
  | 'step'
  /**
   * The last `stepTicks` ticks sat a whole number of intervals late on an unchanged line:
   * `lostTicks` ticks never arrived. The ticks are renumbered and the line goes on.
   */
  | 'lost';

interface Fit {
  /** Tick index of x = 0. */
  ref: number;
  /** Time (µs) subtracted from every y. */
  tRef: number;
  /** Fitted time − tRef at x = 0. */
  a: number;
  /** µs per tick. */
  b: number;
  n: number;
  /** Mean x of the fitted ticks. */
  mx: number;
  sxx: number;
  /** Residual standard deviation (µs), NaN below 3 ticks. */
  s: number;
  /** 1.4826 × median |residual| (µs). */
  robust: number;
}

/** Below this many ticks a fit's own noise figures are not trusted. */
const TRUSTED_NOISE_TICKS = 24;
/** Most ticks recognised as lost in one gap; a longer gap is a step (or a clock that stopped). */
const MAX_LOST_TICKS = 4;
const MAD_TO_SIGMA = 1.4826;

export class TempoEstimator {
  readonly ticksPerBeat: number;
  readonly windowTicks: number;
  readonly minTicks: number;
  readonly outlierK: number;
  readonly minNoiseMicros: number;
  readonly stepTicks: number;
  readonly stepMarginSigmas: number;
  readonly settledBpm: number;
  readonly smoothing: number;

  private readonly times: Float64Array;
  private readonly outlier: Uint8Array;
  private readonly scratch: Float64Array;
  /** Ticks pushed since construction or `reset()`; the next tick's index. */
  private count = 0;
  /** Index of the first tick of the current line (after the last step or reset). */
  private segStart = 0;
  private runStart = 0;
  private runLength = 0;
  private runSign = 0;
  private fit: Fit | undefined;
  /**
   * Noise (µs) of the last line long enough to say, for a new short line: the larger of its
   * robust and its residual σ (a conservative figure keeps a short line's margin wide).
   */
  private carried: number | undefined;
  /** The tempo reported before a step or reset, while the new line is not settled. */
  private prior: number | undefined;
  private reported: number | undefined;
  private lastLost = 0;
  /** The current line began with reset() while a tempo was known. */
  private fromReset = false;

  constructor(options: TempoEstimatorOptions = {}) {
    this.ticksPerBeat = intInRange('ticksPerBeat', options.ticksPerBeat ?? 24, 1, 960);
    this.windowTicks = intInRange('windowTicks', options.windowTicks ?? 96, 8, 4096);
    this.minTicks = intInRange('minTicks', options.minTicks ?? 6, 3, this.windowTicks);
    this.outlierK = positive('outlierK', options.outlierK ?? 4);
    this.minNoiseMicros = positive('minNoiseMicros', options.minNoiseMicros ?? 250);
    this.stepTicks = intInRange('stepTicks', options.stepTicks ?? 3, 1, this.windowTicks - 2);
    this.stepMarginSigmas = nonNegativeNumber('stepMarginSigmas', options.stepMarginSigmas ?? 2);
    this.settledBpm = nonNegativeNumber('settledBpm', options.settledBpm ?? 0.05);
    const smoothing = finiteNumber('smoothing', options.smoothing ?? 1);
    if (!(smoothing > 0 && smoothing <= 1)) throw new RangeError(`smoothing must be in (0, 1], got ${smoothing}`);
    this.smoothing = smoothing;
    this.times = new Float64Array(this.windowTicks);
    this.outlier = new Uint8Array(this.windowTicks);
    this.scratch = new Float64Array(this.windowTicks);
  }

  /** The reported tempo (bpm), or undefined before the first fit of `minTicks` ticks. */
  get bpm(): number | undefined {
    return this.reported;
  }

  /** The tempo of the current line (bpm), unmargined and unsmoothed; undefined below 2 ticks. */
  get rawBpm(): number | undefined {
    const f = this.fit;
    return f && f.b > 0 ? 60e6 / (f.b * this.ticksPerBeat) : undefined;
  }

  /** Standard error (1σ, bpm) of `rawBpm`; undefined below 2 ticks. */
  get uncertaintyBpm(): number | undefined {
    const f = this.fit;
    const raw = this.rawBpm;
    if (!f || raw === undefined) return undefined;
    return (raw * (this.noiseForUncertainty(f) / Math.sqrt(f.sxx))) / f.b;
  }

  /** Ticks on the current line (outliers excluded). */
  get fitTicks(): number {
    return this.fit?.n ?? 0;
  }

  /** After a 'lost' verdict: how many ticks never arrived. */
  get lostTicks(): number {
    return this.lastLost;
  }

  /** Ticks since construction or `reset()`, lost ones included: the index of the next tick. */
  get ticks(): number {
    return this.count;
  }

  /** The robust noise (µs) the outlier test uses now. */
  get noiseMicros(): number {
    const f = this.fit;
    if (!f) return Math.max(this.minNoiseMicros, this.carried ?? 0);
    // A short line's own figures are few: take the larger of them and of the noise measured before.
    const s = Number.isNaN(f.s) ? 0 : f.s;
    const own = f.n >= TRUSTED_NOISE_TICKS ? Math.max(f.robust, s) : Math.max(f.robust, s, this.carried ?? 0);
    return Math.max(this.minNoiseMicros, own);
  }

  /**
   * The time (µs) of tick `count − 1 + ticksAhead` on the current line (0: the last tick pushed,
   * de-jittered; 1: when the next is due). Below 2 ticks: the last tick's own time plus
   * `ticksAhead` intervals of the reported tempo, or undefined without one.
   */
  timeOfTickMicros(ticksAhead = 0): number | undefined {
    const i = this.count - 1 + ticksAhead;
    const f = this.fit;
    const interval = this.reported === undefined ? undefined : 60e6 / (this.reported * this.ticksPerBeat);
    // A line begun by reset() on a few ticks: the tempo known before is a better slope than a
    // few jittered intervals; only the offset is taken from the new ticks.
    if (f && this.fromReset && f.n < this.minTicks && interval !== undefined) return f.tRef + f.a + f.b * f.mx + interval * (i - f.ref - f.mx);
    if (f) return f.tRef + f.a + f.b * (i - f.ref);
    if (this.count === 0) return undefined;
    const last = this.times[(this.count - 1) % this.windowTicks] as number;
    if (ticksAhead === 0) return last;
    return interval === undefined ? undefined : last + ticksAhead * interval;
  }

  /**
   * Takes the host time (µs) of the next tick; returns what it made of it. Ticks must come in
   * order; a tick earlier than the one before is an outlier like any other.
   *
   * `mayRephase`: the sender may have restarted its clock here (the first tick after Start or
   * Continue: some senders start a fresh tick grid with the transport). A tick off the line then
   * starts a new line at once (`reset()`, verdict 'step') instead of waiting for a run.
   */
  push(timeMicros: number, mayRephase = false): TickVerdict {
    if (mayRephase && this.offLineBy(timeMicros)) {
      this.reset();
      this.push(timeMicros);
      return 'step';
    }
    const i = this.count;
    const slot = i % this.windowTicks;
    let verdict: TickVerdict = 'warmup';
    this.times[slot] = timeMicros;
    this.outlier[slot] = 0;
    const f = this.fit;
    if (f && f.n >= this.minTicks) {
      const r = this.residual(f, i, timeMicros);
      if (Math.abs(r) > this.outlierK * this.spread(f, i)) {
        verdict = this.offLine(i, r > 0 ? 1 : -1);
        if (verdict === 'outlier') {
          this.outlier[slot] = 1;
          this.count++;
          return verdict;
        }
      } else {
        this.runLength = 0;
        verdict = 'fit';
      }
    }
    this.count++;
    this.refit();
    this.report();
    return verdict;
  }

  /**
   * Forgets the ticks (a gap in the clock): the next line starts afresh. The tempo reported so
   * far stays, and the new line is reported as a step from it.
   */
  reset(): void {
    this.fromReset = this.reported !== undefined;
    this.count = 0;
    this.segStart = 0;
    this.runLength = 0;
    this.carryNoise();
    this.fit = undefined;
    this.prior = this.reported;
  }

  /** Residual (µs) of a tick at index `i` from line `f`. */
  private residual(f: Fit, i: number, timeMicros: number): number {
    return timeMicros - (f.tRef + f.a + f.b * (i - f.ref));
  }

  /** The noise a tick at index `i` may show: the ticks' own plus the line's error there (its leverage). */
  private spread(f: Fit, i: number): number {
    const dx = i - f.ref - f.mx;
    return this.noiseMicros * Math.sqrt(1 + 1 / f.n + (dx * dx) / f.sxx);
  }

  /** Whether the next tick at `timeMicros` would be off the line (false without a judged line). */
  private offLineBy(timeMicros: number): boolean {
    const f = this.fit;
    if (!f || f.n < this.minTicks) return false;
    return Math.abs(this.residual(f, this.count, timeMicros)) > this.outlierK * this.spread(f, this.count);
  }

  /** A tick off the line: an outlier, or the last of a run that makes a step. */
  private offLine(i: number, sign: number): TickVerdict {
    if (this.runLength > 0 && sign === this.runSign && this.runStart + this.runLength === i) this.runLength++;
    else {
      this.runStart = i;
      this.runLength = 1;
      this.runSign = sign;
    }
    if (this.runLength < this.stepTicks) return 'outlier';
    const lost = this.lostTicksIn(i);
    if (lost > 0) {
      this.relabel(i, lost);
      this.runLength = 0;
      this.lastLost = lost;
      return 'lost';
    }
    // A step: the new line starts with the run. Not at the tick before it: a lost tick, or a
    // change between two ticks, leaves the junction on neither line.
    for (let k = this.runStart; k < i; k++) this.outlier[k % this.windowTicks] = 0;
    this.carryNoise();
    this.segStart = this.runStart;
    this.runLength = 0;
    this.prior = this.reported;
    this.fromReset = false;
    return 'step';
  }

  /**
   * Whether the run ending at `i` sits a whole number k ≥ 1 of intervals late, tick by tick, on
   * an unchanged slope — k ticks never arrived — and then k, else 0. A tempo change shows a
   * growing offset instead, never a constant one.
   */
  private lostTicksIn(i: number): number {
    const f = this.fit as Fit;
    const W = this.windowTicks;
    let sum = 0;
    for (let j = this.runStart; j <= i; j++) sum += this.residual(f, j, this.times[j % W] as number);
    const k = Math.round(sum / (i - this.runStart + 1) / f.b);
    if (!(k >= 1 && k <= MAX_LOST_TICKS)) return 0;
    for (let j = this.runStart; j <= i; j++) {
      if (Math.abs(this.residual(f, j + k, this.times[j % W] as number)) > this.outlierK * this.spread(f, j + k)) return 0;
    }
    return k;
  }

  /** Moves the run ending at `i` k places on; the k places it leaves are ticks that never came. */
  private relabel(i: number, k: number): void {
    const W = this.windowTicks;
    // From the last down: a slot is read before anything is written over it (k ≪ W).
    for (let j = i; j >= this.runStart; j--) {
      this.times[(j + k) % W] = this.times[j % W] as number;
      this.outlier[(j + k) % W] = 0;
    }
    for (let j = this.runStart; j < this.runStart + k; j++) this.outlier[j % W] = 1;
    this.count = i + k; // push() counts the tick itself
  }

  /** Index of the oldest tick in the window. */
  private firstIndex(): number {
    return Math.max(this.segStart, this.count - this.windowTicks);
  }

  /** Least squares over the window's inliers (x = index − first, y = time − tRef). */
  private refit(): void {
    const first = this.firstIndex();
    const W = this.windowTicks;
    const tRef = this.times[first % W] as number;
    let n = 0;
    let sx = 0;
    let sy = 0;
    for (let k = first; k < this.count; k++) {
      if (this.outlier[k % W]) continue;
      n++;
      sx += k - first;
      sy += (this.times[k % W] as number) - tRef;
    }
    if (n < 2) {
      this.fit = undefined;
      return;
    }
    const mx = sx / n;
    const my = sy / n;
    let sxx = 0;
    let sxy = 0;
    for (let k = first; k < this.count; k++) {
      if (this.outlier[k % W]) continue;
      const dx = k - first - mx;
      sxx += dx * dx;
      sxy += dx * ((this.times[k % W] as number) - tRef - my);
    }
    const b = sxy / sxx;
    const a = my - b * mx;
    let ssr = 0;
    let m = 0;
    for (let k = first; k < this.count; k++) {
      if (this.outlier[k % W]) continue;
      const r = (this.times[k % W] as number) - tRef - (a + b * (k - first));
      ssr += r * r;
      this.scratch[m++] = Math.abs(r);
    }
    const sorted = this.scratch.subarray(0, m).sort();
    const median = m % 2 ? (sorted[(m - 1) / 2] as number) : ((sorted[m / 2 - 1] as number) + (sorted[m / 2] as number)) / 2;
    this.fit = { ref: first, tRef, a, b, n, mx, sxx, s: n > 2 ? Math.sqrt(ssr / (n - 2)) : NaN, robust: MAD_TO_SIGMA * median };
    if (n >= TRUSTED_NOISE_TICKS) this.carried = undefined;
  }

  private noiseForUncertainty(f: Fit): number {
    const own = Number.isNaN(f.s) ? 0 : f.s;
    if (f.n >= TRUSTED_NOISE_TICKS) return own;
    return Math.max(own, this.carried ?? this.minNoiseMicros);
  }

  /** Keeps the noise of the current line (if it is long enough to say) for the next one. */
  private carryNoise(): void {
    const f = this.fit;
    if (f && f.n >= TRUSTED_NOISE_TICKS) this.carried = Math.max(f.robust, f.s);
  }

  /** The reported tempo after this tick: the fit, margined after a step, smoothed if asked. */
  private report(): void {
    const raw = this.rawBpm;
    const f = this.fit;
    let target: number | undefined;
    if (!f || raw === undefined || f.n < this.minTicks) target = this.prior ?? this.reported;
    else {
      const sigma = this.uncertaintyBpm as number;
      const prior = this.prior;
      if (prior !== undefined && sigma > this.settledBpm) {
        const d = raw - prior;
        const margin = this.stepMarginSigmas * sigma;
        target = Math.abs(d) <= margin ? prior : raw - Math.sign(d) * margin;
      } else {
        this.prior = undefined;
        target = raw;
      }
    }
    if (target === undefined) return;
    const r = this.reported;
    this.reported = r === undefined || this.smoothing === 1 ? target : r + this.smoothing * (target - r);
  }
}

function positive(name: string, v: unknown): number {
  const x = finiteNumber(name, v);
  if (!(x > 0)) throw new RangeError(`${name} must be > 0, got ${x}`);
  return x;
}

function nonNegativeNumber(name: string, v: unknown): number {
  const x = finiteNumber(name, v);
  if (!(x >= 0)) throw new RangeError(`${name} must be ≥ 0, got ${x}`);
  return x;
}
