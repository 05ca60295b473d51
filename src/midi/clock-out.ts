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
 * Ticks go out only while the transport plays, unless `clockWhileStopped`. The transport
 * following shared with `LinkSequencer` (lookahead loop, song origin, start, stop at a beat,
 * start/stop detection) is `sched/transport-follower.ts`.
 * @module
 */
import { nonNegative } from '../core/checks.ts';
import { PhaselockError } from '../core/errors.ts';
import type { SessionState } from '../link/session-state.ts';
import { beatsToMicroBeats } from '../link/timeline.ts';
import type { BeatWindow } from '../sched/beat-cursor.ts';
import { alignUpTo, beatBoundary, ceilToMultiple, stepMicroBeats, stepsInRange, timeAtMicroBeats } from '../sched/grid.ts';
import type { TimelineSource } from '../sched/timeline-source.ts';
import { setTransport, timeNotAfterBeat } from '../sched/transport.ts';
import { TransportPlayer, type TransportPlayerOptions } from '../sched/transport-player.ts';
import { MidiLedger } from './midi-ledger.ts';
import { midiClock as clockBytes, midiContinue as continueMsg, midiStart as startBytes, midiStop as stopBytes, songPosition as sppBytes } from './encode.ts';
import type { MidiOutput } from './output.ts';

export const TICKS_PER_BEAT = 24;
/** A MIDI beat (a 16th note, 6 ticks) in µb: the unit of Song Position Pointer. */
export const SIXTEENTH_MICRO_BEATS = 250_000;
const MAX_SPP = 16383;

export interface MidiClockOutOptions extends TransportPlayerOptions {
  /** Keep sending ticks while stopped (some devices want a running clock), default false. */
  clockWhileStopped?: boolean;
}

/** Event times are timeline (musical) times; the message went out `latencyMicros` earlier. */
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
 * const clock = new MidiClockOut(link, await openPreciseOutput({ kind: 'native', port: 0 }), { latencyMicros: 3000 });
 * const startAt = clock.start(); // opens the clock; host µs of the downbeat
 * // …
 * await clock.close(); // Stop sent and delivered
 */
export class MidiClockOut extends TransportPlayer<MidiClockOutEvents> {
  readonly clockWhileStopped: boolean;
  private phase: Phase = 'stopped';
  private armed: Armed | undefined;
  /** Song position (µb, 16th-aligned) to resume from. */
  private position = 0;
  /** Our own continue(): the transport start time and the song position it resumes. */
  private ownContinue: { ts: number; origin: number; position: number } | undefined;
  private relocateTo: number | undefined;
  /** What the receiver was handed: whether its transport runs, after a withdrawal too. */
  private readonly ledger = new MidiLedger();

  constructor(source: TimelineSource, output: MidiOutput, options: MidiClockOutOptions = {}) {
    super(source, output, options, { className: 'MidiClockOut', warningPrefix: 'midi clock' });
    this.clockWhileStopped = options.clockWhileStopped ?? false;
  }

  /** True from Start/Continue until Stop. */
  get running(): boolean {
    return this.phase === 'running';
  }

  /** Song position (beats) the next `continue()` resumes from. */
  get songPositionBeats(): number {
    return this.position / 1e6;
  }

  /**
   * Resumes from the stopped song position on the next beat having its phase in the bar:
   * SPP(position), Continue, tick. Starts the Link transport there. Returns the Link time (µs)
   * of the resumed beat (Continue goes out `latencyMicros` earlier).
   */
  continue(): number {
    this.open();
    const s = this.source.captureAppSessionState();
    if (s.isPlaying) return this.transport.clock.micros();
    const q = beatsToMicroBeats(this.quantum);
    const from = beatBoundary(s, this.transport.earliestStartMicros(), this.quantum);
    const beat = q > 0 ? alignUpTo(from, this.position, q) : ceilToMultiple(from, SIXTEENTH_MICRO_BEATS);
    const ts = timeNotAfterBeat(s, beat, this.quantum);
    this.ownContinue = { ts, origin: beat - this.position, position: this.position };
    setTransport(this.source, true, ts);
    return timeAtMicroBeats(this.source.captureAppSessionState(), beat, this.quantum);
  }

  /**
   * Sets the song position (beats, rounded down to a 16th note). Stopped: sends SPP now and
   * resumes there on `continue()`. Running: relocates on the next beat with the position's bar
   * phase (Stop, SPP, Continue).
   */
  songPosition(beats: number): void {
    this.transport.assertOpen();
    const b = nonNegative('beats', beats);
    const p = Math.floor(beatsToMicroBeats(b) / SIXTEENTH_MICRO_BEATS) * SIXTEENTH_MICRO_BEATS;
    if (p / SIXTEENTH_MICRO_BEATS > MAX_SPP) throw new RangeError(`song position must be < ${(MAX_SPP + 1) / 4} beats, got ${beats}`);
    if (this.phase === 'stopped') {
      this.position = p;
      const now = this.transport.clock.micros();
      this.emitNow([{ time: now, sendNow: true, data: sppBytes(p / SIXTEENTH_MICRO_BEATS), after: () => this.emit('songposition', p / SIXTEENTH_MICRO_BEATS, now) }]);
      return;
    }
    if (this.phase === 'armed' && this.armed) {
      this.position = p;
      this.transport.origin = this.armed.beat - p;
      this.armed.kind = p === 0 && !this.armed.stopFirst ? 'start' : 'continue';
      return;
    }
    this.relocateTo = p;
    this.transport.scheduler.wake();
  }

