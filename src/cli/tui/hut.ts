/**
 * The live view's model and key bindings (LinkHut's, plus tap tempo and help), free of any
 * terminal I/O so both the TUI and the `--json` mode drive it, and tests run it on a
 * virtual clock.
 * @module
 */
import type { TimerHandle } from '../../core/runtime.ts';
import type { NetworkTimelineSource } from '../../sched/timeline-source.ts';
import { TapTempo } from './tap-tempo.ts';

/**
 * What the live view drives: a timeline shared over a network (phaselock's `Link`). Its
 * `session` diagnostics, when it has them, hold the start/stop state of the session, which
 * tells whether the transport is known (see {@link transportOf}).
 */
export type HutLink = NetworkTimelineSource & {
  readonly session?: { readonly nodeId: string; readonly sessionId: string; readonly startStop: { readonly timestamp: number } };
};

/** The transport in the three words every surface uses (live view, JSON, `status`, Carabiner's status line). */
export type Transport = 'playing' | 'stopped' | 'unknown';

/** One snapshot of the session as the live view shows it. */
export interface LiveStatus {
  /** Host time (µs, CLOCK_MONOTONIC) of the snapshot. */
  t: number;
  enabled: boolean;
  numPeers: number;
  quantum: number;
  startStopSync: boolean;
  isPlaying: boolean;
  /** `isPlaying` in words; `unknown` when it is only our own default (see {@link transportOf}). */
  transport: Transport;
  tempo: number;
  /** Beat at `t` for `quantum`. */
  beat: number;
  /** Phase at `t` in [0, quantum). */
  phase: number;
  /**
   * Beat at `t` for the quantum the transport started with: negative while counting in after
   * a quantized start. Equal to `beat` unless the quantum changed since the start (which moves
   * `beat` by whole beats, but not the bar the start waits for).
   */
  countInBeat: number;
}

/**
 * The transport of `link` in words. `unknown`: start/stop sync is on, we share a session with
 * peers, and no start/stop state of that session has reached us nor been committed by us
 * (a join resets it, link-wire-spec 02 §8 rule 4, and a newcomer hears start/stop *changes*,
 * not the state, so `isPlaying` is only our own default; Ableton's peers behave the same).
 * Alone, in the session we founded (joiners reset theirs), or without start/stop sync, the
 * transport is our own: known. A source without
 * `session` diagnostics is taken at its word. Pure.
 * @example transportOf(link) // 'unknown' right after joining a session
 */
export function transportOf(link: HutLink, isPlaying = link.captureAppSessionState().isPlaying): Transport {
  const s = link.session;
  // Our own session (peers joined us): nobody changed its transport yet, it is our default.
  const heard = s === undefined || s.startStop.timestamp > 0 || s.sessionId === s.nodeId;
  if (link.startStopSyncEnabled && link.numPeers > 0 && !heard) return 'unknown';
  return isPlaying ? 'playing' : 'stopped';
}

export const MIN_QUANTUM = 1;
export const MAX_QUANTUM = 64;

/**
 * The state of `link` at its clock's now, for `quantum`; the count-in for `countInQuantum`
 * (default: `quantum`).
 */
export function captureStatus(link: HutLink, quantum: number, countInQuantum = quantum): LiveStatus {
  const t = link.clock.micros();
  const s = link.captureAppSessionState();
  const beat = s.beatAtTime(t, quantum);
  return {
    t,
    enabled: link.enabled,
    numPeers: link.numPeers,
    quantum,
    startStopSync: link.startStopSyncEnabled,
    isPlaying: s.isPlaying,
    transport: transportOf(link, s.isPlaying),
    tempo: s.tempo,
    beat,
    phase: s.phaseAtTime(t, quantum),
    countInBeat: countInQuantum === quantum ? beat : s.beatAtTime(t, countInQuantum),
  };
}

/** Rounds to `digits` decimals, away from float noise (121.00000000001 → 121). */
function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export type KeyOutcome = 'quit' | undefined;

/** How long a message stays on screen. */
export const MESSAGE_MICROS = 4_000_000;
/** How long keys typed at start wait for a first peer (`phaselock status`'s default --timeout). */
export const JOIN_WAIT_MICROS = 1_000_000;
/** After the first peer: time for the rest of the session to show up (`status`'s settle time). */
export const JOIN_SETTLE_MICROS = 250_000;

