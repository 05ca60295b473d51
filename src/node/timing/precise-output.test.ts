// Real-time tests of the Node timing paths: behaviour only (order, counts, never early, no
// drift), never tight jitter bounds — bench/timing.ts measures precision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hrClock } from '../host-clock.ts';
import { openPreciseOutput, workerExecArgv } from './precise-output.ts';
import { nodePreciseTimers } from './precise-timers.ts';
import { openNativeMidiOutput } from '../midi/native-midi.ts';
import { Link } from '../link/link.ts';
import { MidiClockOut } from '../../midi/clock-out.ts';
import { LinkSequencer } from '../../midi/sequencer.ts';
import { RecordingOutput } from '../../midi/output.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the timing thread sends every message once, in time order, never early', async () => {
  const out = await openPreciseOutput({ kind: 'record' });
  const t0 = hrClock.micros() + 50_000;
  const times = Array.from({ length: 200 }, (_, i) => t0 + ((i * 7919) % 200) * 2_500);
  for (const t of times) out.send(Uint8Array.of(0x90, 60, 100), t);
  out.send(Uint8Array.from([0xf0, ...Array(40).fill(0x11), 0xf7]), t0 + 1); // a long message spans slots
  await sleep(700);
  await out.close();
  assert.equal(out.sent.length, 201);
  const sent = out.sent.map((s) => s.timeMicros);
  assert.deepEqual(sent, [...sent].sort((a, b) => a - b));
  for (const s of out.sent) assert.ok(s.sentAtMicros >= s.timeMicros, 'never early');
  assert.equal(out.dropped, 0);
});

test('close sends what is already due, drops what is not', async () => {
  // The sink holds the thread 100 ms on its first message, so the rest and the close are
  // drained together afterwards.
  const src = 'export default () => { let n = 0; return { send() { if (n++ === 0) { const end = Date.now() + 100; while (Date.now() < end); } } }; }';
  const out = await openPreciseOutput({ kind: 'module', specifier: `data:text/javascript,${encodeURIComponent(src)}` }, { report: true });
  out.send(Uint8Array.of(0xf8), hrClock.micros());
  await sleep(30);
  const now = hrClock.micros();
  out.send(Uint8Array.of(0xfc), now - 1000); // already due: sent, late rather than never
  out.send(Uint8Array.of(0xfa), now + 5_000_000); // the future: dropped
  await out.close();
  assert.deepEqual(out.sent.map((s) => s.status), [0xf8, 0xfc]);
});

test('cancelFrom drops messages not yet sent; close is idempotent', async () => {
  const out = await openPreciseOutput({ kind: 'record' });
  const t0 = hrClock.micros() + 30_000;
  for (let i = 0; i < 10; i++) out.send(Uint8Array.of(0xf8), t0 + i * 20_000);
  out.cancelFrom(t0 + 100_000);
  await sleep(300);
  await Promise.all([out.close(), out.close()]);
  assert.equal(out.sent.length, 5);
});

test('the spin allocates nothing: a second of back-to-back spins costs the thread at most one collection', async () => {
  // Messages 1 ms apart with a 2 ms spin: the thread spins the whole second. A spin that
  // allocated (a clock read whose array is not elided) collected every ~50 ms here.
  const out = await openPreciseOutput({ kind: 'record' }, { spinMicros: 2000 });
  const t0 = hrClock.micros() + 20_000;
  for (let i = 0; i < 1000; i++) out.send(Uint8Array.of(0xf8), t0 + i * 1000);
  await sleep(1100);
  await out.close();
  assert.equal(out.sent.length, 1000);
  assert.ok(out.gc, 'a reporting thread counts its collections');
  assert.ok(out.gc.collections <= 1, `${out.gc.collections} collections, ${Math.round(out.gc.pauseTotalMicros)} µs of pauses`);
});

test('a user module runs inside the timing thread; what it throws becomes a warning', async () => {
  const src = 'export default () => { let n = 0; return { send() { if (++n === 2) throw new Error("device hiccup"); } }; }';
  const out = await openPreciseOutput({ kind: 'module', specifier: `data:text/javascript,${encodeURIComponent(src)}` }, { report: true });
  const warnings: string[] = [];
  out.on('warning', (e) => warnings.push(e.message));
  const t0 = hrClock.micros() + 20_000;
  for (let i = 0; i < 3; i++) out.send(Uint8Array.of(0xf8), t0 + i * 1000);
  await sleep(300);
  await out.close();
  assert.equal(out.sent.length, 3);
  assert.deepEqual(warnings, ['timing thread: device hiccup']);
  await assert.rejects(openPreciseOutput({ kind: 'module', specifier: 'data:text/javascript,export const x = 1' }), { code: 'E_UNAVAILABLE' });
});

test('the thread warms up on dummy messages that never reach the output, and reports its priority', async () => {
  // The sink counts its calls and tells the count (as a warning) on the real message.
  const src = 'export default () => { let n = 0; return { send(data) { n++; if (data[0] === 0x90) throw new Error("calls: " + n); } }; }';
  const out = await openPreciseOutput({ kind: 'module', specifier: `data:text/javascript,${encodeURIComponent(src)}` }, { report: true });
  const warnings: string[] = [];
  out.on('warning', (e) => warnings.push(e.message));
  out.send(Uint8Array.of(0x90, 60, 1), hrClock.micros() + 10_000);
  await sleep(100);
  await out.close();
  assert.deepEqual(warnings, ['timing thread: calls: 1']);
  assert.deepEqual(out.sent.map((s) => s.status), [0x90]);
  assert.ok(['realtime', 'nice', 'normal'].includes(out.priority.kind));
  if (process.platform === 'linux' && process.getuid?.() === 0) assert.equal(out.priority.kind, 'realtime', out.priority.detail);
  const plain = await openPreciseOutput({ kind: 'record' }, { realtime: false, nice: false });
  assert.deepEqual(plain.priority, { kind: 'normal', detail: 'not requested' });
  await plain.close();
});

