/**
 * What a Link peer does on the network (L1, on an injected Runtime): the gateways' and the
 * election's callbacks, start/stop gossip, the peer count and the interface rescan
 * (link-wire-spec 01, 02 §7–§8). `LinkPeer` owns one privately; none of this is public API.
 * @module
 */
import type { PhaselockErrorCode } from '../core/errors.ts';
import type { Clock, Runtime, TimerHandle, Timers, UdpRemote } from '../core/runtime.ts';
import { planAppCommit, sameLine } from './app-timeline.ts';
import { GatewaySet } from './gateway-set.ts';
import type { Gateway, GatewayHost, GatewayPeer, PeerGoneReason } from './gateway.ts';
import { LinkSession } from './link-session.ts';
import { timelineProblem } from './plausibility.ts';
import { SessionElection } from './session-election.ts';
import { SessionState } from './session-state.ts';
import { isDefaultStartStop, StartStopGossip } from './start-stop-gossip.ts';
import { bpmToMicrosPerBeat, clampMicrosPerBeat, microsPerBeatToBpm, timeAtBeats } from './timeline.ts';
import { nodeIdFromBytes, type NodeId, type StartStopState, type Timeline } from './types.ts';

export const RESCAN_MICROS = 5_000_000;
/** Our node id is re-rolled at most this often when someone else announces it. */
export const REROLL_MIN_MICROS = 10_000_000;

/** What the engine reports to its `LinkPeer`. */
export interface EngineHost {
  peers(numPeers: number): void;
  tempo(bpm: number): void;
  playing(isPlaying: boolean): void;
  warn(code: PhaselockErrorCode, message: string): void;
  debug(message: string): void;
}

export interface EngineOptions {
  bpm: number;
  startStopSync: boolean;
  interfaces: string[] | undefined;
  yieldTies: boolean;
}

export class PeerEngine {
  readonly session: LinkSession;
  readonly startStop = new StartStopGossip();
  syncStartStop: boolean;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly gateways: GatewaySet;
  private readonly election: SessionElection;
  private app = { isPlaying: false, time: 0 };
  private localBpm: number;
  private reportedPeers = 0;
  private reportedTempo: number;
  private scanTimer: TimerHandle | undefined;
  private isEnabled = false;
  /** Gateways closing (ByeBye on its way). */
  private closing: Promise<void> = Promise.resolve();
  private lastRerollAt = -Infinity;
  private interfaceComplaint = '';

