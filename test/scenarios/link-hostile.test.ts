// A hostile LAN, on VirtualTime + FakeNetwork: each class of attack found against the peer
// (issue #10), with a FakeNetwork whose send throws on a bad port as node:dgram does, so a
// value that reached a socket unchecked fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/core/prng.ts';
import type { UdpRemote, UdpSocket } from '../../src/core/runtime.ts';
import { decodeDiscovery, DISCOVERY_PORT, encodeDiscovery, MessageType, MULTICAST_GROUP_V4, type PeerState } from '../../src/link/discovery-codec.ts';
import { decodeMeasurement, encodePongEcho, PING } from '../../src/link/measurement-codec.ts';
import { MAX_TTL_SECONDS } from '../../src/link/peer-table.ts';
import { MAX_MICRO_BEATS, MAX_STAMP_LEAD_MICROS } from '../../src/link/plausibility.ts';
import { nodeIdFromBytes, type Endpoint, type NodeId } from '../../src/link/types.ts';
import type { FakeHost } from '../../src/testing/fake-network.ts';
import { enableAll, ghostNow, peerTables, phaseSpreadMicros, world, type Peer } from './helpers.ts';

type World = ReturnType<typeof world>;

/** Two peers in one session (a founded it). */
function pair() {
  const w = world();
  const a = w.add();
  const b = w.add({ clockOffsetMicros: 2_000_000 });
  enableAll(w, 500_000, 3_000_000);
  return { w, a, b };
}

/** The measurement endpoint `p` advertises (from its last Alive on the wire). */
function mepOf(w: World, p: Peer): Endpoint {
  for (let i = w.net.sent.length - 1; i >= 0; i--) {
    const d = w.net.sent[i]!;
    if (d.from.address !== p.host.address || d.to.port !== DISCOVERY_PORT) continue;
    const m = decodeDiscovery(d.data);
    if (m.nodeId === p.link.nodeId && m.state?.measurementV4) return m.state.measurementV4;
  }
  throw new Error('no alive with an endpoint from this peer yet');
}

const aliveBytes = (nodeId: NodeId, state: PeerState, ttl = 5, type: number = MessageType.Alive) =>
  encodeDiscovery({ type, ttl, groupId: 0, nodeId, state });

const foreignState = (sessionId: NodeId, mep: Endpoint, over: Partial<PeerState> = {}): PeerState => ({
  timeline: { microsPerBeat: 500000, beatOrigin: 0, timeOrigin: 0 }, sessionId, measurementV4: mep, ...over,
});

/** An attacker host with one socket on `port`; `onDatagram` sees what reaches it. */
function attacker(w: World, port: number, onDatagram: (data: Uint8Array, from: UdpRemote, sock: UdpSocket) => void = () => undefined) {
  const host: FakeHost = w.net.addHost({ name: `evil${port}`, address: '127.0.9.9' });
  const sock: UdpSocket = host.runtime.network.openUdp({
    interfaceAddress: host.address, port, onListening: () => undefined, onError: () => undefined,
    onMessage: (d, from) => onDatagram(d, from, sock),
  });
  return { host, sock, address: host.address, send: (data: Uint8Array, to: Endpoint = { address: MULTICAST_GROUP_V4, port: DISCOVERY_PORT }) => sock.send(data, to.port, to.address) };
}

/** After the attack (and after whatever it planted expired): one session, phase and tempo both ways. */
function assertHealthy(w: World, a: Peer, b: Peer, what: string): void {
  w.vt.advance((MAX_TTL_SECONDS + 2) * 1_000_000);
  assert.equal(a.link.numPeers, 1, `${what}: a still has its peer`);
  assert.equal(b.link.numPeers, 1, `${what}: b still has its peer`);
  assert.equal(a.link.session.sessionId, b.link.session.sessionId, `${what}: one session`);
  assert.ok(phaseSpreadMicros(w) <= 1, `${what}: phase spread ${phaseSpreadMicros(w)} µs`);
  // Tempo still propagates both ways.
  for (const [from, to, bpm] of [[a, b, 131], [b, a, 97]] as const) {
    const s = from.link.captureAppSessionState();
    s.setTempo(bpm, from.host.runtime.clock.micros());
    from.link.commitAppSessionState(s);
    w.vt.advance(100_000);
    assert.equal(Math.round(to.link.captureAppSessionState().tempo), bpm, `${what}: tempo ${bpm} reached the other peer`);
  }
}

