import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTime } from '../testing/virtual-time.ts';
import { OutputDispatcher, sendsAhead, type ScheduledOutput } from './output-dispatcher.ts';
import { timerPreciseTimers } from './precise-timers.ts';
import { HostTimeScheduler } from './host-time-scheduler.ts';
import { WindowScheduler } from './window-scheduler.ts';

function recorder(vt: VirtualTime, acceptsFutureTimestamps: boolean) {
  const got: Array<{ t: number; at: number; b: number }> = [];
  const send = (d: Uint8Array, t: number) => { got.push({ t, at: vt.micros(), b: d[0] as number }); };
  const cancelled: number[] = [];
  const out: ScheduledOutput = acceptsFutureTimestamps
    ? { acceptsFutureTimestamps: true, send, cancelFrom: (t: number) => { cancelled.push(t); } }
    : { acceptsFutureTimestamps: false, send };
  return { got, out, cancelled };
}

test('instant outputs are called at each message time, in time order, equal times in delivery order', () => {
  const vt = new VirtualTime();
  const { got, out } = recorder(vt, false);
  const d = new OutputDispatcher(out, vt, timerPreciseTimers(vt, vt));
  const t = vt.micros();
  d.deliver(t + 300, Uint8Array.of(3));
  d.deliver(t + 100, Uint8Array.of(1));
  d.deliver(t + 300, Uint8Array.of(4));
  d.deliver(t - 50, Uint8Array.of(0)); // late: at once
  assert.deepEqual(got.map((g) => g.b), [0]);
  vt.advance(1000);
  assert.deepEqual(got, [
    { t: t - 50, at: t, b: 0 },
    { t: t + 100, at: t + 100, b: 1 },
    { t: t + 300, at: t + 300, b: 3 },
    { t: t + 300, at: t + 300, b: 4 },
  ]);
});

test('a "timestamped" output without cancelFrom is held until due: it could not take back a note-on', () => {
  const vt = new VirtualTime();
  const got: number[] = [];
  // A plain JavaScript object that claims future timestamps but cannot withdraw them.
  const out = { acceptsFutureTimestamps: true, send: (_d: Uint8Array, t: number) => { got.push(t - vt.micros()); } } as unknown as ScheduledOutput;
  const d = new OutputDispatcher(out, vt, timerPreciseTimers(vt, vt));
  d.deliver(vt.micros() + 5000, Uint8Array.of(0x90, 60, 100));
  assert.deepEqual(got, [], 'not handed over ahead');
  d.cancelFrom(vt.micros() + 1);
  d.deliver(vt.micros(), Uint8Array.of(0x80, 60, 0));
  vt.advance(10_000);
  assert.deepEqual(got, [0], 'only the note-off went out');
});

test('timestamped outputs get messages at once and withdraw them themselves; cancelFrom drops queued instant messages', () => {
  const vt = new VirtualTime();
  const ahead = recorder(vt, true);
  const da = new OutputDispatcher(ahead.out, vt, timerPreciseTimers(vt, vt));
  da.deliver(vt.micros() + 5000, Uint8Array.of(9));
  assert.deepEqual(ahead.got, [{ t: vt.micros() + 5000, at: vt.micros(), b: 9 }]);
  assert.equal(da.pending, 0, 'nothing waits here');
  assert.equal(da.cancelFrom(vt.micros() + 1000), 0, 'nothing was queued here');
  assert.deepEqual(ahead.cancelled, [vt.micros() + 1000], 'the withdrawal is passed to the output');
  const inst = recorder(vt, false);
  const d = new OutputDispatcher(inst.out, vt, timerPreciseTimers(vt, vt));
  d.deliver(vt.micros() + 100, Uint8Array.of(1));
  d.deliver(vt.micros() + 200, Uint8Array.of(2));
  assert.equal(d.cancelFrom(vt.micros() + 150), 1);
  vt.advance(1000);
  assert.deepEqual(inst.got.map((g) => g.b), [1]);
});

test('WindowScheduler windows are contiguous and reach now + lookahead, whatever the wake-up delays', () => {
  const vt = new VirtualTime();
  const windows: Array<{ fromMicros: number; toMicros: number; nowMicros: number }> = [];
  let delay = 0;
  const timers = { setTimeout: (fn: () => void, us: number) => vt.setTimeout(fn, us + (delay = (delay * 7 + 3) % 23) * 1000) };
  const ws = new WindowScheduler(vt, timers, (w) => windows.push(w), { lookaheadMicros: 30_000, intervalMicros: 10_000 });
  ws.start();
  vt.advance(2_000_000);
  ws.stop();
  assert.ok(windows.length > 50);
  for (let i = 1; i < windows.length; i++) assert.equal(windows[i]?.fromMicros, windows[i - 1]?.toMicros);
  for (const w of windows) assert.equal(w.toMicros, w.nowMicros + 30_000);
  assert.throws(() => new WindowScheduler(vt, vt, () => {}, { lookaheadMicros: 10, intervalMicros: 10 }), RangeError);
});

