/**
 * `TransportFollower` (L1): the Link-transport-following core of `MidiClockOut` and
 * `LinkSequencer`, written once. It runs the lookahead loop on the peer's clock and timers,
 * turns each host-time window (shifted by the output latency) into a beat window
 * (`BeatCursor`), delivers to the output (`OutputDispatcher`) and keeps the song origin — the
 * Link beat (µb) of song beat 0, shifted with a renumbered timeline. What plays inside a window
 * is its owner's (`onWindow`).
 *
 * - `start()` is the quantized transport start (see `sched/transport.ts`); while playing it
 *   returns the song start and changes nothing.
 * - `stop({ atBeat })` stops the transport where the handed-out window ends (≤ lookahead from
 *   now), or at song beat `atBeat` if later. A later stop is committed to Link only when a
 *   window reaches its beat (peers would stop at once on a future stop).
 * - `follow(state, window)`, called by the owner in its window, tells what the transport did:
 *   a start to follow (ours or a peer's, with the song origin on its bar), or a stop on a beat of
 *   this window. A stop beyond the window is not reported until a window reaches it.
 *
 * Internal to `TransportPlayer` (transport-player.ts), the wiring the MIDI clock and the
 * sequencer share.
 * @module
 */
import { finiteNumber, nonNegative } from '../core/checks.ts';
import { PhaselockError } from '../core/errors.ts';
import type { Clock, PreciseTimers, Timers } from '../core/runtime.ts';
import type { SessionState } from '../link/session-state.ts';
import { beatsToMicroBeats } from '../link/timeline.ts';
import { BeatCursor, type BeatWindow } from './beat-cursor.ts';
import { beatBoundary, timeAtMicroBeats } from './grid.ts';
import { OutputDispatcher, type ScheduledOutput } from './output-dispatcher.ts';
import type { TimelineSource } from './timeline-source.ts';
import { setTransport, songOriginOfStart, startTransportQuantized } from './transport.ts';
import { DEFAULT_INTERVAL_MICROS, DEFAULT_LOOKAHEAD_MICROS, WindowScheduler, type Window } from './window-scheduler.ts';

/** The options of everything that plays on a timeline's transport (µs, like every time option). */
export interface TransportFollowerOptions {
  /** Beats per bar for quantized start and phase (default 4). */
  quantum?: number;
  /** Output latency (µs, may be negative): each message is sent at grid time − latency. */
  latencyMicros?: number;
  /** Scheduler lookahead (µs, default 30 000); also how long `stop()` may take to take effect. */
  lookaheadMicros?: number;
  /** Scheduler wake interval (µs, default 10 000). */
  intervalMicros?: number;
  /** Override the timers of the timeline source. */
  timers?: Timers;
  /** How instant outputs are called at the instant (default: the timeline source's). */
  preciseTimers?: PreciseTimers;
}

/** What the follower needs from its owner. */
export interface TransportFollowerOwner {
  /** Names the owner in the error of a call after `close()`: "this <className> was closed". */
  readonly className: string;
  /** The timeline source closed: the owner closes too. */
  sourceClosed(): void;
  /** Prefixes the message of an error reported as a warning that is not a `PhaselockError`. */
  readonly warningPrefix: string;
  /** What plays in a window: called with the (possibly re-captured) session state, after the follower's bookkeeping. */
  onWindow(state: SessionState, window: BeatWindow): void;
  /** Listeners of the owner's `warning` event; with none, a warning is thrown asynchronously. */
  warningListeners(): number;
  emitWarning(error: PhaselockError): void;
}

/** What the transport did, as `follow()` reports it. */
export type TransportStep =
  /** Nothing new: playing on (a stop beyond this window included), or still stopped. */
  | { kind: 'none' }
  /**
   * A transport start to follow, at host time `startMicros`; `origin` is its song origin (the
   * first bar at or after it). `restart`: it replaces the start being followed (a stop and a
   * start between two windows).
   */
  | { kind: 'start'; startMicros: number; restart: boolean }
  /** The transport stopped at Link beat `beat` (µb) inside this window; nothing is followed any more. */
  | { kind: 'stop'; beat: number };

const NONE: TransportStep = { kind: 'none' };

