import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedBuckets, TokenBucket } from './rate-limit.ts';

test('a token bucket allows its burst, then its rate', () => {
  const b = new TokenBucket({ burst: 3, perSecond: 10 }, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  assert.equal(b.take(50_000), false, 'half a token after 50 ms');
  assert.equal(b.take(100_000), true, 'one token after 100 ms');
  assert.equal(b.take(10_000_000) && b.take(10_000_000) && b.take(10_000_000) && !b.take(10_000_000), true, 'refills to the burst, not beyond');
});

test('keyed buckets limit each key and all keys together, and forget the oldest keys', () => {
  const k = new KeyedBuckets({ burst: 2, perSecond: 1 }, { burst: 5, perSecond: 1 }, 3, 0);
  assert.deepEqual([k.take('a', 0), k.take('a', 0), k.take('a', 0)], [true, true, false]);
  assert.deepEqual([k.take('b', 0), k.take('b', 0), k.take('c', 0), k.take('d', 0)], [true, true, true, false], 'the global burst of 5 is spent');
  assert.ok(k.size <= 3, `at most 3 keys, have ${k.size}`);
});
