/**
 * System journal codec (RFC 6295 §5.2) with chapter Q, sequencer state (RFC 6295 B.3).
 * Chapters D (B.1) and V (B.2) in front of Q are delimited and kept as bytes; F and X after Q
 * are kept as bytes. Pure (L0).
 * @module
 */
import { ByteReader, type ByteWriter } from '../../core/byte-io.ts';
import { DecodeError } from '../../core/errors.ts';
import { MAX_SECTION_LENGTH, checkTail } from './channel-codec.ts';
import { POSITION_MOD, SYSTEM_TOC, type ChapterQ, type SystemJournal } from './types.ts';

/** Chapter D header bits (|S|B|G|H|J|K|Y|Z|): B, G, H are one octet each; J, K, Y, Z vary. */
const D_ONE_OCTET_FIELDS = [0x40, 0x20, 0x10];
const D_VARIABLE_FIELDS = 0x0f;

export function decodeSystemJournal(r: ByteReader): SystemJournal {
  const start = r.offset;
  r.need(2, 'system journal header');
  const b0 = r.u8();
  const b1 = r.u8();
  const length = ((b0 & 0x03) << 8) | b1;
  if (length < 2) throw new DecodeError(`system journal LENGTH ${length} is below its 2-octet header`, start);
  r.need(length - 2, 'system journal');
  const end = start + length;
  const c = new ByteReader(r.bytes, r.offset, end);
  const sj: SystemJournal = { s: (b0 & 0x80) !== 0 };
  const flags = b0 & 0x7c;
  r.offset = end;
  if (flags & SYSTEM_TOC.D) {
    c.need(1, 'chapter D');
    const h = c.bytes[c.offset]!;
    if (h & D_VARIABLE_FIELDS) {
      // J/K/Y/Z logs are not interpreted here: keep D and every chapter after it as bytes.
      sj.tail = { toc: flags, bytes: c.take(c.remaining, 'chapter D') };
      return sj;
    }
    const size = 1 + D_ONE_OCTET_FIELDS.filter((bit) => (h & bit) !== 0).length;
    sj.simpleBytes = c.take(size, 'chapter D');
  }
  if (flags & SYSTEM_TOC.V) sj.activeSenseBytes = c.take(1, 'chapter V');
  if (flags & SYSTEM_TOC.Q) sj.sequencer = decodeChapterQ(c);
  const after = flags & (SYSTEM_TOC.F | SYSTEM_TOC.X);
  if (after) sj.tail = { toc: after, bytes: c.take(c.remaining, 'chapters F/X') };
  return sj;
}

function decodeChapterQ(c: ByteReader): ChapterQ {
  const h = c.u8('chapter Q header');
  const q: ChapterQ = { s: (h & 0x80) !== 0, running: (h & 0x40) !== 0, d: (h & 0x20) !== 0 };
  if (h & 0x10) q.position = ((h & 0x07) << 16) | c.u16('chapter Q CLOCK');
  if (h & 0x08) {
    c.need(3, 'chapter Q TIMETOOLS');
    q.timeTools = (c.u8() << 16) | c.u16();
  }
  return q;
}

export function systemJournalLength(sj: SystemJournal): number {
  let n = 2;
  if (sj.simpleBytes) n += sj.simpleBytes.length;
  if (sj.activeSenseBytes) n += sj.activeSenseBytes.length;
  if (sj.sequencer) n += 1 + (sj.sequencer.position !== undefined ? 2 : 0) + (sj.sequencer.timeTools !== undefined ? 3 : 0);
  if (sj.tail) n += sj.tail.bytes.length;
  return n;
}

export function encodeSystemJournal(w: ByteWriter, sj: SystemJournal): void {
  const length = systemJournalLength(sj);
  if (length > MAX_SECTION_LENGTH) throw new RangeError(`system journal is ${length} octets, above the 10-bit LENGTH (1023)`);
  let flags = 0;
  if (sj.simpleBytes) flags |= SYSTEM_TOC.D;
  if (sj.activeSenseBytes) {
    if (sj.activeSenseBytes.length !== 1) throw new RangeError(`chapter V is one octet, got ${sj.activeSenseBytes.length}`);
    flags |= SYSTEM_TOC.V;
  }
  if (sj.sequencer) flags |= SYSTEM_TOC.Q;
  if (sj.tail) {
    if (sj.tail.toc & ~0x7c) throw new RangeError(`system journal tail flags must be D/V/Q/F/X bits, got 0x${sj.tail.toc.toString(16)}`);
    flags |= checkTail(sj.tail, flags, 'system journal');
  }
  w.u8((sj.s ? 0x80 : 0) | flags | (length >> 8)).u8(length & 0xff);
  if (sj.simpleBytes) w.bytes(sj.simpleBytes);
  if (sj.activeSenseBytes) w.bytes(sj.activeSenseBytes);
  if (sj.sequencer) encodeChapterQ(w, sj.sequencer);
  if (sj.tail) w.bytes(sj.tail.bytes);
}

function encodeChapterQ(w: ByteWriter, q: ChapterQ): void {
  const pos = q.position;
  if (pos !== undefined && (!Number.isInteger(pos) || pos < 0 || pos >= POSITION_MOD)) {
    throw new RangeError(`chapter Q position must be an integer in [0, ${POSITION_MOD - 1}], got ${pos}`);
  }
  const tt = q.timeTools;
  if (tt !== undefined && (!Number.isInteger(tt) || tt < 0 || tt > 0xffffff)) {
    throw new RangeError(`chapter Q TIMETOOLS must be an integer in [0, 16777215], got ${tt}`);
  }
  w.u8((q.s ? 0x80 : 0) | (q.running ? 0x40 : 0) | (q.d ? 0x20 : 0) | (pos !== undefined ? 0x10 | (pos >> 16) : 0) | (tt !== undefined ? 0x08 : 0));
  if (pos !== undefined) w.u16(pos & 0xffff);
  if (tt !== undefined) w.u8(tt >> 16).u16(tt & 0xffff);
}