export interface JoinWaitOptions {
  /** How long to wait for a first peer (default {@link JOIN_WAIT_MICROS}). */
  waitMicros?: number;
  /** How long to wait after it (default {@link JOIN_SETTLE_MICROS}). */
  settleMicros?: number;
}

/**
 * Calls `settled` once `link` has settled in a session: `settleMicros` after it first shares
 * one with a peer, or after `waitMicros` alone. A tempo or transport committed before that is
 * lost to the join (the newcomer adopts the session's timeline, link-wire-spec 02 §7.2), which is
 * why the live view holds its first keys until then. Runs on the link's timers; `cancel()`
 * stops it.
 * @example const wait = awaitJoin(link, () => hut.releaseKeys().forEach(apply));
 */
export function awaitJoin(link: HutLink, settled: () => void, options: JoinWaitOptions = {}): { cancel(): void } {
  let timer: TimerHandle | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    cancel();
    settled();
  };
  const settle = () => {
    timer?.cancel();
    timer = link.timers.setTimeout(finish, options.settleMicros ?? JOIN_SETTLE_MICROS);
  };
  const onPeers = (n: number) => {
    if (n <= 0) return;
    link.off('peers', onPeers);
    settle();
  };
  const cancel = () => {
    done = true;
    timer?.cancel();
    link.off('peers', onPeers);
  };
  if (link.numPeers > 0) settle();
  else {
    link.on('peers', onPeers);
    timer = link.timers.setTimeout(finish, options.waitMicros ?? JOIN_WAIT_MICROS);
  }
  return { cancel };
}

/** A message under the status: fixed text, or text that follows the session (a count-down). */
type Message = string | ((s: LiveStatus) => string);

export class LinkHut {
  quantum: number;
  helpVisible = false;
  private msg: Message = '';
  /** When the message was said; in the future for a count-in (it stays until 4 s after the bar). */
  private messageAt = -Infinity;
  private readonly taps = new TapTempo();
  /** Keys held until the join settles; undefined when keys apply at once. */
  private held: string[] | undefined;
  /** The quantum the transport started with (its count-in waits for that bar); undefined while stopped. */
  private startQuantum: number | undefined;

  constructor(readonly link: HutLink, options: { quantum?: number } = {}) {
    this.quantum = options.quantum ?? 4;
  }

  status(): LiveStatus {
    const s = captureStatus(this.link, this.quantum, this.startQuantum ?? this.quantum);
    this.observe(s);
    return s;
  }

  /** Feedback on the last key (or a warning) as it reads now. */
  get message(): string {
    return typeof this.msg === 'string' ? this.msg : this.msg(this.status());
  }

  /** Shows `text` under the status from now on. */
  say(text: string): void {
    this.msg = text;
    this.messageAt = this.link.clock.micros();
  }

  /** The message while it is fresh (shown for `MESSAGE_MICROS`), else ''. */
  visibleMessage(status?: LiveStatus): string {
    if (this.link.clock.micros() - this.messageAt >= MESSAGE_MICROS) return '';
    return typeof this.msg === 'string' ? this.msg : this.msg(status ?? this.status());
  }

  /**
   * From now on, keys wait (see {@link input}) until {@link releaseKeys}: for the join at start,
   * where a change committed before the session is joined would be lost (see {@link awaitJoin}).
   */
  holdKeys(): void {
    this.held ??= [];
  }

  /**
   * One key from the terminal or stdin: applied at once (see {@link key}), or `'held'` while
   * keys are held. Ctrl-C always quits at once; `q` and Ctrl-D too unless keys are waiting
   * before them (`printf eq | phaselock --json` applies `e`, then quits).
   */
  input(k: string): KeyOutcome | 'held' {
    if (this.held === undefined || k === '\x03') return this.key(k);
    if (this.held.length === 0 && (k === 'q' || k === '\x04')) return 'quit';
    this.held.push(k);
    this.say('joining the session: keys wait for it');
    return 'held';
  }

  /** Stops holding keys; returns those held, in order, for the caller to apply with {@link key}. */
  releaseKeys(): string[] {
    const keys = this.held ?? [];
    this.held = undefined;
    if (keys.length > 0 && this.msg === 'joining the session: keys wait for it') this.say('');
    return keys;
  }

