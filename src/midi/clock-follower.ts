/**
 * `MidiClockFollower` (L1): follows a DAW's MIDI beat clock and transport — ticks (F8), Start
 * (FA), Continue (FB), Stop (FC) and Song Position Pointer (F2) from any `MidiInput` — and is
 * itself a `TimelineSource`, so `MidiClockOut`, `LinkSequencer`, `atBeat` and show control run
 * from a followed DAW exactly as from Link. Every other message is ignored.
 *
 * Transport (MIDI 1.0 Detailed Specification, "System Real Time Messages", "Song Position
 * Pointer"): the song position counts clocks; each tick while playing plays the current
 * position and advances it by one (1/24 beat).
 * - Start: position 0, playing; the first tick after it is beat 0.
 * - Continue: playing from the current position (the last SPP, else where Stop left it).
 * - Stop: stopped; the position is kept.
 * - SPP: a seek (16ths: 6 clocks each). Real DAWs send it while stopped (Live: SPP then Continue
 *   to start mid-song; others: Stop then SPP on a relocation). While playing it is applied too,
 *   as a relocation (the next tick plays the new position), with a warning — except between a
 *   Continue and its first tick, where it is simply the position to continue from.
 * - Armed: stopped at position 0 (the show's arm rule: a Start while armed fires the show; a
 *   Start after a seek elsewhere does not). A fresh follower counts as stopped at 0, armed.
 *
 * Timeline: beats are the song position (beat = clocks / 24). While playing, each tick
 * re-anchors the line at the tick's de-jittered time (`TempoEstimator`: least squares over the
 * recent ticks, outliers out, steps detected) with the estimated tempo, so a consumer
 * scheduling ahead extrapolates from the last tick. Start and Continue put the position on the
 * expected time of the next tick; while stopped the line runs on at the estimated tempo through
 * the stopped position (as a Link timeline runs while its transport is stopped).
 *
 * The DAW leads: `commitAppSessionState` changes nothing (a `warning` says so) — a player's own
 * `start()`/`stop()` have no effect here; they follow the DAW's transport.
 *
 * A tick lost on the way (a dropped packet) is recognised by the estimator a few ticks later
 * (the ticks after it sit one interval late on an unchanged line) and counted into the
 * position, so the followed position does not slip by a clock.
 *
 * Bad input never throws: ticks without Start (tempo only, the position does not move),
 * Continue with no position known (from 0), malformed SPP, SPP beyond `songLengthBeats`,
 * Continue while playing — each a rate-limited `warning` and a sensible state. A clock that
 * stops arriving (no tick for 3 intervals, at most `clockTimeoutMicros`) is `clockPresent`
 * false; while playing the timeline freewheels at the last tempo for up to `freewheelMicros`
 * (a tick coming back resumes it, counting the ticks the gap held), then stops where the
 * timeline got to; Continue resumes there. Warnings go to `warning` listeners (none: dropped).
 * @module
 */
import { finiteNumber, nonNegative } from '../core/checks.ts';
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, type PhaselockErrorCode } from '../core/errors.ts';
import { timerPreciseTimers } from '../core/precise-timers.ts';
import type { Clock, PreciseTimers, TimerHandle, Timers } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import { SessionState } from '../link/session-state.ts';
import { beatsAtTime, bpmToMicrosPerBeat, clampBpm, identicalTimelines, withTempoAt } from '../link/timeline.ts';
import type { Timeline } from '../link/types.ts';
import { stepMicroBeats } from '../sched/grid.ts';
import type { TimelineSource } from '../sched/timeline-source.ts';
import {
  lineThrough, nonNegativeOrInfinity, positiveMicros,
  type MidiClockFollowerEvents, type MidiClockFollowerOptions,
} from './clock-follower-types.ts';
import type { MidiInput, MidiInputEvent } from './input.ts';
import { TempoEstimator } from './tempo-estimator.ts';

export type { FollowerTransportEvent, MidiClockFollowerEvents, MidiClockFollowerOptions } from './clock-follower-types.ts';

