/**
 * Carabiner's line protocol (L0, pure): command parsing and response formatting (lines are
 * framed by `LineFramer`, src/core/line-framer.ts, capped at {@link MAX_LINE_LENGTH}). Written from the protocol section of Deep Symmetry's Carabiner
 * README (github.com/Deep-Symmetry/carabiner, "Protocol"), section names cited below as
 * `README §status`, `README §bpm`, ….
 *
 * Requests are one command per line (`bpm 140.0\n`); several may share a TCP segment and one
 * may span several (README §Protocol). Responses are a message type followed by an edn map,
 * `status { :peers 0 :bpm 120.000000 :start 73743731220 :beat 597.737570 }`, or an error
 * word (`bad-bpm`, `bad-time`, `bad-quantum`, `bad-beat`, `unsupported <cmd>`), each ending
 * with a newline.
 * @module
 */

/** Version reported to `version` (README §version): the Carabiner release whose protocol this implements. */
export const CARABINER_COMPAT_VERSION = '1.1.6';

/** Lines longer than this (in UTF-16 code units, a trailing `\r` included) are discarded whole. */
export const MAX_LINE_LENGTH = 1024;

/** The beat grid `status` reports `:start` and `:beat` on (README §time-at-beat: `time-at-beat 0 4` equals `:start`). */
export const STATUS_QUANTUM = 4;

/** Link's tempo range (README §bpm: "outside the range from 20.0 to 999.0" is `bad-bpm`). */
export const MIN_BPM = 20;
export const MAX_BPM = 999;

export type ErrorWord = 'bad-bpm' | 'bad-time' | 'bad-quantum' | 'bad-beat';

export type Command =
  | { cmd: 'status' }
  | { cmd: 'version' }
  | { cmd: 'bpm'; bpm: number }
  | { cmd: 'beat-at-time'; timeMicros: number; quantum: number }
  | { cmd: 'phase-at-time'; timeMicros: number; quantum: number }
  | { cmd: 'time-at-beat'; beat: number; quantum: number }
  | { cmd: 'force-beat-at-time'; beat: number; timeMicros: number; quantum: number }
  | { cmd: 'request-beat-at-time'; beat: number; timeMicros: number; quantum: number }
  | { cmd: 'enable-start-stop-sync' }
  | { cmd: 'disable-start-stop-sync' }
  | { cmd: 'start-playing'; timeMicros: number }
  | { cmd: 'stop-playing'; timeMicros: number };

/** A line that does not make a command: answer `response` (already formatted, no newline). */
export interface Rejection {
  cmd: 'error';
  response: string;
}

