/**
 * Text for the live view, the JSON lines and the one-shot `status` (pure).
 * @module
 */
import type { LiveStatus, Transport } from './hut.ts';

const round6 = (x: number) => {
  const r = Math.round(x * 1e6) / 1e6;
  return Object.is(r, -0) ? 0 : r;
};

/** Why a JSON line was written: a change, a key, the 250 ms tick, or a one-shot `status`. */
export type JsonReason = 'start' | 'tick' | 'peers' | 'tempo' | 'playing' | 'key' | 'status';

/** Options of the status texts: `transportKnown: false` makes the transport `unknown` whatever `s` says. */
export interface TransportOptions {
  transportKnown?: boolean;
}

/** The transport as shown: `playing`, `stopped` or `unknown`. Pure. */
export function transportWord(s: LiveStatus, opts: TransportOptions = {}): Transport {
  return opts.transportKnown === false ? 'unknown' : s.transport;
}

/**
 * One JSON status line (no newline): the LiveStatus fields (not `transport` and `countInBeat`),
 * beat and phase rounded to 1e-6, plus `reason`. `isPlaying` is null while the transport is
 * unknown. Pure.
 */
export function formatJsonStatus(s: LiveStatus, reason: JsonReason, opts: TransportOptions = {}): string {
  return JSON.stringify({
    t: s.t,
    reason,
    enabled: s.enabled,
    numPeers: s.numPeers,
    quantum: s.quantum,
    startStopSync: s.startStopSync,
    isPlaying: transportWord(s, opts) === 'unknown' ? null : s.isPlaying,
    tempo: round6(s.tempo),
    beat: round6(s.beat),
    phase: round6(s.phase),
  });
}

/** The beat as shown: two decimals, `-0.00` avoided. */
export function formatBeat(beat: number): string {
  const s = beat.toFixed(2);
  return s === '-0.00' ? '0.00' : s;
}

/**
 * True while a quantized start counts in: playing, but beat 0 (for the quantum it started
 * with) is still ahead. Pure.
 */
export function isCountingIn(s: LiveStatus): boolean {
  return s.isPlaying && s.countInBeat < 0;
}

/**
 * LinkHut's "metro": `ceil(quantum)` cells, the one of the current beat lit. Wide cells
 * (`[###]` / `[   ]`) when they fit in `width`, one character each (`#` / `.`) otherwise.
 * Pure.
 */
export function phaseBar(phase: number, quantum: number, width = 80): string {
  const cells = Math.max(1, Math.ceil(quantum));
  const lit = Math.min(cells - 1, Math.max(0, Math.floor(phase)));
  const wide = cells * 5 <= width;
  let out = '';
  for (let i = 0; i < cells; i++) {
    if (wide) out += i === lit ? '[###]' : '[   ]';
    else out += i === lit ? '#' : '.';
  }
  return out;
}

export interface ScreenOptions {
  width?: number;
  helpVisible?: boolean;
  message?: string;
  /** ANSI colours (lit cell, transport); off for NO_COLOR and tests. */
  color?: boolean;
}

export const HELP_LINES = [
  'keys',
  '  a        enable / disable Link',
  '  space    start / stop (on the next bar with peers; from unknown: start)',
  '  w / e    tempo -1 / +1 bpm',
  '  W / E    tempo -0.1 / +0.1 bpm',
  '  r / t    quantum -1 / +1',
  '  s        start/stop sync on / off',
  '  T        tap tempo (average of the last taps; 2 s pause resets)',
  '  ?        this help',
  '  q        quit (also Ctrl-C)',
];

const BOLD = '\x1b[1m';
const GREEN = '\x1b[32m';
const YELLOW = '\x1b[33m';
const REVERSE = '\x1b[7m';
const RESET = '\x1b[0m';

/**
 * The live screen as lines (no line ends, no cursor control). Pure.
 * @example renderScreen(status, { width: 100 }).join('\n')
 */
export function renderScreen(s: LiveStatus, opts: ScreenOptions = {}): string[] {
  const width = opts.width ?? 80;
  const c = (code: string, text: string) => (opts.color ? `${code}${text}${RESET}` : text);
  const row = (label: string, value: string, keys = '') =>
    `  ${label.padEnd(13)}${value}${keys ? ' '.repeat(Math.max(1, 22 - visibleLength(value))) + keys : ''}`;
  const countIn = isCountingIn(s)
    ? `${Math.floor(s.countInBeat)}   (beat 0 in ${((-s.countInBeat * 60) / s.tempo).toFixed(2)} s)`
    : '-';
  let bar = phaseBar(s.phase, s.quantum, width - 4);
  if (opts.color) bar = bar.replace(/\[###\]|#/, (m) => `${REVERSE}${s.isPlaying ? GREEN : ''}${m}${RESET}`);
  const lines = [
    c(BOLD, ' phaselock · Ableton Link'),
    '',
    row('enabled', s.enabled ? 'yes' : 'no', '[a]'),
    row('peers', String(s.numPeers)),
    row('quantum', formatNumber(s.quantum), '[r/t]'),
    row('start/stop', s.startStopSync ? 'sync on' : 'sync off', '[s]'),
    row('transport', s.transport === 'playing' ? c(GREEN, 'playing') : s.transport, '[space]'),
    row('tempo', `${s.tempo.toFixed(2)} bpm`, '[w/e W/E T]'),
    row('beat', formatBeat(s.beat)),
    row('count-in', isCountingIn(s) ? c(YELLOW, countIn) : countIn),
    '',
    `  ${bar}`,
    '',
    `  ${opts.message ?? ''}`,
  ];
  // 24 rows hold the screen with the help.
  if (opts.helpVisible) lines.push(...HELP_LINES.map((l) => `  ${l}`));
  else lines.push('', '  ? help   q quit');
  return lines;
}

/** Length without ANSI escapes. */
export function visibleLength(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(round6(x));
}

/**
 * The human-readable `phaselock status`. The transport reads "unknown" when `s.transport`
 * says so or with `transportKnown: false`: Link tells a peer that just joined about start/stop
 * *changes*, not the current state (Ableton's peers behave the same). Pure.
 */
export function formatStatusText(s: LiveStatus, opts: TransportOptions = {}): string {
  const word = transportWord(s, opts);
  const transport = word === 'unknown' ? 'unknown (Link shares start/stop changes, not the state, with a newcomer)' : word;
  return [
    `peers       ${s.numPeers}`,
    `tempo       ${s.tempo.toFixed(2)} bpm`,
    `beat        ${s.beat.toFixed(3)} (quantum ${formatNumber(s.quantum)}, phase ${s.phase.toFixed(3)})`,
    `transport   ${transport}`,
  ].join('\n');
}