const TICKS_PER_BEAT = 24;
const CLOCKS_PER_SIXTEENTH = 6;
const LOST_AFTER_TICKS = 3;
const MIN_LOST_MICROS = 50_000;

/**
 * @example
 * const follower = new MidiClockFollower({ clock: runtime.clock, timers: runtime.timers });
 * follower.attach(rtpMidiSession); // any MidiInput
 * follower.on('start', (e) => { if (e.wasArmed) show.fire(e.beatTimeMicros); });
 * const clockOut = new MidiClockOut(follower, output).open(); // re-emits the followed clock
 */
export class MidiClockFollower extends Emitter<MidiClockFollowerEvents> implements TimelineSource {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly preciseTimers: PreciseTimers;
  readonly numPeers = 0;
  /** Beats are the DAW's song position: players continue mid-song from it (see `TimelineSource`). */
  readonly beatsAreSongPosition = true;
  readonly clockTimeoutMicros: number;
  readonly freewheelMicros: number;
  readonly tempoEventStepBpm: number;
  readonly songLengthBeats: number | undefined;
  private readonly estimator: TempoEstimator;
  private readonly initialBpm: number;
  private readonly warnings = new WarningLimiter(10);
  private readonly inputs = new Set<MidiInput>();
  private readonly onMessage = (e: MidiInputEvent) => this.receive(e);
  private opened = false;
  private reportingListenerError = false;
  private isClosed = false;

  // Transport.
  private isPlayingNow = false;
  private playTime = 0;
  /** Song position (clocks) of the next tick. */
  private positionClocks = 0;
  /** Whether the position was ever told (Start, Continue, Stop or SPP). */
  private positionKnown = false;
  /** Start/Continue came, its first tick not yet. */
  private awaitingFirstTick = false;
  private armedNow = true;

  // Clock.
  private present = false;
  private ticksTotal = 0;
  private lastTickMicros: number | undefined;
  private lastTickReceivedMicros = 0;
  private watchdog: TimerHandle | undefined;
  private freewheelTimer: TimerHandle | undefined;
  /** The clock was lost while playing: freewheeling. */
  private freewheeling = false;
  /** Warned about ticks without a known position in this clock episode. */
  private warnedTicksWithoutStart = false;
  /** Stopped because the clock stayed away beyond the freewheel; cleared by any transport message. */
  private stoppedByLoss = false;

  // Timeline.
  private timeline: Timeline;
  private lastTempoEventBpm: number;

