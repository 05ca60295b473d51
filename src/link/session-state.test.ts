// SessionState at the API boundary: bad arguments throw at once naming the accepted range,
// fractional times are rounded to whole µs, tempo is clamped as Link does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionState } from './session-state.ts';

const make = (respectQuantum = false) =>
  new SessionState({ timeline: { microsPerBeat: 500000, beatOrigin: 0, timeOrigin: 1_000_000 }, respectQuantum });

test('NaN, ±Infinity and non-numbers are rejected with the accepted range', () => {
  const s = make();
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.throws(() => s.beatAtTime(bad, 4), RangeError);
    assert.throws(() => s.beatAtTime(1, bad), RangeError);
    assert.throws(() => s.timeAtBeat(bad, 4), RangeError);
    assert.throws(() => s.setTempo(bad, 0), RangeError);
    assert.throws(() => s.requestBeatAtTime(bad, 0, 4), RangeError);
    assert.throws(() => s.forceBeatAtTime(0, bad, 4), RangeError);
    assert.throws(() => s.setIsPlaying(true, bad), RangeError);
  }
  assert.throws(() => s.beatAtTime('12' as unknown as number, 4), TypeError);
  assert.throws(() => s.phaseAtTime(0, undefined as unknown as number), TypeError);
  assert.throws(() => s.setIsPlaying(1 as unknown as boolean, 0), TypeError);
  assert.throws(() => s.beatAtTime(1, NaN), /quantum must be a finite number/);
});

test('a negative quantum is a RangeError naming the range', () => {
  const s = make();
  assert.throws(() => s.phaseAtTime(0, -4), { name: 'RangeError', message: /quantum must be >= 0/ });
  assert.throws(() => s.requestBeatAtTime(0, 0, -1), RangeError);
});

test('times beyond the safe integer range are rejected', () => {
  assert.throws(() => make().beatAtTime(2 ** 60, 4), /within ±9007199254740991/);
});

test('fractional times are rounded to whole µs, half away from zero', () => {
  const s = make();
  assert.equal(s.beatAtTime(1_000_000.4, 0), s.beatAtTime(1_000_000, 0));
  assert.equal(s.beatAtTime(1_000_000.5, 0), s.beatAtTime(1_000_001, 0));
  assert.equal(s.beatAtTime(-0.5, 0), s.beatAtTime(-1, 0));
  s.setIsPlaying(true, 2_000_000.5);
  assert.equal(s.timeForIsPlaying(), 2_000_001);
});

test('tempo is clamped to [20, 999] as Link does, never rejected when finite', () => {
  const s = make();
  s.setTempo(0, 1_000_000);
  assert.equal(s.tempo, 20);
  s.setTempo(-5, 1_000_000);
  assert.equal(s.tempo, 20);
  s.setTempo(1e9, 1_000_000);
  assert.equal(s.tempo, 999);
  s.setTempo(133.5, 1_000_000);
  assert.equal(s.tempo, 133.5);
});

test('beatAtTime and timeAtBeat compose at every quantum, including the q/2 tie', () => {
  const s = make(true);
  for (const q of [0, 1, 3, 4, 7.5]) {
    for (let b = -10; b <= 10; b += 0.25) {
      const t = s.timeAtBeat(b, q);
      assert.ok(Math.abs(s.beatAtTime(t, q) - b) < 2e-6, `q=${q} b=${b} → ${s.beatAtTime(t, q)}`);
    }
  }
});

test('requestBeatAtStartPlayingTime is a no-op when stopped', () => {
  const s = make(true);
  const before = s.timeAtBeat(0, 4);
  s.requestBeatAtStartPlayingTime(2, 4);
  assert.equal(s.timeAtBeat(0, 4), before);
});

test('clone() keeps what the state was captured from: a commit of the copy applies only what changed', () => {
  const s = new SessionState({ timeline: { microsPerBeat: 500000, beatOrigin: 0, timeOrigin: 1_000_000 }, isPlaying: true, timeForIsPlaying: 7, trackChanges: true });
  const copy = s.clone();
  assert.deepEqual(copy.origin, s.origin);
  assert.ok(copy.origin !== undefined);
  copy.setTempo(90, 2_000_000);
  assert.notDeepEqual(copy.timeline, copy.origin.timeline, 'the copy changed');
  assert.deepEqual(s.timeline, s.origin!.timeline, 'the original did not');
});
