/**
 * AppleMIDI session commands (Apple's "MIDI Network Driver Protocol"): invitation IN, accept OK,
 * reject NO, end BY, clock synchronisation CK and receiver feedback RS. Every command starts
 * with the signature `FF FF` and two ASCII letters; RTP-MIDI data packets start with `0x80..0xBF`
 * (RTP version 2), so one look at the first byte tells them apart on the shared data port.
 *
 * Layouts (big-endian; the vectors in test/fixtures/applemidi/ are real captures):
 * - IN / OK / NO: `FFFF` cmd, u32 version (2), u32 initiator token, u32 sender SSRC, then the
 *   sender's name, UTF-8, NUL-terminated (optional: 16 bytes is a valid command).
 * - BY: the same 16-byte prefix, no name.
 * - CK: 36 bytes: `FFFF 'CK'`, u32 SSRC, u8 count (0..2), 3 bytes padding, 3 × u64 timestamps in
 *   units of 100 µs.
 * - RS: 12 bytes: `FFFF 'RS'`, u32 SSRC, a 32-bit field holding the 16-bit sequence number. Apple
 *   (and Wireshark) put it in the high half; rtpmidid writes it as a 32-bit value, i.e. in the low
 *   half with the high half 0. The decoder reads both (high half 0, low half non-zero → low half);
 *   the encoder writes the high half.
 *
 * Decoders throw only {@link DecodeError}; commands this code does not know (e.g. `RL`) decode to
 * `{ kind: 'unknown' }` instead of failing. The version field is returned as sent: rejecting a
 * version other than {@link APPLEMIDI_VERSION} is the session layer's decision.
 *
 * Pure (L0): values in, values out.
 * @module
 */
import { ByteReader, ByteWriter } from '../core/byte-io.ts';
import { DecodeError } from '../core/errors.ts';

export type AppleMidiCommand =
  | { kind: 'IN' | 'OK' | 'NO'; version: number; token: number; ssrc: number; name: string }
  | { kind: 'BY'; version: number; token: number; ssrc: number }
  | { kind: 'CK'; ssrc: number; count: 0 | 1 | 2; timestamps: [number, number, number] }
  | { kind: 'RS'; ssrc: number; seq: number }
  | { kind: 'unknown'; command: string };

export const APPLEMIDI_VERSION = 2;
/** Decoded names are cut to this many bytes of UTF-8 (on a character boundary). */
export const APPLEMIDI_MAX_NAME_BYTES = 64;

const SIGNATURE = 0xffff;
const CMD_IN = 0x494e;
const CMD_OK = 0x4f4b;
const CMD_NO = 0x4e4f;
const CMD_BY = 0x4259;
const CMD_CK = 0x434b;
const CMD_RS = 0x5253;

const PREFIX_LENGTH = 16;
const CK_LENGTH = 36;
const RS_LENGTH = 12;
/** Largest u64 timestamp that is still a safe integer: its high u32 is below 2^21. */
const MAX_SAFE_HIGH_WORD = 0x1fffff;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

/** True when `bytes` starts with the AppleMIDI signature `FF FF` and holds a command code. */
export function isAppleMidiCommand(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xff;
}

/** Decodes one AppleMIDI command. Throws DecodeError only (wrong signature, truncated, bad fields). */
export function decodeAppleMidi(bytes: Uint8Array): AppleMidiCommand {
  const r = new ByteReader(bytes);
  const signature = r.u16('AppleMIDI signature');
  if (signature !== SIGNATURE) {
    throw new DecodeError(`not an AppleMIDI command (signature ${hex16(signature)}, want ffff)`, 0);
  }
  const command = r.u16('AppleMIDI command');
  switch (command) {
    case CMD_IN:
    case CMD_OK:
    case CMD_NO: {
      const kind = command === CMD_IN ? 'IN' : command === CMD_OK ? 'OK' : 'NO';
      const version = r.u32(`${kind} version`);
      const token = r.u32(`${kind} initiator token`);
      const ssrc = r.u32(`${kind} SSRC`);
      return { kind, version, token, ssrc, name: decodeName(bytes, r.offset) };
    }
    case CMD_BY: {
      const version = r.u32('BY version');
      const token = r.u32('BY initiator token');
      return { kind: 'BY', version, token, ssrc: r.u32('BY SSRC') };
    }
    case CMD_CK:
      return decodeClockSync(r);
    case CMD_RS: {
      const ssrc = r.u32('RS SSRC');
      const field = r.u32('RS sequence number');
      const high = field >>> 16;
      const low = field & 0xffff;
      // rtpmidid writes the sequence number as a 32-bit value (applemidi-observed.md, "RS").
      return { kind: 'RS', ssrc, seq: high === 0 && low !== 0 ? low : high };
    }
    default:
      return { kind: 'unknown', command: commandName(command) };
  }
}

