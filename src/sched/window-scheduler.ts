/**
 * `WindowScheduler` (L1): the lookahead loop on an injected Clock and Timers (Tone.js `Clock`
 * style, DESIGN.md §3). Each wakeup covers the host-time window [last, now + lookahead): the
 * window starts exactly where the previous one ended, whenever the wakeup actually happened, so
 * a late wakeup never shifts an event — it only shortens how far ahead the window reaches.
 * Nothing accumulates actual wake-up times: the next wakeup is armed relative to the clock.
 *
 * What happens inside a window (which events are due, at which exact times) is the caller's
 * `onWindow`; see `BeatCursor` for Link beats and `HostTimeScheduler` for host-µs events.
 * @module
 */
import { nonNegative } from '../core/checks.ts';
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';

export interface WindowSchedulerOptions {
  /** How far ahead of now each window reaches (µs, default 30 000). */
  lookaheadMicros?: number;
  /** Time between wakeups (µs, default 10 000); must be below the lookahead. */
  intervalMicros?: number;
  /** Receives what `onWindow` throws; the loop keeps running (default: rethrown asynchronously). */
  onError?: (err: unknown) => void;
}

export interface Window {
  /** Where the previous window ended (the first window: now). */
  fromMicros: number;
  /** now + lookahead. */
  toMicros: number;
  /** The clock when the window was computed. */
  nowMicros: number;
}

export const DEFAULT_LOOKAHEAD_MICROS = 30_000;
export const DEFAULT_INTERVAL_MICROS = 10_000;

export class WindowScheduler {
  readonly lookaheadMicros: number;
  readonly intervalMicros: number;
  private horizon: number | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  private inWindow = false;
  private again = false;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly onWindow: (w: Window) => void,
    options: WindowSchedulerOptions = {},
  ) {
    this.lookaheadMicros = nonNegative('lookaheadMicros', options.lookaheadMicros ?? DEFAULT_LOOKAHEAD_MICROS);
    this.intervalMicros = nonNegative('intervalMicros', options.intervalMicros ?? DEFAULT_INTERVAL_MICROS);
    if (this.intervalMicros <= 0 || this.intervalMicros >= this.lookaheadMicros) {
      throw new RangeError(`intervalMicros must be in (0, lookaheadMicros = ${this.lookaheadMicros}), got ${this.intervalMicros}`);
    }
    this.onError = options.onError ?? ((err) => queueMicrotask(() => { throw err; }));
  }

  /** Where the last window ended (µs): everything before was handed out. Undefined before the first. */
  get horizonMicros(): number | undefined {
    return this.horizon;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts the loop; the first window runs at once and starts at now. Schedules timers. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  /** Stops the loop; the horizon is kept, so a restart continues where it ended. */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Runs a window now (e.g. after an edit or a transport change) and re-arms the timer. */
  wake(): void {
    if (!this.running) return;
    if (this.inWindow) {
      this.again = true;
      return;
    }
    this.inWindow = true;
    try {
      do {
        this.again = false;
        this.runWindow();
      } while (this.again && this.running);
    } finally {
      this.inWindow = false;
    }
    if (this.running) this.arm();
  }

  private runWindow(): void {
    const now = this.clock.micros();
    const to = now + this.lookaheadMicros;
    const from = this.horizon ?? now;
    if (to <= from) return;
    this.horizon = to;
    try {
      this.onWindow({ fromMicros: from, toMicros: to, nowMicros: now });
    } catch (err) {
      this.onError(err);
    }
  }

  private arm(): void {
    this.timer?.cancel();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, this.intervalMicros);
  }
}
