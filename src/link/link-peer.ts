/**
 * The Ableton Link peer (L1, on an injected Runtime): Link's API, its events and its lifecycle.
 * What it does on the network — sessions, election and merging, timeline and start/stop gossip
 * (link-wire-spec 01, 02 §7–§8) — is a private `PeerEngine` (peer-engine.ts) over a
 * `LinkSession` (link-session.ts). `phaselock`'s `Link` class gives it the Node runtime. It is a
 * `TimelineSource` (sched/timeline-source.ts): everything that consumes musical time takes it.
 *
 * Lifecycle: the constructor only wires; `enable()` joins the network, `disable()` leaves it
 * (the timeline stays, local), `close()` leaves for good and resolves once the ByeBye is out.
 * @module
 */
import { finiteNumber } from '../core/checks.ts';
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, type PhaselockErrorCode } from '../core/errors.ts';
import { timerPreciseTimers } from '../core/precise-timers.ts';
import type { Clock, PreciseTimers, Runtime, Timers } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import { PeerEngine } from './peer-engine.ts';
import { SessionState } from './session-state.ts';
import { clampBpm } from './timeline.ts';
import type { NodeId, StartStopState, Timeline } from './types.ts';

export { JOIN_THRESHOLD_MICROS, MAX_KNOWN_SESSIONS, REMEASURE_MICROS } from './session-election.ts';
export { RESCAN_MICROS, REROLL_MIN_MICROS } from './peer-engine.ts';
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
  private readonly engine: PeerEngine;
  private readonly logger: LinkLogger | undefined;
  private isClosed = false;
  private readonly warnings = new WarningLimiter(WARNINGS_PER_SECOND);

  constructor(runtime: Runtime, options: LinkPeerOptions = {}) {
    super();
    this.rt = runtime;
    this.clock = runtime.clock;
    this.timers = runtime.timers;
    this.preciseTimers = runtime.preciseTimers ?? timerPreciseTimers(runtime.clock, runtime.timers);
    const bpm = clampBpm(finiteNumber('bpm', options.bpm ?? 120));
    if (options.interfaces !== undefined && (!Array.isArray(options.interfaces) || options.interfaces.some((i) => typeof i !== 'string'))) {
      throw new TypeError('interfaces must be an array of interface names or IPv4 addresses');
    }
    this.logger = options.logger;
    this.engine = new PeerEngine(runtime, {
      peers: (n) => this.emit('peers', n),
      tempo: (b) => this.emit('tempo', b),
      playing: (p) => this.emit('playing', p),
      warn: (code, m) => this.warn(code, m),
      debug: (m) => this.logger?.debug?.(m),
    }, { bpm, startStopSync: options.startStopSync ?? false, interfaces: options.interfaces, yieldTies: options.yieldTies === true });
  }

  /** Our node id (it changes when we found a session, and when another peer announces it). */
  get nodeId(): NodeId {
    return this.engine.session.nodeId;
  }

  get enabled(): boolean {
    return this.engine.enabled;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Peers in our session (not counting ourselves). */
  get numPeers(): number {
    return this.engine.numPeers;
  }

  /**
   * Diagnostics: our node id, the session we are in, the ghost transform
   * (`ghost = host + ghostOffsetMicros`) and the session timeline as gossiped.
   */
  get session(): { nodeId: NodeId; sessionId: NodeId; ghostOffsetMicros: number; timeline: Timeline; startStop: StartStopState } {
    const s = this.engine.session;
    return { nodeId: s.nodeId, sessionId: s.sessionId, ghostOffsetMicros: s.intercept, timeline: s.timeline, startStop: this.engine.startStop.state };
  }

  get startStopSyncEnabled(): boolean {
    return this.engine.syncStartStop;
  }

  set startStopSyncEnabled(on: boolean) {
    this.engine.syncStartStop = on === true;
  }

  /** Joins the network: founds a fresh session and starts discovery. Throws E_CLOSED once closed. */
  enable(): void {
    this.assertOpen('enable');
    this.engine.enable();
  }

  /** Leaves the network: byebye on every gateway; the timeline stays, local. */
  disable(): void {
    this.engine.disable();
  }

  /**
   * Leaves the network for good; resolves once the ByeBye has been sent and every socket closed.
   * Emits `close` (pending `atBeat` promises reject with E_CLOSED). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.isClosed) {
      this.engine.disable();
      this.isClosed = true;
      this.emit('close');
    }
    await this.engine.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Session state for the application thread. Pure snapshot; change it and commit. */
  captureAppSessionState(): SessionState {
    return this.engine.capture();
  }

  /**
   * Applies what the application changed in `state`; peers hear of it at once. Throws
   * RangeError, changing nothing, when the result could not be shared (plausibility.ts: beats
   * beyond ±1.1·10^9 or times beyond ±2^49 µs).
   */
  commitAppSessionState(state: SessionState): void {
    if (!(state instanceof SessionState)) throw new TypeError('commitAppSessionState takes a SessionState');
    this.engine.commit(state);
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

  private warn(code: PhaselockErrorCode, message: string): void {
    const text = this.warnings.admit(message, this.clock.micros());
    if (text === undefined) return;
    this.logger?.warn?.(text);
    this.emit('warning', new PhaselockError(code, text));
  }
}
