/**
 * `HeldOutput` (L1): turns a sink that acts at once — prints a line, writes a file, transmits a
 * packet — into a timestamped output (output-dispatcher.ts) that can withdraw what it was given.
 * Messages are held until `aheadMicros` before their time, then passed to the sink in time order
 * (equal times in the order given) with their exact time; what is still held can be withdrawn
 * with `cancelFrom`, so a stop or close never leaves a note-on behind its note-off.
 * Runs on injected Clock and Timers.
 * @module
 */
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';
import type { TimestampedOutput } from './output-dispatcher.ts';

export interface HeldOutputOptions {
  /** Pass messages on this long before their time (µs, default 0: when due). */
  aheadMicros?: number;
  /** Called when the sink throws (default: thrown asynchronously). */
  onError?: (err: unknown) => void;
}

interface Held {
  time: number;
  seq: number;
  data: Uint8Array;
}

export class HeldOutput implements TimestampedOutput {
  readonly acceptsFutureTimestamps = true;
  private readonly queue: Held[] = [];
  private seq = 0;
  private timer: { at: number; handle: TimerHandle } | undefined;
  private readonly aheadMicros: number;
  private readonly onError: (err: unknown) => void;
  private drained: Array<() => void> = [];

  constructor(
    private readonly sink: (data: Uint8Array, timeMicros: number) => void,
    private readonly clock: Clock,
    private readonly timers: Timers,
    options: HeldOutputOptions = {},
  ) {
    this.aheadMicros = Math.max(0, options.aheadMicros ?? 0);
    this.onError = options.onError ?? ((err) => queueMicrotask(() => { throw err; }));
  }

  /** Messages held, not yet passed on. */
  get pending(): number {
    return this.queue.length;
  }

  send(data: Uint8Array, timeMicros: number): void {
    const item: Held = { time: timeMicros, seq: this.seq++, data: data.slice() };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.time > timeMicros) i--;
    this.queue.splice(i, 0, item);
    this.release();
  }

  cancelFrom(fromMicros: number): void {
    const keep = this.queue.filter((q) => q.time < fromMicros);
    this.queue.splice(0, this.queue.length, ...keep);
    this.release();
  }

  /** Resolves once every held message has been passed on. */
  drain(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Passes on everything held now, whatever its time. */
  flush(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
    for (const q of this.queue.splice(0)) this.pass(q);
    this.settle();
  }

  private release(): void {
    const now = this.clock.micros();
    while (this.queue.length > 0 && this.queue[0]!.time - this.aheadMicros <= now) this.pass(this.queue.shift()!);
    const head = this.queue[0];
    if (!head) {
      this.timer?.handle.cancel();
      this.timer = undefined;
      this.settle();
      return;
    }
    const at = head.time - this.aheadMicros;
    if (this.timer?.at === at) return;
    this.timer?.handle.cancel();
    this.timer = { at, handle: this.timers.setTimeout(() => { this.timer = undefined; this.release(); }, at - now) };
  }

  private pass(q: Held): void {
    try {
      this.sink(q.data, q.time);
    } catch (err) {
      this.onError(err);
    }
  }

  private settle(): void {
    if (this.queue.length > 0) return;
    for (const resolve of this.drained.splice(0)) resolve();
  }
}
