/**
 * The options, events and states of `ShowPlayer`, and the checks of its options.
 * @module
 */
import type { PhaselockError } from '../core/errors.ts';
import type { Clock, Timers } from '../core/runtime.ts';
import { mediaCueList, type Cue, type CueList } from './cue-list.ts';

/** What the player takes of a `Runtime` (a whole one will do). */
export interface ShowPlayerRuntime {
  clock: Clock;
  timers: Timers;
}

/**
 * `idle` until `open()`; `armed` (stopped at the top: the next Start fires), `stopped`
 * (elsewhere), `playing` (following the transport), `holding` (the transport plays but the
 * show does not follow: a Start that was not armed); `closed`.
 */
export type ShowState = 'idle' | 'armed' | 'stopped' | 'playing' | 'holding' | 'closed';

export interface ShowPlayerOptions {
  /** One file, played from its start at the top (position 0). Give this or `cues`. */
  media?: string;
  /** A cue list (`parseCueList`): files, seeks, pauses, properties, commands at positions. */
  cues?: CueList;
  /** The tempo the media was made to (bpm): beats map to seconds at it (default: the cue list's, else the transport's tempo at the time). */
  bpm?: number;
  /** Tempo assumed while the transport knows none (default 120). */
  fallbackBpm?: number;
  /** One video frame (default 40 ms; mpv's `container-fps` replaces it once known). */
  frameMicros?: number;
  /** How often drift is measured while playing (default 250 ms). */
  driftIntervalMicros?: number;
  /** Drift left alone, either way (default half a frame, 20 ms: a window of one frame). */
  deadbandMicros?: number;
  /** Drift corrected by a seek rather than a speed nudge (default 250 ms). */
  seekThresholdMicros?: number;
  /** Speed nudge bounds (fractions; default 0.01 and 0.05). */
  minNudge?: number;
  maxNudge?: number;
  /** Nudge per second of drift (default 0.5: 20 ms → 1 %; each change of speed costs mpv a step, so small ones). */
  nudgeGain?: number;
  /** Correct drift at all (default true; false: measure nothing, play at the base speed). */
  driftCorrection?: boolean;
  /** A tempo change beyond this fraction while playing re-latches the mapping (default 0.01; no effect with `bpm`). */
  retempoThreshold?: number;
  /** Opened while the transport plays: follow it at once (default true), or hold until it stops or continues. */
  joinPlaying?: boolean;
  /** A file that takes longer to load is given up (a warning; default 10 s). */
  loadTimeoutMicros?: number;
}

/** Where the show stands: the transport's position, the media time it maps to, the file. */
export interface ShowPosition {
  positionBeats: number;
  mediaSeconds: number;
  file: string | undefined;
}

export interface DriftStats {
  /** The last drift measured (s; media ahead of the transport: positive), undefined before the first. */
  lastDriftSeconds: number | undefined;
  /** The speed asked of mpv. */
  speed: number;
  /** Measurements made. */
  checks: number;
  /** Speed nudges (changes of speed to correct drift). */
  speedCorrections: number;
  /** Seeks to correct drift. */
  seekCorrections: number;
}

export interface ShowPlayerEvents {
  /** Armed (stopped at the top) or no longer. */
  armed: [armed: boolean];
  /** Start (or Continue) while armed: the media plays from the top. */
  fired: [at: ShowPosition];
  /** Stop (or a Start that was not armed, while playing): the media pauses. */
  paused: [at: ShowPosition];
  /** Continue away from the top (or opened while the transport plays): the media plays from the mapped time. */
  resumed: [at: ShowPosition];
  /** A seek (SPP): the media moves to the mapped file and time. */
  seeked: [at: ShowPosition];
  /** A cue was crossed while playing. */
  cue: [cue: Cue];
  warning: [PhaselockError];
  close: [];
}

/** The options with defaults, checked (TypeError/RangeError at once, naming what is accepted). */
export function checkedOptions(options: ShowPlayerOptions) {
  if (typeof options !== 'object' || options === null) throw new TypeError('ShowPlayer: options must be an object');
  const { media, cues } = options;
  if ((media === undefined) === (cues === undefined)) throw new TypeError('ShowPlayer: give either media (a file) or cues (a cue list)');
  if (cues !== undefined && (typeof cues !== 'object' || !Array.isArray(cues.cues))) throw new TypeError('ShowPlayer: cues must be a cue list (parseCueList)');
  const list = cues ?? mediaCueList(media as string);
  const frameMicros = positive('frameMicros', options.frameMicros ?? 40_000, 1000, 1_000_000);
  const bpm = options.bpm ?? list.bpm;
  return {
    cues: list,
    fixedBpm: bpm === undefined ? undefined : positive('bpm', bpm, 20, 999),
    fallbackBpm: positive('fallbackBpm', options.fallbackBpm ?? 120, 20, 999),
    frameMicros,
    driftIntervalMicros: positive('driftIntervalMicros', options.driftIntervalMicros ?? 250_000, 10_000, 10_000_000),
    deadbandMicros: positive('deadbandMicros', options.deadbandMicros ?? frameMicros / 2, 100, 1_000_000),
    seekThresholdMicros: positive('seekThresholdMicros', options.seekThresholdMicros ?? 250_000, 1000, 60_000_000),
    minNudge: options.minNudge ?? 0.01,
    maxNudge: options.maxNudge ?? 0.05,
    nudgeGain: options.nudgeGain ?? 0.5,
    driftCorrection: options.driftCorrection ?? true,
    retempoThreshold: positive('retempoThreshold', options.retempoThreshold ?? 0.01, 0.0001, 1),
    joinPlaying: options.joinPlaying ?? true,
    loadTimeoutMicros: positive('loadTimeoutMicros', options.loadTimeoutMicros ?? 10_000_000, 1000, 600_000_000),
  };
}

function positive(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number') throw new TypeError(`ShowPlayer: ${name} must be a number, got ${typeof v}`);
  if (!(v >= min && v <= max)) throw new RangeError(`ShowPlayer: ${name} must be in [${min}, ${max}], got ${v}`);
  return v;
}
