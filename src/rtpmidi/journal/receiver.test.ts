import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../core/errors.ts';
import { SeededRandom } from '../../core/prng.ts';
import { encodeJournal } from './journal-codec.ts';
import { JournalReceiver } from './receiver.ts';
import type { ChannelJournal, ChapterQ, Journal } from './types.ts';

const m = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const hexOf = (msgs: Uint8Array[]): string[] => msgs.map((x) => Buffer.from(x).toString('hex'));

function journal(checkpointSeq: number, channels: ChannelJournal[], q?: ChapterQ, s = false): Uint8Array {
  const j: Journal = { s, enhancedC: false, checkpointSeq, channels };
  if (q) j.system = { s: q.s, sequencer: q };
  return encodeJournal(j);
}

function receiverWith(...msgs: Uint8Array[]): JournalReceiver {
  const r = new JournalReceiver();
  for (const x of msgs) r.observe(x);
  return r;
}

/** Recovers and hands the repairs to the view, as a session does. */
function recoverAndObserve(r: JournalReceiver, bytes: Uint8Array, from: number, to: number): string[] {
  const out = r.recover(bytes, from, to);
  for (const x of out) r.observe(x);
  return hexOf(out);
}

const ch0 = (rest: Partial<ChannelJournal>): ChannelJournal => ({ s: false, channel: 0, enhancedC: false, ...rest });

