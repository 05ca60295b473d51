/**
 * `ClockLinkBridge` (L1): publishes a followed clock — a DAW's MIDI clock through
 * `MidiClockFollower` — into a Link session (or any `TimelineSource`), so Link apps follow a DAW
 * that only sends MIDI clock. It runs on the target's clock and timers; no I/O of its own.
 *
 * - Who leads: the followed clock, only while its ticks arrive (`clockpresent`). Without them the
 *   bridge commits nothing — not even the follower's freewheel stop: the session carries on
 *   alone at its tempo. When the ticks come back the clock leads again.
 * - Transport, at once: on Start, Continue and a Song Position Pointer while playing the song
 *   position is forced at the host time the follower gives it (`beatTimeMicros`, the expected
 *   first tick), so Link beat ≡ song position (mod quantum): the DAW's bar lines are Link's.
 *   Start/Continue/Stop set Link's transport at that time (peers follow with start/stop sync).
 *   A Start before any tick (a DAW that clocks only while playing) waits for the first ticks.
 * - Tempo, with hysteresis: committed when the estimate is further from Link's tempo (what was
 *   last committed, unless a peer changed it) than max(0.05 bpm, 2σ of the estimate). A settled
 *   estimate (σ ≤ 0.025 bpm) is smoothed first (2 s; a change beyond 0.1 bpm and 3σ is taken at
 *   once): under 0–2 ms of jitter it wanders by a few hundredths of a bpm over seconds, more
 *   than its σ says, and would cross the band back and forth (clock-link-maths.ts).
 * - Phase, while playing: checked every 100 ms; beyond 1 ms off the song position the line is
 *   re-aligned (the song position forced at now, with the smoothed tempo, so the drift stops).
 * - No storm: tempo and phase commits are ≥ 250 ms apart (≤ 4 a second, each an announcement to
 *   every peer; a tempo step still lands within a beat). Transport commits are never held back.
 *
 * Bad input never throws (a `warning`); a target that refuses a commit is a `warning` too.
 * @module
 */
import { finiteNumber, nonNegative } from '../core/checks.ts';
import { Emitter, type Listener } from '../core/emitter.ts';
import { PhaselockError, type PhaselockErrorCode } from '../core/errors.ts';
import type { TimerHandle, Timers } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import type { SessionState } from '../link/session-state.ts';
import { phaseErrorMicros, smoothTempo, tempoBandBpm, type SmoothedTempo } from './clock-link-maths.ts';
import type { FollowedClock, FollowedClockEvents, FollowedTransportEvent } from './followed-clock.ts';
import type { TimelineSource } from './timeline-source.ts';

export interface ClockLinkBridgeOptions {
  /** Beats per bar: Link beat ≡ song position modulo this (default 4). */
  quantum?: number;
  /** Smallest tempo difference committed (bpm, default 0.05). */
  minTempoStepBpm?: number;
  /** A tempo difference must also exceed this many σ of the estimate (default 2). */
  uncertaintyFactor?: number;
  /** Least time between two tempo/phase commits (µs, default 250 000: at most 4 a second). */
  minCommitIntervalMicros?: number;
  /** Re-align when Link's phase is this far from the song position (µs, default 1000). */
  phaseThresholdMicros?: number;
  /** Time constant of the smoothing of the tempo estimate (µs, default 2 000 000; 0: none). */
  tempoSmoothingMicros?: number;
  /** How often tempo and phase are checked while the clock leads (µs, default 100 000). */
  checkIntervalMicros?: number;
  /** Override the target's timers. */
  timers?: Timers;
}

/** One commit into the target, as the `commit` event reports it. */
export interface ClockLinkCommit {
  kind: 'tempo' | 'align' | 'start' | 'continue' | 'relocate' | 'stop';
  /** Host time (µs) the commit maps: the tempo change, the start or stop, the aligned beat. */
  timeMicros: number;
  /** The target's tempo after the commit (bpm). */
  tempoBpm: number;
  /** The song position (beats) put at `timeMicros` (a `tempo` commit while stopped: none; `stop`: where it stopped). */
  beat?: number;
  /** `align`: how far Link's phase was from the song position (µs, + = Link ahead). */
  phaseErrorMicros?: number;
}

