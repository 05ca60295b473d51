// MidiLedger: what a receiver is left doing when messages were handed out ahead of their time and
// some were withdrawn — which notes sound, and whether its transport runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlChange, midiClock, midiContinue, midiStart, midiStop, noteOff, noteOn } from './encode.ts';
import { isNoteOff, isNoteOn, MidiLedger } from './midi-ledger.ts';

const hex = (msgs: Uint8Array[]) => msgs.map((m) => [...m].map((b) => b.toString(16).padStart(2, '0')).join(' ')).sort();

test('note-on (velocity > 0) and note-off (or note-on with velocity 0) are told apart', () => {
  assert.equal(isNoteOn(noteOn(1, 60, 1)), true);
  assert.equal(isNoteOn(noteOn(1, 60, 0)), false);
  assert.equal(isNoteOff(noteOn(16, 60, 0)), true);
  assert.equal(isNoteOff(noteOff(3, 60, 64)), true);
  assert.equal(isNoteOn(noteOff(3, 60)), false);
  for (const other of [controlChange(1, 7, 100), midiClock(), Uint8Array.of(0x90, 60)]) {
    assert.deepEqual([isNoteOn(other), isNoteOff(other)], [false, false]);
  }
});

test('each sounding note ends with a note-off on its channel; a note-off or velocity-0 note-on ends it', () => {
  const l = new MidiLedger();
  l.record(10, noteOn(1, 60, 100));
  l.record(10, noteOn(2, 60, 100)); // same note, another channel: another key
  l.record(20, noteOn(10, 36, 127));
  l.record(30, noteOff(10, 36));
  l.record(40, noteOn(1, 64, 90));
  l.record(50, noteOn(1, 64, 0));
  assert.deepEqual(hex(l.endings()), ['80 3c 00', '81 3c 00']);
  assert.equal(l.running, false);
});

test('other messages (control changes, clock ticks) are not tracked', () => {
  const l = new MidiLedger();
  l.record(1, controlChange(1, 64, 127));
  l.record(2, midiClock());
  l.record(3, Uint8Array.of(0xf2, 0, 0));
  assert.deepEqual(l.endings(), []);
  l.settle(100);
  assert.equal(l.size, 0);
});

test('settle folds what has gone out into the settled state; size counts settled notes only', () => {
  const l = new MidiLedger();
  l.record(100, noteOn(1, 60, 100));
  l.record(200, noteOn(1, 62, 100));
  l.record(300, noteOff(1, 60));
  assert.equal(l.size, 0);
  l.settle(200); // times < 200 have gone out
  assert.equal(l.size, 1);
  l.settle(301);
  assert.equal(l.size, 1, '60 ended, 62 sounds');
  assert.deepEqual(hex(l.endings()), ['80 3e 00']);
});

test('a withdrawn note-off leaves its note sounding; a withdrawn note-on never happened', () => {
  const l = new MidiLedger();
  l.record(100, noteOn(1, 60, 100));
  l.record(500, noteOff(1, 60)); // handed out ahead
  l.record(400, noteOn(1, 67, 100)); // handed out ahead, for before the off
  l.record(600, noteOff(1, 67));
  assert.deepEqual(l.endings(), [], 'everything handed out ends');
  l.withdraw(450); // a stop at 450: 60's off and 67's off are withdrawn, 67's on stays
  assert.deepEqual(hex(l.endings()), ['80 3c 00', '80 43 00']);
  l.withdraw(300); // an earlier withdrawal takes 67's on too
  assert.deepEqual(hex(l.endings()), ['80 3c 00']);
  l.record(300, noteOff(1, 60));
  assert.deepEqual(l.endings(), []);
});

test('messages recorded out of time order are applied in time order; equal times in the order recorded', () => {
  const l = new MidiLedger();
  l.record(300, noteOff(1, 60));
  l.record(100, noteOn(1, 60, 100));
  assert.deepEqual(l.endings(), [], 'the off at 300 ends the on at 100, though recorded first');
  // A re-attack at one instant: off then on (sounds), or on then off (silent).
  l.record(500, noteOff(1, 61));
  l.record(500, noteOn(1, 61, 100));
  l.record(700, noteOn(1, 62, 100));
  l.record(700, noteOff(1, 62));
  assert.deepEqual(hex(l.endings()), ['80 3d 00']);
  l.settle(1000);
  assert.deepEqual(hex(l.endings()), ['80 3d 00']);
});

test('the transport: Start and Continue run it until Stop; a withdrawn Stop leaves it running, a withdrawn Start never ran', () => {
  const l = new MidiLedger();
  assert.equal(l.running, false);
  l.record(100, midiStart());
  assert.equal(l.running, true);
  assert.deepEqual(hex(l.endings()), ['fc']);
  l.record(900, midiStop());
  assert.equal(l.running, false);
  l.withdraw(500);
  assert.equal(l.running, true, 'the Stop was taken back');
  l.withdraw(50);
  assert.equal(l.running, false, 'the Start was taken back');
  l.record(1000, midiContinue());
  l.settle(2000);
  assert.equal(l.running, true);
  assert.equal(l.size, 1, 'the running transport is settled state');
  l.withdraw(1500); // nothing pending: settled state stays
  assert.equal(l.running, true);
  l.record(2100, midiStop());
  l.record(2100, noteOn(5, 40, 80));
  assert.equal(l.running, false);
  assert.deepEqual(hex(l.endings()), ['84 28 00']);
});