describe('JournalReceiver (RFC 4696 receiver recovery)', () => {
  it('replays the observed journal: a lost note-on with Y=1 is played', () => {
    const bytes = Uint8Array.of(0x20, 0x6d, 0x76, 0x00, 0x07, 0x08, 0x01, 0xf0, 0x3c, 0xe4);
    const r = new JournalReceiver();
    assert.deepEqual(recoverAndObserve(r, bytes, 0x6d76, 0x6d76), ['903c64']);
    assert.deepEqual(r.snapshot().channels[0]!.notesOn, [0x3c]);
    assert.equal(r.checkpointSeq, 0x6d77);
    assert.deepEqual(r.recover(bytes, 0x6d76, 0x6d76), [], 'our view has it now: nothing to repair twice');
  });

  it('ends a note whose note-off was lost (OFFBITS), and only notes that sound', () => {
    const r = receiverWith(m(0x90, 60, 100), m(0x90, 62, 100));
    const j = journal(5, [ch0({ notes: { b: false, logs: [], offNotes: [60, 61] } })]);
    assert.deepEqual(recoverAndObserve(r, j, 6, 7), ['803c40']);
    assert.deepEqual(r.snapshot().channels[0]!.notesOn, [62]);
  });

  it('plays a lost note-on only with Y=1, and re-strikes a note heard with another velocity', () => {
    const r = receiverWith(m(0x90, 64, 50));
    const j = journal(5, [ch0({
      notes: {
        b: true, offNotes: [],
        logs: [{ s: false, note: 60, y: true, velocity: 100 }, { s: false, note: 61, y: false, velocity: 100 }, { s: false, note: 64, y: true, velocity: 90 }],
      },
    })]);
    assert.deepEqual(recoverAndObserve(r, j, 6, 7), ['903c64', '804040', '90405a']);
    assert.deepEqual(r.snapshot().channels[0]!.notesOn, [60, 64]);
  });

  it('recover() leaves the view alone: it changes when the repairs are observed', () => {
    const r = receiverWith(m(0x90, 60, 100));
    const j = journal(5, [ch0({ notes: { b: false, logs: [], offNotes: [60] } })]);
    assert.equal(r.recover(j, 6, 6).length, 1);
    assert.equal(r.recover(j, 6, 6).length, 1, 'still sounding in our view');
  });

  it('restores program with its bank, controller values and pitch wheel that differ', () => {
    const r = receiverWith(m(0xb2, 7, 100), m(0xb2, 10, 64), m(0xc2, 1), m(0xe2, 0, 0x40));
    const j = journal(5, [{
      s: false, channel: 2, enhancedC: false,
      program: { s: false, program: 5, bankValid: true, bankMsb: 1, x: false, bankLsb: 0 },
      controllers: {
        s: false,
        logs: [
          { s: false, number: 7, tool: 'value', value: 80 },
          { s: false, number: 10, tool: 'value', value: 64 },
          { s: false, number: 64, tool: 'toggle', alt: 1 },
          { s: false, number: 123, tool: 'value', value: 0 },
        ],
      },
      pitch: { s: false, first: 0x10, r: false, second: 0x50 },
    }]);
    assert.deepEqual(recoverAndObserve(r, j, 6, 8), ['b20001', 'b22000', 'c205', 'b20750', 'e21050']);
    const snap = r.snapshot().channels[2]!;
    assert.equal(snap.program, 5);
    assert.equal(snap.pitch, 0x10 | (0x50 << 7));
    assert.equal(snap.controllers[7], 80);
    assert.deepEqual(recoverAndObserve(r, j, 6, 8), [], 'nothing differs any more');
  });

  it('single loss of packet I-1: skips what the S bits say the lost packet did not touch', () => {
    const r = receiverWith(m(0x90, 60, 100), m(0xb0, 7, 1));
    const cj = ch0({
      s: false,
      controllers: { s: true, logs: [{ s: true, number: 7, tool: 'value', value: 99 }] },
      notes: { b: false, logs: [], offNotes: [60] },
    });
    const bytes = journal(5, [cj]);
    assert.deepEqual(hexOf(r.recover(bytes, 9, 9)), ['803c40'], 'the controller log is S=1: packet 9 did not change it');
    assert.deepEqual(hexOf(r.recover(bytes, 8, 9)), ['803c40', 'b00763'], 'two lost packets: everything counts');
    assert.deepEqual(r.recover(journal(5, [cj], undefined, true), 9, 9), [], 'top-level S=1: the lost packet held nothing');
  });

  it('a journal whose checkpoint is after the loss: applies what it codes and ends notes it does not show sounding', () => {
    const r = receiverWith(m(0x90, 60, 100), m(0x90, 61, 100), m(0xb0, 7, 1));
    const bytes = journal(20, [ch0({
      controllers: { s: true, logs: [{ s: true, number: 7, tool: 'value', value: 99 }] },
      notes: { b: true, logs: [{ s: true, note: 61, y: false, velocity: 100 }], offNotes: [] },
    })], undefined, true);
    assert.deepEqual(recoverAndObserve(r, bytes, 10, 10), ['803c40', 'b00763']);
    assert.deepEqual(r.snapshot().channels[0]!.notesOn, [61]);
  });

  it('chapter Q: Stop when the journal is stopped, SPP + Continue + the odd clocks when it plays', () => {
    const r = receiverWith(m(0xfa), ...Array.from({ length: 30 }, () => m(0xf8)));
    assert.deepEqual(recoverAndObserve(r, journal(1, [], { s: false, running: false, d: false, position: 60 }), 2, 3), ['fc', 'f20a00']);
    assert.equal(r.snapshot().playing, false);
    assert.equal(r.snapshot().songPositionBeats, 10);
    assert.deepEqual(recoverAndObserve(r, journal(1, [], { s: false, running: true, d: false, position: 100 }), 2, 3), ['f21000', 'fb', 'f8', 'f8', 'f8', 'f8']);
    const snap = r.snapshot();
    assert.equal(snap.playing, true);
    assert.equal(snap.positionClocks, 100);
  });

  it('chapter Q while playing: lost clocks made up by a burst, a big jump by Stop, SPP, Continue', () => {
    const r = receiverWith(m(0xfa), m(0xf8), m(0xf8));
    assert.deepEqual(recoverAndObserve(r, journal(1, [], { s: false, running: true, d: false, position: 5 }), 2, 3), ['f8', 'f8', 'f8']);
    assert.equal(r.snapshot().positionClocks, 5);
    assert.deepEqual(recoverAndObserve(r, journal(1, [], { s: false, running: true, d: false, position: 5 }), 2, 3), []);
    assert.deepEqual(recoverAndObserve(r, journal(1, [], { s: false, running: true, d: false, position: 1 }), 2, 3), ['fc', 'f20000', 'fb', 'f8']);
    assert.equal(r.snapshot().positionClocks, 1);
    assert.deepEqual(recoverAndObserve(r, journal(1, [], { s: false, running: true, d: false }), 2, 3), ['fc', 'f20000', 'fb'], 'no CLOCK field: position 0');
  });

  it('tracks checkpointSeq across wrap-around and through received()', () => {
    const r = new JournalReceiver();
    assert.equal(r.checkpointSeq, undefined);
    r.received(65535);
    r.received(3);
    r.received(65530); // older: ignored
    assert.equal(r.checkpointSeq, 3);
    r.recover(journal(4, []), 4, 9);
    assert.equal(r.checkpointSeq, 10);
    r.recover(journal(65535, []), 65535, 65535);
    assert.equal(r.checkpointSeq, 10, 'an older gap does not move it back');
  });

  it('throws only DecodeError on bad journals, RangeError on bad sequence numbers', () => {
    const r = receiverWith(m(0x90, 60, 100));
    assert.throws(() => r.recover(Uint8Array.of(0x20, 0, 0), 1, 1), DecodeError);
    assert.throws(() => r.recover(journal(0, []), 65536, 1), RangeError);
    const rnd = new SeededRandom(11);
    for (let i = 0; i < 2000; i++) {
      try {
        const out = r.recover(rnd.bytes(rnd.int(40)), rnd.int(65536), rnd.int(65536));
        for (const x of out) assert.ok(x.length >= 1 && x[0]! >= 0x80);
      } catch (e) {
        assert.ok(e instanceof DecodeError, String(e));
      }
    }
  });
});
