/**
 * `phaselock seq song.mid --to <output> [--loop]`: plays a Standard MIDI File on the Link
 * timeline (composition root, L3). The Link tempo drives playback; alone in the session the
 * command sets it from the file's first tempo unless `--bpm` is given. Wired by
 * `src/cli/main.ts` through `runSeqCommand(args)`. Also holds what `phaselock clock` shares with
 * it: option parsing, help and usage errors, opening the output and the Link session.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Link } from '../node/link/link.ts';
import { LinkSequencer } from '../midi/sequencer.ts';
import { parseSmf } from '../midi/smf.ts';
import { openTarget, type OpenedTarget } from './midi-target.ts';

export interface CommandIo {
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
  /** Ends the command like Ctrl-C (default: SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export const commonMidiOptions = `options:
  --to OUTPUT             record:FILE (timestamped bytes as JSON lines), console,
                          or a MIDI port name or index (native:NAME also works)
  --bpm N                 tempo (default: the session's; 120 for a new session)
  --quantum N             beats per bar (default 4)
  --latency MS            send this much earlier (negative: later), default 0
  --duration MS           stop after this long (default: until Ctrl-C)
  --main-thread           call a native port from the main thread (default: a timing thread)
  --show-clock            with --to console, print clock ticks too
  --no-link               stay offline (a session of one)
  --interface NAME|IP     Link on this interface only (repeatable)`;

export const SEQ_HELP = `usage: phaselock seq FILE.mid --to OUTPUT [options]

Plays a Standard MIDI File on the Link timeline: starts on the next bar, follows the session's
start/stop, sends note-offs for sounding notes on stop. The Link tempo replaces the file's
tempo map (alone, the session takes the file's first tempo unless --bpm is given).

${commonMidiOptions}
  --loop                  loop the song (length rounded up to whole bars)
`;

export interface ParsedMidiArgs {
  help: boolean;
  to: string;
  bpm: number | undefined;
  quantum: number;
  latencyMs: number;
  durationMs: number;
  mainThread: boolean;
  showClock: boolean;
  link: boolean;
  interfaces: string[] | undefined;
  joinMs: number;
  flags: Set<string>;
  positional: string[];
}

function num(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n) || n < min || n > max) throw new RangeError(`${name} needs a number in [${min}, ${max}], got ${v ?? 'nothing'}`);
  return n;
}

/** Parses the options shared by `clock` and `seq`, plus `flags` and `positional` arguments. Throws RangeError. */
export function parseMidiArgs(args: readonly string[], spec: { flags: string[]; positional: number }): ParsedMidiArgs {
  const r: ParsedMidiArgs = {
    help: false, to: '', bpm: undefined, quantum: 4, latencyMs: 0, durationMs: Infinity, mainThread: false,
    showClock: false, link: true, interfaces: undefined, joinMs: 600, flags: new Set(), positional: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const next = () => args[++i];
    switch (a) {
      case '-h': case '--help': r.help = true; break;
      case '--to': r.to = next() ?? ''; break;
      case '--bpm': r.bpm = num('--bpm', next(), 20, 999); break;
      case '--quantum': r.quantum = num('--quantum', next(), 1, 64); break;
      case '--latency': r.latencyMs = num('--latency', next(), -1000, 1000); break;
      case '--duration': r.durationMs = num('--duration', next(), 0, Number.MAX_SAFE_INTEGER); break;
      case '--join-ms': r.joinMs = num('--join-ms', next(), 0, 10_000); break;
      case '--main-thread': r.mainThread = true; break;
      case '--show-clock': r.showClock = true; break;
      case '--no-link': r.link = false; break;
      case '--interface': (r.interfaces ??= []).push(next() ?? ''); break;
      default:
        if (spec.flags.includes(a)) r.flags.add(a);
        else if (a.startsWith('-')) throw new RangeError(`unknown option ${a}`);
        else r.positional.push(a);
    }
  }
  if (r.help) return r;
  if (!r.to) throw new RangeError('--to OUTPUT is required');
  if (r.positional.length !== spec.positional) throw new RangeError(spec.positional ? `expected ${spec.positional} file argument` : `unexpected argument ${r.positional[0]}`);
  return r;
}

/** Where a command writes its lines. */
export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `io`'s line callbacks, or stdout and stderr. */
export function commandOutput(io: CommandIo): CommandOutput {
  return {
    out: io.stdout ?? ((line: string) => process.stdout.write(line + '\n')),
    err: io.stderr ?? ((line: string) => process.stderr.write(line + '\n')),
  };
}

/**
 * Parses the arguments of `phaselock <command>` (see `parseMidiArgs`). Returns them, or the exit
 * code once the help (0) or a usage error followed by the help (2) was written.
 */
