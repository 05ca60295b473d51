/**
 * Tap tempo (pure): the average interval of the last taps, forgotten after a pause.
 * @module
 */

export interface TapTempoOptions {
  /** A tap more than this long after the previous one starts a new series (default 2 s). */
  resetAfterMicros?: number;
  /** Taps kept for the average (default 8, i.e. 7 intervals). */
  maxTaps?: number;
}

export class TapTempo {
  private readonly taps: number[] = [];
  private readonly resetAfterMicros: number;
  private readonly maxTaps: number;

  constructor(options: TapTempoOptions = {}) {
    this.resetAfterMicros = options.resetAfterMicros ?? 2_000_000;
    this.maxTaps = Math.max(2, options.maxTaps ?? 8);
  }

  /** Taps in the current series. */
  get count(): number {
    return this.taps.length;
  }

  /**
   * Records a tap at host time `timeMicros`; returns the tempo in bpm from the current series
   * (60e6 · intervals / span), or undefined after its first tap. A tap that is not later than
   * the previous one is ignored. Pure apart from this instance.
   * @example t.tap(0); t.tap(500_000) // 120
   */
  tap(timeMicros: number): number | undefined {
    const last = this.taps[this.taps.length - 1];
    if (last !== undefined) {
      if (timeMicros <= last) return this.bpm();
      if (timeMicros - last > this.resetAfterMicros) this.taps.length = 0;
    }
    this.taps.push(timeMicros);
    if (this.taps.length > this.maxTaps) this.taps.shift();
    return this.bpm();
  }

  /** Forgets the series. */
  reset(): void {
    this.taps.length = 0;
  }

  /** The tempo of the current series, or undefined with fewer than two taps. */
  bpm(): number | undefined {
    const first = this.taps[0];
    const last = this.taps[this.taps.length - 1];
    if (first === undefined || last === undefined || this.taps.length < 2) return undefined;
    return (60_000_000 * (this.taps.length - 1)) / (last - first);
  }
}
