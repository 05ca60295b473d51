import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTime } from '../testing/virtual-time.ts';
import { HostTimeScheduler } from './host-time-scheduler.ts';
import type { TimestampedOutput } from './output-dispatcher.ts';

/** A receiver behind a timestamped output: plays what it was given at its time, unless withdrawn. */
function receiver(vt: VirtualTime) {
  let queued: Array<{ t: number; d: Uint8Array }> = [];
  const heard: Array<{ t: number; d: number[] }> = [];
  const out: TimestampedOutput & { drain(): Promise<void> } = {
    acceptsFutureTimestamps: true,
    send: (d, t) => { queued.push({ t: Math.max(t, vt.micros()), d }); },
    cancelFrom: (from) => { queued = queued.filter((q) => q.t < from); },
    drain: async () => { play(Infinity); },
  };
  const play = (until: number) => {
    queued.sort((a, b) => a.t - b.t);
    while (queued.length && (queued[0] as { t: number }).t <= until) {
      const q = queued.shift() as { t: number; d: Uint8Array };
      heard.push({ t: q.t, d: [...q.d] });
    }
  };
  return { out, heard, play, get queued() { return queued.length; } };
}

/** Notes still sounding after everything heard. */
function sounding(heard: Array<{ d: number[] }>): number[] {
  const on = new Set<number>();
  for (const { d } of heard) {
    if ((((d[0] as number) & 0xf0)) === 0x90 && (d[2] as number) > 0) on.add(d[1] as number);
    else if ((((d[0] as number) & 0xf0)) === 0x80 || (((d[0] as number) & 0xf0)) === 0x90) on.delete(d[1] as number);
  }
  return [...on];
}

test('HostTimeScheduler: nothing runs before open(); messages scheduled before are handed out once opened', () => {
  const vt = new VirtualTime();
  const r = receiver(vt);
  const s = new HostTimeScheduler({ clock: vt, timers: vt }, r.out);
  s.schedule(vt.micros() + 5_000, Uint8Array.of(0x90, 60, 100));
  vt.advance(100_000);
  assert.equal(r.queued + r.heard.length, 0, 'not opened: nothing handed out');
  assert.equal(vt.pending, 0, 'no timer armed by the constructor');
  s.open();
  assert.equal(r.queued, 1, 'a late message goes out on the first window');
  void s.close();
});

test('HostTimeScheduler.close(): a note-on already handed out never outlives its note-off scheduled further ahead', async () => {
  const vt = new VirtualTime();
  const r = receiver(vt);
  const s = new HostTimeScheduler({ clock: vt, timers: vt }, r.out, { lookaheadMicros: 30_000, intervalMicros: 10_000 }).open();
  const t = vt.micros();
  s.schedule(t + 15_000, Uint8Array.of(0x90, 60, 100)); // inside the first window: handed out ahead
  s.schedule(t + 500_000, Uint8Array.of(0x80, 60, 0)); // far ahead: not handed out yet
  s.schedule(t + 20_000, Uint8Array.of(0x90, 62, 100));
  s.schedule(t + 25_000, Uint8Array.of(0x80, 62, 0)); // handed out ahead too
  vt.advance(1_000);
  r.play(vt.micros());
  await s.close();
  r.play(Infinity);
  assert.deepEqual(sounding(r.heard), [], `nothing left sounding: ${JSON.stringify(r.heard)}`);
  const closedAt = vt.micros();
  assert.ok(r.heard.every((h) => h.t <= closedAt), 'nothing plays after close');
  assert.deepEqual(r.heard.map((h) => h.d), [[0x80, 62, 0], [0x80, 60, 0]], 'the withdrawn note-ons never play; the owed note-offs go out at close');
});

test('HostTimeScheduler: schedule or open after close throws E_CLOSED; close is idempotent and leaves no timer', async () => {
  const vt = new VirtualTime();
  const r = receiver(vt);
  const s = new HostTimeScheduler({ clock: vt, timers: vt }, r.out).open();
  await s.close();
  await s.close();
  assert.equal(s.closed, true);
  assert.equal(vt.pending, 0);
  assert.throws(() => s.schedule(vt.micros() + 1, Uint8Array.of(0xf8)), { name: 'PhaselockError', code: 'E_CLOSED' });
  assert.throws(() => s.open(), { code: 'E_CLOSED' });
});
