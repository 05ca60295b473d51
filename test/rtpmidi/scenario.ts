// Helpers for RTP-MIDI scenario tests on VirtualTime + FakeNetwork (src/rtpmidi/*.test.ts).
import { RtpMidiEndpoint, type RtpMidiEndpointOptions } from '../../src/rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../../src/rtpmidi/session.ts';
import type { MidiInputEvent } from '../../src/midi/input.ts';
import { decodeAppleMidi, isAppleMidiCommand, type AppleMidiCommand } from '../../src/rtpmidi/session-codec.ts';
import { decodeRtpMidi, type RtpMidiPacket } from '../../src/rtpmidi/rtp-codec.ts';
import { FakeNetwork, type FakeHost, type FakeHostOptions, type FakeNetworkOptions, type SentDatagram } from '../../src/testing/fake-network.ts';
import { VirtualTime } from '../../src/testing/virtual-time.ts';

/** Lets promise chains run (they do not move with virtual time). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface Peer {
  host: FakeHost;
  ep: RtpMidiEndpoint;
  warnings: string[];
  sessions: RtpMidiSession[];
}

export function rtpWorld(options: FakeNetworkOptions = {}) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt, options);
  const peers: Peer[] = [];
  let hosts = 0;

  /** Advances virtual time by `micros` in steps, letting promises settle after each. */
  const run = async (micros: number, stepMicros = 10_000): Promise<void> => {
    const end = vt.micros() + micros;
    await tick();
    while (vt.micros() < end) {
      vt.advance(Math.min(stepMicros, end - vt.micros()));
      await tick();
    }
  };

  /** Runs until `done()` (checked after each step) or `maxMicros`; returns whether done. */
  const until = async (done: () => boolean, maxMicros: number, stepMicros = 10_000): Promise<boolean> => {
    const end = vt.micros() + maxMicros;
    await tick();
    while (!done()) {
      if (vt.micros() >= end) return false;
      vt.advance(Math.min(stepMicros, end - vt.micros()));
      await tick();
    }
    return true;
  };

  /** Awaits `promise` while virtual time runs (rejects if it has not settled within `maxMicros`). */
  const settle = async <T>(promise: Promise<T>, maxMicros = 60_000_000, stepMicros = 10_000): Promise<T> => {
    let state: 'pending' | 'done' = 'pending';
    promise.then(() => (state = 'done'), () => (state = 'done'));
    await until(() => state === 'done', maxMicros, stepMicros);
    if (state === 'pending') throw new Error(`promise still pending after ${maxMicros} µs`);
    return promise;
  };

  const add = async (name: string, epOptions: Partial<RtpMidiEndpointOptions> = {}, hostOptions: Partial<FakeHostOptions> & { host?: FakeHost } = {}): Promise<Peer> => {
    const host = hostOptions.host ?? net.addHost({ name: `h${++hosts}`, ...hostOptions });
    const ep = new RtpMidiEndpoint(host.runtime, { name, ...epOptions });
    const peer: Peer = { host, ep, warnings: [], sessions: [] };
    ep.on('warning', (e) => peer.warnings.push(e.message));
    ep.on('session', (s) => {
      peer.sessions.push(s);
      s.on('warning', (e) => peer.warnings.push(`[session] ${e.message}`));
    });
    await settle(ep.open());
    peers.push(peer);
    return peer;
  };

  /** Two endpoints, `a` inviting `b` (control port 5004): both sessions. */
  const pair = async (aOptions: Partial<RtpMidiEndpointOptions> = {}, bOptions: Partial<RtpMidiEndpointOptions> = {}, hostA: Partial<FakeHostOptions> = {}, hostB: Partial<FakeHostOptions> = {}) => {
    const a = await add('alice', aOptions, hostA);
    const b = await add('bob', { port: 5004, ...bOptions }, hostB);
    const sa = await settle(a.ep.invite(b.host.address, 5004));
    await until(() => b.sessions.length === 1, 1_000_000);
    const sb = b.sessions[0] as RtpMidiSession;
    return { a, b, sa, sb };
  };

  return { vt, net, peers, run, until, settle, add, pair };
}

/** AppleMIDI commands among the datagrams sent (optionally: from one host, of one kind). */
export function commandsSent(sent: readonly SentDatagram[], filter: { from?: string; kind?: AppleMidiCommand['kind'] } = {}): Array<{ d: SentDatagram; cmd: AppleMidiCommand }> {
  const out: Array<{ d: SentDatagram; cmd: AppleMidiCommand }> = [];
  for (const d of sent) {
    if (filter.from !== undefined && d.from.address !== filter.from) continue;
    if (!isAppleMidiCommand(d.data)) continue;
    const cmd = decodeAppleMidi(d.data);
    if (filter.kind === undefined || cmd.kind === filter.kind) out.push({ d, cmd });
  }
  return out;
}

/** RTP-MIDI packets among the datagrams sent by `from`. */
export function rtpSent(sent: readonly SentDatagram[], from?: string): Array<{ d: SentDatagram; packet: RtpMidiPacket }> {
  const out: Array<{ d: SentDatagram; packet: RtpMidiPacket }> = [];
  for (const d of sent) {
    if (from !== undefined && d.from.address !== from) continue;
    if (isAppleMidiCommand(d.data) || (d.data[0] ?? 0) >> 6 !== 2) continue;
    out.push({ d, packet: decodeRtpMidi(d.data) });
  }
  return out;
}

/** Collects a session's incoming messages. */
export function collect(session: RtpMidiSession): MidiInputEvent[] {
  const events: MidiInputEvent[] = [];
  session.on('message', (e) => events.push(e));
  return events;
}

export const hexOf = (data: Uint8Array): string => [...data].map((b) => b.toString(16).padStart(2, '0')).join(' ');
