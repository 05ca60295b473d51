/**
 * MIDI 1.0 encoders: one function per message kind, each returning the message's bytes with an
 * explicit status byte (never running status, so every result can be sent on its own).
 *
 * - Channels are **1..16** at this API (the wire nibble is `channel - 1`).
 * - Data values are integers 0..127; 14-bit values 0..16383.
 * - Bad arguments throw at once: TypeError for a non-number, RangeError naming the accepted range.
 * - Real-time messages (and tune request) return shared, preallocated one-byte arrays, because the
 *   clock byte goes out 24 times per quarter note (48/s at 120 BPM). Treat them as read-only.
 *
 * Pure (L0): no I/O, no clocks, no globals.
 * @module
 */
import { intInRange } from '../core/checks.ts';
import type { MidiMessageInit } from './messages.ts';

// Status bytes, MIDI 1.0 Detailed Specification, Table I ("Summary of Status Bytes").
const NOTE_OFF = 0x80;
const NOTE_ON = 0x90;
const POLY_PRESSURE = 0xa0;
const CONTROL_CHANGE = 0xb0;
const PROGRAM_CHANGE = 0xc0;
const CHANNEL_PRESSURE = 0xd0;
const PITCH_BEND = 0xe0;
const SYSEX = 0xf0;
const MTC_QUARTER_FRAME = 0xf1;
const SONG_POSITION = 0xf2;
const SONG_SELECT = 0xf3;
const EOX = 0xf7;

const TUNE_REQUEST_BYTES = Uint8Array.of(0xf6);
const CLOCK_BYTES = Uint8Array.of(0xf8);
const START_BYTES = Uint8Array.of(0xfa);
const CONTINUE_BYTES = Uint8Array.of(0xfb);
const STOP_BYTES = Uint8Array.of(0xfc);
const ACTIVE_SENSING_BYTES = Uint8Array.of(0xfe);
const RESET_BYTES = Uint8Array.of(0xff);

function data7(name: string, value: unknown): number {
  return intInRange(name, value, 0, 127);
}

function data14(name: string, value: unknown): number {
  return intInRange(name, value, 0, 16383);
}

/** Status byte for a channel message; the API's 1..16 becomes the wire's 0..15. */
function channelStatus(kind: number, channel: unknown): number {
  return kind | (intInRange('channel', channel, 1, 16) - 1);
}

function channel2(kind: number, channel: unknown, a: number, b: number): Uint8Array {
  return Uint8Array.of(channelStatus(kind, channel), a, b);
}

// --- Channel voice messages ---

/** 9n kk vv. Velocity 0 is legal and means note-off to receivers (MIDI 1.0 spec). */
export function noteOn(channel: number, note: number, velocity: number): Uint8Array {
  return channel2(NOTE_ON, channel, data7('note', note), data7('velocity', velocity));
}

/** 8n kk vv; release velocity defaults to 0. */
export function noteOff(channel: number, note: number, velocity = 0): Uint8Array {
  return channel2(NOTE_OFF, channel, data7('note', note), data7('velocity', velocity));
}

/** An kk pp: polyphonic key pressure (poly aftertouch). */
export function polyPressure(channel: number, note: number, pressure: number): Uint8Array {
  return channel2(POLY_PRESSURE, channel, data7('note', note), data7('pressure', pressure));
}

/** Bn cc vv. Controllers 120..127 are the channel mode messages. */
export function controlChange(channel: number, controller: number, value: number): Uint8Array {
  return channel2(CONTROL_CHANGE, channel, data7('controller', controller), data7('value', value));
}

/** Cn pp; `program` is the wire value 0..127. */
export function programChange(channel: number, program: number): Uint8Array {
  return Uint8Array.of(channelStatus(PROGRAM_CHANGE, channel), data7('program', program));
}

/** Dn pp: channel pressure (channel aftertouch). */
export function channelPressure(channel: number, pressure: number): Uint8Array {
  return Uint8Array.of(channelStatus(CHANNEL_PRESSURE, channel), data7('pressure', pressure));
}

/** En ll mm with a 14-bit value 0..16383; 8192 is centre. */
export function pitchBend(channel: number, value14: number): Uint8Array {
  const v = data14('value14', value14);
  return channel2(PITCH_BEND, channel, v & 0x7f, v >> 7);
}

/** Pitch bend from a signed amount -8192..8191 (0 is centre). */
export function pitchBendSigned(channel: number, bend: number): Uint8Array {
  return pitchBend(channel, intInRange('bend', bend, -8192, 8191) + 8192);
}

// --- System common messages ---

