/**
 * `MidiClockOut` (L1): a Link-synced MIDI beat clock — 24 ticks per quarter note at exactly the
 * Link grid times, Start/Stop/Continue and Song Position Pointer, following the Link transport
 * in both directions.
 *
 * Semantics (MIDI 1.0 Detailed Specification, "System Real Time Messages", "Song Position
 * Pointer"):
 * - Tick n of the session is at `timeAtBeat(n / 24, quantum)`; the clock sends it at that time
 *   minus the output's latency. Ticks are computed from the timeline in each window, never by
 *   adding intervals, so they cannot drift; a tempo change between two ticks moves the next
 *   tick onto the new grid.
 * - `start()` starts the Link transport on the next quantum boundary (beat 0 there; the count-in
 *   is visible as negative beats). At beat 0 the output gets Song Position Pointer 0, Start and
 *   the first tick, in that order and with the same timestamp: the receiver plays its downbeat on
 *   the first clock after Start.
 * - `stop()` stops the transport where the already scheduled ticks end (≤ lookahead from now)
 *   and sends Stop right after the last tick. `continue()` resumes on the next beat with the
 *   stopped position's phase: SPP(position), Continue, tick. `songPosition(beats)` relocates:
 *   stopped, it sends SPP at once; running, it sends Stop, SPP, Continue on the next beat with
 *   the new position's bar phase.
 * - A transport start by a peer (start/stop sync) starts the clock on the first bar at or after
 *   the peer's start time; a start learnt too late for its bar, or a clock created while the
 *   transport plays, joins with SPP + Continue on the next 16th note. A stop by a peer stops it.
 * - A phase jump of the session (another peer's forceBeatAtTime, joining another session)
 *   relocates: Stop, SPP, Continue on the next 16th note of the new timeline.
 *
 * Ticks go out only while the transport plays, unless `clockWhileStopped`.
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import { finiteNumber, nonNegative } from '../core/checks.ts';
import { PhaselockError } from '../core/errors.ts';
import type { Clock, Timers } from '../core/runtime.ts';
import type { LinkPeer } from '../link/link-peer.ts';
import type { SessionState } from '../link/session-state.ts';
import { beatsToMicroBeats } from '../link/timeline.ts';
import { BeatCursor, type BeatWindow } from '../sched/beat-cursor.ts';
import { alignUpTo, beatBoundary, ceilToMultiple, stepMicroBeats, stepsInRange, timeAtMicroBeats } from '../sched/grid.ts';
import { schedRuntimeOf } from '../sched/link-runtime.ts';
import { OutputDispatcher } from '../sched/output-dispatcher.ts';
import type { PreciseTimers } from '../sched/precise-timers.ts';
import { setTransport, songOriginOfStart, startTransportQuantized, timeNotAfterBeat } from '../sched/transport.ts';
import { DEFAULT_INTERVAL_MICROS, DEFAULT_LOOKAHEAD_MICROS, WindowScheduler, type Window } from '../sched/window-scheduler.ts';
import { clock as clockBytes, continueMsg, songPosition as sppBytes, start as startBytes, stop as stopBytes } from './encode.ts';
import type { MidiOutput } from './output.ts';

export const TICKS_PER_BEAT = 24;
/** A MIDI beat (a 16th note, 6 ticks) in µb: the unit of Song Position Pointer. */
export const SIXTEENTH_MICRO_BEATS = 250_000;
const MAX_SPP = 16383;

export interface MidiClockOutOptions {
  /** Beats per bar for quantized start and phase (default 4). */
  quantum?: number;
  /** Output latency (ms, may be negative): each message is sent at grid time − latency. */
  latencyMs?: number;
  /** Scheduler lookahead (ms, default 30). Also how long `stop()` may take to take effect. */
  lookaheadMs?: number;
  /** Scheduler wake interval (ms, default 10). */
  intervalMs?: number;
  /** Keep sending ticks while stopped (some devices want a running clock), default false. */
  clockWhileStopped?: boolean;
  /** Override the timers taken from the Link peer's runtime. */
  timers?: Timers;
  /** How outputs with `acceptsFutureTimestamps: false` are called at the instant. */
  preciseTimers?: PreciseTimers;
}

