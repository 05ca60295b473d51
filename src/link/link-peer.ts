/**
 * The Link peer state machine (L1): sessions, election and merging, timeline and start/stop
 * gossip on top of gateways and measurements (link-wire-spec 01, 02 §7–§8). It runs on an
 * injected Runtime; `phaselock`'s `Link` class gives it the Node runtime. It is a
 * `TimelineSource` (sched/timeline-source.ts): everything that consumes musical time takes it.
 *
 * Internally the session timeline is kept as on the wire (ghost time) plus the ghost
 * transform (`ghost = host + intercept`) and `beatOffset`: the application's beat magnitude
 * minus the session beat. The application sees the session grid (phase) and its own magnitude.
 *
 * Lifecycle: the constructor only wires; `enable()` joins the network, `disable()` leaves it
 * (the timeline stays, local), `close()` leaves for good and resolves once the ByeBye is out.
 * @module
 */
import { finiteNumber } from '../core/checks.ts';
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, type PhaselockErrorCode } from '../core/errors.ts';
import { timerPreciseTimers } from '../core/precise-timers.ts';
import type { Clock, PreciseTimers, Runtime, TimerHandle, Timers, UdpRemote } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import { appTimeline, beatOffsetKeeping, planAppCommit, sameLine } from './app-timeline.ts';
import { GatewaySet } from './gateway-set.ts';
import type { Gateway, GatewayHost, GatewayPeer, PeerGoneReason } from './gateway.ts';
import { timelineProblem } from './plausibility.ts';
import { SessionElection } from './session-election.ts';
import { SessionState } from './session-state.ts';
import { isDefaultStartStop, StartStopGossip } from './start-stop-gossip.ts';
import { beatsAtTime, bpmToMicrosPerBeat, clampBpm, clampMicrosPerBeat, microsPerBeatToBpm, timeAtBeats } from './timeline.ts';
import { nodeIdFromBytes, type NodeId, type StartStopState, type Timeline } from './types.ts';

export { JOIN_THRESHOLD_MICROS, MAX_KNOWN_SESSIONS, REMEASURE_MICROS } from './session-election.ts';
export const RESCAN_MICROS = 5_000_000;
/** Our node id is re-rolled at most this often when someone else announces it. */
export const REROLL_MIN_MICROS = 10_000_000;
const WARNINGS_PER_SECOND = 20;

export interface LinkPeerOptions {
  /** Initial tempo (default 120), clamped to [20, 999]. */
  bpm?: number;
  /** Follow and send start/stop changes (default false, as in Link). */
  startStopSync?: boolean;
  /** Interface names or IPv4 addresses to use (default: every IPv4 interface, loopback included). */
  interfaces?: string[];
  /** Receives session events (debug) and every warning (warn); default: silent. */
  logger?: LinkLogger;
  /**
   * Lose every session tie-break (our node ids start with 0xff, spec 02 §7.2: within ±0.5 s the
   * smaller session id wins). For short-lived clients — one-shot commands, bridges — that must
   * join a session, never impose their own state on peers whose session is as young as theirs.
   */
  yieldTies?: boolean;
}

export interface LinkLogger {
  debug?(message: string): void;
  warn?(message: string): void;
}

export interface LinkEvents {
  peers: [numPeers: number];
  tempo: [bpm: number];
  playing: [isPlaying: boolean];
  warning: [error: PhaselockError];
  close: [];
}

