/**
 * Interop with an independent RTP-MIDI implementation: the npm `rtpmidi` package (MIT,
 * unmaintained; a test counterpart only), run as a child process by test/rtpmidi/npm-peer.mjs
 * with its quirks worked around (no mDNS at all, sockets bound to 127.0.0.1, sends only once
 * its clock sync finished, even control ports). Everything is unicast on 127.0.0.1: no
 * namespace is needed.
 *
 * Both roles: phaselock invites the npm peer, and the npm peer invites phaselock; notes and
 * controllers both ways, byte-exact and in order; BY ends the session on the other side.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { LinePeer, type PeerEvent } from '../interop/harness.ts';
import { nodeRuntime } from '../../src/node/link/node-runtime.ts';
import { RtpMidiEndpoint } from '../../src/rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../../src/rtpmidi/session.ts';
import type { MidiInputEvent } from '../../src/midi/input.ts';
import { freePortPair } from '../helpers/ports.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NPM_PEER = path.join(HERE, 'npm-peer.mjs');
const HOST = '127.0.0.1';

function startNpmPeer(name = 'npm-rtpmidi'): Promise<LinePeer> {
  const child = spawn(process.execPath, [NPM_PEER, '--host', HOST, '--name', name], { stdio: ['pipe', 'pipe', 'pipe'] });
  return LinePeer.start(child, `npm rtpmidi (${name})`, 10_000);
}

const portOf = (peer: LinePeer): number => peer.events.find((e) => e.event === 'ready')!.port as number;


const hex = (bytes: ArrayLike<number>) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Every warning of the endpoint and its sessions (a quirk of the other side shows up here). */
function warningsOf(endpoint: RtpMidiEndpoint): string[] {
  const seen: string[] = [];
  endpoint.on('warning', (w) => seen.push(`endpoint: ${w.message}`));
  endpoint.on('session', (s) => s.on('warning', (w) => seen.push(`session: ${w.message}`)));
  return seen;
}

/** Collects what a phaselock session receives. */
function collect(session: RtpMidiSession): MidiInputEvent[] {
  const got: MidiInputEvent[] = [];
  session.on('message', (e) => got.push(e));
  return got;
}

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const npmMessages = (peer: LinePeer, from = 0) => peer.events.slice(from).filter((e) => e.event === 'message').map((e) => hex(e.bytes as number[]));

// Notes and controllers (no one-byte message alone: the package parses no such packet).
const TO_NPM = ['903c64', 'b00764', 'e00040', '803c00', 'c905'];
const FROM_NPM = ['91407f', 'b10a20', '914000', 'e17f7f'];

describe('the npm rtpmidi peer on its own (the counterpart works)', () => {
  it('binds 127.0.0.1, answers a raw IN with OK on both ports and drops the stream on BY', async () => {
    const npm = await startNpmPeer();
    const sock = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve) => sock.bind(0, HOST, () => resolve()));
      const replies: Buffer[] = [];
      sock.on('message', (msg) => replies.push(msg));
      const name = Buffer.from('raw-test\0');
      const header = (cmd: string) => Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.from(cmd, 'ascii'),
        Buffer.from([0, 0, 0, 2, 0x12, 0x34, 0x56, 0x78, 0x0a, 0x0b, 0x0c, 0x0d])]);
      const port = portOf(npm);
      sock.send(Buffer.concat([header('IN'), name]), port, HOST);
      const ok = await until(() => replies[0], 'OK on the control port');
      assert.equal(ok.subarray(0, 4).toString('latin1'), '\xff\xffOK');
      assert.equal(ok.readUInt32BE(4), 2, 'version 2');
      assert.equal(ok.readUInt32BE(8), 0x12345678, 'our token back');
      assert.equal(ok.readUInt32BE(12), npm.events[0]!.ssrc, 'its SSRC');
      assert.equal(ok.subarray(16).toString('utf8'), 'npm-rtpmidi\0');
      sock.send(Buffer.concat([header('IN'), name]), port + 1, HOST);
      await until(() => replies[1], 'OK on the data port');
      const connected = await npm.waitForEvent((e) => e.event === 'session' && e.state === 'connected');
      assert.equal(connected.name, 'raw-test');
      sock.send(header('BY'), port, HOST);
      await npm.waitForEvent((e) => e.event === 'session' && e.state === 'disconnected');
    } finally {
      sock.close();
      await npm.close();
    }
  });
});

