/**
 * `LocalTimeline` (L1): a `TimelineSource` of its own — a tempo, a beat grid and a transport on a
 * clock, shared with nobody. For offline rendering (on `VirtualTime`), tests, and programs that
 * play in time without a network; the MIDI clock, the sequencer and `atBeat` run on it exactly as
 * on a Link session. Beat 0 is at the moment it is made (as for a new Link session).
 * @example
 * const vt = new VirtualTime();
 * const timeline = new LocalTimeline({ clock: vt, timers: vt, bpm: 100 });
 * const seq = new LinkSequencer(timeline, new RecordingOutput());
 * seq.scheduleNote(0, 1, 60, 100, 1);
 * seq.start();
 * vt.advance(5_000_000); // five seconds rendered instantly
 * @module
 */
import { finiteNumber } from '../core/checks.ts';
import { Emitter } from '../core/emitter.ts';
import { PhaselockError } from '../core/errors.ts';
import { timerPreciseTimers } from '../core/precise-timers.ts';
import type { Clock, PreciseTimers, Timers } from '../core/runtime.ts';
import { timelineProblem } from '../link/plausibility.ts';
import { SessionState } from '../link/session-state.ts';
import { bpmToMicrosPerBeat, clampBpm, microsPerBeatToBpm } from '../link/timeline.ts';
import type { Timeline } from '../link/types.ts';
import type { TimelineEvents, TimelineSource } from './timeline-source.ts';

export interface LocalTimelineOptions {
  clock: Clock;
  timers: Timers;
  /** Default: plain timers on `clock` (exact on VirtualTime). */
  preciseTimers?: PreciseTimers;
  /** Initial tempo (default 120), clamped to [20, 999]. */
  bpm?: number;
}

export class LocalTimeline extends Emitter<TimelineEvents> implements TimelineSource {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly preciseTimers: PreciseTimers;
  readonly numPeers = 0;
  private timeline: Timeline;
  private bpm: number;
  private playing = false;
  private playTime = 0;
  private isClosed = false;

  constructor(options: LocalTimelineOptions) {
    super();
    this.clock = options.clock;
    this.timers = options.timers;
    this.preciseTimers = options.preciseTimers ?? timerPreciseTimers(options.clock, options.timers);
    this.bpm = clampBpm(finiteNumber('bpm', options.bpm ?? 120));
    this.timeline = { microsPerBeat: bpmToMicrosPerBeat(this.bpm), beatOrigin: 0, timeOrigin: this.clock.micros() };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  captureAppSessionState(): SessionState {
    return new SessionState({
      timeline: this.timeline,
      isPlaying: this.playing,
      timeForIsPlaying: this.playTime,
      respectQuantum: false,
      bpm: this.bpm,
      trackChanges: true,
    });
  }

  /**
   * Applies what changed in `state` since its capture, as a Link peer does: a tempo or grid
   * change replaces the line, a beat shift moves the current line's beats, a transport change
   * sets the transport; what the state did not change stays as others left it since (a state
   * built without change tracking is applied whole). RangeError (nothing changed) outside the
   * timeline envelope.
   */
  commitAppSessionState(state: SessionState): void {
    if (this.isClosed) throw new PhaselockError('E_CLOSED', 'commitAppSessionState: this LocalTimeline was closed');
    if (!(state instanceof SessionState)) throw new TypeError('commitAppSessionState takes a SessionState');
    const origin = state.origin;
    const c = state.timeline;
    let timeline = this.timeline;
    let bpm = this.bpm;
    if (!origin || c.microsPerBeat !== origin.timeline.microsPerBeat || c.timeOrigin !== origin.timeline.timeOrigin) {
      timeline = c;
      bpm = state.tempo;
    } else if (c.beatOrigin !== origin.timeline.beatOrigin) {
      timeline = { ...timeline, beatOrigin: timeline.beatOrigin + (c.beatOrigin - origin.timeline.beatOrigin) };
    }
    const problem = timelineProblem(timeline, this.clock.micros());
    if (problem !== undefined) throw new RangeError(`commitAppSessionState: ${problem}`);
    const before = this.bpm;
    this.timeline = timeline;
    this.bpm = bpm;
    const transportChanged = !origin || state.isPlaying !== origin.isPlaying || state.timeForIsPlaying() !== origin.timeForIsPlaying;
    if (transportChanged && (this.playing !== state.isPlaying || this.playTime !== state.timeForIsPlaying())) {
      const was = this.playing;
      this.playing = state.isPlaying;
      this.playTime = state.timeForIsPlaying();
      if (was !== this.playing) this.emit('playing', this.playing);
    }
    if (this.bpm !== before) this.emit('tempo', this.bpm);
  }

  /** The tempo (bpm). */
  get tempo(): number {
    return bpmToMicrosPerBeat(this.bpm) === this.timeline.microsPerBeat ? this.bpm : microsPerBeatToBpm(this.timeline.microsPerBeat);
  }

  /** Closes: consumers stop (`close` event). Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('close');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
