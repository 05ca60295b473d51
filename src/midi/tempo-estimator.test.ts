// TempoEstimator: pure, fed with tick times; jitter from the seeded PRNG, never the wall clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../core/prng.ts';
import { TempoEstimator, type TempoEstimatorOptions, type TickVerdict } from './tempo-estimator.ts';

const EPOCH = 1_000_000_000_000;
const interval = (bpm: number) => 60e6 / bpm / 24;

/** Ideal tick times of a clock at `bpm` that changes to `then.bpm` after tick `then.at`. */
function idealTicks(count: number, bpm: number, then?: { at: number; bpm: number }): number[] {
  const out: number[] = [];
  let t = EPOCH;
  for (let i = 0; i < count; i++) {
    out.push(t);
    t += interval(then && i >= then.at ? then.bpm : bpm);
  }
  return out;
}

/** Feeds the ticks with 0–`jitterMicros` µs of uniform random delay; returns the estimate after each tick. */
function feed(ticks: number[], seed: number, jitterMicros = 2000, options?: TempoEstimatorOptions, late?: Map<number, number>) {
  const rng = new SeededRandom(seed);
  const e = new TempoEstimator(options);
  const bpm: (number | undefined)[] = [];
  const verdicts: TickVerdict[] = [];
  const sigma: (number | undefined)[] = [];
  ticks.forEach((t, i) => {
    verdicts.push(e.push(Math.round(t + rng.float() * jitterMicros + (late?.get(i) ?? 0))));
    bpm.push(e.bpm);
    sigma.push(e.uncertaintyBpm);
  });
  return { e, bpm, verdicts, sigma };
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

test('a 120 bpm clock with 0–2 ms random jitter: within 0.1 bpm from 2 beats (48 ticks) on, and the uncertainty covers the error', () => {
  for (const seed of SEEDS) {
    const { bpm, sigma } = feed(idealTicks(24 * 16, 120), seed);
    for (let i = 47; i < bpm.length; i++) {
      const err = Math.abs((bpm[i] as number) - 120);
      assert.ok(err < 0.1, `seed ${seed}, tick ${i}: ${bpm[i]} bpm`);
      assert.ok(err < 4 * (sigma[i] as number), `seed ${seed}, tick ${i}: error ${err} vs σ ${sigma[i]}`);
    }
    // The window (4 beats) makes it tighter still once full.
    assert.ok(Math.abs((bpm.at(-1) as number) - 120) < 0.05, `seed ${seed}: ${bpm.at(-1)}`);
  }
});

test('a perfect clock gives the exact tempo at 20, 120 and 999 bpm, with an uncertainty near zero', () => {
  for (const b of [20, 120, 999]) {
    const { e } = feed(idealTicks(200, b), 1, 0);
    // Tick times are whole µs: the fit is exact to a few millionths.
    assert.ok(Math.abs((e.bpm as number) - b) < 1e-4 * b, `${b}: ${e.bpm}`);
    assert.ok((e.uncertaintyBpm as number) < 1e-3, `${b}: σ ${e.uncertaintyBpm}`);
  }
});

test('nothing is reported before minTicks ticks; then the fit is', () => {
  const e = new TempoEstimator({ minTicks: 6 });
  const ticks = idealTicks(6, 100);
  ticks.slice(0, 5).forEach((t) => e.push(t));
  assert.equal(e.bpm, undefined);
  assert.ok(Math.abs((e.rawBpm as number) - 100) < 0.01, 'the raw line exists from 2 ticks');
  e.push(ticks[5] as number);
  const reported: number | undefined = e.bpm;
  assert.ok(Math.abs((reported ?? NaN) - 100) < 0.01, `${reported}`);
});

for (const [from, to] of [[120, 140], [140, 120], [120, 60], [90, 180]] as const) {
  test(`a step ${from} → ${to} bpm is reported within 1 beat, with no overshoot beyond 1 bpm`, () => {
    const change = 24 * 6;
    for (const seed of SEEDS) {
      const { bpm, verdicts } = feed(idealTicks(change + 24 * 6, from, { at: change - 1, bpm: to }), seed);
      assert.ok(verdicts.slice(change, change + 8).includes('step'), `seed ${seed}: step detected within 8 ticks`);
      const up = Math.sign(to - from);
      for (let i = change; i < bpm.length; i++) {
        const b = bpm[i] as number;
        // Never beyond the new tempo by more than 1 bpm, never back beyond the old one.
        assert.ok(up * (b - to) < 1, `seed ${seed}, tick ${i - change} after the change: ${b} overshoots ${to}`);
        assert.ok(up * (b - from) > -1, `seed ${seed}, tick ${i - change}: ${b} went the wrong way`);
        // Reported within 1 beat (24 ticks): within 1 bpm from there on, within 0.5 bpm from 1.5 beats.
        const tolerance = (i - change >= 36 ? 0.5 : 1) * (to / 120);
        if (i - change >= 24) assert.ok(Math.abs(b - to) < tolerance, `seed ${seed}, tick ${i - change} after the change: ${b} (want ${to})`);
      }
    }
  });
}

test('an outlier (one tick 8 ms late, or early) moves the estimate by less than 0.1 bpm, and is told as one', () => {
  for (const seed of SEEDS) {
    for (const shift of [8000, -8000]) {
      const ticks = idealTicks(24 * 8, 120);
      const at = 24 * 3 + 5;
      const clean = feed(ticks, seed);
      const hit = feed(ticks, seed, 2000, undefined, new Map([[at, shift]]));
      assert.equal(hit.verdicts[at], 'outlier', `seed ${seed}`);
      for (let i = 47; i < ticks.length; i++) {
        assert.ok(Math.abs((hit.bpm[i] as number) - (clean.bpm[i] as number)) < 0.1, `seed ${seed}, tick ${i}: ${hit.bpm[i]} vs ${clean.bpm[i]}`);
      }
    }
  }
});

test('without outlier rejection the same late tick would have moved it: the test can tell', () => {
  // A 24-tick window and a huge outlierK: the 8 ms tick stays in the fit.
  const ticks = idealTicks(24 * 4, 120);
  const at = 24 * 2 + 20;
  const opts = { windowTicks: 24, outlierK: 1e6 };
  const clean = feed(ticks, 3, 2000, opts);
  const hit = feed(ticks, 3, 2000, opts, new Map([[at, 8000]]));
  const moved = Math.max(...ticks.map((_, i) => Math.abs((hit.bpm[i] ?? 0) - (clean.bpm[i] ?? 0))));
  assert.ok(moved > 0.1, `moved ${moved}`);
});

test('a lost tick (one interval missing) is recognised: renumbered, the tempo does not move', () => {
  for (const seed of SEEDS) {
    const ticks = idealTicks(24 * 8, 120);
    ticks.splice(24 * 3, 1); // tick 72 never arrives
    const { e, bpm, verdicts } = feed(ticks, seed);
    const at = verdicts.indexOf('lost');
    assert.ok(at >= 72 && at < 72 + 4, `seed ${seed}: lost at ${at}, verdicts ${verdicts.slice(70, 78).join(' ')}`);
    assert.equal(e.lostTicks, 1);
    assert.ok(!verdicts.includes('step'), `seed ${seed}`);
    assert.equal(e.ticks, 24 * 8, 'the missing tick is counted');
    for (let i = 47; i < bpm.length; i++) assert.ok(Math.abs((bpm[i] as number) - 120) < 0.1, `seed ${seed}, tick ${i}: ${bpm[i]}`);
  }
});

test('a halved tempo is a step, not lost ticks', () => {
  const { verdicts } = feed(idealTicks(24 * 8, 120, { at: 24 * 4, bpm: 60 }), 1);
  assert.ok(verdicts.includes('step') && !verdicts.includes('lost'), verdicts.slice(96, 104).join(' '));
});

test('smoothing spreads a change but loses none of it', () => {
  const ticks = idealTicks(24 * 12, 120, { at: 24 * 4, bpm: 130 });
  const plain = feed(ticks, 5);
  const smooth = feed(ticks, 5, 2000, { smoothing: 0.1 });
  const after = 24 * 4 + 12;
  // Spread: right after the change the smoothed report lags the plain one…
  assert.ok((plain.bpm[after] as number) - (smooth.bpm[after] as number) > 2, `${plain.bpm[after]} vs ${smooth.bpm[after]}`);
  // …and rises without overshoot…
  for (let i = 24 * 4; i < ticks.length; i++) assert.ok((smooth.bpm[i] as number) < 130.5, `tick ${i}: ${smooth.bpm[i]}`);
  // …to the whole change: nothing is lost.
  assert.ok(Math.abs((smooth.bpm.at(-1) as number) - (plain.bpm.at(-1) as number)) < 0.01, `${smooth.bpm.at(-1)} vs ${plain.bpm.at(-1)}`);
});

test('reset() keeps the tempo and reports the new line as a step from it; the slope known before predicts the next ticks', () => {
  const e = new TempoEstimator();
  idealTicks(96, 120).forEach((t) => e.push(t));
  e.reset();
  assert.equal(e.ticks, 0);
  assert.ok(Math.abs((e.bpm as number) - 120) < 1e-6, `${e.bpm}`);
  const later = EPOCH + 10_000_000;
  e.push(later);
  e.push(later + 20_900); // one jittered interval: not trusted as a slope
  // Through the two ticks' centroid with the old interval, not their own 20.9 ms.
  assert.ok(Math.abs((e.timeOfTickMicros(1) as number) - (later + 10_450 + 1.5 * interval(120))) < 1, 'next tick from the old tempo');
  assert.ok(Math.abs((e.bpm as number) - 120) < 1e-6, `${e.bpm}`);
});

test('mayRephase: a first tick off the line starts a new line at once; on the line it is an ordinary tick', () => {
  const e = new TempoEstimator();
  const ticks = idealTicks(48, 120);
  ticks.forEach((t) => e.push(t));
  const next = (ticks.at(-1) as number) + interval(120);
  assert.equal(e.push(next, true), 'fit');
  assert.equal(e.push(next + interval(120) + 9000, true), 'step');
  assert.equal(e.ticks, 1);
  assert.ok(Math.abs((e.timeOfTickMicros(0) as number) - (next + interval(120) + 9000)) < 1e-6, `${e.timeOfTickMicros(0)}`);
});

test('options out of range throw RangeError naming the range', () => {
  assert.throws(() => new TempoEstimator({ windowTicks: 4 }), /windowTicks must be an integer in \[8, 4096\]/);
  assert.throws(() => new TempoEstimator({ smoothing: 0 }), /smoothing must be in \(0, 1\]/);
  assert.throws(() => new TempoEstimator({ outlierK: -1 }), RangeError);
  assert.throws(() => new TempoEstimator({ minTicks: 200 }), RangeError);
});
