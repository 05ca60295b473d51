/**
 * Standard MIDI File import (L0, pure), written from the SMF 1.0 specification: every channel
 * event of every track becomes raw MIDI bytes at a song beat (ticks / ticks-per-quarter-note).
 *
 * Tempo: a Link session has one tempo for everyone, so playback follows the **Link tempo**; the
 * file's tempo map is not applied. It is returned (`tempoChanges`, `tempoBpm` = the first
 * tempo) so an application may set the Link tempo from it (the `phaselock seq` command does so
 * when it starts alone). Files with SMPTE time division are converted to beats at the file's
 * first tempo (120 bpm when it has none); 29 frames per second means 29.97 (drop frame).
 * Format 2 files (independent patterns) are merged like format 1.
 *
 * Meta events other than tempo, time signature, track name and end-of-track are ignored. Sysex
 * is kept as one F0 … F7 message (an F0 packet continued by F7 packets is joined, at the F0's
 * time); an F7 escape that starts with a status byte is sent as is. Note-on with velocity 0 stays
 * as is (receivers treat it as note-off). Running status survives meta and sysex events (the
 * spec says they cancel it; files that rely on it are common and readers accept them).
 *
 * Memory and limits (`SMF_LIMITS`, overridable per call): the file is read in two passes over the
 * input bytes, without any per-event structure before the second: the first checks the structure,
 * counts the events and collects warnings, so a file beyond `maxEvents` (1 000 000 events of any
 * kind, meta included) is refused before anything is allocated; the second merges the tracks with
 * one cursor per track (a k-way merge in time order) and copies every message into one byte pool
 * that the returned events view, so the input can be dropped. The result costs about 170 bytes
 * per event (the `SmfEvent`, its beat and its `data` view: 170 MB at the limit; a
 * `LinkSequencer` holding the song needs about twice that again). A file beyond `maxBytes`
 * (64 MiB) is refused before it is parsed; callers reading from disk should compare the file
 * size first (`phaselock seq` does). Real songs are far below both: a dense orchestral file has
 * some 100 000 events; 1 000 000 keep a 31.25 kbaud MIDI cable saturated for 10 to 16 minutes.
 * Beyond that are "black MIDI" files (tens of millions of notes), refused.
 *
 * Errors: bytes that are not an SMF, or a file beyond a limit, throw `DecodeError` (code
 * E_DECODE, with the byte offset) naming the chunk and field. What can be recovered — a truncated
 * track, chunk counts that disagree with the header, a missing end-of-track, data bytes out of
 * range, running status without a status, over-long numbers, unknown chunks — is read as well as
 * it can be and reported in `song.warnings` and to `onWarning` (the first `maxWarnings`, then a
 * count). Messages quote file bytes only as printable ASCII or `\xNN`.
 * @module
 */
import { DecodeError } from '../core/errors.ts';

export interface SmfEvent {
  /** Song beat (quarter notes from the start of the file). */
  beat: number;
  /** One complete MIDI message with its status byte (a view into the song's byte pool). */
  data: Uint8Array;
  track: number;
}

export interface SmfSong {
  /** Events in time order (ties keep file order: track, then position in track). */
  events: SmfEvent[];
  format: 0 | 1 | 2;
  /** Ticks per quarter note (for SMPTE files: the equivalent at the first tempo). */
  ticksPerBeat: number;
  /** The latest end-of-track or event, in beats. */
  lengthBeats: number;
  /** First tempo in the file, if any (bpm). */
  tempoBpm: number | undefined;
  tempoChanges: Array<{ beat: number; bpm: number }>;
  timeSignature: { numerator: number; denominator: number } | undefined;
  trackNames: string[];
  /** What was wrong but could be read anyway (at most `maxWarnings`, then one line with the count). */
  warnings: string[];
}

/** The default limits of `parseSmf`. */
export const SMF_LIMITS = Object.freeze({
  /** Largest file accepted, bytes (64 MiB). */
  maxBytes: 64 * 1024 * 1024,
  /** Most events (channel, sysex and meta) accepted in one file. */
  maxEvents: 1_000_000,
  /** Warnings kept (and reported to `onWarning`) before the rest are only counted. */
  maxWarnings: 20,
  /**
   * Longest song, in beats (1 000 000: almost 6 days at 120 bpm). Deltas can place an event
   * ~10^15 beats out, beyond what the timeline's µb arithmetic represents; refused here.
   */
  maxBeats: 1_000_000,
});

