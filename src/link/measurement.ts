/**
 * One clock measurement against a peer's measurement endpoint (link-wire-spec 02 §4.2, §5):
 * a chain of pings paced by the pongs, a 50 ms retry timer with a cumulative budget of 5,
 * completion at more than 100 offset samples.
 * Pongs are correlated by source endpoint (the [N] option of §4.2) and, against forgery, by
 * their echo: a pong counts only when its `__ht` is one we sent and its `_pgt` one we received.
 *
 * Estimator: the median of the samples whose round trip was among the fastest third, rather
 * than of all samples (spec 02 §5 allows any robust estimator, [N]): the first round trips of
 * a cold JavaScript process are slow and lopsided (JIT warm-up), and the fastest ones carry the
 * least queueing. Its uncertainty is half the median round trip of those samples: the most a
 * midpoint can be off when the two directions take different times.
 * @module
 */
import { roundHalfAway } from '../core/checks.ts';
import { toError } from '../core/errors.ts';
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';
import { patchI64, pingTemplate, type MeasurementMessage } from './measurement-codec.ts';
import { ghostTimeProblem } from './plausibility.ts';
import type { Endpoint, NodeId } from './types.ts';

export const RETRY_MICROS = 50_000;
export const MAX_RETRIES = 5;
export const SAMPLES_REQUIRED = 100;
/**
 * When the retry budget runs out (lost datagrams spend it: spec 02 §5.1), a measurement that
 * already holds this many samples completes with them instead of failing. The reference
 * discards them [B]; the estimator is ours to choose [N], and on a lossy network this is what
 * lets sessions merge at all (test/scenarios: 10 % loss).
 */
export const SAMPLES_SUFFICIENT = 40;
/** Our recent ping stamps remembered, to recognise the echo of each in a pong. */
const SENT_REMEMBERED = 16;

export type MeasurementResult =
  | {
    ok: true;
    intercept: number;
    samples: number;
    minRttMicros: number;
    medianRttMicros: number;
    /** Half the median round trip of the samples used: how far asymmetry could move the estimate. */
    uncertaintyMicros: number;
  }
  | {
    ok: false;
    reason: string;
    pongs: number;
    /** Cancelled by us (not the endpoint's fault). */
    cancelled?: true;
    /** The endpoint answered, but with values we cannot use (session-election.ts). */
    refused?: true;
  };

export interface MeasurementDeps {
  clock: Clock;
  timers: Timers;
  /** Sends a ping; may throw (the measurement then fails with the reason). */
  send(data: Uint8Array, to: Endpoint): void;
  /** How long after the clock read before `send` the datagram leaves (runtime estimate, µs; read at each ping). */
  readonly sendLatencyMicros?: number;
  /**
   * The target answers for another session than the one measured (it joined one meanwhile):
   * return true to go on measuring that session instead (the samples so far are dropped), false
   * to fail (spec 02 §4.2's behaviour).
   */
  retarget?(sessionId: NodeId): boolean;
  /** Completes at more than this many samples (default SAMPLES_REQUIRED, spec 02 §5). */
  samplesRequired?: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Sample {
  offset: number;
  rtt: number;
}

/** The samples of the fastest third of round trips (see the module note). */
function fastestThird(samples: readonly Sample[]): Sample[] {
  return [...samples].sort((a, b) => a.rtt - b.rtt).slice(0, Math.max(1, Math.ceil(samples.length / 3)));
}

/** Median offset of the samples from the fastest third of round trips. */
export function estimateOffset(samples: readonly Sample[]): number {
  return median(fastestThird(samples).map((s) => s.offset));
}

export class Measurement {
  readonly target: Endpoint;
  /** The session measured (it may change once, see MeasurementDeps.retarget). */
  sessionId: NodeId;
  private samples: Sample[] = [];
  /** Receive time of recent pongs by their ghost time, to pair a pong with the next (see onPong). */
  private readonly receivedByGhost = new Map<number, number>();
  private readonly sentHostTimes: number[] = [];
  private retries = 0;
  private pongs = 0;
  private timer: TimerHandle | undefined;
  private deadline = 0;
  private stallGrace = false;
  private finished = false;

  constructor(
    private readonly deps: MeasurementDeps,
    target: Endpoint,
    sessionId: NodeId,
    private readonly done: (r: MeasurementResult) => void,
  ) {
    this.target = target;
    this.sessionId = sessionId;
  }

  get active(): boolean {
    return !this.finished;
  }

  start(): void {
    this.ping();
  }