describe('phaselock ↔ npm rtpmidi on 127.0.0.1', () => {
  let npm: LinePeer;
  let endpoint: RtpMidiEndpoint;

  before(async () => {
    npm = await startNpmPeer();
  });
  after(async () => {
    await endpoint?.close();
    await npm?.close();
  });
  afterEach(() => {
    assert.deepEqual(npm.events.filter((e) => e.event === 'error'), [], 'no exception inside the npm package');
  });

  it('phaselock invites the npm peer: connected, clock synced, notes both ways byte-exact, BY ends it there', async () => {
    endpoint = new RtpMidiEndpoint(nodeRuntime(), { name: 'phaselock-initiator', address: HOST, port: await freePortPair(HOST, { even: true }) });
    const warnings = warningsOf(endpoint);
    await endpoint.open();
    const from = npm.events.length;
    const session = await endpoint.invite(HOST, portOf(npm), { timeoutMicros: 10_000_000 });
    session.on('warning', (w) => warnings.push(`session: ${w.message}`));
    assert.equal(session.role, 'initiator');
    assert.equal(session.remoteName, 'npm-rtpmidi');
    assert.equal(session.remoteSsrc, npm.events[0]!.ssrc);
    const received = collect(session);

    // The package sends nothing until its own CK exchange (which it starts after ours) is done.
    await npm.waitForEvent((e) => e.event === 'synced', 15_000, from);
    await until(() => session.clockSync, 'phaselock clock sync');

    // The first message alone, the rest once it arrived: later packets carry a journal for it.
    session.send(Uint8Array.from(Buffer.from(TO_NPM[0]!, 'hex')));
    await npm.waitFor(() => npmMessages(npm, from).length >= 1, { timeoutMs: 5000, what: 'the first note at the npm peer' });
    for (const m of TO_NPM.slice(1)) session.send(Uint8Array.from(Buffer.from(m, 'hex')));
    await npm.waitFor(() => npmMessages(npm, from).length >= TO_NPM.length, { timeoutMs: 5000, what: 'notes at the npm peer' });
    assert.deepEqual(npmMessages(npm, from), TO_NPM);
    const packets = npm.events.slice(from).filter((e) => e.event === 'rtp');
    assert.ok(packets.some((p) => p.journal), 'our recovery journal rode along and did not disturb its parser');

    await npm.command(`send ${FROM_NPM[0]} ${FROM_NPM[1]}`);
    await npm.command(`send ${FROM_NPM[2]}`);
    await npm.command(`send ${FROM_NPM[3]}`);
    await until(() => received.length >= FROM_NPM.length, 'notes at phaselock', 5000);
    assert.deepEqual(received.map((e) => hex(e.data)), FROM_NPM);
    for (const e of received) {
      assert.ok(Number.isInteger(e.timeMicros) && Number.isInteger(e.receivedAtMicros));
      // The sender's time mapped through CK lands near the arrival (a loose sanity bound).
      assert.ok(Math.abs(e.timeMicros - e.receivedAtMicros) < 1_000_000, `time ${e.timeMicros} vs arrival ${e.receivedAtMicros}`);
    }

    const closedAt = npm.events.length;
    await session.close();
    await npm.waitForEvent((e) => e.event === 'control' && e.command === 'end', 5000, closedAt);
    await npm.waitForEvent((e) => e.event === 'session' && e.state === 'disconnected', 5000, closedAt);
    await endpoint.close();
    assert.deepEqual(warnings, []);
  });

  it('the npm peer invites phaselock: accepted as responder, synced, notes both ways, its BY closes our session', async () => {
    endpoint = new RtpMidiEndpoint(nodeRuntime(), { name: 'phaselock-responder', address: HOST, port: await freePortPair(HOST, { even: true }) });
    const warnings = warningsOf(endpoint);
    await endpoint.open();
    const accepted = new Promise<RtpMidiSession>((resolve) => endpoint.once('session', resolve));
    const from = npm.events.length;
    await npm.command(`invite ${HOST} ${endpoint.port}`);
    const session = await accepted;
    assert.equal(session.role, 'responder');
    assert.equal(session.remoteName, 'npm-rtpmidi');
    const received = collect(session);
    const closed = new Promise<string>((resolve) => session.once('close', resolve));

    const synced: PeerEvent = await npm.waitForEvent((e) => e.event === 'synced', 20_000, from);
    assert.equal(synced.name, 'phaselock-responder');
    assert.equal(synced.initiator, true);

    await npm.command(`send ${FROM_NPM.join(' ')}`);
    await until(() => received.length >= FROM_NPM.length, 'notes at phaselock', 5000);
    assert.deepEqual(received.map((e) => hex(e.data)), FROM_NPM);

    for (const m of TO_NPM) session.send(Uint8Array.from(Buffer.from(m, 'hex')));
    await npm.waitFor(() => npmMessages(npm, from).length >= TO_NPM.length, { timeoutMs: 5000, what: 'notes at the npm peer' });
    assert.deepEqual(npmMessages(npm, from), TO_NPM);

    await npm.command('end');
    const reason = await closed;
    assert.equal(typeof reason, 'string');
    assert.equal(endpoint.sessions.length, 0);
    await endpoint.close();
    assert.deepEqual(warnings, []);
  });

  it('an invitation phaselock refuses is answered NO, and the npm peer gives up', async () => {
    endpoint = await new RtpMidiEndpoint(nodeRuntime(), { name: 'phaselock-closed', address: HOST, port: await freePortPair(HOST, { even: true }), accept: () => false }).open();
    const from = npm.events.length;
    await npm.command(`invite ${HOST} ${endpoint.port}`);
    await npm.waitForEvent((e) => e.event === 'control' && e.command === 'invitation_rejected', 10_000, from);
    assert.equal(endpoint.sessions.length, 0);
    const status = await npm.command('status');
    assert.ok(!status.streams.some((s: { connected: boolean }) => s.connected), JSON.stringify(status.streams));
    await endpoint.close();
  });
});
