/**
 * `SessionState`: Link's public application view of the session — tempo, beat, phase and
 * transport on the host clock. Pure: it changes only itself; hand it back to
 * `Link.commitAppSessionState` (or the audio variant) to apply the change.
 * @module
 */
import { bool, finiteNumber, nonNegative, timeMicros as checkTimeSlow } from '../core/checks.ts';
import { MAX_BEATS, MAX_TIME_MICROS } from './plausibility.ts';
import { alignUp, fromPhaseEncodedBeats, phaseAtTimeMicroBeats, toPhaseEncodedBeats } from './phase.ts';
import {
  beatsToMicroBeats,
  bpmToMicrosPerBeat,
  clampBpm,
  microBeatsToBeats,
  microsPerBeatToBpm,
  mulDivRound,
  withTempoAt,
} from './timeline.ts';
import type { Timeline } from './types.ts';

export interface SessionStateInit {
  /** Application timeline on the host clock (tempo µs/beat, beatOrigin µb, timeOrigin µs). */
  timeline: Timeline;
  isPlaying?: boolean;
  /** Host µs at which the transport starts/stopped. */
  timeForIsPlaying?: number;
  /**
   * True when other peers share the session: `requestBeatAtTime` then keeps the shared phase
   * and waits for the next matching beat instead of re-mapping the timeline.
   */
  respectQuantum?: boolean;
  /** The bpm last set locally, returned by `tempo` while it still matches the timeline. */
  bpm?: number;
  /**
   * Remember the initial values so a commit applies only what was changed (set by
   * `captureAppSessionState`); a state built without it is applied whole.
   */
  trackChanges?: boolean;
  /** What the state was captured from (for `clone()`: a copy keeps its original's). */
  origin?: SessionStateOrigin;
}

/** The values a captured state started from. */
export interface SessionStateOrigin {
  readonly timeline: Timeline;
  readonly isPlaying: boolean;
  readonly timeForIsPlaying: number;
}

// Hot path (called per audio buffer): whole numbers skip the generic checks; anything else
// takes the checked route, which throws with the accepted range.
const quantumMicroBeats = (q: unknown): number =>
  typeof q === 'number' && Number.isInteger(q) && q >= 0 && q <= 1e9 ? q * 1_000_000 : checkQuantum(q);
function checkQuantum(q: unknown): number {
  const v = nonNegative('quantum', q);
  if (v > 1e9) throw new RangeError(`quantum must be within [0, 1e9] beats, got ${v}`);
  return beatsToMicroBeats(v);
}
const checkTime = (name: string, t: unknown): number =>
  Number.isSafeInteger(t) && (t as number) <= MAX_TIME_MICROS && (t as number) >= -MAX_TIME_MICROS ? (t as number) : checkTimeRange(name, t);
/** The slow path of checkTime: TypeError/RangeError naming the range, or the rounded time. */
function checkTimeRange(name: string, t: unknown): number {
  const v = checkTimeSlow(name, t);
  if (Math.abs(v) > MAX_TIME_MICROS) throw new RangeError(`${name} must be within ±${MAX_TIME_MICROS} µs (±2^49), got ${v}`);
  return v;
}
/** A beat argument in µb: finite and within ±MAX_BEATS (what Link peers can share). */
function checkBeat(name: string, beat: unknown): number {
  const v = finiteNumber(name, beat);
  if (Math.abs(v) > MAX_BEATS) throw new RangeError(`${name} must be within ±${MAX_BEATS} beats, got ${v}`);
  return beatsToMicroBeats(v);
}

export class SessionState {
  private tl: Timeline;
  private playing: boolean;
  private playTime: number;
  private localBpm: number | undefined;
  /** Whether beat requests must respect the session's phase (peers present). */
  readonly respectQuantum: boolean;
  /** What a captured state started from; undefined for states built by hand. */
  readonly origin: SessionStateOrigin | undefined;

  constructor(init: SessionStateInit) {
    // Timelines are treated as immutable values: kept by reference, replaced on change.
    this.tl = init.timeline;
    this.playing = init.isPlaying ?? false;
    this.playTime = init.timeForIsPlaying ?? 0;
    this.respectQuantum = init.respectQuantum ?? false;
    this.localBpm = init.bpm;
    this.origin = init.origin ?? (init.trackChanges ? { timeline: this.tl, isPlaying: this.playing, timeForIsPlaying: this.playTime } : undefined);
  }

  /** The application timeline (host clock). */
  get timeline(): Timeline {
    return this.tl;
  }

  /** Tempo in bpm, within [20, 999]. */
  get tempo(): number {
    const bpm = this.localBpm;
    if (bpm !== undefined && bpmToMicrosPerBeat(bpm) === this.tl.microsPerBeat) return clampBpm(bpm);
    return microsPerBeatToBpm(this.tl.microsPerBeat);
  }

