// The envelope of plausibility.ts is what makes the timeline arithmetic exact: every timeline it
// admits goes through every conversion without leaving the safe-integer range, and the results
// equal an exact BigInt reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../core/prng.ts';
import { appTimeline, beatOffsetKeeping, sessionFromApp } from './app-timeline.ts';
import { fromPhaseEncodedBeats, toPhaseEncodedBeats } from './phase.ts';
import { MAX_MICRO_BEATS, MAX_STAMP_LEAD_MICROS, MAX_TIME_MICROS, startStopProblem, timelineProblem } from './plausibility.ts';
import { beatsAtTime, timeAtBeats } from './timeline.ts';
import type { Timeline } from './types.ts';

/** round(n / d) half away from zero, exactly (d > 0). */
function roundDiv(n: bigint, d: bigint): bigint {
  const neg = n < 0n;
  const q = ((neg ? -n : n) * 2n + d) / (2n * d);
  return neg ? -q : q;
}
const refBeats = (tl: Timeline, t: number) =>
  BigInt(tl.beatOrigin) + roundDiv((BigInt(t) - BigInt(tl.timeOrigin)) * 1_000_000n, BigInt(tl.microsPerBeat));
const refTime = (tl: Timeline, b: number) =>
  BigInt(tl.timeOrigin) + roundDiv((BigInt(b) - BigInt(tl.beatOrigin)) * BigInt(tl.microsPerBeat), 1_000_000n);

function extreme(rng: SeededRandom, limit: number): number {
  const r = rng.float();
  if (r < 0.25) return limit - rng.int(1000);
  if (r < 0.5) return -limit + rng.int(1000);
  return Math.round((rng.float() * 2 - 1) * limit);
}

test('inside the envelope, every timeline conversion is exact and stays a safe integer', () => {
  const rng = new SeededRandom(2026);
  let checked = 0;
  for (let i = 0; i < 20000 && checked < 5000; i++) {
    const tl: Timeline = {
      microsPerBeat: [60060, 3_000_000, 500000, 60060 + rng.int(2_939_940)][rng.int(4)]!,
      beatOrigin: extreme(rng, MAX_MICRO_BEATS),
      timeOrigin: extreme(rng, MAX_TIME_MICROS),
    };
    const ghostNow = extreme(rng, MAX_TIME_MICROS);
    if (timelineProblem(tl, ghostNow) !== undefined) continue;
    checked++;
    const hostNow = rng.int(2 ** 40);
    const intercept = ghostNow - hostNow;
    const b = beatsAtTime(tl, ghostNow);
    assert.equal(BigInt(b), refBeats(tl, ghostNow), `beatsAtTime ${JSON.stringify(tl)} at ${ghostNow}`);
    assert.ok(Number.isSafeInteger(b));
    const t = timeAtBeats(tl, b);
    assert.equal(BigInt(t), refTime(tl, b));
    // The application side: host-clock timeline with an arbitrary beat magnitude of its own.
    const offset = extreme(rng, MAX_MICRO_BEATS);
    const app = appTimeline(tl, intercept, offset);
    assert.ok(Number.isSafeInteger(app.timeOrigin), `app time origin ${app.timeOrigin}`);
    for (const q of [0, 1_000_000, 4_000_000, 3_500_000, 1_000_000_000_000]) {
      const pb = toPhaseEncodedBeats(app, hostNow, q);
      assert.ok(Number.isSafeInteger(pb), `phase-encoded beat ${pb} at q ${q}`);
      const back = fromPhaseEncodedBeats(app, pb, q);
      assert.ok(Number.isSafeInteger(back));
      assert.ok(Math.abs(back - hostNow) <= tl.microsPerBeat / 1e6 + 1, `round trip ${back - hostNow} µs at q ${q}`);
    }
    const next = sessionFromApp(app, intercept, hostNow, tl.beatOrigin);
    for (const v of [next.beatOrigin, next.timeOrigin]) assert.ok(Number.isSafeInteger(v));
    assert.ok(Number.isSafeInteger(beatOffsetKeeping(app, next, intercept, hostNow)));
  }
  assert.ok(checked >= 1000, `only ${checked} admitted timelines were checked`);
});

test('outside the envelope a timeline is refused with the reason', () => {
  const ok: Timeline = { microsPerBeat: 500000, beatOrigin: 0, timeOrigin: 0 };
  assert.equal(timelineProblem(ok, 0), undefined);
  assert.match(timelineProblem({ ...ok, microsPerBeat: 0 })!, /tempo of 0/);
  assert.match(timelineProblem({ ...ok, beatOrigin: 2 ** 53 - 10 })!, /beat origin/);
  assert.match(timelineProblem({ ...ok, timeOrigin: -(2 ** 52) })!, /time origin/);
  // Origins inside, but the present beat is not: a slow far-away origin seen from far away.
  assert.match(timelineProblem({ microsPerBeat: 60060, beatOrigin: MAX_MICRO_BEATS - 1, timeOrigin: -MAX_TIME_MICROS }, MAX_TIME_MICROS)!, /beat now/);
});

test('start/stop stamps beyond the envelope or far ahead of our ghost clock are refused', () => {
  assert.equal(startStopProblem({ isPlaying: true, beats: 0, timestamp: 100 }, 100), undefined);
  assert.equal(startStopProblem({ isPlaying: true, beats: 0, timestamp: 100 + MAX_STAMP_LEAD_MICROS }, 100), undefined);
  assert.match(startStopProblem({ isPlaying: true, beats: 0, timestamp: 101 + MAX_STAMP_LEAD_MICROS }, 100)!, /ahead/);
  assert.match(startStopProblem({ isPlaying: true, beats: 2 ** 53 - 1, timestamp: 0 }, 0)!, /beat/);
  assert.match(startStopProblem({ isPlaying: false, beats: 0, timestamp: -(2 ** 50) }, 0)!, /stamp/);
});
