import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionState } from '../link/session-state.ts';
import { beatBoundary, ceilToMultiple, alignUpTo, firstStepAtOrAfter, nextQuantumBoundary, stepMicroBeats, stepsInRange, stepTime } from './grid.ts';

const state = (tempo: number, timeOrigin = 1_000_000_000_000, beatOrigin = 0) => new SessionState({ timeline: { microsPerBeat: tempo, beatOrigin, timeOrigin } });

test('step n of a 24-per-beat grid is at timeAtBeat(n / 24)', () => {
  const s = state(500_000);
  for (const n of [-49, -1, 0, 1, 23, 24, 25, 1000]) assert.equal(stepTime(s, n, 24, 4), s.timeAtBeat(n / 24, 4));
  assert.equal(stepMicroBeats(1, 24), 41_667);
  assert.equal(stepMicroBeats(-1, 24), -41_667);
});

test('firstStepAtOrAfter is exact around step boundaries, negatives included', () => {
  for (const n of [-100, -1, 0, 1, 7, 24, 999]) {
    const b = stepMicroBeats(n, 24);
    assert.equal(firstStepAtOrAfter(b, 24), n);
    assert.equal(firstStepAtOrAfter(b + 1, 24), n + 1);
    assert.equal(firstStepAtOrAfter(b - 1, 24), n);
  }
  assert.deepEqual(stepsInRange(0, 1_000_000, 24), { first: 0, end: 24 });
  assert.deepEqual(stepsInRange(10, 10, 24), { first: 1, end: 1 });
});

test('beatBoundary turns a time window into the beat window with exactly the same beats', () => {
  for (const tempo of [3_000_000, 500_000, 60_060]) {
    const s = state(tempo, 1_000_000_000_123);
    for (let t = 1_000_000_000_000; t < 1_000_000_000_000 + 50; t++) {
      const b = beatBoundary(s, t, 4);
      assert.ok(s.timeAtBeat(b / 1e6, 4) >= t);
      assert.ok(s.timeAtBeat((b - 1) / 1e6, 4) < t);
    }
  }
});

test('multiples and phase alignment round up, never down', () => {
  assert.equal(ceilToMultiple(1, 250_000), 250_000);
  assert.equal(ceilToMultiple(-1, 250_000), 0);
  assert.equal(ceilToMultiple(500_000, 250_000), 500_000);
  assert.equal(alignUpTo(4_100_000, 1_000_000, 4_000_000), 5_000_000);
  assert.equal(alignUpTo(5_000_000, 1_000_000, 4_000_000), 5_000_000);
  assert.equal(alignUpTo(-300, 0, 4_000_000), 0);
});

test('the next quantum boundary is a bar at or after the earliest time', () => {
  const s = state(500_000);
  const origin = 1_000_000_000_000;
  const bar = nextQuantumBoundary(s, origin + 1, 4);
  assert.equal(bar.microBeats, 4_000_000);
  assert.equal(bar.timeMicros, origin + 2_000_000);
  assert.equal(nextQuantumBoundary(s, origin, 4).timeMicros, origin);
});