test('an Alive whose mep4 has port 0 is a warning: nothing is sent to port 0, nothing throws', () => {
  const { w, a, b } = pair();
  const evil = attacker(w, 7000);
  for (const port of [0, 65536, -1]) {
    evil.send(aliveBytes('7700000000000001', foreignState('7700000000000001', { address: '127.0.9.9', port: port & 0xffff })));
  }
  // Port 65536 & 0xffff is 0 too; also an advertised broadcast/multicast address.
  evil.send(aliveBytes('7700000000000002', foreignState('7700000000000002', { address: '224.0.0.1', port: 9 })));
  w.vt.advance(2_000_000);
  assert.ok(a.warnings.some((m) => /port 0/.test(m)), a.warnings.join('\n'));
  assert.ok(a.warnings.some((m) => /endpoint 224\.0\.0\.1:9/.test(m)));
  assert.equal(w.net.sent.filter((d) => d.to.port === 0 || d.to.address === '224.0.0.1').length, 0);
  assertHealthy(w, a, b, 'after port-0 endpoints');
});

test('a timeline or start/stop stamp near 2^53 in our session is refused; we keep announcing', () => {
  const { w, a, b } = pair();
  a.link.startStopSyncEnabled = true;
  const evil = attacker(w, 7001);
  const session = a.link.session.sessionId;
  const huge = 2 ** 53 - 10;
  evil.send(aliveBytes('7700000000000003', foreignState(session, { address: evil.address, port: 7001 }, {
    timeline: { microsPerBeat: 500000, beatOrigin: huge, timeOrigin: 0 },
  })));
  evil.send(aliveBytes('7700000000000004', foreignState(session, { address: evil.address, port: 7001 }, {
    timeline: { microsPerBeat: 500000, beatOrigin: 0, timeOrigin: huge },
  })));
  const g = ghostNow(a);
  for (const st of [
    { isPlaying: true, beats: huge, timestamp: g },
    { isPlaying: true, beats: 0, timestamp: huge },
    { isPlaying: true, beats: 0, timestamp: g + MAX_STAMP_LEAD_MICROS + 1_000_000 },
  ]) {
    evil.send(aliveBytes(nodeIdFromBytes(new SeededRandom(st.timestamp).bytes(8)), foreignState(session, { address: evil.address, port: 7001 }, { startStop: st })));
  }
  w.vt.advance(200_000);
  assert.ok(a.link.session.timeline.beatOrigin < MAX_MICRO_BEATS, 'the huge beat origin was not adopted');
  assert.ok(a.link.session.startStop.timestamp < g + MAX_STAMP_LEAD_MICROS, 'the forged stamp was not adopted');
  assert.ok(a.warnings.some((m) => /beat origin .* outside/.test(m)), a.warnings.join('\n'));
  assert.ok(a.warnings.some((m) => /ahead of our ghost clock/.test(m)));
  // Local changes still encode and go out: the Alives keep coming.
  const sentBefore = w.net.sent.filter((d) => d.from.address === a.host.address && d.to.port === DISCOVERY_PORT).length;
  const s = a.link.captureAppSessionState();
  s.setIsPlaying(true, a.host.runtime.clock.micros());
  a.link.commitAppSessionState(s);
  w.vt.advance(1_000_000);
  assert.ok(w.net.sent.filter((d) => d.from.address === a.host.address && d.to.port === DISCOVERY_PORT).length > sentBefore + 3);
  assert.deepEqual(a.warnings.filter((m) => /cannot (send|encode)/.test(m)), []);
  assertHealthy(w, a, b, 'after huge timelines');
});

