/**
 * One clock measurement against a peer's measurement endpoint (link-wire-spec 02 §4.2, §5):
 * a chain of pings paced by the pongs, a 50 ms retry timer with a cumulative budget of 5,
 * completion at more than 100 offset samples.
 * Pongs are correlated by source endpoint (the [N] option of §4.2).
 *
 * Estimator: the median of the samples whose round trip was among the fastest third, rather
 * than of all samples (spec 02 §5 allows any robust estimator, [N]): the first round trips of
 * a cold JavaScript process are slow and lopsided (JIT warm-up), and the fastest ones carry the
 * least queueing. On this project's 2-vCPU test machine the two estimators agree within ~5 µs;
 * what remains of the error against a C++ peer (0–30 µs per measurement, bench/link-interop.ts)
 * is scheduling asymmetry that no midpoint estimator can see.
 * @module
 */
import { roundHalfAway } from '../core/checks.ts';
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';
import { encodeMeasurement, PING, type MeasurementMessage } from './measurement-codec.ts';
import type { Endpoint, NodeId } from './types.ts';

export const RETRY_MICROS = 50_000;
export const MAX_RETRIES = 5;
export const SAMPLES_REQUIRED = 100;

export type MeasurementResult =
  | { ok: true; intercept: number; samples: number; minRttMicros: number; medianRttMicros: number }
  | { ok: false; reason: string };

export interface MeasurementDeps {
  clock: Clock;
  timers: Timers;
  send(data: Uint8Array, to: Endpoint): void;
  /** How long after the clock read before `send` the datagram leaves (runtime estimate, µs). */
  sendLatencyMicros?: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median offset of the samples from the fastest third of round trips (see the module note). */
export function estimateOffset(samples: ReadonlyArray<{ offset: number; rtt: number }>): number {
  const fastest = [...samples].sort((a, b) => a.rtt - b.rtt).slice(0, Math.max(1, Math.ceil(samples.length / 3)));
  return median(fastest.map((s) => s.offset));
}

export class Measurement {
  readonly target: Endpoint;
  readonly sessionId: NodeId;
  private readonly samples: Array<{ offset: number; rtt: number }> = [];
  /** Receive time of recent pongs by their ghost time, to pair a pong with the next (see onPong). */
  private readonly receivedByGhost = new Map<number, number>();
  private retries = 0;
  private timer: TimerHandle | undefined;
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

  /** Feeds a decoded pong that came from `target`. */
  onPong(pong: MeasurementMessage, receivedAtMicros = this.deps.clock.micros()): void {
    if (this.finished) return;
    if (pong.sessionId !== this.sessionId) {
      this.finish({ ok: false, reason: `pong names session ${pong.sessionId ?? '(none)'}, expected ${this.sessionId}` });
      return;
    }
    const ht = receivedAtMicros;
    const gt = pong.ghostTime ?? 0;
    const pht = pong.hostTime ?? 0;
    const pgt = pong.prevGhostTime ?? 0;
    if (gt !== 0 && pht !== 0) {
      const rtt = ht - pht;
      this.samples.push({ offset: gt - (ht + pht) / 2, rtt });
      // The second sample pairs this pong with the previous one: the responder's two ghost
      // times bracket our receive of the previous pong and our send of this ping. Spec 02 §5
      // takes `pht` alone as their midpoint, which is biased by half of our own processing time
      // between the two; we know that time exactly, so we use the midpoint of both instants.
      const prevReceived = pgt !== 0 ? this.receivedByGhost.get(pgt) : undefined;
      if (prevReceived !== undefined) this.samples.push({ offset: (gt + pgt) / 2 - (pht + prevReceived) / 2, rtt: gt - pgt });
      this.receivedByGhost.set(gt, ht);
      if (this.receivedByGhost.size > 16) this.receivedByGhost.delete(this.receivedByGhost.keys().next().value as number);
    }
    if (this.samples.length > SAMPLES_REQUIRED) {
      const rtts = this.samples.map((s) => s.rtt);
      this.finish({
        ok: true,
        intercept: roundHalfAway(estimateOffset(this.samples)),
        samples: this.samples.length,
        minRttMicros: Math.min(...rtts),
        medianRttMicros: median(rtts),
      });
      return;
    }
    this.ping(gt || undefined);
  }

  cancel(reason = 'cancelled'): void {
    this.finish({ ok: false, reason });
  }

  private ping(prevGhostTime?: number): void {
    const msg: MeasurementMessage = { type: PING, hostTime: this.deps.clock.micros() + (this.deps.sendLatencyMicros ?? 0) };
    if (prevGhostTime !== undefined) msg.prevGhostTime = prevGhostTime;
    this.deps.send(encodeMeasurement(msg), this.target);
    this.timer?.cancel();
    this.timer = this.deps.timers.setTimeout(() => this.onTimeout(), RETRY_MICROS);
  }

  private onTimeout(): void {
    if (this.finished) return;
    if (this.retries >= MAX_RETRIES) {
      this.finish({ ok: false, reason: `no pong within ${RETRY_MICROS / 1000} ms after ${MAX_RETRIES} retries` });
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
