/**
 * Session election (link-wire-spec 02 §7): which foreign sessions we know, measuring them (aimed
 * at the founder when visible), the join rule, and the 30 s re-measurement of a joined session.
 * L1: runs on the host's clock and timers; the host owns the session state and applies joins.
 * @module
 */
import type { Clock, TimerHandle, Timers, UdpRemote } from '../core/runtime.ts';
import type { Gateway } from './gateway.ts';
import { Measurement, type MeasurementResult } from './measurement.ts';
import type { MeasurementMessage } from './measurement-codec.ts';
import type { Endpoint, NodeId, Timeline } from './types.ts';

export const JOIN_THRESHOLD_MICROS = 500_000;
export const REMEASURE_MICROS = 30_000_000;
/** Foreign sessions remembered at most (a flood of random session ids cannot grow memory). */
export const MAX_KNOWN_SESSIONS = 64;
/** While alone, a cached foreign session is re-measured at most this often (breaks join swaps). */
const ALONE_REMEASURE_MICROS = 1_000_000;

/** What the election needs from the Link peer. */
export interface ElectionHost {
  readonly clock: Clock;
  readonly timers: Timers;
  /** False once the peer is disabled: results and timers are dropped then. */
  readonly active: boolean;
  /** Our current session and its ghost transform (`ghost = host + ghostOffset`). */
  readonly sessionId: NodeId;
  readonly ghostOffset: number;
  /** True while we founded the session we are in (founders never re-measure it). */
  readonly founder: boolean;
  /** True while no other peer shares our session. */
  readonly alone: boolean;
  /** How long after the clock read a ping leaves (runtime estimate, µs). */
  readonly sendLatencyMicros: number;
  gateways(): Iterable<Gateway>;
  /** Adopt `sessionId` with its newest timeline and the measured transform. */
  join(sessionId: NodeId, timeline: Timeline, ghostOffset: number): void;
  /** A re-measurement of our own session gave a new transform. */
  remeasured(ghostOffset: number): void;
  debug(message: string): void;
  warn(code: string, message: string): void;
}

interface KnownSession {
  timeline: Timeline;
  ghostOffset?: number;
  measuring?: boolean;
  measuredAt?: number;
}

interface ActiveMeasurement {
  gateway: Gateway;
  m: Measurement;
}

export class SessionElection {
  private readonly sessions = new Map<NodeId, KnownSession>();
  private readonly measurements: ActiveMeasurement[] = [];
  private remeasureTimer: TimerHandle | undefined;

  constructor(private readonly host: ElectionHost) {}

  /** A peer of a session other than ours announced `timeline` (newest beat origin wins, §6). */
  heard(sessionId: NodeId, timeline: Timeline, gw: Gateway): void {
    let known = this.sessions.get(sessionId);
    if (!known) {
      if (this.sessions.size >= MAX_KNOWN_SESSIONS) {
        this.host.warn('E_PROTOCOL', `too many foreign sessions (${MAX_KNOWN_SESSIONS}); ignored session ${sessionId}`);
        return;
      }
      known = { timeline };
      this.sessions.set(sessionId, known);
    } else if (timeline.beatOrigin > known.timeline.beatOrigin) {
      known.timeline = timeline;
    }
    if (known.measuring) return;
    // Near the ±ε boundary both peers may join each other's session and end up alone again;
    // re-measuring while alone lets the tie-break settle it (spec 02 §7.2, convergence).
    const stale = known.measuredAt === undefined || this.host.clock.micros() - known.measuredAt > ALONE_REMEASURE_MICROS;
    if (known.ghostOffset === undefined || (this.host.alone && stale)) this.measure(sessionId, gw);
  }

  /** Routes a pong to the measurement aimed at its sender; false when there is none. */
  pong(gw: Gateway, pong: MeasurementMessage, from: UdpRemote, receivedAtMicros: number): boolean {
    const a = this.measurements.find((x) => x.gateway === gw && x.m.target.address === from.address && x.m.target.port === from.port);
    if (!a) return false;
    a.m.onPong(pong, receivedAtMicros);
    return true;
  }

  /** We joined `joinedId`, leaving `left`: remember it with its transform (§7.2), re-measure ours. */
  joined(left: { sessionId: NodeId; timeline: Timeline; ghostOffset: number }, joinedId: NodeId): void {
    this.sessions.set(left.sessionId, { timeline: left.timeline, ghostOffset: left.ghostOffset });
    this.sessions.delete(joinedId);
    this.scheduleRemeasure();
  }

