/**
 * `OutputDispatcher` (L1): hands each scheduled message to its output with its exact host time.
 *
 * The output contract — two kinds, and neither can leave a note hanging:
 * - A **timestamped output** (`acceptsFutureTimestamps: true`: RTP-MIDI, the timing thread, a
 *   recorder) gets `send(data, timeMicros)` at once, ahead of time, and must be able to
 *   withdraw what it was given from a time on (`cancelFrom`, required): on stop or close the
 *   note-ons handed out ahead are withdrawn before the note-offs go out.
 * - An **instant output** (`acceptsFutureTimestamps: false`: a native port on the main thread)
 *   is called at the instant: messages wait here in a time-ordered queue and are sent through
 *   `PreciseTimers` when due (equal times together, in delivery order); what is queued can
 *   always be withdrawn. A "timestamped" output without `cancelFrom` (a plain object from
 *   JavaScript) is treated as instant: it gets its exact times, but only when they are due.
 *
 * Either may have `drain()`: resolves once everything it was given has gone out (awaited by
 * `close()` of the MIDI clock and the sequencer). A message whose time is already past is sent
 * at once (late), never dropped.
 * @module
 */
import type { Clock, TimerHandle } from '../core/runtime.ts';
import type { PreciseTimers } from './precise-timers.ts';

interface OutputBase {
  /** Sends `data` for host time `timeMicros` (exact: the event's scheduled time). */
  send(data: Uint8Array, timeMicros: number): void;
  /** Resolves once everything given so far has gone out (optional). */
  drain?(): Promise<void>;
}

/** Called at the instant of each message. */
export interface InstantOutput extends OutputBase {
  readonly acceptsFutureTimestamps: false;
}

/** Given messages ahead of time, with their exact times; can withdraw them. */
export interface TimestampedOutput extends OutputBase {
  readonly acceptsFutureTimestamps: true;
  /** Withdraws every message given for a time ≥ `fromMicros` that has not gone out yet. */
  cancelFrom(fromMicros: number): void;
  /**
   * How far ahead of the present a `cancelFrom` is sure to reach (µs, default 0: at once). An
   * output that sends from another thread may already be sending what is due sooner; a player
   * closing withdraws from now + this lead and ends its notes after what stays.
   */
  readonly withdrawLeadMicros?: number;
}

/** What the scheduler sends to (`MidiOutput` in `phaselock/midi`). */
export type ScheduledOutput = InstantOutput | TimestampedOutput;

/** Whether the dispatcher may hand `output` messages ahead of time. */
export function sendsAhead(output: ScheduledOutput): output is TimestampedOutput {
  return output.acceptsFutureTimestamps === true && typeof (output as { cancelFrom?: unknown }).cancelFrom === 'function';
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
  private readonly ahead: boolean;

  constructor(
    readonly output: ScheduledOutput,
    private readonly clock: Clock,
    private readonly precise: PreciseTimers,
    private readonly onError: (err: unknown) => void = (err) => queueMicrotask(() => { throw err; }),
  ) {
    this.ahead = sendsAhead(output);
  }

  /** How far ahead of now a withdrawal is sure to reach (the output's `withdrawLeadMicros`; 0 here). */
  get withdrawLeadMicros(): number {
    const lead = this.ahead ? (this.output as TimestampedOutput).withdrawLeadMicros : 0;
    return typeof lead === 'number' && lead > 0 && lead <= 1_000_000 ? lead : 0;
  }

  /** Messages waiting for their instant (instant outputs only). */
  get pending(): number {
    return this.queue.length;
  }

  /** Delivers `data` for host time `timeMicros`: at once, or at the instant (see module doc). */
  deliver(timeMicros: number, data: Uint8Array): void {
    if (this.closed) return;
    if (this.ahead) {
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
   * Withdraws what was delivered for times ≥ `fromMicros`: queued here, or (timestamped
   * outputs) already handed over; returns how many were queued here.
   */
  cancelFrom(fromMicros: number): number {
    if (this.ahead) {
      try {
        (this.output as TimestampedOutput).cancelFrom(fromMicros);
      } catch (err) {
        this.onError(err);
      }
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

  /** Resolves once the output has sent everything it was given (its `drain()`, if any). */
  async drain(): Promise<void> {
    try {
      await this.output.drain?.();
    } catch (err) {
      this.onError(err);
    }
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
