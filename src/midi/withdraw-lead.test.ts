// An output that sends from another thread (the timing thread) cannot take back what is due
// within its withdraw lead: it may be on its way already. Closing a player must then end what
// stays, after it — and when the closing thread stalls past the lead, end what it tried to
// withdraw as well (a stray note-off is harmless, a hanging note is not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../core/runtime.ts';
import { LocalTimeline } from '../sched/local-timeline.ts';
import type { TimestampedOutput } from '../sched/output-dispatcher.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { MidiClockOut } from './clock-out.ts';
import { LinkSequencer } from './sequencer.ts';

const LEAD = 1_000;

/**
 * A receiver behind an output that keeps whatever is due within `inFlight` µs of a withdrawal
 * (it was already sent). `stall` µs pass on the clock during each `cancelFrom` (a GC pause).
 */
function threadedReceiver(vt: VirtualTime, inFlight: number, stall = 0) {
  let extra = 0;
  const clock: Clock = { micros: () => vt.micros() + extra };
  let queued: Array<{ t: number; d: number[]; seq: number }> = [];
  let seq = 0;
  const out: TimestampedOutput = {
    acceptsFutureTimestamps: true,
    withdrawLeadMicros: LEAD,
    send: (d, t) => { queued.push({ t, d: [...d], seq: seq++ }); },
    cancelFrom: (from) => {
      extra += stall;
      const sentUpTo = clock.micros() + inFlight;
      queued = queued.filter((q) => q.t < from || q.t <= sentUpTo);
    },
  };
  /** What the receiver played, in time order (equal times in the order given). */
  const played = () => [...queued].sort((a, b) => a.t - b.t || a.seq - b.seq).map((q) => q.d);
  return { out, clock, played };
}

function sounding(played: number[][]): string[] {
  const on = new Set<string>();
  for (const d of played) {
    const hi = (d[0] as number) & 0xf0;
    const key = `${(d[0] as number) & 0x0f}:${d[1]}`;
    if (hi === 0x90 && (d[2] as number) > 0) on.add(key);
    else if (hi === 0x80 || hi === 0x90) on.delete(key);
  }
  return [...on];
}

test('closing just before a note-on the output can no longer withdraw: the note still ends, after it', async () => {
  const vt = new VirtualTime();
  const r = threadedReceiver(vt, 800);
  const timeline = new LocalTimeline({ clock: r.clock, timers: vt, bpm: 120 });
  const seq = new LinkSequencer(timeline, r.out, { lookaheadMicros: 100_000, intervalMicros: 10_000 }).open();
  for (let b = 0; b < 8; b++) seq.scheduleNote(b, 1, 60 + b, 100, 0.5);
  const downbeat = seq.start();
  // The note-on of beat 2 is at downbeat + 1 s; close 400 µs before it.
  vt.advanceTo(downbeat + 1_000_000 - 400);
  await seq.close();
  const played = r.played();
  assert.ok(played.some((d) => d[0] === 0x90 && d[1] === 62), 'the note-on in flight was played');
  assert.deepEqual(sounding(played), [], 'and it was ended after it');
});

test('a close that stalls past the withdraw lead ends everything it tried to withdraw, too', async () => {
  const vt = new VirtualTime();
  const r = threadedReceiver(vt, 800, 5_000);
  const timeline = new LocalTimeline({ clock: r.clock, timers: vt, bpm: 120 });
  const seq = new LinkSequencer(timeline, r.out, { lookaheadMicros: 100_000, intervalMicros: 10_000 }).open();
  for (let b = 0; b < 8; b++) seq.scheduleNote(b, 1, 60 + b, 100, 0.5);
  const downbeat = seq.start();
  vt.advanceTo(downbeat + 1_000_000 - 3_000); // the note-on is 3 ms away, inside the 5 ms stall
  await seq.close();
  const played = r.played();
  assert.ok(played.some((d) => d[0] === 0x90 && d[1] === 62), 'the stall let the note-on go out');
  assert.deepEqual(sounding(played), [], 'it was ended anyway');
});

test('the MIDI clock closing within the lead of its Start still leaves the receiver stopped', async () => {
  const vt = new VirtualTime();
  const r = threadedReceiver(vt, 800);
  const timeline = new LocalTimeline({ clock: r.clock, timers: vt, bpm: 120 });
  const clock = new MidiClockOut(timeline, r.out, { lookaheadMicros: 100_000, intervalMicros: 10_000 }).open();
  const downbeat = clock.start();
  vt.advanceTo(downbeat - 300);
  await clock.close();
  const transport = r.played().filter((d) => d[0] === 0xfa || d[0] === 0xfb || d[0] === 0xfc).map((d) => d[0]);
  assert.equal(transport[0], 0xfa, 'the Start in flight went out');
  assert.equal(transport.at(-1), 0xfc, 'and a Stop after it');
});
