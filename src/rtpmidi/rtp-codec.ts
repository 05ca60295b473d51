/**
 * RTP-MIDI packets (RFC 6295 §2–§3 over the RTP header of RFC 3550 §5.1).
 *
 * ```
 * RTP header (12 bytes + 4 × CC + extension)   V=2 P X CC | M PT | seq16 | ts32 | SSRC
 * MIDI command section header                  B J Z P LEN(4)  [LEN low 8 bits when B=1]
 * MIDI list (LEN bytes)                        [delta] command  delta command  delta command …
 * recovery journal (J=1)                       the rest of the payload, returned raw
 * ```
 *
 * - B=1: long header, LEN is 12 bits (RFC 6295 §3). The encoder picks the short header for
 *   LEN ≤ 15.
 * - Z=1: the first command carries a delta time; with Z=0 its delta is 0 (§3). Every later
 *   command always carries one. Delta times are 1–4 bytes of 7 bits, most significant first, the
 *   high bit set on all but the last (§3.1); each counts from the previous command, the first
 *   from the RTP timestamp.
 * - P ("phantom"): the first command's status byte was not in the sender's source stream (§3);
 *   reported as `phantom`, never acted on.
 * - Running status (§3.2): a command may omit its status byte when it repeats the previous channel
 *   status. The first channel command of the list must carry one (a DecodeError otherwise).
 *   System common commands and sysex segments cancel running status; system real-time bytes
 *   (F8–FF) do not. The decoder always returns full messages, status first.
 * - System exclusive travels as segments (§3.2): `F0 … F7` complete, `F0 … F0` first, `F7 … F0`
 *   middle, `F7 … F7` last, `… F4` cancelled. They are returned as sent, framing bytes included;
 *   {@link SysexAssembler} in sysex.ts puts them together. Real-time bytes embedded in a sysex
 *   segment are returned as commands of their own, just before the segment (as a MIDI 1.0
 *   receiver acts on them at once), so a returned segment holds only data bytes inside its frame.
 * - F4/F5 (undefined system common) are one-byte commands and cancel running status; F9/FD
 *   (undefined real-time) are one-byte commands that do not.
 * - RTP: V must be 2; CSRCs and a header extension are skipped; padding (P bit) is stripped.
 *   Bytes after the MIDI list with J=0 are ignored (a lenient receiver; nothing we send has them).
 *
 * Decoders throw only {@link DecodeError}; encoders throw RangeError for values they cannot send.
 * Pure (L0): values in, values out.
 * @module
 */
import { ByteReader, ByteWriter } from '../core/byte-io.ts';
import { DecodeError } from '../core/errors.ts';

export interface RtpMidiCommand {
  /** Ticks of the RTP clock since the previous command (the first: since the RTP timestamp). */
  deltaTicks: number;
  /** One full MIDI message, status first; or one sysex segment as sent (see the module doc). */
  data: Uint8Array;
}

export interface RtpMidiPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  commands: RtpMidiCommand[];
  /** The raw recovery journal (J=1), decoded by journal/. */
  journal?: Uint8Array;
  /** The P bit of the command section header. */
  phantom: boolean;
}

export interface RtpMidiEncodeOptions {
  /**
   * Omit status bytes that repeat the previous channel status (RFC 6295 §3.2). Default false:
   * every command carries its status, which every receiver parses.
   */
  runningStatus?: boolean;
}

export const RTP_MIDI_PAYLOAD_TYPE = 0x61;
export const RTP_HEADER_LENGTH = 12;
/** Largest MIDI list a long header can describe (12-bit LEN). */
export const MAX_MIDI_LIST_LENGTH = 0xfff;
/** Largest delta time four 7-bit bytes can carry. */
export const MAX_DELTA_TICKS = 0x0fff_ffff;
/** A journal has at least its 3-byte header (RFC 6295 §5). */
const MIN_JOURNAL_LENGTH = 3;

const FLAG_B = 0x80;
const FLAG_J = 0x40;
const FLAG_Z = 0x20;
const FLAG_P = 0x10;

const SYSEX_START = 0xf0;
const SYSEX_END = 0xf7;
const SYSEX_CANCEL = 0xf4;

