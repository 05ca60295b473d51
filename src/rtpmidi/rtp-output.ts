/**
 * `RtpOutput` (L1): the timestamped output of an RTP-MIDI session (sched/output-dispatcher.ts,
 * "timestamped output"). Each message is held until `sendAheadMicros` before its time, then
 * handed to the session's packet writer together with every other message due by then, with its
 * exact time (the writer stamps it on the session clock, RFC 6295 §2.1/§3 delta times), so the
 * receiver can play it at that time whatever the network did on the way.
 *
 * Messages due within `coalesceMicros` of the first one due go out with it, in the same packet
 * (a clock tick and a note 0.2 ms apart cost one datagram, not two).
 *
 * What is held can be withdrawn (`cancelFrom`); what was sent cannot: a packet is on the wire.
 * Messages are released up to `sendAheadMicros + coalesceMicros` early, so a withdrawal is sure
 * to reach only what is due later than now + that lead — the output's `withdrawLeadMicros`.
 * @module
 */
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';
import type { TimestampedOutput } from '../sched/output-dispatcher.ts';

export interface TimedMessage {
  timeMicros: number;
  data: Uint8Array;
}

export interface RtpOutputOptions {
  /** Send each message this long before its time (µs, default 10 ms, at most 1 s). */
  sendAheadMicros?: number;
  /** Messages due this soon after the first one due go in the same packet (µs, default 1 ms). */
  coalesceMicros?: number;
}

export const DEFAULT_SEND_AHEAD_MICROS = 10_000;

type Held = TimedMessage;

export class RtpOutput implements TimestampedOutput {
  readonly acceptsFutureTimestamps = true;
  readonly sendAheadMicros: number;
  readonly coalesceMicros: number;
  private readonly queue: Held[] = [];
  private timer: { at: number; handle: TimerHandle } | undefined;
  private drained: Array<() => void> = [];
  private closed = false;
  /** A release is queued for the end of this turn (messages due now). */
  private releaseQueued = false;

