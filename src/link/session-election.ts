/**
 * Session election (link-wire-spec 02 §7): which foreign sessions we know, measuring them (aimed
 * at the founder when visible), the join rule, and the re-measurement of a joined session.
 * L1: runs on the host's clock and timers; the host owns the session state and applies joins.
 *
 * Bounded against floods: at most {@link MAX_KNOWN_SESSIONS} sessions are remembered (the
 * lowest-ranked, least recently heard one makes room), at most {@link MAX_CONCURRENT_MEASUREMENTS}
 * measurements run at once (our own session first, then by the rank of the session's best
 * peer), and an endpoint that never answered is tried again only after a growing pause
 * (1 s doubling to 30 s), so a forged `mep4` cannot make us ping a host many times a second.
 *
 * Re-measurement: after a join the session is measured again at 1, 2, 4 and 8 s, then every
 * 30 s (spec 02 §7.3 has 30 s only). A result replaces the transform only when its uncertainty
 * (measurement.ts) is within 1.5× of the best one seen, an allowance that doubles every minute so
 * drift is still followed: a measurement taken while the machine was busy cannot displace a
 * better one, and one taken in a quiet moment corrects a join made under load within seconds.
 * @module
 */
import type { Clock, TimerHandle, Timers, UdpRemote } from '../core/runtime.ts';
import type { Gateway } from './gateway.ts';
import { Measurement, type MeasurementResult } from './measurement.ts';
import type { MeasurementMessage } from './measurement-codec.ts';
import { MeasurementTargets } from './measurement-targets.ts';
import { Rank } from './peer-table.ts';
import { RemeasurePolicy } from './remeasure-policy.ts';
import { ghostTimeProblem, timelineProblem } from './plausibility.ts';
import type { Endpoint, NodeId, Timeline } from './types.ts';

export const JOIN_THRESHOLD_MICROS = 500_000;
export { EARLY_REMEASURE_MICROS, REMEASURE_MICROS } from './remeasure-policy.ts';
/** Foreign sessions remembered at most (a flood of random session ids cannot grow memory). */
export const MAX_KNOWN_SESSIONS = 64;
/**
 * Measurements in flight at most. Measurements wait on the network, but a many-peer start is
 * CPU-bound: 16 Node peers started together on 2 cores spent 1.8 cores in their first 3 s with
 * 8 at once, and round trips grew to tens of ms; with 2 they converged a second sooner and
 * agreed better (bench/link-interop.ts, the 16-peer scenario).
 */
export const MAX_CONCURRENT_MEASUREMENTS = 2;
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
  measuredAt?: number;
  state: 'idle' | 'queued' | 'measuring';
  /** Rank of its best peer (peer-table.ts): the order of measurement and eviction. */
  rank: number;
  heardAt: number;
}

interface ActiveMeasurement {
  /** The session measured (a measurement may follow its peer into another, see retarget). */
  sessionId: NodeId;
  gateway: Gateway;
  m: Measurement;
}

/** Our own session in the measurement queue (it goes first). */
const OWN = Symbol('own session');

export class SessionElection {
  private readonly sessions = new Map<NodeId, KnownSession>();
  private readonly measurements: ActiveMeasurement[] = [];
  private readonly queue: Array<NodeId | typeof OWN> = [];
  private readonly targets = new MeasurementTargets();
  private readonly policy = new RemeasurePolicy();
  private remeasureTimer: TimerHandle | undefined;

  constructor(private readonly host: ElectionHost) {}

  /** A peer of a session other than ours announced `timeline` (newest beat origin wins, §6). */
  heard(sessionId: NodeId, timeline: Timeline, gw: Gateway, rank: number = Rank.Once): void {
    const now = this.host.clock.micros();
    let known = this.sessions.get(sessionId);
    if (!known) {
      if (this.sessions.size >= MAX_KNOWN_SESSIONS && !this.makeRoom(rank)) {
        this.host.warn('E_PROTOCOL', `too many foreign sessions (${MAX_KNOWN_SESSIONS}); ignored session ${sessionId}`);
        return;
      }
      known = { timeline, state: 'idle', rank, heardAt: now };
      this.sessions.set(sessionId, known);
    } else if (timeline.beatOrigin > known.timeline.beatOrigin) {
      known.timeline = timeline;
    }
    known.heardAt = now;
    known.rank = Math.max(known.rank, rank);
    if (known.state !== 'idle') return;
    // Near the ±ε boundary both peers may join each other's session and end up alone again;
    // re-measuring while alone lets the tie-break settle it (spec 02 §7.2, convergence).
    const stale = known.measuredAt === undefined || now - known.measuredAt > ALONE_REMEASURE_MICROS;
    if (known.ghostOffset === undefined || (this.host.alone && stale)) this.enqueue(sessionId, gw);
  }

  /** Routes a pong to the measurement aimed at its sender; false when none expected it. */
  pong(gw: Gateway, pong: MeasurementMessage, from: UdpRemote, receivedAtMicros: number): boolean {
    const a = this.measurements.find((x) => x.gateway === gw && x.m.target.address === from.address && x.m.target.port === from.port);
    return a !== undefined && a.m.onPong(pong, receivedAtMicros);
  }