  constructor(options: MidiClockFollowerOptions) {
    super();
    this.clock = options.clock;
    this.timers = options.timers;
    this.preciseTimers = options.preciseTimers ?? timerPreciseTimers(options.clock, options.timers);
    this.initialBpm = clampBpm(finiteNumber('bpm', options.bpm ?? 120));
    this.clockTimeoutMicros = positiveMicros('clockTimeoutMicros', options.clockTimeoutMicros ?? 500_000);
    this.freewheelMicros = nonNegativeOrInfinity('freewheelMicros', options.freewheelMicros ?? 2_000_000);
    this.tempoEventStepBpm = nonNegative('tempoEventStepBpm', options.tempoEventStepBpm ?? 0.05);
    this.songLengthBeats = options.songLengthBeats === undefined ? undefined : nonNegative('songLengthBeats', options.songLengthBeats);
    this.estimator = new TempoEstimator(options.estimator);
    this.lastTempoEventBpm = this.initialBpm;
    this.timeline = lineThrough(0, this.clock.micros(), bpmToMicrosPerBeat(this.initialBpm));
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Starts following: `receive` takes messages from now on. Idempotent; returns this. */
  open(): this {
    this.assertOpen();
    this.opened = true;
    return this;
  }

  /** Follows `input` (opening the follower). The input stays the caller's: `close()` stops listening, it does not close it. */
  attach(input: MidiInput): this {
    this.open();
    if (!this.inputs.has(input)) {
      this.inputs.add(input);
      input.on('message', this.onMessage);
    }
    return this;
  }

  /** Stops following `input`. */
  detach(input: MidiInput): this {
    if (this.inputs.delete(input)) input.off('message', this.onMessage);
    return this;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Stops following: detaches the inputs, cancels the timers, emits `close`. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const input of [...this.inputs]) this.detach(input);
    this.watchdog?.cancel();
    this.freewheelTimer?.cancel();
    this.watchdog = this.freewheelTimer = undefined;
    this.emit('close');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- state ----------------------------------------------------------------------------

  /** The clock's tempo estimate (bpm); undefined before the clock gave one. */
  get tempoBpm(): number | undefined {
    return this.estimator.bpm;
  }

  /** The timeline's tempo (bpm): the estimate, or the initial tempo before there is one. */
  get tempo(): number {
    return this.estimator.bpm ?? this.initialBpm;
  }

  /** Standard error (1σ, bpm) of the clock's current tempo line; undefined without one. */
  get uncertaintyBpm(): number | undefined {
    return this.estimator.uncertaintyBpm;
  }

  /** Whether ticks are arriving. */
  get clockPresent(): boolean {
    return this.present;
  }

  /** Whether the followed transport plays. */
  get isPlaying(): boolean {
    return this.isPlayingNow;
  }

  /** Alias of `isPlaying` (the show transport's name). */
  get playing(): boolean {
    return this.isPlayingNow;
  }

  /** Stopped at song position 0: a Start now would fire the show. */
  get armed(): boolean {
    return this.armedNow;
  }

  /** Ticks received since construction (while stopped too). */
  get ticksReceived(): number {
    return this.ticksTotal;
  }

  /**
   * The song position (beats) at host time `atMicros`. Stopped: where the DAW stands (constant).
   * Playing: the timeline there — between ticks it is extrapolated from the last one at the
   * estimated tempo; just after Start or Continue, before the first tick, it is a little short
   * of the position (negative after a Start).
   */
  positionBeats(atMicros: number): number {
    if (!this.isPlayingNow) return this.positionClocks / TICKS_PER_BEAT;
    return beatsAtTime(this.timeline, atMicros) / 1e6;
  }

  /** The song position (beats) now: `positionBeats(clock.micros())`. */
  get songPositionBeats(): number {
    return this.positionBeats(this.clock.micros());
  }

  captureAppSessionState(): SessionState {
    return new SessionState({
      timeline: this.timeline,
      isPlaying: this.isPlayingNow,
      timeForIsPlaying: this.playTime,
      respectQuantum: false,
      bpm: this.tempo,
      trackChanges: true,
    });
  }

  /**
   * The DAW leads: nothing is applied. A state with changes is reported as a `warning`
   * (E_STATE); an unchanged one is ignored quietly. Throws E_CLOSED after close.
   */
  commitAppSessionState(state: SessionState): void {
    if (this.isClosed) throw new PhaselockError('E_CLOSED', 'commitAppSessionState: this MidiClockFollower was closed');
    if (!(state instanceof SessionState)) throw new TypeError('commitAppSessionState takes a SessionState');
    const o = state.origin;
    const t = state.timeline;
    const same = o !== undefined && identicalTimelines(o.timeline, t) && o.isPlaying === state.isPlaying && o.timeForIsPlaying === state.timeForIsPlaying();
    if (!same) this.warn('E_STATE', 'commitAppSessionState ignored: a followed MIDI clock leads its tempo, beats and transport');
  }

  // ---- input ----------------------------------------------------------------------------

  /**
   * Takes one MIDI message (as a `MidiInput` emits it). Never throws on any input: bad input
   * becomes a `warning`. Dropped after close; throws E_STATE before `open()`.
   */
  receive(event: MidiInputEvent): void {
    if (this.isClosed) return;
    if (!this.opened) throw new PhaselockError('E_STATE', 'MidiClockFollower.receive: call open() (or attach()) first');
    const data = event?.data;
    if (!(data instanceof Uint8Array) || data.length === 0) return this.warn('E_DECODE', 'a MIDI input event without data was ignored');
    const status = data[0] as number;
    if (status !== 0xf8 && (status < 0xfa || status > 0xfc) && status !== 0xf2) return;
    if (status !== 0xf8) this.stoppedByLoss = false;
    const t = event.timeMicros;
    if (!Number.isSafeInteger(t)) return this.warn('E_DECODE', `a MIDI message with time ${String(t)} µs was ignored`);
    const received = Number.isSafeInteger(event.receivedAtMicros) ? event.receivedAtMicros : this.clock.micros();
    switch (status) {
      case 0xf8: return this.onTick(t, received);
      case 0xfa: return this.onStart(t);
      case 0xfb: return this.onContinue(t);
      case 0xfc: return this.onStop(t);
      default: return this.onSongPosition(data, t);
    }
  }

  // ---- clock ----------------------------------------------------------------------------

  private onTick(t: number, received: number): void {
    this.ticksTotal++;
    const last = this.lastTickMicros;
    if (!this.present) this.clockBack(t, last);
    const verdict = this.estimator.push(t, this.awaitingFirstTick);
    this.lastTickMicros = t;
    this.lastTickReceivedMicros = received;
    const mpb = bpmToMicrosPerBeat(this.tempo);
    if (verdict === 'lost') this.ticksLost(this.estimator.lostTicks);
    if (this.isPlayingNow) {
      const beat = stepMicroBeats(this.positionClocks, TICKS_PER_BEAT);
      this.positionClocks++;
      this.awaitingFirstTick = false;
      this.timeline = lineThrough(beat, Math.round(this.estimator.timeOfTickMicros(0) as number), mpb);
    } else {
      if (!this.positionKnown && !this.warnedTicksWithoutStart) {
        this.warnedTicksWithoutStart = true;
        this.warn('E_PROTOCOL', 'MIDI clock without Start or Continue: following the tempo; the song position stays put until Start, Continue or Song Position Pointer');
      }
      if (mpb !== this.timeline.microsPerBeat) this.timeline = withTempoAt(this.timeline, mpb, t);
    }
    this.maybeEmitTempo();
    this.armWatchdog();
  }

  /**
   * Ticks that never arrived (a dropped packet), recognised a few ticks later: while playing the
   * DAW played them, so the position takes them in. The timeline needs no change: the ticks
   * since were anchored on the same line, one index behind.
   */
  private ticksLost(n: number): void {
    if (this.isPlayingNow) this.positionClocks += n;
    this.warn('E_PROTOCOL', `${n} MIDI clock tick${n === 1 ? '' : 's'} lost${this.isPlayingNow ? ': the song position counts them' : ''}`);
  }

  /** The first tick after none or after a loss. */
  private clockBack(t: number, last: number | undefined): void {
    this.present = true;
    this.warnedTicksWithoutStart = false;
    if (this.freewheeling && last !== undefined) {
      // Resume where the DAW is: the ticks the gap held were played there.
      const interval = 60e6 / (this.tempo * TICKS_PER_BEAT);
      const missed = Math.max(0, Math.round((t - last) / interval) - 1);
      this.positionClocks += missed;
      this.freewheeling = false;
      this.freewheelTimer?.cancel();
      this.freewheelTimer = undefined;
      this.warn('E_TIMEOUT', `MIDI clock back after ${Math.round((t - last) / 1000)} ms: ${missed} ticks taken as played; following again`);
    } else if (this.stoppedByLoss) {
      // The DAW may be playing on, or stopped: only its transport messages can say.
      this.warn('E_TIMEOUT', `MIDI clock back after the transport was stopped for its loss: staying stopped at beat ${(this.positionClocks / TICKS_PER_BEAT).toFixed(2)} until Start, Continue or Song Position Pointer`);
    }
    this.emit('clockpresent', true, t);
  }

  /** How long without a tick makes the clock lost (µs). */
  private lostAfterMicros(): number {
    const interval = 60e6 / (this.tempo * TICKS_PER_BEAT);
    return Math.ceil(Math.min(this.clockTimeoutMicros, Math.max(MIN_LOST_MICROS, LOST_AFTER_TICKS * interval)));
  }

  /** One timer at a time, re-armed from its own callback: no timer churn per tick. */
  private armWatchdog(): void {
    if (this.watchdog) return;
    const due = this.lastTickReceivedMicros + this.lostAfterMicros();
    // Rounded up: a timer that fires a fraction early would find the clock not yet late, again and again.
    this.watchdog = this.timers.setTimeout(() => this.checkClock(), Math.max(0, Math.ceil(due - this.clock.micros())));
  }

  private checkClock(): void {
    this.watchdog = undefined;
    if (this.isClosed || !this.present) return;
    const due = this.lastTickReceivedMicros + this.lostAfterMicros();
    if (this.clock.micros() < due) return this.armWatchdog();
    this.present = false;
    this.estimator.reset();
    this.emit('clockpresent', false, due);
    if (!this.isPlayingNow) return;
    this.freewheeling = true;
    const beat = this.songPositionBeats;
    const limit = this.freewheelMicros === Infinity ? 'until Stop' : `for up to ${this.freewheelMicros / 1e6} s`;
    this.warn('E_TIMEOUT', `MIDI clock lost while playing at beat ${beat.toFixed(2)}: playing on at ${this.tempo.toFixed(2)} bpm ${limit}`);
    if (this.freewheelMicros !== Infinity) {
      const end = this.lastTickReceivedMicros + Math.ceil(this.freewheelMicros);
      this.freewheelTimer = this.timers.setTimeout(() => this.freewheelEnded(end), Math.max(0, end - this.clock.micros()));
    }
  }

  /** The clock stayed away for the whole freewheel: stop where the timeline is. */
  private freewheelEnded(at: number): void {
    this.freewheelTimer = undefined;
    if (this.isClosed || !this.freewheeling || !this.isPlayingNow) return;
    this.freewheeling = false;
    const beat = beatsAtTime(this.timeline, at) / 1e6;
    this.positionClocks = Math.max(0, Math.round(beat * TICKS_PER_BEAT));
    this.warn('E_TIMEOUT', `MIDI clock gone for ${this.freewheelMicros / 1e6} s: transport stopped at beat ${beat.toFixed(2)}; waiting for the DAW's next Start, Continue or Song Position Pointer`);
    this.stopAt(at, at, true);
    this.stoppedByLoss = true;
  }

  private maybeEmitTempo(): void {
    const bpm = this.tempo;
    if (Math.abs(bpm - this.lastTempoEventBpm) < this.tempoEventStepBpm || bpm === this.lastTempoEventBpm) return;
    this.lastTempoEventBpm = bpm;
    this.emit('tempo', bpm);
  }

  // ---- transport ------------------------------------------------------------------------

  /** The expected time (µs) of the next tick after a message at `t`: never before `t`. */
  private nextTickMicros(t: number): number {
    const next = this.present ? this.estimator.timeOfTickMicros(1) : undefined;
    return next === undefined ? t : Math.max(t, Math.round(next));
  }

  private onStart(t: number): void {
    const wasArmed = this.armedNow;
    const wasPlaying = this.isPlayingNow;
    this.freewheeling = false;
    this.positionClocks = 0;
    this.beginPlaying(t);
    if (!wasPlaying) this.emit('playing', true);
    this.emit('start', { timeMicros: t, positionBeats: 0, beatTimeMicros: this.playTime, wasArmed, byClockLoss: false });
    this.updateArmed(t);
  }

  private onContinue(t: number): void {
    if (this.isPlayingNow) return this.warn('E_PROTOCOL', 'Continue while playing ignored');
    const wasArmed = this.armedNow;
    if (!this.positionKnown) {
      this.warn('E_PROTOCOL', 'Continue with no song position known (no Start, Stop or Song Position Pointer yet): continuing from 0');
      this.positionClocks = 0;
    }
    this.beginPlaying(t);
    this.emit('playing', true);
    this.emit('continue', { timeMicros: t, positionBeats: this.positionClocks / TICKS_PER_BEAT, beatTimeMicros: this.playTime, wasArmed, byClockLoss: false });
    this.updateArmed(t);
  }

  /** Playing from `positionClocks`, which the next tick plays. */
  private beginPlaying(t: number): void {
    this.isPlayingNow = true;
    this.positionKnown = true;
    this.awaitingFirstTick = true;
    this.freewheelTimer?.cancel();
    this.freewheelTimer = undefined;
    this.playTime = this.nextTickMicros(t);
    this.timeline = lineThrough(stepMicroBeats(this.positionClocks, TICKS_PER_BEAT), this.playTime, bpmToMicrosPerBeat(this.tempo));
  }

  private onStop(t: number): void {
    // Stop while stopped (a second press, or a DAW announcing itself) changes nothing.
    if (this.isPlayingNow) this.stopAt(t, t, false);
  }

  private stopAt(messageMicros: number, t: number, byClockLoss: boolean): void {
    const wasArmed = this.armedNow;
    this.isPlayingNow = false;
    this.awaitingFirstTick = false;
    this.freewheeling = false;
    this.freewheelTimer?.cancel();
    this.freewheelTimer = undefined;
    this.playTime = t;
    this.emit('playing', false);
    this.emit('stop', { timeMicros: messageMicros, positionBeats: this.positionClocks / TICKS_PER_BEAT, beatTimeMicros: t, wasArmed, byClockLoss });
    this.updateArmed(t);
  }

  private onSongPosition(data: Uint8Array, t: number): void {
    const lo = data[1];
    const hi = data[2];
    if (data.length !== 3 || lo === undefined || hi === undefined || lo > 0x7f || hi > 0x7f) {
      return this.warn('E_DECODE', `malformed Song Position Pointer (${data.length} bytes) ignored`);
    }
    const sixteenths = lo | (hi << 7);
    const beats = sixteenths / 4;
    if (this.songLengthBeats !== undefined && beats > this.songLengthBeats) {
      this.warn('E_PROTOCOL', `Song Position Pointer to beat ${beats}, beyond the song (${this.songLengthBeats} beats): applied`);
    }
    this.positionClocks = sixteenths * CLOCKS_PER_SIXTEENTH;
    this.positionKnown = true;
    const mpb = bpmToMicrosPerBeat(this.tempo);
    const beat = stepMicroBeats(this.positionClocks, TICKS_PER_BEAT);
    if (this.isPlayingNow) {
      if (!this.awaitingFirstTick) this.warn('E_PROTOCOL', `Song Position Pointer while playing: relocated to beat ${beats}`);
      this.timeline = lineThrough(beat, this.nextTickMicros(t), mpb);
    } else {
      this.timeline = lineThrough(beat, t, mpb);
    }
    this.emit('position', beats, t);
    this.updateArmed(t);
  }

  private updateArmed(t: number): void {
    const armed = !this.isPlayingNow && this.positionClocks === 0;
    if (armed === this.armedNow) return;
    this.armedNow = armed;
    this.emit('armed', armed, t);
  }

  // ---- helpers --------------------------------------------------------------------------

  /** A throwing listener (a consumer's, a CLI line on a closed stdout) becomes a `warning`, never a throw in the MIDI receive path. */
  protected override onListenerError(err: unknown): void {
    if (this.reportingListenerError) return;
    this.reportingListenerError = true;
    try {
      this.warn('E_STATE', `a listener threw: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.reportingListenerError = false;
    }
  }

  private warn(code: PhaselockErrorCode, message: string): void {
    const admitted = this.warnings.admit(message, this.clock.micros());
    if (admitted !== undefined) this.emit('warning', new PhaselockError(code, `midi clock follower: ${admitted}`));
  }

  private assertOpen(): void {
    if (this.isClosed) throw new PhaselockError('E_CLOSED', 'this MidiClockFollower was closed');
  }
}
