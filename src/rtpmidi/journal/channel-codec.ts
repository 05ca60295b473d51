/**
 * Channel journal codec (RFC 6295 §5.1) with chapters P (A.2), C (A.3), W (A.5) and N (A.6);
 * chapter M (A.4) is delimited by its LENGTH field and kept as bytes, chapters E, T and A
 * (after N) are kept as bytes. Pure (L0).
 * @module
 */
import { ByteReader, type ByteWriter } from '../../core/byte-io.ts';
import { DecodeError } from '../../core/errors.ts';
import {
  CHANNEL_TOC,
  type ChannelJournal,
  type ChapterC,
  type ChapterN,
  type ChapterP,
  type ChapterW,
  type ControllerLog,
  type NoteLog,
  type RawChapters,
} from './types.ts';

/** Largest value of a 10-bit LENGTH field. */
export const MAX_SECTION_LENGTH = 0x3ff;

export function check7(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0x7f) throw new RangeError(`${what} must be an integer in [0, 127], got ${v}`);
}

// --- decode ---------------------------------------------------------------------------

export function decodeChannelJournal(r: ByteReader): ChannelJournal {
  const start = r.offset;
  r.need(3, 'channel journal header');
  const b0 = r.u8();
  const b1 = r.u8();
  const toc = r.u8();
  const channel = (b0 >> 3) & 0x0f;
  const length = ((b0 & 0x03) << 8) | b1;
  if (length < 3) throw new DecodeError(`channel journal ${channel} LENGTH ${length} is below its 3-octet header`, start);
  r.need(length - 3, `channel journal ${channel}`);
  const end = start + length;
  const c = new ByteReader(r.bytes, r.offset, end);
  const cj: ChannelJournal = { s: (b0 & 0x80) !== 0, channel, enhancedC: (b0 & 0x04) !== 0 };
  if (toc & CHANNEL_TOC.P) cj.program = decodeChapterP(c);
  if (toc & CHANNEL_TOC.C) cj.controllers = decodeChapterC(c);
  let rest = toc & (CHANNEL_TOC.W | CHANNEL_TOC.N | CHANNEL_TOC.E | CHANNEL_TOC.T | CHANNEL_TOC.A);
  if (toc & CHANNEL_TOC.M) {
    const m = chapterMLength(c);
    if (m === undefined) {
      // Not delimitable: keep M and everything after it as bytes (the LENGTH above still
      // lets the next channel journal be found).
      rest |= CHANNEL_TOC.M;
      cj.tail = { toc: rest, bytes: c.take(c.remaining, 'chapter M') };
      r.offset = end;
      return cj;
    }
    cj.parameterBytes = c.take(m, 'chapter M');
  }
  if (toc & CHANNEL_TOC.W) cj.pitch = decodeChapterW(c);
  if (toc & CHANNEL_TOC.N) cj.notes = decodeChapterN(c);
  const after = toc & (CHANNEL_TOC.E | CHANNEL_TOC.T | CHANNEL_TOC.A);
  if (after) cj.tail = { toc: after, bytes: c.take(c.remaining, 'chapters E/T/A') };
  r.offset = end; // octets past the last chapter are skipped, as LENGTH says (RFC 6295 A.1)
  return cj;
}

/** Chapter M's LENGTH (|S|P|E|U|W|Z|LENGTH(10)|), when it is plausible. */
function chapterMLength(c: ByteReader): number | undefined {
  if (c.remaining < 2) return undefined;
  const b = c.bytes;
  const len = ((b[c.offset]! & 0x03) << 8) | b[c.offset + 1]!;
  return len >= 2 && len <= c.remaining ? len : undefined;
}

function decodeChapterP(c: ByteReader): ChapterP {
  c.need(3, 'chapter P');
  const a = c.u8();
  const b = c.u8();
  const x = c.u8();
  return {
    s: (a & 0x80) !== 0, program: a & 0x7f,
    bankValid: (b & 0x80) !== 0, bankMsb: b & 0x7f,
    x: (x & 0x80) !== 0, bankLsb: x & 0x7f,
  };
}