export class TransportFollower {
  readonly quantum: number;
  readonly latencyMicros: number;
  readonly clock: Clock;
  readonly scheduler: WindowScheduler;
  readonly cursor: BeatCursor;
  readonly dispatcher: OutputDispatcher;
  /** Link beat (µb) of song beat 0. */
  origin = 0;
  private readonly onPlaying = () => this.scheduler.wake();
  private readonly onSourceClose = () => this.owner.sourceClosed();
  /** Whether a transport start is being followed (from its start until its stop). */
  private followingStart = false;
  /** timeForIsPlaying of the transport start being followed. */
  private followedStart: number | undefined;
  private lastSent = -Infinity;
  /** A stop requested for a later song beat (Link µb), committed when a window reaches it. */
  private stopAtBeat: number | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** Validates the options; nothing runs before `run()`. */
  constructor(
    readonly link: TimelineSource,
    output: ScheduledOutput,
    options: TransportFollowerOptions,
    private readonly owner: TransportFollowerOwner,
  ) {
    this.quantum = nonNegative('quantum', options.quantum ?? 4);
    this.latencyMicros = Math.round(finiteNumber('latencyMicros', options.latencyMicros ?? 0));
    this.clock = link.clock;
    const lookaheadMicros = options.lookaheadMicros !== undefined ? nonNegative('lookaheadMicros', options.lookaheadMicros) : DEFAULT_LOOKAHEAD_MICROS;
    const intervalMicros = options.intervalMicros !== undefined ? nonNegative('intervalMicros', options.intervalMicros) : DEFAULT_INTERVAL_MICROS;
    this.scheduler = new WindowScheduler(link.clock, options.timers ?? link.timers, (w) => this.onWindow(w), {
      lookaheadMicros,
      intervalMicros,
      onError: (err) => this.warn(err),
    });
    this.cursor = new BeatCursor(this.quantum, 2 * lookaheadMicros + intervalMicros);
    this.dispatcher = new OutputDispatcher(output, link.clock, options.preciseTimers ?? link.preciseTimers, (err) => this.warn(err));
  }

  /** Listens to the transport (and the source's close) and starts the lookahead loop. */
  run(): void {
    this.link.on('playing', this.onPlaying);
    this.link.on('close', this.onSourceClose);
    this.scheduler.start();
  }

  /** Whether a transport start is being followed: from the window that saw it until the one that reached its stop. */
  get following(): boolean {
    return this.followingStart;
  }

  /** The earliest host time (µs) a downbeat can start at: it must be scheduled before it is due, after latency — one lookahead ahead. */
  earliestStartMicros(): number {
    return this.clock.micros() + this.scheduler.lookaheadMicros + Math.max(0, this.latencyMicros) + this.scheduler.intervalMicros;
  }

  /**
   * The quantized transport start on the first quantum boundary that can still be scheduled;
   * returns the host time (µs) of beat 0. While playing, returns the Link time of the song origin
   * and changes nothing. `beforeStart` runs just before a start is committed.
   */
  start(beforeStart?: () => void): number {
    this.assertOpen();
    const s = this.link.captureAppSessionState();
    if (s.isPlaying) return timeAtMicroBeats(s, this.origin, this.quantum);
    beforeStart?.();
    return startTransportQuantized(this.link, this.quantum, this.earliestStartMicros());
  }

  /** `stop({ atBeat })` of the owners (see the module doc); returns the Link time (µs) of the stop. */
  stop(options: { atBeat?: number }): number {
    this.assertOpen();
    const s = this.link.captureAppSessionState();
    const at = Math.max(this.clock.micros(), this.scheduler.horizonMicros ?? 0) + this.latencyMicros;
    if (options.atBeat !== undefined) {
      const beat = this.origin + beatsToMicroBeats(finiteNumber('atBeat', options.atBeat));
      const t = timeAtMicroBeats(s, beat, this.quantum);
      if (t > at && s.isPlaying) {
        // Committed to Link only when the window reaches it (peers would stop at once on a
        // future stop), so it is announced about one lookahead ahead.
        this.stopAtBeat = beat;
        return t;
      }
    }
    this.stopAtBeat = undefined;
    if (s.isPlaying) setTransport(this.link, false, at);
    return at;
  }