  /**
   * Feeds a decoded pong that came from `target`; false when it is not an answer to one of our
   * pings (a forgery or a stray), which leaves the measurement as it was.
   */
  onPong(pong: MeasurementMessage, receivedAtMicros = this.deps.clock.micros()): boolean {
    if (this.finished) return false;
    const ht = receivedAtMicros;
    const gt = pong.ghostTime;
    const pht = pong.hostTime;
    if (pht === undefined || !this.sentHostTimes.includes(pht) || gt === undefined || ghostTimeProblem(gt) !== undefined) return false;
    this.pongs++;
    this.stallGrace = false;
    if (pong.sessionId !== this.sessionId) {
      if (pong.sessionId === undefined || !this.deps.retarget?.(pong.sessionId)) {
        this.finish({ ok: false, reason: `pong names session ${pong.sessionId ?? '(none)'}, expected ${this.sessionId}`, pongs: this.pongs });
        return true;
      }
      this.sessionId = pong.sessionId;
      this.samples = [];
      this.receivedByGhost.clear();
    }
    const pgt = pong.prevGhostTime;
    const rtt = ht - pht;
    if (gt !== 0 && rtt >= 0) {
      this.samples.push({ offset: gt - (ht + pht) / 2, rtt });
      // The second sample pairs this pong with the previous one: the responder's two ghost
      // times bracket our receive of the previous pong and our send of this ping. Spec 02 §5
      // takes `pht` alone as their midpoint, which is biased by half of our own processing time
      // between the two; we know that time exactly, so we use the midpoint of both instants.
      const prevReceived = pgt !== undefined && pgt !== 0 ? this.receivedByGhost.get(pgt) : undefined;
      if (prevReceived !== undefined && gt > pgt!) this.samples.push({ offset: (gt + pgt!) / 2 - (pht + prevReceived) / 2, rtt: gt - pgt! });
      this.receivedByGhost.set(gt, ht);
      if (this.receivedByGhost.size > 16) this.receivedByGhost.delete(this.receivedByGhost.keys().next().value as number);
    }
    if (this.samples.length > (this.deps.samplesRequired ?? SAMPLES_REQUIRED)) {
      this.complete();
      return true;
    }
    this.ping(gt || undefined);
    return true;
  }

  cancel(reason = 'cancelled'): void {
    this.finish({ ok: false, reason, pongs: this.pongs, cancelled: true });
  }

  private complete(): void {
    const rtts = this.samples.map((s) => s.rtt);
    const used = fastestThird(this.samples);
    this.finish({
      ok: true,
      intercept: roundHalfAway(median(used.map((s) => s.offset))),
      samples: this.samples.length,
      minRttMicros: Math.min(...rtts),
      medianRttMicros: median(rtts),
      uncertaintyMicros: median(used.map((s) => s.rtt)) / 2,
    });
  }

  private ping(prevGhostTime?: number): void {
    // Encode first, read the clock last: what runs between the stamp and the send delays the
    // ping behind its stamp and biases every midpoint (spec 02 §5).
    const { bytes, hostTimeAt } = pingTemplate(prevGhostTime);
    const hostTime = this.deps.clock.micros() + Math.round(this.deps.sendLatencyMicros ?? 0);
    patchI64(bytes, hostTimeAt, hostTime);
    try {
      this.deps.send(bytes, this.target);
    } catch (err) {
      this.finish({ ok: false, reason: `cannot ping ${this.target.address}:${this.target.port}: ${toError(err).message}`, pongs: this.pongs });
      return;
    }
    this.sentHostTimes.push(hostTime);
    if (this.sentHostTimes.length > SENT_REMEMBERED) this.sentHostTimes.shift();
    this.arm(RETRY_MICROS);
  }

  private arm(delay: number): void {
    this.timer?.cancel();
    this.deadline = this.deps.clock.micros() + delay;
    this.timer = this.deps.timers.setTimeout(() => this.onTimeout(), delay);
  }

  private onTimeout(): void {
    if (this.finished) return;
    // A timer that fires far too late means the event loop stalled: pongs that arrived during
    // the stall are still queued behind this timer. Look once more after they are read
    // (a 0 µs timer runs after the pending I/O) before spending the retry budget.
    if (!this.stallGrace && this.deps.clock.micros() - this.deadline > RETRY_MICROS / 2) {
      this.stallGrace = true;
      this.timer = this.deps.timers.setTimeout(() => this.onTimeout(), 0);
      return;
    }
    this.stallGrace = false;
    if (this.retries >= MAX_RETRIES) {
      if (this.samples.length >= SAMPLES_SUFFICIENT) {
        this.complete();
        return;
      }
      this.finish({ ok: false, reason: `no pong within ${RETRY_MICROS / 1000} ms after ${MAX_RETRIES} retries`, pongs: this.pongs });
      return;
    }
    this.retries++;
    this.ping();
  }

  private finish(r: MeasurementResult): void {
    if (this.finished) return;
    this.finished = true;
    this.timer?.cancel();
    this.done(r);
  }
}
