// The MIDI outputs of phaselock/midi on VirtualTime: FormattingOutput prints each message when it
// is due (a HeldOutput, so what is not printed yet can be withdrawn); RecordingOutput records
// ahead and keeps what it takes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendsAhead } from '../sched/output-dispatcher.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { midiClock, midiStart, noteOff, noteOn, songPosition } from './encode.ts';
import { FormattingOutput, RecordingOutput, recordedToJson } from './output.ts';

function printer(options: { hideClock?: boolean; originMicros?: number } = {}) {
  const vt = new VirtualTime();
  const lines: Array<[number, string]> = [];
  const out = new FormattingOutput({ write: (line) => lines.push([vt.micros(), line]), clock: vt, timers: vt, ...options });
  return { vt, out, lines, t0: vt.micros() };
}

test('FormattingOutput prints one readable line per message when it is due, with its scheduled time', () => {
  const { vt, out, lines, t0 } = printer();
  assert.equal(out.acceptsFutureTimestamps, true);
  assert.equal(sendsAhead(out), true, 'it can withdraw: the scheduler hands it messages ahead');
  out.send(noteOn(1, 60, 100), t0 + 10_000);
  out.send(noteOff(1, 60), t0 + 510_250);
  out.send(songPosition(32), t0 + 1_234_567_891);
  assert.deepEqual(lines, [], 'nothing printed ahead of time');
  vt.advance(9_999);
  assert.deepEqual(lines, []);
  vt.advance(1);
  // Times are ms since the first message (the default origin).
  assert.deepEqual(lines, [[t0 + 10_000, '     0.000 ms  noteon ch1 60 vel 100']]);
  vt.advance(2_000_000_000);
  assert.deepEqual(lines.slice(1), [
    [t0 + 510_250, '   500.250 ms  noteoff ch1 60 vel 0'],
    [t0 + 1_234_567_891, '1234557.891 ms  songposition 32'],
  ]);
});

test('FormattingOutput prints in time order, equal times in the order given, and a late message at once with its own time', () => {
  const { vt, out, lines, t0 } = printer({ originMicros: 1_000_000_000_000 - 1_000 });
  out.send(noteOn(2, 64, 90), t0 + 2000);
  out.send(midiStart(), t0 + 1000);
  out.send(noteOn(2, 67, 90), t0 + 2000);
  out.send(noteOn(3, 1, 1), t0 - 500); // late: printed now
  assert.deepEqual(lines, [[t0, '     0.500 ms  noteon ch3 1 vel 1']]);
  vt.advance(5000);
  assert.deepEqual(lines.map(([at, l]) => `${at - t0} ${l.trim()}`), [
    '0 0.500 ms  noteon ch3 1 vel 1',
    '1000 2.000 ms  start',
    '2000 3.000 ms  noteon ch2 64 vel 90',
    '2000 3.000 ms  noteon ch2 67 vel 90',
  ]);
});

test('FormattingOutput withdraws what is not printed yet: a stop leaves no note-on after its note-off', async () => {
  const { vt, out, lines, t0 } = printer();
  out.send(noteOn(1, 60, 100), t0 + 100);
  out.send(noteOff(1, 60), t0 + 30_000);
  out.send(noteOn(1, 62, 100), t0 + 20_000); // handed out ahead
  vt.advance(10_000);
  // Stop now: what was handed out for later is withdrawn, the note-off goes out now.
  out.cancelFrom(vt.micros() + 1);
  out.send(noteOff(1, 60), vt.micros());
  await out.drain();
  vt.advance(100_000);
  assert.deepEqual(lines.map(([, l]) => l.trim()), ['0.000 ms  noteon ch1 60 vel 100', '9.900 ms  noteoff ch1 60 vel 0']);
});

test('FormattingOutput can hide clock ticks', () => {
  const { vt, out, lines, t0 } = printer({ hideClock: true });
  out.send(midiClock(), t0 + 10);
  out.send(midiStart(), t0 + 20);
  out.send(midiClock(), t0 + 30);
  vt.advance(100);
  assert.deepEqual(lines.map(([, l]) => l.trim()), ['0.000 ms  start'], 'the origin is the first message printed');
  const shown = printer();
  shown.out.send(midiClock(), shown.t0);
  assert.deepEqual(shown.lines.map(([, l]) => l.trim()), ['0.000 ms  clock']);
});

test('RecordingOutput records ahead with exact times (stamped when given a clock), takes back from a time on, and writes JSON lines', () => {
  const vt = new VirtualTime();
  const seen: number[] = [];
  const rec = new RecordingOutput({ clock: vt, onMessage: (m) => seen.push(m.timeMicros) });
  assert.equal(sendsAhead(rec), true);
  const t0 = vt.micros();
  const bytes = noteOn(1, 60, 100);
  rec.send(bytes, t0 + 100);
  bytes[1] = 0; // a copy was recorded
  rec.send(noteOff(1, 60), t0 + 200);
  rec.send(midiClock(), t0 + 300);
  assert.deepEqual(rec.messages.map((m) => [m.timeMicros, m.calledAtMicros, [...m.data]]), [
    [t0 + 100, t0, [0x90, 60, 100]], [t0 + 200, t0, [0x80, 60, 0]], [t0 + 300, t0, [0xf8]],
  ]);
  assert.deepEqual(seen, [t0 + 100, t0 + 200, t0 + 300]);
  assert.deepEqual(rec.withStatus(0xf8).map((m) => m.timeMicros), [t0 + 300]);
  rec.cancelFrom(t0 + 200);
  assert.deepEqual(rec.messages.map((m) => m.timeMicros), [t0 + 100]);
  assert.deepEqual(rec.withdrawn.map((m) => m.timeMicros).sort(), [t0 + 200, t0 + 300]);
  assert.equal(rec.toJsonLines(), `{"t":${t0 + 100},"bytes":[144,60,100],"called":${t0}}\n`);
  assert.equal(recordedToJson({ timeMicros: 5, data: Uint8Array.of(0xfa) }), '{"t":5,"bytes":[250]}');
  rec.clear();
  assert.equal(rec.toJsonLines(), '');
  const instant = new RecordingOutput({ acceptsFutureTimestamps: false, limit: 2 });
  assert.equal(sendsAhead(instant), false);
  for (let i = 0; i < 5; i++) instant.send(Uint8Array.of(0xf8), i);
  assert.deepEqual(instant.messages.map((m) => m.timeMicros), [3, 4], 'only the last `limit` kept');
  assert.equal(instant.messages[0]?.calledAtMicros, undefined, 'no clock, no stamp');
});