  constructor(private readonly rt: Runtime, private readonly host: EngineHost, private readonly options: EngineOptions) {
    this.clock = rt.clock;
    this.timers = rt.timers;
    this.localBpm = options.bpm;
    this.reportedTempo = options.bpm;
    this.syncStartStop = options.startStopSync;
    this.session = new LinkSession(this.newNodeId(), bpmToMicrosPerBeat(options.bpm), this.clock.micros());
    this.gateways = new GatewaySet(rt, this.gatewayHost(), options.interfaces);
    this.election = this.makeElection();
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  /** Peers in our session (not counting ourselves). */
  get numPeers(): number {
    return this.gateways.peersIn(this.session.sessionId);
  }

  /** Resolves once every gateway closed so far has sent its ByeBye and closed its socket. */
  get closed(): Promise<void> {
    return this.closing;
  }

  enable(): void {
    if (this.isEnabled) return;
    this.isEnabled = true;
    this.foundSession();
    this.scan();
  }

  disable(): void {
    if (!this.isEnabled) return;
    this.isEnabled = false;
    this.scanTimer?.cancel();
    this.interfaceComplaint = ''; // a re-enable says it again
    this.election.reset('disabled');
    const closing = this.gateways.closeAll();
    this.closing = Promise.all([this.closing, closing]).then(() => undefined);
    this.startStop.clearPeers();
    this.updatePeerCount(false);
  }

  capture(): SessionState {
    return new SessionState({
      timeline: this.session.appTimeline(),
      isPlaying: this.app.isPlaying,
      timeForIsPlaying: this.app.time,
      respectQuantum: this.reportedPeers > 0,
      bpm: this.localBpm,
      trackChanges: true,
    });
  }

  commit(state: SessionState): void {
    const s = this.session;
    const view = { timeline: s.timeline, ghostOffset: s.intercept, startStopStamp: this.startStop.state.timestamp };
    const plan = planAppCommit(state, view, this.clock.micros(), this.syncStartStop);
    let announce = false;
    if (plan.beatOffset !== undefined) s.beatOffset = plan.beatOffset;
    if (plan.line) {
      announce = !sameLine(plan.line, s.timeline);
      s.timeline = plan.line;
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

  // ---- wiring ---------------------------------------------------------------------------

  private gatewayHost(): GatewayHost {
    const s = this.session;
    return {
      get nodeId() { return s.nodeId; },
      get sessionId() { return s.sessionId; },
      get ghostOffset() { return s.intercept; },
      peerState: () => ({ timeline: s.timeline, sessionId: s.sessionId, startStop: this.startStop.state }),
      isOwnEndpoint: (from) => this.gateways.isOwnEndpoint(from),
      onPeerState: (gw, peer) => this.onPeerState(gw, peer),
      onPeerGone: (_gw, nodeId, reason) => this.onPeerGone(nodeId, reason),
      onPong: (gw, pong, from, at) => this.election.pong(gw, pong, from, at),
      onDuplicateId: (gw, from) => this.onDuplicateId(gw, from),
      warn: (code, m) => this.host.warn(code as PhaselockErrorCode, m),
      debug: (m) => this.host.debug(m),
    };
  }

  private makeElection(): SessionElection {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const s = this.session;
    return new SessionElection({
      clock: this.clock,
      timers: this.timers,
      get active() { return self.isEnabled; },
      get sessionId() { return s.sessionId; },
      get ghostOffset() { return s.intercept; },
      get founder() { return s.founded; },
      get alone() { return self.numPeers === 0; },
      get sendLatencyMicros() { return self.rt.network.latency?.sendMicros ?? 0; },
      gateways: () => this.gateways.values(),
      join: (id, timeline, ghostOffset) => this.join(id, timeline, ghostOffset),
      remeasured: (ghostOffset) => s.remeasured(ghostOffset, this.clock.micros()),
      debug: (m) => this.host.debug(m),
      warn: (code, m) => this.host.warn(code as PhaselockErrorCode, m),
    });
  }

  // ---- gateway callbacks ---------------------------------------------------------------

  private onPeerState(gw: Gateway, peer: GatewayPeer): void {
    const { sessionId, timeline } = peer.state;
    if (!sessionId || !timeline) {
      this.host.warn('E_PROTOCOL', `peer ${peer.nodeId} announced no ${sessionId ? 'timeline' : 'session'}; ignored its state`);
      return;
    }
    const s = this.session;
    const ours = sessionId === s.sessionId;
    // Foreign timelines are in their session's ghost time, unknown until measured: only the
    // absolute envelope applies until then (the join checks the rest, session-election.ts).
    const problem = timelineProblem(timeline, ours ? this.clock.micros() + s.intercept : undefined);
    if (problem !== undefined) {
      this.host.warn('E_PROTOCOL', `peer ${peer.nodeId} announced a timeline phaselock cannot follow (${problem}); ignored its state`);
      // Not a member we can follow: it neither counts as a peer nor ranks as one of our session.
      delete peer.state.sessionId;
      return;
    }
    const tl = { ...timeline, microsPerBeat: clampMicrosPerBeat(timeline.microsPerBeat) };
    if (ours) {
      if (tl.beatOrigin > s.timeline.beatOrigin) this.adoptTimeline(tl);
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
    const old = this.session.nodeId;
    this.session.nodeId = this.newNodeId();
    this.host.warn('E_PROTOCOL', `${from.address}:${from.port} on ${gw.address} announces our node id ${old}; ours is now ${this.session.nodeId}`);
    this.gateways.renamed(old);
  }

  /** Start/stop gossip (spec 02 §8), relayed always, applied with start/stop sync. */
  private onStartStop(peerId: NodeId, st: StartStopState | undefined): void {
    const s = this.session;
    const heard = this.startStop.heard(peerId, st, this.clock.micros() + s.intercept);
    if (heard.kind === 'refused') this.host.warn('E_PROTOCOL', `peer ${peerId} announced a start/stop state phaselock cannot follow (${heard.problem}); ignored it`);
    if (heard.kind !== 'adopted') return;
    this.gateways.announce();
    if (!this.syncStartStop || isDefaultStartStop(heard.state)) return;
    this.setAppTransport(heard.state.isPlaying, timeAtBeats(s.timeline, heard.state.beats) - s.intercept);
  }

  // ---- sessions -----------------------------------------------------------------------

  private foundSession(): void {
    this.session.found(this.newNodeId(), this.clock.micros());
    this.host.debug(`founding session ${this.session.sessionId}`);
    this.startStop.reset();
    this.election.reset('new session');
    this.gateways.announce();
  }

  private adoptTimeline(tl: Timeline): void {
    this.session.adopt(tl, this.clock.micros());
    this.gateways.announce();
    this.emitTempoIfChanged();
  }

  private join(sessionId: NodeId, timeline: Timeline, ghostOffset: number): void {
    this.host.debug(`joining session ${sessionId} (ghost offset ${ghostOffset} µs), leaving ${this.session.sessionId}`);
    const left = this.session.join(sessionId, timeline, ghostOffset, this.clock.micros());
    this.startStop.reset();
    this.gateways.announce();
    this.updatePeerCount(true);
    this.emitTempoIfChanged();
    this.election.joined(left, sessionId);
  }

  private setAppTransport(isPlaying: boolean, time: number): void {
    const was = this.app.isPlaying;
    this.app = { isPlaying, time };
    if (was !== isPlaying) this.host.playing(isPlaying);
  }

  private updatePeerCount(mayReset: boolean): void {
    const n = this.numPeers;
    if (n === this.reportedPeers) return;
    const lost = this.reportedPeers > 0 && n === 0;
    this.reportedPeers = n;
    this.host.peers(n);
    if (lost && mayReset && this.isEnabled) {
      this.foundSession();
      this.updatePeerCount(false);
    }
  }

  private emitTempoIfChanged(): void {
    const microsPerBeat = this.session.timeline.microsPerBeat;
    const bpm = bpmToMicrosPerBeat(this.localBpm) === microsPerBeat ? this.localBpm : microsPerBeatToBpm(microsPerBeat);
    this.localBpm = bpm;
    if (bpm !== this.reportedTempo) {
      this.reportedTempo = bpm;
      this.host.tempo(bpm);
    }
  }

  // ---- interfaces ---------------------------------------------------------------------

  /**
   * Rescans the interfaces now and every 5 s (spec 01 §2). Says what is wrong with the
   * selection — `interfaces` entries that select nothing, no usable interface at all — once
   * each time that changes (not at every rescan), and again after a re-enable.
   */
  private scan(): void {
    if (!this.isEnabled) return;
    const { used, complaint } = this.gateways.scan();
    if (complaint !== this.interfaceComplaint) {
      if (complaint) this.host.warn('E_UNAVAILABLE', complaint);
      else this.host.debug(`interfaces in use again: ${used.join(', ')}`);
    }
    this.interfaceComplaint = complaint;
    this.scanTimer?.cancel();
    this.scanTimer = this.timers.setTimeout(() => this.scan(), RESCAN_MICROS);
  }

  private newNodeId(): NodeId {
    const bytes = this.rt.random.bytes(8);
    if (this.options.yieldTies) bytes[0] = 0xff;
    return nodeIdFromBytes(bytes);
  }
}
