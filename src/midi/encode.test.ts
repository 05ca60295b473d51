import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as enc from './encode.ts';
import { encodeMessage } from './encode.ts';
import type { MidiMessageInit } from './messages.ts';
import { isNoteOff } from './messages.ts';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('MIDI encoders', () => {
  it('channel messages put channel 1..16 into the low nibble as 0..15', () => {
    assert.deepEqual(enc.noteOn(1, 60, 100), bytes(0x90, 60, 100));
    assert.deepEqual(enc.noteOn(16, 60, 100), bytes(0x9f, 60, 100));
    assert.deepEqual(enc.noteOff(10, 36), bytes(0x89, 36, 0), 'release velocity defaults to 0');
    assert.deepEqual(enc.noteOff(10, 36, 64), bytes(0x89, 36, 64));
    assert.deepEqual(enc.polyPressure(2, 61, 5), bytes(0xa1, 61, 5));
    assert.deepEqual(enc.controlChange(3, 7, 127), bytes(0xb2, 7, 127));
    assert.deepEqual(enc.programChange(4, 0), bytes(0xc3, 0));
    assert.deepEqual(enc.channelPressure(5, 90), bytes(0xd4, 90));
  });

  it('pitch bend sends the 14-bit value LSB first, 8192 being centre', () => {
    assert.deepEqual(enc.pitchBend(1, 8192), bytes(0xe0, 0x00, 0x40));
    assert.deepEqual(enc.pitchBend(1, 0), bytes(0xe0, 0x00, 0x00));
    assert.deepEqual(enc.pitchBend(1, 16383), bytes(0xe0, 0x7f, 0x7f));
    assert.deepEqual(enc.pitchBend(2, 0x1234), bytes(0xe1, 0x34, 0x24));
    assert.deepEqual(enc.pitchBendSigned(1, 0), enc.pitchBend(1, 8192));
    assert.deepEqual(enc.pitchBendSigned(1, -8192), enc.pitchBend(1, 0));
    assert.deepEqual(enc.pitchBendSigned(1, 8191), enc.pitchBend(1, 16383));
  });

  it('system common messages have their fixed layouts', () => {
    assert.deepEqual(enc.songPosition(0), bytes(0xf2, 0, 0));
    assert.deepEqual(enc.songPosition(16383), bytes(0xf2, 0x7f, 0x7f));
    assert.deepEqual(enc.songPosition(200), bytes(0xf2, 200 & 0x7f, 1));
    assert.deepEqual(enc.songSelect(9), bytes(0xf3, 9));
    assert.deepEqual(enc.mtcQuarterFrame(0, 0), bytes(0xf1, 0x00));
    assert.deepEqual(enc.mtcQuarterFrame(7, 15), bytes(0xf1, 0x7f));
    assert.deepEqual(enc.mtcQuarterFrame(3, 5), bytes(0xf1, 0x35));
    assert.deepEqual(enc.tuneRequest(), bytes(0xf6));
  });

  it('real-time messages are single preallocated bytes, identical on every call', () => {
    const table: [() => Uint8Array, number][] = [
      [enc.midiClock, 0xf8],
      [enc.midiStart, 0xfa],
      [enc.midiContinue, 0xfb],
      [enc.midiStop, 0xfc],
      [enc.activeSensing, 0xfe],
      [enc.midiReset, 0xff],
    ];
    for (const [fn, byte] of table) {
      assert.deepEqual(fn(), bytes(byte));
      assert.equal(fn(), fn(), `${fn.name} allocates nothing`);
    }
  });

  it('sysex frames a bare payload and copies an already framed message', () => {
    assert.deepEqual(enc.sysex([0x7e, 0x7f, 0x06, 0x01]), bytes(0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7));
    assert.deepEqual(enc.sysex([]), bytes(0xf0, 0xf7));
    const framed = bytes(0xf0, 0x43, 0x10, 0xf7);
    const out = enc.sysex(framed);
    assert.deepEqual(out, framed);
    assert.notEqual(out, framed, 'a fresh copy');
    assert.deepEqual(enc.sysex(bytes(0xf0, 0xf7)), bytes(0xf0, 0xf7));
  });

  it('sysex rejects data bytes above 127, a missing 0xF7 and non-arrays', () => {
    assert.throws(() => enc.sysex([0x01, 0x80]), { name: 'RangeError', message: /\[0, 127\]/ });
    assert.throws(() => enc.sysex([0x01, 0xf7]), RangeError, 'F7 without F0 is a bad payload byte');
    assert.throws(() => enc.sysex(bytes(0xf0, 0x01)), { name: 'RangeError', message: /0xF7/ });
    assert.throws(() => enc.sysex(bytes(0xf0)), RangeError);
    assert.throws(() => enc.sysex(bytes(0xf0, 0xf8, 0xf7)), RangeError, 'no status bytes inside');
    assert.throws(() => enc.sysex(null as unknown as number[]), TypeError);
    assert.throws(() => enc.sysex(['a'] as unknown as number[]), TypeError);
  });
});