test('the timing thread inherits the parent\'s Node flags except --input-type', () => {
  assert.deepEqual(workerExecArgv(['--input-type=module', '--import', 'tsx', '--input-type', 'commonjs', '--expose-gc']), ['--import', 'tsx', '--expose-gc']);
  assert.deepEqual(workerExecArgv([]), []);
});

test('bad timing-thread options are rejected before a thread starts', async () => {
  await assert.rejects(openPreciseOutput({ kind: 'record' }, { realtime: 100 }), RangeError);
  await assert.rejects(openPreciseOutput({ kind: 'record' }, { nice: 1.5 }), RangeError);
  await assert.rejects(openPreciseOutput({ kind: 'record' }, { spinMicros: -1 }), RangeError);
});

test('a native port that cannot be opened fails with E_UNAVAILABLE and says why', async () => {
  const name = 'phaselock-test-no-such-port';
  await assert.rejects(openNativeMidiOutput(name), (err: { code?: string; message?: string }) => {
    assert.equal(err.code, 'E_UNAVAILABLE');
    assert.match(err.message ?? '', /MIDI subsystem|@julusian\/midi|no MIDI output port/);
    return true;
  });
  await assert.rejects(openPreciseOutput({ kind: 'native', port: name }), { code: 'E_UNAVAILABLE' });
});

test('nodePreciseTimers calls back in time order and never early', async () => {
  const pt = nodePreciseTimers();
  const t0 = hrClock.micros() + 5_000;
  const got: Array<[number, number]> = [];
  const targets = [t0 + 30_000, t0, t0 + 12_345, t0 + 50];
  for (const t of targets) pt.callAt(() => got.push([t, hrClock.micros()]), t);
  const cancelled = pt.callAt(() => got.push([0, 0]), t0 + 20_000);
  cancelled.cancel();
  await sleep(80);
  assert.deepEqual(got.map((g) => g[0]), [...targets].sort((a, b) => a - b));
  for (const [t, at] of got) assert.ok(at >= t);
});

test('nodePreciseTimers keeps instants a few µs apart in order, however slowly they were armed', async () => {
  const pt = nodePreciseTimers();
  const t0 = hrClock.micros() + 20_000;
  const order = [7, 3, 9, 0, 5, 1, 8, 2, 6, 4];
  const got: number[] = [];
  for (const k of order) {
    pt.callAt(() => got.push(k), t0 + k * 5);
    const until = hrClock.micros() + 200; // arming takes longer than the instants are apart
    while (hrClock.micros() < until);
  }
  const never = pt.callAt(() => got.push(-1), t0 + 12);
  never.cancel();
  await sleep(60);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('MidiClockOut and LinkSequencer on the real clock: order and counts (1.5 s)', async () => {
  await using link = new Link({ bpm: 240 });
  const clockOut = new RecordingOutput({ clock: hrClock, acceptsFutureTimestamps: false });
  const notes = await openPreciseOutput({ kind: 'record' });
  const clock = new MidiClockOut(link, clockOut, { preciseTimers: nodePreciseTimers() }).open();
  const seq = new LinkSequencer(link, notes).open();
  for (let i = 0; i < 16; i++) seq.scheduleNote(i / 4, 10, 42, 90, 0.1);
  const t0 = clock.start();
  await sleep((t0 - hrClock.micros()) / 1000 + 1100);
  clock.stop();
  await sleep(100);
  clock.close();
  seq.close();
  await notes.close();
  const kinds = clockOut.messages.map((m) => m.data[0]);
  assert.deepEqual(kinds.slice(0, 3), [0xf2, 0xfa, 0xf8]);
  assert.equal(kinds.at(-1), 0xfc);
  const ticks = kinds.filter((k) => k === 0xf8).length;
  assert.ok(ticks >= 96 && ticks <= 130, `${ticks} ticks in ~1.1 s at 240 bpm`);
  for (const m of clockOut.messages) assert.ok((m.calledAtMicros as number) >= m.timeMicros, 'called at, never before, the instant');
  assert.equal(notes.sent.filter((s) => s.status === 0x99).length, 16);
});

test('no drift over 30 s: the clock ticks stay on the Link grid (precise output, 120 bpm)', { timeout: 60_000 }, async () => {
  await using link = new Link({ bpm: 120 });
  const out = await openPreciseOutput({ kind: 'record' });
  const clock = new MidiClockOut(link, out).open();
  const t0 = clock.start();
  await sleep((t0 - hrClock.micros()) / 1000 + 30_000);
  clock.close();
  await sleep(100);
  await out.close();
  const s = link.captureAppSessionState();
  const ticks = out.sent.filter((x) => x.status === 0xf8);
  assert.ok(ticks.length >= 30 * 48 - 5, `${ticks.length} ticks`);
  // Scheduled times are the grid exactly; the actual send of the last ticks is within 1 ms of it.
  ticks.forEach((x, i) => assert.equal(x.timeMicros, s.timeAtBeat(i / 24, 4)));
  const lastErrors = ticks.slice(-5).map((x) => x.sentAtMicros - x.timeMicros);
  // The best of the last five: a VM may steal the CPU for ms at any instant, drift moves them all.
  assert.ok(Math.min(...lastErrors) <= 1000, `last ticks late by ${lastErrors.join(', ')} µs`);
});