  /** We joined `joinedId`, leaving `left`: remember it with its transform (§7.2), re-measure ours. */
  joined(left: { sessionId: NodeId; timeline: Timeline; ghostOffset: number }, joinedId: NodeId): void {
    this.sessions.set(left.sessionId, { timeline: left.timeline, ghostOffset: left.ghostOffset, state: 'idle', rank: Rank.Once, heardAt: this.host.clock.micros() });
    this.forget(joinedId);
    this.policy.joined();
    this.scheduleRemeasure();
    this.reconsider();
  }

  /**
   * After a join, a session measured earlier may now win the join rule against the one we are
   * in (when many peers start together each joins some older session, then the next): its
   * cached transform decides at once, instead of waiting for a new measurement (spec 02 §7.2
   * says only that disagreement converges; this makes it converge in one step per session).
   */
  private reconsider(): void {
    const announced = new Set<NodeId>();
    for (const g of this.host.gateways()) for (const p of g.peers.values()) if (p.state.sessionId) announced.add(p.state.sessionId);
    let pick: [NodeId, KnownSession & { ghostOffset: number }] | undefined;
    for (const [id, s] of this.sessions) {
      if (s.ghostOffset === undefined || !announced.has(id)) continue; // measured, and still someone's session
      if (!shouldJoin(s.ghostOffset - this.host.ghostOffset, id, this.host.sessionId)) continue;
      if (!pick || shouldJoin(s.ghostOffset - pick[1].ghostOffset, id, pick[0])) pick = [id, s as KnownSession & { ghostOffset: number }];
    }
    if (!pick) return;
    const [id, s] = pick;
    if (timelineProblem(s.timeline, this.host.clock.micros() + s.ghostOffset) !== undefined) return;
    this.host.debug(`session ${id}, measured earlier, wins over the one we joined`);
    this.host.join(id, s.timeline, s.ghostOffset);
  }

  /** Forgets every session and cancels every measurement (new session of our own, disable). */
  reset(reason: string): void {
    this.sessions.clear();
    this.queue.length = 0;
    for (const a of this.measurements.splice(0)) a.m.cancel(reason);
    this.remeasureTimer?.cancel();
    this.policy.forget();
  }

  /** Drops cached sessions none of whose peers is still around. */
  prune(): void {
    const alive = new Set<NodeId>();
    for (const g of this.host.gateways()) for (const p of g.peers.values()) if (p.state.sessionId) alive.add(p.state.sessionId);
    for (const [id, s] of [...this.sessions]) if (!alive.has(id) && s.state !== 'measuring') this.forget(id);
  }

