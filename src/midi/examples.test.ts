// The MIDI examples (examples/midi-*.ts), run briefly on the real clock with a recording output:
// behaviour only (what is sent, in which order, on which beats), never jitter. Then run as
// scripts, as a reader would (they never join Link without --link).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describeMidi, type RecordedMessage } from './index.ts';
import * as clockOut from '../../examples/midi-clock-out.ts';
import * as arpeggio from '../../examples/midi-arpeggio.ts';
import * as sweep from '../../examples/midi-filter-sweep.ts';
import * as loop from '../../examples/midi-loop.ts';
import * as drums from '../../examples/midi-drums.ts';
import type { ExampleResult } from '../../examples/midi-common.ts';

const names = (ms: RecordedMessage[]) => ms.map((m) => describeMidi(m.data));
/** Song beat of a message, from the run's final timeline. */
const beatOf = (r: ExampleResult, m: RecordedMessage) => {
  const spb = r.timeAtBeat(1) - r.timeAtBeat(0);
  return Math.round(((m.timeMicros - r.startMicros) / spb) * 1000) / 1000;
};

test('the MIDI examples run and send what they say (all five at once, ~2.5 s)', { timeout: 30_000 }, async () => {
  const [c, a, s, l, d] = await Promise.all([
    clockOut.main({ durationMs: 2000, bpm: 240 }),
    arpeggio.main({ durationMs: 2200, bpm: 240 }),
    sweep.main({ durationMs: 2200, bpm: 240 }),
    loop.main({ durationMs: 20_000, bpm: 480 }),
    drums.main({ durationMs: 2200, bpm: 240 }),
  ]);

  // Clock: SPP 0, Start, then ticks on the grid; Stop last.
  assert.deepEqual(names(c.messages.slice(0, 3)), ['songposition 0', 'start', 'clock']);
  assert.equal(names(c.messages).at(-1), 'stop');
  const ticks = c.messages.filter((m) => m.data[0] === 0xf8);
  assert.ok(ticks.length >= 24, `${ticks.length} ticks`);
  ticks.forEach((m, i) => assert.equal(m.timeMicros, c.timeAtBeat(i / 24)));

  // Arpeggio: C E G C, one per beat, each released.
  const ons = a.messages.filter((m) => describeMidi(m.data).startsWith('noteon'));
  assert.ok(ons.length >= 4);
  ons.forEach((m, i) => {
    assert.equal(m.data[1], arpeggio.NOTES[i % 4]);
    assert.equal(beatOf(a, m), i);
  });
  assert.equal(a.messages.filter((m) => describeMidi(m.data).startsWith('noteoff')).length, ons.length);

  // Sweep: CC 74 every eighth of a beat, rising.
  const ccs = s.messages.filter((m) => m.data[0] === 0xb0 && m.data[1] === 74);
  assert.ok(ccs.length >= 16);
  ccs.forEach((m, i) => {
    assert.equal(beatOf(s, m), i / 8);
    assert.equal(m.data[2], sweep.sweepValue(i % (2 * sweep.STEPS)));
  });

  // Loop: the 4-beat pattern exactly 4 times, then stopped.
  const loopOns = l.messages.filter((m) => describeMidi(m.data).startsWith('noteon'));
  assert.equal(loopOns.length, loop.PATTERN.length * loop.BARS);
  loopOns.forEach((m, i) => {
    const [beat, note] = loop.PATTERN[i % loop.PATTERN.length] as [number, number, number];
    assert.equal(m.data[1], note);
    assert.equal(beatOf(l, m), Math.floor(i / loop.PATTERN.length) * 4 + beat);
  });

  // Drums: everything on channel 10 (status nibble 9), kick on beats 0 and 2.
  assert.ok(d.messages.length > 10);
  assert.ok(d.messages.every((m) => ((m.data[0] as number) & 0x0f) === 9));
  const kicks = d.messages.filter((m) => describeMidi(m.data) === `noteon ch10 ${drums.KICK} vel 120`).map((m) => beatOf(d, m));
  assert.deepEqual(kicks.slice(0, 2), [0, 2]);
});

/** Runs `examples/<file>` as a script (no `--link`: nothing touches the network); its stdout lines. */
function runExample(file: string, args: string[]): Promise<{ code: number | null; lines: string[]; err: string }> {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, lines: out.split('\n').filter(Boolean), err })));
}

test('run as scripts, the MIDI examples print each message and then their real number (not 0)', { timeout: 60_000 }, async () => {
  const files = ['midi-clock-out.ts', 'midi-arpeggio.ts', 'midi-filter-sweep.ts', 'midi-loop.ts', 'midi-drums.ts'];
  const runs = await Promise.all(files.map((f) => runExample(f, ['--duration', '2000', '--bpm', '600'])));
  runs.forEach((r, i) => {
    const file = files[i];
    assert.equal(r.code, 0, `${file}: ${r.err}`);
    const printed = r.lines.filter((l) => /^ *-?\d+\.\d{3} ms {2}\S/.test(l));
    const done = /^done \((\d+) messages\)$/.exec(r.lines.at(-1) ?? '');
    assert.ok(done, `${file} ends with 'done (N messages)': ${r.lines.slice(-3).join(' | ')}`);
    assert.ok(printed.length > 0, `${file} printed no message`);
    assert.equal(Number(done[1]), printed.length, `${file}: the count is the number of messages printed`);
    assert.equal(printed.length, r.lines.length - 1, `${file}: nothing but messages and the count`);
  });
});

test('the examples read their options by name: a bad or unknown one is an error, not a silent default', async () => {
  const bad = await runExample('midi-arpeggio.ts', ['--duration']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--duration/);
  const unknown = await runExample('midi-drums.ts', ['--durations', '100']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /--durations/);
  const nan = await runExample('midi-loop.ts', ['--bpm', 'fast']);
  assert.equal(nan.code, 2);
  assert.match(nan.err, /--bpm needs a number/);
});
