/**
 * The RTP-MIDI family (network MIDI, AppleMIDI sessions): `rtpmidi list` (browse Bonjour),
 * `rtpmidi listen` (accept sessions, print what arrives) and `rtpmidi send` (invite a peer and
 * send it messages). `clock` and `seq` reach RTP-MIDI through `--to rtpmidi[:HOST:PORT]`.
 * @module
 */
import { MidiParser } from '../../midi/parser.ts';
import { defineCommand, type StringOption } from '../spec/command-spec.ts';
import { jsonOption } from '../spec/common-options.ts';
import { usageLine } from '../spec/help.ts';
import { UsageError } from '../spec/parse.ts';

export const RTPMIDI_DEFAULT_PORT = 5004;

const journalOption = {
  type: 'string', value: 'MODE', default: 'full',
  help: 'recovery journal: full, one-channel (for peers that mis-read multi-channel journals, e.g. rtpmidid) or off',
  check: (v: string) => (['full', 'one-channel', 'off'].includes(v) ? undefined : `must be full, one-channel or off; got '${v}'`),
} as const satisfies StringOption;

const nameOption = { type: 'string', value: 'NAME', default: 'phaselock', help: 'the session name peers see' } as const satisfies StringOption;

/**
 * `HOST:PORT` (an IPv4 address or a host name, resolved to IPv4 when used): what is wrong with
 * it, or undefined. IPv6 is refused here: RTP-MIDI sessions run over IPv4. Pure.
 */
export function hostPortProblem(text: string): string | undefined {
  if (text.startsWith('[')) return `<HOST:PORT> must be an IPv4 address or a host name (RTP-MIDI runs over IPv4); got '${text}'`;
  const m = /^([^:\s]+):(\d+)$/.exec(text);
  if (!m) return `<HOST:PORT> must be a host and a port, e.g. 192.168.1.20:5004; got '${text}'`;
  const port = Number(m[2]);
  if (port < 1 || port > 65534) return `<HOST:PORT> needs a control port in [1, 65534] (the data port is the next one); got ${m[2]}`;
  return undefined;
}

/** `HOST:PORT` → parts (checked by `hostPortProblem` first). Pure. */
export function parseHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
}

/**
 * Hex arguments (each one or more bytes: `903c64`, `"90 3c 64"`) → complete MIDI messages, running
 * status allowed. Throws RangeError naming what is not MIDI: stray data bytes, a message cut short
 * by the next status byte or by the end, no message at all. Pure.
 */
export function messagesFromHex(args: readonly string[]): Uint8Array[] {
  const text = args.join(' ').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new RangeError(`<HEX> must be whole bytes in hex, e.g. 903c64; got '${args.join(' ')}'`);
  const bytes = Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
  const problems: string[] = [];
  const parser = new MidiParser({ onWarning: (w) => problems.push(w.message) });
  const messages = parser.push(bytes).map((m) => m.data);
  if (problems.length > 0) throw new RangeError(`not MIDI messages: ${problems[0]}`);
  // A status byte that is a whole message (F6, Tune Request) after the last one: the parser says
  // whether a message (or a sysex without F7) was still open.
  parser.push(Uint8Array.of(0xf6));
  if (problems.length > 0) throw new RangeError(`the last message is incomplete (${args.join(' ')})`);
  if (messages.length === 0) throw new RangeError('no complete MIDI message in the bytes given');
  return messages;
}

export const rtpmidiListCommand = defineCommand({
  name: 'rtpmidi list',
  summary: 'list the RTP-MIDI sessions announced on this network (Bonjour)',
  description: `
Browses Bonjour (mDNS) for _apple-midi._udp for --timeout seconds and prints each session:
name, address and control port (macOS's Audio MIDI Setup, rtpMIDI on Windows, rtpmidid on
Linux, phaselock rtpmidi listen all announce themselves). Exit 1 when Bonjour is unavailable
(the optional dependency bonjour-service is missing).`,
  options: {
    timeout: { type: 'number', range: [0.1, 60], unit: 'seconds', default: 2, help: 'how long to listen for announcements' },
    json: jsonOption,
  },
  async run({ options: o }, io) {
    const { runRtpmidiList } = await import('../rtpmidi-run.ts');
    return runRtpmidiList({ timeoutSeconds: o.timeout, json: o.json }, io);
  },
});

