// The drift rule: deadband, proportional nudge with bounds and hysteresis, seek beyond the threshold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftController } from './drift-controller.ts';

const nudgeOf = (a: ReturnType<DriftController['update']>) => (a.kind === 'nudge' ? Math.round(a.nudge * 10_000) / 10_000 : 'seek');

describe('DriftController', () => {
  it('leaves drift within the deadband, nudges against it beyond (1–5 %, proportional, held), seeks beyond the threshold', () => {
    const c = new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, nudgeStep: 0, gainPerSecond: 1 });
    assert.equal(nudgeOf(c.update(0.019)), 0);
    assert.equal(nudgeOf(c.update(-0.019)), 0);
    assert.equal(nudgeOf(c.update(0.03)), -0.03, 'media ahead: slower');
    assert.equal(c.nudging, true);
    assert.equal(nudgeOf(c.update(0.005)), 0, 'back within half the deadband: base speed');
    assert.equal(nudgeOf(c.update(-0.021)), 0.021, 'media behind: faster');
    assert.equal(nudgeOf(c.update(-0.2)), 0.05, 'at most 5 %');
    assert.equal(nudgeOf(c.update(-0.012)), 0.05, 'held while correcting, above half the deadband: a change of speed costs a step');
    assert.equal(nudgeOf(c.update(-0.011)), 0.05);
    assert.equal(nudgeOf(c.update(0.011)), 0, 'the drift changed sign: stop');
    assert.equal(nudgeOf(c.update(0.3)), 'seek');
    assert.equal(c.nudging, false);
    const small = new DriftController({ deadbandSeconds: 0.002, seekThresholdSeconds: 0.25, gainPerSecond: 1 });
    assert.equal(nudgeOf(small.update(0.003)), -0.01, 'at least 1 %');
    assert.equal(nudgeOf(small.update(0.0234)), -0.025, 'in steps of 0.5 %');
    assert.equal(nudgeOf(small.update(0.0226)), -0.025);
    assert.equal(nudgeOf(small.update(0.0224)), -0.025, 'held: a nudge does not shrink during a correction');
    const grow = new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, gainPerSecond: 1 });
    assert.equal(nudgeOf(grow.update(0.021)), -0.02);
    assert.equal(nudgeOf(grow.update(0.035)), -0.02, 'within twice the deadband: held');
    assert.equal(nudgeOf(grow.update(0.045)), -0.045, 'beyond it: it grows');
  });

  it('bad options throw RangeError naming the range', () => {
    assert.throws(() => new DriftController({ deadbandSeconds: 0, seekThresholdSeconds: 1 }), /deadbandSeconds must be a finite number > 0/);
    assert.throws(() => new DriftController({ deadbandSeconds: 0.5, seekThresholdSeconds: 0.25 }), RangeError);
    assert.throws(() => new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, minNudge: 0.1, maxNudge: 0.05 }), RangeError);
    assert.throws(() => new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, maxNudge: 2 }), RangeError);
  });

  it('a steady difference of rate (the transport 0.5 % fast) becomes the trim after one correction; then corrections are rare', () => {
    // The media player: its position runs at (1 + commanded) against a transport at 1.005; each
    // change of speed moves it by the change × 300 ms (the audio mpv holds in its buffer).
    const c = new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25 });
    let drift = 0;
    let speed = 0;
    let changes = 0;
    let worst = 0;
    for (let t = 0; t <= 120; t += 0.25) {
      const a = c.update(drift, t);
      assert.equal(a.kind, 'nudge');
      const next = a.kind === 'nudge' ? a.nudge : 0;
      if (next !== speed) {
        changes++;
        drift -= (next - speed) * 0.3;
        speed = next;
      }
      if (t > 10) worst = Math.max(worst, Math.abs(drift));
      drift += (speed - 0.005) * 0.25;
    }
    assert.ok(Math.abs(c.trim - 0.005) < 0.0015, `trim ${c.trim}`);
    assert.ok(worst < 0.04, `worst drift after 10 s: ${worst} s (one frame at 25 fps: 0.04)`);
    assert.ok(changes <= 8, `${changes} changes of speed in 2 minutes`);
  });

  it('without update times there is no trim; a seek and reset() keep the trim; maxTrim bounds it', () => {
    const plain = new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25 });
    for (const d of [0.03, 0.02, 0.005]) plain.update(d);
    assert.equal(plain.trim, 0);
    const c = new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25 });
    c.update(0, 0);
    c.update(-0.021, 4); // media behind: +1 % (the default gain: 0.5 per second of drift)
    c.update(-0.009, 5); // back within half the deadband: over the 5 s it needed (0.01 × 1 s + 0.009 s) / 5 s
    assert.ok(Math.abs(c.trim - 0.0038) < 1e-9, `${c.trim}`);
    assert.equal(nudgeOf(c.update(0.3, 6)), 'seek');
    assert.ok(c.trim > 0);
    c.reset();
    assert.equal(nudgeOf(c.update(0, 7)), 0.0038, 'the trim is in every command');
    const capped = new DriftController({ deadbandSeconds: 0.02, seekThresholdSeconds: 0.25, maxTrim: 0.004 });
    capped.update(0, 0);
    capped.update(-0.021, 2);
    capped.update(-0.005, 3);
    assert.equal(capped.trim, 0.004, 'a rate beyond maxTrim is a tempo problem, not clock drift');
  });
});
