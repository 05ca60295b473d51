/**
 * Native MIDI output ports (L2) on `@julusian/midi` (RtMidi), an optional dependency loaded
 * lazily on first use. Errors are `PhaselockError`s with code E_UNAVAILABLE and say what is
 * missing: the package (not installed, or its native build failed), the OS MIDI subsystem
 * (on Linux the ALSA sequencer, /dev/snd/seq — absent in containers: looked at before RtMidi
 * starts, which would print ALSA's own complaints to stderr), or the port.
 *
 * `NativeMidiOutput` must be called at the instant (`acceptsFutureTimestamps: false`): either
 * give the scheduler `nodePreciseTimers()` (main thread), or open the port inside the timing
 * thread with `openPreciseOutput({ kind: 'native', port })`, the precise path.
 * @module
 */
import { accessSync, constants } from 'node:fs';
import { PhaselockError } from '../../core/errors.ts';
import type { InstantOutput } from '../../midi/output.ts';

/** The part of @julusian/midi's Output used here. */
interface RtOutput {
  getPortCount(): number;
  getPortName(i: number): string;
  openPort(i: number): void;
  openVirtualPort(name: string): void;
  sendMessage(message: number[]): void;
  closePort(): void;
  destroy?(): void;
}

/** The part of @julusian/midi's Input used here (src/node/midi/native-midi-input.ts). */
export interface RtInput {
  getPortCount(): number;
  getPortName(i: number): string;
  openPort(i: number): void;
  openVirtualPort(name: string): void;
  /** RtMidi drops sysex, timing (F8 clock!) and active sensing unless told otherwise. */
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void;
  on(event: 'message', fn: (deltaTime: number, message: number[]) => void): unknown;
  closePort(): void;
  destroy?(): void;
}

export interface RtMidiModule {
  Output: new () => RtOutput;
  /** Absent in a build without input support. */
  Input?: new () => RtInput;
}

const PACKAGE = '@julusian/midi';
let loaded: Promise<RtMidiModule> | undefined;

/** Loads the optional native module once. Rejects with E_UNAVAILABLE when it is not installed or did not build. */
export function loadNativeMidi(): Promise<RtMidiModule> {
  loaded ??= import(PACKAGE).then(
    (m: { Output?: unknown; Input?: unknown; default?: { Output?: unknown; Input?: unknown } }) => {
      const Output = (m.Output ?? m.default?.Output) as RtMidiModule['Output'] | undefined;
      const Input = (m.Input ?? m.default?.Input) as RtMidiModule['Input'];
      if (typeof Output !== 'function') throw new PhaselockError('E_UNAVAILABLE', `${PACKAGE} loaded but has no Output class`);
      return typeof Input === 'function' ? { Output, Input } : { Output };
    },
    (err: unknown) => {
      loaded = undefined;
      throw new PhaselockError(
        'E_UNAVAILABLE',
        `native MIDI needs the optional dependency ${PACKAGE}, which is not installed or failed to build (npm install ${PACKAGE}): ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    },
  );
  return loaded;
}

/** The ALSA sequencer device RtMidi opens on Linux. */
export const ALSA_SEQUENCER = '/dev/snd/seq';

/**
 * Why there is no MIDI subsystem to talk to, or undefined when there may be one: on Linux,
 * ALSA's sequencer device must exist and be readable and writable. Other platforms: undefined.
 */
export function midiSubsystemProblem(platform: NodeJS.Platform = process.platform, device = ALSA_SEQUENCER): string | undefined {
  if (platform !== 'linux') return undefined;
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${device} does not exist; load the snd-seq kernel module, containers usually have none`
      : code === 'EACCES' || code === 'EPERM' ? `${device}: permission denied; join the 'audio' group`
        : `${device}: ${(err as Error).message}`;
    return `ALSA sequencer not available: ${why}`;
  }
}

function newOutput(mod: RtMidiModule): RtOutput {
  const problem = midiSubsystemProblem();
  if (problem) throw new PhaselockError('E_UNAVAILABLE', `no MIDI subsystem (${problem})`);
  try {
    return new mod.Output();
  } catch (err) {
    throw new PhaselockError(
      'E_UNAVAILABLE',
      `no MIDI subsystem (RtMidi could not start: ${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
}

/** Names of the native MIDI output ports, by index. */
export async function listNativeMidiOutputs(): Promise<string[]> {
  const out = newOutput(await loadNativeMidi());
  try {
    const names: string[] = [];
    for (let i = 0; i < out.getPortCount(); i++) names.push(out.getPortName(i));
    return names;
  } finally {
    out.destroy?.();
  }
}

export class NativeMidiOutput implements InstantOutput {
  readonly acceptsFutureTimestamps = false;
  private closed = false;

  constructor(
    private readonly port: RtOutput,
    readonly name: string,
  ) {}

  /** Sends at once (`timeMicros` is informational: call this at the instant); dropped once closed. */
  send(data: Uint8Array, _timeMicros: number): void {
    if (this.closed) return;
    this.port.sendMessage(Array.from(data));
  }

  /** Closes the port (messages sent before have gone out: sends are synchronous). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.closePort();
    this.port.destroy?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * The port `port` names on `ports` (an RtMidi Input or Output): by index, or by name — exact,
 * else the first name containing it, case aside. Throws E_UNAVAILABLE with the list of ports.
 */
export function pickPort(
  ports: { getPortCount(): number; getPortName(i: number): string },
  port: string | number,
  kind: 'input' | 'output',
): { index: number; name: string } {
  const names: string[] = [];
  for (let i = 0; i < ports.getPortCount(); i++) names.push(ports.getPortName(i));
  let index: number;
  if (typeof port === 'number') index = port;
  else {
    index = names.indexOf(port);
    if (index < 0) index = names.findIndex((n) => n.toLowerCase().includes(port.toLowerCase()));
  }
  if (!Number.isInteger(index) || index < 0 || index >= names.length) {
    throw new PhaselockError('E_UNAVAILABLE', `no MIDI ${kind} port ${JSON.stringify(port)}; available: ${names.length ? names.map((n, i) => `${i}: ${n}`).join(', ') : 'none'}`);
  }
  return { index, name: names[index] as string };
}

/**
 * Opens a native output port by index or by name (exact, else the first name containing it);
 * `{ virtual: true }` creates a virtual port with that name instead (macOS, Linux ALSA).
 * @example
 * const out = await openNativeMidiOutput('IAC Driver Bus 1');
 */
export async function openNativeMidiOutput(port: string | number, options: { virtual?: boolean } = {}): Promise<NativeMidiOutput> {
  if (options.virtual && process.platform === 'win32') {
    throw new PhaselockError('E_UNAVAILABLE', 'Windows MIDI has no virtual ports: create one with a loopback driver (loopMIDI) and name it instead');
  }
  const out = newOutput(await loadNativeMidi());
  try {
    if (options.virtual) {
      const name = String(port);
      out.openVirtualPort(name);
      return new NativeMidiOutput(out, name);
    }
    const { index, name } = pickPort(out, port, 'output');
    out.openPort(index);
    return new NativeMidiOutput(out, name);
  } catch (err) {
    out.destroy?.();
    throw err;
  }
}

/**
 * `openNativeMidiOutput(name, { virtual: true })` as a factory of the timing thread's `module`
 * target: `openPreciseOutput({ kind: 'module', specifier: <this module>, exportName:
 * 'openVirtualMidiOutput', options: { name } })` opens the virtual port inside the thread.
 */
export function openVirtualMidiOutput(options: { name: string }): Promise<NativeMidiOutput> {
  return openNativeMidiOutput(options.name, { virtual: true });
}
