/**
 * `BeatCursor` (L0, pure state): turns consecutive host-time windows into consecutive beat
 * windows on a Link timeline that may change between windows, so that every beat is handed out
 * exactly once while the timeline is continuous.
 *
 * Between two windows the application timeline can change in three ways, told apart here:
 *
 * - **continuous** — a tempo change (the old and new lines cross near now) or a tiny shift
 *   (re-measured clock offset). The next window starts at the beat where the last one ended:
 *   what was handed out is not handed again, what was not yet handed follows the new line.
 *   A beat whose new time is already past is handed out late rather than lost.
 * - **renumbered** — same grid in time, beat magnitudes shifted (`requestBeatAtTime` with
 *   peers moves the beat origin by whole quanta). The cursor shifts by the same amount and
 *   reports `shiftMicroBeats` so song origins can follow.
 * - **jump** — the grid moved in time (another peer's `forceBeatAtTime`, joining a session with
 *   another phase). The next window starts at the beat now at the time horizon; users decide
 *   what a jump means (MIDI clock: Stop, Song Position Pointer, Continue).
 *
 * The test between continuous and jump: a tempo change at a time tc in [H − slack, end of the
 * new window] moves the line's beat at the horizon time H by at most
 * max(slack, end − H) · max(1/T_old, 1/T_new). A line that moved farther jumped. Pure: no
 * clock, no timers.
 * @module
 */
import type { SessionState } from '../link/session-state.ts';
import { identicalTimelines } from '../link/timeline.ts';
import type { Timeline } from '../link/types.ts';
import { beatBoundary, MICRO_BEATS_PER_BEAT } from './grid.ts';

export type TimelineChange = 'none' | 'continuous' | 'renumbered' | 'jump' | 'first';

export interface BeatWindow {
  /** First beat (µb) of the window: the previous window's `toMicroBeats` unless it jumped. */
  fromMicroBeats: number;
  /** Least beat (µb) whose host time is ≥ the window's end. ≥ fromMicroBeats. */
  toMicroBeats: number;
  /** The window in host time (µs), as asked. */
  fromMicros: number;
  toMicros: number;
  /** How the timeline changed since the previous window. */
  change: TimelineChange;
  /** For 'renumbered': new beat − old beat of the same instant (µb); else 0. */
  shiftMicroBeats: number;
  /** The session state the window was computed on. */
  state: SessionState;
}

export class BeatCursor {
  private timeline: Timeline | undefined;
  private lastState: SessionState | undefined;
  private toBeat = 0;
  private horizon = 0;

  /**
   * @param quantum beats per bar for the phase-encoded beat magnitude (as in `beatAtTime`).
   * @param slackMicros how far back a tempo change may lie and still count as continuous
   *   (the scheduler passes 2 × lookahead + interval).
   */
  constructor(
    readonly quantum: number,
    private slackMicros: number,
  ) {}

  /** Whether a window was computed since construction or the last reset. */
  get started(): boolean {
    return this.timeline !== undefined;
  }

  /** The end (µb) of the last window: everything before it was handed out. */
  get handedUntilMicroBeats(): number {
    return this.toBeat;
  }

  /** The host time (µs) at which the last window ended. */
  get horizonMicros(): number {
    return this.horizon;
  }

  /** Forget the past: the next window starts fresh at its own start time. */
  reset(): void {
    this.timeline = undefined;
    this.lastState = undefined;
  }

  /** The beat window equal to the host-time window [fromMicros, toMicros) on `state`. */
  advance(state: SessionState, fromMicros: number, toMicros: number): BeatWindow {
    const q = this.quantum;
    const tl = state.timeline;
    let change: TimelineChange;
    let from: number;
    let shift = 0;
    const prev = this.timeline;
    const prevState = this.lastState;
    if (!prev || !prevState) {
      change = 'first';
      from = beatBoundary(state, fromMicros, q);
    } else if (identicalTimelines(prev, tl)) {
      change = 'none';
      from = this.toBeat;
    } else if (prev.microsPerBeat === tl.microsPerBeat && prev.timeOrigin === tl.timeOrigin) {
      change = 'renumbered';
      shift = beatBoundary(state, this.horizon, q) - beatBoundary(prevState, this.horizon, q);
      from = this.toBeat + shift;
    } else {
      // How far the line moved at the horizon (not the cursor: earlier continuous changes may
      // have left it a little ahead of or behind the line).
      const atHorizon = beatBoundary(state, this.horizon, q);
      const moved = atHorizon - beatBoundary(prevState, this.horizon, q);
      const perMicro = Math.max(1 / prev.microsPerBeat, 1 / tl.microsPerBeat) * MICRO_BEATS_PER_BEAT;
      // A change at any time since `slack` before the horizon, up to the end of this window.
      const tolerance = Math.max(this.slackMicros, toMicros - this.horizon) * perMicro + 2;
      if (Math.abs(moved) <= tolerance) {
        change = 'continuous';
        from = this.toBeat;
      } else {
        change = 'jump';
        from = atHorizon;
      }
    }
    const to = Math.max(from, beatBoundary(state, toMicros, q));
    this.timeline = tl;
    this.lastState = state;
    this.toBeat = to;
    this.horizon = toMicros;
    return { fromMicroBeats: from, toMicroBeats: to, fromMicros, toMicros, change, shiftMicroBeats: shift, state };
  }
}
