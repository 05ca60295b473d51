/**
 * Two phaselock RTP-MIDI endpoints on 127.0.0.1 over real UDP (the Node runtime): invitation in
 * both roles, rejection, the clock estimate, 10 000 messages in order, a 64 KiB sysex, BY, and
 * re-invitation after the responder restarts. Plain unicast on loopback: no namespace needed.
 * Waits are on events with generous limits; nothing asserts a tight wall-clock bound.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Network, Runtime, UdpSocket } from '../../src/core/runtime.ts';
import { nodeRuntime } from '../../src/node/link/node-runtime.ts';
import { RtpMidiEndpoint, type RtpMidiEndpointOptions } from '../../src/rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../../src/rtpmidi/session.ts';
import type { MidiInputEvent } from '../../src/midi/input.ts';

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `done()` holds (polled), rejects after `ms`. */
async function waitFor(done: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The Node runtime, with a way to kill its sockets as a crash would (no BY gets out). */
function crashableRuntime(): { runtime: Runtime; crash(): void } {
  const base = nodeRuntime();
  const sockets: UdpSocket[] = [];
  const network: Network = {
    openUdp: (o) => {
      const s = base.network.openUdp(o);
      sockets.push(s);
      return s;
    },
    interfaces: () => base.network.interfaces(),
  };
  return { runtime: { ...base, network }, crash: () => sockets.forEach((s) => void s.close()) };
}

const open: RtpMidiEndpoint[] = [];
async function endpoint(name: string, options: Partial<RtpMidiEndpointOptions> = {}, runtime: Runtime = nodeRuntime()): Promise<{ ep: RtpMidiEndpoint; warnings: string[]; sessions: RtpMidiSession[] }> {
  const ep = new RtpMidiEndpoint(runtime, { name, address: HOST, ...options });
  const warnings: string[] = [];
  const sessions: RtpMidiSession[] = [];
  ep.on('warning', (w) => warnings.push(w.message));
  ep.on('session', (s) => {
    sessions.push(s);
    s.on('warning', (w) => warnings.push(`[session] ${w.message}`));
  });
  open.push(ep);
  await ep.open();
  return { ep, warnings, sessions };
}

function collect(session: RtpMidiSession): MidiInputEvent[] {
  const events: MidiInputEvent[] = [];
  session.on('message', (e) => events.push(e));
  return events;
}

describe('RTP-MIDI on 127.0.0.1 (real UDP)', () => {
  afterEach(async () => {
    await Promise.all(open.splice(0).map((ep) => ep.close()));
  });

  it('invites in both roles: each endpoint is responder to one session and initiator of another', async () => {
    const a = await endpoint('alice');
    const b = await endpoint('bob');
    assert.equal(b.ep.port % 1, 0);
    const ab = await a.ep.invite(HOST, b.ep.port);
    const ba = await b.ep.invite(HOST, a.ep.port);
    await waitFor(() => a.sessions.length === 2 && b.sessions.length === 2, 2_000, 'both sessions on both sides');
    assert.equal(ab.role, 'initiator');
    assert.equal(ab.remoteName, 'bob');
    assert.equal(ba.remoteName, 'alice');
    const responderAtB = b.sessions.find((s) => s.role === 'responder')!;
    const got = collect(responderAtB);
    ab.send(Uint8Array.of(0x90, 60, 100));
    const back = collect(a.sessions.find((s) => s.role === 'responder')!);
    ba.send(Uint8Array.of(0xb0, 7, 99));
    await waitFor(() => got.length === 1 && back.length === 1, 2_000, 'a message each way');
    assert.deepEqual([...got[0]!.data], [0x90, 60, 100]);
    assert.deepEqual([...back[0]!.data], [0xb0, 7, 99]);
    assert.deepEqual(a.warnings, []);
    assert.deepEqual(b.warnings, []);
  });

  it('rejection: the initiator gets E_PROTOCOL naming the responder', async () => {
    const a = await endpoint('alice');
    const b = await endpoint('bob', { accept: () => false });
    await assert.rejects(a.ep.invite(HOST, b.ep.port), (err: { code?: string; message: string }) => err.code === 'E_PROTOCOL' && /bob/.test(err.message));
  });

  it('clock sync on loopback: a small latency and an offset near zero (one clock)', async () => {
    const a = await endpoint('alice');
    const b = await endpoint('bob');
    const s = await a.ep.invite(HOST, b.ep.port);
    const sync = await s.whenSynced(5_000_000);
    assert.ok(sync, 'an estimate');
    assert.ok(sync.latencyMicros >= 0 && sync.latencyMicros < 50_000, `latency ${sync.latencyMicros} µs`);
    assert.ok(Math.abs(sync.offsetMicros) < 50_000, `offset ${sync.offsetMicros} µs`);
  });

  it('carries 10 000 messages in order, none lost', async () => {
    const a = await endpoint('alice');
    const b = await endpoint('bob');
    const s = await a.ep.invite(HOST, b.ep.port);
    await waitFor(() => b.sessions.length === 1, 2_000, 'the responder session');
    const got = collect(b.sessions[0]!);
    for (let i = 0; i < 10_000; i++) {
      s.send(Uint8Array.of(0xb0 | (i >> 14 & 0x0f), (i >> 7) & 0x7f, i & 0x7f));
      if (i % 1000 === 999) await sleep(2); // a fast sender, not a socket-buffer overflow test
    }
    await waitFor(() => got.length >= 10_000, 10_000, `10 000 messages (have ${got.length})`);
    got.forEach((e, i) => {
      const n = ((e.data[0]! & 0x0f) << 14) | (e.data[1]! << 7) | e.data[2]!;
      if (n !== i) assert.fail(`message ${i} is number ${n}`);
    });
    assert.equal(b.sessions[0]!.stats.lost, 0);
    assert.ok(s.stats.packetsSent < 1_000, `batched into few packets (${s.stats.packetsSent})`);
  });

  it('carries a 64 KiB sysex whole', async () => {
    const a = await endpoint('alice');
    const b = await endpoint('bob');
    const s = await a.ep.invite(HOST, b.ep.port);
    await waitFor(() => b.sessions.length === 1, 2_000, 'the responder session');
    const got = collect(b.sessions[0]!);
    const sysex = new Uint8Array(64 * 1024);
    sysex[0] = 0xf0;
    for (let i = 1; i < sysex.length - 1; i++) sysex[i] = (i * 7) & 0x7f;
    sysex[sysex.length - 1] = 0xf7;
    s.send(sysex);
    await waitFor(() => got.length === 1, 5_000, 'the sysex');
    assert.equal(got[0]!.data.length, sysex.length);
    assert.deepEqual(got[0]!.data, sysex);
  });

  it('BY: closing one side ends the other with reason "bye"', async () => {
    const a = await endpoint('alice');
    const b = await endpoint('bob');
    const s = await a.ep.invite(HOST, b.ep.port);
    await waitFor(() => b.sessions.length === 1, 2_000, 'the responder session');
    const reasons: string[] = [];
    b.sessions[0]!.on('close', (r) => reasons.push(r));
    await s.close();
    await waitFor(() => reasons.length === 1, 2_000, 'the BY');
    assert.deepEqual(reasons, ['bye']);
    assert.equal(b.ep.sessions.length, 0);
    assert.equal(a.ep.sessions.length, 0);
  });

  it('re-invites after the responder restarts, and the same session carries MIDI again', async () => {
    const fast = { clockSync: { burstCount: 1, intervalMicros: 300_000, replyTimeoutMicros: 200_000, burstIntervalMicros: 200_000 }, reinvite: { backoffMicros: 200_000, attempts: 10 } };
    const a = await endpoint('alice', fast);
    const crashable = crashableRuntime();
    const b = await endpoint('bob', {}, crashable.runtime);
    const port = b.ep.port;
    const s = await a.ep.invite(HOST, port);
    const states: string[] = [];
    s.on('state', (st) => states.push(st));
    crashable.crash(); // no BY gets out
    await b.ep.close();
    await sleep(300);
    const b2 = await endpoint('bob-restarted', { port });
    await waitFor(() => states.includes('open'), 20_000, 'the session back');
    assert.deepEqual(states, ['reconnecting', 'open']);
    assert.equal(s.remoteName, 'bob-restarted');
    await waitFor(() => b2.sessions.length === 1, 2_000, 'the new responder session');
    assert.equal(s.remoteSsrc, b2.sessions[0]!.localSsrc);
    const got = collect(b2.sessions[0]!);
    s.send(Uint8Array.of(0x90, 64, 1));
    await waitFor(() => got.length === 1, 2_000, 'a note after the restart');
    assert.ok(a.warnings.some((w) => /inviting it again/.test(w)), 'the loss was reported');
  });
});