// ---------------------------------------------------------------------------------------------
// Message lengths

/**
 * Length of a complete message from its status byte: 1–3, or undefined for a sysex start/continue
 * (F0, F7), whose length is found by its terminator.
 */
export function messageLength(status: number): number | undefined {
  if (status < 0xf0) return (status & 0xe0) === 0xc0 ? 2 : 3; // Cn, Dn: 2; other channel: 3
  switch (status) {
    case 0xf0:
    case 0xf7:
      return undefined;
    case 0xf1:
    case 0xf3:
      return 2;
    case 0xf2:
      return 3;
    default:
      return 1; // F4, F5, F6 and the real-time F8–FF
  }
}

const isRealTime = (b: number) => b >= 0xf8;
const isSysexFramed = (b: number) => b === SYSEX_START || b === SYSEX_END;

/**
 * Checks that `data` is one command the MIDI list can carry: a complete channel, system common or
 * real-time message, or a sysex segment (F0/F7 … F0/F7/F4 with data bytes inside). RangeError if not.
 */
export function checkCommandData(data: Uint8Array, what = 'command'): void {
  const status = data[0];
  if (status === undefined || status < 0x80) {
    throw new RangeError(`${what} must start with a status byte (0x80-0xff), got ${data.length === 0 ? 'nothing' : hexByte(status ?? 0)}`);
  }
  const length = messageLength(status);
  if (length === undefined) {
    const last = data[data.length - 1] ?? 0;
    if (data.length < 2 || !(last === SYSEX_START || last === SYSEX_END || last === SYSEX_CANCEL)) {
      throw new RangeError(`${what}: a sysex segment must end with f0, f7 or f4 (${data.length} bytes)`);
    }
  } else if (data.length !== length) {
    throw new RangeError(`${what}: status ${hexByte(status)} takes ${length} bytes, got ${data.length}`);
  }
  const dataEnd = length === undefined ? data.length - 1 : data.length;
  for (let i = 1; i < dataEnd; i++) {
    if ((data[i] ?? 0) >= 0x80) throw new RangeError(`${what}: byte ${i} (${hexByte(data[i] ?? 0)}) must be a data byte (< 0x80)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Decode

/** Decodes one RTP-MIDI packet. Throws DecodeError only. */
export function decodeRtpMidi(bytes: Uint8Array): RtpMidiPacket {
  const r = new ByteReader(bytes);
  const b0 = r.u8('RTP header');
  if (b0 >> 6 !== 2) throw new DecodeError(`RTP version ${b0 >> 6}, want 2`, 0);
  const b1 = r.u8('RTP header');
  const sequence = r.u16('RTP sequence number');
  const timestamp = r.u32('RTP timestamp');
  const ssrc = r.u32('RTP SSRC');
  const csrcCount = b0 & 0x0f;
  r.need(4 * csrcCount, `${csrcCount} CSRCs`);
  r.offset += 4 * csrcCount;
  if (b0 & 0x10) {
    r.u16('RTP header extension profile');
    const words = r.u16('RTP header extension length');
    r.need(4 * words, 'RTP header extension');
    r.offset += 4 * words;
  }
  let end = bytes.length;
  if (b0 & 0x20) {
    const padding = bytes[bytes.length - 1] ?? 0;
    if (padding === 0 || padding > end - r.offset) {
      throw new DecodeError(`RTP padding of ${padding} bytes does not fit the ${end - r.offset}-byte payload`, end - 1);
    }
    end -= padding;
  }
  const payload = new ByteReader(bytes, r.offset, end);
  const header = payload.u8('MIDI command section header');
  const listLength = header & FLAG_B ? ((header & 0x0f) << 8) | payload.u8('MIDI command section long header') : header & 0x0f;
  payload.need(listLength, 'MIDI list');
  const commands = decodeMidiList(new ByteReader(bytes, payload.offset, payload.offset + listLength), (header & FLAG_Z) !== 0);
  payload.offset += listLength;
  const packet: RtpMidiPacket = {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence,
    timestamp,
    ssrc,
    commands,
    phantom: (header & FLAG_P) !== 0,
  };
  if (header & FLAG_J) {
    payload.need(MIN_JOURNAL_LENGTH, 'recovery journal');
    packet.journal = payload.take(payload.remaining, 'recovery journal');
  }
  return packet;
}

/** The MIDI list of RFC 6295 §3 (the reader spans exactly LEN bytes). */
function decodeMidiList(r: ByteReader, firstHasDelta: boolean): RtpMidiCommand[] {
  const commands: RtpMidiCommand[] = [];
  let runningStatus = 0; // 0: none (RFC 6295 §3.2: none at the start of the list)
  let first = true;
  while (r.remaining > 0) {
    const deltaTicks = first && !firstHasDelta ? 0 : readDelta(r);
    first = false;
    const at = r.offset;
    const lead = r.u8('MIDI command');
    if (lead < 0x80) {
      if (runningStatus === 0) throw new DecodeError(`data byte ${hexByte(lead)} where a status byte is needed (no running status)`, at);
      commands.push({ deltaTicks, data: readMessage(r, runningStatus, 1, lead) });
    } else if (isSysexFramed(lead)) {
      runningStatus = 0;
      readSysexSegment(r, lead, deltaTicks, commands);
    } else {
      if (lead < 0xf0) runningStatus = lead;
      else if (!isRealTime(lead)) runningStatus = 0;
      commands.push({ deltaTicks, data: readMessage(r, lead, 0) });
    }
  }
  return commands;
}

/**
 * A message of known length after its status: `have` data bytes already read (1 under running
 * status, `firstData` being that byte).
 */
function readMessage(r: ByteReader, status: number, have: 0 | 1, firstData = 0): Uint8Array {
  const length = messageLength(status) ?? 1;
  const out = new Uint8Array(length);
  out[0] = status;
  if (have === 1) out[1] = firstData;
  for (let i = 1 + have; i < length; i++) {
    const at = r.offset;
    const b = r.u8(`${hexByte(status)} command`);
    if (b >= 0x80) throw new DecodeError(`${hexByte(status)} command cut short by status byte ${hexByte(b)}`, at);
    out[i] = b;
  }
  return out;
}

/** Reads one sysex segment from its opening F0/F7; pushes embedded real-time bytes, then the segment. */
function readSysexSegment(r: ByteReader, lead: number, deltaTicks: number, out: RtpMidiCommand[]): void {
  const start = r.offset - 1;
  let delta = deltaTicks; // the first command pushed here carries the delta, the rest 0
  let embedded = false;
  for (;;) {
    const at = r.offset;
    const b = r.u8(`sysex segment opened by ${hexByte(lead)} (no f0, f7 or f4 at its end)`);
    if (b < 0x80) continue;
    if (isRealTime(b)) {
      out.push({ deltaTicks: delta, data: Uint8Array.of(b) });
      delta = 0;
      embedded = true;
      continue;
    }
    if (b !== SYSEX_START && b !== SYSEX_END && b !== SYSEX_CANCEL) {
      throw new DecodeError(`sysex segment cut short by status byte ${hexByte(b)}`, at);
    }
    const raw = r.bytes.subarray(start, r.offset);
    out.push({ deltaTicks: delta, data: embedded ? raw.filter((x) => !isRealTime(x)) : raw.slice() });
    return;
  }
}

/** A delta time of 1–4 bytes (RFC 6295 §3.1). */
function readDelta(r: ByteReader): number {
  const at = r.offset;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const b = r.u8('delta time');
    value = value * 128 + (b & 0x7f);
    if (b < 0x80) return value;
  }
  throw new DecodeError('delta time longer than 4 bytes', at);
}

// ---------------------------------------------------------------------------------------------
// Encode

/**
 * Encodes one packet: V=2, no padding, CSRC or extension; the shortest command section header;
 * Z=1 when the first delta is non-zero; J=1 when `journal` is given (at least 3 bytes). Throws
 * RangeError for a field out of range, a command that is not one complete message or sysex
 * segment (see {@link checkCommandData}), or a MIDI list beyond 4095 bytes.
 */
export function encodeRtpMidi(p: RtpMidiPacket, options: RtpMidiEncodeOptions = {}): Uint8Array {
  const runningStatus = options.runningStatus === true;
  const listLength = midiListLength(p.commands, runningStatus);
  if (listLength > MAX_MIDI_LIST_LENGTH) {
    throw new RangeError(`MIDI list of ${listLength} bytes exceeds ${MAX_MIDI_LIST_LENGTH}; split the commands (packCommands)`);
  }
  if (p.journal !== undefined && p.journal.length < MIN_JOURNAL_LENGTH) {
    throw new RangeError(`journal must be at least ${MIN_JOURNAL_LENGTH} bytes, got ${p.journal.length}`);
  }
  if (!Number.isInteger(p.payloadType) || p.payloadType < 0 || p.payloadType > 0x7f) {
    throw new RangeError(`payloadType must be an integer in [0, 127], got ${p.payloadType}`);
  }
  const w = new ByteWriter(RTP_HEADER_LENGTH + 2 + listLength + (p.journal?.length ?? 0));
  w.u8(0x80).u8((p.marker ? 0x80 : 0) | p.payloadType).u16(p.sequence).u32(p.timestamp).u32(p.ssrc);
  const firstDelta = p.commands[0]?.deltaTicks ?? 0;
  const flags = (p.journal !== undefined ? FLAG_J : 0) | (firstDelta !== 0 ? FLAG_Z : 0) | (p.phantom ? FLAG_P : 0);
  if (listLength > 0x0f) w.u8(FLAG_B | flags | (listLength >> 8)).u8(listLength & 0xff);
  else w.u8(flags | listLength);
  let status = 0;
  p.commands.forEach((c, i) => {
    if (i > 0 || firstDelta !== 0) writeDelta(w, c.deltaTicks);
    const lead = c.data[0] ?? 0;
    const omit = runningStatus && lead < 0xf0 && lead === status;
    w.bytes(omit ? c.data.subarray(1) : c.data);
    status = nextRunningStatus(status, lead);
  });
  if (p.journal !== undefined) w.bytes(p.journal);
  return w.finish();
}

/** Encoded length of a packet (the same options as encodeRtpMidi), without encoding it. */
export function rtpMidiLength(p: RtpMidiPacket, options: RtpMidiEncodeOptions = {}): number {
  const listLength = midiListLength(p.commands, options.runningStatus === true);
  return RTP_HEADER_LENGTH + (listLength > 0x0f ? 2 : 1) + listLength + (p.journal?.length ?? 0);
}

function nextRunningStatus(status: number, lead: number): number {
  if (lead < 0xf0) return lead;
  return isRealTime(lead) ? status : 0;
}

/** Bytes of the MIDI list; checks every command (RangeError). */
function midiListLength(commands: readonly RtpMidiCommand[], runningStatus: boolean): number {
  let length = 0;
  let status = 0;
  const firstDelta = commands[0]?.deltaTicks ?? 0;
  commands.forEach((c, i) => {
    checkCommandData(c.data, `commands[${i}]`);
    if (!Number.isInteger(c.deltaTicks) || c.deltaTicks < 0 || c.deltaTicks > MAX_DELTA_TICKS) {
      throw new RangeError(`commands[${i}].deltaTicks must be an integer in [0, ${MAX_DELTA_TICKS}], got ${c.deltaTicks}`);
    }
    if (i > 0 || firstDelta !== 0) length += deltaLength(c.deltaTicks);
    const lead = c.data[0] ?? 0;
    length += c.data.length - (runningStatus && lead < 0xf0 && lead === status ? 1 : 0);
    status = nextRunningStatus(status, lead);
  });
  return length;
}

/** Bytes of a delta time: 1–4. */
export function deltaLength(ticks: number): number {
  return ticks < 0x80 ? 1 : ticks < 0x4000 ? 2 : ticks < 0x20_0000 ? 3 : 4;
}

function writeDelta(w: ByteWriter, ticks: number): void {
  for (let shift = (deltaLength(ticks) - 1) * 7; shift > 0; shift -= 7) w.u8(0x80 | (Math.floor(ticks / 2 ** shift) & 0x7f));
  w.u8(ticks & 0x7f);
}

// ---------------------------------------------------------------------------------------------
// Packing a batch into packets

function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}
