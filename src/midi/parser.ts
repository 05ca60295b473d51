/**
 * Incremental MIDI 1.0 byte-stream parser: feed chunks as they arrive (serial port, USB packets
 * flattened, a file), get complete messages out. Rules, from the MIDI 1.0 Detailed Specification:
 *
 * - Running status ("Running Status"): data bytes after a complete channel message reuse its
 *   status. System exclusive and system common status bytes clear it; real-time bytes do not.
 * - Real-time bytes F8..FF may appear anywhere, even between the data bytes of another message
 *   or inside a sysex ("System Real Time Messages"); they are emitted at once, in stream order,
 *   and the interrupted message continues.
 * - F4, F5, F9, FD are undefined: ignored with a warning (data bytes after F4/F5 are dropped).
 * - Any non-real-time status byte ends the message in progress; an incomplete one (including a
 *   sysex without F7) is discarded with a warning, since acting on half a message is worse.
 *
 * `push` never throws on any input: problems are reported to `onWarning` as {@link MidiStreamWarning}
 * (a {@link DecodeError}, code 'E_DECODE', `offset` = position in the stream since construction
 * or `reset()`). Pure (L0): no I/O, no clocks, no globals.
 * @module
 */
import { DecodeError } from '../core/errors.ts';
import { intInRange } from '../core/checks.ts';
import { activeSensing, midiClock, midiContinue, midiReset, midiStart, midiStop, tuneRequest } from './encode.ts';
import type { MidiMessage, RealTimeMessage } from './messages.ts';

export type MidiWarningReason =
  | 'stray-data' // data bytes with no status to apply to
  | 'interrupted' // a status byte cut an incomplete message short; it was discarded
  | 'undefined-status' // F4, F5, F9 or FD
  | 'stray-eox' // F7 with no sysex open
  | 'sysex-overflow'; // sysex longer than maxSysexLength; discarded up to its F7

export class MidiStreamWarning extends DecodeError {
  readonly reason: MidiWarningReason;
  constructor(reason: MidiWarningReason, message: string, offset: number) {
    super(message, offset);
    this.name = 'MidiStreamWarning';
    this.reason = reason;
  }
}

export interface MidiParserOptions {
  /** Longest sysex accepted, counting F0 and F7; default 65536 (64 KiB). Minimum 2. */
  maxSysexLength?: number;
  /**
   * Receives every recoverable problem. It is called synchronously inside `push`; anything it
   * throws is caught and dropped so the parser's state stays consistent.
   */
  onWarning?: (warning: MidiStreamWarning) => void;
}

export const DEFAULT_MAX_SYSEX_LENGTH = 65536;

const SYSEX = 0xf0;
const EOX = 0xf7;

// One shared frozen message per real-time byte F8..FF (undefined F9 and FD are holes): the clock
// byte arrives 24 times per quarter note, so emitting it must not allocate.
const REAL_TIME: readonly (RealTimeMessage | undefined)[] = [
  Object.freeze({ type: 'clock', data: midiClock() }),
  undefined,
  Object.freeze({ type: 'start', data: midiStart() }),
  Object.freeze({ type: 'continue', data: midiContinue() }),
  Object.freeze({ type: 'stop', data: midiStop() }),
  undefined,
  Object.freeze({ type: 'activesensing', data: activeSensing() }),
  Object.freeze({ type: 'reset', data: midiReset() }),
];
const TUNE_REQUEST: MidiMessage = Object.freeze({ type: 'tunerequest', data: tuneRequest() });

const hex = (b: number): string => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** Data bytes that follow a status byte (0 for F6; real-time and sysex are handled apart). */
function dataLength(status: number): number {
  const kind = status & 0xf0;
  if (kind === 0xc0 || kind === 0xd0 || status === 0xf1 || status === 0xf3) return 1;
  return status === 0xf6 ? 0 : 2;
}

/** Builds a complete channel or system common message; `b` is unused for one-data-byte kinds. */
function build(status: number, a: number, b: number): MidiMessage {
  const channel = (status & 0x0f) + 1;
  const two = (): Uint8Array => Uint8Array.of(status, a, b);
  const one = (): Uint8Array => Uint8Array.of(status, a);
  switch (status & 0xf0) {
    case 0x80: return { type: 'noteoff', channel, note: a, velocity: b, data: two() };
    case 0x90: return { type: 'noteon', channel, note: a, velocity: b, data: two() };
    case 0xa0: return { type: 'polyaftertouch', channel, note: a, pressure: b, data: two() };
    case 0xb0: return { type: 'controlchange', channel, controller: a, value: b, data: two() };
    case 0xc0: return { type: 'programchange', channel, program: a, data: one() };
    case 0xd0: return { type: 'channelaftertouch', channel, pressure: a, data: one() };
    case 0xe0: {
      const value = a | (b << 7);
      return { type: 'pitchbend', channel, value, bend: value - 8192, data: two() };
    }
  }
  switch (status) {
    case 0xf1: return { type: 'mtcquarterframe', piece: a >> 4, value: a & 0x0f, data: one() };
    case 0xf2: return { type: 'songposition', beats16th: a | (b << 7), data: two() };
    default: return { type: 'songselect', song: a, data: one() }; // 0xf3, the only one left
  }
}

export class MidiParser {
  private readonly maxSysexLength: number;
  private readonly onWarning: ((warning: MidiStreamWarning) => void) | undefined;

  /** Status of the message being collected, 0 when none. */
  private status = 0;
  /** Running status: the last channel status, 0 when cleared. */
  private running = 0;
  private count = 0;
  private first = 0;
  /** After a stray-data or F4/F5 warning: drop data bytes silently until the next status. */
  private discarding = false;

