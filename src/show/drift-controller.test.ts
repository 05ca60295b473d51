// The drift rule: deadband, proportional nudge with bounds and hysteresis, seek beyond the threshold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftController } from './drift-controller.ts';

const nudgeOf = (a: ReturnType<DriftController['update']>) => (a.kind === 'nudge' ? Math.round(a.nudge * 10_000) / 10_000 : 'seek');

describe('DriftController', () => {
  it('leaves drift within the deadband, nudges against it beyond (1–5 %, proportional), seeks beyond the threshold', () => {
    const c = new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, nudgeStep: 0 });
    assert.equal(nudgeOf(c.update(0.019)), 0);
    assert.equal(nudgeOf(c.update(-0.019)), 0);
    assert.equal(nudgeOf(c.update(0.03)), -0.03, 'media ahead: slower');
    assert.equal(c.nudging, true);
    assert.equal(nudgeOf(c.update(0.005)), 0, 'back within half the deadband: base speed');
    assert.equal(nudgeOf(c.update(-0.021)), 0.021, 'media behind: faster');
    assert.equal(nudgeOf(c.update(-0.2)), 0.05, 'at most 5 %');
    assert.equal(nudgeOf(c.update(-0.012)), 0.012, 'still correcting above half the deadband');
    assert.equal(nudgeOf(c.update(-0.011)), 0.011);
    assert.equal(nudgeOf(c.update(0.011)), 0, 'the drift changed sign: stop');
    assert.equal(nudgeOf(c.update(0.3)), 'seek');
    assert.equal(c.nudging, false);
    const small = new DriftController({ deadbandSeconds: 0.002, seekThresholdSeconds: 0.25 });
    assert.equal(nudgeOf(small.update(0.003)), -0.01, 'at least 1 %');
    assert.equal(nudgeOf(small.update(0.0234)), -0.025, 'in steps of 0.5 %');
    assert.equal(nudgeOf(small.update(0.0226)), -0.025);
    assert.equal(nudgeOf(small.update(0.0224)), -0.02);
  });

  it('bad options throw RangeError naming the range', () => {
    assert.throws(() => new DriftController({ deadbandSeconds: 0, seekThresholdSeconds: 1 }), /deadbandSeconds must be a finite number > 0/);
    assert.throws(() => new DriftController({ deadbandSeconds: 0.5, seekThresholdSeconds: 0.25 }), RangeError);
    assert.throws(() => new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, minNudge: 0.1, maxNudge: 0.05 }), RangeError);
    assert.throws(() => new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, maxNudge: 2 }), RangeError);
  });
});
