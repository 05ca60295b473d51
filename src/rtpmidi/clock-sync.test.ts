// ClockSyncer alone: the exchange from both sides, plausibility, and the mapping of 32-bit RTP
// timestamps (with their wrap) to host time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTime } from '../testing/virtual-time.ts';
import { ClockSyncer, sessionTicks, type CkCommand, type ClockSync } from './clock-sync.ts';

function syncer(vt: VirtualTime, options = {}) {
  const sent: CkCommand[] = [];
  const syncs: ClockSync[] = [];
  const warnings: string[] = [];
  const missed: number[] = [];
  const s = new ClockSyncer(vt, vt, 0xabc, {
    send: (c) => sent.push(c),
    onSync: (x) => syncs.push(x),
    onMissed: (n) => missed.push(n),
    warn: (m) => warnings.push(m),
  }, options);
  return { s, sent, syncs, warnings, missed };
}

test('the initiator completes an exchange from CK1: latency is half the round trip, offset remote minus ours', () => {
  const vt = new VirtualTime();
  const { s, sent, syncs } = syncer(vt);
  s.start();
  const ck0 = sent[0]!;
  assert.equal(ck0.count, 0);
  assert.equal(ck0.timestamps[0], sessionTicks(vt.micros()));
  vt.advance(3_000); // the round trip
  const remoteTicks = 1_000_000; // the remote read 100 s at the midpoint
  s.receive({ kind: 'CK', ssrc: 1, count: 1, timestamps: [ck0.timestamps[0], remoteTicks, 0] }, vt.micros());
  const ck2 = sent[1]!;
  assert.equal(ck2.count, 2);
  assert.deepEqual(ck2.timestamps.slice(0, 2), [ck0.timestamps[0], remoteTicks]);
  assert.equal(syncs.length, 1);
  assert.equal(syncs[0]!.latencyMicros, 1_500);
  assert.equal(syncs[0]!.offsetMicros, remoteTicks * 100 - (vt.micros() - 1_500));
  s.stop();
});

test('the responder answers CK0 with CK1 and completes from CK2', () => {
  const vt = new VirtualTime();
  const { s, sent, syncs } = syncer(vt);
  s.receive({ kind: 'CK', ssrc: 1, count: 0, timestamps: [500, 0, 0] }, vt.micros());
  const ck1 = sent[0]!;
  assert.equal(ck1.count, 1);
  assert.equal(ck1.timestamps[0], 500);
  const t2 = vt.micros();
  s.receive({ kind: 'CK', ssrc: 1, count: 2, timestamps: [500, ck1.timestamps[1], 540] }, vt.micros());
  assert.equal(syncs.length, 1);
  assert.equal(syncs[0]!.latencyMicros, 2_000);
  assert.equal(syncs[0]!.offsetMicros, 520 * 100 - t2);
});

test('replies that answer nothing of ours, and absurd timestamps, are ignored with a warning', () => {
  const vt = new VirtualTime();
  const { s, syncs, warnings } = syncer(vt);
  s.receive({ kind: 'CK', ssrc: 1, count: 1, timestamps: [12345, 1, 0] }, vt.micros());
  s.receive({ kind: 'CK', ssrc: 1, count: 2, timestamps: [1, 777, 2] }, vt.micros());
  s.receive({ kind: 'CK', ssrc: 1, count: 0, timestamps: [Number.MAX_SAFE_INTEGER, 0, 0] }, vt.micros());
  assert.equal(syncs.length, 0);
  assert.equal(warnings.length, 3);
});

test('three unanswered CK0 in a row are reported, each retried sooner than the steady interval', () => {
  const vt = new VirtualTime();
  const { s, sent, missed } = syncer(vt, { burstCount: 1, intervalMicros: 10_000_000, replyTimeoutMicros: 2_000_000, burstIntervalMicros: 1_500_000 });
  s.start();
  vt.advance(11_000_000);
  assert.deepEqual(missed, [1, 2, 3]);
  assert.equal(sent.length, 4);
  s.stop();
});

test('RTP timestamps map to host time through the offset, across the 32-bit wrap', () => {
  const vt = new VirtualTime();
  const { s, sent } = syncer(vt);
  s.start();
  vt.advance(1_000);
  // The remote clock reads just below 2^32 ticks.
  const remoteNow = 2 ** 32 - 5;
  s.receive({ kind: 'CK', ssrc: 1, count: 1, timestamps: [sent[0]!.timestamps[0], remoteNow, 0] }, vt.micros());
  s.stop();
  const offset = s.current!.offsetMicros;
  const now = vt.micros();
  // 10 ticks later on the remote clock: wrapped to 5.
  assert.equal(s.remoteToHost(5, now), (2 ** 32 + 5) * 100 - offset);
  // 10 ticks earlier: no wrap.
  assert.equal(s.remoteToHost(2 ** 32 - 15, now), (2 ** 32 - 15) * 100 - offset);
  assert.equal(new ClockSyncer(vt, vt, 1, { send() {}, onSync() {}, onMissed() {}, warn() {} }).remoteToHost(5, now), undefined);
});

test('a reply dated before our CK0 left (the runtime dates datagrams back over a busy loop) counts as instant, not implausible', () => {
  const vt = new VirtualTime();
  const { s, sent, syncs, warnings } = syncer(vt);
  s.start();
  const ck0 = sent[0]!;
  const sentAt = vt.micros();
  vt.advance(200);
  // Received 300 µs "before" it was sent: the receive time was corrected for a busy event loop.
  s.receive({ kind: 'CK', ssrc: 1, count: 1, timestamps: [ck0.timestamps[0], 1_000_000, 0] }, sentAt - 300);
  assert.deepEqual(warnings, []);
  assert.equal(syncs.length, 1, 'the first exchange is used');
  assert.equal(syncs[0]!.latencyMicros, 0);
  assert.equal(syncs[0]!.offsetMicros, 1_000_000 * 100 - sentAt);
  s.stop();
});
