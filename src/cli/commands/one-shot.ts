/**
 * The one-shot family: `status`, `peers`, `tempo`, `play`, `stop`. Each joins, acts as soon as
 * it shares a session with a peer (or listens up to `--timeout`), prints one result and leaves.
 * @module
 */
import { defineCommand, type CommandIo } from '../spec/command-spec.ts';
import { BPM_RANGE, interfaceOption, jsonOption, quantumOption, timeoutOption } from '../spec/common-options.ts';
import { parseNumber, rangeProblem } from '../spec/parse.ts';
import type { OneShot, TempoChange } from '../oneshot.ts';

/** Default `--timeout` of `status` and `peers` (they do not need peers, so they must not wait long). */
export const LISTEN_TIMEOUT_S = 1;
/** Default `--timeout` of the commands that need a session. */
export const JOIN_TIMEOUT_S = 3;

const listenTimeout = timeoutOption('how long to listen for peers', LISTEN_TIMEOUT_S);
const joinTimeout = timeoutOption('how long to look for a session', JOIN_TIMEOUT_S);

const LISTENS = 'Listens for peers (up to --timeout; 250 ms more once one is found)';
const INTERRUPTED = 'A signal (Ctrl-C) before the result ends it with exit 1.';
const NEEDS_SESSION = `Exit 1 when no session is joined within --timeout.\n${INTERRUPTED}`;

async function runOneShot(cmd: OneShot, io: CommandIo): Promise<number> {
  return (await import('../oneshot.ts')).runOneShot(cmd, io);
}

const ms = (seconds: number) => Math.round(seconds * 1000);

/** The largest change `tempo +N`/`-N` accepts: from one end of Link's range to the other. */
export const MAX_TEMPO_CHANGE = BPM_RANGE[1] - BPM_RANGE[0];

/**
 * `tempo <bpm>`'s argument: a tempo (`133`), or with a sign a change of the session's tempo
 * (`+1`, `-2.5`). Returns the change, or the error message. Pure.
 * @example parseTempoArg('-2.5') // { by: -2.5 }
 */
export function parseTempoArg(text: string): TempoChange | string {
  const v = parseNumber(text);
  if (/^[+-]/.test(text) && v !== undefined) {
    if (Math.abs(v) <= MAX_TEMPO_CHANGE) return { by: v };
    return `<bpm> as a change (with a sign) must be within ±${MAX_TEMPO_CHANGE} bpm, got '${text}'`;
  }
  if (v === undefined || rangeProblem(v, { range: BPM_RANGE })) return `<bpm> must be a number in [${BPM_RANGE[0]}, ${BPM_RANGE[1]}] bpm, got '${text}'`;
  return { to: v };
}

const tempoArgProblem = (text: string) => {
  const change = parseTempoArg(text);
  return typeof change === 'string' ? change : undefined;
};

function tempoChange(text: string): TempoChange {
  const change = parseTempoArg(text);
  if (typeof change === 'string') throw new Error(change); // the positional's check refused it already
  return change;
}

export const statusCommand = defineCommand({
  name: 'status',
  summary: "print the session's state and leave",
  description: `
${LISTENS},
prints tempo, beat, phase, transport and peers, and leaves. Alone, it says that there is no
session (no tempo; null in --json), exit 0.
${INTERRUPTED}`,
  options: { json: jsonOption, quantum: quantumOption, timeout: listenTimeout, interface: interfaceOption },
  run: ({ options: o }, io) =>
    runOneShot({ kind: 'status', json: o.json, quantum: o.quantum, timeoutMs: ms(o.timeout), interfaces: o.interface }, io),
});

export const peersCommand = defineCommand({
  name: 'peers',
  summary: 'print the number of peers and leave',
  description: `
${LISTENS},
prints their number and leaves. Exit 0 even when alone.
${INTERRUPTED}`,
  options: { json: { ...jsonOption, help: '{"numPeers":N} instead of N' }, timeout: listenTimeout, interface: interfaceOption },
  run: ({ options: o }, io) =>
    runOneShot({ kind: 'peers', json: o.json, quantum: 4, timeoutMs: ms(o.timeout), interfaces: o.interface }, io),
});

export const tempoCommand = defineCommand({
  name: 'tempo',
  summary: 'set the session tempo',
  description: `
Joins the session, sets its tempo to <bpm> and leaves. With a sign, <bpm> is a change of the
session's tempo: phaselock tempo +1, phaselock tempo -2.5 (the result is clamped to
${BPM_RANGE[0]}..${BPM_RANGE[1]} bpm, with a note on stderr).
${NEEDS_SESSION}`,
  positionals: [{
    name: 'bpm', type: 'string', range: BPM_RANGE, unit: 'bpm',
    check: tempoArgProblem,
    help: `the new tempo; with a sign (+N, -N) a change of the session's tempo, at most ${MAX_TEMPO_CHANGE} either way`,
  }],
  options: { timeout: joinTimeout, interface: interfaceOption },
  run: ({ options: o, args }, io) =>
    runOneShot({ kind: 'tempo', change: tempoChange(args.bpm), json: false, quantum: 4, timeoutMs: ms(o.timeout), interfaces: o.interface }, io),
});

export const playCommand = defineCommand({
  name: 'play',
  summary: 'start the transport (start/stop sync)',
  description: `
Joins the session and starts its transport (peers with start/stop sync follow).
${NEEDS_SESSION}`,
  options: {
    quantized: { type: 'boolean', help: 'start on the next bar (beat 0 at the next multiple of --quantum)' },
    quantum: quantumOption,
    timeout: joinTimeout,
    interface: interfaceOption,
  },
  run: ({ options: o }, io) =>
    runOneShot({ kind: 'play', quantized: o.quantized, json: false, quantum: o.quantum, timeoutMs: ms(o.timeout), interfaces: o.interface }, io),
});

export const stopCommand = defineCommand({
  name: 'stop',
  summary: 'stop the transport (start/stop sync)',
  description: `
Joins the session and stops its transport (peers with start/stop sync follow).
${NEEDS_SESSION}`,
  options: { timeout: joinTimeout, interface: interfaceOption },
  run: ({ options: o }, io) =>
    runOneShot({ kind: 'stop', json: false, quantum: 4, timeoutMs: ms(o.timeout), interfaces: o.interface }, io),
});
