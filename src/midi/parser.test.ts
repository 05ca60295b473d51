import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as enc from './encode.ts';
import type { MidiMessage } from './messages.ts';
import { MidiParser, MidiStreamWarning, type MidiWarningReason } from './parser.ts';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** Parses `chunks` with a fresh parser, collecting messages and warning reasons. */
function parse(...chunks: Uint8Array[]): { msgs: MidiMessage[]; warnings: MidiWarningReason[] } {
  const warnings: MidiWarningReason[] = [];
  const parser = new MidiParser({ onWarning: (w) => warnings.push(w.reason) });
  const msgs = chunks.flatMap((c) => parser.push(c));
  return { msgs, warnings };
}

const types = (msgs: MidiMessage[]): string[] => msgs.map((m) => m.type);

/** One of every kind, with its expected parsed form (extremes included). */
const EVERY_KIND: MidiMessage[] = [
  { type: 'noteoff', channel: 1, note: 0, velocity: 0, data: enc.noteOff(1, 0, 0) },
  { type: 'noteoff', channel: 16, note: 127, velocity: 127, data: enc.noteOff(16, 127, 127) },
  { type: 'noteon', channel: 10, note: 36, velocity: 100, data: enc.noteOn(10, 36, 100) },
  { type: 'noteon', channel: 1, note: 60, velocity: 0, data: enc.noteOn(1, 60, 0) },
  { type: 'polyaftertouch', channel: 2, note: 64, pressure: 33, data: enc.polyPressure(2, 64, 33) },
  { type: 'controlchange', channel: 3, controller: 123, value: 0, data: enc.controlChange(3, 123, 0) },
  { type: 'programchange', channel: 4, program: 127, data: enc.programChange(4, 127) },
  { type: 'channelaftertouch', channel: 5, pressure: 77, data: enc.channelPressure(5, 77) },
  { type: 'pitchbend', channel: 6, value: 0, bend: -8192, data: enc.pitchBend(6, 0) },
  { type: 'pitchbend', channel: 7, value: 8192, bend: 0, data: enc.pitchBend(7, 8192) },
  { type: 'pitchbend', channel: 8, value: 16383, bend: 8191, data: enc.pitchBend(8, 16383) },
  { type: 'songposition', beats16th: 16383, data: enc.songPosition(16383) },
  { type: 'songposition', beats16th: 129, data: enc.songPosition(129) },
  { type: 'songselect', song: 42, data: enc.songSelect(42) },
  { type: 'mtcquarterframe', piece: 7, value: 15, data: enc.mtcQuarterFrame(7, 15) },
  { type: 'mtcquarterframe', piece: 0, value: 1, data: enc.mtcQuarterFrame(0, 1) },
  { type: 'tunerequest', data: enc.tuneRequest() },
  { type: 'clock', data: enc.midiClock() },
  { type: 'start', data: enc.midiStart() },
  { type: 'continue', data: enc.midiContinue() },
  { type: 'stop', data: enc.midiStop() },
  { type: 'activesensing', data: enc.activeSensing() },
  { type: 'reset', data: enc.midiReset() },
  { type: 'sysex', data: enc.sysex([0x7e, 0x7f, 0x09, 0x01]) },
  { type: 'sysex', data: enc.sysex([]) },
];

describe('MidiParser round trip', () => {
  it('every message kind parses back to the fields it was encoded from', () => {
    for (const expected of EVERY_KIND) {
      const { msgs, warnings } = parse(expected.data);
      assert.deepEqual(msgs, [expected], expected.type);
      assert.deepEqual(warnings, []);
      assert.deepEqual(enc.encodeMessage(msgs[0]!), expected.data, `${expected.type} re-encodes`);
    }
  });

  it('all kinds back to back in one chunk parse in order', () => {
    const { msgs, warnings } = parse(concat(...EVERY_KIND.map((m) => m.data)));
    assert.deepEqual(msgs, EVERY_KIND);
    assert.deepEqual(warnings, []);
  });

  it('emitted data is a copy, not a view into the pushed chunk', () => {
    const chunk = concat(enc.noteOn(1, 60, 100), enc.sysex([1, 2]));
    const { msgs } = parse(chunk);
    chunk.fill(0);
    assert.deepEqual(msgs.map((m) => [...m.data]), [[0x90, 60, 100], [0xf0, 1, 2, 0xf7]]);
  });
});