/** Event times are Link (musical) times; the message went out `latencyMs` earlier. */
export interface MidiClockOutEvents {
  /** Start scheduled for the downbeat at `timeMicros`. */
  start: [timeMicros: number];
  /** Continue sent for `timeMicros`, from song position `sixteenths`. */
  continue: [timeMicros: number, sixteenths: number];
  stop: [timeMicros: number];
  /** Song Position Pointer sent (before Start/Continue, or on relocation). */
  songposition: [sixteenths: number, timeMicros: number];
  warning: [error: PhaselockError];
}

type Phase = 'stopped' | 'armed' | 'running';

interface Armed {
  /** Link beat (µb) of the Start/Continue: always a 16th-note boundary. */
  beat: number;
  kind: 'start' | 'continue';
  /** Send Stop first (relocation while running). */
  stopFirst: boolean;
}

interface Pending {
  /** Grid time (µs); the message goes out at grid time − latency. */
  time: number;
  data: Uint8Array;
  /** Already a send time (µs): no latency applied (SPP while stopped, Stop on close). */
  sendNow?: boolean;
  after?: () => void;
}

/**
 * @example
 * const link = new Link({ bpm: 120 }); link.enable();
 * const clock = new MidiClockOut(link, await openPreciseOutput({ kind: 'native', port: 0 }), { latencyMs: 3 });
 * const startAt = clock.start(); // host µs of the downbeat
 */
export class MidiClockOut extends Emitter<MidiClockOutEvents> {
  readonly quantum: number;
  readonly latencyMicros: number;
  readonly clockWhileStopped: boolean;
  private readonly clock: Clock;
  private readonly scheduler: WindowScheduler;
  private readonly cursor: BeatCursor;
  private readonly dispatcher: OutputDispatcher;
  private readonly onPlaying = () => this.scheduler.wake();
  private phase: Phase = 'stopped';
  private armed: Armed | undefined;
  /** Link beat (µb) of song position 0. */
  private origin = 0;
  /** Song position (µb, 16th-aligned) to resume from. */
  private position = 0;
  /** timeForIsPlaying of the transport start being followed. */
  private followedStart: number | undefined;
  /** Our own continue(): the transport start time and the song position it resumes. */
  private ownContinue: { ts: number; origin: number; position: number } | undefined;
  private relocateTo: number | undefined;
  private lastSent = -Infinity;
  /** A stop requested for a later song beat (Link µb), committed when a window reaches it. */
  private stopAtBeat: number | undefined;
  private closed = false;

  constructor(
    readonly link: LinkPeer,
    readonly output: MidiOutput,
    options: MidiClockOutOptions = {},
  ) {
    super();
    this.quantum = nonNegative('quantum', options.quantum ?? 4);
    this.latencyMicros = Math.round(finiteNumber('latencyMs', options.latencyMs ?? 0) * 1000);
    this.clockWhileStopped = options.clockWhileStopped ?? false;
    const rt = schedRuntimeOf(link, options);
    this.clock = rt.clock;
    const lookaheadMicros = options.lookaheadMs !== undefined ? nonNegative('lookaheadMs', options.lookaheadMs) * 1000 : DEFAULT_LOOKAHEAD_MICROS;
    const intervalMicros = options.intervalMs !== undefined ? nonNegative('intervalMs', options.intervalMs) * 1000 : DEFAULT_INTERVAL_MICROS;
    this.scheduler = new WindowScheduler(rt.clock, rt.timers, (w) => this.onWindow(w), {
      lookaheadMicros,
      intervalMicros,
      onError: (err) => this.warn(err),
    });
    this.cursor = new BeatCursor(this.quantum, 2 * lookaheadMicros + intervalMicros);
    this.dispatcher = new OutputDispatcher(output, rt.clock, rt.preciseTimers, (err) => this.warn(err));
    link.on('playing', this.onPlaying);
    this.scheduler.start();
  }