  protected override beforeStart(): void {
    this.ownContinue = undefined;
  }

  /**
   * At close: what was handed out for after now (ticks, a Start, a Stop) was withdrawn; if that
   * leaves the receiver running, Stop now.
   */
  protected lastMessages(at: number, now: number): void {
    const maybeSent = this.ledger.withdraw(at + 1);
    if (this.ledger.running || (now > at && maybeSent.some((d) => d[0] === 0xfc))) this.emitNow([{ time: now, sendNow: true, data: stopBytes(), after: () => this.emit('stop', now) }]);
    this.phase = 'stopped';
  }

  // ---- windows --------------------------------------------------------------------------

  /** A window of the transport follower (which already shifted the origin of a renumbered timeline). */
  protected onWindow(state: SessionState, bw: BeatWindow): void {
    this.ledger.settle(this.transport.clock.micros());
    const out: Pending[] = [];
    if (bw.change === 'renumbered' && this.armed) this.armed.beat += bw.shiftMicroBeats;
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
    // Following a start ⇔ phase !== 'stopped': the phase leaves 'stopped' only here.
    const step = this.transport.follow(state, bw);
    if (step.kind === 'start') {
      if (step.restart) {
        // A new start while we play (stop + start between two windows): stop, then follow it.
        if (this.sounding()) this.pushStop(state, from, out);
        this.phase = 'stopped';
      }
      this.armFromTransport(step.startMicros, from);
      return from;
    }
    if (step.kind === 'none') return from; // playing on (up to a stop beyond this window), or stopped
    const stopBeat = step.beat;
    if (this.sounding()) {
      this.armed = undefined;
      this.phase = 'running';
      this.ticks(state, from, stopBeat, out);
      this.pushStop(state, stopBeat, out);
      this.position = Math.max(0, ceilToMultiple(stopBeat - this.transport.origin, SIXTEENTH_MICRO_BEATS));
    }
    this.phase = 'stopped';
    this.armed = undefined;
    this.relocateTo = undefined;
    // Ticks were emitted up to stopBeat; the caller continues from there (clockWhileStopped).
    return stopBeat;
  }

  /** Arms Start (or our own Continue) for the transport start at `ts`; the follower set the origin on its bar. */
  private armFromTransport(ts: number, from: number): void {
    const own = this.ownContinue && this.ownContinue.ts === ts ? this.ownContinue : undefined;
    this.ownContinue = undefined;
    if (own) {
      this.transport.origin = own.origin;
      this.position = own.position;
      this.armed = { beat: own.origin + own.position, kind: 'continue', stopFirst: false };
    } else {
      this.position = 0;
      this.armed = { beat: this.transport.origin, kind: 'start', stopFirst: false };
    }
    this.phase = 'armed';
    if (this.armed.beat < from) this.rearmLate(from);
  }

  /** The Start/Continue beat already passed: join on the next 16th with SPP + Continue. */
  private rearmLate(from: number): void {
    const a = this.armed;
    if (!a) return;
    const origin = this.transport.origin;
    a.beat = Math.max(ceilToMultiple(from, SIXTEENTH_MICRO_BEATS), origin);
    a.kind = a.beat === origin && !a.stopFirst ? 'start' : 'continue';
  }

  private armRelocation(from: number): void {
    const p = this.relocateTo as number;
    this.relocateTo = undefined;
    const q = beatsToMicroBeats(this.quantum);
    // Keep the song's bar phase on the Link bar: resume where beat ≡ origin + p (mod quantum).
    const beat = q > 0 ? alignUpTo(from, this.transport.origin + p, q) : ceilToMultiple(from, SIXTEENTH_MICRO_BEATS);
    this.transport.origin = beat - p;
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
    const spp = Math.min(MAX_SPP, Math.max(0, Math.round((beat - this.transport.origin) / SIXTEENTH_MICRO_BEATS)));
    if (spp === MAX_SPP) this.transport.warn(new PhaselockError('E_STATE', `song position beyond ${(MAX_SPP + 1) / 4} beats: Song Position Pointer clamped`));
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
      const t = this.transport.deliverInOrder(m.sendNow ? m.time : m.time - this.latencyMicros, m.data);
      this.ledger.record(t, m.data);
      m.after?.();
    }
  }
}