describe('MidiParser running status', () => {
  it('data bytes after a complete channel message reuse its status', () => {
    const { msgs, warnings } = parse(bytes(0x90, 60, 100, 62, 101, 64, 0));
    assert.deepEqual(msgs, [
      { type: 'noteon', channel: 1, note: 60, velocity: 100, data: bytes(0x90, 60, 100) },
      { type: 'noteon', channel: 1, note: 62, velocity: 101, data: bytes(0x90, 62, 101) },
      { type: 'noteon', channel: 1, note: 64, velocity: 0, data: bytes(0x90, 64, 0) },
    ]);
    assert.deepEqual(warnings, []);
  });

  it('running status works for one-data-byte messages and survives chunk boundaries', () => {
    const { msgs } = parse(bytes(0xc2, 1), bytes(2), bytes(3));
    assert.deepEqual(msgs.map((m) => (m.type === 'programchange' ? m.program : -1)), [1, 2, 3]);
    assert.ok(msgs.every((m) => m.data[0] === 0xc2));
  });

  it('a real-time byte does not cancel running status', () => {
    const { msgs, warnings } = parse(bytes(0xb0, 7, 100, 0xf8, 7, 90));
    assert.deepEqual(types(msgs), ['controlchange', 'clock', 'controlchange']);
    assert.deepEqual(warnings, []);
  });

  it('a system common message cancels running status; later data bytes are stray', () => {
    const { msgs, warnings } = parse(bytes(0x90, 60, 100, 0xf3, 5, 62, 100));
    assert.deepEqual(types(msgs), ['noteon', 'songselect']);
    assert.deepEqual(warnings, ['stray-data'], 'one warning for the whole run of stray bytes');
  });

  it('a sysex cancels running status', () => {
    const { msgs, warnings } = parse(bytes(0x90, 60, 100, 0xf0, 1, 0xf7, 62, 100));
    assert.deepEqual(types(msgs), ['noteon', 'sysex']);
    assert.deepEqual(warnings, ['stray-data']);
  });

  it('a new channel status replaces the running status', () => {
    const { msgs } = parse(bytes(0x90, 60, 100, 0x81, 60, 0, 61, 0));
    assert.deepEqual(msgs.map((m) => (m.type === 'noteoff' ? `off${m.channel}:${m.note}` : m.type)), [
      'noteon',
      'off2:60',
      'off2:61',
    ]);
  });
});

describe('MidiParser interleaved real-time bytes', () => {
  it('real-time byte inside a note-on is emitted first and the note completes', () => {
    for (const at of [1, 2]) {
      const stream = [0x90, 60, 100];
      stream.splice(at, 0, 0xf8);
      const { msgs, warnings } = parse(Uint8Array.from(stream));
      assert.deepEqual(types(msgs), ['clock', 'noteon']);
      assert.deepEqual(msgs[1]!.data, bytes(0x90, 60, 100));
      assert.deepEqual(warnings, []);
    }
  });

  it('every real-time kind can interrupt a song position pointer', () => {
    const { msgs } = parse(bytes(0xf2, 0xfa, 0x01, 0xfb, 0xfc, 0xfe, 0xff, 0x02));
    assert.deepEqual(types(msgs), ['start', 'continue', 'stop', 'activesensing', 'reset', 'songposition']);
    assert.deepEqual(msgs.at(-1), { type: 'songposition', beats16th: 1 | (2 << 7), data: bytes(0xf2, 1, 2) });
  });

  it('sysex with interleaved clocks emits the clocks at once and the sysex intact at F7', () => {
    const parser = new MidiParser();
    assert.deepEqual(types(parser.push(bytes(0xf0, 0x43, 0xf8, 0x12))), ['clock']);
    assert.deepEqual(types(parser.push(bytes(0xf8, 0x00, 0xf8))), ['clock', 'clock']);
    const last = parser.push(bytes(0x7f, 0xf7, 0xf8));
    assert.deepEqual(last, [
      { type: 'sysex', data: bytes(0xf0, 0x43, 0x12, 0x00, 0x7f, 0xf7) },
      { type: 'clock', data: enc.midiClock() },
    ]);
  });

  it('emitted real-time messages share one frozen object per kind', () => {
    const { msgs } = parse(bytes(0xf8, 0xf8));
    assert.equal(msgs[0], msgs[1]);
    assert.ok(Object.isFrozen(msgs[0]));
  });
});

describe('MidiParser chunking', () => {
  const stream = concat(
    enc.noteOn(1, 60, 100),
    bytes(62, 90), // running status
    enc.midiClock(),
    enc.pitchBend(3, 12345),
    enc.sysex([1, 2, 3, 4]),
    enc.programChange(2, 9),
    enc.songPosition(300),
    enc.mtcQuarterFrame(5, 3),
    enc.tuneRequest(),
    enc.controlChange(16, 64, 127),
  );
  const whole = parse(stream);

  it('the reference stream parses cleanly', () => {
    assert.deepEqual(types(whole.msgs), [
      'noteon', 'noteon', 'clock', 'pitchbend', 'sysex', 'programchange',
      'songposition', 'mtcquarterframe', 'tunerequest', 'controlchange',
    ]);
    assert.deepEqual(whole.warnings, []);
  });

  it('splitting at every single point gives the same messages', () => {
    for (let i = 0; i <= stream.length; i++) {
      const split = parse(stream.subarray(0, i), stream.subarray(i));
      assert.deepEqual(split, whole, `split at ${i}`);
    }
  });

  it('splitting at every pair of points gives the same messages', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const split = parse(stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j));
        assert.deepEqual(split, whole, `split at ${i}, ${j}`);
      }
    }
  });

  it('byte-at-a-time gives the same messages', () => {
    assert.deepEqual(parse(...[...stream].map((b) => bytes(b))), whole);
  });
});

