import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TapTempo } from './tap-tempo.ts';

describe('TapTempo', () => {
  it('needs two taps, then gives the tempo of the average interval', () => {
    const t = new TapTempo();
    assert.equal(t.tap(10_000_000), undefined);
    assert.equal(t.tap(10_500_000), 120);
    // Intervals 500, 520, 480 ms: average 500 ms.
    t.tap(11_020_000);
    assert.equal(t.tap(11_500_000), 120);
  });

  it('forgets the series after a pause of more than 2 s', () => {
    const t = new TapTempo();
    t.tap(0);
    t.tap(1_000_000);
    assert.equal(t.tap(3_000_001), undefined, 'a new series starts');
    assert.equal(t.count, 1);
    assert.equal(t.tap(3_400_001), 150);
  });

  it('a pause of exactly 2 s still counts (30 bpm)', () => {
    const t = new TapTempo();
    t.tap(0);
    assert.equal(t.tap(2_000_000), 30);
  });

  it('averages only the last taps', () => {
    const t = new TapTempo({ maxTaps: 3 });
    t.tap(0);
    t.tap(1_000_000); // 60 bpm
    t.tap(1_500_000);
    assert.equal(t.tap(2_000_000), 120, 'only the last three taps (two 500 ms intervals) count');
  });

  it('ignores a tap that is not later than the previous one', () => {
    const t = new TapTempo();
    t.tap(1_000_000);
    t.tap(1_600_000);
    assert.equal(t.tap(1_600_000), 100);
    assert.equal(t.count, 2);
  });

  it('reset forgets everything', () => {
    const t = new TapTempo();
    t.tap(0);
    t.tap(500_000);
    t.reset();
    assert.equal(t.bpm(), undefined);
    assert.equal(t.tap(600_000), undefined);
  });
});
