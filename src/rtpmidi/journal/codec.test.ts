import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../core/errors.ts';
import { SeededRandom } from '../../core/prng.ts';
import { decodeJournal, encodeJournal, journalLength } from './journal-codec.ts';
import { CHANNEL_TOC, SYSTEM_TOC, type ChannelJournal, type ControllerLog, type Journal, type SystemJournal } from './types.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/).map((b) => parseInt(b, 16)));

/**
 * The third RTP packet of section A of the observed AppleMIDI exchange (a hand-written endpoint
 * to a Linux RTP-MIDI daemon): header 0x43 = J=1 LEN=3, MIDI list 90 3e 50, then the journal.
 */
const OBSERVED_PACKET = hex('80 e1 6d 77 00 0f 55 d8 0f 19 ef da 43 90 3e 50 20 6d 76 00 07 08 01 f0 3c e4');
const OBSERVED_JOURNAL_OFFSET = 12 + 1 + 3;

function expectDecodeError(bytes: Uint8Array, what: string): void {
  assert.throws(() => decodeJournal(bytes), (e: unknown) => e instanceof DecodeError, what);
}

// --- random journals ------------------------------------------------------------------

function pick<T>(r: SeededRandom, items: readonly T[]): T {
  return items[r.int(items.length)]!;
}

