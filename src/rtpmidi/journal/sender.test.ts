import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../core/prng.ts';
import { decodeJournal } from './journal-codec.ts';
import { JournalSender } from './sender.ts';
import type { Journal } from './types.ts';

const m = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

function journalOf(sender: JournalSender): Journal {
  const bytes = sender.encode();
  assert.ok(bytes, 'a journal');
  return decodeJournal(bytes);
}

describe('JournalSender (RFC 4696 sender state)', () => {
  it("encodes nothing before the first message, and nothing at all in mode 'off'", () => {
    const s = new JournalSender();
    assert.equal(s.encode(), undefined);
    const off = new JournalSender({ mode: 'off' });
    off.record(m(0x90, 60, 100), 1);
    assert.equal(off.encode(), undefined);
  });

  it('codes a note-on with S=0 and Y=1 in the next packet, S=1 once another packet followed', () => {
    const s = new JournalSender();
    s.record(m(0x90, 60, 100), 10);
    let j = journalOf(s);
    assert.equal(j.checkpointSeq, 10);
    assert.equal(j.s, false);
    assert.equal(j.channels.length, 1);
    assert.equal(j.channels[0]!.s, false);
    assert.deepEqual(j.channels[0]!.notes, { b: true, logs: [{ s: false, note: 60, y: true, velocity: 100 }], offNotes: [] });
    s.record(m(0xb1, 7, 90), 11);
    j = journalOf(s);
    assert.equal(j.s, false, 'the controller of packet 11 is S=0');
    const [c0, c1] = j.channels;
    assert.equal(c0!.s, true);
    assert.equal(c0!.notes!.logs[0]!.s, true);
    assert.equal(c1!.channel, 1);
    assert.deepEqual(c1!.controllers, { s: false, logs: [{ s: false, number: 7, tool: 'value', value: 90 }] });
    s.record(m(0xf8), 12); // a clock while stopped changes nothing
    assert.equal(journalOf(s).s, true, 'nothing of packet 12 is coded');
  });

  it('codes a note-off as an OFFBITS bit with B=0, then B=1; a note never both a log and an off bit', () => {
    const s = new JournalSender();
    s.record(m(0x92, 61, 90), 1);
    s.record(m(0x92, 64, 90), 1);
    s.record(m(0x82, 61, 0), 2);
    s.record(m(0x92, 64, 0), 2); // note-on with velocity 0 is a note-off
    let n = journalOf(s).channels[0]!.notes!;
    assert.deepEqual(n, { b: false, logs: [], offNotes: [61, 64] });
    s.record(m(0x92, 61, 70), 3);
    n = journalOf(s).channels[0]!.notes!;
    assert.equal(n.b, true);
    assert.deepEqual(n.offNotes, [64]);
    assert.deepEqual(n.logs.map((l) => [l.note, l.velocity, l.s]), [[61, 70, false]]);
  });

  it('orders note logs oldest first and sets Y=0 for note-ons older than recentPackets', () => {
    const s = new JournalSender({ recentPackets: 3 });
    s.record(m(0x90, 70, 10), 100);
    s.record(m(0x90, 50, 20), 101);
    for (let seq = 102; seq < 106; seq++) s.record(m(0xb0, 1, seq & 0x7f), seq);
    const logs = journalOf(s).channels[0]!.notes!.logs;
    assert.deepEqual(logs.map((l) => [l.note, l.y]), [[70, false], [50, false]]);
    s.record(m(0x90, 40, 30), 106);
    assert.deepEqual(journalOf(s).channels[0]!.notes!.logs.map((l) => [l.note, l.y]), [[70, false], [50, false], [40, true]]);
  });

  it('with times, Y=1 means the note-on is at most recentMicros old when the packet goes out', () => {
    const s = new JournalSender({ recentMicros: 100_000 });
    s.record(m(0x90, 60, 100), 1, 1_000_000);
    s.record(m(0x90, 61, 100), 2, 1_050_000);
    const logs = decodeJournal(s.encode(1_120_000)!).channels[0]!.notes!.logs;
    assert.deepEqual(logs.map((l) => [l.note, l.y]), [[60, false], [61, true]]);
    assert.equal(decodeJournal(s.encode()!).channels[0]!.notes!.logs[0]!.y, true, 'no time given: the packet window decides');
  });

  it('codes program with the bank in force, controllers and pitch wheel', () => {
    const s = new JournalSender();
    s.record(m(0xb3, 0, 1), 5);
    s.record(m(0xb3, 32, 2), 5);
    s.record(m(0xc3, 42), 5);
    s.record(m(0xe3, 0x11, 0x22), 6);
    const cj = journalOf(s).channels[0]!;
    assert.equal(cj.channel, 3);
    assert.deepEqual(cj.program, { s: true, program: 42, bankValid: true, bankMsb: 1, x: false, bankLsb: 2 });
    assert.deepEqual(cj.controllers!.logs.map((l) => l.number), [0, 32]);
    assert.deepEqual(cj.pitch, { s: false, first: 0x11, r: false, second: 0x22 });
    const plain = new JournalSender();
    plain.record(m(0xc0, 9), 1);
    assert.equal(journalOf(plain).channels[0]!.program!.bankValid, false);
  });

  it('drops what is older than the checkpoint and keeps coding from the checkpoint packet on', () => {
    const s = new JournalSender();
    s.record(m(0x90, 60, 100), 10);
    s.record(m(0xb0, 7, 100), 12);
    s.record(m(0x80, 60, 0), 14);
    s.checkpoint(12);
    let j = journalOf(s);
    assert.equal(j.checkpointSeq, 12);
    assert.deepEqual(j.channels[0]!.notes!.offNotes, [60]);
    assert.equal(j.channels[0]!.controllers!.logs.length, 1, 'packet 12 itself is still coded');
    s.checkpoint(11); // older feedback changes nothing
    assert.equal(journalOf(s).checkpointSeq, 12);
    s.checkpoint(14);
    j = journalOf(s);
    assert.equal(j.channels[0]!.controllers, undefined);
    assert.deepEqual(j.channels[0]!.notes!.offNotes, [60]);
    s.checkpoint(15);
    j = journalOf(s);
    assert.deepEqual(j, { s: true, enhancedC: false, checkpointSeq: 15, channels: [] }, 'an empty journal');
    s.checkpoint(30000); // feedback from the future moves no further than the next packet
    assert.equal(s.checkpointSeq, 15);
  });

  it('handles sequence numbers that wrap around 65535', () => {
    const s = new JournalSender();
    s.record(m(0x90, 60, 100), 65534);
    s.record(m(0x91, 61, 100), 65535);
    s.record(m(0x92, 62, 100), 0);
    s.record(m(0x93, 63, 100), 1);
    let j = journalOf(s);
    assert.equal(j.checkpointSeq, 65534);
    assert.equal(j.channels.length, 4);
    s.checkpoint(65535);
    j = journalOf(s);
    assert.deepEqual(j.channels.map((c) => c.channel), [1, 2, 3]);
    s.checkpoint(1);
    assert.deepEqual(journalOf(s).channels.map((c) => c.channel), [3]);
  });

  it('ends every sounding note of the channel on All Notes Off / All Sound Off / System Reset', () => {
    const s = new JournalSender();
    s.record(m(0x90, 60, 100), 1);
    s.record(m(0x90, 64, 100), 1);
    s.record(m(0x91, 65, 100), 1);
    s.record(m(0xb0, 123, 0), 2);
    const j = journalOf(s);
    assert.deepEqual(j.channels[0]!.notes!.offNotes, [60, 64]);
    assert.deepEqual(j.channels[1]!.notes!.logs.map((l) => l.note), [65]);
    s.record(m(0xff), 3);
    assert.deepEqual(journalOf(s).channels[1]!.notes!.offNotes, [65]);
  });

  it('codes the sequencer state in chapter Q: running, clocks since Start, SPP, Stop; always, past any checkpoint', () => {
    const s = new JournalSender();
    s.record(m(0xfa), 20);
    let q = journalOf(s).system!.sequencer!;
    assert.deepEqual(q, { s: false, running: true, d: true, position: 0 });
    for (let seq = 21; seq <= 25; seq++) s.record(m(0xf8), seq);
    q = journalOf(s).system!.sequencer!;
    assert.deepEqual(q, { s: false, running: true, d: false, position: 5 });
    s.record(m(0xfc), 26);
    s.record(m(0xf2, 0x10, 0x01), 27); // 144 MIDI beats
    s.record(m(0xf8), 28); // a clock while stopped does not move the song
    s.checkpoint(29);
    const j = journalOf(s);
    assert.equal(j.s, true);
    assert.deepEqual(j.system, { s: true, sequencer: { s: true, running: false, d: false, position: 144 * 6 } });
    s.record(m(0xfb), 29);
    assert.deepEqual(journalOf(s).system!.sequencer, { s: false, running: true, d: true, position: 864 });
  });

  it("'one-channel' emits only the most recently active channel journal (TOTCHAN=0)", () => {
    const s = new JournalSender({ mode: 'one-channel' });
    const r = new SeededRandom(3);
    let seq = 0;
    for (let i = 0; i < 300; i++) {
      const ch = r.int(16);
      s.record(m(0x90 | ch, r.int(128), 1 + r.int(127)), seq);
      if (r.int(3) === 0) s.record(m(0xb0 | r.int(16), r.int(120), r.int(128)), seq);
      const bytes = s.encode()!;
      assert.equal(bytes[0]! & 0x0f, 0, 'TOTCHAN=0');
      const j = decodeJournal(bytes);
      assert.ok(j.channels.length <= 1);
      seq++;
    }
    s.record(m(0x95, 1, 1), seq);
    s.record(m(0x9a, 1, 1), seq + 1);
    assert.deepEqual(journalOf(s).channels.map((c) => c.channel), [10]);
  });

  it('stays within maxBytes: stale note logs go first, then the checkpoint moves forward', () => {
    const s = new JournalSender({ maxBytes: 600, recentPackets: 4 });
    let seq = 1000;
    for (let ch = 0; ch < 4; ch++) for (let n = 0; n < 128; n++) s.record(m(0x90 | ch, n, 100), seq);
    seq++;
    for (let ch = 0; ch < 4; ch++) s.record(m(0xb0 | ch, 7, 1), seq++);
    const bytes = s.encode()!;
    assert.ok(bytes.length <= 600, `${bytes.length} octets`);
    const j = decodeJournal(bytes);
    assert.equal(j.checkpointSeq, 1000, 'dropping stale note logs was enough');
    assert.ok(j.channels.every((c) => !c.notes), 'the 512 old note-ons are gone');
    const first = seq;
    for (let ch = 8; ch < 16; ch++, seq++) for (let n = 0; n < 128; n++) s.record(m(0x90 | ch, n, 100), seq);
    s.record(m(0xb0, 7, 2), seq); // and a controller in the newest packet
    const big = s.encode()!;
    assert.ok(big.length <= 600, `${big.length} octets`);
    const bj = decodeJournal(big);
    assert.ok(bj.checkpointSeq > first, `the checkpoint moved (${bj.checkpointSeq})`);
    assert.deepEqual(bj.channels.map((c) => c.channel), [0, 14, 15], 'the newest packets stay coded');
    assert.equal(bj.channels.at(-1)!.notes!.logs.length, 128);
    assert.equal(s.checkpointSeq, bj.checkpointSeq, 'the moved checkpoint persists');
    const tiny = new JournalSender({ maxBytes: 16 });
    tiny.record(m(0xfa), 1);
    for (let n = 0; n < 128; n++) tiny.record(m(0x90, n, 1), 2);
    const t = decodeJournal(tiny.encode()!);
    assert.equal(t.channels.length, 0);
    assert.equal(t.system!.sequencer!.running, true, 'chapter Q survives');
  });

  it('rejects bad arguments at once', () => {
    assert.throws(() => new JournalSender({ mode: 'half' as never }), RangeError);
    assert.throws(() => new JournalSender({ maxBytes: 4 }), RangeError);
    const s = new JournalSender();
    assert.throws(() => s.record(m(0x90, 1, 1), 65536), RangeError);
    assert.throws(() => s.checkpoint(-1), RangeError);
    s.record(m(0x12), 1); // not a status byte: ignored
    s.record(m(0x90, 1), 1); // too short: ignored
    assert.deepEqual(journalOf(s).channels, []);
  });
});
