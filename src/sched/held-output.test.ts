// HeldOutput: a sink that acts at once made into a timestamped output that can withdraw what it
// was given — held until `aheadMicros` before each time, passed on in time order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTime } from '../testing/virtual-time.ts';
import { HeldOutput } from './held-output.ts';
import { sendsAhead } from './output-dispatcher.ts';

function held(options: ConstructorParameters<typeof HeldOutput>[3] = {}) {
  const vt = new VirtualTime();
  const got: Array<{ b: number; t: number; at: number }> = [];
  const out = new HeldOutput((data, t) => got.push({ b: data[0] as number, t, at: vt.micros() }), vt, vt, options);
  return { vt, out, got, t0: vt.micros() };
}

test('a timestamped output with cancelFrom: the dispatcher hands it messages ahead', () => {
  const { out } = held();
  assert.equal(out.acceptsFutureTimestamps, true);
  assert.equal(sendsAhead(out), true);
});

test('each message is passed on exactly when due, with its exact time, in time order (equal times in the order given)', () => {
  const { vt, out, got, t0 } = held();
  out.send(Uint8Array.of(3), t0 + 300);
  out.send(Uint8Array.of(1), t0 + 100);
  out.send(Uint8Array.of(4), t0 + 300);
  out.send(Uint8Array.of(2), t0 + 200);
  out.send(Uint8Array.of(5), t0 + 300);
  assert.deepEqual(got, [], 'nothing before its time');
  assert.equal(out.pending, 5);
  vt.advance(99);
  assert.deepEqual(got, []);
  vt.advance(1000);
  assert.deepEqual(got, [
    { b: 1, t: t0 + 100, at: t0 + 100 },
    { b: 2, t: t0 + 200, at: t0 + 200 },
    { b: 3, t: t0 + 300, at: t0 + 300 },
    { b: 4, t: t0 + 300, at: t0 + 300 },
    { b: 5, t: t0 + 300, at: t0 + 300 },
  ]);
  assert.equal(out.pending, 0);
  assert.equal(vt.pending, 0, 'no timer left behind');
});

test('a message due now or already late is passed on at once, with its own time', () => {
  const { vt, out, got, t0 } = held();
  out.send(Uint8Array.of(1), t0);
  out.send(Uint8Array.of(2), t0 - 5000);
  assert.deepEqual(got, [{ b: 1, t: t0, at: t0 }, { b: 2, t: t0 - 5000, at: t0 }]);
  assert.equal(vt.pending, 0);
});

test('aheadMicros passes messages on that long before their time', () => {
  const { vt, out, got, t0 } = held({ aheadMicros: 2000 });
  out.send(Uint8Array.of(1), t0 + 10_000);
  out.send(Uint8Array.of(2), t0 + 1_000); // already within the lead
  assert.deepEqual(got, [{ b: 2, t: t0 + 1_000, at: t0 }]);
  vt.advance(7_999);
  assert.equal(got.length, 1);
  vt.advance(1);
  assert.deepEqual(got[1], { b: 1, t: t0 + 10_000, at: t0 + 8_000 });
});

test('the bytes are copied when given: a caller may reuse its buffer', () => {
  const { vt, t0 } = held();
  const seen: number[][] = [];
  const copy = new HeldOutput((d) => seen.push([...d]), vt, vt);
  const buf = Uint8Array.of(0x90, 60, 100);
  copy.send(buf, t0 + 10);
  buf[1] = 61;
  vt.advance(20);
  assert.deepEqual(seen, [[0x90, 60, 100]]);
});

test('cancelFrom withdraws what is held for times ≥ t; what is before t, or already passed on, stays', () => {
  const { vt, out, got, t0 } = held();
  for (const [b, dt] of [[1, 100], [2, 200], [3, 300], [4, 400]] as const) out.send(Uint8Array.of(b), t0 + dt);
  vt.advance(150);
  out.cancelFrom(t0 + 300);
  assert.equal(out.pending, 1);
  out.cancelFrom(t0 + 50); // 1 went out already: nothing to take back
  assert.equal(out.pending, 0);
  vt.advance(1000);
  assert.deepEqual(got.map((g) => g.b), [1]);
  assert.equal(vt.pending, 0, 'the timer went with the withdrawn messages');
  // A note-off given after a withdrawal goes out in its place (a stop that ends a note early).
  out.send(Uint8Array.of(0x90), vt.micros() + 100);
  out.send(Uint8Array.of(0x80), vt.micros() + 500);
  vt.advance(200);
  out.cancelFrom(vt.micros() + 1);
  out.send(Uint8Array.of(0x80), vt.micros());
  vt.advance(1000);
  assert.deepEqual(got.slice(1).map((g) => g.b), [0x90, 0x80]);
});

test('a message earlier than everything held re-arms the timer for it', () => {
  const { vt, out, got, t0 } = held();
  out.send(Uint8Array.of(2), t0 + 1000);
  out.send(Uint8Array.of(1), t0 + 10);
  vt.advance(10);
  assert.deepEqual(got, [{ b: 1, t: t0 + 10, at: t0 + 10 }]);
  vt.advance(990);
  assert.deepEqual(got.map((g) => g.at - t0), [10, 1000]);
  assert.equal(vt.pending, 0);
});

test('drain resolves once everything held has been passed on (at once when nothing is held)', async () => {
  const { vt, out, got, t0 } = held();
  await out.drain();
  out.send(Uint8Array.of(1), t0 + 100);
  out.send(Uint8Array.of(2), t0 + 200);
  let drained = false;
  const d = out.drain().then(() => { drained = true; });
  vt.advance(150);
  await Promise.resolve();
  assert.equal(drained, false);
  vt.advance(50);
  await d;
  assert.equal(drained, true);
  assert.equal(got.length, 2);
  // Withdrawing what is held also completes a drain.
  out.send(Uint8Array.of(3), vt.micros() + 1_000_000);
  const w = out.drain();
  out.cancelFrom(0);
  await w;
});

test('flush passes on everything held now, whatever its time, in order', async () => {
  const { vt, out, got, t0 } = held();
  out.send(Uint8Array.of(2), t0 + 2000);
  out.send(Uint8Array.of(1), t0 + 1000);
  const d = out.drain();
  out.flush();
  assert.deepEqual(got, [{ b: 1, t: t0 + 1000, at: t0 }, { b: 2, t: t0 + 2000, at: t0 }]);
  await d;
  vt.advance(5000);
  assert.equal(got.length, 2, 'nothing twice');
  assert.equal(vt.pending, 0);
});

test('a sink that throws is reported to onError; the messages after it still go out', () => {
  const vt = new VirtualTime();
  const errors: unknown[] = [];
  const got: number[] = [];
  const out = new HeldOutput((d) => {
    if (d[0] === 2) throw new Error('device gone');
    got.push(d[0] as number);
  }, vt, vt, { onError: (e) => errors.push(e) });
  for (const b of [1, 2, 3]) out.send(Uint8Array.of(b), vt.micros() + b * 10);
  vt.advance(100);
  assert.deepEqual(got, [1, 3]);
  assert.match(String(errors[0]), /device gone/);
  assert.equal(errors.length, 1);
});
