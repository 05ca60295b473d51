/**
 * Payload container: tagged key/size/value entries (link-wire-spec 00 §4.5).
 * Unknown keys are skipped by the message decoders; an entry running past the end of
 * the message rejects the whole payload.
 * @module
 */
import { ByteReader, ByteWriter } from '../core/byte-io.ts';
import { DecodeError } from '../core/errors.ts';

/** A raw payload entry. */
export interface PayloadEntry {
  key: number;
  value: Uint8Array;
}

/** The big-endian u32 of a four-character code: `fourcc('tmln') === 0x746d6c6e`. */
export function fourcc(code: string): number {
  if (code.length !== 4) throw new RangeError(`a fourcc has 4 characters, got '${code}'`);
  return ((code.charCodeAt(0) << 24) | (code.charCodeAt(1) << 16) | (code.charCodeAt(2) << 8) | code.charCodeAt(3)) >>> 0;
}

/** The four characters of a key, for messages. */
export function keyName(key: number): string {
  return String.fromCharCode((key >>> 24) & 0xff, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff);
}

/** Splits `[offset, end)` into raw entries; throws DecodeError on a truncated entry. */
export function decodePayload(bytes: Uint8Array, offset = 0, end = bytes.length): PayloadEntry[] {
  const r = new ByteReader(bytes, offset, end);
  const entries: PayloadEntry[] = [];
  while (r.remaining > 0) {
    // Messages are built only on failure: this runs for every datagram.
    if (r.remaining < 8) r.need(8, r.remaining < 4 ? 'payload entry key' : `payload entry '${keyName(r.peekU32())}' size`);
    const key = r.u32();
    const size = r.u32();
    if (size > r.remaining) r.need(size, `payload entry '${keyName(key)}'`);
    entries.push({ key, value: r.take(size) });
  }
  return entries;
}

/** Appends one entry; an empty value is omitted entirely (spec 00 §4.5 rule 5). */
export function writeEntry(w: ByteWriter, key: number, value: Uint8Array): void {
  if (value.length === 0) return;
  w.u32(key).u32(value.length).bytes(value);
}

/** Encoded length of entries (empty values omitted). */
export function payloadLength(entries: readonly PayloadEntry[]): number {
  let n = 0;
  for (const e of entries) if (e.value.length > 0) n += 8 + e.value.length;
  return n;
}

/**
 * Decodes a fixed-size entry value with `read`, requiring exactly `size` bytes
 * (spec 00 §4.5 rule 4: a known key of the wrong size rejects the message).
 */
export function readFixed<T>(entry: PayloadEntry, size: number, read: (r: ByteReader) => T): T {
  if (entry.value.length !== size) {
    throw new DecodeError(`payload entry '${keyName(entry.key)}' has size ${entry.value.length}, expected ${size}`, 0);
  }
  const r = new ByteReader(entry.value);
  return read(r);
}
