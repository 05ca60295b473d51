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
import { beatsAtTime, timeAtBeats } from './timeline.ts';
import type { Timeline } from './types.ts';

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
