/**
 * One MTrk chunk read event by event (L0, pure): the track reader of the Standard MIDI File
 * import (smf.ts), written from the SMF 1.0 specification — variable-length numbers, running
 * status, sysex in F0/F7 packets, F7 escapes, meta events — with a warning for what it skips.
 * The counting and the merging pass of `parseSmf` both read through it, so they see the same
 * events.
 * @module
 */
/** Continuation packets joined into one sysex message (real devices split dumps in a few dozen). */
const MAX_SYSEX_PACKETS = 4096;
const META_END_OF_TRACK = 0x2f;
export const META_TEMPO = 0x51;
export const META_TIME_SIGNATURE = 0x58;
export const META_TRACK_NAME = 0x03;

/** Kinds of decoded track event. */
export const CHANNEL = 0;
export const SYSEX = 1;
export const ESCAPE = 2;
export const META = 3;
export const SKIPPED = 4;

export type Warn = ((message: string) => void) | undefined;

/** Bytes quoted for a message: printable ASCII as is, anything else as `\xNN`. */
export function quoteBytes(bytes: Uint8Array, from: number, count: number): string {
  let s = '';
  for (let i = from; i < Math.min(bytes.length, from + count); i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${hex(b)}`;
  }
  return `"${s}"`;
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');
export const count = (n: number): string => n.toLocaleString('en-US');
export const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1).replace(/\.0$/, '')} MiB`;

export function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

export function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

const NAME_DECODER = new TextDecoder('utf-8', { fatal: true });

/** Text meta events: UTF-8 when valid, else Latin-1 (what older writers meant byte by byte). */
export function metaText(bytes: Uint8Array): string {
  try {
    return NAME_DECODER.decode(bytes);
  } catch {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return s;
  }
}

/** Data bytes each MIDI status takes (sysex: any number, -1); undefined for 0xF4, 0xF5, 0xFD. */
function dataBytes(status: number): number | undefined {
  if (status < 0xf0) return (status & 0xe0) === 0xc0 ? 1 : 2;
  return [-1, 1, 2, 1, undefined, undefined, 0, 0, 0, 0, 0, 0, 0, undefined, 0, 0][status - 0xf0];
}

/** Whether `len` bytes at `at` are exactly one complete MIDI message (what an F7 escape may send). */
function isOneMessage(bytes: Uint8Array, at: number, len: number): boolean {
  if (len === 0) return false;
  const n = dataBytes(bytes[at]!);
  if (n === undefined || bytes[at]! < 0x80 || (n >= 0 && len !== 1 + n) || (n < 0 && bytes[at + len - 1] !== 0xf7)) return false;
  for (let i = at + 1; i < at + len - (n < 0 ? 1 : 0); i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/**
 * A cursor over one MTrk chunk: `next()` decodes one event into its fields. Deterministic, so
 * the counting pass (with `warn`) and the merging pass (without) see the same events.
 */
export class TrackReader {
  pos: number;
  /** Tick after the current event (continuation packets of a sysex included). */
  tick = 0;
  /** Tick of the current event. */
  at = 0;
  kind = CHANNEL;
  status = 0;
  d1 = 0;
  d2 = 0;
  /** Output message size (channel, sysex, escape). */
  size = 0;
  metaType = 0;
  /** Data of a meta or escape; sysex: [start, length] pairs of its packets. */
  parts: number[] = [];
  terminated = true;
  /** Where the current event's status byte is (or would be, under running status). */
  statusAt = 0;
  /** Delta times of a sysex's continuation packets. */
  private extraTicks = 0;
  private running = 0;
  private done = false;

  constructor(
    private readonly bytes: Uint8Array,
    readonly track: number,
    private readonly chunkAt: number,
    private readonly start: number,
    private readonly end: number,
    /** The chunk's declared length (more than `end - start` when the file ends first). */
    private readonly declared: number,
    private readonly warn: Warn,
  ) {
    this.pos = start;
  }

  /** Decodes the next event; false at the end of the track. */
  next(): boolean {
    if (this.done) return false;
    if (this.pos >= this.end) return this.finish(false);
    const eventAt = this.pos;
    const delta = this.vlq(true);
    if (delta < 0 || this.pos >= this.end) return this.finish(true, eventAt);
    let b = this.bytes[this.pos]!;
    if (b < 0x80 && this.running === 0) {
      // SMF 1.0: running status needs a previous channel status. Resynchronise on the next status byte.
      const skipFrom = this.pos;
      while (this.pos < this.end && this.bytes[this.pos]! < 0x80) this.pos++;
      this.warn?.(`track ${this.track} at byte ${skipFrom}: data byte 0x${hex(b)} with no running status: skipped ${this.pos - skipFrom} byte(s) to the next status byte`);
      if (this.pos >= this.end) return this.finish(true, eventAt);
      b = this.bytes[this.pos]!;
    }
    this.statusAt = this.pos;
    if (b < 0x80) b = this.running;
    else this.pos++;
    this.extraTicks = 0;
    if (b > 0xf0 && b !== 0xf7 && b !== 0xff) {
      this.warn?.(`track ${this.track} at byte ${this.statusAt}: status byte 0x${hex(b)} is not allowed in a MIDI file: the rest of the track is ignored`);
      this.done = true;
      return false;
    }
    const ok = b < 0xf0 ? this.channel(b) : b === 0xff ? this.meta() : b === 0xf0 ? this.sysex() : this.escape();
    if (!ok) return this.finish(true, eventAt);
    this.at = this.tick + delta;
    this.tick = this.at + this.extraTicks;
    return true;
  }

  private channel(status: number): boolean {
    this.running = status;
    const n = (status & 0xe0) === 0xc0 ? 1 : 2; // Cn, Dn: one data byte
    if (this.pos + n > this.end) return false;
    this.kind = CHANNEL;
    this.status = status;
    this.d1 = this.data(status);
    this.d2 = n === 2 ? this.data(status) : 0;
    this.size = 1 + n;
    return true;
  }

  private data(status: number): number {
    const b = this.bytes[this.pos++]!;
    if (b < 0x80) return b;
    this.warn?.(`track ${this.track} at byte ${this.pos - 1}: byte 0x${hex(b)} where a data byte of status 0x${hex(status)} was expected: used 0x${hex(b & 0x7f)}`);
    return b & 0x7f;
  }

  private meta(): boolean {
    if (this.pos >= this.end) return false;
    const type = this.bytes[this.pos++]!;
    const len = this.vlq(true);
    if (len < 0 || this.pos + len > this.end) return false;
    this.kind = META;
    this.metaType = type;
    this.parts[0] = this.pos;
    this.parts[1] = len;
    this.parts.length = 2;
    this.pos += len;
    if (type === META_END_OF_TRACK) {
      this.done = true;
      this.afterEnd();
    }
    return true;
  }

  private sysex(): boolean {
    const len = this.vlq(true);
    if (len < 0 || this.pos + len > this.end) return false;
    this.kind = SYSEX;
    this.parts.length = 0;
    this.parts.push(this.pos, len);
    this.pos += len;
    let size = 1 + len;
    let last = len > 0 ? this.bytes[this.pos - 1] : undefined;
    // Continuation packets: delta F7 len bytes, until one ends with F7 (SMF 1.0, "sysex events").
    // At most MAX_SYSEX_PACKETS are joined (each costs memory the event count does not see);
    // the message is ended there, and the packets after it read as F7 events of their own.
    while (last !== 0xf7) {
      if (this.parts.length > 2 * MAX_SYSEX_PACKETS) {
        this.warn?.(`track ${this.track} at byte ${this.statusAt}: a sysex message continued in more than ${MAX_SYSEX_PACKETS} packets: ended it there`);
        break;
      }
      const save = this.pos;
      const delta = this.vlq(false);
      if (delta < 0 || this.pos >= this.end || this.bytes[this.pos] !== 0xf7) {
        this.pos = save;
        break;
      }
      this.pos++;
      const n = this.vlq(false);
      if (n < 0 || this.pos + n > this.end) {
        this.pos = save;
        break;
      }
      this.parts.push(this.pos, n);
      this.pos += n;
      size += n;
      this.extraTicks += delta;
      if (n > 0) last = this.bytes[this.pos - 1];
    }
    this.terminated = last === 0xf7;
    this.size = this.terminated ? size : size + 1;
    // Between F0 and F7 only data bytes: anything else would be read as a status by the receiver.
    for (let i = 0; i < this.parts.length; i += 2) {
      const from = this.parts[i]!;
      const to = from + this.parts[i + 1]! - (i + 2 === this.parts.length && this.terminated ? 1 : 0);
      for (let j = from; j < to; j++) {
        if (this.bytes[j]! < 0x80) continue;
        this.kind = SKIPPED;
        this.warn?.(`track ${this.track} at byte ${this.statusAt}: a sysex message with byte 0x${hex(this.bytes[j]!)} inside (at byte ${j}): ignored`);
        return true;
      }
    }
    if (!this.terminated) this.warn?.(`track ${this.track} at byte ${this.statusAt}: a sysex message without its final F7: ended it`);
    return true;
  }

  private escape(): boolean {
    const len = this.vlq(true);
    if (len < 0 || this.pos + len > this.end) return false;
    this.parts[0] = this.pos;
    this.parts[1] = len;
    this.parts.length = 2;
    if (isOneMessage(this.bytes, this.pos, len)) {
      this.kind = ESCAPE;
      this.size = len;
    } else {
      this.kind = SKIPPED;
      this.warn?.(`track ${this.track} at byte ${this.statusAt}: an F7 packet that continues no sysex and is not one MIDI message: ignored`);
    }
    this.pos += len;
    return true;
  }

  /** A variable-length quantity; -1 when the chunk ends inside it. Over 4 bytes: the last 28 bits, with a warning. */
  private vlq(warn: boolean): number {
    let v = 0;
    const from = this.pos;
    for (;;) {
      if (this.pos >= this.end) return -1;
      const b = this.bytes[this.pos++]!;
      v = ((v << 7) | (b & 0x7f)) & 0x0fffffff;
      if (b < 0x80) break;
    }
    if (this.pos - from > 4 && warn) {
      this.warn?.(`track ${this.track} at byte ${from}: a variable-length number of ${this.pos - from} bytes (at most 4): used its last 28 bits`);
    }
    return v;
  }

  private afterEnd(): void {
    if (this.pos < this.end) {
      this.warn?.(`track ${this.track}: ${this.end - this.pos} byte(s) after its end-of-track event (at byte ${this.pos}) ignored`);
    }
    this.clipped(true);
  }

  /** Ends the track: the chunk ran out (`cut`: inside an event starting at `eventAt`). */
  private finish(cut: boolean, eventAt = this.pos): false {
    this.done = true;
    if (this.clipped(false)) return false;
    if (cut) this.warn?.(`track ${this.track}: the event at byte ${eventAt} runs past the end of its MTrk chunk (byte ${this.end}): ignored`);
    else this.warn?.(`track ${this.track} has no end-of-track event`);
    return false;
  }

  /** Warns when the chunk was cut by the end of the file; true if it was. */
  private clipped(ended: boolean): boolean {
    const have = this.end - this.start;
    if (this.declared <= have) return false;
    const what = `its MTrk chunk at byte ${this.chunkAt} declares ${count(this.declared)} bytes, the file has ${count(have)}`;
    this.warn?.(ended ? `track ${this.track}: ${what} (after its end-of-track event)` : `track ${this.track} is truncated at byte ${this.end}: its last events are missing (${what})`);
    return true;
  }
}
