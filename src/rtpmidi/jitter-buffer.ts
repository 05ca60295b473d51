/**
 * `JitterBuffer` (L1): plays incoming messages out at their sender time (mapped to our host
 * clock) plus a fixed depth, through the injected timers, instead of at arrival. A depth that
 * covers the network's jitter turns uneven arrivals back into the sender's even timing (a MIDI
 * clock tick every 20.8 ms arrives 0.3–3 ms late, but is delivered exactly 5 ms after it was sent).
 *
 * A message whose playout time has passed already is delivered at once, in order. Playout times
 * further out than `maxHoldMicros` (a sender clock we misjudged, a forged timestamp) are pulled
 * in to that bound, and the buffer holds at most `maxMessages` (the oldest goes out early when it
 * is full): a stranger's timestamps can neither hold memory nor delay delivery without bound.
 * @module
 */
import type { Clock, TimerHandle, Timers, PreciseTimers } from '../core/runtime.ts';
import type { MidiInputEvent } from '../midi/input.ts';

export interface PlayoutOptions {
  /** Delivered at the sender's time + this (µs, ≥ 0). */
  depthMicros: number;
  /** At most this long after arrival, whatever the timestamp says (µs, default 1 s + depth). */
  maxHoldMicros?: number;
  /** Messages held at most (default 16384). */
  maxMessages?: number;
}

interface Pending {
  at: number;
  event: MidiInputEvent;
}

export class JitterBuffer {
  readonly depthMicros: number;
  private readonly maxHold: number;
  private readonly maxMessages: number;
  private readonly queue: Pending[] = [];
  private timer: { at: number; handle: TimerHandle } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly deliver: (event: MidiInputEvent) => void,
    options: PlayoutOptions,
    /** The runtime's precise timers, when it has them: playout on the instant, not a ms late. */
    private readonly precise?: PreciseTimers,
  ) {
    const depth = options.depthMicros;
    if (typeof depth !== 'number' || !Number.isFinite(depth) || depth < 0 || depth > 10_000_000) {
      throw new RangeError(`playout.depthMicros must be in [0, 10000000] µs, got ${String(depth)}`);
    }
    this.depthMicros = Math.round(depth);
    this.maxHold = Math.max(this.depthMicros, options.maxHoldMicros ?? 1_000_000 + this.depthMicros);
    this.maxMessages = Math.max(1, options.maxMessages ?? 16384);
  }

  /** Messages waiting for their playout time. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues `event` for `event.timeMicros + depth` (bounded, see the module doc). */
  push(event: MidiInputEvent): void {
    const now = this.clock.micros();
    const at = Math.min(event.timeMicros + this.depthMicros, now + this.maxHold);
    if (at <= now && this.queue.length === 0) {
      this.deliver(event);
      return;
    }
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1] as Pending).at > at) i--;
    this.queue.splice(i, 0, { at, event });
    while (this.queue.length > this.maxMessages) this.deliver((this.queue.shift() as Pending).event);
    this.arm(now);
  }

  /** Delivers everything held now, in order. */
  flush(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
    for (const p of this.queue.splice(0)) this.deliver(p.event);
  }

  /** Drops everything held and stops. */
  clear(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
    this.queue.length = 0;
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.micros();
    while (this.queue.length > 0 && (this.queue[0] as Pending).at <= now) this.deliver((this.queue.shift() as Pending).event);
    this.arm(now);
  }

  private arm(now: number): void {
    const head = this.queue[0];
    if (!head) return;
    if (this.timer && this.timer.at <= head.at) return;
    this.timer?.handle.cancel();
    const handle = this.precise
      ? this.precise.callAt(() => this.fire(), head.at)
      : this.timers.setTimeout(() => this.fire(), Math.max(0, head.at - now));
    this.timer = { at: head.at, handle };
  }
}