export interface ClockLinkBridgeEvents {
  commit: [commit: ClockLinkCommit];
  /** The followed clock leads (its ticks arrive) or no longer (the session carries on alone). */
  lead: [leading: boolean, timeMicros: number];
  warning: [error: PhaselockError];
  close: [];
}

type Pending = { kind: 'start' | 'continue'; event: FollowedTransportEvent };

/**
 * @example
 * const link = new Link({ startStopSync: true });
 * link.enable();
 * const follower = new MidiClockFollower({ clock: link.clock, timers: link.timers }).attach(input);
 * const bridge = new ClockLinkBridge(follower, link, { quantum: 4 }).open();
 * bridge.on('commit', (c) => console.log(c.kind, c.tempoBpm));
 */
export class ClockLinkBridge extends Emitter<ClockLinkBridgeEvents> {
  readonly quantum: number;
  readonly minTempoStepBpm: number;
  readonly uncertaintyFactor: number;
  readonly minCommitIntervalMicros: number;
  readonly phaseThresholdMicros: number;
  readonly checkIntervalMicros: number;
  readonly tempoSmoothingMicros: number;
  private readonly timers: Timers;
  private readonly warnings = new WarningLimiter(10);
  private opened = false;
  private isClosed = false;
  private isLeading = false;
  private pending: Pending | undefined;
  private lastCommitMicros = -Infinity;
  private commitsMade = 0;
  private timer: TimerHandle | undefined;
  private smoothedTempo: SmoothedTempo | undefined;
  private readonly handlers = {
    tempo: () => this.maintain(),
    start: (e: FollowedTransportEvent) => this.onPlay('start', e),
    continue: (e: FollowedTransportEvent) => this.onPlay('continue', e),
    stop: (e: FollowedTransportEvent) => this.onStop(e),
    position: (b: number, t: number) => this.onPosition(b, t),
    clockpresent: (present: boolean, t: number) => this.onClockPresent(present, t),
    close: () => void this.close(),
  };
  private readonly onTargetClose = () => void this.close();

  /** Wires only: nothing is listened to or committed before `open()`. RangeError on a bad option. */
  constructor(readonly follower: FollowedClock, readonly target: TimelineSource, options: ClockLinkBridgeOptions = {}) {
    super();
    this.quantum = finiteNumber('quantum', options.quantum ?? 4);
    if (!(this.quantum > 0 && this.quantum <= 1e9)) throw new RangeError(`quantum must be within (0, 1e9] beats, got ${this.quantum}`);
    this.minTempoStepBpm = nonNegative('minTempoStepBpm', options.minTempoStepBpm ?? 0.05);
    this.uncertaintyFactor = nonNegative('uncertaintyFactor', options.uncertaintyFactor ?? 2);
    this.minCommitIntervalMicros = nonNegative('minCommitIntervalMicros', options.minCommitIntervalMicros ?? 250_000);
    this.phaseThresholdMicros = nonNegative('phaseThresholdMicros', options.phaseThresholdMicros ?? 1000);
    this.checkIntervalMicros = finiteNumber('checkIntervalMicros', options.checkIntervalMicros ?? 100_000);
    if (!(this.checkIntervalMicros >= 1000)) throw new RangeError(`checkIntervalMicros must be ≥ 1000 µs, got ${this.checkIntervalMicros}`);
    this.tempoSmoothingMicros = nonNegative('tempoSmoothingMicros', options.tempoSmoothingMicros ?? 2_000_000);
    this.timers = options.timers ?? target.timers;
  }

