import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOIN_THRESHOLD_MICROS, shouldJoin } from './session-election.ts';

test('join rule: the older session wins; within ε the smaller id; exactly one side at ±ε', () => {
  const [lo, hi] = ['0000000000000001', 'ff00000000000000'];
  assert.equal(shouldJoin(JOIN_THRESHOLD_MICROS + 1, hi, lo), true, 'much older: join even with a larger id');
  assert.equal(shouldJoin(-JOIN_THRESHOLD_MICROS - 1, lo, hi), false, 'much younger: stay even with a smaller id');
  assert.equal(shouldJoin(1000, lo, hi), true);
  assert.equal(shouldJoin(1000, hi, lo), false);
  // At exactly ±ε both sides evaluate the tie-break: one joins, the other stays.
  const aJoinsB = shouldJoin(JOIN_THRESHOLD_MICROS, lo, hi);
  const bJoinsA = shouldJoin(-JOIN_THRESHOLD_MICROS, hi, lo);
  assert.notEqual(aJoinsB, bJoinsA);
});
