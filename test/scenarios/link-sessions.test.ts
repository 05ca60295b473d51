// Scenario tests of the Link peer on VirtualTime + FakeNetwork: no sleeping, no sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { phaseSpreadMicros, world } from './helpers.ts';

test('two peers discover each other and converge on one session and phase', () => {
  const w = world();
  const a = w.add({ clockOffsetMicros: 0 });
  const b = w.add({ clockOffsetMicros: 7_654_321 });
  a.link.enable();
  w.vt.advance(2_000_000);
  b.link.enable();
  assert.ok(w.vt.runUntil(w.converged, 2_000_000), 'peers see each other');
  w.vt.advance(1_000_000);
  assert.ok(phaseSpreadMicros(w) <= 1, `phase spread ${phaseSpreadMicros(w)} µs`);
  assert.deepEqual([a.warnings, b.warnings], [[], []]);
});

test('five peers converge', () => {
  const w = world();
  for (let i = 0; i < 5; i++) w.add({ clockOffsetMicros: i * 1_234_567 });
  w.peers.forEach((p, i) => { w.vt.advance(100_000 * i); p.link.enable(); });
  assert.ok(w.vt.runUntil(w.converged, 5_000_000), 'all see 4 peers');
  w.vt.advance(1_000_000);
  assert.ok(phaseSpreadMicros(w) <= 1, `phase spread ${phaseSpreadMicros(w)} µs`);
});
