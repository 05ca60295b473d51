/**
 * Native MIDI input ports (L2) on `@julusian/midi` (RtMidi), the input side of the optional
 * dependency — a `MidiInput` like an RTP-MIDI session, so the clock follower and the show read a
 * MIDI cable or a USB interface the same way. RtMidi hands over whole messages without
 * timestamps we could trust across ports, so each event's time is its arrival on the runtime's
 * clock (`timeMicros` = `receivedAtMicros`). Timing messages (F8 clock, FA/FB/FC) and sysex are
 * switched on (RtMidi ignores them by default); active sensing stays off.
 *
 * Errors are `PhaselockError`s with code E_UNAVAILABLE that say what is missing: the package,
 * the OS MIDI subsystem (on Linux the ALSA sequencer, looked at before RtMidi starts), or the
 * port (with the list of those there are).
 * @module
 */
import { Emitter } from '../../core/emitter.ts';
import { PhaselockError } from '../../core/errors.ts';
import type { Clock } from '../../core/runtime.ts';
import { WarningLimiter } from '../../core/warning-limiter.ts';
import type { MidiInput, MidiInputEvent } from '../../midi/input.ts';
import { MidiParser } from '../../midi/parser.ts';
import { loadNativeMidi, midiSubsystemProblem, pickPort, type RtInput, type RtMidiModule } from './native-midi.ts';

export interface NativeMidiInputEvents {
  message: [MidiInputEvent];
  /** Bytes that did not make a message (RtMidi passes what the port sent), a listener that threw. */
  warning: [PhaselockError];
}

/** A native MIDI input port. `close()` closes the port; no event comes after it. */
export class NativeMidiInput extends Emitter<NativeMidiInputEvents> implements MidiInput {
  private readonly parser: MidiParser;
  private readonly limiter = new WarningLimiter(5);
  private open = true;

  /** @internal Use `openNativeMidiInput`. */
  constructor(private readonly port: RtInput, readonly name: string, private readonly clock: Clock) {
    super();
    this.parser = new MidiParser({ onWarning: (w) => this.warn(`port ${JSON.stringify(name)}: ${w.message}`) });
    port.on('message', (_deltaSeconds, bytes) => this.receive(bytes));
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return !this.open;
  }

  /** What RtMidi delivered: checked (it is what a device sent), parsed, emitted. Never throws. */
  private receive(bytes: unknown): void {
    if (!this.open) return;
    const now = this.clock.micros();
    if (!Array.isArray(bytes) || bytes.length === 0 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
      this.warn(`port ${JSON.stringify(this.name)}: not a MIDI message from RtMidi: ${String(bytes).slice(0, 60)}`);
      return;
    }
    for (const m of this.parser.push(Uint8Array.from(bytes as number[]))) {
      this.emit('message', { data: m.data, timeMicros: now, receivedAtMicros: now });
    }
  }

  private warn(message: string): void {
    const text = this.limiter.admit(message, this.clock.micros());
    if (text !== undefined) this.emit('warning', new PhaselockError('E_PROTOCOL', text));
  }

  protected override onListenerError(err: unknown): void {
    this.warn(`a message listener threw: ${err instanceof Error ? err.message : String(err)}`);
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      this.port.closePort();
      this.port.destroy?.();
    } catch {
      // the port is gone either way
    }
  }
}

export interface NativeInputOptions {
  /** Create a virtual input port named `port` instead of opening one. */
  virtual?: boolean;
  /** @internal Tests: the RtMidi module. */
  load?: () => Promise<RtMidiModule>;
  /** @internal Tests: why there is no MIDI subsystem (default: the ALSA sequencer check). */
  subsystemProblem?: () => string | undefined;
}

function newInput(mod: RtMidiModule, subsystemProblem: () => string | undefined): RtInput {
  const problem = subsystemProblem();
  if (problem) throw new PhaselockError('E_UNAVAILABLE', `no MIDI subsystem (${problem})`);
  if (!mod.Input) throw new PhaselockError('E_UNAVAILABLE', '@julusian/midi has no Input class');
  try {
    return new mod.Input();
  } catch (err) {
    throw new PhaselockError('E_UNAVAILABLE', `no MIDI subsystem (RtMidi could not start: ${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

/** Names of the native MIDI input ports, by index. */
export async function listNativeMidiInputs(): Promise<string[]> {
  const input = newInput(await loadNativeMidi(), midiSubsystemProblem);
  try {
    const names: string[] = [];
    for (let i = 0; i < input.getPortCount(); i++) names.push(input.getPortName(i));
    return names;
  } finally {
    input.destroy?.();
  }
}

/**
 * Opens a native input port by index or by name (exact, else the first name containing it, case
 * aside); `{ virtual: true }` creates a virtual input port with that name (macOS, Linux ALSA).
 * @example
 * const input = await openNativeMidiInput('IAC Driver Bus 1', runtime.clock);
 * follower.attach(input);
 */
export async function openNativeMidiInput(
  port: string | number,
  clock: Clock,
  options: NativeInputOptions = {},
): Promise<NativeMidiInput> {
  if (options.virtual && process.platform === 'win32') {
    throw new PhaselockError('E_UNAVAILABLE', 'Windows MIDI has no virtual ports: create one with a loopback driver (loopMIDI) and name it instead');
  }
  const input = newInput(await (options.load ?? loadNativeMidi)(), options.subsystemProblem ?? midiSubsystemProblem);
  try {
    input.ignoreTypes(false, false, true);
    if (options.virtual) {
      input.openVirtualPort(String(port));
      return new NativeMidiInput(input, String(port), clock);
    }
    const { index, name } = pickPort(input, port, 'input');
    input.openPort(index);
    return new NativeMidiInput(input, name, clock);
  } catch (err) {
    input.destroy?.();
    throw err;
  }
}
