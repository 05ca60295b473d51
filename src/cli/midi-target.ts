/**
 * Output targets for the `clock` and `seq` commands (L2): `--to` specs, and a recording output
 * that writes timestamped bytes to a file as JSON lines.
 *
 * - `record:<file>` — one `{"t":<host µs>,"bytes":[…]}` line per message (timestamped, ahead).
 *   The file is opened before anything else happens, so a bad path fails at once with a clear
 *   message; a write error later (disk full, EIO) ends the command through `failure`.
 * - `console` — one readable line per message on stdout (clock ticks hidden unless asked).
 * - `<port name or index>` (or `native:<…>`) — a native port via `@julusian/midi`, opened in the
 *   timing thread (precise path), or on the main thread with `mainThread: true`.
 * - `virtual:<name>` — a virtual output port other applications connect to (ALSA, CoreMIDI).
 * @module
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { FormattingOutput, recordedToJson, type MidiOutput } from '../midi/output.ts';
import { HeldOutput } from '../sched/held-output.ts';
import { hostPortProblem, parseHostPort } from './commands/rtpmidi.ts';
import type { PreciseTimers } from '../sched/precise-timers.ts';
import { hrClock, nodeTimers } from '../node/link/node-runtime.ts';
import { openNativeMidiOutput } from '../node/midi/native-midi.ts';
import { openPreciseOutput, type PreciseTarget } from '../node/timing/precise-output.ts';
import { nodePreciseTimers } from '../node/timing/precise-timers.ts';

/** Why a file cannot be written, in words (the errno codes a user meets). Pure. */
export function fileProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT': return 'no such directory';
    case 'ENOTDIR': return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EROFS': return 'read-only file system';
    case 'EIO': return 'input/output error';
    default: return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Writes `{"t":…,"bytes":[…]}` JSON lines, each when its message is due (a `HeldOutput`: what is
 * not written yet can be withdrawn, so the file never has a note-on after its note-off).
 * {@link JsonLinesFileOutput.open} opens the file first and rejects when it cannot; the
 * constructor opens it in the background. Either way a write error (the open's too) never
 * throws: it aborts `failure` (with an Error saying `cannot write FILE: …` as the reason) and
 * later writes are dropped.
 */
export class JsonLinesFileOutput extends HeldOutput {
  count = 0;
  private readonly failed = new AbortController();
  private readonly stream: WriteStream;

  constructor(readonly path: string, stream?: WriteStream) {
    super((data, timeMicros) => this.write(data, timeMicros), hrClock, nodeTimers);
    this.stream = stream ?? createWriteStream(path, { flags: 'w' });
    this.stream.on('error', (err) => this.fail(err));
  }

  /** Creates (or truncates) `path`; rejects with `cannot write PATH: <why>` when it cannot. */
  static async open(path: string): Promise<JsonLinesFileOutput> {
    let handle;
    try {
      handle = await open(path, 'w');
    } catch (err) {
      throw new Error(`cannot write ${path}: ${fileProblem(err)}`, { cause: err });
    }
    return new JsonLinesFileOutput(path, handle.createWriteStream());
  }

  /** Aborted once a write fails; `reason` is the Error. */
  get failure(): AbortSignal {
    return this.failed.signal;
  }

  /** Writes what is still due, then closes the file. Never rejects: a failure goes to `failure`. */
  async close(): Promise<void> {
    await this.drain();
    if (this.failed.signal.aborted || this.stream.destroyed) return;
    await new Promise<void>((resolve) => this.stream.end((err?: Error | null) => {
      if (err) this.fail(err);
      resolve();
    }));
  }

  private fail(err: unknown): void {
    if (!this.failed.signal.aborted) this.failed.abort(new Error(`cannot write ${this.path}: ${fileProblem(err)}`, { cause: err }));
  }

  private write(data: Uint8Array, timeMicros: number): void {
    if (this.failed.signal.aborted || this.stream.destroyed) return;
    this.count++;
    this.stream.write(recordedToJson({ timeMicros, data }) + '\n');
  }
}

export interface OpenedTarget {
  output: MidiOutput;
  /** For outputs that must be called at the instant on the main thread. */
  preciseTimers?: PreciseTimers;
  /** What it is, for a status line. */
  description: string;
  /** Aborted when the output fails for good while playing (a write error); `reason` is the Error. */
  failure?: AbortSignal;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Call a native port from the main thread (Atomics.wait + spin) instead of the timing thread. */
  mainThread?: boolean;
  /** For `console`: print clock ticks too. */
  showClock?: boolean;
  write?: (line: string) => void;
  /** Gives up an output that takes long to open (an RTP-MIDI invitation): the open rejects. */
  signal?: AbortSignal;
}

/** What a `--to` spec names. Pure. */
export type TargetSpec =
  | { kind: 'record'; path: string }
  | { kind: 'console' }
  | { kind: 'port'; port: string | number }
  | { kind: 'virtual'; name: string }
  /** `rtpmidi`: accept sessions on 5004; `rtpmidi:HOST:PORT`: invite that peer. */
  | { kind: 'rtpmidi'; peer?: { host: string; port: number } };

/**
 * Reads a `--to` spec: `record:FILE`, `console`, `virtual:NAME`, `native:NAME`, a port index or
 * name. Throws RangeError for a prefix without a name. Pure.
 * @example parseTargetSpec('virtual:phaselock') // { kind: 'virtual', name: 'phaselock' }
 */
export function parseTargetSpec(spec: string): TargetSpec {
  const named = (prefix: string) => {
    const rest = spec.slice(prefix.length);
    if (!rest) throw new RangeError(`--to ${prefix}<name> needs a name after '${prefix}'`);
    return rest;
  };
  if (spec.startsWith('record:')) return { kind: 'record', path: named('record:') };
  if (spec === 'console') return { kind: 'console' };
  if (spec === 'rtpmidi') return { kind: 'rtpmidi' };
  if (spec.startsWith('rtpmidi:')) {
    const peer = named('rtpmidi:');
    const problem = hostPortProblem(peer);
    if (problem) throw new RangeError(`--to rtpmidi:HOST:PORT: ${problem}`);
    return { kind: 'rtpmidi', peer: parseHostPort(peer) };
  }
  if (spec.startsWith('virtual:')) return { kind: 'virtual', name: named('virtual:') };
  const name = spec.startsWith('native:') ? named('native:') : spec;
  return { kind: 'port', port: /^\d+$/.test(name) ? Number(name) : name };
}

/** native-midi as the timing thread imports it (a virtual port opened inside the thread). */
const NATIVE_MIDI_MODULE = new URL(`../node/midi/native-midi${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;

/** Opens the output named by a `--to` spec. Rejects with E_UNAVAILABLE for native ports that cannot be opened. */
export async function openTarget(spec: string, options: TargetOptions = {}): Promise<OpenedTarget> {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const target = parseTargetSpec(spec);
  switch (target.kind) {
    case 'record': {
      const out = await JsonLinesFileOutput.open(target.path);
      return { output: out, description: `recording to ${target.path}`, failure: out.failure, close: () => out.close() };
    }
    case 'rtpmidi': {
      const { openRtpMidiTarget } = await import('./rtpmidi-target.ts');
      return openRtpMidiTarget(target.peer, { write, signal: options.signal });
    }
    case 'console': {
      const out = new FormattingOutput({ write, clock: hrClock, timers: nodeTimers, hideClock: !options.showClock, originMicros: hrClock.micros() });
      return { output: out, description: 'console', close: async () => {} };
    }
    case 'port':
    case 'virtual': {
      const virtual = target.kind === 'virtual';
      const port = target.kind === 'virtual' ? target.name : target.port;
      const what = virtual ? `virtual MIDI port ${JSON.stringify(port)}` : `MIDI port ${String(port)}`;
      if (options.mainThread) {
        const out = await openNativeMidiOutput(port, { virtual });
        return { output: out, preciseTimers: nodePreciseTimers(), description: `${virtual ? what : `MIDI port ${out.name}`} (main thread)`, close: async () => out.close() };
      }
      const precise: PreciseTarget = virtual
        ? { kind: 'module', specifier: NATIVE_MIDI_MODULE, exportName: 'openVirtualMidiOutput', options: { name: port } }
        : { kind: 'native', port };
      const out = await openPreciseOutput(precise);
      const priority = out.priority.kind === 'realtime' ? 'real-time' : out.priority.kind === 'nice' ? 'raised priority' : `normal priority: ${out.priority.detail}`;
      return { output: out, description: `${what} (timing thread, ${priority})`, close: () => out.close() };
    }
  }
}