  private inSysex = false;
  private sysexOverflow = false;
  private sysexBuf = new Uint8Array(0);
  private sysexLen = 0;

  /** Stream offset of the byte being processed. */
  private position = 0;

  constructor(options: MidiParserOptions = {}) {
    this.maxSysexLength = intInRange(
      'maxSysexLength',
      options.maxSysexLength ?? DEFAULT_MAX_SYSEX_LENGTH,
      2,
      0x7fffffff,
    );
    this.onWarning = options.onWarning;
  }

  /** Consumes a chunk and returns the messages it completed, in stream order. Never throws. */
  push(chunk: Uint8Array): MidiMessage[] {
    const out: MidiMessage[] = [];
    for (let i = 0; i < chunk.length; i++, this.position++) {
      const b = chunk[i]!;
      if (b >= 0xf8) this.realTime(b, out);
      else if (b >= 0x80) this.statusByte(b, out);
      else if (this.inSysex) this.sysexData(b);
      else this.dataByte(b, out);
    }
    return out;
  }

  /** Forgets everything: partial message, running status, open sysex, stream offset. */
  reset(): void {
    this.status = 0;
    this.running = 0;
    this.count = 0;
    this.first = 0;
    this.discarding = false;
    this.inSysex = false;
    this.sysexOverflow = false;
    this.sysexBuf = new Uint8Array(0);
    this.sysexLen = 0;
    this.position = 0;
  }

  private realTime(b: number, out: MidiMessage[]): void {
    const msg = REAL_TIME[b - 0xf8];
    if (msg) out.push(msg);
    else this.warn('undefined-status', `undefined real-time status byte ${hex(b)} ignored`);
  }

  private statusByte(b: number, out: MidiMessage[]): void {
    if (this.inSysex && b === EOX) {
      this.endSysex(out);
      return;
    }
    this.abandonPartial(b);
    this.discarding = false;
    if (b < 0xf0) {
      this.running = b;
      this.begin(b);
      return;
    }
    // System exclusive and system common status bytes cancel running status.
    this.running = 0;
    if (b === SYSEX) this.beginSysex();
    else if (b === EOX) this.warn('stray-eox', 'end of exclusive 0xF7 without a sysex ignored');
    else if (b === 0xf6) out.push(TUNE_REQUEST);
    else if (b === 0xf4 || b === 0xf5) {
      this.warn('undefined-status', `undefined system common status byte ${hex(b)} ignored`);
      this.discarding = true;
    } else this.begin(b);
  }

  /** A non-real-time status byte arrived: drop whatever was incomplete, saying so. */
  private abandonPartial(next: number): void {
    if (this.inSysex) {
      if (!this.sysexOverflow) {
        this.warn('interrupted', `sysex of ${this.sysexLen} bytes cut off by ${hex(next)} before 0xF7; discarded`);
      }
      this.closeSysex();
    } else if (this.status !== 0) {
      this.warn('interrupted', `message ${hex(this.status)} cut off by ${hex(next)}; discarded`);
      this.status = 0;
    }
  }

  private begin(status: number): void {
    this.status = status;
    this.count = 0;
  }

  private dataByte(b: number, out: MidiMessage[]): void {
    if (this.status === 0) {
      if (this.running === 0) {
        if (!this.discarding) this.warn('stray-data', `data byte ${hex(b)} without a status byte ignored`);
        this.discarding = true;
        return;
      }
      this.begin(this.running);
    }
    if (this.count + 1 < dataLength(this.status)) {
      this.first = b;
      this.count++;
      return;
    }
    const oneByte = this.count === 0;
    out.push(build(this.status, oneByte ? b : this.first, b));
    this.status = 0;
  }

  private beginSysex(): void {
    this.inSysex = true;
    this.sysexOverflow = false;
    this.sysexLen = 0;
    this.append(SYSEX);
  }

  private sysexData(b: number): void {
    if (this.sysexOverflow) return;
    // Room must remain for the closing F7.
    if (this.sysexLen + 2 > this.maxSysexLength) {
      this.warn('sysex-overflow', `sysex longer than ${this.maxSysexLength} bytes; discarded up to its 0xF7`);
      this.sysexOverflow = true;
      this.sysexLen = 0;
      return;
    }
    this.append(b);
  }

  private endSysex(out: MidiMessage[]): void {
    if (!this.sysexOverflow) {
      this.append(EOX);
      out.push({ type: 'sysex', data: this.sysexBuf.slice(0, this.sysexLen) });
    }
    this.closeSysex();
  }

  private closeSysex(): void {
    this.inSysex = false;
    this.sysexOverflow = false;
    this.sysexLen = 0;
  }

  /** Appends to the sysex buffer, doubling it as needed (never beyond maxSysexLength). */
  private append(b: number): void {
    if (this.sysexLen === this.sysexBuf.length) {
      const size = Math.min(Math.max(256, this.sysexBuf.length * 2), this.maxSysexLength);
      const grown = new Uint8Array(size);
      grown.set(this.sysexBuf.subarray(0, this.sysexLen));
      this.sysexBuf = grown;
    }
    this.sysexBuf[this.sysexLen++] = b;
  }

  private warn(reason: MidiWarningReason, message: string): void {
    if (!this.onWarning) return;
    try {
      this.onWarning(new MidiStreamWarning(reason, message, this.position));
    } catch {
      // A throwing listener must not leave the parser half-way through a byte.
    }
  }
}