function distinct(r: SeededRandom, count: number, max = 128): number[] {
  const all = Array.from({ length: max }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

function randomChannel(r: SeededRandom, channel: number): ChannelJournal {
  const bool = (): boolean => r.int(2) === 1;
  const cj: ChannelJournal = { s: bool(), channel, enhancedC: bool() };
  if (bool()) cj.program = { s: bool(), program: r.int(128), bankValid: bool(), bankMsb: r.int(128), x: bool(), bankLsb: r.int(128) };
  if (bool()) {
    const logs: ControllerLog[] = Array.from({ length: 1 + r.int(r.int(4) === 0 ? 128 : 8) }, () => {
      const tool = pick(r, ['value', 'value', 'toggle', 'count'] as const);
      return tool === 'value'
        ? { s: bool(), number: r.int(128), tool, value: r.int(128) }
        : { s: bool(), number: r.int(128), tool, alt: r.int(64) };
    });
    cj.controllers = { s: bool(), logs };
  }
  if (bool()) {
    const len = 2 + r.int(12);
    const m = r.bytes(len);
    m[0] = (m[0]! & 0xfc) | (len >> 8);
    m[1] = len & 0xff;
    cj.parameterBytes = m;
  }
  if (bool()) cj.pitch = { s: bool(), first: r.int(128), r: bool(), second: r.int(128) };
  if (bool()) {
    const all128 = r.int(10) === 0;
    const notes = distinct(r, all128 ? 128 : r.int(40) + r.int(30));
    const logCount = all128 ? 128 : r.int(notes.length + 1);
    const logs = notes.slice(0, logCount).map((note) => ({ s: bool(), note, y: bool(), velocity: r.int(128) }));
    const offNotes = notes.slice(logCount).sort((a, b) => a - b);
    cj.notes = { b: bool(), logs, offNotes };
  }
  if (bool()) {
    const toc = 1 + r.int(7); // some of E, T, A
    cj.tail = { toc, bytes: r.bytes(1 + r.int(9)) };
  }
  return cj;
}

function randomSystem(r: SeededRandom): SystemJournal {
  const bool = (): boolean => r.int(2) === 1;
  const sj: SystemJournal = { s: bool() };
  if (bool()) {
    const h = (bool() ? 0x80 : 0) | (r.int(8) << 4); // B, G, H fields only: delimitable
    const fields = [0x40, 0x20, 0x10].filter((b) => (h & b) !== 0).length;
    sj.simpleBytes = Uint8Array.of(h, ...r.bytes(fields));
  }
  if (bool()) sj.activeSenseBytes = r.bytes(1);
  if (bool()) {
    sj.sequencer = { s: bool(), running: bool(), d: bool() };
    if (bool()) sj.sequencer.position = r.int(1 << 19);
    if (bool()) sj.sequencer.timeTools = r.int(1 << 24);
  }
  if (bool()) sj.tail = { toc: pick(r, [SYSTEM_TOC.F, SYSTEM_TOC.X, SYSTEM_TOC.F | SYSTEM_TOC.X]), bytes: r.bytes(1 + r.int(12)) };
  return sj;
}

export function randomJournal(r: SeededRandom): Journal {
  const channels = distinct(r, r.int(17), 16).sort((a, b) => a - b).map((c) => randomChannel(r, c));
  const j: Journal = { s: r.int(2) === 1, enhancedC: r.int(2) === 1, checkpointSeq: r.int(0x10000), channels };
  if (r.int(2) === 1) j.system = randomSystem(r);
  return j;
}

describe('recovery journal codec (RFC 6295 §5)', () => {
  it('decodes the journal of the observed packet: one channel journal, chapter N with note 0x3c vel 0x64, Y=1', () => {
    const j = decodeJournal(OBSERVED_PACKET, OBSERVED_JOURNAL_OFFSET);
    assert.equal(j.s, false);
    assert.equal(j.enhancedC, false);
    assert.equal(j.checkpointSeq, 0x6d76);
    assert.equal(j.system, undefined);
    assert.equal(j.channels.length, 1, 'TOTCHAN=0 codes one channel journal');
    const cj = j.channels[0]!;
    assert.equal(cj.channel, 0);
    assert.equal(cj.s, false);
    assert.equal(cj.program, undefined);
    assert.equal(cj.controllers, undefined);
    assert.equal(cj.pitch, undefined);
    assert.deepEqual(cj.notes, { b: false, logs: [{ s: false, note: 0x3c, y: true, velocity: 0x64 }], offNotes: [] });
  });

  it('re-encodes the observed journal with the same layout (empty OFFBITS as LOW=15 HIGH=1)', () => {
    const j = decodeJournal(OBSERVED_PACKET, OBSERVED_JOURNAL_OFFSET);
    const bytes = encodeJournal(j);
    assert.deepEqual(bytes, hex('20 6d 76 00 07 08 01 f1 3c e4'));
    assert.deepEqual(decodeJournal(bytes), j);
    assert.equal(journalLength(j), bytes.length);
  });

  it('codes every chapter field at its bit position', () => {
    const j: Journal = {
      s: true, enhancedC: false, checkpointSeq: 0x1234,
      system: { s: false, sequencer: { s: false, running: true, d: false, position: 0x51234, timeTools: 0x010203 } },
      channels: [{
        s: true, channel: 9, enhancedC: false,
        program: { s: true, program: 5, bankValid: true, bankMsb: 1, x: false, bankLsb: 2 },
        controllers: { s: true, logs: [{ s: true, number: 7, tool: 'value', value: 100 }, { s: false, number: 64, tool: 'toggle', alt: 3 }, { s: true, number: 65, tool: 'count', alt: 63 }] },
        pitch: { s: true, first: 0x00, r: false, second: 0x40 },
        notes: { b: true, logs: [{ s: true, note: 60, y: false, velocity: 1 }], offNotes: [8, 23] },
      }],
    };
    const expected = hex(`
      e0 12 34
      10 08 5d 12 34 01 02 03
      c8 15 d8
      85 81 02
      82 87 64 40 83 c1 ff
      80 40
      81 12 bc 01 80 01`);
    assert.deepEqual(encodeJournal(j), expected);
    assert.deepEqual(decodeJournal(expected), j);
  });

  it('reads LEN=127 with LOW=15 HIGH=0 as 128 note logs', () => {
    const logs = Array.from({ length: 128 }, (_, note) => ({ s: true, note, y: true, velocity: 100 }));
    const j: Journal = { s: true, enhancedC: false, checkpointSeq: 1, channels: [{ s: true, channel: 0, enhancedC: false, notes: { b: true, logs, offNotes: [] } }] };
    const bytes = encodeJournal(j);
    assert.equal(bytes[6], 0xff, 'B=1, LEN=127');
    assert.equal(bytes[7], 0xf0, 'LOW=15, HIGH=0');
    assert.equal(decodeJournal(bytes).channels[0]!.notes!.logs.length, 128);
  });

  it('skips chapters it does not interpret by their lengths and keeps their bytes', () => {
    // Chapter M (its LENGTH 4) between C and W, chapters E/T after N; a second channel follows.
    const j = decodeJournal(hex(`
      21 00 01
      00 11 7e  80 07 64  00 04 aa bb  01 02  00 f1  01 7f 10
      08 03 00`));
    assert.equal(j.channels.length, 2);
    const [c0, c1] = j.channels;
    assert.deepEqual(c0!.controllers, { s: true, logs: [{ s: false, number: 7, tool: 'value', value: 100 }] });
    assert.deepEqual(c0!.parameterBytes, hex('00 04 aa bb'));
    assert.deepEqual(c0!.pitch, { s: false, first: 1, r: false, second: 2 });
    assert.deepEqual(c0!.notes, { b: false, logs: [], offNotes: [] });
    assert.deepEqual(c0!.tail, { toc: CHANNEL_TOC.E | CHANNEL_TOC.T, bytes: hex('01 7f 10') });
    assert.equal(c1!.channel, 1);
    assert.equal(c1!.notes, undefined);
  });

  it('keeps an undelimitable chapter M and everything after it as bytes, and still finds the next channel', () => {
    const bytes = hex('21 00 01  00 08 38 ff ff 01 02 03  08 03 00');
    const j = decodeJournal(bytes);
    assert.deepEqual(j.channels[0]!.tail, { toc: CHANNEL_TOC.M | CHANNEL_TOC.W | CHANNEL_TOC.N, bytes: hex('ff ff 01 02 03') });
    assert.equal(j.channels[1]!.channel, 1);
    assert.deepEqual(encodeJournal(j), bytes);
  });

  it('finds chapter Q behind chapters D and V, and keeps an undelimited chapter D as bytes', () => {
    const dv = decodeJournal(hex('40 00 07  f0 08 70 01 02 03 05 c0'));
    assert.deepEqual(dv.system?.simpleBytes, hex('70 01 02 03'));
    assert.deepEqual(dv.system?.activeSenseBytes, hex('05'));
    assert.deepEqual(dv.system?.sequencer, { s: true, running: true, d: false });
    const jk = decodeJournal(hex('40 00 07  50 06 08 00 03 40'));
    assert.equal(jk.system?.sequencer, undefined);
    assert.deepEqual(jk.system?.tail, { toc: SYSTEM_TOC.D | SYSTEM_TOC.Q, bytes: hex('08 00 03 40') });
    assert.deepEqual(encodeJournal(jk), hex('40 00 07  50 06 08 00 03 40'));
  });

  it('round-trips 400 random journals', () => {
    const r = new SeededRandom(0x6295);
    for (let i = 0; i < 400; i++) {
      const j = randomJournal(r);
      const bytes = encodeJournal(j);
      assert.equal(bytes.length, journalLength(j));
      assert.deepEqual(decodeJournal(bytes), j, `journal ${i}`);
    }
  });

  it('throws only DecodeError for every truncation of valid journals', () => {
    const r = new SeededRandom(42);
    let prefixes = 0;
    for (let i = 0; i < 60; i++) {
      const bytes = encodeJournal(randomJournal(r));
      for (let n = 0; n < bytes.length; n++) {
        expectDecodeError(bytes.subarray(0, n), `journal ${i} cut at ${n} of ${bytes.length}`);
        prefixes++;
      }
    }
    assert.ok(prefixes > 1000);
  });

  it('fuzz: random and mutated bytes decode or throw DecodeError, nothing else', () => {
    const r = new SeededRandom(7);
    let decoded = 0;
    for (let i = 0; i < 4000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) bytes = r.bytes(r.int(64));
      else {
        bytes = encodeJournal(randomJournal(r)).slice();
        for (let k = 0; k <= r.int(4); k++) if (bytes.length > 0) bytes[r.int(bytes.length)] = r.int(256);
      }
      try {
        const j = decodeJournal(bytes);
        assert.ok(j.channels.length <= 16);
        decoded++;
      } catch (e) {
        assert.ok(e instanceof DecodeError, `not a DecodeError: ${String(e)}`);
      }
    }
    assert.ok(decoded > 100, `some inputs decode (${decoded})`);
  });

  it('rejects what the format cannot carry with RangeError', () => {
    const base = (cj: ChannelJournal): Journal => ({ s: true, enhancedC: false, checkpointSeq: 0, channels: [cj] });
    const ch = { s: true, channel: 0, enhancedC: false };
    assert.throws(() => encodeJournal(base({ ...ch, channel: 16 })), RangeError);
    assert.throws(() => encodeJournal({ ...base(ch), checkpointSeq: 0x10000 }), RangeError);
    assert.throws(() => encodeJournal({ ...base(ch), channels: Array.from({ length: 17 }, (_, c) => ({ ...ch, channel: c % 16 })) }), RangeError);
    assert.throws(() => encodeJournal(base({ ...ch, notes: { b: true, logs: [{ s: true, note: 1, y: true, velocity: 128 }], offNotes: [] } })), RangeError);
    assert.throws(() => encodeJournal(base({ ...ch, controllers: { s: true, logs: [] } })), RangeError);
    assert.throws(() => encodeJournal(base({ ...ch, pitch: { s: true, first: 0, r: false, second: 0 }, tail: { toc: CHANNEL_TOC.P, bytes: new Uint8Array(1) } })), RangeError);
    assert.throws(() => encodeJournal({ ...base(ch), system: { s: true, sequencer: { s: true, running: true, d: false, position: 1 << 19 } } }), RangeError);
  });

  it('rejects lengths below the headers and beyond the buffer', () => {
    expectDecodeError(hex('20 00 00  00 02 00'), 'channel LENGTH below 3');
    expectDecodeError(hex('20 00 00  00 09 08 00 f1'), 'channel LENGTH beyond the buffer');
    expectDecodeError(hex('40 00 00  00 01'), 'system LENGTH below 2');
    expectDecodeError(hex('21 00 00  00 03 00'), 'TOTCHAN says two channel journals');
    expectDecodeError(hex('20 00 00  00 05 08 05 f1'), 'note logs beyond the channel journal');
  });
});
