import { test } from 'node:test';
import assert from 'node:assert/strict';
import { phaseErrorMicros, smoothTempo, tempoBandBpm } from './clock-link-maths.ts';

test('the tempo band is max(min step, factor × σ); a σ that is no number counts as 0', () => {
  assert.equal(tempoBandBpm(0.05, 2, 0.012), 0.05);
  assert.equal(tempoBandBpm(0.05, 2, 0.2), 0.4);
  assert.equal(tempoBandBpm(0.05, 2, undefined), 0.05);
  assert.equal(tempoBandBpm(0.05, 2, NaN), 0.05);
});

test("smoothing: a settled estimate's noise is averaged with the time constant; a step beyond 0.1 bpm and 3σ, or an estimate not settled, is taken at once", () => {
  const tau = 2_000_000;
  const a = smoothTempo(undefined, 120.04, 0.01, 0, tau, 0.025)!;
  assert.deepEqual(a, { bpm: 120.04, atMicros: 0 });
  const b = smoothTempo(a, 119.96, 0.01, 2_000_000, tau, 0.025)!;
  assert.ok(Math.abs(b.bpm - (120.04 - 0.08 * (1 - Math.exp(-1)))) < 1e-9, `${b.bpm}`);
  assert.equal(smoothTempo(b, 132, 0.01, 2_100_000, tau, 0.025)!.bpm, 132);
  assert.ok(smoothTempo(b, 120.08, 0.02, 2_100_000, tau, 0.025)!.bpm < 120.05, 'settled, within 0.1 bpm: smoothed');
  assert.equal(smoothTempo(b, 120.08, 0.04, 2_100_000, tau, 0.025)!.bpm, 120.08, 'not settled (σ 0.04): taken as it is');
  assert.equal(smoothTempo(b, 119.99, 0.01, 2_100_000, 0, 0.025)!.bpm, 119.99, 'time constant 0: no smoothing');
  assert.equal(smoothTempo(b, undefined, 0.01, 2_100_000, tau, 0.025), undefined);
});

test('phase error: Link minus song position modulo the quantum, wrapped to half a quantum, in µs', () => {
  assert.ok(Math.abs(phaseErrorMicros(8.01, 4, 4, 120) - 5000) < 1e-6);
  assert.ok(Math.abs(phaseErrorMicros(7.99, 4, 4, 120) + 5000) < 1e-6);
  assert.ok(Math.abs(phaseErrorMicros(-0.01, 39, 3, 60) + 10_000) < 1e-6, 'negative Link beats, quantum 3');
  assert.equal(phaseErrorMicros(2, 0, 4, 120), -1_000_000, 'half a quantum counts as behind');
});