  /** Forgets every session and cancels every measurement (new session of our own, disable). */
  reset(reason: string): void {
    this.sessions.clear();
    for (const a of this.measurements.splice(0)) a.m.cancel(reason);
    this.remeasureTimer?.cancel();
  }

  /** Drops cached sessions none of whose peers is still around. */
  prune(): void {
    const gateways = [...this.host.gateways()];
    for (const id of [...this.sessions.keys()]) {
      const alive = gateways.some((g) => [...g.peers.values()].some((p) => p.state.sessionId === id));
      if (!alive && !this.sessions.get(id)?.measuring) this.sessions.delete(id);
    }
  }

  /** Starts a measurement of `sessionId`, aimed at its founder if visible (spec 02 §7.1). */
  private measure(sessionId: NodeId, preferred?: Gateway): boolean {
    const target = this.pickTarget(sessionId, preferred);
    if (!target) return false;
    const known = this.sessions.get(sessionId);
    if (known) known.measuring = true;
    const { gateway, endpoint } = target;
    const deps = { clock: this.host.clock, timers: this.host.timers, send: (d: Uint8Array, to: Endpoint) => gateway.sendPing(d, to), sendLatencyMicros: this.host.sendLatencyMicros };
    const entry: ActiveMeasurement = {
      gateway,
      m: new Measurement(deps, endpoint, sessionId, (r) => {
        const i = this.measurements.indexOf(entry);
        if (i >= 0) this.measurements.splice(i, 1);
        this.measured(sessionId, r);
      }),
    };
    this.measurements.push(entry);
    entry.m.start();
    return true;
  }

  private pickTarget(sessionId: NodeId, preferred?: Gateway): { gateway: Gateway; endpoint: Endpoint } | undefined {
    let fallback: { gateway: Gateway; endpoint: Endpoint } | undefined;
    const gws = [...this.host.gateways()].sort((a) => (a === preferred ? -1 : 0));
    for (const gateway of gws) {
      for (const p of gateway.peers.values()) {
        const endpoint = p.state.measurementV4;
        if (p.state.sessionId !== sessionId || !endpoint) continue;
        if (p.nodeId === sessionId) return { gateway, endpoint };
        fallback ??= { gateway, endpoint };
      }
    }
    return fallback;
  }

  private measured(sessionId: NodeId, r: MeasurementResult): void {
    if (!this.host.active) return;
    this.host.debug(r.ok
      ? `measured session ${sessionId}: ghost offset ${r.intercept} µs from ${r.samples} samples, round trip min ${r.minRttMicros} / median ${r.medianRttMicros} µs`
      : `measurement of session ${sessionId} failed: ${r.reason}`);
    if (sessionId === this.host.sessionId) {
      if (r.ok) this.host.remeasured(r.intercept);
      else this.host.warn('E_TIMEOUT', `re-measurement of session ${sessionId} failed: ${r.reason}`);
      this.scheduleRemeasure();
      return;
    }
    const known = this.sessions.get(sessionId);
    if (!known) return;
    known.measuring = false;
    if (!r.ok) {
      // Forgotten; the next alive naming it starts a fresh attempt (spec 02 §7.1).
      this.sessions.delete(sessionId);
      return;
    }
    known.ghostOffset = r.intercept;
    known.measuredAt = this.host.clock.micros();
    if (shouldJoin(r.intercept - this.host.ghostOffset, sessionId, this.host.sessionId)) {
      this.host.join(sessionId, known.timeline, r.intercept);
    }
  }

  private scheduleRemeasure(): void {
    this.remeasureTimer?.cancel();
    if (this.host.founder) return;
    this.remeasureTimer = this.host.timers.setTimeout(() => {
      if (!this.host.active) return;
      if (!this.measure(this.host.sessionId)) this.scheduleRemeasure();
    }, REMEASURE_MICROS);
  }
}

/**
 * The join rule (spec 02 §7.2): join when the other session's ghost time is more than ε ahead
 * (older), or within ε and its id is smaller. `ghostDiff` = g_new − g_cur. The tie zone is
 * closed (|Δ| ≤ ε): at exactly ±ε the strict rule lets neither side join; this way one does.
 */
export function shouldJoin(ghostDiff: number, newSessionId: NodeId, currentSessionId: NodeId): boolean {
  return ghostDiff > JOIN_THRESHOLD_MICROS || (Math.abs(ghostDiff) <= JOIN_THRESHOLD_MICROS && newSessionId < currentSessionId);
}