  /** Whether the transport is playing. */
  get isPlaying(): boolean {
    return this.playing;
  }

  /**
   * The beat at host time `timeMicros` for `quantum`. Its phase is shared by all peers; its
   * magnitude is this instance's own. Pure.
   * @example state.beatAtTime(link.clock.micros(), 4)
   */
  beatAtTime(timeMicros: number, quantum: number): number {
    const t = checkTime('timeMicros', timeMicros);
    return microBeatsToBeats(toPhaseEncodedBeats(this.tl, t, quantumMicroBeats(quantum)));
  }

  /** Phase in [0, quantum) at host time `timeMicros`. Pure. */
  phaseAtTime(timeMicros: number, quantum: number): number {
    const t = checkTime('timeMicros', timeMicros);
    return microBeatsToBeats(phaseAtTimeMicroBeats(this.tl, t, quantumMicroBeats(quantum)));
  }

  /** Host time (µs) of `beat` for `quantum`; inverse of beatAtTime. Pure. */
  timeAtBeat(beat: number, quantum: number): number {
    const b = checkBeat('beat', beat);
    return fromPhaseEncodedBeats(this.tl, b, quantumMicroBeats(quantum));
  }

  /** Sets the tempo (clamped to [20, 999] bpm) from host time `atTimeMicros` on. */
  setTempo(bpm: number, atTimeMicros: number): void {
    const value = clampBpm(finiteNumber('bpm', bpm));
    const at = checkTime('atTimeMicros', atTimeMicros);
    this.tl = withTempoAt(this.tl, bpmToMicrosPerBeat(value), at);
    this.localBpm = value;
  }

  /**
   * Maps `beat` to `timeMicros` for `quantum`. Alone in a session this re-maps at once
   * (`beatAtTime(time, q) === beat` afterwards). With peers it keeps the shared phase and maps
   * `beat` to the next time ≥ `timeMicros` having the phase of `beat` (a count-in).
   */
  requestBeatAtTime(beat: number, timeMicros: number, quantum: number): void {
    if (!this.respectQuantum) {
      this.forceBeatAtTime(beat, timeMicros, quantum);
      return;
    }
    const b = checkBeat('beat', beat);
    const t = checkTime('timeMicros', timeMicros);
    const q = quantumMicroBeats(quantum);
    const current = toPhaseEncodedBeats(this.tl, t, q);
    const next = alignUp(current, b, q);
    // A whole number of quanta: the phase reference (beats − beatOrigin) is untouched.
    this.tl = { ...this.tl, beatOrigin: this.tl.beatOrigin + (b - next) };
  }

  /**
   * Re-maps `beat` to `timeMicros` for `quantum` for every peer of the session, moving the
   * shared phase. Use sparingly: other peers hear a jump.
   */
  forceBeatAtTime(beat: number, timeMicros: number, quantum: number): void {
    const b = checkBeat('beat', beat);
    const t = checkTime('timeMicros', timeMicros);
    const q = quantumMicroBeats(quantum);
    const shift = b - toPhaseEncodedBeats(this.tl, t, q);
    // Translate the whole line (raw beats and phase reference together) by `shift` beats.
    const timeShift = mulDivRound(shift, this.tl.microsPerBeat, 1_000_000);
    this.tl = { ...this.tl, timeOrigin: this.tl.timeOrigin - timeShift };
  }

  /** Starts or stops the transport at host time `timeMicros`. */
  setIsPlaying(isPlaying: boolean, timeMicros: number): void {
    this.playing = bool('isPlaying', isPlaying);
    this.playTime = checkTime('timeMicros', timeMicros);
  }

  /** Host time (µs) at which the transport started or stopped. */
  timeForIsPlaying(): number {
    return this.playTime;
  }

  /** If playing, maps `beat` to the start time (see requestBeatAtTime); otherwise no-op. */
  requestBeatAtStartPlayingTime(beat: number, quantum: number): void {
    if (this.playing) this.requestBeatAtTime(beat, this.playTime, quantum);
  }

  /** Sets the transport at `timeMicros` and requests `beat` there for `quantum`. */
  setIsPlayingAndRequestBeatAtTime(isPlaying: boolean, timeMicros: number, beat: number, quantum: number): void {
    this.setIsPlaying(isPlaying, timeMicros);
    this.requestBeatAtStartPlayingTime(beat, quantum);
  }

  /** A copy that can be changed independently; it keeps what it was captured from, so a commit of the copy applies only what changed since the capture. */
  clone(): SessionState {
    return new SessionState({
      timeline: this.tl,
      isPlaying: this.playing,
      timeForIsPlaying: this.playTime,
      respectQuantum: this.respectQuantum,
      bpm: this.localBpm,
      ...(this.origin ? { origin: this.origin } : {}),
    });
  }
}

