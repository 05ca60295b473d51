/**
 * The `MidiClockFollower`'s options, events and the small timeline helpers it uses (L0).
 * @module
 */
import { finiteNumber, nonNegative } from '../core/checks.ts';
import type { PhaselockError } from '../core/errors.ts';
import type { Clock, PreciseTimers, Timers } from '../core/runtime.ts';
import { mulDivRound } from '../link/timeline.ts';
import type { Timeline } from '../link/types.ts';
import type { TimelineEvents } from '../sched/timeline-source.ts';
import type { TempoEstimatorOptions } from './tempo-estimator.ts';

export interface MidiClockFollowerOptions {
  clock: Clock;
  timers: Timers;
  /** Default: plain timers on `clock` (exact on VirtualTime). */
  preciseTimers?: PreciseTimers;
  /** Tempo (bpm) until the clock says otherwise (default 120). */
  bpm?: number;
  /** Tuning of the tempo estimate (window, outliers, steps, smoothing). */
  estimator?: TempoEstimatorOptions;
  /** The clock counts as lost after 3 tick intervals without a tick, at most this long (µs, default 500 000). */
  clockTimeoutMicros?: number;
  /** How long the timeline plays on at the last tempo after the clock was lost while playing (µs, default 2 000 000; Infinity: until Stop). */
  freewheelMicros?: number;
  /** A `tempo` event is emitted when the estimate moved this far since the last one (bpm, default 0.05). */
  tempoEventStepBpm?: number;
  /** Song length (beats): an SPP beyond it is applied with a warning (default: no limit). */
  songLengthBeats?: number;
}

/** What `start`, `continue` and `stop` report. */
export interface FollowerTransportEvent {
  /** Host time (µs) of the message (`MidiInputEvent.timeMicros`; for a freewheel stop, when it stopped). */
  timeMicros: number;
  /** Song position (beats) the transport starts from or stopped at. */
  positionBeats: number;
  /** Host time (µs) of `positionBeats` on the timeline: the expected first tick (start, continue) or the stop. */
  beatTimeMicros: number;
  /** Whether the follower was armed (stopped at position 0) when the message came: the show fires on a Start that was. */
  wasArmed: boolean;
  /** A `stop` the follower made itself: the clock stayed away beyond the freewheel (no Stop message came). */
  byClockLoss: boolean;
}

export interface MidiClockFollowerEvents extends TimelineEvents {
  start: [event: FollowerTransportEvent];
  continue: [event: FollowerTransportEvent];
  stop: [event: FollowerTransportEvent];
  /** A Song Position Pointer moved the position (beats) at host time `timeMicros`. */
  position: [positionBeats: number, timeMicros: number];
  /** Armed (stopped at position 0) or no longer. */
  armed: [armed: boolean, timeMicros: number];
  /** The clock started arriving, or stopped arriving. */
  clockpresent: [present: boolean, timeMicros: number];
  warning: [error: PhaselockError];
}

/**
 * The line with `microBeats` at `timeMicros`, its beat origin at 0: Link's phase reference is
 * the beat origin (link-wire-spec 02 §9), so 0 keeps `beatAtTime(t, q)` the song position for
 * every quantum.
 */
export function lineThrough(microBeats: number, timeMicros: number, microsPerBeat: number): Timeline {
  return { microsPerBeat, beatOrigin: 0, timeOrigin: timeMicros - mulDivRound(microBeats, microsPerBeat, 1_000_000) };
}

export function positiveMicros(name: string, v: unknown): number {
  const x = finiteNumber(name, v);
  if (!(x > 0)) throw new RangeError(`${name} must be > 0 µs, got ${x}`);
  return x;
}

export function nonNegativeOrInfinity(name: string, v: unknown): number {
  if (v === Infinity) return v;
  return nonNegative(name, v);
}
