/**
 * AppleMIDI clock synchronisation (Apple's "MIDI Network Driver Protocol", "Synchronization")
 * on an injected Clock and Timers (L1).
 *
 * Each participant has a session clock in 100 µs units; ours is our host clock (µs) / 100, so
 * its values are host times and RTP timestamps (10 kHz, the low 32 bits) are host times too.
 * Three packets make one exchange:
 * ```
 *   initiator                          responder
 *   CK0 ts1=our t1      ─────────────►
 *                       ◄─────────────  CK1 ts1, ts2=its t2
 *   CK2 ts1, ts2, ts3=our t3 ────────►
 * ```
 * Either side that holds three timestamps estimates the offset between the two clocks
 * (`offset = remote − ours`, the remote's reading at the midpoint of our round trip) and the
 * one-way latency (round trip / 2); the initiator from CK1, the responder from CK2. The
 * estimate exposed is the sample with the lowest round trip among the last few (queueing delays
 * only ever add to a round trip, so the shortest one is the least disturbed).
 *
 * Our own timestamps are kept at full µs precision (the exchange is matched by the 100 µs value
 * we sent); only the remote's reading is quantised to 100 µs.
 * @module
 */
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';
import type { AppleMidiCommand } from './session-codec.ts';

/** The current estimate of the remote session clock against our host clock. */
export interface ClockSync {
  /** One-way latency: half the round trip of the exchange the estimate comes from (µs). */
  latencyMicros: number;
  /** Remote session clock (µs) minus our host clock (µs): `remote = host + offset`. */
  offsetMicros: number;
  /** Our host time when that exchange completed (µs). */
  at: number;
}

export type CkCommand = Extract<AppleMidiCommand, { kind: 'CK' }>;

export interface ClockSyncOptions {
  /** Exchanges in the first burst (default 6). */
  burstCount?: number;
  /** Interval between the burst's exchanges (µs, default 1.5 s). */
  burstIntervalMicros?: number;
  /** Interval after the burst (µs, default 10 s). */
  intervalMicros?: number;
  /** A CK0 unanswered for this long counts as missed (µs, default 2 s). */
  replyTimeoutMicros?: number;
  /** Samples the best estimate is chosen from (default 4). */
  window?: number;
}

export interface ClockSyncHooks {
  /** Sends a CK command to the peer (on the data port). */
  send(cmd: CkCommand): void;
  /** The estimate changed. */
  onSync(sync: ClockSync): void;
  /** `missed` CK0 in a row went unanswered (initiator only). */
  onMissed(missed: number): void;
  warn(message: string): void;
}

/** Round trips beyond this are not clock samples but stale or forged replies. */
const MAX_ROUND_TRIP_MICROS = 10_000_000;
/** Our own outstanding timestamps remembered to match replies (bounded). */
const MAX_OUTSTANDING = 8;
/** Remote timestamps (100 µs units) whose µs value is still a safe integer. */
const MAX_TICKS = Math.floor(Number.MAX_SAFE_INTEGER / 100);

interface Sample extends ClockSync {
  roundTripMicros: number;
}

/** 100 µs units of a host time (µs): our session clock. */
export function sessionTicks(hostMicros: number): number {
  return Math.floor(hostMicros / 100);
}