function decodeClockSync(r: ByteReader): AppleMidiCommand {
  r.need(CK_LENGTH - 4, 'CK');
  const ssrc = r.u32('CK SSRC');
  const countAt = r.offset;
  const count = r.u8('CK count');
  if (count > 2) throw new DecodeError(`CK count ${count} is not 0, 1 or 2`, countAt);
  r.offset += 3; // padding
  const timestamps: [number, number, number] = [u64(r, 'CK timestamp 1'), u64(r, 'CK timestamp 2'), u64(r, 'CK timestamp 3')];
  return { kind: 'CK', ssrc, count: count as 0 | 1 | 2, timestamps };
}

/** An unsigned 64-bit field as a number; beyond Number.MAX_SAFE_INTEGER is a DecodeError. */
function u64(r: ByteReader, what: string): number {
  const at = r.offset;
  const high = r.u32(what);
  const low = r.u32(what);
  if (high > MAX_SAFE_HIGH_WORD) {
    throw new DecodeError(`${what} ${(BigInt(high) << 32n) | BigInt(low)} exceeds the safe integer range`, at);
  }
  return high * 0x1_0000_0000 + low;
}

/**
 * The name after the 16-byte prefix: up to the first NUL (a missing NUL at the end is accepted),
 * at most APPLEMIDI_MAX_NAME_BYTES read, decoded leniently (bad UTF-8 becomes U+FFFD), stripped of
 * control characters, and cut so that its own UTF-8 stays within APPLEMIDI_MAX_NAME_BYTES (a
 * replacement character takes 3 bytes): a stranger's name is bounded and safe to log and show,
 * and re-encoding it decodes to the same string.
 */
function decodeName(bytes: Uint8Array, start: number): string {
  let end = start;
  const limit = Math.min(bytes.length, start + APPLEMIDI_MAX_NAME_BYTES);
  while (end < limit && bytes[end] !== 0) end++;
  // Stopped at the cap inside a character: end before its lead byte.
  if (end === limit && end < bytes.length) {
    while (end > start && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  }
  const text = utf8.decode(bytes.subarray(start, end)).replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  let out = '';
  let length = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    length += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (length > APPLEMIDI_MAX_NAME_BYTES) break;
    out += ch;
  }
  return out;
}

function commandName(command: number): string {
  const a = command >>> 8;
  const b = command & 0xff;
  const printable = (c: number) => c >= 0x20 && c <= 0x7e;
  return printable(a) && printable(b) ? String.fromCharCode(a, b) : hex16(command);
}

function hex16(v: number): string {
  return v.toString(16).padStart(4, '0');
}

const KIND_CODES = { IN: CMD_IN, OK: CMD_OK, NO: CMD_NO, BY: CMD_BY, CK: CMD_CK, RS: CMD_RS } as const;

/**
 * Encodes one AppleMIDI command. IN/OK/NO always carry the name and its NUL (an empty name is a
 * lone NUL). Throws RangeError for fields out of range (u32 fields, CK count 0..2, timestamps
 * that are not safe non-negative integers, RS seq beyond 16 bits, a name containing NUL).
 */
export function encodeAppleMidi(cmd: Exclude<AppleMidiCommand, { kind: 'unknown' }>): Uint8Array {
  const w = new ByteWriter(64);
  w.u16(SIGNATURE).u16(KIND_CODES[cmd.kind]);
  switch (cmd.kind) {
    case 'IN':
    case 'OK':
    case 'NO': {
      if (cmd.name.includes('\u0000')) throw new RangeError('AppleMIDI name must not contain NUL');
      w.u32(cmd.version).u32(cmd.token).u32(cmd.ssrc).bytes(utf8Encoder.encode(cmd.name)).u8(0);
      break;
    }
    case 'BY':
      w.u32(cmd.version).u32(cmd.token).u32(cmd.ssrc);
      break;
    case 'CK': {
      if (cmd.count !== 0 && cmd.count !== 1 && cmd.count !== 2) {
        throw new RangeError(`CK count must be 0, 1 or 2, got ${String(cmd.count)}`);
      }
      w.u32(cmd.ssrc).u8(cmd.count).u8(0).u16(0);
      for (const t of cmd.timestamps) {
        if (!Number.isSafeInteger(t) || t < 0) {
          throw new RangeError(`CK timestamp must be a safe integer >= 0 (100 µs units), got ${t}`);
        }
        w.i64(t);
      }
      break;
    }
    case 'RS':
      if (!Number.isInteger(cmd.seq) || cmd.seq < 0 || cmd.seq > 0xffff) {
        throw new RangeError(`RS seq must be an integer in [0, 65535], got ${cmd.seq}`);
      }
      w.u32(cmd.ssrc).u16(cmd.seq).u16(0);
      break;
  }
  return w.finish();
}

/** Encoded length of a command (pure arithmetic for all but the name's UTF-8 length). */
export function appleMidiLength(cmd: Exclude<AppleMidiCommand, { kind: 'unknown' }>): number {
  switch (cmd.kind) {
    case 'IN':
    case 'OK':
    case 'NO':
      return PREFIX_LENGTH + utf8Encoder.encode(cmd.name).length + 1;
    case 'BY':
      return PREFIX_LENGTH;
    case 'CK':
      return CK_LENGTH;
    case 'RS':
      return RS_LENGTH;
  }
}