  private forget(sessionId: NodeId): void {
    this.sessions.delete(sessionId);
    const i = this.queue.indexOf(sessionId);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Evicts the lowest-ranked, least recently heard idle session for a newcomer of `rank`. */
  private makeRoom(rank: number): boolean {
    let victim: [NodeId, KnownSession] | undefined;
    for (const entry of this.sessions) {
      const s = entry[1];
      if (s.state === 'measuring') continue;
      if (!victim || s.rank < victim[1].rank || (s.rank === victim[1].rank && s.heardAt < victim[1].heardAt)) victim = entry;
    }
    if (!victim || victim[1].rank > rank) return false;
    this.forget(victim[0]);
    return true;
  }

  private enqueue(sessionId: NodeId | typeof OWN, preferred?: Gateway): void {
    if (sessionId !== OWN) {
      const known = this.sessions.get(sessionId);
      if (!known) return;
      known.state = 'queued';
    }
    if (!this.queue.includes(sessionId)) this.queue.push(sessionId);
    this.pump(preferred);
  }

  /**
   * Starts queued measurements while slots are free: our own session first, then by rank, then
   * the smallest session id (when many peers start together their ghost times are within ε of
   * each other and the smallest id wins the join rule, so it is the one worth measuring first).
   */
  private pump(preferred?: Gateway): void {
    while (this.measurements.length < MAX_CONCURRENT_MEASUREMENTS && this.queue.length > 0) {
      let pick = 0;
      for (let i = 1; i < this.queue.length; i++) if (this.before(this.queue[i]!, this.queue[pick]!)) pick = i;
      const [id] = this.queue.splice(pick, 1);
      if (id === OWN) {
        if (!this.measure(this.host.sessionId)) this.scheduleRemeasure();
        continue;
      }
      const known = this.sessions.get(id!);
      if (!known) continue;
      known.state = 'idle';
      if (this.measure(id!, preferred)) known.state = 'measuring';
    }
  }

  private priority(id: NodeId | typeof OWN): number {
    return id === OWN ? Infinity : (this.sessions.get(id)?.rank ?? -1);
  }

  private before(a: NodeId | typeof OWN, b: NodeId | typeof OWN): boolean {
    const pa = this.priority(a);
    const pb = this.priority(b);
    return pa !== pb ? pa > pb : a !== OWN && b !== OWN && a < b;
  }

  /** Starts a measurement of `sessionId`, aimed at its founder if visible (spec 02 §7.1). */
  private measure(sessionId: NodeId, preferred?: Gateway): boolean {
    const target = this.targets.pick(this.host.gateways(), sessionId, this.host.clock.micros(), preferred);
    if (!target) return false;
    const { gateway, endpoint } = target;
    const host = this.host;
    const deps = {
      clock: host.clock,
      timers: host.timers,
      send: (d: Uint8Array, to: Endpoint) => gateway.sendPing(d, to),
      get sendLatencyMicros() { return host.sendLatencyMicros; }, // the runtime's current estimate
      retarget: (to: NodeId) => this.retarget(entry, to),
    };
    const entry: ActiveMeasurement = {
      sessionId,
      gateway,
      m: new Measurement(deps, endpoint, sessionId, (result) => {
        const i = this.measurements.indexOf(entry);
        if (i >= 0) this.measurements.splice(i, 1);
        const r = this.plausible(result);
        this.targets.outcome(target, r, this.host.clock.micros());
        this.measured(entry.sessionId, r);
        if (this.host.active) this.pump();
      }),
    };
    this.measurements.push(entry);
    entry.m.start();
    return true;
  }

  /**
   * The measured peer moved to session `to` during the measurement (common when many peers
   * start together and join each other in a cascade): measure `to` from here on instead of
   * failing, if we know that session and are not measuring it already.
   */
  private retarget(entry: ActiveMeasurement, to: NodeId): boolean {
    // Only a session we have heard of: its timeline comes from its peers' own announcements.
    const known = this.sessions.get(to);
    if (!known || known.state === 'measuring' || to === this.host.sessionId) return false;
    const from = this.sessions.get(entry.sessionId);
    if (from) from.state = 'idle';
    const q = this.queue.indexOf(to);
    if (q >= 0) this.queue.splice(q, 1);
    known.state = 'measuring';
    this.host.debug(`measurement of session ${entry.sessionId} follows its peer into session ${to}`);
    entry.sessionId = to;
    return true;
  }

  /**
   * The measured ghost clock must leave room to run (half the envelope: 8.9 years), or a forged
   * "very old" session would be joined and then run out of range. Such a result is a failure
   * that backs its endpoint off like silence does: it answers, but with nothing we can use.
   */
  private plausible(r: MeasurementResult): MeasurementResult {
    const ghostNow = r.ok ? this.host.clock.micros() + r.intercept : 0;
    if (!r.ok || ghostTimeProblem(2 * ghostNow) === undefined) return r;
    return { ok: false, reason: `the measured ghost time ${ghostNow} µs is beyond ±2^48 µs`, pongs: r.samples, refused: true };
  }

  private measured(sessionId: NodeId, r: MeasurementResult): void {
    if (!this.host.active) return;
    const now = this.host.clock.micros();
    this.host.debug(r.ok
      ? `measured session ${sessionId}: ghost offset ${r.intercept} µs ± ${r.uncertaintyMicros} from ${r.samples} samples, round trip min ${r.minRttMicros} / median ${r.medianRttMicros} µs`
      : `measurement of session ${sessionId} failed: ${r.reason}`);
    if (sessionId === this.host.sessionId) {
      this.remeasuredOwn(sessionId, r, now);
      return;
    }
    const known = this.sessions.get(sessionId);
    if (!known) return;
    known.state = 'idle';
    if (!r.ok) {
      // Forgotten; the next alive naming it starts a fresh attempt (spec 02 §7.1).
      this.forget(sessionId);
      return;
    }
    known.ghostOffset = r.intercept;
    known.measuredAt = now;
    if (!shouldJoin(r.intercept - this.host.ghostOffset, sessionId, this.host.sessionId)) return;
    const problem = timelineProblem(known.timeline, now + r.intercept);
    if (problem !== undefined) {
      this.host.warn('E_PROTOCOL', `not joining session ${sessionId}: its timeline is out of range (${problem})`);
      return;
    }
    this.host.join(sessionId, known.timeline, r.intercept);
    this.policy.joinedWith(r.uncertaintyMicros, now);
  }

  private remeasuredOwn(sessionId: NodeId, r: MeasurementResult, now: number): void {
    if (!r.ok) {
      this.host.warn('E_TIMEOUT', `re-measurement of session ${sessionId} failed: ${r.reason}`);
    } else {
      if (this.policy.accept(r.uncertaintyMicros, now)) this.host.remeasured(r.intercept);
      else this.host.debug(`kept the transform: this measurement (± ${r.uncertaintyMicros} µs) is worse than the best (± ${this.policy.bestUncertainty} µs)`);
    }
    this.scheduleRemeasure();
  }

  private scheduleRemeasure(): void {
    this.remeasureTimer?.cancel();
    if (this.host.founder) return;
    const delay = this.policy.nextDelay();
    this.remeasureTimer = this.host.timers.setTimeout(() => {
      if (this.host.active) this.enqueue(OWN);
    }, delay);
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