test('a forged pong cannot push our ghost time out of range, nor make us join a session "older" than the envelope', () => {
  for (const forgedGhost of [2 ** 53 - 1, 2 ** 49 - 1_000, -(2 ** 52)]) {
    const { w, a, b } = pair();
    const evilSession = '0000000000000007'; // smallest id: would win every tie
    let pongs = 0;
    // The attacker answers every ping correctly, except for the ghost time it claims.
    const evil = attacker(w, 7002, (d, from, sock) => {
      if (d[8] !== PING) return;
      const pong = encodePongEcho(d, evilSession, forgedGhost);
      if (pong) { pongs++; sock.send(pong, from.port, from.address); }
    });
    for (let i = 0; i < 8; i++) {
      evil.send(aliveBytes(evilSession, foreignState(evilSession, { address: evil.address, port: 7002 })));
      w.vt.advance(250_000);
    }
    assert.ok(pongs > 0, 'the attacker was measured');
    assert.notEqual(a.link.session.sessionId, evilSession, `joined the forged session (ghost ${forgedGhost})`);
    assert.ok(Math.abs(ghostNow(a)) < 2 ** 49);
    assertHealthy(w, a, b, `after forged ghost ${forgedGhost}`);
  }
});

test('an endpoint that answers with an unusable ghost clock is backed off like a silent one', () => {
  const { w, a, b } = pair();
  const evilSession = '0000000000000008';
  let pings = 0;
  const evil = attacker(w, 7010, (d, from, sock) => {
    if (d[8] !== PING) return;
    pings++;
    const pong = encodePongEcho(d, evilSession, 2 ** 49 - 1_000); // in range, but no room to run
    if (pong) sock.send(pong, from.port, from.address);
  });
  for (let i = 0; i < 40; i++) { // 10 s of Alives
    evil.send(aliveBytes(evilSession, foreignState(evilSession, { address: evil.address, port: 7010 })));
    w.vt.advance(250_000);
  }
  // Each refused measurement is 101 pings here (a constant forged ghost time gives one sample a
  // pong); re-measuring at every Alive would be ~4000 per peer. Backed off (1, 2, 4, 8 s), a and
  // b make at most 4–5 attempts each.
  assert.ok(pings > 0 && pings <= 2 * 5 * 101, `${pings} pings in 10 s`);
  assertHealthy(w, a, b, 'after an unusable ghost clock');
});

test('pongs that do not echo one of our pings are ignored (a blind forger cannot feed a measurement)', () => {
  const { w, a, b } = pair();
  const evilSession = '0000000000000009';
  const evil = attacker(w, 7003, (d, from, sock) => {
    if (d[8] !== PING) return;
    // Echo a host time that was never sent.
    const ping = decodeMeasurement(d);
    const forged = new Uint8Array(d);
    const view = new DataView(forged.buffer);
    for (let i = 9; i + 16 <= forged.length; i += 16) if (view.getUint32(i) === 0x5f5f6874) view.setBigInt64(i + 8, BigInt((ping.hostTime ?? 0) + 1));
    const pong = encodePongEcho(forged, evilSession, 1_000_000);
    if (pong) sock.send(pong, from.port, from.address);
  });
  evil.send(aliveBytes(evilSession, foreignState(evilSession, { address: evil.address, port: 7003 })));
  w.vt.advance(2_000_000);
  assert.notEqual(a.link.session.sessionId, evilSession);
  assertHealthy(w, a, b, 'after unechoed pongs');
});

test('mep4 off our subnet is never pinged; a dead one on it is pinged less and less (backoff)', () => {
  const { w, a, b } = pair();
  const evil = attacker(w, 7004);
  const pingsTo = (addr: string, port?: number) =>
    w.net.sent.filter((d) => d.from.address === a.host.address && d.to.address === addr && (port === undefined || d.to.port === port) && d.data[8] === PING && d.data[1] === 0x6c).length;
  const t0 = w.vt.micros();
  // 20 s of Alives every 250 ms, as a spoofed session would send them.
  for (let i = 0; i < 80; i++) {
    evil.send(aliveBytes('7700000000000010', foreignState('7700000000000010', { address: '10.9.0.2', port: 9 })));
    evil.send(aliveBytes('7700000000000011', foreignState('7700000000000011', { address: '127.0.9.10', port: 9 })));
    w.vt.advance(250_000);
  }
  assert.equal(pingsTo('10.9.0.2'), 0, 'off-subnet endpoint pinged');
  const dead = pingsTo('127.0.9.10', 9);
  // Without backoff: 6 pings per 300 ms attempt, re-attempted at every Alive → ~400 in 20 s.
  // With it: attempts at 0, 1.3, 3.6, 7.9, 16.2 s → ≤ 36.
  assert.ok(dead > 0 && dead <= 36, `${dead} pings to a dead endpoint in ${(w.vt.micros() - t0) / 1e6} s`);
  assertHealthy(w, a, b, 'after dead endpoints');
});

