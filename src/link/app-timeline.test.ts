// The session ↔ application timeline mapping: the app sees the session's phase on its host clock,
// keeps its own beat magnitude, and a commit re-anchors the session line with a greater origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appTimeline, beatOffsetKeeping, sameLine, sessionFromApp } from './app-timeline.ts';
import { phase, toPhaseEncodedBeats } from './phase.ts';
import { beatsAtTime } from './timeline.ts';

const session = { microsPerBeat: 451128, beatOrigin: 8_008_652, timeOrigin: 4_004_086 };
const ghostOffset = -1_234_567_890;

test('the application phase is the session beat phase, at every quantum', () => {
  const app = appTimeline(session, ghostOffset, 77_000_123);
  for (const host of [1_234_000_000, 1_240_123_457, 1_300_000_001]) {
    const sessionBeat = beatsAtTime(session, host + ghostOffset);
    for (const q of [1e6, 3e6, 4e6, 7e6]) {
      assert.ok(Math.abs(phase(toPhaseEncodedBeats(app, host, q), q) - phase(sessionBeat, q)) <= 1, `q=${q}`);
    }
  }
});

test('beatOffsetKeeping keeps the raw beat continuous across a new session line', () => {
  const now = 1_250_000_000;
  const before = appTimeline(session, ghostOffset, 5_000_000);
  const other = { microsPerBeat: 500000, beatOrigin: 3_000_000_000, timeOrigin: 99_000_000 };
  const offset = beatOffsetKeeping(before, other, 42, now);
  const after = appTimeline(other, 42, offset);
  assert.equal(beatsAtTime(after, now), beatsAtTime(before, now));
});

test('sessionFromApp draws the same line, anchored now, with a strictly greater origin', () => {
  const app = appTimeline(session, ghostOffset, 0);
  const now = 1_250_000_000;
  const next = sessionFromApp(app, ghostOffset, now, session.beatOrigin);
  assert.ok(sameLine(next, session));
  assert.ok(next.beatOrigin > session.beatOrigin);
  assert.ok(Math.abs(next.timeOrigin - (now + ghostOffset)) <= 1);
  // A line whose beat now is behind the current origin still gets a greater origin.
  const early = sessionFromApp(app, ghostOffset, now, 9e15);
  assert.equal(early.beatOrigin, 9e15 + 1);
  assert.ok(sameLine(early, session));
});