export class LinkPeer extends Emitter<LinkEvents> {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Timers calling at the exact host instant: the runtime's own, or its plain timers. */
  readonly preciseTimers: PreciseTimers;
  protected readonly rt: Runtime;
  private ownId: NodeId;
  private sessionId: NodeId;
  /** We founded the session we are in (a founder's transform is exact: never re-measured). */
  private founded = true;
  private timeline: Timeline;
  private intercept: number;
  private beatOffset = 0;
  private readonly startStop = new StartStopGossip();
  private app = { isPlaying: false, time: 0 };
  private localBpm: number;
  private syncStartStop: boolean;
  private readonly logger: LinkLogger | undefined;
  private readonly yieldTies: boolean;
  private readonly gateways: GatewaySet;
  private readonly election: SessionElection;
  private client: { timeline: Timeline; source: Timeline; intercept: number; offset: number } | undefined;
  private scanTimer: TimerHandle | undefined;
  private isEnabled = false;
  private isClosed = false;
  /** Gateways closing (ByeBye on its way); `close()` waits for them. */
  private closing: Promise<void> = Promise.resolve();
  private reportedPeers = 0;
  private reportedTempo: number;
  private readonly warnings = new WarningLimiter(WARNINGS_PER_SECOND);
  private lastRerollAt = -Infinity;
  private interfaceComplaint = '';

  constructor(runtime: Runtime, options: LinkPeerOptions = {}) {
    super();
    this.rt = runtime;
    this.clock = runtime.clock;
    this.timers = runtime.timers;
    this.preciseTimers = runtime.preciseTimers ?? timerPreciseTimers(runtime.clock, runtime.timers);
    const bpm = clampBpm(finiteNumber('bpm', options.bpm ?? 120));
    this.localBpm = bpm;
    this.reportedTempo = bpm;
    this.syncStartStop = options.startStopSync ?? false;
    if (options.interfaces !== undefined && (!Array.isArray(options.interfaces) || options.interfaces.some((i) => typeof i !== 'string'))) {
      throw new TypeError('interfaces must be an array of interface names or IPv4 addresses');
    }
    this.logger = options.logger;
    this.yieldTies = options.yieldTies === true;
    this.ownId = this.newNodeId();
    this.sessionId = this.ownId;
    this.intercept = -this.clock.micros();
    this.timeline = { microsPerBeat: bpmToMicrosPerBeat(bpm), beatOrigin: 0, timeOrigin: 0 };
    this.gateways = new GatewaySet(runtime, this.gatewayHost(), options.interfaces);
    this.election = this.makeElection();
  }