function decodeChapterC(c: ByteReader): ChapterC {
  const h = c.u8('chapter C header');
  const count = (h & 0x7f) + 1;
  c.need(count * 2, `chapter C (${count} controller logs)`);
  const logs: ControllerLog[] = [];
  for (let i = 0; i < count; i++) {
    const a = c.u8();
    const b = c.u8();
    const s = (a & 0x80) !== 0;
    const number = a & 0x7f;
    if ((b & 0x80) === 0) logs.push({ s, number, tool: 'value', value: b & 0x7f });
    else logs.push({ s, number, tool: (b & 0x40) !== 0 ? 'count' : 'toggle', alt: b & 0x3f });
  }
  return { s: (h & 0x80) !== 0, logs };
}

function decodeChapterW(c: ByteReader): ChapterW {
  c.need(2, 'chapter W');
  const a = c.u8();
  const b = c.u8();
  return { s: (a & 0x80) !== 0, first: a & 0x7f, r: (b & 0x80) !== 0, second: b & 0x7f };
}

function decodeChapterN(c: ByteReader): ChapterN {
  c.need(2, 'chapter N header');
  const a = c.u8();
  const lh = c.u8();
  const low = lh >> 4;
  const high = lh & 0x0f;
  let count = a & 0x7f;
  if (count === 127 && low === 15 && high === 0) count = 128; // RFC 6295 A.6: 128 note logs
  c.need(count * 2, `chapter N (${count} note logs)`);
  const logs: NoteLog[] = [];
  for (let i = 0; i < count; i++) {
    const n = c.u8();
    const v = c.u8();
    logs.push({ s: (n & 0x80) !== 0, note: n & 0x7f, y: (v & 0x80) !== 0, velocity: v & 0x7f });
  }
  const offNotes: number[] = [];
  if (low <= high) {
    // Other LOW > HIGH pairs than (15,0)/(15,1) are not to be sent; read as empty too.
    const octets = high - low + 1;
    c.need(octets, 'chapter N OFFBITS');
    for (let i = 0; i < octets; i++) {
      const o = c.u8();
      for (let bit = 0; bit < 8; bit++) if (o & (0x80 >> bit)) offNotes.push((low + i) * 8 + bit);
    }
  }
  return { b: (a & 0x80) !== 0, logs, offNotes };
}

// --- encode ---------------------------------------------------------------------------

/** Octets of a channel journal, header included. */
export function channelJournalLength(cj: ChannelJournal): number {
  let n = 3;
  if (cj.program) n += 3;
  if (cj.controllers) n += 1 + 2 * cj.controllers.logs.length;
  if (cj.parameterBytes) n += cj.parameterBytes.length;
  if (cj.pitch) n += 2;
  if (cj.notes) n += chapterNLength(cj.notes);
  if (cj.tail) n += cj.tail.bytes.length;
  return n;
}

export function chapterNLength(n: ChapterN): number {
  if (n.offNotes.length === 0) return 2 + 2 * n.logs.length;
  const low = Math.min(...n.offNotes) >> 3;
  const high = Math.max(...n.offNotes) >> 3;
  return 2 + 2 * n.logs.length + (high - low + 1);
}

export function encodeChannelJournal(w: ByteWriter, cj: ChannelJournal): void {
  if (!Number.isInteger(cj.channel) || cj.channel < 0 || cj.channel > 15) {
    throw new RangeError(`channel journal channel must be an integer in [0, 15], got ${cj.channel}`);
  }
  const length = channelJournalLength(cj);
  if (length > MAX_SECTION_LENGTH) throw new RangeError(`channel journal ${cj.channel} is ${length} octets, above the 10-bit LENGTH (1023)`);
  let toc = 0;
  if (cj.program) toc |= CHANNEL_TOC.P;
  if (cj.controllers) toc |= CHANNEL_TOC.C;
  if (cj.parameterBytes) toc |= CHANNEL_TOC.M;
  if (cj.pitch) toc |= CHANNEL_TOC.W;
  if (cj.notes) toc |= CHANNEL_TOC.N;
  if (cj.tail) toc |= checkTail(cj.tail, toc, 'channel journal');
  w.u8((cj.s ? 0x80 : 0) | (cj.channel << 3) | (cj.enhancedC ? 0x04 : 0) | (length >> 8));
  w.u8(length & 0xff);
  w.u8(toc);
  if (cj.program) encodeChapterP(w, cj.program);
  if (cj.controllers) encodeChapterC(w, cj.controllers);
  if (cj.parameterBytes) w.bytes(cj.parameterBytes);
  if (cj.pitch) {
    check7(cj.pitch.first, 'chapter W FIRST');
    check7(cj.pitch.second, 'chapter W SECOND');
    w.u8((cj.pitch.s ? 0x80 : 0) | cj.pitch.first).u8((cj.pitch.r ? 0x80 : 0) | cj.pitch.second);
  }
  if (cj.notes) encodeChapterN(w, cj.notes);
  if (cj.tail) w.bytes(cj.tail.bytes);
}