describe('MidiParser malformed streams', () => {
  it('data bytes before any status are dropped with one warning', () => {
    const { msgs, warnings } = parse(bytes(1, 2, 3), bytes(4, 0x90, 60, 100));
    assert.deepEqual(types(msgs), ['noteon']);
    assert.deepEqual(warnings, ['stray-data']);
  });

  it('a status byte interrupting an incomplete message discards it and starts the new one', () => {
    const { msgs, warnings } = parse(bytes(0x90, 60, 0xb0, 7, 100));
    assert.deepEqual(msgs, [{ type: 'controlchange', channel: 1, controller: 7, value: 100, data: bytes(0xb0, 7, 100) }]);
    assert.deepEqual(warnings, ['interrupted']);
  });

  it('a status byte with no data bytes yet, then another status, is an interruption', () => {
    const { msgs, warnings } = parse(bytes(0xe0, 0xf6));
    assert.deepEqual(types(msgs), ['tunerequest']);
    assert.deepEqual(warnings, ['interrupted']);
  });

  it('undefined F4/F5 are ignored with their data bytes; F9/FD leave the message intact', () => {
    const a = parse(bytes(0xf4, 1, 2, 0xf5, 3, 0x90, 1, 2));
    assert.deepEqual(types(a.msgs), ['noteon']);
    assert.deepEqual(a.warnings, ['undefined-status', 'undefined-status']);
    const b = parse(bytes(0x90, 0xf9, 60, 0xfd, 100));
    assert.deepEqual(types(b.msgs), ['noteon']);
    assert.deepEqual(b.warnings, ['undefined-status', 'undefined-status']);
  });

  it('F7 outside a sysex is a warning', () => {
    const { msgs, warnings } = parse(bytes(0xf7, 0xf8));
    assert.deepEqual(types(msgs), ['clock']);
    assert.deepEqual(warnings, ['stray-eox']);
  });

  it('a sysex cut off by a status byte is discarded and the new message parsed', () => {
    const { msgs, warnings } = parse(bytes(0xf0, 1, 2, 0x90, 60, 100));
    assert.deepEqual(types(msgs), ['noteon']);
    assert.deepEqual(warnings, ['interrupted']);
  });

  it('a sysex beyond maxSysexLength is discarded up to its F7, with one warning', () => {
    const warnings: MidiStreamWarning[] = [];
    const parser = new MidiParser({ maxSysexLength: 6, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(types(parser.push(enc.sysex([1, 2, 3, 4]))), ['sysex'], 'exactly 6 bytes fits');
    const msgs = parser.push(concat(enc.sysex([1, 2, 3, 4, 5, 6, 7]), enc.sysex([9])));
    assert.deepEqual(msgs, [{ type: 'sysex', data: bytes(0xf0, 9, 0xf7) }]);
    assert.equal(warnings.length, 1);
    const w = warnings[0]!;
    assert.ok(w instanceof MidiStreamWarning);
    assert.equal(w.code, 'E_DECODE');
    assert.equal(w.reason, 'sysex-overflow');
    assert.equal(w.offset, 6 + 5, 'offset of the first byte that did not fit');
  });

  it('the default sysex limit is 64 KiB', () => {
    const payload = new Uint8Array(65534).fill(0x55);
    const { msgs, warnings } = parse(enc.sysex(payload), enc.sysex(concat(payload, bytes(1))));
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.data.length, 65536);
    assert.deepEqual(warnings, ['sysex-overflow']);
  });

  it('warning offsets count bytes across chunks', () => {
    const offsets: number[] = [];
    const parser = new MidiParser({ onWarning: (w) => offsets.push(w.offset) });
    parser.push(bytes(0xf8, 0xf8));
    parser.push(bytes(0xf8, 5));
    assert.deepEqual(offsets, [3]);
  });

  it('a throwing onWarning does not make push throw or lose messages', () => {
    const parser = new MidiParser({ onWarning: () => { throw new Error('listener bug'); } });
    const msgs = parser.push(bytes(1, 0xf4, 0x90, 60, 0xf9, 100));
    assert.deepEqual(types(msgs), ['noteon']);
  });

  it('reset() forgets a partial message, running status and an open sysex', () => {
    const { msgs, warnings } = (() => {
      const warnings: MidiWarningReason[] = [];
      const parser = new MidiParser({ onWarning: (w) => warnings.push(w.reason) });
      parser.push(bytes(0x90, 60, 100, 61));
      parser.reset();
      const a = parser.push(bytes(100));
      parser.push(bytes(0xf0, 1, 2));
      parser.reset();
      const b = parser.push(bytes(0xf7, 0x80, 1, 2));
      return { msgs: [...a, ...b], warnings };
    })();
    assert.deepEqual(types(msgs), ['noteoff']);
    assert.deepEqual(warnings, ['stray-data', 'stray-eox']);
  });

  it('rejects a bad maxSysexLength at construction', () => {
    assert.throws(() => new MidiParser({ maxSysexLength: 1 }), RangeError);
    assert.throws(() => new MidiParser({ maxSysexLength: 2.5 }), RangeError);
  });
});