  /** Our node id (it changes when we found a session, and when another peer announces it). */
  get nodeId(): NodeId {
    return this.ownId;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Peers in our session (not counting ourselves). */
  get numPeers(): number {
    return this.gateways.peersIn(this.sessionId);
  }

  /**
   * Diagnostics: our node id, the session we are in, the ghost transform
   * (`ghost = host + ghostOffsetMicros`) and the session timeline as gossiped.
   */
  get session(): { nodeId: NodeId; sessionId: NodeId; ghostOffsetMicros: number; timeline: Timeline; startStop: StartStopState } {
    return { nodeId: this.nodeId, sessionId: this.sessionId, ghostOffsetMicros: this.intercept, timeline: this.timeline, startStop: this.startStop.state };
  }

  get startStopSyncEnabled(): boolean {
    return this.syncStartStop;
  }

  set startStopSyncEnabled(on: boolean) {
    this.syncStartStop = on === true;
  }

  /** Joins the network: founds a fresh session and starts discovery. Throws E_CLOSED once closed. */
  enable(): void {
    this.assertOpen('enable');
    if (this.isEnabled) return;
    this.isEnabled = true;
    this.foundSession();
    this.scan();
  }

  /** Leaves the network: byebye on every gateway; the timeline stays, local. */
  disable(): void {
    if (!this.isEnabled) return;
    this.isEnabled = false;
    this.scanTimer?.cancel();
    this.election.reset('disabled');
    const closing = this.gateways.closeAll();
    this.closing = Promise.all([this.closing, closing]).then(() => undefined);
    this.startStop.clearPeers();
    this.updatePeerCount(false);
  }

  /**
   * Leaves the network for good; resolves once the ByeBye has been sent and every socket closed.
   * Emits `close` (pending `atBeat` promises reject with E_CLOSED). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.isClosed) {
      this.disable();
      this.isClosed = true;
      this.emit('close');
    }
    await this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Session state for the application thread. Pure snapshot; change it and commit. */
  captureAppSessionState(): SessionState {
    return new SessionState({
      timeline: this.clientTimeline(),
      isPlaying: this.app.isPlaying,
      timeForIsPlaying: this.app.time,
      respectQuantum: this.reportedPeers > 0,
      bpm: this.localBpm,
      trackChanges: true,
    });
  }

  /**
   * Applies what the application changed in `state`; peers hear of it at once. Throws
   * RangeError, changing nothing, when the result could not be shared (plausibility.ts: beats
   * beyond ±1.1·10^9 or times beyond ±2^49 µs).
   */
  commitAppSessionState(state: SessionState): void {
    if (!(state instanceof SessionState)) throw new TypeError('commitAppSessionState takes a SessionState');
    const view = { timeline: this.timeline, ghostOffset: this.intercept, startStopStamp: this.startStop.state.timestamp };
    const plan = planAppCommit(state, view, this.clock.micros(), this.syncStartStop);
    let announce = false;
    if (plan.beatOffset !== undefined) this.beatOffset = plan.beatOffset;
    if (plan.line) {
      announce = !sameLine(plan.line, this.timeline);
      this.timeline = plan.line;
      this.localBpm = state.tempo;
    }
    if (plan.transport) this.setAppTransport(plan.transport.isPlaying, plan.transport.time);
    if (plan.startStop) {
      this.startStop.state = plan.startStop;
      announce = true;
    }
    if (announce) this.gateways.announce();
    this.emitTempoIfChanged();
  }

  /** Same as captureAppSessionState: JavaScript has no audio thread to protect, the call never blocks. */
  captureAudioSessionState(): SessionState {
    return this.captureAppSessionState();
  }

  /** Same as commitAppSessionState; safe to call from an audio callback (no I/O, no allocation beyond the message). */
  commitAudioSessionState(state: SessionState): void {
    this.commitAppSessionState(state);
  }

  protected override onListenerError(err: unknown): void {
    if (this.listenerCount('warning') === 0) return;
    this.warn('E_STATE', `an event listener threw: ${err instanceof Error ? err.message : String(err)}`);
  }

  private assertOpen(what: string): void {
    if (this.isClosed) throw new PhaselockError('E_CLOSED', `${what}: this Link was closed; create a new one`);
  }

  private warn(code: string, message: string): void {
    const text = this.warnings.admit(message, this.clock.micros());
    if (text === undefined) return;
    this.logger?.warn?.(text);
    this.emit('warning', new PhaselockError(code as PhaselockErrorCode, text));
  }

  // ---- wiring ---------------------------------------------------------------------------

  /** What the gateways call back into; kept off the public surface. */
  private gatewayHost(): GatewayHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      get nodeId() { return self.ownId; },
      get sessionId() { return self.sessionId; },
      get ghostOffset() { return self.intercept; },
      peerState: () => ({ timeline: this.timeline, sessionId: this.sessionId, startStop: this.startStop.state }),
      isOwnEndpoint: (from) => this.gateways.isOwnEndpoint(from),
      onPeerState: (gw, peer) => this.onPeerState(gw, peer),
      onPeerGone: (_gw, nodeId, reason) => this.onPeerGone(nodeId, reason),
      onPong: (gw, pong, from, at) => this.election.pong(gw, pong, from, at),
      onDuplicateId: (gw, from) => this.onDuplicateId(gw, from),
      warn: (code, m) => this.warn(code, m),
      debug: (m) => this.logger?.debug?.(m),
    };
  }

  private makeElection(): SessionElection {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return new SessionElection({
      clock: this.clock,
      timers: this.timers,
      get active() { return self.isEnabled; },
      get sessionId() { return self.sessionId; },
      get ghostOffset() { return self.intercept; },
      get founder() { return self.founded; },
      get alone() { return self.numPeers === 0; },
      get sendLatencyMicros() { return self.rt.network.latency?.sendMicros ?? 0; },
      gateways: () => this.gateways.values(),
      join: (id, timeline, ghostOffset) => this.join(id, timeline, ghostOffset),
      remeasured: (ghostOffset) => this.setIntercept(ghostOffset),
      debug: (m) => this.logger?.debug?.(m),
      warn: (code, m) => this.warn(code, m),
    });
  }

  // ---- gateway callbacks ---------------------------------------------------------------

  private onPeerState(gw: Gateway, peer: GatewayPeer): void {
    const { sessionId, timeline } = peer.state;
    if (!sessionId || !timeline) {
      this.warn('E_PROTOCOL', `peer ${peer.nodeId} announced no ${sessionId ? 'timeline' : 'session'}; ignored its state`);
      return;
    }
    const ours = sessionId === this.sessionId;
    // Foreign timelines are in their session's ghost time, unknown until measured: only the
    // absolute envelope applies until then (the join checks the rest, session-election.ts).
    const problem = timelineProblem(timeline, ours ? this.clock.micros() + this.intercept : undefined);
    if (problem !== undefined) {
      this.warn('E_PROTOCOL', `peer ${peer.nodeId} announced a timeline phaselock cannot follow (${problem}); ignored its state`);
      // Not a member we can follow: it neither counts as a peer nor ranks as one of our session.
      delete peer.state.sessionId;
      return;
    }
    const tl = { ...timeline, microsPerBeat: clampMicrosPerBeat(timeline.microsPerBeat) };
    if (ours) {
      if (tl.beatOrigin > this.timeline.beatOrigin) this.adoptTimeline(tl);
      this.onStartStop(peer.nodeId, peer.state.startStop);
    } else {
      this.startStop.remember(peer.nodeId, peer.state.startStop);
      this.election.heard(sessionId, tl, gw, gw.rank(peer));
    }
    this.updatePeerCount(true);
  }

  private onPeerGone(nodeId: NodeId, reason: PeerGoneReason): void {
    if (!this.gateways.knows(nodeId)) this.startStop.forget(nodeId);
    this.election.prune();
    // Losing the last peer founds a fresh session (spec 02 §7.3), also when their interface
    // vanished; not when we close the gateways ourselves (disable).
    this.updatePeerCount(reason !== 'closed');
  }

  /**
   * Another endpoint announces our node id: a forgery, or two peers drew the same random id.
   * Either way ours must change (spec 00 §2: ids identify peers): a new random id, announced at
   * once, then a ByeBye for the old one; the session is kept. At most once per REROLL_MIN_MICROS.
   */
  private onDuplicateId(gw: Gateway, from: UdpRemote): void {
    const now = this.clock.micros();
    if (now - this.lastRerollAt < REROLL_MIN_MICROS) return;
    this.lastRerollAt = now;
    const old = this.nodeId;
    this.ownId = this.newNodeId();
    this.warn('E_PROTOCOL', `${from.address}:${from.port} on ${gw.address} announces our node id ${old}; ours is now ${this.nodeId}`);
    this.gateways.renamed(old);
  }

  /** Start/stop gossip (spec 02 §8), relayed always, applied with start/stop sync. */
  private onStartStop(peerId: NodeId, st: StartStopState | undefined): void {
    const heard = this.startStop.heard(peerId, st, this.clock.micros() + this.intercept);
    if (heard.kind === 'refused') this.warn('E_PROTOCOL', `peer ${peerId} announced a start/stop state phaselock cannot follow (${heard.problem}); ignored it`);
    if (heard.kind !== 'adopted') return;
    this.gateways.announce();
    if (!this.syncStartStop || isDefaultStartStop(heard.state)) return;
    this.setAppTransport(heard.state.isPlaying, timeAtBeats(this.timeline, heard.state.beats) - this.intercept);
  }

  // ---- sessions -----------------------------------------------------------------------

  /** The application timeline: session grid on the host clock, our own beat magnitude. */
  private clientTimeline(): Timeline {
    const c = this.client;
    if (c && c.source === this.timeline && c.intercept === this.intercept && c.offset === this.beatOffset) return c.timeline;
    const timeline = appTimeline(this.timeline, this.intercept, this.beatOffset);
    this.client = { timeline, source: this.timeline, intercept: this.intercept, offset: this.beatOffset };
    return timeline;
  }

  /** Moves the session (line, transform) with `change`, keeping the application's raw beat continuous now. */
  private moveSession(change: () => void): void {
    const before = this.clientTimeline();
    change();
    this.beatOffset = beatOffsetKeeping(before, this.timeline, this.intercept, this.clock.micros());
  }

  /** A fresh session of our own: new node id, ghost time 0 now, same tempo and phase (spec 02 §7.3). */
  private foundSession(): void {
    this.moveSession(() => {
      const now = this.clock.micros();
      const sessionBeatNow = beatsAtTime(this.timeline, now + this.intercept);
      this.ownId = this.newNodeId();
      this.sessionId = this.ownId;
      this.founded = true;
      this.logger?.debug?.(`founding session ${this.sessionId}`);
      this.intercept = -now;
      this.timeline = { microsPerBeat: this.timeline.microsPerBeat, beatOrigin: sessionBeatNow, timeOrigin: 0 };
      this.startStop.reset();
      this.election.reset('new session');
    });
    this.gateways.announce();
  }

  private adoptTimeline(tl: Timeline): void {
    this.moveSession(() => { this.timeline = tl; });
    this.gateways.announce();
    this.emitTempoIfChanged();
  }

  private join(sessionId: NodeId, timeline: Timeline, ghostOffset: number): void {
    this.logger?.debug?.(`joining session ${sessionId} (ghost offset ${ghostOffset} µs), leaving ${this.sessionId}`);
    const left = { sessionId: this.sessionId, timeline: this.timeline, ghostOffset: this.intercept };
    this.moveSession(() => {
      this.sessionId = sessionId;
      this.founded = false;
      this.timeline = timeline;
      this.intercept = ghostOffset;
      this.startStop.reset();
    });
    this.gateways.announce();
    this.updatePeerCount(true);
    this.emitTempoIfChanged();
    this.election.joined(left, sessionId);
  }

  private setIntercept(intercept: number): void {
    this.moveSession(() => { this.intercept = intercept; });
  }

  private setAppTransport(isPlaying: boolean, time: number): void {
    const was = this.app.isPlaying;
    this.app = { isPlaying, time };
    if (was !== isPlaying) this.emit('playing', isPlaying);
  }

  private updatePeerCount(mayReset: boolean): void {
    const n = this.numPeers;
    if (n === this.reportedPeers) return;
    const lost = this.reportedPeers > 0 && n === 0;
    this.reportedPeers = n;
    this.emit('peers', n);
    if (lost && mayReset && this.isEnabled) {
      this.foundSession();
      this.updatePeerCount(false);
    }
  }

  private emitTempoIfChanged(): void {
    const bpmFromWire = microsPerBeatToBpm(this.timeline.microsPerBeat);
    const bpm = bpmToMicrosPerBeat(this.localBpm) === this.timeline.microsPerBeat ? this.localBpm : bpmFromWire;
    this.localBpm = bpm;
    if (bpm !== this.reportedTempo) {
      this.reportedTempo = bpm;
      this.emit('tempo', bpm);
    }
  }

  // ---- interfaces ---------------------------------------------------------------------

  /** Rescans the interfaces now and every 5 s (spec 01 §2); says so when none is usable. */
  private scan(): void {
    if (!this.isEnabled) return;
    const used = this.gateways.scan();
    const complaint = used.length === 0 ? 'no usable network interface (none with an IPv4 address matches)' : '';
    if (complaint && complaint !== this.interfaceComplaint) this.warn('E_UNAVAILABLE', `Link has ${complaint}: it will find no peers until one appears`);
    this.interfaceComplaint = complaint;
    this.scanTimer?.cancel();
    this.scanTimer = this.timers.setTimeout(() => this.scan(), RESCAN_MICROS);
  }

  private newNodeId(): NodeId {
    const bytes = this.rt.random.bytes(8);
    if (this.yieldTies) bytes[0] = 0xff;
    return nodeIdFromBytes(bytes);
  }
}
