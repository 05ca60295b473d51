/**
 * The mapping between the session timeline (as gossiped, on ghost time) and the application
 * timeline a `SessionState` holds (on the host clock). Pure.
 *
 * The application timeline's phase reference (`beats − beatOrigin`, spec 02 §9) is the session
 * beat itself, so its `timeOrigin` is the host time of session beat 0 and its `beatOrigin` is
 * free: it carries the application's own beat magnitude (the "beat offset"). Joining a session
 * or following a remote change moves the offset so the magnitude stays continuous, and only the
 * phase snaps to the session (≤ q/2 beats).
 * @module
 */
import { startStopProblem, timelineProblem } from './plausibility.ts';
import type { SessionState } from './session-state.ts';
import { beatsAtTime, timeAtBeats } from './timeline.ts';
import type { StartStopState, Timeline } from './types.ts';

/** Application timeline for session timeline `session`, ghost = host + `ghostOffset`. */
export function appTimeline(session: Timeline, ghostOffset: number, beatOffset: number): Timeline {
  return { microsPerBeat: session.microsPerBeat, beatOrigin: beatOffset, timeOrigin: timeAtBeats(session, 0) - ghostOffset };
}

/**
 * The beat offset that keeps the application's raw beat at host time `now` where `before` had it,
 * once the session timeline or ghost transform changed to (`session`, `ghostOffset`).
 */
export function beatOffsetKeeping(before: Timeline, session: Timeline, ghostOffset: number, now: number): number {
  return beatsAtTime(before, now) - beatsAtTime(appTimeline(session, ghostOffset, 0), now);
}

/**
 * The session timeline for an application timeline committed at host time `now`: the same line
 * in ghost time, re-anchored near the present with a beat origin strictly above
 * `currentBeatOrigin` (spec 02 §6 rules 2–3: the origin is the change's priority stamp).
 */
export function sessionFromApp(app: Timeline, ghostOffset: number, now: number, currentBeatOrigin: number): Timeline {
  const zero: Timeline = { microsPerBeat: app.microsPerBeat, beatOrigin: 0, timeOrigin: app.timeOrigin + ghostOffset };
  const beatOrigin = Math.max(beatsAtTime(zero, now + ghostOffset), currentBeatOrigin + 1);
  return { microsPerBeat: app.microsPerBeat, beatOrigin, timeOrigin: timeAtBeats(zero, beatOrigin) };
}

/** Whether two session timelines draw the same line (same tempo and beat-0 time). */
export function sameLine(a: Timeline, b: Timeline): boolean {
  return a.microsPerBeat === b.microsPerBeat && timeAtBeats(a, 0) === timeAtBeats(b, 0);
}

/** What the session looks like to a commit: its line, ghost transform and start/stop stamp. */
export interface SessionView {
  timeline: Timeline;
  ghostOffset: number;
  /** The stamp of the start/stop state held (a local change stamps after it). */
  startStopStamp: number;
}

/** What committing an application state changes (computed first, applied only if valid). */
export interface CommitPlan {
  /** The new session line, when the application changed tempo or grid. */
  line?: Timeline;
  /** The application's new beat magnitude (app timeline's beat origin). */
  beatOffset?: number;
  /** The application transport, when it changed. */
  transport?: { isPlaying: boolean; time: number };
  /** The start/stop state to gossip (with start/stop sync). */
  startStop?: StartStopState;
}

/**
 * Plans a commit of application state `state` at host time `now` (spec 02 §6 rules 2–3, §8):
 * throws RangeError when the result could not be shared (plausibility.ts), changing nothing.
 */
export function planAppCommit(state: SessionState, session: SessionView, now: number, syncStartStop: boolean): CommitPlan {
  const origin = state.origin;
  const ghostNow = now + session.ghostOffset;
  const c = state.timeline;
  const plan: CommitPlan = {};
  if (!origin || c.microsPerBeat !== origin.timeline.microsPerBeat || c.timeOrigin !== origin.timeline.timeOrigin) {
    plan.line = sessionFromApp(c, session.ghostOffset, now, session.timeline.beatOrigin);
    plan.beatOffset = c.beatOrigin;
    const problem = timelineProblem(plan.line, ghostNow);
    if (problem !== undefined) throw new RangeError(`commitAppSessionState: the timeline is outside what Link peers can share (${problem})`);
  } else if (c.beatOrigin !== origin.timeline.beatOrigin) {
    plan.beatOffset = c.beatOrigin;
  }
  if (plan.beatOffset !== undefined) {
    // The application's own beat magnitude must stay where our arithmetic is exact, too.
    const problem = timelineProblem(appTimeline(plan.line ?? session.timeline, session.ghostOffset, plan.beatOffset), now);
    if (problem !== undefined) throw new RangeError(`commitAppSessionState: the application's beats are outside what phaselock represents (${problem})`);
  }
  if (!origin || state.isPlaying !== origin.isPlaying || state.timeForIsPlaying() !== origin.timeForIsPlaying) {
    const time = state.timeForIsPlaying();
    plan.transport = { isPlaying: state.isPlaying, time };
    if (syncStartStop) {
      const beats = beatsAtTime(plan.line ?? session.timeline, time + session.ghostOffset);
      plan.startStop = { isPlaying: state.isPlaying, beats, timestamp: Math.max(ghostNow, session.startStopStamp + 1) };
      const problem = startStopProblem(plan.startStop, ghostNow);
      if (problem !== undefined) throw new RangeError(`commitAppSessionState: the start/stop state is outside what Link peers can share (${problem})`);
    }
  }
  return plan;
}