export function parseCommandArgs(
  command: string,
  help: string,
  args: readonly string[],
  spec: { flags: string[]; positional: number },
  { out, err }: CommandOutput,
): ParsedMidiArgs | number {
  let a: ParsedMidiArgs;
  try {
    a = parseMidiArgs(args, spec);
  } catch (e) {
    err(`phaselock ${command}: ${(e as Error).message}\n${help}`);
    return 2;
  }
  if (!a.help) return a;
  out(help);
  return 0;
}

/**
 * Opens `--to` and a Link peer at `bpm` with start/stop sync (joining the session for
 * `--join-ms` unless `--no-link`), runs `play`, and closes both however it ends. Resolves to
 * `play`'s exit code, or 1 when the output does not open.
 */
export async function withTargetAndLink(
  command: string,
  a: ParsedMidiArgs,
  bpm: number,
  { out, err }: CommandOutput,
  play: (link: Link, target: OpenedTarget) => Promise<number>,
): Promise<number> {
  let target: OpenedTarget;
  try {
    target = await openTarget(a.to, { mainThread: a.mainThread, showClock: a.showClock, write: out });
  } catch (e) {
    err(`phaselock ${command}: ${(e as Error).message}`);
    return 1;
  }
  const link = new Link({ yieldTies: true, bpm, startStopSync: true, ...(a.interfaces ? { interfaces: a.interfaces } : {}) });
  try {
    if (a.link) {
      link.enable();
      await new Promise((r) => setTimeout(r, a.joinMs));
    }
    return await play(link, target);
  } finally {
    await target.close();
    await link.close();
  }
}

/** Waits `ms` or until the signal (default: SIGINT/SIGTERM) or `cancel`; leaves no timer or handler. */
export function runUntil(ms: number, signal?: AbortSignal, cancel?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      cancel?.removeEventListener('abort', done);
      resolve();
    };
    if (Number.isFinite(ms)) timer = setTimeout(done, ms);
    cancel?.addEventListener('abort', done, { once: true });
    if (signal) signal.addEventListener('abort', done, { once: true });
    else {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    }
  });
}

/** `phaselock seq …`: resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function runSeqCommand(args: readonly string[], io: CommandIo = {}): Promise<number> {
  const { out, err } = commandOutput(io);
  const a = parseCommandArgs('seq', SEQ_HELP, args, { flags: ['--loop'], positional: 1 }, { out, err });
  if (typeof a === 'number') return a;
  let song;
  try {
    song = parseSmf(new Uint8Array(await readFile(a.positional[0] as string)));
  } catch (e) {
    err(`phaselock seq: ${(e as Error).message}`);
    return 1;
  }
  return withTargetAndLink('seq', a, a.bpm ?? song.tempoBpm ?? 120, { out, err }, async (link, target) => {
    if (a.bpm !== undefined && link.numPeers === 0) {
      const s = link.captureAppSessionState();
      s.setTempo(a.bpm, link.clock.micros());
      link.commitAppSessionState(s);
    }
    const loop = a.flags.has('--loop');
    const bars = Math.max(1, Math.ceil(song.lengthBeats / a.quantum - 1e-9));
    const seq = new LinkSequencer(link, target.output, {
      quantum: a.quantum,
      latencyMicros: a.latencyMs * 1000,
      ...(loop ? { loop: { lengthBeats: bars * a.quantum } } : {}),
      ...(target.preciseTimers ? { preciseTimers: target.preciseTimers } : {}),
    }).open();
    seq.on('warning', (w) => err(`warning: ${w.message}`));
    seq.loadSmf(song);
    let ended!: () => void;
    const songEnd = new Promise<void>((resolve) => { ended = resolve; });
    seq.on('stop', () => ended());
    const tempo = link.captureAppSessionState().tempo;
    out(`${a.positional[0]}: ${song.events.length} events, ${song.lengthBeats.toFixed(2)} beats${loop ? `, looping every ${bars * a.quantum} beats` : ''}; ` +
      `${tempo.toFixed(2)} bpm, ${link.numPeers} peer(s); to ${target.description}`);
    const t0 = seq.start();
    out(`start in ${((t0 - link.clock.micros()) / 1000).toFixed(1)} ms`);
    if (!loop) seq.stop({ atBeat: song.lengthBeats });
    const songOver = new AbortController();
    void songEnd.then(() => songOver.abort());
    await runUntil(a.durationMs, io.signal, songOver.signal);
    if (seq.playing) seq.stop();
    await seq.close(); // note-offs sent and delivered
    out('stopped');
    return 0;
  });
}
