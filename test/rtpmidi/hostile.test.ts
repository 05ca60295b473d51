/**
 * RTP-MIDI under attack, on real sockets on 127.0.0.1: while a phaselock session carries a steady
 * stream of notes, a raw UDP socket sends each class of bad input found to hurt an AppleMIDI
 * participant — wrong signature and version, unknown commands, invitations from strangers,
 * spoofed SSRCs, oversized and truncated datagrams, absurd clock-sync timestamps, a flood of
 * invitations. Each class is one test, in order, sharing the session: each checks that the
 * endpoint refused what it had to (its warnings say so, rate-limited), answered what it must
 * (NO), and that the session still carries every note. Last, memory after a full GC.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { nodeRuntime } from '../../src/node/link/node-runtime.ts';
import { RtpMidiEndpoint } from '../../src/rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../../src/rtpmidi/session.ts';
import { decodeAppleMidi, encodeAppleMidi, type AppleMidiCommand } from '../../src/rtpmidi/session-codec.ts';
import { encodeRtpMidi } from '../../src/rtpmidi/rtp-codec.ts';
import { REPLIES_PER_SOURCE } from '../../src/rtpmidi/responder.ts';

const HOST = '127.0.0.1';
const WARNINGS_PER_SECOND = 20; // endpoint.ts and session.ts
const MAX_SESSIONS = 8;
const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function waitFor(done: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const u32 = () => Math.floor(Math.random() * 2 ** 32) >>> 0;
const IN = (fields: Partial<{ version: number; token: number; ssrc: number; name: string }> = {}) =>
  encodeAppleMidi({ kind: 'IN', version: 2, token: u32(), ssrc: u32(), name: 'mallory', ...fields });

describe('RTP-MIDI hostile input on 127.0.0.1 (real sockets)', () => {
  let a: RtpMidiEndpoint;
  let b: RtpMidiEndpoint;
  let sa: RtpMidiSession;
  let sb: RtpMidiSession;
  let raw: dgram.Socket;
  const warnings: string[] = [];
  const replies: AppleMidiCommand[] = [];
  const notes: number[] = [];
  let sent = 0;
  let stream: NodeJS.Timeout | undefined;
  let heapBefore = 0;

  const toControl = (data: Uint8Array) => raw.send(data, b.port, HOST);
  const toData = (data: Uint8Array) => raw.send(data, b.port + 1, HOST);

  /** Runs `attack`, then checks the warnings it caused and that the notes still flow, all of them. */
  async function phase(attack: () => void | Promise<void>, expect: RegExp): Promise<string[]> {
    await sleep(1_100); // a fresh second for the warning limiter: the last phase may have used it up
    const w0 = warnings.length;
    const sentBefore = sent;
    await attack();
    await sleep(150);
    const caused = warnings.slice(w0);
    assert.ok(caused.some((m) => expect.test(m)), `a warning like ${expect}; got: ${JSON.stringify(caused.slice(0, 5))}`);
    await waitFor(() => sent > sentBefore + 5 && notes.length === sent, 2_000, `notes still flowing (sent ${sent}, got ${notes.length}, ${JSON.stringify(sb.stats)}, sa ${JSON.stringify(sa.stats)})`);
    assert.equal(sa.state, 'open');
    assert.equal(sb.state, 'open');
    assert.deepEqual(notes, notes.map((_, i) => i % 128), 'every note, in order');
    assert.equal(sb.stats.lost, 0);
    return caused;
  }

  before(async () => {
    a = new RtpMidiEndpoint(nodeRuntime(), { name: 'alice', address: HOST });
    b = new RtpMidiEndpoint(nodeRuntime(), {
      name: 'bob', address: HOST, maxSessions: MAX_SESSIONS, accept: (inv) => inv.name.startsWith('alice'),
    });
    b.on('warning', (w) => warnings.push(w.message));
    b.on('session', (s) => s.on('warning', (w) => warnings.push(`[session] ${w.message}`)));
    await a.open();
    await b.open();
    sa = await a.invite(HOST, b.port);
    await waitFor(() => b.sessions.length === 1, 2_000, 'the session at the responder');
    sb = b.sessions[0]!;
    sb.on('message', (e) => { if (e.data[0] === 0x90) notes.push(e.data[1]!); });
    stream = setInterval(() => {
      sa.send(Uint8Array.of(0x90, sent % 128, 100));
      sent++;
    }, 10);
    raw = dgram.createSocket('udp4');
    raw.on('message', (msg) => {
      try {
        replies.push(decodeAppleMidi(new Uint8Array(msg)));
      } catch {
        // not a command: RTP or garbage, not counted
      }
    });
    await new Promise<void>((resolve) => raw.bind(0, HOST, () => resolve()));
    await waitFor(() => notes.length > 10, 2_000, 'the first notes');
    gc();
    heapBefore = process.memoryUsage().heapUsed;
  });

  after(async () => {
    clearInterval(stream);
    raw?.close();
    await a?.close();
    await b?.close();
  });

  it('wrong signature on the control port: a warning, nothing else', async () => {
    await phase(() => {
      toControl(Uint8Array.of(0xfe, 0xff, 0x49, 0x4e, 0, 0, 0, 2));
      toControl(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
    }, /not AppleMIDI/);
  });

  it('wrong protocol version: NO, and a warning', async () => {
    const r0 = replies.length;
    await phase(() => toControl(IN({ version: 3, name: 'alice-v3' })), /protocol version 3/);
    assert.ok(replies.slice(r0).some((r) => r.kind === 'NO'), 'answered NO');
  });

  it('unknown commands (RL): warnings, rate-limited', async () => {
    const rl = Uint8Array.of(0xff, 0xff, 0x52, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0);
    const caused = await phase(() => { for (let i = 0; i < 500; i++) toControl(rl); }, /unknown AppleMIDI command 'RL'/);
    assert.ok(caused.length <= 2 * WARNINGS_PER_SECOND, `${caused.length} warnings for 500 datagrams`);
  });

  it('an invitation from a stranger that accept refuses: NO', async () => {
    const r0 = replies.length;
    await phase(() => toControl(IN({ name: 'mallory' })), /refused an invitation from 'mallory'.*not accepted/);
    assert.ok(replies.slice(r0).some((r) => r.kind === 'NO'), 'answered NO');
    assert.equal(b.sessions.length, 1);
  });

  it('spoofed SSRCs on RTP: the session peer\'s SSRC from another port, and a stranger\'s, are dropped', async () => {
    const forged = (ssrc: number) => encodeRtpMidi({
      marker: true, payloadType: 0x61, sequence: 1, timestamp: 0, ssrc,
      commands: [{ deltaTicks: 0, data: Uint8Array.of(0x80, 0, 0) }], phantom: false,
    });
    await phase(() => {
      toData(forged(sb.remoteSsrc));
      toData(forged(u32()));
    }, /dropped an RTP-MIDI packet .* in no session of ours/);
  });

  it('oversized and truncated datagrams: warnings', async () => {
    const caused = await phase(() => {
      const big = new Uint8Array(4000).fill(0x41);
      big[0] = 0xff;
      big[1] = 0xff;
      toControl(big);
      toControl(IN().subarray(0, 10));
      toData(Uint8Array.of(0x80, 0x61, 0, 1, 0, 0, 0, 0)); // an RTP header cut short
      toData(new Uint8Array(60_000).fill(0x80)); // 60 KB of RTP-looking junk
      toData(Uint8Array.of(0xff, 0xff, 0x43, 0x4b, 1, 2)); // a truncated CK
    }, /oversized/);
    assert.ok(caused.some((m) => /truncated|need \d+|have \d+/.test(m)), `a truncation warning: ${JSON.stringify(caused)}`);
  });

  it('clock sync with absurd timestamps: ignored with a warning', async () => {
    const ck = new Uint8Array(36);
    ck.set([0xff, 0xff, 0x43, 0x4b]);
    new DataView(ck.buffer).setUint32(4, sb.remoteSsrc);
    ck[8] = 1;
    ck.fill(0xff, 12, 36); // 2^64 - 1 in every timestamp
    const sync = sb.clockSync;
    await phase(() => {
      toData(ck);
      ck[8] = 7; // no such count
      toData(ck);
    }, /exceeds the safe integer range|CK count 7/);
    assert.deepEqual(sb.clockSync, sync, 'the clock estimate is untouched');
  });

  it('a flood of invitations on both ports: bounded state, rate-limited replies, the session unharmed', async () => {
    const r0 = replies.length;
    const started = Date.now();
    let flood = 0;
    const caused = await phase(async () => {
      while (flood < 5_000) {
        for (let i = 0; i < 25; i++) {
          const inv = IN({ name: `alice-${flood++}` }); // accepted by name: only the bounds stop it
          toControl(inv);
          toData(inv);
        }
        await sleep(5);
      }
    }, /too many from there/);
    const seconds = (Date.now() - started) / 1000;
    const answered = replies.length - r0;
    console.log(`flood: ${flood} invitations on each port in ${seconds.toFixed(1)} s; ${answered} replies, ${caused.length} warnings, ` +
      `${b.sessions.length} sessions, notes lost ${sb.stats.lost}`);
    assert.ok(answered <= REPLIES_PER_SOURCE.burst + REPLIES_PER_SOURCE.perSecond * (seconds + 1), `${answered} replies to ${2 * flood} invitations in ${seconds.toFixed(1)} s`);
    assert.ok(b.sessions.length <= MAX_SESSIONS, `${b.sessions.length} sessions`);
    const pending = (b as unknown as { responder: { pending: Map<number, unknown> } }).responder.pending.size;
    assert.ok(pending <= 4, `${pending} pending invitations`);
    assert.ok(caused.length <= WARNINGS_PER_SECOND * (Math.ceil(seconds) + 2), `${caused.length} warnings`);
  });

  it('afterwards the session still works and memory stays bounded', async () => {
    const before = notes.length;
    await waitFor(() => notes.length > before + 20, 2_000, 'more notes');
    assert.equal(notes.length, sent);
    assert.deepEqual(sa.stats.dropped, 0);
    await sleep(100);
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(`heap used before the attacks ${(heapBefore / MIB).toFixed(1)} MiB, after ${(heapAfter / MIB).toFixed(1)} MiB; ${warnings.length} warnings in all`);
    assert.ok(heapAfter - heapBefore < 16 * MIB, `heap grew by ${((heapAfter - heapBefore) / MIB).toFixed(1)} MiB`);
  });
});
