/**
 * What the `rtpmidi` commands do at run time (composition root, L3): an `RtpMidiEndpoint` on the
 * Node runtime, Bonjour through the optional `bonjour-service`, lines on stdout.
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { RtpMidiEndpoint } from '../rtpmidi/endpoint.ts';
import type { JournalMode } from '../rtpmidi/journal/index.ts';
import type { RtpMidiSession } from '../rtpmidi/session.ts';
import { nodeRuntime } from '../node/link/node-runtime.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { runUntil } from './midi-session.ts';

const hex = (data: Uint8Array): string => Array.from(data, (b) => b.toString(16).padStart(2, '0')).join(' ');

/** An IPv4 address for `host` (itself when it is one; else the resolver's first IPv4 answer). */
export async function resolveIPv4(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (e) {
    throw new Error(`cannot resolve ${host} to an IPv4 address: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Settles like `work`, or rejects once `signal` aborts (at once if it has), whichever comes
 * first; leaves no listener behind.
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error(`interrupted (${String(signal.reason)})`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`interrupted (${String(signal.reason)})`));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface ListConfig { timeoutSeconds: number; json: boolean }

/** `phaselock rtpmidi list`. */
export async function runRtpmidiList(cfg: ListConfig, io: CommandIo): Promise<number> {
  let found;
  try {
    const { browseRtpMidi } = await import('../node/rtpmidi/mdns.ts');
    found = await browseRtpMidi({ timeoutMicros: cfg.timeoutSeconds * 1e6, signal: io.signal });
  } catch (e) {
    io.err(`phaselock rtpmidi list: ${(e as Error).message}`);
    return 1;
  }
  if (cfg.json) io.out(JSON.stringify(found));
  else if (found.length === 0) io.out(`no RTP-MIDI session announced within ${cfg.timeoutSeconds} s`);
  else for (const s of found) io.out(`${s.name}\t${s.address}:${s.port}${s.host ? `\t(${s.host})` : ''}`);
  return 0;
}

/**
 * Announces an RTP-MIDI session on Bonjour; says so on stderr (and returns undefined) when it
 * cannot: the session works without it, peers can still connect by address.
 */
export async function announce(name: string, port: number, command: string, io: CommandIo): Promise<{ stop(): Promise<void> } | undefined> {
  try {
    const { advertiseRtpMidi } = await import('../node/rtpmidi/mdns.ts');
    return await advertiseRtpMidi({ name, port });
  } catch (e) {
    io.err(`phaselock ${command}: not announced on Bonjour: ${(e as Error).message}`);
    return undefined;
  }
}

export interface ListenConfig {
  port: number; name: string; address: string; print: boolean; journal: JournalMode; advertise: boolean;
  durationSeconds: number | undefined;
}

function describe(s: RtpMidiSession): string {
  return `${JSON.stringify(s.remoteName)} (ssrc ${s.remoteSsrc.toString(16).padStart(8, '0')})`;
}

/** `phaselock rtpmidi listen`. */
export async function runRtpmidiListen(cfg: ListenConfig, io: CommandIo): Promise<number> {
  const endpoint = new RtpMidiEndpoint(nodeRuntime(), { name: cfg.name, port: cfg.port, address: cfg.address, journal: cfg.journal });
  endpoint.on('warning', (w) => io.err(`phaselock rtpmidi: warning: ${w.message}`));
  try {
    await endpoint.open();
  } catch (e) {
    io.err(`phaselock rtpmidi listen: cannot open ports ${cfg.port}/${cfg.port + 1}: ${(e as Error).message}`);
    return 1;
  }
  endpoint.on('session', (s) => {
    io.err(`session with ${describe(s)}`);
    if (cfg.print) s.on('message', (m) => io.out(`${m.timeMicros} ${hex(m.data)}`));
    s.on('close', (reason) => io.err(`session with ${describe(s)} ended: ${reason}`));
  });
  const advert = cfg.advertise ? await announce(cfg.name, endpoint.port, 'rtpmidi listen', io) : undefined;
  io.err(`listening as ${JSON.stringify(cfg.name)} on ${cfg.address}:${endpoint.port} (data ${endpoint.port + 1})${advert ? ', announced on Bonjour' : ''}`);
  try {
    await runUntil(cfg.durationSeconds, io.signal);
  } finally {
    await advert?.stop().catch(() => undefined);
    await endpoint.close(); // BY to every session
  }
  return 0;
}

export interface SendConfig {
  host: string; port: number; messages: readonly Uint8Array[]; name: string; localPort: number; timeoutSeconds: number; journal: JournalMode;
}

/** `phaselock rtpmidi send` (the messages were checked by the command). */
export async function runRtpmidiSend(cfg: SendConfig, io: CommandIo): Promise<number> {
  const endpoint = new RtpMidiEndpoint(nodeRuntime(), { name: cfg.name, port: cfg.localPort, address: '0.0.0.0', journal: cfg.journal, reinvite: false });
  endpoint.on('warning', (w) => io.err(`phaselock rtpmidi: warning: ${w.message}`));
  const deadline = Date.now() + cfg.timeoutSeconds * 1000;
  try {
    const address = await unlessAborted(resolveIPv4(cfg.host), io.signal);
    await endpoint.open();
    const session = await unlessAborted(endpoint.invite(address, cfg.port, { timeoutMicros: cfg.timeoutSeconds * 1e6 }), io.signal);
    // The clock sync maps our timestamps to the peer's clock; without it (a peer that does not
    // answer CK within what is left of --timeout) the messages still go, stamped "now".
    await unlessAborted(session.whenSynced(Math.max(1, deadline - Date.now()) * 1000), io.signal);
    if (session.state !== 'open') throw new Error(`the session with ${describe(session)} ended before the messages went out`);
    for (const m of cfg.messages) session.send(m);
    await unlessAborted(session.output.drain(), io.signal);
    io.out(`sent ${cfg.messages.length} message(s) to ${describe(session)} at ${cfg.host}:${cfg.port}`);
    return 0;
  } catch (e) {
    io.err(`phaselock rtpmidi send: ${(e as Error).message}${io.signal.aborted ? ' before the messages were sent' : ''}`);
    return 1;
  } finally {
    await endpoint.close(); // BY
  }
}
