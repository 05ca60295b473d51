/**
 * Recovery journal codec (RFC 6295 §5): the 3-octet header |S|Y|A|H|TOTCHAN|checkpoint|,
 * then the system journal (Y=1), then TOTCHAN+1 channel journals (A=1).
 * Decoders throw only DecodeError; every length is checked against the buffer, and the work
 * is bounded by the input (at most 16 channel journals, each within its LENGTH).
 * Pure (L0).
 * @module
 */
import { ByteReader, ByteWriter } from '../../core/byte-io.ts';
import { DecodeError } from '../../core/errors.ts';
import { channelJournalLength, decodeChannelJournal, encodeChannelJournal } from './channel-codec.ts';
import { decodeSystemJournal, encodeSystemJournal, systemJournalLength } from './system-codec.ts';
import type { ChannelJournal, Journal } from './types.ts';
import { checkSeq } from './seq.ts';

const HDR_S = 0x80;
const HDR_Y = 0x40;
const HDR_A = 0x20;
const HDR_H = 0x10;

/**
 * Decodes a recovery journal starting at `offset` (the journal section of an RTP-MIDI
 * payload). Octets after the journal are ignored. Throws only DecodeError.
 * @example decodeJournal(Uint8Array.of(0x20, 0x6d, 0x76, 0x00, 0x07, 0x08, 0x01, 0xf0, 0x3c, 0xe4))
 */
export function decodeJournal(bytes: Uint8Array, offset = 0): Journal {
  const r = new ByteReader(bytes, offset);
  r.need(3, 'recovery journal header');
  const h = r.u8();
  const checkpointSeq = r.u16();
  const journal: Journal = { s: (h & HDR_S) !== 0, enhancedC: (h & HDR_H) !== 0, checkpointSeq, channels: [] };
  if (h & HDR_Y) journal.system = decodeSystemJournal(r);
  if (h & HDR_A) {
    const total = (h & 0x0f) + 1; // TOTCHAN codes the number of channel journals minus one
    for (let i = 0; i < total; i++) {
      if (r.remaining === 0) throw new DecodeError(`channel journal ${i + 1} of ${total} truncated (need 3, have 0)`, r.offset);
      journal.channels.push(decodeChannelJournal(r));
    }
  }
  return journal;
}

/** Octets `encodeJournal(j)` produces. */
export function journalLength(j: Journal): number {
  let n = 3;
  if (j.system) n += systemJournalLength(j.system);
  for (const cj of j.channels) n += channelJournalLength(cj);
  return n;
}

/**
 * Encodes a recovery journal. Throws RangeError for values the format cannot carry
 * (more than 16 channel journals, fields out of range, a section above 1023 octets).
 */
export function encodeJournal(j: Journal): Uint8Array {
  checkSeq(j.checkpointSeq, 'checkpointSeq');
  if (j.channels.length > 16) throw new RangeError(`a journal holds at most 16 channel journals, got ${j.channels.length}`);
  const w = new ByteWriter(journalLength(j));
  const a = j.channels.length > 0;
  w.u8((j.s ? HDR_S : 0) | (j.system ? HDR_Y : 0) | (a ? HDR_A : 0) | (j.enhancedC ? HDR_H : 0) | (a ? j.channels.length - 1 : 0));
  w.u16(j.checkpointSeq);
  if (j.system) encodeSystemJournal(w, j.system);
  for (const cj of j.channels) encodeChannelJournal(w, cj);
  return w.finish();
}

/** The channel journal for `channel` (0..15), if the journal has one. */
export function channelJournalOf(j: Journal, channel: number): ChannelJournal | undefined {
  return j.channels.find((c) => c.channel === channel);
}