export const rtpmidiListenCommand = defineCommand({
  name: 'rtpmidi listen',
  summary: 'accept RTP-MIDI sessions (and print the MIDI they send)',
  description: `
Opens an RTP-MIDI endpoint on --port (control) and --port + 1 (data), announces it on Bonjour
(unless --no-advertise or Bonjour is unavailable) and accepts every invitation. With --print,
one line per MIDI message received: <timeMicros> <hex bytes>, the time being the sender's
timestamp mapped to this host's clock (CLOCK_MONOTONIC µs). Ends on SIGINT, SIGTERM or SIGHUP
with BY sent to every session (exit 0); exit 1 when the ports cannot be opened.`,
  options: {
    port: { type: 'number', range: [0, 65534], integer: true, default: RTPMIDI_DEFAULT_PORT, help: 'control port (data: the next one); 0 picks a free pair' },
    name: nameOption,
    address: { type: 'string', value: 'ADDR', default: '0.0.0.0', help: 'local address to bind' },
    print: { type: 'boolean', help: 'print every MIDI message received' },
    journal: journalOption,
    noAdvertise: { type: 'boolean', help: 'do not announce the session on Bonjour' },
    duration: { type: 'number', range: [0, 2_000_000], unit: 'seconds', help: 'stop after this long', defaultHelp: 'until Ctrl-C' },
  },
  async run({ options: o }, io) {
    const { runRtpmidiListen } = await import('../rtpmidi-run.ts');
    return runRtpmidiListen({
      port: o.port, name: o.name, address: o.address, print: o.print, journal: o.journal as 'full' | 'one-channel' | 'off',
      advertise: !o.noAdvertise, durationSeconds: o.duration,
    }, io);
  },
});

export const rtpmidiSendCommand = defineCommand({
  name: 'rtpmidi send',
  summary: 'invite an RTP-MIDI session and send it MIDI messages',
  description: `
Invites HOST:PORT (its control port), waits for the clock sync, sends the messages given in
hex (each argument one or more bytes: 903c64 or "90 3c 64"), waits until they are out, says
goodbye (BY) and exits 0 when the peer accepted the session. Exit 1 when the peer rejects the
invitation or does not answer within --timeout; exit 2 for bytes that are not MIDI messages.`,
  positionals: [
    { name: 'peer', value: 'HOST:PORT', type: 'string', help: "the peer's control port", check: hostPortProblem },
    { name: 'bytes', value: 'HEX', type: 'string', variadic: true, help: 'MIDI messages in hex', check: (t: string) => (/^([0-9a-fA-F]{2}\s*)+$/.test(t.trim()) ? undefined : `<HEX> must be whole bytes in hex, e.g. 903c64; got '${t}'`) },
  ],
  options: {
    name: nameOption,
    port: { type: 'number', range: [0, 65534], integer: true, default: 0, help: 'our control port (data: the next one)', defaultHelp: 'a free pair' },
    timeout: { type: 'number', range: [1, 120], unit: 'seconds', default: 15, help: 'how long to wait for the peer (12 invitations, one a second)' },
    journal: journalOption,
  },
  async run({ options: o, args }, io) {
    let messages: Uint8Array[];
    try {
      messages = messagesFromHex(args.bytes);
    } catch (e) {
      throw new UsageError((e as Error).message, usageLine(rtpmidiSendCommand));
    }
    const { runRtpmidiSend } = await import('../rtpmidi-run.ts');
    return runRtpmidiSend({
      ...parseHostPort(args.peer), messages, name: o.name, localPort: o.port, timeoutSeconds: o.timeout,
      journal: o.journal as 'full' | 'one-channel' | 'off',
    }, io);
  },
});
