// RtpOutput alone: holding, batching, withdrawing, draining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTime } from '../testing/virtual-time.ts';
import { RtpOutput, type TimedMessage } from './rtp-output.ts';

function output(options = {}) {
  const vt = new VirtualTime();
  const batches: Array<{ at: number; batch: TimedMessage[] }> = [];
  const out = new RtpOutput(vt, vt, (batch) => batches.push({ at: vt.micros(), batch }), options);
  return { vt, out, batches, t0: vt.micros() };
}

test('sends due now, given in one turn, go out together at the end of that turn (no timer: no millisecond late)', async () => {
  const { vt, out, batches, t0 } = output();
  for (let i = 0; i < 100; i++) out.send(Uint8Array.of(0xf8), t0);
  assert.equal(batches.length, 0, 'not inside send()');
  await Promise.resolve();
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.batch.length, 100);
  assert.equal(batches[0]!.at, t0, 'at the same virtual instant: no timer was needed');
  assert.equal(vt.pending, 0);
});

test('a message is held until sendAhead before its time; later ones within the window join it', () => {
  const { vt, out, batches, t0 } = output({ sendAheadMicros: 10_000, coalesceMicros: 1_000 });
  out.send(Uint8Array.of(0x90, 1, 1), t0 + 50_000);
  out.send(Uint8Array.of(0x90, 2, 1), t0 + 50_900);
  out.send(Uint8Array.of(0x90, 3, 1), t0 + 52_000);
  vt.advance(39_999);
  assert.equal(batches.length, 0);
  vt.advance(1);
  assert.deepEqual(batches.map((b) => [b.at - t0, b.batch.map((m) => m.data[1])]), [[40_000, [1, 2]]]);
  vt.advance(2_000);
  assert.deepEqual(batches.map((b) => [b.at - t0, b.batch.map((m) => m.data[1])]), [[40_000, [1, 2]], [42_000, [3]]]);
  assert.equal(out.withdrawLeadMicros, 11_000);
});

test('cancelFrom withdraws what is held from that time on; drain resolves when nothing is held; close drops the rest', async () => {
  const { vt, out, batches, t0 } = output({ sendAheadMicros: 0 });
  out.send(Uint8Array.of(0x90, 1, 1), t0 + 1_000);
  out.send(Uint8Array.of(0x90, 2, 1), t0 + 2_000);
  out.send(Uint8Array.of(0x90, 3, 1), t0 + 3_000);
  out.cancelFrom(t0 + 2_000);
  assert.equal(out.pending, 1);
  let drained = false;
  void out.drain().then(() => (drained = true));
  vt.advance(5_000);
  await Promise.resolve();
  assert.ok(drained);
  assert.deepEqual(batches.flatMap((b) => b.batch.map((m) => m.data[1])), [1]);
  out.send(Uint8Array.of(0x90, 4, 1), t0 + 100_000);
  out.close();
  out.send(Uint8Array.of(0x90, 5, 1), t0);
  vt.advance(200_000);
  assert.deepEqual(batches.flatMap((b) => b.batch.map((m) => m.data[1])), [1]);
  assert.throws(() => new RtpOutput(vt, vt, () => undefined, { sendAheadMicros: 2_000_000 }), RangeError);
});
