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
import {
  CHANNEL, count, ESCAPE, META, META_TEMPO, META_TIME_SIGNATURE, META_TRACK_NAME, metaText, mib, quoteBytes, SKIPPED, SYSEX,
  TrackReader, u16, u32, type Warn,
} from './smf-track.ts';

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
