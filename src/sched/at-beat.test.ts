import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkPeer } from '../link/link-peer.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { atBeat, sync, type BeatArrival } from './at-beat.ts';

function offline(bpm = 120) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const link = new LinkPeer(net.addHost({ name: 'a' }).runtime, { bpm });
  return { vt, link };
}

/** Runs virtual time until the promise settles. */
async function settle<T>(vt: VirtualTime, p: Promise<T>, maxMicros = 60_000_000): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let t = 0; t < maxMicros && !done; t += 1_000) {
    vt.advance(1_000);
    await Promise.resolve();
  }
  return p;
}

test('atBeat resolves exactly at the beat on VirtualTime, with its scheduled time', async () => {
  const { vt, link } = offline(120);
  const s = link.captureAppSessionState();
  const target = Math.ceil(s.beatAtTime(vt.micros(), 4)) + 3;
  let firedAt = 0;
  const p = atBeat(link, target, { quantum: 4 }).then((r) => { firedAt = vt.micros(); return r; });
  const r: BeatArrival = await settle(vt, p);
  assert.equal(r.timeMicros, s.timeAtBeat(target, 4));
  assert.equal(r.firedAtMicros, r.timeMicros);
  assert.equal(r.lateMicros, 0);
  assert.equal(firedAt, r.timeMicros);
});

test('atBeat follows a tempo change made while it waits', async () => {
  const { vt, link } = offline(120);
  const s0 = link.captureAppSessionState();
  const target = Math.ceil(s0.beatAtTime(vt.micros(), 4)) + 8;
  const p = atBeat(link, target);
  vt.advance(1_000_000);
  const s = link.captureAppSessionState();
  s.setTempo(60, vt.micros());
  link.commitAppSessionState(s);
  const r = await settle(vt, p);
  assert.equal(r.timeMicros, link.captureAppSessionState().timeAtBeat(target, 4));
  assert.notEqual(r.timeMicros, s0.timeAtBeat(target, 4));
  assert.equal(r.lateMicros, 0);
});

test('sync(4) resolves on the next bar, sync(1, { offset: 0.5 }) on the next off-beat', async () => {
  const { vt, link } = offline(100);
  vt.advance(777_777);
  const bar = await settle(vt, sync(link, 4));
  const s = link.captureAppSessionState();
  assert.equal(s.phaseAtTime(bar.timeMicros, 4), 0);
  assert.equal(bar.beat % 4, 0);
  const off = await settle(vt, sync(link, 1, { offset: 0.5 }));
  assert.equal(off.beat, bar.beat + 0.5);
  assert.throws(() => sync(link, 0), RangeError);
});

test('a beat already past resolves at once with lateMicros; abort rejects and leaves no timer', async () => {
  const { vt, link } = offline(120);
  const r = await atBeat(link, -1000);
  assert.ok(r.lateMicros > 0);
  const ac = new AbortController();
  const pending = vt.pending;
  const p = atBeat(link, 1e6, { signal: ac.signal });
  ac.abort(new Error('no longer needed'));
  await assert.rejects(p, /no longer needed/);
  assert.equal(vt.pending, pending);
  assert.equal(link.listenerCount('tempo'), 0);
});