/** The tail's TOC bits, checked to follow every interpreted chapter (TOC order is bit order). */
export function checkTail(tail: RawChapters, present: number, what: string): number {
  const lowestPresent = present & -present;
  if (tail.toc <= 0 || tail.toc > 0xff || (present !== 0 && tail.toc >= lowestPresent)) {
    throw new RangeError(`${what} tail chapters (0x${tail.toc.toString(16)}) must come after the interpreted ones (0x${present.toString(16)})`);
  }
  return tail.toc;
}

function encodeChapterP(w: ByteWriter, p: ChapterP): void {
  check7(p.program, 'chapter P PROGRAM');
  check7(p.bankMsb, 'chapter P BANK-MSB');
  check7(p.bankLsb, 'chapter P BANK-LSB');
  w.u8((p.s ? 0x80 : 0) | p.program).u8((p.bankValid ? 0x80 : 0) | p.bankMsb).u8((p.x ? 0x80 : 0) | p.bankLsb);
}

function encodeChapterC(w: ByteWriter, c: ChapterC): void {
  if (c.logs.length < 1 || c.logs.length > 128) throw new RangeError(`chapter C needs 1..128 controller logs, got ${c.logs.length}`);
  w.u8((c.s ? 0x80 : 0) | (c.logs.length - 1));
  for (const log of c.logs) {
    check7(log.number, 'chapter C NUMBER');
    w.u8((log.s ? 0x80 : 0) | log.number);
    if (log.tool === 'value') {
      check7(log.value, 'chapter C VALUE');
      w.u8(log.value);
    } else {
      if (!Number.isInteger(log.alt) || log.alt < 0 || log.alt > 0x3f) throw new RangeError(`chapter C ALT must be an integer in [0, 63], got ${log.alt}`);
      w.u8(0x80 | (log.tool === 'count' ? 0x40 : 0) | log.alt);
    }
  }
}

function encodeChapterN(w: ByteWriter, n: ChapterN): void {
  if (n.logs.length > 128) throw new RangeError(`chapter N holds at most 128 note logs, got ${n.logs.length}`);
  const off = [...n.offNotes].sort((a, b) => a - b);
  for (const note of off) check7(note, 'chapter N OFFBITS note');
  if (n.logs.length === 128 && off.length > 0) throw new RangeError('chapter N with 128 note logs cannot carry OFFBITS');
  let low = 15;
  let high = n.logs.length === 128 ? 0 : 1; // (15,0) with LEN=127 codes 128 logs; (15,1): no OFFBITS
  if (off.length > 0) {
    low = off[0]! >> 3;
    high = off[off.length - 1]! >> 3;
  }
  w.u8((n.b ? 0x80 : 0) | Math.min(n.logs.length, 127)).u8((low << 4) | high);
  for (const log of n.logs) {
    check7(log.note, 'chapter N NOTENUM');
    check7(log.velocity, 'chapter N VELOCITY');
    w.u8((log.s ? 0x80 : 0) | log.note).u8((log.y ? 0x80 : 0) | log.velocity);
  }
  if (off.length === 0) return;
  const octets = new Uint8Array(high - low + 1);
  for (const note of off) {
    const k = (note >> 3) - low;
    octets[k] = (octets[k] ?? 0) | (0x80 >> (note & 7));
  }
  w.bytes(octets);
}