export type ParseResult = Command | Rejection | undefined;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal floating-point literal (no hex, no `Infinity`/`NaN`), or undefined. */
export function parseDecimal(token: string | undefined): number | undefined {
  if (token === undefined || !NUMBER.test(token)) return undefined;
  const v = Number(token);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * A timestamp in µs. The README says "an integer"; a decimal is accepted and rounded half away
 * from zero (clients computing times in floating point are common), anything beyond the safe
 * integer range is `bad-time`.
 */
export function parseTimeMicros(token: string | undefined): number | undefined {
  const v = parseDecimal(token);
  if (v === undefined || Math.abs(v) > Number.MAX_SAFE_INTEGER) return undefined;
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** A quantum: a positive number of beats (Link's phase needs q > 0). */
export function parseQuantum(token: string | undefined): number | undefined {
  const v = parseDecimal(token);
  return v !== undefined && v > 0 && v <= 1e6 ? v : undefined;
}

/**
 * A beat within ±1e9: its time (≤ 3e6 µs per beat at 20 bpm) and micro-beats stay safe
 * integers, so no answer is silently imprecise.
 */
export function parseBeat(token: string | undefined): number | undefined {
  const v = parseDecimal(token);
  return v !== undefined && Math.abs(v) <= 1e9 ? v : undefined;
}

function reject(word: string, args: readonly string[]): Rejection {
  // The README writes the error words with a trailing space (`bad-bpm `): what follows is the
  // offending input. We echo the arguments so a client can tell which request failed.
  return { cmd: 'error', response: args.length > 0 ? `${word} ${args.join(' ')}` : word };
}

type ArgKind = 'time' | 'quantum' | 'beat';
const ARG_PARSERS: Record<ArgKind, [(t: string | undefined) => number | undefined, ErrorWord]> = {
  time: [parseTimeMicros, 'bad-time'],
  quantum: [parseQuantum, 'bad-quantum'],
  beat: [parseBeat, 'bad-beat'],
};

/** Parses positional arguments of the given kinds; the first bad one names the error word. */
function parseArgs(kinds: readonly ArgKind[], args: readonly string[]): number[] | Rejection {
  const out: number[] = [];
  for (const [i, kind] of kinds.entries()) {
    const [parse, word] = ARG_PARSERS[kind];
    const v = parse(args[i]);
    if (v === undefined) return reject(word, args);
    out.push(v);
  }
  return out;
}

const SIMPLE = new Set(['status', 'version', 'enable-start-stop-sync', 'disable-start-stop-sync']);

/**
 * Parses one request line (without its newline). Blank lines give undefined (ignored, as a
 * bare newline between commands must be). Words are separated by any run of spaces or tabs;
 * a trailing `\r` is tolerated; arguments beyond those a command takes are ignored.
 * Pure.
 */
export function parseCommand(line: string): ParseResult {
  const words = line.trim().split(/[ \t]+/).filter((w) => w.length > 0);
  const [name, ...args] = words;
  if (name === undefined) return undefined;
  if (SIMPLE.has(name)) return { cmd: name } as Command;
  switch (name) {
    case 'bpm': {
      const bpm = parseDecimal(args[0]);
      return bpm === undefined || bpm < MIN_BPM || bpm > MAX_BPM ? reject('bad-bpm', args) : { cmd: 'bpm', bpm };
    }
    case 'beat-at-time':
    case 'phase-at-time': {
      const v = parseArgs(['time', 'quantum'], args);
      return 'cmd' in v ? v : { cmd: name, timeMicros: v[0]!, quantum: v[1]! };
    }
    case 'time-at-beat': {
      const v = parseArgs(['beat', 'quantum'], args);
      return 'cmd' in v ? v : { cmd: name, beat: v[0]!, quantum: v[1]! };
    }
    case 'force-beat-at-time':
    case 'request-beat-at-time': {
      const v = parseArgs(['beat', 'time', 'quantum'], args);
      return 'cmd' in v ? v : { cmd: name, beat: v[0]!, timeMicros: v[1]!, quantum: v[2]! };
    }
    case 'start-playing':
    case 'stop-playing': {
      const v = parseArgs(['time'], args);
      return 'cmd' in v ? v : { cmd: name, timeMicros: v[0]! };
    }
    default:
      // README §version: unknown commands are answered `unsupported <command>`.
      return { cmd: 'error', response: `unsupported ${sanitizeWord(name)}` };
  }
}

/** Keeps an echoed word printable and short (it may come from a hostile client). */
function sanitizeWord(word: string): string {
  const clean = word.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}

// ------------------------------------------------------------------------------------------
// Responses

/** `%f`: six decimals, like the README's `120.000000`. */
export function fixed6(x: number): string {
  const s = x.toFixed(6);
  return s === '-0.000000' ? '0.000000' : s;
}

export interface StatusFields {
  peers: number;
  bpm: number;
  /** Host time (µs) of beat 0 on the `STATUS_QUANTUM` grid. */
  startMicros: number;
  /** Beat now on the `STATUS_QUANTUM` grid. */
  beat: number;
  /** Present only while start/stop sync is enabled (README §status). */
  playing?: boolean;
}

/** `status { :peers 0 :bpm 120.000000 :start 73743731220 :beat 597.737570 [:playing true] }`. Pure. */
export function formatStatus(s: StatusFields): string {
  const playing = s.playing === undefined ? '' : ` :playing ${s.playing}`;
  return `status { :peers ${s.peers} :bpm ${fixed6(s.bpm)} :start ${Math.round(s.startMicros)} :beat ${fixed6(s.beat)}${playing} }`;
}

/** `beat-at-time { :when T :quantum Q :beat B }`. Pure. */
export function formatBeatAtTime(timeMicros: number, quantum: number, beat: number): string {
  return `beat-at-time { :when ${timeMicros} :quantum ${fixed6(quantum)} :beat ${fixed6(beat)} }`;
}

/** `phase-at-time { :when T :quantum Q :phase P }`. Pure. */
export function formatPhaseAtTime(timeMicros: number, quantum: number, phase: number): string {
  return `phase-at-time { :when ${timeMicros} :quantum ${fixed6(quantum)} :phase ${fixed6(phase)} }`;
}

/** `time-at-beat { :beat B :quantum Q :when T }`. Pure. */
export function formatTimeAtBeat(beat: number, quantum: number, timeMicros: number): string {
  return `time-at-beat { :beat ${fixed6(beat)} :quantum ${fixed6(quantum)} :when ${Math.round(timeMicros)} }`;
}

/** `version "1.1.6"`. Pure. */
export function formatVersion(version: string): string {
  return `version ${JSON.stringify(version)}`;
}

/** phaselock's answer to a line over {@link MAX_LINE_LENGTH}; not in the README, ignored by clients that do not know it. */
export function formatLineTooLong(max: number): string {
  return `line-too-long ${max}`;
}

/**
 * phaselock's last line to a client past the connection limit, before it closes the connection
 * (not in the README; a client that does not know it sees an unknown response, then EOF).
 */
export function formatTooManyConnections(max: number): string {
  return `too-many-connections ${max}`;
}

// ------------------------------------------------------------------------------------------
// Framing: the incremental line framer lives in core (mpv's IPC and the bridge frame lines too).

export { LineFramer, type LineFrame as Frame } from '../core/line-framer.ts';