  /**
   * @param transmit receives each batch of messages due together, in time order (equal times in
   *   the order given); it must not throw (errors are the session's to report).
   */
  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly transmit: (batch: TimedMessage[]) => void,
    options: RtpOutputOptions = {},
  ) {
    const ahead = options.sendAheadMicros ?? DEFAULT_SEND_AHEAD_MICROS;
    if (typeof ahead !== 'number' || !Number.isFinite(ahead) || ahead < 0 || ahead > 1_000_000) {
      throw new RangeError(`sendAheadMicros must be in [0, 1000000] µs, got ${String(ahead)}`);
    }
    this.sendAheadMicros = Math.round(ahead);
    const coalesce = options.coalesceMicros ?? 1_000;
    if (typeof coalesce !== 'number' || !Number.isFinite(coalesce) || coalesce < 0 || coalesce > 100_000) {
      throw new RangeError(`coalesceMicros must be in [0, 100000] µs, got ${String(coalesce)}`);
    }
    this.coalesceMicros = Math.round(coalesce);
  }

  /** What can no longer be withdrawn: messages due within this lead may be on the wire already. */
  get withdrawLeadMicros(): number {
    return this.sendAheadMicros + this.coalesceMicros;
  }

  /** Messages held, not yet sent. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Holds `data` (copied) for host time `timeMicros`. A message already due goes out on the next
   * turn of the timers (delay 0), together with whatever else is given in the same turn: a burst
   * of sends becomes a few full packets, not one datagram each. Throws TypeError/RangeError for
   * bytes that are not one complete message (a sysex whole) or a time that is not a finite
   * number; dropped once closed.
   */
  send(data: Uint8Array, timeMicros: number): void {
    if (this.closed) return;
    checkMessage(data);
    if (typeof timeMicros !== 'number' || !Number.isFinite(timeMicros)) throw new TypeError(`timeMicros must be a finite number, got ${String(timeMicros)}`);
    const item: Held = { timeMicros, data: data.slice() };
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1] as Held).timeMicros > timeMicros) i--;
    this.queue.splice(i, 0, item);
    this.arm(this.clock.micros());
  }

  /** Withdraws every held message for a time ≥ `fromMicros`. */
  cancelFrom(fromMicros: number): void {
    let keep = this.queue.length;
    while (keep > 0 && (this.queue[keep - 1] as Held).timeMicros >= fromMicros) keep--;
    this.queue.length = keep;
    this.arm(this.clock.micros());
  }

  /** Resolves once every held message has been sent (or dropped by `close`). */
  drain(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Sends everything held now, whatever its time (each keeps its exact timestamp). */
  flush(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
    if (this.queue.length > 0) this.pass(this.queue.splice(0));
    this.settle();
  }

  /** Stops for good: drops what is held (call `flush()` first to keep it); later sends are dropped. */
  close(): void {
    this.closed = true;
    this.timer?.handle.cancel();
    this.timer = undefined;
    this.queue.length = 0;
    this.settle();
  }

  private release(): void {
    this.timer = undefined;
    const now = this.clock.micros();
    const head = this.queue[0];
    if (!head || head.timeMicros - this.sendAheadMicros > now) {
      this.arm(now);
      return;
    }
    const until = now + this.coalesceMicros;
    let due = 0;
    while (due < this.queue.length && (this.queue[due] as Held).timeMicros - this.sendAheadMicros <= until) due++;
    if (due > 0) this.pass(this.queue.splice(0, due));
    this.arm(now);
  }

  /** Sets the timer for the head of the queue (at once when it is due already). */
  private arm(now: number): void {
    const head = this.queue[0];
    if (!head) {
      this.timer?.handle.cancel();
      this.timer = undefined;
      this.settle();
      return;
    }
    const at = Math.max(now, head.timeMicros - this.sendAheadMicros);
    if (at <= now) {
      // Due already: at the end of this turn (a microtask), with whatever else this turn sends —
      // not on a 0 ms timer, which Node runs a millisecond later at best.
      this.timer?.handle.cancel();
      this.timer = undefined;
      if (!this.releaseQueued) {
        this.releaseQueued = true;
        void Promise.resolve().then(() => {
          this.releaseQueued = false;
          if (!this.closed) this.release();
        });
      }
      return;
    }
    if (this.timer && this.timer.at <= at) return;
    this.timer?.handle.cancel();
    this.timer = { at, handle: this.timers.setTimeout(() => this.release(), at - now) };
  }

  private pass(batch: Held[]): void {
    this.transmit(batch.map((h) => ({ timeMicros: h.timeMicros, data: h.data })));
  }

  private settle(): void {
    if (this.queue.length > 0) return;
    for (const resolve of this.drained.splice(0)) resolve();
  }
}

/** Throws unless `data` is one complete MIDI message (status first; a sysex whole, F0 … F7). */
export function checkMessage(data: Uint8Array): void {
  if (!(data instanceof Uint8Array)) throw new TypeError('a MIDI message must be a Uint8Array');
  const status = data[0];
  if (status === undefined || status < 0x80) throw new RangeError('a MIDI message must start with a status byte (0x80-0xff)');
  const last = data.length - 1;
  if (status === 0xf0) {
    if (data.length < 2 || data[last] !== 0xf7) throw new RangeError('a sysex must be whole: f0, data bytes, f7');
  } else {
    const length = status < 0xf0 ? ((status & 0xe0) === 0xc0 ? 2 : 3) : status === 0xf1 || status === 0xf3 ? 2 : status === 0xf2 ? 3 : 1;
    if (status === 0xf7 || data.length !== length) throw new RangeError(`status 0x${status.toString(16)} takes ${length} bytes, got ${data.length}`);
  }
  const end = status === 0xf0 ? last : data.length;
  for (let i = 1; i < end; i++) if ((data[i] as number) >= 0x80) throw new RangeError(`byte ${i} of the message must be a data byte (< 0x80)`);
}
