/**
 * Where incoming MIDI comes from, for the commands that follow a DAW (`follow`, `show`):
 * `--from rtpmidi[:PORT]` (accept RTP-MIDI sessions; each session is an input while it lasts)
 * or `--from midi:PORT` (a native input port by name, part of a name, or index). The parse is
 * pure; `openMidiSource` is the composition root (L3) that opens it on the Node runtime.
 * @module
 */
import type { Runtime } from '../core/runtime.ts';
import type { MidiInput } from '../midi/input.ts';
import { RTPMIDI_DEFAULT_PORT } from './commands/rtpmidi.ts';
import type { CommandIo } from './spec/command-spec.ts';

export type MidiSourceSpec =
  | { kind: 'rtpmidi'; port: number }
  | { kind: 'midi'; port: string | number };

/** What is wrong with a `--from` value, or undefined. Pure. */
export function midiSourceProblem(v: string): string | undefined {
  if (v === 'rtpmidi') return undefined;
  const m = /^rtpmidi:(.*)$/.exec(v);
  if (m) return /^\d+$/.test(m[1]!) && Number(m[1]) >= 1 && Number(m[1]) <= 65534 ? undefined : `rtpmidi:PORT needs a port in [1, 65534]; got '${m[1]}'`;
  if (v.startsWith('midi:')) return v.length > 'midi:'.length ? undefined : 'midi:PORT needs a port name (or part of one, or its index)';
  return `must be rtpmidi, rtpmidi:PORT or midi:PORTNAME; got '${v}'`;
}

/** The source a valid `--from` value names. Pure. */
export function parseMidiSource(v: string): MidiSourceSpec {
  if (v === 'rtpmidi') return { kind: 'rtpmidi', port: RTPMIDI_DEFAULT_PORT };
  if (v.startsWith('rtpmidi:')) return { kind: 'rtpmidi', port: Number(v.slice('rtpmidi:'.length)) };
  const name = v.slice('midi:'.length);
  return { kind: 'midi', port: /^\d+$/.test(name) ? Number(name) : name };
}

export interface MidiSourceOptions {
  runtime: Runtime;
  /** Session name peers see (RTP-MIDI). */
  name: string;
  /** Local address to bind (RTP-MIDI). */
  address: string;
  /** Announce the session on Bonjour (RTP-MIDI). */
  advertise: boolean;
  /** The command, for messages: `phaselock follow`. */
  command: string;
  io: CommandIo;
  /** An input appeared (the native port; an RTP-MIDI session that was accepted). */
  onInput(input: MidiInput): void;
  /** It went away (a session ended). */
  onInputGone(input: MidiInput): void;
}

export interface MidiSource {
  /** One line saying what is listened to, for stderr. */
  readonly description: string;
  /** Closes the port or endpoint (BY to every session) and the Bonjour announcement. */
  close(): Promise<void>;
}

/**
 * Opens the source. Rejects with an `Error` whose message says what went wrong (ports in use,
 * no MIDI subsystem, no such port): the command prints it and exits 1.
 */
export async function openMidiSource(spec: MidiSourceSpec, o: MidiSourceOptions): Promise<MidiSource> {
  if (spec.kind === 'midi') {
    const { openNativeMidiInput } = await import('../node/midi/native-midi-input.ts');
    const input = await openNativeMidiInput(spec.port, o.runtime.clock);
    input.on('warning', (w) => o.io.err(`${o.command}: warning: ${w.message}`));
    try {
      o.onInput(input);
    } catch (e) {
      await input.close();
      throw e;
    }
    return {
      description: `MIDI input port ${JSON.stringify(input.name)}`,
      async close() {
        o.onInputGone(input);
        await input.close();
      },
    };
  }
  const [{ RtpMidiEndpoint }, { announce }] = await Promise.all([import('../rtpmidi/endpoint.ts'), import('./rtpmidi-run.ts')]);
  const endpoint = new RtpMidiEndpoint(o.runtime, { name: o.name, port: spec.port, address: o.address });
  endpoint.on('warning', (w) => o.io.err(`${o.command}: warning: ${w.message}`));
  try {
    await endpoint.open();
  } catch (e) {
    throw new Error(`cannot open ports ${spec.port}/${spec.port + 1}: ${(e as Error).message}`);
  }
  endpoint.on('session', (s) => {
    o.io.err(`session with ${JSON.stringify(s.remoteName)}`);
    o.onInput(s);
    s.on('close', (reason) => {
      o.onInputGone(s);
      o.io.err(`session with ${JSON.stringify(s.remoteName)} ended: ${reason}`);
    });
  });
  const advert = o.advertise ? await announce(o.name, endpoint.port, o.command.replace(/^phaselock /, ''), o.io) : undefined;
  return {
    description: `RTP-MIDI sessions on port ${endpoint.port} as ${JSON.stringify(o.name)}${advert ? ', announced on Bonjour' : ''}`,
    async close() {
      await advert?.stop().catch(() => undefined);
      await endpoint.close();
    },
  };
}