  /** Starts bridging: listens to the follower and, if its clock is present, leads at once. Idempotent; returns this. */
  open(): this {
    if (this.isClosed) throw new PhaselockError('E_CLOSED', 'open: this ClockLinkBridge was closed');
    if (this.opened) return this;
    this.opened = true;
    for (const [event, fn] of Object.entries(this.handlers)) this.follower.on(event as keyof FollowedClockEvents, fn as Listener<any[]>);
    this.target.on('close', this.onTargetClose);
    const now = this.now();
    // Opened mid-song: published from the follower's line (like a Start before the clock).
    if (this.follower.playing) this.pending = { kind: 'continue', event: { timeMicros: now, positionBeats: 0, beatTimeMicros: now } };
    if (this.follower.clockPresent) this.onClockPresent(true, now);
    return this;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether the followed clock leads now (open, ticks arriving). */
  get leading(): boolean {
    return this.isLeading;
  }

  /** Commits made so far. */
  get commits(): number {
    return this.commitsMade;
  }

  /** Stops bridging: detaches from the follower and the target, cancels the timer, emits `close`. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const [event, fn] of Object.entries(this.handlers)) this.follower.off(event as keyof FollowedClockEvents, fn as Listener<any[]>);
    this.target.off('close', this.onTargetClose);
    this.stopChecking();
    this.pending = undefined;
    this.isLeading = false;
    this.emit('close');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- followed clock -------------------------------------------------------------------

  private onClockPresent(present: boolean, t: number): void {
    if (this.isClosed || present === this.isLeading) return;
    this.isLeading = present;
    this.emit('lead', present, Number.isSafeInteger(t) ? t : this.now());
    this.smoothedTempo = undefined; // a new clock episode, a new estimate
    if (!present) return this.stopChecking();
    // Checked on a timer of its own, not here: the follower tells of a clock coming back before
    // it has taken in the tick that brought it.
    this.stopChecking();
    this.timer = this.timers.setTimeout(() => this.check(), 0);
  }

  private onPlay(kind: 'start' | 'continue', e: FollowedTransportEvent): void {
    if (!validEvent(e)) return this.warn('E_PROTOCOL', `a ${kind} with ${describeEvent(e)} was not bridged`);
    if (!this.isLeading) {
      this.pending = { kind, event: e };
      return;
    }
    this.pending = undefined;
    this.commitPlay(kind, e);
  }

  private commitPlay(kind: 'start' | 'continue', e: FollowedTransportEvent): void {
    const bpm = this.smoothed(this.now());
    const s = this.target.captureAppSessionState();
    const t = e.beatTimeMicros;
    this.apply(s, () => {
      if (bpm !== undefined) s.setTempo(bpm, t);
      s.forceBeatAtTime(e.positionBeats, t, this.quantum);
      s.setIsPlaying(true, t);
    }, { kind, timeMicros: t, beat: e.positionBeats });
  }

  private onStop(e: FollowedTransportEvent): void {
    this.pending = undefined;
    // The follower's own stop when the clock stayed away: the session carries on alone. A
    // real Stop from the DAW reaches Link even while the ticks are missing.
    if (!validEvent(e)) return this.warn('E_PROTOCOL', `a stop with ${describeEvent(e)} was not bridged`);
    if (e.byClockLoss === true || (!this.isLeading && e.byClockLoss === undefined)) return;
    const s = this.target.captureAppSessionState();
    this.apply(s, () => s.setIsPlaying(false, e.beatTimeMicros), { kind: 'stop', timeMicros: e.beatTimeMicros, beat: e.positionBeats });
  }

  /** A Song Position Pointer: while playing a relocation (the follower's line moved); stopped, the next Continue carries it. */
  private onPosition(beats: number, t: number): void {
    if (!this.isLeading || !this.follower.playing) return;
    const at = Math.max(this.now(), Number.isSafeInteger(t) ? t : 0);
    const beat = this.follower.positionBeats(at);
    if (!Number.isFinite(beats) || !Number.isFinite(beat)) return this.warn('E_PROTOCOL', `a song position of ${beats} beats was not bridged`);
    const bpm = this.smoothed(this.now());
    const s = this.target.captureAppSessionState();
    this.apply(s, () => {
      if (bpm !== undefined) s.setTempo(bpm, at);
      s.forceBeatAtTime(beat, at, this.quantum);
    }, { kind: 'relocate', timeMicros: at, beat });
  }

  // ---- tempo and phase ------------------------------------------------------------------

  private check(): void {
    this.timer = undefined;
    if (this.isClosed || !this.isLeading) return;
    const p = this.pending;
    this.pending = undefined;
    // A start that came before the clock: the follower's line has just been anchored on the first
    // tick(s), so the song position is taken from it, now (or at the message's time if a sender
    // sending ahead put it later).
    const now = this.now();
    const at = Math.max(now, p?.event.beatTimeMicros ?? now);
    if (p && this.follower.playing) this.commitPlay(p.kind, { ...p.event, positionBeats: this.follower.positionBeats(at), beatTimeMicros: at });
    this.maintain();
    this.timer = this.timers.setTimeout(() => this.check(), this.checkIntervalMicros);
  }

  /** Commits the tempo (beyond the hysteresis) or re-aligns the phase (beyond the threshold), at most once per interval. */
  private maintain(): void {
    if (this.isClosed || !this.isLeading) return;
    const now = this.now();
    const bpm = this.smoothed(now);
    if (bpm === undefined || now - this.lastCommitMicros < this.minCommitIntervalMicros) return;
    const s = this.target.captureAppSessionState();
    const tempoOff = Math.abs(bpm - s.tempo) > tempoBandBpm(this.minTempoStepBpm, this.uncertaintyFactor, this.follower.uncertaintyBpm);
    const playing = this.follower.playing;
    const beat = playing ? this.follower.positionBeats(now) : NaN;
    const errorMicros = playing && Number.isFinite(beat) ? phaseErrorMicros(s.beatAtTime(now, this.quantum), beat, this.quantum, s.tempo) : 0;
    const phaseOff = Math.abs(errorMicros) > this.phaseThresholdMicros;
    if (!tempoOff && !phaseOff) return;
    const aligning = playing && Number.isFinite(beat);
    this.apply(s, () => {
      s.setTempo(bpm, now);
      if (aligning) s.forceBeatAtTime(beat, now, this.quantum);
    }, tempoOff
      ? { kind: 'tempo', timeMicros: now, ...(aligning ? { beat } : {}) }
      : { kind: 'align', timeMicros: now, beat, phaseErrorMicros: Math.round(errorMicros) });
  }

  /** The estimate, smoothed (clock-link-maths.ts: `smoothTempo`). */
  private smoothed(now: number): number | undefined {
    const settled = this.minTempoStepBpm / 2;
    this.smoothedTempo = smoothTempo(this.smoothedTempo, this.estimate(), this.follower.uncertaintyBpm, now, this.tempoSmoothingMicros, settled);
    return this.smoothedTempo?.bpm;
  }

  /** The follower's tempo estimate, if it has a usable one. */
  private estimate(): number | undefined {
    const bpm = this.follower.tempoBpm;
    return typeof bpm === 'number' && Number.isFinite(bpm) && bpm > 0 ? bpm : undefined;
  }

  // ---- helpers --------------------------------------------------------------------------

  /**
   * Changes `s` with `change` and commits it; what throws (an implausible value, a target that
   * refuses) is a warning. A failed attempt counts as a commit for the rate limit: no retry storm.
   */
  private apply(s: SessionState, change: () => void, what: Omit<ClockLinkCommit, 'tempoBpm'>): void {
    this.lastCommitMicros = this.now();
    try {
      change();
      this.target.commitAppSessionState(s);
    } catch (err) {
      return this.warn('E_STATE', `${what.kind} not committed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.commitsMade++;
    this.emit('commit', { ...what, tempoBpm: s.tempo });
  }

  private stopChecking(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private now(): number {
    return this.target.clock.micros();
  }

  private warn(code: PhaselockErrorCode, message: string): void {
    const admitted = this.warnings.admit(message, this.now());
    if (admitted !== undefined) this.emit('warning', new PhaselockError(code, `clock → Link bridge: ${admitted}`));
  }

  protected override onListenerError(err: unknown): void {
    if (this.listenerCount('warning') > 0) this.warn('E_STATE', `an event listener threw: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function validEvent(e: FollowedTransportEvent): boolean {
  return typeof e === 'object' && e !== null && Number.isFinite(e.positionBeats) && Number.isSafeInteger(e.beatTimeMicros);
}

function describeEvent(e: unknown): string {
  const o = (typeof e === 'object' && e !== null ? e : {}) as Partial<FollowedTransportEvent>;
  return `position ${String(o.positionBeats)} beats at ${String(o.beatTimeMicros)} µs`;
}
