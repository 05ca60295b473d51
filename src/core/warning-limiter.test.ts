import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WarningLimiter } from './warning-limiter.ts';

test('at most N warnings a second, then a count of what was suppressed', () => {
  const w = new WarningLimiter(3);
  const out = [0, 1, 2, 3, 4, 5].map((i) => w.admit(`m${i}`, 1_000_000 + i));
  assert.deepEqual(out, ['m0', 'm1', 'm2', undefined, undefined, undefined]);
  assert.equal(w.admit('next', 2_000_001), 'next (3 similar warnings suppressed)');
  assert.equal(w.admit('again', 2_000_002), 'again');
});