export class ClockSyncer {
  private readonly samples: Sample[] = [];
  private best: Sample | undefined;
  /** CK0 we sent: our ts1 (100 µs) → exact send time (µs). */
  private readonly sentCk0 = new Map<number, number>();
  /** CK1 we sent: our ts2 (100 µs) → exact send time (µs). */
  private readonly sentCk1 = new Map<number, number>();
  private timer: TimerHandle | undefined;
  private replyTimer: TimerHandle | undefined;
  private exchanges = 0;
  private missed = 0;
  private running = false;
  private readonly burstCount: number;
  private readonly burstInterval: number;
  private readonly interval: number;
  private readonly replyTimeout: number;
  private readonly window: number;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly ssrc: number,
    private readonly hooks: ClockSyncHooks,
    options: ClockSyncOptions = {},
  ) {
    this.burstCount = options.burstCount ?? 6;
    this.burstInterval = options.burstIntervalMicros ?? 1_500_000;
    this.interval = options.intervalMicros ?? 10_000_000;
    this.replyTimeout = options.replyTimeoutMicros ?? 2_000_000;
    this.window = Math.max(1, options.window ?? 4);
  }

  /** The current estimate (undefined until one exchange completed). */
  get current(): ClockSync | undefined {
    const b = this.best;
    return b && { latencyMicros: b.latencyMicros, offsetMicros: b.offsetMicros, at: b.at };
  }

  /** Initiator: runs the cadence (a burst, then the steady interval), starting now. */
  start(): void {
    this.stop();
    this.running = true;
    this.exchanges = 0;
    this.missed = 0;
    this.exchange();
  }

  /** Stops our own exchanges (replies to the peer's still work); keeps the estimate. */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.replyTimer?.cancel();
    this.replyTimer = undefined;
  }

  /** Forgets every sample (the peer restarted: its clock is another one). */
  reset(): void {
    this.samples.length = 0;
    this.best = undefined;
    this.sentCk0.clear();
    this.sentCk1.clear();
  }

  /** Handles a CK from the peer (already checked to come from it). */
  receive(cmd: CkCommand, receivedAtMicros: number): void {
    const [ts1, ts2, ts3] = cmd.timestamps;
    if (ts1 > MAX_TICKS || ts2 > MAX_TICKS || ts3 > MAX_TICKS) {
      this.hooks.warn(`ignored CK${cmd.count} with timestamps beyond what a session clock reaches`);
      return;
    }
    if (cmd.count === 0) this.answerCk0(ts1);
    else if (cmd.count === 1) this.completeAsInitiator(ts1, ts2, receivedAtMicros);
    else this.completeAsResponder(ts1, ts2, ts3);
  }

  /**
   * The host time (µs) of a remote RTP timestamp (32-bit, 100 µs units of the remote clock), or
   * undefined before the first estimate. The 32-bit value is placed in the 2^32-tick cycle
   * nearest the remote clock's reading now (±2.4 days).
   */
  remoteToHost(rtpTimestamp: number, nowMicros: number): number | undefined {
    const b = this.best;
    if (!b) return undefined;
    const expected = sessionTicks(nowMicros + b.offsetMicros);
    const diff = ((((rtpTimestamp - expected) % 0x1_0000_0000) + 0x1_0000_0000 + 0x8000_0000) % 0x1_0000_0000) - 0x8000_0000;
    return (expected + diff) * 100 - b.offsetMicros;
  }

  private exchange(): void {
    if (!this.running) return;
    const now = this.clock.micros();
    const ts1 = sessionTicks(now);
    remember(this.sentCk0, ts1, now);
    this.hooks.send({ kind: 'CK', ssrc: this.ssrc, count: 0, timestamps: [ts1, 0, 0] });
    this.exchanges++;
    this.replyTimer?.cancel();
    this.replyTimer = this.timers.setTimeout(() => this.onReplyTimeout(), this.replyTimeout);
    const next = this.exchanges < this.burstCount ? this.burstInterval : this.interval;
    this.timer = this.timers.setTimeout(() => this.exchange(), next);
  }

  private onReplyTimeout(): void {
    this.replyTimer = undefined;
    if (!this.running) return;
    this.missed++;
    this.hooks.onMissed(this.missed);
    if (!this.running) return;
    // Try again sooner than the steady interval: a lost packet must not cost 10 s.
    this.timer?.cancel();
    this.timer = this.timers.setTimeout(() => this.exchange(), Math.min(this.burstInterval, this.interval));
  }

  private answerCk0(ts1: number): void {
    const now = this.clock.micros();
    const ts2 = sessionTicks(now);
    remember(this.sentCk1, ts2, now);
    this.hooks.send({ kind: 'CK', ssrc: this.ssrc, count: 1, timestamps: [ts1, ts2, 0] });
  }

  private completeAsInitiator(ts1: number, ts2: number, receivedAt: number): void {
    const t1 = this.sentCk0.get(ts1);
    if (t1 === undefined) {
      this.hooks.warn('ignored CK1 answering no CK0 of ours');
      return;
    }
    this.sentCk0.delete(ts1);
    const now = this.clock.micros();
    this.hooks.send({ kind: 'CK', ssrc: this.ssrc, count: 2, timestamps: [ts1, ts2, sessionTicks(now)] });
    this.missed = 0;
    this.replyTimer?.cancel();
    this.replyTimer = undefined;
    // Both times are ours; the runtime may date a datagram back to when the event loop was busy
    // (node-runtime's loop probe), which can put a fast reply "before" a send made later in that
    // same busy turn. Nothing arrives before it leaves: a reply dated earlier counts as instant.
    const arrived = Math.max(receivedAt, t1);
    this.addSample(arrived - t1, ts2 * 100 - (t1 + arrived) / 2, now);
  }

  private completeAsResponder(ts1: number, ts2: number, ts3: number): void {
    const t2 = this.sentCk1.get(ts2);
    if (t2 === undefined) {
      this.hooks.warn('ignored CK2 completing no CK1 of ours');
      return;
    }
    this.sentCk1.delete(ts2);
    this.addSample((ts3 - ts1) * 100, (ts1 + ts3) * 50 - t2, this.clock.micros());
  }

  private addSample(roundTripMicros: number, offsetMicros: number, at: number): void {
    if (!(roundTripMicros >= 0 && roundTripMicros <= MAX_ROUND_TRIP_MICROS) || !Number.isFinite(offsetMicros)) {
      this.hooks.warn(`ignored a clock sample with an implausible round trip (${roundTripMicros} µs)`);
      return;
    }
    const sample: Sample = { roundTripMicros, latencyMicros: Math.round(roundTripMicros / 2), offsetMicros: Math.round(offsetMicros), at };
    this.samples.push(sample);
    if (this.samples.length > this.window) this.samples.shift();
    let best = this.samples[0] as Sample;
    for (const s of this.samples) if (s.roundTripMicros <= best.roundTripMicros) best = s;
    if (best === this.best) return;
    this.best = best;
    this.hooks.onSync(this.current as ClockSync);
  }
}

function remember(map: Map<number, number>, key: number, value: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_OUTSTANDING) map.delete(map.keys().next().value as number);
}
