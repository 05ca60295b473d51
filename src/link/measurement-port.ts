/**
 * What arrives on a gateway's measurement socket (link-wire-spec 02 §3–§4), L1: pings, answered
 * by the stateless responder (§4.3: every valid ping, rate-limited per source endpoint and in
 * total), and pongs, routed to the measurement that expects them. The pong carries the ghost
 * time of the midpoint between the ping's arrival and the pong's departure, as a responder
 * answering at once would stamp (corrects the runtime's own latencies); the clock is read last,
 * just before the send (see `pingTemplate`). Never throws: everything dropped is a warning.
 * @module
 */
import { toError } from '../core/errors.ts';
import { KeyedBuckets, type RateLimit } from '../core/rate-limit.ts';
import type { Runtime, UdpRemote } from '../core/runtime.ts';
import { decodeMeasurement, isMeasurementFrame, patchI64, PING, PONG, pongTemplate, type MeasurementMessage } from './measurement-codec.ts';
import { ghostTimeProblem } from './plausibility.ts';
import type { NodeId } from './types.ts';

/**
 * Pongs per source endpoint and in total. One measurement is ~52 pings as fast as the round
 * trip allows; a peer measures a session once on discovery and every 30 s after.
 */
export const PONG_LIMITS: { perSource: RateLimit; total: RateLimit } = {
  perSource: { burst: 256, perSecond: 128 },
  total: { burst: 2048, perSecond: 1024 },
};

export type PongOutcome =
  | { kind: 'pong'; bytes: Uint8Array }
  | { kind: 'limited' }
  | { kind: 'ignored'; why: string };

/** What the measurement port needs from its gateway. */
export interface MeasurementPortHost {
  readonly sessionId: NodeId;
  readonly ghostOffset: number;
  sendPong(bytes: Uint8Array, to: UdpRemote): void;
  /** Routes a pong (arrival corrected for the runtime's latency); true when a measurement expected it. */
  onPong(pong: MeasurementMessage, from: UdpRemote, arrivalMicros: number): boolean;
  /** `from` answered our pings. */
  proven(from: UdpRemote): void;
  /** A pong not sent because of the rate limit. */
  limited(): void;
  warn(code: string, message: string): void;
}

export class MeasurementPort {
  private readonly limits: KeyedBuckets;

  constructor(private readonly rt: Runtime, private readonly host: MeasurementPortHost) {
    this.limits = new KeyedBuckets(PONG_LIMITS.perSource, PONG_LIMITS.total, 1024, rt.clock.micros());
  }

  /** One datagram on the measurement socket, stamped `receivedAt` by the runtime. */
  receive(data: Uint8Array, from: UdpRemote, receivedAt: number | undefined): void {
    if (!isMeasurementFrame(data)) {
      this.host.warn('E_DECODE', `dropped ${data.length}-byte datagram on the measurement socket from ${from.address}:${from.port}`);
      return;
    }
    if (data[8] === PING) {
      const r = this.answer(data, from, receivedAt, this.host.sessionId, this.host.ghostOffset);
      if (r.kind === 'pong') this.host.sendPong(r.bytes, from);
      else if (r.kind === 'limited') this.host.limited();
      else this.host.warn('E_PROTOCOL', r.why);
      return;
    }
    let msg: MeasurementMessage;
    try {
      msg = decodeMeasurement(data);
    } catch (err) {
      this.host.warn('E_DECODE', `dropped measurement datagram from ${from.address}:${from.port}: ${toError(err).message}`);
      return;
    }
    if (msg.type !== PONG) {
      this.host.warn('E_PROTOCOL', `ignored measurement message of unknown type ${msg.type}`);
      return;
    }
    const arrival = (receivedAt ?? this.rt.clock.micros()) - (this.rt.network.latency?.receiveMicros ?? 0);
    if (this.host.onPong(msg, from, arrival)) this.host.proven(from);
    else this.host.warn('E_PROTOCOL', `ignored pong from ${from.address}:${from.port}: no measurement in progress with it`);
  }

  /** The pong for `ping` from `from` (received at `receivedAt`), stamped now in session `sessionId`. */
  answer(ping: Uint8Array, from: UdpRemote, receivedAt: number | undefined, sessionId: NodeId, ghostOffset: number): PongOutcome {
    if (from.port < 1 || from.port > 65535) return { kind: 'ignored', why: `ping from port ${from.port}` };
    if (!this.limits.take(`${from.address}|${from.port}`, this.rt.clock.micros())) return { kind: 'limited' };
    const pong = pongTemplate(ping, sessionId);
    if (!pong) return { kind: 'ignored', why: `ignored oversized ping from ${from.address}:${from.port}` };
    const lat = this.rt.network.latency;
    const at = this.rt.clock.micros();
    const arrival = (receivedAt ?? at) - (lat?.receiveMicros ?? 0);
    const stamp = ghostOffset + Math.round((arrival + at + (lat?.sendMicros ?? 0)) / 2);
    const problem = ghostTimeProblem(stamp);
    if (problem !== undefined) return { kind: 'ignored', why: `no pong: our ${problem}` };
    patchI64(pong.bytes, pong.ghostTimeAt, stamp);
    return { kind: 'pong', bytes: pong.bytes };
  }
}