test('HostTimeScheduler hands host-µs messages out in windows with their exact times', () => {
  const vt = new VirtualTime();
  const { got, out } = recorder(vt, true);
  const s = new HostTimeScheduler({ clock: vt, timers: vt }, out).open();
  const t = vt.micros();
  s.schedule(t + 100_000, Uint8Array.of(1));
  const id = s.schedule(t + 200_000, Uint8Array.of(2));
  s.schedule(t + 10_000, Uint8Array.of(0)); // inside the handed-out window: at once
  assert.deepEqual(got.map((g) => g.b), [0]);
  assert.equal(s.cancel(id), true);
  vt.advance(300_000);
  assert.deepEqual(got.map((g) => [g.b, g.t]), [[0, t + 10_000], [1, t + 100_000]]);
  assert.ok((got[1]?.at as number) >= t + 70_000 && (got[1]?.at as number) < t + 100_000, 'handed out within the lookahead');
  s.close();
});

test('the contract: only an output that accepts future timestamps and can withdraw them is handed messages ahead', () => {
  const send = () => {};
  assert.equal(sendsAhead({ acceptsFutureTimestamps: true, send, cancelFrom: () => {} }), true);
  assert.equal(sendsAhead({ acceptsFutureTimestamps: true, send } as unknown as ScheduledOutput), false);
  assert.equal(sendsAhead({ acceptsFutureTimestamps: false, send }), false);
  assert.equal(sendsAhead({ acceptsFutureTimestamps: false, send, cancelFrom: () => {} } as unknown as ScheduledOutput), false);
});

test('a timestamped output without cancelFrom gets its exact times, in time order, each when due; what waits can be withdrawn', () => {
  const vt = new VirtualTime();
  const got: Array<[number, number, number]> = [];
  const out = { acceptsFutureTimestamps: true, send: (d: Uint8Array, t: number) => { got.push([d[0] as number, t, vt.micros()]); } } as unknown as ScheduledOutput;
  const d = new OutputDispatcher(out, vt, timerPreciseTimers(vt, vt));
  const t = vt.micros();
  d.deliver(t + 300, Uint8Array.of(3));
  d.deliver(t + 100, Uint8Array.of(1));
  d.deliver(t + 200, Uint8Array.of(2));
  d.deliver(t + 400, Uint8Array.of(4));
  assert.equal(d.pending, 4);
  vt.advance(250);
  assert.deepEqual(got, [[1, t + 100, t + 100], [2, t + 200, t + 200]]);
  assert.equal(d.cancelFrom(t + 350), 1, 'the message for 400 was withdrawn');
  vt.advance(1000);
  assert.deepEqual(got.map((g) => g[0]), [1, 2, 3]);
  assert.equal(d.pending, 0);
  assert.equal(vt.pending, 0, 'no timer left armed');
});

test('a late message never overtakes one still waiting for an earlier time', () => {
  const vt = new VirtualTime();
  const { got, out } = recorder(vt, false);
  // Precise timers that fire late: a message stays queued past its time.
  const lateTimers = { callAt: (fn: () => void, at: number) => vt.setTimeout(fn, at - vt.micros() + 500) };
  const d = new OutputDispatcher(out, vt, lateTimers);
  const t = vt.micros();
  d.deliver(t + 100, Uint8Array.of(1));
  vt.advance(300); // due, not sent yet
  assert.equal(got.length, 0);
  d.deliver(t + 250, Uint8Array.of(2)); // due too, but after the waiting one
  assert.equal(got.length, 0, 'not sent ahead of the one waiting');
  vt.advance(1000);
  assert.deepEqual(got.map((g) => [g.b, g.t]), [[1, t + 100], [2, t + 250]]);
});

test('flush sends what waits now, in order; close forgets what waits and ignores later deliveries', () => {
  const vt = new VirtualTime();
  const { got, out } = recorder(vt, false);
  const d = new OutputDispatcher(out, vt, timerPreciseTimers(vt, vt));
  const t = vt.micros();
  d.deliver(t + 200, Uint8Array.of(2));
  d.deliver(t + 100, Uint8Array.of(1));
  d.flush();
  assert.deepEqual(got, [{ t: t + 100, at: t, b: 1 }, { t: t + 200, at: t, b: 2 }]);
  d.deliver(t + 300, Uint8Array.of(3));
  d.close();
  d.deliver(t, Uint8Array.of(4));
  vt.advance(1000);
  assert.deepEqual(got.map((g) => g.b), [1, 2]);
  assert.equal(vt.pending, 0);
});

test('an output that throws is reported to onError and the messages after it still go out; drain awaits the output\'s drain', async () => {
  const vt = new VirtualTime();
  const errors: unknown[] = [];
  const sent: number[] = [];
  let drained = 0;
  const out: ScheduledOutput = {
    acceptsFutureTimestamps: false,
    send: (data) => {
      if (data[0] === 2) throw new Error('port vanished');
      sent.push(data[0] as number);
    },
    drain: async () => { drained++; },
  };
  const d = new OutputDispatcher(out, vt, timerPreciseTimers(vt, vt), (e) => errors.push(e));
  for (const b of [1, 2, 3]) d.deliver(vt.micros() + b * 10, Uint8Array.of(b));
  vt.advance(100);
  assert.deepEqual(sent, [1, 3]);
  assert.match(String(errors[0]), /port vanished/);
  await d.drain();
  assert.equal(drained, 1);
  const failing = new OutputDispatcher({ ...out, drain: () => Promise.reject(new Error('drain failed')) }, vt, timerPreciseTimers(vt, vt), (e) => errors.push(e));
  await failing.drain();
  assert.match(String(errors.at(-1)), /drain failed/, 'a failing drain is reported, not thrown');
  await new OutputDispatcher({ acceptsFutureTimestamps: false, send: () => {} }, vt, timerPreciseTimers(vt, vt)).drain();
});
