// Link on the Node runtime without the network (never enabled): atBeat/sync resolve at the
// scheduled beat, never before it; close is idempotent and disposal works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Link } from './link.ts';

test('atBeat resolves at the beat, not before, with the exact time in the result', async () => {
  await using link = new Link({ bpm: 240 });
  const s = link.captureAppSessionState();
  const target = Math.ceil(s.beatAtTime(link.clock.micros(), 4)) + 1;
  const r = await link.atBeat(target, { quantum: 4 });
  assert.equal(r.beat, target);
  assert.equal(r.timeMicros, s.timeAtBeat(target, 4));
  assert.ok(r.firedAtMicros >= r.timeMicros, `fired ${r.timeMicros - r.firedAtMicros} µs early`);
  assert.ok(r.lateMicros < 50_000, `late by ${r.lateMicros} µs`);
});

test('sync(1) resolves on the next whole beat', async () => {
  await using link = new Link({ bpm: 300 });
  const r = await link.sync(1);
  assert.equal(r.beat, Math.round(r.beat));
  assert.ok(r.firedAtMicros >= r.timeMicros);
});

test('close is idempotent and a closed Link cannot be enabled again', async () => {
  const link = new Link();
  await link.close();
  await link.close();
  assert.throws(() => link.enable(), /closed/);
});
