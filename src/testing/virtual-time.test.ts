// VirtualTime as users get it from `phaselock/testing`: a Clock and Timers that move only when
// told to, firing timers in time order (ties in creation order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIRTUAL_EPOCH_MICROS, VirtualTime } from './index.ts';

test('starts at a large non-zero epoch (or the given start) and stands still until advanced', () => {
  const vt = new VirtualTime();
  assert.equal(VIRTUAL_EPOCH_MICROS, 1_000_000_000_000);
  assert.equal(vt.micros(), VIRTUAL_EPOCH_MICROS);
  assert.equal(vt.micros(), VIRTUAL_EPOCH_MICROS, 'reading the clock does not move it');
  assert.equal(new VirtualTime(42).micros(), 42);
  vt.advance(1_500);
  assert.equal(vt.micros(), VIRTUAL_EPOCH_MICROS + 1_500);
  vt.advanceTo(VIRTUAL_EPOCH_MICROS + 10_000);
  assert.equal(vt.micros(), VIRTUAL_EPOCH_MICROS + 10_000);
  vt.advanceTo(VIRTUAL_EPOCH_MICROS);
  assert.equal(vt.micros(), VIRTUAL_EPOCH_MICROS + 10_000, 'time never runs backwards');
});

test('timers fire in time order, ties in creation order, each with the clock at its own time', () => {
  const vt = new VirtualTime(0);
  const fired: Array<[string, number]> = [];
  const at = (name: string, delay: number) => vt.setTimeout(() => fired.push([name, vt.micros()]), delay);
  at('c', 300);
  at('a', 100);
  at('b1', 200);
  at('b2', 200);
  at('b3', 200);
  at('z', 0);
  assert.deepEqual(fired, [], 'nothing fires before time is advanced, not even a 0 delay');
  assert.equal(vt.pending, 6);
  vt.advance(250);
  assert.deepEqual(fired, [['z', 0], ['a', 100], ['b1', 200], ['b2', 200], ['b3', 200]]);
  assert.equal(vt.micros(), 250, 'advance ends at the target, not at the last timer');
  assert.equal(vt.pending, 1);
  vt.advance(49);
  assert.equal(fired.length, 5, 'a timer due at 300 does not fire at 299');
  vt.advance(1);
  assert.deepEqual(fired.at(-1), ['c', 300]);
  assert.equal(vt.pending, 0);
});

test('delays are whole µs (rounded), a negative delay means now', () => {
  const vt = new VirtualTime(0);
  const fired: number[] = [];
  vt.setTimeout(() => fired.push(vt.micros()), 10.4);
  vt.setTimeout(() => fired.push(vt.micros()), 10.6);
  vt.setTimeout(() => fired.push(vt.micros()), -50);
  vt.advance(100);
  assert.deepEqual(fired, [0, 10, 11]);
});

test('a cancelled timer never fires and no longer counts as pending; cancelling twice or after firing is harmless', () => {
  const vt = new VirtualTime(0);
  const fired: string[] = [];
  const a = vt.setTimeout(() => fired.push('a'), 10);
  const b = vt.setTimeout(() => fired.push('b'), 10);
  // A timer cancelled by another one due at the same instant, before its turn.
  vt.setTimeout(() => { fired.push('c'); d.cancel(); }, 20);
  const d = vt.setTimeout(() => fired.push('d'), 20);
  a.cancel();
  a.cancel();
  assert.equal(vt.pending, 3);
  vt.advance(100);
  assert.deepEqual(fired, ['b', 'c']);
  b.cancel();
  assert.equal(vt.pending, 0);
});

test('timers armed from a timer fire within the same advance, in order, when due by its end', () => {
  const vt = new VirtualTime(0);
  const fired: Array<[string, number]> = [];
  vt.setTimeout(() => {
    fired.push(['outer', vt.micros()]);
    vt.setTimeout(() => fired.push(['zero', vt.micros()]), 0);
    vt.setTimeout(() => fired.push(['inner', vt.micros()]), 30);
    vt.setTimeout(() => fired.push(['beyond', vt.micros()]), 500);
  }, 10);
  vt.setTimeout(() => fired.push(['same-instant', vt.micros()]), 10);
  vt.advance(100);
  // The 0-delay timer is created after 'same-instant' (a tie at 10 µs): it runs after it.
  assert.deepEqual(fired, [['outer', 10], ['same-instant', 10], ['zero', 10], ['inner', 40]]);
  assert.equal(vt.pending, 1);
  // A timer that re-arms itself every 25 µs runs as often as the advance covers.
  let ticks = 0;
  const tick = () => { ticks++; vt.setTimeout(tick, 25); };
  vt.setTimeout(tick, 25);
  vt.advance(1000);
  assert.equal(ticks, 40);
});

test('advanceTo fires exactly what is due at or before the target', () => {
  const vt = new VirtualTime(1000);
  const fired: number[] = [];
  for (const d of [5, 10, 15]) vt.setTimeout(() => fired.push(vt.micros()), d);
  vt.advanceTo(1010);
  assert.deepEqual(fired, [1005, 1010]);
  assert.equal(vt.micros(), 1010);
});

test('runUntil advances in steps until the condition holds, or gives up after maxMicros', () => {
  const vt = new VirtualTime(0);
  let flag = false;
  vt.setTimeout(() => { flag = true; }, 4_321);
  assert.equal(vt.runUntil(() => flag, 10_000), true);
  // Checked between steps of 1 ms (the default): done at the end of the step it happened in.
  assert.equal(vt.micros(), 5_000);
  assert.equal(vt.runUntil(() => true, 10_000), true);
  assert.equal(vt.micros(), 5_000, 'already done: time does not move');
  assert.equal(vt.runUntil(() => false, 2_500, 1_000), false);
  assert.equal(vt.micros(), 7_500, 'gave up exactly maxMicros later (the last step shortened)');
  let n = 0;
  vt.setTimeout(() => { n = 1; }, 30);
  assert.equal(vt.runUntil(() => n === 1, 1_000, 7), true);
  assert.equal(vt.micros(), 7_535, 'with 7 µs steps');
});