  /**
   * What the transport did by the end of `window` (see `TransportStep`): call once per window,
   * where the owner applies it. A start sets `origin` to the song origin of the start.
   */
  follow(state: SessionState, window: BeatWindow): TransportStep {
    const ts = state.timeForIsPlaying();
    if (state.isPlaying) {
      if (this.followingStart && ts === this.followedStart) return NONE;
      const restart = this.followingStart;
      this.followingStart = true;
      this.followedStart = ts;
      // A followed DAW numbers its beats by song position: song beat 0 is beat 0, wherever it starts.
      this.origin = this.link.beatsAreSongPosition ? 0 : songOriginOfStart(state, ts, this.quantum);
      return { kind: 'start', startMicros: ts, restart };
    }
    if (!this.followingStart) return NONE;
    const stopBeat = Math.max(window.fromMicroBeats, beatBoundary(state, ts, this.quantum));
    if (stopBeat >= window.toMicroBeats) return NONE; // a stop beyond this window: play on until it
    this.followingStart = false;
    return { kind: 'stop', beat: stopBeat };
  }

  /**
   * Hands `data` to the output for host time `timeMicros`, never before the message handed out
   * last this way; returns the time it was handed out for.
   */
  deliverInOrder(timeMicros: number, data: Uint8Array): number {
    let t = timeMicros;
    if (t < this.lastSent) t = this.lastSent;
    this.lastSent = t;
    this.dispatcher.deliver(t, data);
    return t;
  }

  /**
   * Stops the loop and listening; withdraws what was handed out for after now (plus the
   * output's withdraw lead: what is due sooner may already be on its way and stays), lets
   * `lastMessages(at, sendAt)` hand out the owner's last messages for `sendAt`, then resolves
   * once the output has sent them (its `drain()`). `sendAt` is `at` unless this thread stalled
   * past the lead while withdrawing: then what was withdrawn may have gone out anyway, the
   * owner ends that too, later. Idempotent.
   */
  close(lastMessages: (atMicros: number, sendAtMicros: number) => void): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.link.off('playing', this.onPlaying);
    this.link.off('close', this.onSourceClose);
    this.scheduler.stop();
    const now = this.clock.micros();
    const lead = this.dispatcher.withdrawLeadMicros;
    const at = now + lead;
    this.dispatcher.cancelFrom(at + 1);
    const late = this.clock.micros() + lead;
    const sendAt = lead > 0 && late > at + lead ? late : at;
    this.lastSent = Math.min(this.lastSent, at); // what was after `at` is withdrawn
    lastMessages(at, sendAt);
    this.dispatcher.flush();
    this.followingStart = false;
    this.closing = this.dispatcher.drain().finally(() => this.dispatcher.close());
    return this.closing;
  }

  /** Reports `err` as the owner's `warning` (thrown asynchronously when nobody listens). */
  warn(err: unknown): void {
    const e = err instanceof PhaselockError ? err : new PhaselockError('E_STATE', `${this.owner.warningPrefix}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    if (this.owner.warningListeners() > 0) this.owner.emitWarning(e);
    else queueMicrotask(() => { throw e; });
  }

  assertOpen(): void {
    if (this.closed) throw new PhaselockError('E_CLOSED', `this ${this.owner.className} was closed`);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onWindow(w: Window): void {
    const L = this.latencyMicros;
    let state = this.link.captureAppSessionState();
    const bw = this.cursor.advance(state, w.fromMicros + L, w.toMicros + L);
    state = this.commitPendingStop(state, bw.toMicroBeats);
    if (bw.change === 'renumbered') this.origin += bw.shiftMicroBeats;
    this.owner.onWindow(state, bw);
  }

  /** Commits a stop requested with `stop({ atBeat })` once this window reaches its beat. */
  private commitPendingStop(state: SessionState, windowEnd: number): SessionState {
    const beat = this.stopAtBeat;
    if (beat === undefined) return state;
    if (!state.isPlaying) {
      this.stopAtBeat = undefined;
      return state;
    }
    if (windowEnd <= beat) return state;
    this.stopAtBeat = undefined;
    setTransport(this.link, false, timeAtMicroBeats(state, beat, this.quantum));
    return this.link.captureAppSessionState();
  }
}