  /** Applies one key (a single character); returns 'quit' for q and Ctrl-C. */
  key(k: string): KeyOutcome {
    switch (k) {
      case 'q':
      case '\x03': // Ctrl-C in raw mode
      case '\x04': // Ctrl-D
        return 'quit';
      case 'a':
        if (this.link.enabled) this.link.disable();
        else this.link.enable();
        this.say(this.link.enabled ? 'Link enabled' : 'Link disabled');
        return undefined;
      case ' ':
        this.startStop();
        return undefined;
      case 'w': return this.nudgeTempo(-1);
      case 'e': return this.nudgeTempo(1);
      case 'W': return this.nudgeTempo(-0.1);
      case 'E': return this.nudgeTempo(0.1);
      case 'r': return this.setQuantum(this.quantum - 1);
      case 't': return this.setQuantum(this.quantum + 1);
      case 's':
        this.link.startStopSyncEnabled = !this.link.startStopSyncEnabled;
        this.say(`start/stop sync ${this.link.startStopSyncEnabled ? 'on' : 'off'}`);
        return undefined;
      case 'T':
        this.tap();
        return undefined;
      case '?':
      case 'h':
        this.helpVisible = !this.helpVisible;
        return undefined;
      default:
        return undefined;
    }
  }

  /** Latches the quantum of a start seen (ours or a peer's), forgets it once stopped. */
  private observe(s: LiveStatus): void {
    if (!s.isPlaying) this.startQuantum = undefined;
    else this.startQuantum ??= this.quantum;
  }

  /**
   * Space: stop now, or start with beat 0 requested at now. With peers the request keeps the
   * session phase, so beat 0 lands on the next bar and the beats before it count in
   * (negative); alone it starts at once (LinkHut's behaviour). When the transport is unknown
   * (just joined, see {@link transportOf}) space starts: the session may be playing already, in
   * which case we join it on the bar; if it was stopped, everyone starts.
   */
  private startStop(): void {
    const now = this.link.clock.micros();
    const s = this.link.captureAppSessionState();
    const transport = transportOf(this.link, s.isPlaying);
    if (transport === 'playing') {
      s.setIsPlaying(false, now);
      this.link.commitAppSessionState(s);
      this.say('stopped');
      return;
    }
    s.setIsPlayingAndRequestBeatAtTime(true, now, 0, this.quantum);
    this.link.commitAppSessionState(s);
    this.startQuantum = this.quantum;
    const beat0 = s.timeAtBeat(0, this.quantum);
    const was = transport === 'unknown' ? 'transport was unknown: ' : '';
    if (beat0 - now <= 1000) {
      this.say(`${was}started`);
      return;
    }
    // A count-down, redrawn with every frame: it follows the session (a tempo change moves the bar).
    this.msg = (st) => st.isPlaying && st.countInBeat < 0
      ? `${was}start at the next bar (in ${((-st.countInBeat * 60) / st.tempo).toFixed(2)} s)`
      : st.isPlaying ? `${was}started on the bar` : '';
    this.messageAt = beat0;
  }

  private nudgeTempo(delta: number): undefined {
    this.setTempo(roundTo(this.link.captureAppSessionState().tempo + delta, 2));
    return undefined;
  }

  private setTempo(bpm: number): void {
    const s = this.link.captureAppSessionState();
    s.setTempo(Math.min(999, Math.max(20, bpm)), this.link.clock.micros());
    this.link.commitAppSessionState(s);
    this.say(`tempo ${s.tempo.toFixed(2)} bpm`);
  }

  private setQuantum(q: number): undefined {
    this.status(); // a start not yet seen keeps the quantum it started with
    this.quantum = Math.min(MAX_QUANTUM, Math.max(MIN_QUANTUM, Math.round(q)));
    this.say(`quantum ${this.quantum}`);
    return undefined;
  }

  private tap(): void {
    const bpm = this.taps.tap(this.link.clock.micros());
    if (bpm === undefined) {
      this.say('tap: keep tapping (T) on the beat');
      return;
    }
    this.setTempo(roundTo(bpm, 2));
    this.say(`tap ×${this.taps.count}: ${this.message}`);
  }
}