test('256 junk ids with ttl 255 neither lock out a newcomer nor linger beyond the ttl cap', () => {
  const { w, a } = pair();
  const evil = attacker(w, 7005);
  const rng = new SeededRandom(5);
  for (let i = 0; i < 256; i++) {
    const id = nodeIdFromBytes(rng.bytes(8));
    w.net.inject(a.host, DISCOVERY_PORT, aliveBytes(id, foreignState(id, { address: evil.address, port: 7005 }), 255), { address: `127.0.${10 + (i >> 6)}.${i & 63}`, port: 5000 + i });
  }
  w.vt.advance(100_000);
  const c = w.add({ clockOffsetMicros: -3_000_000 });
  c.link.enable();
  assert.ok(w.vt.runUntil(w.converged, 3_000_000), `newcomer admitted: ${w.peers.map((p) => p.link.numPeers)}`);
  // Responses went out to the newcomer although the table was full.
  assert.ok(w.net.sent.some((d) => d.from.address === a.host.address && d.to.address === c.host.address));
  w.vt.advance((MAX_TTL_SECONDS + 2) * 1_000_000);
  for (const gw of peerTables(a.link)) assert.equal(gw.peers.size, 2, 'only the real peers remain');
  assert.ok(phaseSpreadMicros(w) <= 1);
});

test('a 10 000 Alives/s flood from forged sources: a newcomer still joins during it', () => {
  const { w, a } = pair();
  w.net.record = false;
  const rng = new SeededRandom(42);
  let c: Peer | undefined;
  for (let ms = 0; ms < 3000; ms++) {
    for (let i = 0; i < 10; i++) {
      const id = nodeIdFromBytes(rng.bytes(8));
      const src = { address: `127.${rng.int(200) + 20}.${rng.int(256)}.${rng.int(256)}`, port: 1024 + rng.int(60000) };
      w.net.inject(a.host, DISCOVERY_PORT, aliveBytes(id, foreignState(id, src), 255), src);
    }
    if (ms === 1000) {
      c = w.add({ clockOffsetMicros: 9_000_000 });
      c.link.enable();
    }
    w.vt.advance(1000);
  }
  assert.ok(w.converged(), `during the flood all three are in one session: ${w.peers.map((p) => p.link.numPeers)}`);
  for (const gw of peerTables(a.link)) assert.ok(gw.peers.size <= 256);
  w.vt.advance((MAX_TTL_SECONDS + 2) * 1_000_000);
  assert.ok(w.converged());
  assert.ok(phaseSpreadMicros(w) <= 1);
});

test('Responses and pongs are rate-limited per source', () => {
  const { w, a } = pair();
  const evil = attacker(w, 7006);
  const t0 = w.vt.micros();
  const mep = mepOf(w, a);
  for (let i = 0; i < 1000; i++) {
    evil.send(aliveBytes('7700000000000020', foreignState('7700000000000020', { address: evil.address, port: 7006 })));
    evil.send(Uint8Array.from([0x5f, 0x6c, 0x69, 0x6e, 0x6b, 0x5f, 0x76, 0x01, PING]), mep);
    w.vt.advance(1000);
  }
  const toEvil = w.net.sent.filter((d) => d.time >= t0 && d.from.address === a.host.address && d.to.address === evil.address);
  const responses = toEvil.filter((d) => d.data[1] === 0x61 && d.data[8] === MessageType.Response).length;
  const pongs = toEvil.filter((d) => d.data[1] === 0x6c && d.data[8] === 2).length;
  assert.ok(responses <= 64 + 32 + 1, `${responses} responses in 1 s`);
  assert.ok(responses >= 32, `${responses} responses: the limit must not silence a source`);
  assert.ok(pongs <= 256 + 128 + 1 && pongs >= 128, `${pongs} pongs in 1 s`);
});