/** F2 ll mm: Song Position Pointer in MIDI beats (16th notes, 6 clocks each), 0..16383. */
export function songPosition(midiBeats: number): Uint8Array {
  const v = data14('midiBeats', midiBeats);
  return Uint8Array.of(SONG_POSITION, v & 0x7f, v >> 7);
}

/** F3 ss. */
export function songSelect(song: number): Uint8Array {
  return Uint8Array.of(SONG_SELECT, data7('song', song));
}

/** F1 0nnndddd: MTC quarter frame; `piece` is the message type 0..7, `value` the nibble 0..15. */
export function mtcQuarterFrame(piece: number, value: number): Uint8Array {
  const p = intInRange('piece', piece, 0, 7);
  const v = intInRange('value', value, 0, 15);
  return Uint8Array.of(MTC_QUARTER_FRAME, (p << 4) | v);
}

/** F6 (shared array). */
export function tuneRequest(): Uint8Array {
  return TUNE_REQUEST_BYTES;
}

// --- System real-time messages (shared preallocated arrays) ---

/** F8: timing clock, 24 per quarter note (the system real-time encoders are named `midi…`, as WebMIDI names their senders: `sendClock`, `sendStart`, …). */
export function midiClock(): Uint8Array {
  return CLOCK_BYTES;
}

/** FA. */
export function midiStart(): Uint8Array {
  return START_BYTES;
}

/** FB: continue. */
export function midiContinue(): Uint8Array {
  return CONTINUE_BYTES;
}

/** FC. */
export function midiStop(): Uint8Array {
  return STOP_BYTES;
}

/** FE. */
export function activeSensing(): Uint8Array {
  return ACTIVE_SENSING_BYTES;
}

/** FF: system reset. */
export function midiReset(): Uint8Array {
  return RESET_BYTES;
}

// --- System exclusive ---

/**
 * F0 ... F7. Accepts either a framed message (starts with 0xF0, ends with 0xF7) or just the
 * payload, which is then framed. The two cannot be confused: payload bytes are 0..127.
 * Always returns a fresh copy.
 */
export function sysex(bytes: ArrayLike<number>): Uint8Array {
  if (bytes === null || typeof bytes !== 'object' || typeof bytes.length !== 'number') {
    throw new TypeError('sysex bytes must be a Uint8Array or an array of numbers');
  }
  const framed = bytes.length > 0 && bytes[0] === SYSEX;
  if (framed && (bytes.length < 2 || bytes[bytes.length - 1] !== EOX)) {
    throw new RangeError('a framed sysex must end with 0xF7 (or pass the payload alone)');
  }
  const from = framed ? 1 : 0;
  const to = framed ? bytes.length - 1 : bytes.length;
  const out = new Uint8Array(to - from + 2);
  out[0] = SYSEX;
  for (let i = from; i < to; i++) out[i - from + 1] = data7(`sysex byte [${i}]`, bytes[i]);
  out[out.length - 1] = EOX;
  return out;
}

/** Encodes any message from its fields (`data` is ignored except for sysex, where it is the content). */
export function encodeMessage(msg: MidiMessageInit): Uint8Array {
  switch (msg.type) {
    case 'noteoff': return noteOff(msg.channel, msg.note, msg.velocity);
    case 'noteon': return noteOn(msg.channel, msg.note, msg.velocity);
    case 'polyaftertouch': return polyPressure(msg.channel, msg.note, msg.pressure);
    case 'controlchange': return controlChange(msg.channel, msg.controller, msg.value);
    case 'programchange': return programChange(msg.channel, msg.program);
    case 'channelaftertouch': return channelPressure(msg.channel, msg.pressure);
    case 'pitchbend': return encodePitchBend(msg.channel, msg.value, msg.bend);
    case 'songposition': return songPosition(msg.beats16th);
    case 'songselect': return songSelect(msg.song);
    case 'mtcquarterframe': return mtcQuarterFrame(msg.piece, msg.value);
    case 'tunerequest': return tuneRequest();
    case 'clock': return midiClock();
    case 'start': return midiStart();
    case 'continue': return midiContinue();
    case 'stop': return midiStop();
    case 'activesensing': return activeSensing();
    case 'reset': return midiReset();
    case 'sysex': return sysex(msg.data);
    default: {
      const unknownType: unknown = (msg as { type?: unknown } | null)?.type;
      throw new TypeError(`unknown MIDI message type: ${String(unknownType)}`);
    }
  }
}

/** `bend` is derived from `value`; a caller passing both must not contradict itself. */
function encodePitchBend(channel: number, value: number, bend: number | undefined): Uint8Array {
  const bytes = pitchBend(channel, value);
  if (bend !== undefined && bend !== value - 8192) {
    throw new RangeError(`pitch bend: bend (${bend}) must equal value - 8192 (${value - 8192})`);
  }
  return bytes;
}