describe('MIDI encoder argument validation', () => {
  it('channel must be an integer 1..16', () => {
    for (const bad of [0, 17, -1, 1.5]) {
      assert.throws(() => enc.noteOn(bad, 60, 100), { name: 'RangeError', message: /channel.*\[1, 16\]/ });
    }
    for (const bad of [NaN, Infinity]) {
      assert.throws(() => enc.noteOn(bad, 60, 100), { name: 'RangeError', message: /^channel must be a finite number/ });
    }
    assert.throws(() => enc.noteOn('1' as unknown as number, 60, 100), { name: 'TypeError', message: /channel/ });
    assert.throws(() => enc.programChange(undefined as unknown as number, 1), TypeError);
  });

  it('data bytes must be integers 0..127, each error naming the argument', () => {
    const cases: [() => unknown, string][] = [
      [() => enc.noteOn(1, 128, 1), 'note'],
      [() => enc.noteOn(1, 1, -1), 'velocity'],
      [() => enc.noteOff(1, 1, 200), 'velocity'],
      [() => enc.polyPressure(1, 1, 128), 'pressure'],
      [() => enc.controlChange(1, 128, 0), 'controller'],
      [() => enc.controlChange(1, 0, 0.5), 'value'],
      [() => enc.programChange(1, 128), 'program'],
      [() => enc.channelPressure(1, 999), 'pressure'],
      [() => enc.songSelect(128), 'song'],
    ];
    for (const [fn, name] of cases) {
      assert.throws(fn, { name: 'RangeError', message: new RegExp(`^${name} .*\\[0, 127\\]`) });
    }
  });

  it('14-bit and nibble arguments name their own ranges', () => {
    assert.throws(() => enc.pitchBend(1, 16384), { name: 'RangeError', message: /\[0, 16383\]/ });
    assert.throws(() => enc.pitchBend(1, -1), RangeError);
    assert.throws(() => enc.pitchBendSigned(1, 8192), { name: 'RangeError', message: /\[-8192, 8191\]/ });
    assert.throws(() => enc.songPosition(16384), { name: 'RangeError', message: /midiBeats.*\[0, 16383\]/ });
    assert.throws(() => enc.mtcQuarterFrame(8, 0), { name: 'RangeError', message: /piece.*\[0, 7\]/ });
    assert.throws(() => enc.mtcQuarterFrame(0, 16), { name: 'RangeError', message: /value.*\[0, 15\]/ });
  });
});

describe('encodeMessage', () => {
  it('encodes each kind from its fields, ignoring data except for sysex', () => {
    const cases: [MidiMessageInit, Uint8Array][] = [
      [{ type: 'noteoff', channel: 1, note: 60, velocity: 0 }, enc.noteOff(1, 60)],
      [{ type: 'noteon', channel: 2, note: 61, velocity: 1 }, enc.noteOn(2, 61, 1)],
      [{ type: 'polyaftertouch', channel: 3, note: 62, pressure: 2 }, enc.polyPressure(3, 62, 2)],
      [{ type: 'controlchange', channel: 4, controller: 64, value: 127 }, enc.controlChange(4, 64, 127)],
      [{ type: 'programchange', channel: 5, program: 3 }, enc.programChange(5, 3)],
      [{ type: 'channelaftertouch', channel: 6, pressure: 4 }, enc.channelPressure(6, 4)],
      [{ type: 'pitchbend', channel: 7, value: 100 }, enc.pitchBend(7, 100)],
      [{ type: 'pitchbend', channel: 7, value: 100, bend: -8092 }, enc.pitchBend(7, 100)],
      [{ type: 'songposition', beats16th: 1000 }, enc.songPosition(1000)],
      [{ type: 'songselect', song: 5 }, enc.songSelect(5)],
      [{ type: 'mtcquarterframe', piece: 2, value: 9 }, enc.mtcQuarterFrame(2, 9)],
      [{ type: 'tunerequest' }, enc.tuneRequest()],
      [{ type: 'clock' }, enc.midiClock()],
      [{ type: 'start' }, enc.midiStart()],
      [{ type: 'continue' }, enc.midiContinue()],
      [{ type: 'stop' }, enc.midiStop()],
      [{ type: 'activesensing' }, enc.activeSensing()],
      [{ type: 'reset' }, enc.midiReset()],
      [{ type: 'sysex', data: [0xf0, 1, 2, 0xf7] }, bytes(0xf0, 1, 2, 0xf7)],
    ];
    for (const [init, expected] of cases) assert.deepEqual(encodeMessage(init), expected, init.type);
  });

  it('rejects a pitch bend whose bend contradicts its value, and unknown types', () => {
    assert.throws(() => encodeMessage({ type: 'pitchbend', channel: 1, value: 8192, bend: 1 }), RangeError);
    assert.throws(() => encodeMessage({ type: 'bogus' } as unknown as MidiMessageInit), /unknown MIDI message type: bogus/);
    assert.throws(() => encodeMessage({ type: 'noteon', channel: 0, note: 1, velocity: 1 }), RangeError);
  });

  it('isNoteOff treats note-on with velocity 0 as note-off', () => {
    const on0 = { type: 'noteon', channel: 1, note: 60, velocity: 0, data: enc.noteOn(1, 60, 0) } as const;
    const on1 = { ...on0, velocity: 1, data: enc.noteOn(1, 60, 1) };
    const off = { type: 'noteoff', channel: 1, note: 60, velocity: 9, data: enc.noteOff(1, 60, 9) } as const;
    assert.equal(isNoteOff(on0), true);
    assert.equal(isNoteOff(on1), false);
    assert.equal(isNoteOff(off), true);
  });
});