export interface SmfParseOptions {
  /** Default `SMF_LIMITS.maxBytes`. */
  maxBytes?: number;
  /** Default `SMF_LIMITS.maxEvents`. */
  maxEvents?: number;
  /** Default `SMF_LIMITS.maxWarnings`. */
  maxWarnings?: number;
  /** Default `SMF_LIMITS.maxBeats`. */
  maxBeats?: number;
  /** Called with each warning as it is found (the same text as in `song.warnings`). */
  onWarning?: (message: string) => void;
}

const MTHD = 0x4d546864; // 'MThd'
const MTRK = 0x4d54726b; // 'MTrk'
const MAX_TRACKS = 0xffff; // what a header can announce
/** Continuation packets joined into one sysex message (real devices split dumps in a few dozen). */
const MAX_SYSEX_PACKETS = 4096;
const META_END_OF_TRACK = 0x2f;
const META_TEMPO = 0x51;
const META_TIME_SIGNATURE = 0x58;
const META_TRACK_NAME = 0x03;

/** Kinds of decoded track event. */
const CHANNEL = 0;
const SYSEX = 1;
const ESCAPE = 2;
const META = 3;
const SKIPPED = 4;

type Warn = ((message: string) => void) | undefined;

/** Bytes quoted for a message: printable ASCII as is, anything else as `\xNN`. */
function quoteBytes(bytes: Uint8Array, from: number, count: number): string {
  let s = '';
  for (let i = from; i < Math.min(bytes.length, from + count); i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${hex(b)}`;
  }
  return `"${s}"`;
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');
const count = (n: number): string => n.toLocaleString('en-US');
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1).replace(/\.0$/, '')} MiB`;

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

const NAME_DECODER = new TextDecoder('utf-8', { fatal: true });

/** Text meta events: UTF-8 when valid, else Latin-1 (what older writers meant byte by byte). */
function metaText(bytes: Uint8Array): string {
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
class TrackReader {
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

interface TrackChunk {
  at: number;
  start: number;
  end: number;
  declared: number;
}

interface Header {
  format: 0 | 1 | 2;
  ntrks: number;
  /** > 0: ticks per quarter note; < 0: -(frames per second × ticks per frame). */
  division: number;
  tracks: TrackChunk[];
}

/** MThd and the chunk list (SMF 1.0 "chunks"): errors for what cannot be an SMF, warnings for the rest. */
function readChunks(bytes: Uint8Array, warn: Warn): Header {
  const n = bytes.length;
  if (n < 4 || u32(bytes, 0) !== MTHD) {
    const what = n === 0 ? 'the file is empty' : `it starts with ${quoteBytes(bytes, 0, 4)}`;
    throw new DecodeError(`not a Standard MIDI File: the file does not start with an MThd chunk (${what})`, 0);
  }
  if (n < 8) throw new DecodeError(`MThd chunk: the file ends after ${n} bytes, inside the chunk header`, n);
  const hlen = u32(bytes, 4);
  if (hlen < 6) throw new DecodeError(`MThd chunk: length ${hlen} is too short (at least 6)`, 4);
  if (8 + hlen > n) throw new DecodeError(`MThd chunk: length ${count(hlen)} runs past the end of the file (${count(n)} bytes)`, 4);
  const format = u16(bytes, 8);
  if (format > 2) throw new DecodeError(`MThd chunk: format ${format} is not an SMF format (0, 1 or 2)`, 8);
  const ntrks = u16(bytes, 10);
  const division = parseDivision(u16(bytes, 12));
  const tracks: TrackChunk[] = [];
  let p = 8 + hlen;
  let ignored = 0;
  while (p < n) {
    if (n - p < 8) {
      warn?.(`${n - p} byte(s) after the last chunk (at byte ${p}) ignored`);
      break;
    }
    if (!isChunkType(bytes, p)) {
      warn?.(`the bytes at ${p} are not a chunk (they start with ${quoteBytes(bytes, p, 4)}): the rest of the file (${count(n - p)} bytes) is ignored`);
      break;
    }
    const declared = u32(bytes, p + 4);
    const start = p + 8;
    const end = Math.min(n, start + declared);
    if (u32(bytes, p) === MTRK) {
      if (tracks.length < MAX_TRACKS) tracks.push({ at: p, start, end, declared });
      else ignored++;
    } else {
      warn?.(`unknown chunk ${quoteBytes(bytes, p, 4)} at byte ${p} (${count(declared)} bytes) skipped`);
    }
    p = start + declared;
  }
  if (ignored > 0) warn?.(`${count(ignored)} MTrk chunk(s) beyond ${MAX_TRACKS} ignored`);
  if (tracks.length === 0) throw new DecodeError(`no MTrk chunk: the file has no tracks (its header announces ${ntrks})`, 8 + hlen);
  if (tracks.length !== ntrks) warn?.(`the header announces ${ntrks} track(s) but the file has ${tracks.length} MTrk chunk(s): all are read`);
  if (format === 0 && tracks.length > 1) warn?.(`format 0 file with ${tracks.length} tracks (format 0 has one): all are played`);
  return { format: format as 0 | 1 | 2, ntrks, division, tracks };
}

/** Chunk types are four ASCII characters (SMF 1.0); anything else means the structure broke. */
function isChunkType(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return false;
  return true;
}

function parseDivision(d: number): number {
  if (d & 0x8000) {
    const fps = 0x100 - (d >> 8);
    const tpf = d & 0xff;
    if (![24, 25, 29, 30].includes(fps)) throw new DecodeError(`MThd chunk: SMPTE division of ${fps} frames per second (24, 25, 29 or 30)`, 12);
    if (tpf === 0) throw new DecodeError('MThd chunk: SMPTE division of 0 ticks per frame', 12);
    return -(fps === 29 ? 29.97 : fps) * tpf;
  }
  if (d === 0) throw new DecodeError('MThd chunk: division of 0 ticks per quarter note', 12);
  return d;
}

/** Tempo meta data as microseconds per quarter note, or undefined (warned) when unusable. */
function tempoOf(bytes: Uint8Array, r: TrackReader, warn: Warn): number | undefined {
  const [at, len] = r.parts as [number, number];
  const us = len === 3 ? (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]! : 0;
  if (len === 3 && us > 0) return us;
  warn?.(`track ${r.track} at byte ${r.statusAt}: a tempo event of ${len === 3 ? '0 microseconds per beat' : `${len} bytes (3 expected)`}: ignored`);
  return undefined;
}

function timeSignatureOf(bytes: Uint8Array, r: TrackReader, warn: Warn): SmfSong['timeSignature'] {
  const [at, len] = r.parts as [number, number];
  const numerator = bytes[at]!;
  const dd = bytes[at + 1]!;
  if (len >= 2 && numerator > 0 && dd <= 8) return { numerator, denominator: 2 ** dd };
  warn?.(`track ${r.track} at byte ${r.statusAt}: a time signature of ${len} bytes${len >= 2 ? ` (${numerator}/2^${dd})` : ''}: ignored`);
  return undefined;
}

/** First pass: structure, counts, the first tempo (SMPTE needs it before any beat), warnings. */
function scan(bytes: Uint8Array, header: Header, maxEvents: number, warn: Warn) {
  let total = 0;
  let poolBytes = 0;
  let lengthTicks = 0;
  let first: { tick: number; us: number } | undefined;
  header.tracks.forEach((c, t) => {
    const r = new TrackReader(bytes, t, c.at, c.start, c.end, c.declared, warn);
    while (r.next()) {
      if (++total > maxEvents) {
        throw new DecodeError(`the file has more events than the limit of ${count(maxEvents)} (maxEvents)`, r.statusAt);
      }
      if (r.kind === META) {
        if (r.metaType === META_TEMPO) {
          const us = tempoOf(bytes, r, warn);
          if (us !== undefined && (first === undefined || r.at < first.tick)) first = { tick: r.at, us };
        } else if (r.metaType === META_TIME_SIGNATURE) {
          timeSignatureOf(bytes, r, warn);
        }
      } else if (r.kind !== SKIPPED) {
        poolBytes += r.size;
      }
    }
    lengthTicks = Math.max(lengthTicks, r.tick);
  });
  return { poolBytes, lengthTicks, firstTempoUs: first?.us };
}

/** A binary min-heap of track cursors by (tick, track): the k-way merge of the tracks. */
class CursorHeap {
  private readonly h: TrackReader[] = [];
  get size(): number {
    return this.h.length;
  }
  get top(): TrackReader {
    return this.h[0]!;
  }
  push(r: TrackReader): void {
    const h = this.h;
    let i = h.length;
    h.push(r);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(r, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = r;
  }
  /** The top moved on to its next event (`more`) or ended: restores the heap. */
  update(more: boolean): void {
    const h = this.h;
    if (!more) {
      const last = h.pop()!;
      if (h.length === 0) return;
      h[0] = last;
    }
    this.siftDown(0);
  }
  private siftDown(i: number): void {
    const h = this.h;
    const r = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && less(h[l + 1]!, h[l]!) ? l + 1 : l;
      if (!less(h[c]!, r)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = r;
  }
}

const less = (a: TrackReader, b: TrackReader): boolean => a.at < b.at || (a.at === b.at && a.track < b.track);

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be an integer >= 0, got ${value}`);
  return value;
}

/**
 * Parses a .mid file (pure). Throws `DecodeError` (code E_DECODE) for bytes that are not an SMF
 * or beyond a limit (see `SMF_LIMITS`); what can be recovered comes back in `song.warnings`.
 * @example
 * const song = parseSmf(await readFile('song.mid'), { onWarning: (w) => console.warn(w) });
 * seq.loadSmf(song);
 */
export function parseSmf(bytes: Uint8Array, options: SmfParseOptions = {}): SmfSong {
  const maxBytes = limit('maxBytes', options.maxBytes, SMF_LIMITS.maxBytes);
  const maxEvents = limit('maxEvents', options.maxEvents, SMF_LIMITS.maxEvents);
  const maxWarnings = limit('maxWarnings', options.maxWarnings, SMF_LIMITS.maxWarnings);
  if (bytes.length > maxBytes) {
    const name = maxBytes >= 2 ** 20 ? `${mib(maxBytes)}, maxBytes` : 'maxBytes';
    throw new DecodeError(`the file has ${count(bytes.length)} bytes; the limit is ${count(maxBytes)} (${name})`, 0);
  }
  const warnings: string[] = [];
  let unshown = 0;
  const warn = (message: string): void => {
    if (warnings.length >= maxWarnings) {
      unshown++;
      return;
    }
    warnings.push(message);
    options.onWarning?.(message);
  };
  const header = readChunks(bytes, warn);
  const { poolBytes, lengthTicks, firstTempoUs } = scan(bytes, header, maxEvents, warn);
  if (unshown > 0) {
    const more = `${count(unshown)} more warning(s) not shown`;
    warnings.push(more);
    options.onWarning?.(more);
  }
  const ticksPerBeat = header.division > 0 ? header.division : (-header.division * (firstTempoUs ?? 500_000)) / 1e6;
  const maxBeats = limit('maxBeats', options.maxBeats, SMF_LIMITS.maxBeats);
  if (lengthTicks / ticksPerBeat > maxBeats) {
    throw new DecodeError(`the song is ${count(Math.ceil(lengthTicks / ticksPerBeat))} beats long; the limit is ${count(maxBeats)} beats (maxBeats)`, 0);
  }
  return { ...merge(bytes, header, poolBytes, ticksPerBeat), format: header.format, ticksPerBeat, lengthBeats: lengthTicks / ticksPerBeat, warnings };
}

/** Second pass: the tracks merged in time order; every message copied into one pool. */
function merge(bytes: Uint8Array, header: Header, poolBytes: number, ticksPerBeat: number) {
  const pool = new Uint8Array(poolBytes);
  let w = 0;
  const events: SmfEvent[] = [];
  const tempoChanges: SmfSong['tempoChanges'] = [];
  let timeSignature: SmfSong['timeSignature'];
  const trackNames: string[] = [];
  const heap = new CursorHeap();
  header.tracks.forEach((c, t) => {
    const r = new TrackReader(bytes, t, c.at, c.start, c.end, c.declared, undefined);
    if (r.next()) heap.push(r);
  });
  while (heap.size > 0) {
    const r = heap.top;
    const beat = r.at / ticksPerBeat;
    const parts = r.parts;
    if (r.kind === CHANNEL) {
      pool[w] = r.status;
      pool[w + 1] = r.d1;
      if (r.size === 3) pool[w + 2] = r.d2;
    } else if (r.kind === SYSEX) {
      pool[w] = 0xf0;
      let o = w + 1;
      for (let i = 0; i < parts.length; i += 2) {
        pool.set(bytes.subarray(parts[i]!, parts[i]! + parts[i + 1]!), o);
        o += parts[i + 1]!;
      }
      if (!r.terminated) pool[o] = 0xf7;
    } else if (r.kind === ESCAPE) {
      pool.set(bytes.subarray(parts[0]!, parts[0]! + parts[1]!), w);
    } else if (r.kind === META) {
      if (r.metaType === META_TEMPO) {
        const us = tempoOf(bytes, r, undefined);
        if (us !== undefined) tempoChanges.push({ beat, bpm: 60_000_000 / us });
      } else if (r.metaType === META_TIME_SIGNATURE) {
        timeSignature ??= timeSignatureOf(bytes, r, undefined);
      } else if (r.metaType === META_TRACK_NAME) {
        trackNames[r.track] = metaText(bytes.subarray(parts[0]!, parts[0]! + parts[1]!));
      }
    }
    if (r.kind === CHANNEL || r.kind === SYSEX || r.kind === ESCAPE) {
      events.push({ beat, data: pool.subarray(w, w + r.size), track: r.track });
      w += r.size;
    }
    heap.update(r.next());
  }
  return { events, tempoBpm: tempoChanges[0]?.bpm, tempoChanges, timeSignature, trackNames };
}
