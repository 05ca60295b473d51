/**
 * The Link peer state machine (L1): sessions, election and merging, timeline and start/stop
 * gossip on top of gateways and measurements (link-wire-spec 01, 02 §7–§8). It runs on an
 * injected Runtime; `phaselock`'s `Link` class gives it the Node runtime.
 *
 * Internally the session timeline is kept as on the wire (ghost time) plus the ghost
 * transform (`ghost = host + intercept`) and `beatOffset`: the application's beat magnitude
 * minus the session beat. The application sees the session grid (phase) and its own magnitude.
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import { appTimeline, beatOffsetKeeping, sameLine, sessionFromApp } from './app-timeline.ts';
import { PhaselockError, type PhaselockErrorCode } from '../core/errors.ts';
import { finiteNumber } from '../core/checks.ts';
import type { Clock, InterfaceAddress, Runtime, TimerHandle, Timers, UdpRemote } from '../core/runtime.ts';
import { Gateway, type GatewayHost, type GatewayPeer, type PeerGoneReason } from './gateway.ts';
import { startStopProblem, timelineProblem } from './plausibility.ts';
import { SessionElection } from './session-election.ts';
import { SessionState } from './session-state.ts';
import { beatsAtTime, bpmToMicrosPerBeat, clampBpm, clampMicrosPerBeat, microsPerBeatToBpm, timeAtBeats } from './timeline.ts';
import { DEFAULT_START_STOP, nodeIdFromBytes, sameStartStop, type NodeId, type StartStopState, type Timeline } from './types.ts';

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
}

export class LinkPeer extends Emitter<LinkEvents> {
  readonly clock: Clock;
  protected readonly rt: Runtime;
  private ownId: NodeId;
  private sessionId: NodeId;
  /** We founded the session we are in (a founder's transform is exact: never re-measured). */
  private founded = true;
  private timeline: Timeline;
  private intercept: number;
  private beatOffset = 0;
  private sessionStartStop: StartStopState = DEFAULT_START_STOP;
  private app = { isPlaying: false, time: 0 };
  private localBpm: number;
  private syncStartStop: boolean;
  private readonly interfaceFilter: string[] | undefined;
  private readonly logger: LinkLogger | undefined;
  private readonly yieldTies: boolean;
  private readonly gateways = new Map<string, Gateway>();
  private readonly election: SessionElection;
  private readonly lastPeerStartStop = new Map<NodeId, StartStopState>();
  private client: { timeline: Timeline; source: Timeline; intercept: number; offset: number } | undefined;
  private scanTimer: TimerHandle | undefined;
  private isEnabled = false;
  private reportedPeers = 0;
  private reportedTempo: number;
  private readonly warnings = new WarningLimiter(WARNINGS_PER_SECOND);
  private lastRerollAt = -Infinity;
  /** What the gateways call back into; kept off the public surface. */
  private readonly gatewayHost: GatewayHost;

  constructor(runtime: Runtime, options: LinkPeerOptions = {}) {
    super();
    this.rt = runtime;
    this.clock = runtime.clock;
    const bpm = clampBpm(finiteNumber('bpm', options.bpm ?? 120));
    this.localBpm = bpm;
    this.reportedTempo = bpm;
    this.syncStartStop = options.startStopSync ?? false;
    if (options.interfaces !== undefined && (!Array.isArray(options.interfaces) || options.interfaces.some((i) => typeof i !== 'string'))) {
      throw new TypeError('interfaces must be an array of interface names or IPv4 addresses');
    }
    this.interfaceFilter = options.interfaces;
    this.logger = options.logger;
    this.yieldTies = options.yieldTies === true;
    this.ownId = this.newNodeId();
    this.sessionId = this.ownId;
    this.intercept = -this.clock.micros();
    this.timeline = { microsPerBeat: bpmToMicrosPerBeat(bpm), beatOrigin: 0, timeOrigin: 0 };
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.election = new SessionElection({
      clock: this.clock,
      timers: runtime.timers,
      get active() { return self.isEnabled; },
      get sessionId() { return self.sessionId; },
      get ghostOffset() { return self.intercept; },
      get founder() { return self.founded; },
      get alone() { return self.numPeers === 0; },
      get sendLatencyMicros() { return runtime.network.latency?.sendMicros ?? 0; },
      gateways: () => this.gateways.values(),
      join: (id, timeline, ghostOffset) => this.join(id, timeline, ghostOffset),
      remeasured: (ghostOffset) => this.setIntercept(ghostOffset),
      debug: (m) => this.logger?.debug?.(m),
      warn: (code, m) => this.warn(code, m),
    });
    this.gatewayHost = {
      get nodeId() { return self.nodeId; },
      get sessionId() { return self.sessionId; },
      peerState: () => ({ timeline: this.timeline, sessionId: this.sessionId, startStop: this.sessionStartStop }),
      get ghostOffset() { return self.intercept; },
      isOwnEndpoint: (from) => [...this.gateways.values()].some((g) => g.isOwnEndpoint(from)),
      onPeerState: (gw, peer) => this.onPeerState(gw, peer),
      onPeerGone: (gw, nodeId, reason) => this.onPeerGone(gw, nodeId, reason),
      onPong: (gw, pong, from, at) => this.election.pong(gw, pong, from, at),
      onDuplicateId: (gw, from) => this.onDuplicateId(gw, from),
      warn: (code, m) => this.warn(code, m),
      debug: (m) => this.logger?.debug?.(m),
    };
  }

  /** Our node id (it changes when we found a session, and when another peer announces it). */
  get nodeId(): NodeId {
    return this.ownId;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  /** The protocol timers of the runtime this peer runs on (schedulers share them). */
  get timers(): Timers {
    return this.rt.timers;
  }

  /** Peers in our session (not counting ourselves). */
  get numPeers(): number {
    const ids = new Set<NodeId>();
    for (const gw of this.gateways.values()) {
      for (const p of gw.peers.values()) if (p.state.sessionId === this.sessionId) ids.add(p.nodeId);
    }
    return ids.size;
  }

  /**
   * Diagnostics: our node id, the session we are in, the ghost transform
   * (`ghost = host + ghostOffsetMicros`) and the session timeline as gossiped.
   */
  get session(): { nodeId: NodeId; sessionId: NodeId; ghostOffsetMicros: number; timeline: Timeline; startStop: StartStopState } {
    return { nodeId: this.nodeId, sessionId: this.sessionId, ghostOffsetMicros: this.intercept, timeline: this.timeline, startStop: this.sessionStartStop };
  }

  get startStopSyncEnabled(): boolean {
    return this.syncStartStop;
  }

  set startStopSyncEnabled(on: boolean) {
    this.syncStartStop = on === true;
  }

  /** Joins the network: founds a fresh session and starts discovery. */
  enable(): void {
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
    for (const gw of [...this.gateways.values()]) gw.close();
    this.gateways.clear();
    this.lastPeerStartStop.clear();
    this.updatePeerCount(false);
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
    const origin = state.origin;
    const now = this.clock.micros();
    const ghostNow = now + this.intercept;
    const c = state.timeline;
    const lineChanged = !origin || c.microsPerBeat !== origin.timeline.microsPerBeat || c.timeOrigin !== origin.timeline.timeOrigin;
    const line = lineChanged ? sessionFromApp(c, this.intercept, now, this.timeline.beatOrigin) : this.timeline;
    const problem = lineChanged ? timelineProblem(line, ghostNow) : undefined;
    if (problem !== undefined) throw new RangeError(`commitAppSessionState: the timeline is outside what Link peers can share (${problem})`);
    const transportChanged = !origin || state.isPlaying !== origin.isPlaying || state.timeForIsPlaying() !== origin.timeForIsPlaying;
    const time = state.timeForIsPlaying();
    const st: StartStopState | undefined = transportChanged && this.syncStartStop
      ? { isPlaying: state.isPlaying, beats: beatsAtTime(line, time + this.intercept), timestamp: Math.max(ghostNow, this.sessionStartStop.timestamp + 1) }
      : undefined;
    const stProblem = st && startStopProblem(st, ghostNow);
    if (stProblem) throw new RangeError(`commitAppSessionState: the start/stop state is outside what Link peers can share (${stProblem})`);

    let announce = false;
    if (lineChanged) {
      this.beatOffset = c.beatOrigin;
      announce = !sameLine(line, this.timeline);
      this.timeline = line;
      this.localBpm = state.tempo;
    } else if (c.beatOrigin !== origin.timeline.beatOrigin) {
      this.beatOffset = c.beatOrigin;
    }
    if (transportChanged) {
      const wasPlaying = this.app.isPlaying;
      this.app = { isPlaying: state.isPlaying, time };
      if (wasPlaying !== state.isPlaying) this.emit('playing', state.isPlaying);
    }
    if (st) {
      this.sessionStartStop = st;
      announce = true;
    }
    if (announce) this.announce();
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
      if (peer.state.startStop) this.lastPeerStartStop.set(peer.nodeId, peer.state.startStop);
      this.election.heard(sessionId, tl, gw, gw.rank(peer));
    }
    this.updatePeerCount(true);
  }

  private onPeerGone(_gw: Gateway, nodeId: NodeId, reason: PeerGoneReason): void {
    if (![...this.gateways.values()].some((g) => g.peers.has(nodeId))) this.lastPeerStartStop.delete(nodeId);
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
    for (const g of this.gateways.values()) g.renamed(old);
  }

  private warn(code: string, message: string): void {
    const text = this.warnings.admit(message, this.clock.micros());
    if (text === undefined) return;
    this.logger?.warn?.(text);
    this.emit('warning', new PhaselockError(code as PhaselockErrorCode, text));
  }

  protected override onListenerError(err: unknown): void {
    if (this.listenerCount('warning') === 0) return;
    this.warn('E_STATE', `an event listener threw: ${err instanceof Error ? err.message : String(err)}`);
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

  /** After the session line or transform moved: keep the application's raw beat continuous now. */
  private keepBeatContinuous(before: Timeline): void {
    this.beatOffset = beatOffsetKeeping(before, this.timeline, this.intercept, this.clock.micros());
  }

  /** A fresh session of our own: new node id, ghost time 0 now, same tempo and phase (spec 02 §7.3). */
  private foundSession(): void {
    const before = this.clientTimeline();
    const now = this.clock.micros();
    const sessionBeatNow = beatsAtTime(this.timeline, now + this.intercept);
    this.ownId = this.newNodeId();
    this.sessionId = this.ownId;
    this.founded = true;
    this.logger?.debug?.(`founding session ${this.sessionId}`);
    this.intercept = -now;
    this.timeline = { microsPerBeat: this.timeline.microsPerBeat, beatOrigin: sessionBeatNow, timeOrigin: 0 };
    this.sessionStartStop = DEFAULT_START_STOP;
    this.election.reset('new session');
    this.keepBeatContinuous(before);
    this.announce();
  }

  private adoptTimeline(tl: Timeline): void {
    const before = this.clientTimeline();
    this.timeline = tl;
    this.keepBeatContinuous(before);
    this.announce();
    this.emitTempoIfChanged();
  }

  /** Start/stop gossip (spec 02 §8): edge-triggered per peer, latest timestamp wins, always relayed. */
  private onStartStop(peerId: NodeId, st: StartStopState | undefined): void {
    if (!st) return;
    const last = this.lastPeerStartStop.get(peerId);
    this.lastPeerStartStop.set(peerId, st);
    if (last && sameStartStop(last, st)) return;
    if (st.timestamp <= this.sessionStartStop.timestamp) return;
    const problem = startStopProblem(st, this.clock.micros() + this.intercept);
    if (problem !== undefined) {
      this.warn('E_PROTOCOL', `peer ${peerId} announced a start/stop state phaselock cannot follow (${problem}); ignored it`);
      return;
    }
    this.sessionStartStop = st;
    this.announce();
    if (!this.syncStartStop || sameStartStop(st, DEFAULT_START_STOP)) return;
    const time = timeAtBeats(this.timeline, st.beats) - this.intercept;
    const was = this.app.isPlaying;
    this.app = { isPlaying: st.isPlaying, time };
    if (was !== st.isPlaying) this.emit('playing', st.isPlaying);
  }

  private join(sessionId: NodeId, timeline: Timeline, ghostOffset: number): void {
    this.logger?.debug?.(`joining session ${sessionId} (ghost offset ${ghostOffset} µs), leaving ${this.sessionId}`);
    const before = this.clientTimeline();
    const left = { sessionId: this.sessionId, timeline: this.timeline, ghostOffset: this.intercept };
    this.sessionId = sessionId;
    this.founded = false;
    this.timeline = timeline;
    this.intercept = ghostOffset;
    this.sessionStartStop = DEFAULT_START_STOP;
    this.keepBeatContinuous(before);
    this.announce();
    this.updatePeerCount(true);
    this.emitTempoIfChanged();
    this.election.joined(left, sessionId);
  }

  private setIntercept(intercept: number): void {
    const before = this.clientTimeline();
    this.intercept = intercept;
    this.keepBeatContinuous(before);
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

  private announce(): void {
    for (const gw of this.gateways.values()) gw.announce();
  }

  // ---- interfaces ---------------------------------------------------------------------

  /**
   * Opens gateways for new interfaces, closes vanished ones and reopens those whose sockets
   * failed (a bind refused, a group not joined); repeats every 5 s (spec 01 §2).
   */
  private scan(): void {
    if (!this.isEnabled) return;
    const wanted = new Map<string, InterfaceAddress>();
    for (const i of this.rt.network.interfaces()) {
      if (i.family !== 'IPv4') continue;
      if (this.interfaceFilter && !this.interfaceFilter.some((f) => f === i.name || f === i.address)) continue;
      wanted.set(i.address, i);
    }
    for (const [address, gw] of [...this.gateways]) {
      if (wanted.has(address) && gw.failed === undefined) continue;
      this.gateways.delete(address);
      if (gw.failed !== undefined) this.logger?.debug?.(`reopening gateway ${address} (${gw.failed})`);
      gw.close(wanted.has(address) ? 'closed' : 'vanished');
    }
    for (const [address, iface] of wanted) {
      if (this.gateways.has(address)) continue;
      const gw = new Gateway(this.rt, this.gatewayHost, iface);
      this.gateways.set(address, gw);
      gw.open();
    }
    this.scanTimer?.cancel();
    this.scanTimer = this.rt.timers.setTimeout(() => this.scan(), RESCAN_MICROS);
  }

  private newNodeId(): NodeId {
    const bytes = this.rt.random.bytes(8);
    if (this.yieldTies) bytes[0] = 0xff;
    return nodeIdFromBytes(bytes);
  }
}