test('two endpoints claiming one node id: the entry stays with its owner (no flip-flop)', () => {
  const { w, a, b } = pair();
  const session = a.link.session.sessionId;
  const impostor = attacker(w, 7007);
  // b's own node id, from another endpoint, with another tempo.
  for (let i = 0; i < 20; i++) {
    impostor.send(aliveBytes(b.link.nodeId, foreignState(session, { address: impostor.address, port: 7007 }, {
      timeline: { microsPerBeat: 300000, beatOrigin: a.link.session.timeline.beatOrigin + 1_000_000 * (i + 1), timeOrigin: ghostNow(a) },
    })));
    w.vt.advance(50_000);
  }
  assert.ok(a.warnings.some((m) => /belongs to/.test(m)), a.warnings.join('\n'));
  assert.equal(Math.round(a.link.captureAppSessionState().tempo), 120, 'the impostor\'s tempo was not adopted');
  assertHealthy(w, a, b, 'after an impostor');
});

test('another endpoint announcing our own node id makes us re-roll ours and stay in the session', () => {
  const { w, a, b } = pair();
  const before = a.link.nodeId;
  const session = a.link.session.sessionId;
  const bPeers: number[] = [];
  b.link.on('peers', (n) => bPeers.push(n));
  const evil = attacker(w, 7008);
  evil.send(aliveBytes(before, foreignState(session, { address: evil.address, port: 7008 })));
  w.vt.advance(100_000);
  // The new id is announced before the old one's ByeBye: b never finds itself alone (which
  // would make it found a fresh session of its own).
  assert.ok(!bPeers.includes(0), `b's peer counts: ${bPeers}`);
  assert.notEqual(a.link.nodeId, before, 'our node id was re-rolled');
  assert.equal(a.link.session.sessionId, session, 'same session');
  assert.ok(a.warnings.some((m) => /announces our node id/.test(m)));
  w.vt.advance(7_000_000); // b forgets the old id (ByeBye or expiry) and knows the new one
  assertHealthy(w, a, b, 'after a re-roll');
});

test('a gateway whose bind failed is reopened at the next interface scan', () => {
  const w = world();
  const a = w.add();
  const b = w.add();
  w.net.failBinds(a.host, 1);
  a.link.enable();
  w.vt.advance(100_000);
  assert.ok(a.warnings.some((m) => /EADDRINUSE/.test(m)), a.warnings.join('\n'));
  b.link.enable();
  assert.ok(w.vt.runUntil(w.converged, 7_000_000), 'a joins after its gateway is reopened');
});

test('an interface vanishing with our last peers founds a fresh session (spec 02 §7.3)', () => {
  const { w, a } = pair();
  const before = a.link.session;
  w.net.setInterfaceUp(a.host, false);
  w.vt.advance(5_100_000);
  assert.equal(a.link.numPeers, 0);
  assert.notEqual(a.link.nodeId, before.nodeId, 'new node id');
  assert.equal(a.link.session.sessionId, a.link.nodeId, 'a session of its own');
});

test('socket-level fuzzing: thousands of mutated Alives and pings never throw and leave the session intact', () => {
  const { w, a, b } = pair();
  const rng = new SeededRandom(99);
  const mep = mepOf(w, a);
  const seeds = [
    aliveBytes(b.link.nodeId, { ...foreignState(a.link.session.sessionId, mepOf(w, b)), startStop: { isPlaying: true, beats: 5, timestamp: 7 } }),
    aliveBytes('7700000000000030', foreignState('7700000000000030', { address: '127.0.9.9', port: 7009 })),
    Uint8Array.from([0x5f, 0x6c, 0x69, 0x6e, 0x6b, 0x5f, 0x76, 0x01, PING, 0x5f, 0x5f, 0x68, 0x74, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]),
  ];
  for (let i = 0; i < 5000; i++) {
    const seed = seeds[i % seeds.length]!;
    const d = seed.slice();
    const mutations = 1 + rng.int(4);
    for (let k = 0; k < mutations; k++) d[rng.int(d.length)] = rng.int(256);
    const cut = rng.float() < 0.2 ? d.subarray(0, rng.int(d.length)) : d;
    const port = seed[1] === 0x6c ? mep.port : DISCOVERY_PORT;
    w.net.inject(a.host, port, cut, { address: `127.0.9.${rng.int(250)}`, port: 1 + rng.int(65535) });
    if (i % 50 === 0) w.vt.advance(10_000);
  }
  w.net.inject(a.host, DISCOVERY_PORT, new Uint8Array(600).fill(0x5f));
  w.net.inject(a.host, mep.port, new Uint8Array(2000).fill(0x5f));
  assertHealthy(w, a, b, 'after socket-level fuzzing');
});
