/**
 * `OutputDispatcher` (L1): hands each scheduled message to its output with its exact host time.
 *
 * - Outputs with `acceptsFutureTimestamps: true` (RTP-MIDI, the timing-thread output, a
 *   recorder) get `send(data, timeMicros)` at once, ahead of time, with no waiting at all.
 * - Outputs with `acceptsFutureTimestamps: false` must be called at the instant: messages wait
 *   in a time-ordered queue and are sent through `PreciseTimers` when due (messages with equal
 *   times go out together, in the order they were delivered).
 *
 * A message whose time is already past is sent at once (late), never dropped.
 * @module
 */
import type { Clock, TimerHandle } from '../core/runtime.ts';
import type { PreciseTimers } from './precise-timers.ts';

/** What the scheduler sends to: `MidiOutput` in `phaselock/midi` has this shape. */
export interface ScheduledOutput {
  /** Sends `data` at host time `timeMicros` (exact: the event's scheduled time). */
  send(data: Uint8Array, timeMicros: number): void;
  /** true: `send` may be called ahead with a future time. false: call it at the instant. */
  readonly acceptsFutureTimestamps: boolean;
  /** Optional: drop messages already handed over for times ≥ `fromMicros` (timing thread). */
  cancelFrom?(fromMicros: number): void;
}

interface Queued {
  time: number;
  seq: number;
  data: Uint8Array;
}

export class OutputDispatcher {
  private readonly queue: Queued[] = [];
  private seq = 0;
  private armed: { at: number; handle: TimerHandle } | undefined;
  private closed = false;

  constructor(
    readonly output: ScheduledOutput,
    private readonly clock: Clock,
    private readonly precise: PreciseTimers,
    private readonly onError: (err: unknown) => void = (err) => queueMicrotask(() => { throw err; }),
  ) {}

  /** Messages waiting for their instant (instant outputs only). */
  get pending(): number {
    return this.queue.length;
  }

  /** Delivers `data` for host time `timeMicros`: at once, or at the instant (see module doc). */
  deliver(timeMicros: number, data: Uint8Array): void {
    if (this.closed) return;
    if (this.output.acceptsFutureTimestamps) {
      this.send(data, timeMicros);
      return;
    }
    const head = this.queue[0];
    if (timeMicros <= this.clock.micros() && (!head || head.time > timeMicros)) {
      this.send(data, timeMicros); // due or late, nothing earlier waiting: now
      return;
    }
    const item = { time: timeMicros, seq: this.seq++, data };
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1] as Queued).time > timeMicros) i--;
    this.queue.splice(i, 0, item);
    this.arm();
  }

  /**
   * Drops queued messages due at or after `fromMicros` (for outputs that accept future
   * timestamps: passed on to `output.cancelFrom` when it has one); returns how many were queued here.
   */
  cancelFrom(fromMicros: number): number {
    if (this.output.acceptsFutureTimestamps) {
      this.output.cancelFrom?.(fromMicros);
      return 0;
    }
    const keep = this.queue.filter((q) => q.time < fromMicros);
    const dropped = this.queue.length - keep.length;
    this.queue.splice(0, this.queue.length, ...keep);
    this.arm();
    return dropped;
  }

  /** Sends every queued message now, in order. */
  flush(): void {
    this.armed?.handle.cancel();
    this.armed = undefined;
    for (const q of this.queue.splice(0)) this.send(q.data, q.time);
  }

  /** Stops: cancels the timer and forgets queued messages (call `flush()` first to keep them). */
  close(): void {
    this.closed = true;
    this.armed?.handle.cancel();
    this.armed = undefined;
    this.queue.length = 0;
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head) {
      this.armed?.handle.cancel();
      this.armed = undefined;
      return;
    }
    if (this.armed && this.armed.at === head.time) return;
    this.armed?.handle.cancel();
    const at = head.time;
    this.armed = { at, handle: this.precise.callAt(() => this.fire(at), at) };
  }

  private fire(at: number): void {
    if (this.armed?.at === at) this.armed = undefined;
    const now = Math.max(this.clock.micros(), at);
    while (this.queue.length > 0 && (this.queue[0] as Queued).time <= now) {
      const q = this.queue.shift() as Queued;
      this.send(q.data, q.time);
    }
    this.arm();
  }

  private send(data: Uint8Array, time: number): void {
    try {
      this.output.send(data, time);
    } catch (err) {
      this.onError(err);
    }
  }
}
