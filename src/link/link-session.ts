/**
 * Where a Link peer stands (L0, host time passed in): the session it is in, that session's
 * timeline as on the wire (ghost time), the ghost transform (`ghost = host + intercept`) and
 * `beatOffset`, the application's beat magnitude minus the session beat. Every move of the
 * session (founding, adopting a newer timeline, joining, a re-measured transform) keeps the
 * application's raw beat continuous at the instant of the move: the grid may jump (that is
 * the point of a join), the beat count does not restart.
 * @module
 */
import { appTimeline, beatOffsetKeeping } from './app-timeline.ts';
import { beatsAtTime } from './timeline.ts';
import type { NodeId, Timeline } from './types.ts';

/** The session a peer left (to remember it as a candidate). */
export interface LeftSession {
  sessionId: NodeId;
  timeline: Timeline;
  ghostOffset: number;
}

export class LinkSession {
  /** Our node id. */
  nodeId: NodeId;
  sessionId: NodeId;
  /** We founded the session we are in (a founder's transform is exact: never re-measured). */
  founded = true;
  /** The session timeline in ghost time, as gossiped. */
  timeline: Timeline;
  /** `ghost = host + intercept`. */
  intercept: number;
  /** Application beat magnitude minus session beat. */
  beatOffset = 0;
  private cache: { timeline: Timeline; source: Timeline; intercept: number; offset: number } | undefined;

  constructor(nodeId: NodeId, microsPerBeat: number, now: number) {
    this.nodeId = nodeId;
    this.sessionId = nodeId;
    this.intercept = -now;
    this.timeline = { microsPerBeat, beatOrigin: 0, timeOrigin: 0 };
  }

  /** The application timeline: session grid on the host clock, our own beat magnitude. */
  appTimeline(): Timeline {
    const c = this.cache;
    if (c && c.source === this.timeline && c.intercept === this.intercept && c.offset === this.beatOffset) return c.timeline;
    const timeline = appTimeline(this.timeline, this.intercept, this.beatOffset);
    this.cache = { timeline, source: this.timeline, intercept: this.intercept, offset: this.beatOffset };
    return timeline;
  }

  /** A fresh session of our own as `nodeId`: ghost time 0 now, same tempo and phase (spec 02 §7.3). */
  found(nodeId: NodeId, now: number): void {
    this.move(now, () => {
      const sessionBeatNow = beatsAtTime(this.timeline, now + this.intercept);
      this.nodeId = nodeId;
      this.sessionId = nodeId;
      this.founded = true;
      this.intercept = -now;
      this.timeline = { microsPerBeat: this.timeline.microsPerBeat, beatOrigin: sessionBeatNow, timeOrigin: 0 };
    });
  }

  /** A newer timeline of our own session. */
  adopt(timeline: Timeline, now: number): void {
    this.move(now, () => { this.timeline = timeline; });
  }

  /** Joins `sessionId`, measured at `ghostOffset`; returns the session left. */
  join(sessionId: NodeId, timeline: Timeline, ghostOffset: number, now: number): LeftSession {
    const left = { sessionId: this.sessionId, timeline: this.timeline, ghostOffset: this.intercept };
    this.move(now, () => {
      this.sessionId = sessionId;
      this.founded = false;
      this.timeline = timeline;
      this.intercept = ghostOffset;
    });
    return left;
  }

  /** A re-measured ghost transform. */
  remeasured(intercept: number, now: number): void {
    this.move(now, () => { this.intercept = intercept; });
  }

  /** Moves the session with `change`, keeping the application's raw beat continuous at `now`. */
  private move(now: number, change: () => void): void {
    const before = this.appTimeline();
    change();
    this.beatOffset = beatOffsetKeeping(before, this.timeline, this.intercept, now);
  }
}
