/**
 * System exclusive over RTP-MIDI (RFC 6295 §3.2): a sysex too large for one packet travels as
 * segments, each a command of the MIDI list:
 *
 * ```
 * F0 d d … F7   complete message
 * F0 d d … F0   first segment
 * F7 d d … F0   middle segment
 * F7 d d … F7   last segment
 * F0|F7 … F4    cancelled: the sender gave up on this sysex; everything so far is discarded
 * ```
 *
 * `splitSysex` cuts a message into segments for sending; `SysexAssembler` puts received segments
 * back together with a bound on memory. Pure (L0).
 * @module
 */
import { DecodeError } from '../core/errors.ts';

const START = 0xf0;
const END = 0xf7;
const CANCEL = 0xf4;

/** Smallest segment splitSysex can produce: a frame byte, one data byte, a frame byte. */
export const MIN_SYSEX_SEGMENT_BYTES = 3;
export const DEFAULT_MAX_SYSEX_BYTES = 1 << 20;

/**
 * Splits a complete sysex (F0 … F7, data bytes inside) into RFC 6295 segments of at most
 * `maxSegmentBytes` bytes each, framing included: `[F0 … F0, F7 … F0, …, F7 … F7]`. A message that
 * fits is returned as the one element (a copy). Pure; throws RangeError for anything but a
 * complete sysex, or `maxSegmentBytes` below MIN_SYSEX_SEGMENT_BYTES.
 *
 * @example
 * splitSysex(Uint8Array.of(0xf0, 1, 2, 3, 4, 0xf7), 4)
 * // → [f0 01 02 f0], [f7 03 04 f7]
 */
export function splitSysex(data: Uint8Array, maxSegmentBytes: number): Uint8Array[] {
  if (!Number.isInteger(maxSegmentBytes) || maxSegmentBytes < MIN_SYSEX_SEGMENT_BYTES) {
    throw new RangeError(`maxSegmentBytes must be an integer >= ${MIN_SYSEX_SEGMENT_BYTES}, got ${maxSegmentBytes}`);
  }
  if (data.length < 2 || data[0] !== START || data[data.length - 1] !== END) {
    throw new RangeError('splitSysex needs a complete sysex message: f0, data bytes, f7');
  }
  for (let i = 1; i < data.length - 1; i++) {
    if ((data[i] ?? 0) >= 0x80) throw new RangeError(`sysex byte ${i} (0x${(data[i] ?? 0).toString(16)}) must be a data byte (< 0x80)`);
  }
  if (data.length <= maxSegmentBytes) return [data.slice()];
  const chunk = maxSegmentBytes - 2;
  const segments: Uint8Array[] = [];
  const bodyEnd = data.length - 1;
  for (let from = 1; from < bodyEnd; from += chunk) {
    const to = Math.min(from + chunk, bodyEnd);
    const segment = new Uint8Array(to - from + 2);
    segment[0] = from === 1 ? START : END;
    segment.set(data.subarray(from, to), 1);
    segment[segment.length - 1] = to === bodyEnd ? END : START;
    segments.push(segment);
  }
  return segments;
}

/**
 * Reassembles segmented sysex with bounded memory.
 *
 * `push(segment)` takes one sysex command as the RTP-MIDI decoder returns it and gives back the
 * complete `F0 … F7` message when a complete message or a last segment arrives, else undefined.
 * - A cancel (`… F4`) discards the message in progress and returns undefined.
 * - A new first or complete segment while a message is in progress discards the unfinished one
 *   silently (the sender abandoned it; MIDI 1.0 treats a new status the same way).
 * - Reports by throwing {@link DecodeError} — the state stays consistent, so the caller turns it
 *   into a warning and goes on:
 *   - a message that would exceed `maxBytes` (F0 and F7 counted): it is dropped, and the rest of
 *     its segments are ignored silently up to its last one;
 *   - a middle or last segment with no message in progress (its start was lost);
 *   - bytes that are not one segment (no F0/F7 at the start, no F0/F7/F4 at the end, a status
 *     byte inside).
 */
export class SysexAssembler {
  readonly maxBytes: number;
  private chunks: Uint8Array[] = [];
  /** Bytes collected so far, the opening F0 included. */
  private length = 0;
  private state: 'idle' | 'collecting' | 'overflow' = 'idle';

  constructor(maxBytes = DEFAULT_MAX_SYSEX_BYTES) {
    if (!Number.isInteger(maxBytes) || maxBytes < 2) throw new RangeError(`maxBytes must be an integer >= 2, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** True while a segmented message has started and not ended. */
  get inProgress(): boolean {
    return this.state !== 'idle';
  }

  push(segment: Uint8Array): Uint8Array | undefined {
    checkSegment(segment);
    const first = segment[0];
    const last = segment[segment.length - 1];
    const body = segment.subarray(1, segment.length - 1);
    if (last === CANCEL) {
      this.reset();
      return undefined;
    }
    if (first === START) {
      this.reset();
      if (last === END) {
        this.checkFits(segment.length, last);
        return segment.slice();
      }
      this.state = 'collecting';
      this.checkFits(1 + body.length + 1, last);
      this.chunks.push(body.slice());
      this.length = 1 + body.length;
      return undefined;
    }
    // A middle or last segment.
    if (this.state === 'overflow') {
      if (last === END) this.reset();
      return undefined;
    }
    if (this.state === 'idle') {
      throw new DecodeError(`sysex ${last === END ? 'last' : 'middle'} segment with no message in progress (its start was lost)`, 0);
    }
    this.checkFits(this.length + body.length + 1, last);
    this.chunks.push(body.slice());
    this.length += body.length;
    return last === END ? this.finish() : undefined;
  }

  /** Drops any message in progress. */
  reset(): void {
    this.chunks = [];
    this.length = 0;
    this.state = 'idle';
  }

  /** Throws (after dropping the message) when `total` bytes would exceed maxBytes. */
  private checkFits(total: number, last: number | undefined): void {
    if (total <= this.maxBytes) return;
    this.reset();
    if (last !== END) this.state = 'overflow';
    throw new DecodeError(`sysex of more than ${this.maxBytes} bytes dropped`, 0);
  }

  private finish(): Uint8Array {
    const out = new Uint8Array(this.length + 1);
    out[0] = START;
    let at = 1;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    out[at] = END;
    this.reset();
    return out;
  }
}

function checkSegment(segment: Uint8Array): void {
  const first = segment[0];
  const last = segment[segment.length - 1];
  if (segment.length < 2 || (first !== START && first !== END)) {
    throw new DecodeError('a sysex segment starts with f0 or f7 and has at least 2 bytes', 0);
  }
  if (last !== START && last !== END && last !== CANCEL) {
    throw new DecodeError('a sysex segment ends with f0, f7 or f4', segment.length - 1);
  }
  for (let i = 1; i < segment.length - 1; i++) {
    if ((segment[i] ?? 0) >= 0x80) throw new DecodeError(`status byte 0x${(segment[i] ?? 0).toString(16)} inside a sysex segment`, i);
  }
}