  /** True from Start/Continue until Stop. */
  get running(): boolean {
    return this.phase === 'running';
  }

  /** Song position (beats) the next `continue()` resumes from. */
  get songPositionBeats(): number {
    return this.position / 1e6;
  }

  /** Host time (µs) up to which messages were handed to the output. */
  get horizonMicros(): number | undefined {
    return this.scheduler.horizonMicros;
  }

  /**
   * Starts the Link transport on the next quantum boundary that can still be scheduled, and the
   * clock with it. Returns the host time (µs) of the downbeat (beat 0) on the Link timeline —
   * the Start message goes out `latencyMs` earlier. Commits to the Link session (peers start too
   * with start/stop sync). While playing, returns the song start and changes nothing.
   */
  start(): number {
    this.assertOpen();
    const s = this.link.captureAppSessionState();
    if (s.isPlaying) return s.timeAtBeat(this.origin / 1e6, this.quantum);
    this.ownContinue = undefined;
    return startTransportQuantized(this.link, this.quantum, this.earliestStartMicros());
  }

  /**
   * Stops the Link transport where the scheduled ticks end (≤ lookahead from now), or at song
   * beat `atBeat` if later; Stop follows the last tick. Returns the Link time (µs) of the stop
   * (Stop goes out `latencyMs` earlier). No-op while stopped.
   */
  stop(options: { atBeat?: number } = {}): number {
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
   * Resumes from the stopped song position on the next beat having its phase in the bar:
   * SPP(position), Continue, tick. Starts the Link transport there. Returns the Link time (µs)
   * of the resumed beat (Continue goes out `latencyMs` earlier).
   */
  continue(): number {
    this.assertOpen();
    const s = this.link.captureAppSessionState();
    if (s.isPlaying) return this.clock.micros();
    const q = beatsToMicroBeats(this.quantum);
    const from = beatBoundary(s, this.earliestStartMicros(), this.quantum);
    const beat = q > 0 ? alignUpTo(from, this.position, q) : ceilToMultiple(from, SIXTEENTH_MICRO_BEATS);
    const ts = timeNotAfterBeat(s, beat, this.quantum);
    this.ownContinue = { ts, origin: beat - this.position, position: this.position };
    setTransport(this.link, true, ts);
    return timeAtMicroBeats(this.link.captureAppSessionState(), beat, this.quantum);
  }

  /**
   * Sets the song position (beats, rounded down to a 16th note). Stopped: sends SPP now and
   * resumes there on `continue()`. Running: relocates on the next beat with the position's bar
   * phase (Stop, SPP, Continue).
   */
  songPosition(beats: number): void {
    this.assertOpen();
    const b = nonNegative('beats', beats);
    const p = Math.floor(beatsToMicroBeats(b) / SIXTEENTH_MICRO_BEATS) * SIXTEENTH_MICRO_BEATS;
    if (p / SIXTEENTH_MICRO_BEATS > MAX_SPP) throw new RangeError(`song position must be < ${(MAX_SPP + 1) / 4} beats, got ${beats}`);
    if (this.phase === 'stopped') {
      this.position = p;
      const now = this.clock.micros();
      this.emitNow([{ time: now, sendNow: true, data: sppBytes(p / SIXTEENTH_MICRO_BEATS), after: () => this.emit('songposition', p / SIXTEENTH_MICRO_BEATS, now) }]);
      return;
    }
    if (this.phase === 'armed' && this.armed) {
      this.position = p;
      this.origin = this.armed.beat - p;
      this.armed.kind = p === 0 && !this.armed.stopFirst ? 'start' : 'continue';
      return;
    }
    this.relocateTo = p;
    this.scheduler.wake();
  }

  /** Stops scheduling; sends Stop now if running. Does not stop the Link transport or close the output. */
  close(): void {
    if (this.closed) return;
    this.link.off('playing', this.onPlaying);
    this.scheduler.stop();
    const now = this.clock.micros();
    this.dispatcher.cancelFrom(now + 1);
    if (this.sounding()) this.emitNow([{ time: now, sendNow: true, data: stopBytes(), after: () => this.emit('stop', now) }]);
    this.dispatcher.flush();
    this.dispatcher.close();
    this.phase = 'stopped';
    this.closed = true;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- windows --------------------------------------------------------------------------

  private earliestStartMicros(): number {
    // The downbeat must be scheduled before it is due, after latency: one lookahead ahead.
    return this.clock.micros() + this.scheduler.lookaheadMicros + Math.max(0, this.latencyMicros) + this.scheduler.intervalMicros;
  }

  private onWindow(w: Window): void {
    const L = this.latencyMicros;
    let state = this.link.captureAppSessionState();
    const bw = this.cursor.advance(state, w.fromMicros + L, w.toMicros + L);
    state = this.commitPendingStop(state, bw.toMicroBeats);
    const out: Pending[] = [];
    if (bw.change === 'renumbered') {
      this.origin += bw.shiftMicroBeats;
      if (this.armed) this.armed.beat += bw.shiftMicroBeats;
    }
    let from = bw.fromMicroBeats;
    if (bw.change === 'jump' && this.phase === 'running') {
      this.relocateTo = undefined;
      this.armed = { beat: ceilToMultiple(from, SIXTEENTH_MICRO_BEATS), kind: 'continue', stopFirst: true };
      this.phase = 'armed';
    }
    from = this.followTransport(state, bw, out);
    if (this.phase === 'running' && this.relocateTo !== undefined) this.armRelocation(from);
    if (this.phase === 'armed' && this.armed && this.armed.beat < from) this.rearmLate(from);
    this.ticks(state, from, bw.toMicroBeats, out);
    this.emitNow(out);
  }

  /** Applies transport changes; returns the beat from which ticks continue. */
  private followTransport(state: SessionState, bw: BeatWindow, out: Pending[]): number {
    const from = bw.fromMicroBeats;
    const ts = state.timeForIsPlaying();
    if (state.isPlaying) {
      if (this.phase !== 'stopped' && ts !== this.followedStart) {
        // A new start while we play (stop + start between two windows): stop, then follow it.
        if (this.sounding()) this.pushStop(state, from, out);
        this.phase = 'stopped';
      }
      if (this.phase === 'stopped') this.armFromTransport(state, ts, from);
      return from;
    }
    if (this.phase === 'stopped') return from;
    const stopBeat = Math.max(from, beatBoundary(state, ts, this.quantum));
    if (stopBeat >= bw.toMicroBeats) return from; // a stop beyond this window: run on until it
    if (this.sounding()) {
      this.armed = undefined;
      this.phase = 'running';
      this.ticks(state, from, stopBeat, out);
      this.pushStop(state, stopBeat, out);
      this.position = Math.max(0, ceilToMultiple(stopBeat - this.origin, SIXTEENTH_MICRO_BEATS));
    }
    this.phase = 'stopped';
    this.armed = undefined;
    this.relocateTo = undefined;
    // Ticks were emitted up to stopBeat; the caller continues from there (clockWhileStopped).
    return stopBeat;
  }

  private armFromTransport(state: SessionState, ts: number, from: number): void {
    this.followedStart = ts;
    const own = this.ownContinue && this.ownContinue.ts === ts ? this.ownContinue : undefined;
    this.ownContinue = undefined;
    if (own) {
      this.origin = own.origin;
      this.position = own.position;
      this.armed = { beat: own.origin + own.position, kind: 'continue', stopFirst: false };
    } else {
      this.origin = songOriginOfStart(state, ts, this.quantum);
      this.position = 0;
      this.armed = { beat: this.origin, kind: 'start', stopFirst: false };
    }
    this.phase = 'armed';
    if (this.armed.beat < from) this.rearmLate(from);
  }

  /** The Start/Continue beat already passed: join on the next 16th with SPP + Continue. */
  private rearmLate(from: number): void {
    const a = this.armed;
    if (!a) return;
    a.beat = Math.max(ceilToMultiple(from, SIXTEENTH_MICRO_BEATS), this.origin);
    a.kind = a.beat === this.origin && !a.stopFirst ? 'start' : 'continue';
  }

  private armRelocation(from: number): void {
    const p = this.relocateTo as number;
    this.relocateTo = undefined;
    const q = beatsToMicroBeats(this.quantum);
    // Keep the song's bar phase on the Link bar: resume where beat ≡ origin + p (mod quantum).
    const beat = q > 0 ? alignUpTo(from, this.origin + p, q) : ceilToMultiple(from, SIXTEENTH_MICRO_BEATS);
    this.origin = beat - p;
    this.armed = { beat, kind: 'continue', stopFirst: true };
    // Ticks go on until the relocation beat; the phase flips there.
    this.phase = 'armed';
  }

  private ticks(state: SessionState, from: number, to: number, out: Pending[]): void {
    if (to <= from) return;
    const { first, end } = stepsInRange(from, to, TICKS_PER_BEAT);
    for (let n = first; n < end; n++) {
      const beat = stepMicroBeats(n, TICKS_PER_BEAT);
      const time = timeAtMicroBeats(state, beat, this.quantum);
      if (this.phase === 'armed' && this.armed && beat >= this.armed.beat) this.fireArmed(beat, time, out);
      if (this.clockWhileStopped || this.sounding()) out.push({ time, data: clockBytes() });
    }
  }

  /** Running, or running until a relocation (Stop, SPP, Continue) armed ahead. */
  private sounding(): boolean {
    return this.phase === 'running' || (this.phase === 'armed' && this.armed?.stopFirst === true);
  }

  private fireArmed(beat: number, time: number, out: Pending[]): void {
    const a = this.armed as Armed;
    const spp = Math.min(MAX_SPP, Math.max(0, Math.round((beat - this.origin) / SIXTEENTH_MICRO_BEATS)));
    if (spp === MAX_SPP) this.warn(new PhaselockError('E_STATE', `song position beyond ${(MAX_SPP + 1) / 4} beats: Song Position Pointer clamped`));
    if (a.stopFirst) out.push({ time, data: stopBytes(), after: () => this.emit('stop', time) });
    out.push({ time, data: sppBytes(spp), after: () => this.emit('songposition', spp, time) });
    if (a.kind === 'start') out.push({ time, data: startBytes(), after: () => this.emit('start', time) });
    else out.push({ time, data: continueMsg(), after: () => this.emit('continue', time, spp) });
    this.armed = undefined;
    this.phase = 'running';
  }

  private pushStop(state: SessionState, beat: number, out: Pending[]): void {
    const time = timeAtMicroBeats(state, beat, this.quantum);
    out.push({ time, data: stopBytes(), after: () => this.emit('stop', time) });
  }

  /** Hands messages (grid times) to the output at grid time − latency, never out of order. */
  private emitNow(out: Pending[]): void {
    for (const m of out) {
      let t = m.sendNow ? m.time : m.time - this.latencyMicros;
      if (t < this.lastSent) t = this.lastSent;
      this.lastSent = t;
      this.dispatcher.deliver(t, m.data);
      m.after?.();
    }
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

  private warn(err: unknown): void {
    const e = err instanceof PhaselockError ? err : new PhaselockError('E_STATE', `midi clock: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    if (this.listenerCount('warning') > 0) this.emit('warning', e);
    else queueMicrotask(() => { throw e; });
  }

  private assertOpen(): void {
    if (this.closed) throw new PhaselockError('E_CLOSED', 'this MidiClockOut was closed');
  }
}
