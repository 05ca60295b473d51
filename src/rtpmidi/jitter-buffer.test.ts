// JitterBuffer alone: playout at time + depth, in order, with bounds a stranger cannot stretch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTime } from '../testing/virtual-time.ts';
import type { MidiInputEvent } from '../midi/input.ts';
import { JitterBuffer } from './jitter-buffer.ts';

const ev = (timeMicros: number, b: number): MidiInputEvent => ({ data: Uint8Array.of(b), timeMicros, receivedAtMicros: timeMicros });

test('messages are delivered at their time + depth, in time order; late ones at once', () => {
  const vt = new VirtualTime();
  const out: Array<[number, number]> = [];
  const jb = new JitterBuffer(vt, vt, (e) => out.push([vt.micros(), e.data[0]!]), { depthMicros: 5_000 });
  const t = vt.micros();
  jb.push(ev(t + 2_000, 2));
  jb.push(ev(t + 1_000, 1));
  jb.push(ev(t - 10_000, 0)); // its playout time has passed
  vt.advance(0);
  assert.deepEqual(out, [[t, 0]]);
  vt.advance(10_000);
  assert.deepEqual(out, [[t, 0], [t + 6_000, 1], [t + 7_000, 2]]);
});

test('a timestamp far in the future is held at most maxHoldMicros, and the buffer at most maxMessages', () => {
  const vt = new VirtualTime();
  const out: number[] = [];
  const jb = new JitterBuffer(vt, vt, (e) => out.push(e.data[0]!), { depthMicros: 1_000, maxHoldMicros: 50_000, maxMessages: 2 });
  const t = vt.micros();
  jb.push(ev(t + 3_600_000_000, 1));
  jb.push(ev(t + 10_000, 2));
  jb.push(ev(t + 20_000, 3)); // over the bound: the earliest goes out now
  assert.deepEqual(out, [2]);
  assert.equal(jb.pending, 2);
  vt.advance(50_000);
  assert.deepEqual(out, [2, 3, 1]);
  assert.throws(() => new JitterBuffer(vt, vt, () => undefined, { depthMicros: -1 }), RangeError);
});

test('with the runtime\'s precise timers, playout is asked for the exact instant (callAt), not a ms-grained timeout', () => {
  const vt = new VirtualTime();
  const calls: number[] = [];
  const precise = {
    callAt: (fn: () => void, atMicros: number) => {
      calls.push(atMicros);
      return vt.setTimeout(fn, atMicros - vt.micros());
    },
  };
  const out: number[] = [];
  const jb = new JitterBuffer(vt, vt, () => out.push(vt.micros()), { depthMicros: 5_000 }, precise);
  const t = vt.micros();
  jb.push(ev(t + 1_234, 1));
  assert.deepEqual(calls, [t + 6_234]);
  vt.advance(6_234);
  assert.deepEqual(out, [t + 6_234]);
});
