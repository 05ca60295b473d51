import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionState } from '../link/session-state.ts';
import { SeededRandom } from '../core/prng.ts';
import { BeatCursor } from './beat-cursor.ts';
import { stepsInRange, stepTime } from './grid.ts';

const T0 = 1_000_000_000_000;

test('consecutive windows on an unchanged timeline cover consecutive beats', () => {
  const s = new SessionState({ timeline: { microsPerBeat: 500_000, beatOrigin: 0, timeOrigin: T0 } });
  const c = new BeatCursor(4, 70_000);
  const a = c.advance(s, T0, T0 + 30_000);
  const b = c.advance(s, T0 + 30_000, T0 + 41_000);
  assert.equal(a.change, 'first');
  assert.equal(b.change, 'none');
  assert.equal(a.fromMicroBeats, 0);
  assert.equal(b.fromMicroBeats, a.toMicroBeats);
  assert.equal(b.toMicroBeats, 81_999); // µb 81 999 rounds to the same µs as 82 000
});

test('a tempo change is continuous, a renumbering shifts, a phase jump is reported', () => {
  const s1 = new SessionState({ timeline: { microsPerBeat: 500_000, beatOrigin: 0, timeOrigin: T0 } });
  const c = new BeatCursor(4, 70_000);
  c.advance(s1, T0, T0 + 30_000);
  const s2 = s1.clone();
  s2.setTempo(140, T0 + 10_000);
  assert.equal(c.advance(s2, T0 + 30_000, T0 + 40_000).change, 'continuous');
  const s3 = new SessionState({ timeline: { ...s2.timeline, beatOrigin: s2.timeline.beatOrigin + 8_000_000 } });
  const r = c.advance(s3, T0 + 40_000, T0 + 50_000);
  assert.equal(r.change, 'renumbered');
  assert.equal(r.shiftMicroBeats, 8_000_000);
  const s4 = s3.clone();
  s4.forceBeatAtTime(20, T0 + 50_000, 4);
  const j = c.advance(s4, T0 + 50_000, T0 + 60_000);
  assert.equal(j.change, 'jump');
  assert.ok(Math.abs(j.fromMicroBeats - 20_000_000) <= 1, String(j.fromMicroBeats));
});

test('property: random window sizes, wake-up delays and tempo changes hand out every grid step exactly once, in order, never ahead of its window', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = new SeededRandom(seed);
    const lookahead = 5_000 + Math.floor(rnd.float() * 60_000);
    const interval = 1_000 + Math.floor(rnd.float() * (lookahead - 1_000));
    let s = new SessionState({ timeline: { microsPerBeat: 60_060 + Math.floor(rnd.float() * 2_000_000), beatOrigin: 0, timeOrigin: T0 } });
    const c = new BeatCursor(4, 2 * lookahead + interval);
    let now = T0;
    let horizon = T0;
    const seen: number[] = [];
    let onTime = 0;
    while (now < T0 + 20_000_000) {
      // A late wakeup: the window still starts where the last ended.
      now += interval + Math.floor(rnd.float() * rnd.float() * 5 * interval);
      if (rnd.float() < 0.05) {
        s = s.clone();
        s.setTempo(20 + rnd.float() * 979, now - Math.floor(rnd.float() * interval));
      }
      const to = now + lookahead;
      if (to <= horizon) continue;
      const w = c.advance(s, horizon, to);
      horizon = to;
      assert.notEqual(w.change, 'jump', `seed ${seed}: a tempo change must not read as a jump`);
      const { first, end } = stepsInRange(w.fromMicroBeats, w.toMicroBeats, 24);
      for (let n = first; n < end; n++) {
        seen.push(n);
        // A step is handed out in the window holding its time on the line it was computed on,
        // or late (after a tempo change), never ahead of the window.
        const t = stepTime(s, n, 24, 4);
        assert.ok(t < to, `seed ${seed}: step ${n} at ${t} handed out in the window ending at ${to}`);
        if (w.change === 'none' || w.change === 'first') {
          assert.ok(t >= w.fromMicros, `seed ${seed}: step ${n} at ${t} late on an unchanged line (window from ${w.fromMicros})`);
          onTime++;
        }
      }
    }
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], (seen[i - 1] as number) + 1, `seed ${seed}: step ${seen[i]} after ${seen[i - 1]}`);
    assert.ok(seen.length > 100, `seed ${seed}: ${seen.length} steps`);
    assert.ok(onTime > seen.length / 2, `seed ${seed}: ${onTime} of ${seen.length} steps in unchanged windows`);
  }
});
