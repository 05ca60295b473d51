/**
 * Output targets for the `clock` and `seq` commands (L2): `--to` specs, and a recording output
 * that writes timestamped bytes to a file as JSON lines.
 *
 * - `record:<file>` — one `{"t":<host µs>,"bytes":[…]}` line per message (timestamped, ahead).
 * - `console` — one readable line per message on stdout (clock ticks hidden unless asked).
 * - `<port name or index>` (or `native:<…>`) — a native port via `@julusian/midi`, opened in the
 *   timing thread (precise path), or on the main thread with `mainThread: true`.
 * @module
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { FormattingOutput, recordedToJson, type MidiOutput } from '../midi/output.ts';
import { HeldOutput } from '../sched/held-output.ts';
import type { PreciseTimers } from '../sched/precise-timers.ts';
import { hrClock, nodeTimers } from '../node/link/node-runtime.ts';
import { openNativeMidiOutput } from '../node/midi/native-midi.ts';
import { openPreciseOutput } from '../node/timing/precise-output.ts';
import { nodePreciseTimers } from '../node/timing/precise-timers.ts';

/**
 * Writes `{"t":…,"bytes":[…]}` JSON lines, each when its message is due (a `HeldOutput`: what is
 * not written yet can be withdrawn, so the file never has a note-on after its note-off).
 */
export class JsonLinesFileOutput extends HeldOutput {
  private readonly stream: WriteStream;
  count = 0;

  constructor(readonly path: string) {
    super((data, timeMicros) => this.write(data, timeMicros), hrClock, nodeTimers);
    this.stream = createWriteStream(path, { flags: 'w' });
  }

  async close(): Promise<void> {
    await this.drain();
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  private write(data: Uint8Array, timeMicros: number): void {
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
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Call a native port from the main thread (Atomics.wait + spin) instead of the timing thread. */
  mainThread?: boolean;
  /** For `console`: print clock ticks too. */
  showClock?: boolean;
  write?: (line: string) => void;
}

/** Opens the output named by a `--to` spec. Rejects with E_UNAVAILABLE for native ports that cannot be opened. */
export async function openTarget(spec: string, options: TargetOptions = {}): Promise<OpenedTarget> {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  if (spec.startsWith('record:')) {
    const path = spec.slice('record:'.length);
    if (!path) throw new RangeError("--to record:<file> needs a file name");
    const out = new JsonLinesFileOutput(path);
    return { output: out, description: `recording to ${path}`, close: () => out.close() };
  }
  if (spec === 'console') {
    const out = new FormattingOutput({ write, clock: hrClock, timers: nodeTimers, hideClock: !options.showClock, originMicros: hrClock.micros() });
    return { output: out, description: 'console', close: async () => {} };
  }
  const name = spec.startsWith('native:') ? spec.slice('native:'.length) : spec;
  const port: string | number = /^\d+$/.test(name) ? Number(name) : name;
  if (options.mainThread) {
    const out = await openNativeMidiOutput(port);
    return { output: out, preciseTimers: nodePreciseTimers(), description: `MIDI port ${out.name} (main thread)`, close: async () => out.close() };
  }
  const out = await openPreciseOutput({ kind: 'native', port });
  const priority = out.priority.kind === 'realtime' ? 'real-time' : out.priority.kind === 'nice' ? 'raised priority' : `normal priority: ${out.priority.detail}`;
  return { output: out, description: `MIDI port ${String(port)} (timing thread, ${priority})`, close: () => out.close() };
}
