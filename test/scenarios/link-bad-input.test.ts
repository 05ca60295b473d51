// Bad input never breaks the peer: every drop is a warning, never an exception, memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISCOVERY_PORT, encodeDiscovery, MessageType } from '../../src/link/discovery-codec.ts';
import { encodeMeasurement, PONG } from '../../src/link/measurement-codec.ts';
import { MAX_PEERS_PER_GATEWAY } from '../../src/link/gateway.ts';
import { nodeIdFromBytes } from '../../src/link/types.ts';
import { SeededRandom } from '../../src/core/prng.ts';
import { peerTables, phaseSpreadMicros, world } from './helpers.ts';

function pair() {
  const w = world();
  const a = w.add();
  const b = w.add({ clockOffsetMicros: 2_000_000 });
  a.link.enable();
  w.vt.advance(500_000);
  b.link.enable();
  assert.ok(w.vt.runUntil(w.converged, 3_000_000));
  return { w, a, b };
}

const alive = (nodeId: string, over: Partial<Parameters<typeof encodeDiscovery>[0]> = {}, state = {}) =>
  encodeDiscovery({
    type: MessageType.Alive, ttl: 5, groupId: 0, nodeId,
    state: { timeline: { microsPerBeat: 500000, beatOrigin: 0, timeOrigin: 0 }, sessionId: nodeId, measurementV4: { address: '127.0.9.9', port: 9 }, ...state },
    ...over,
  });

test('malformed, truncated, oversized, wrong-version and wrong-group datagrams are warnings', () => {
  const { w, a } = pair();
  const valid = alive('0102030405060708');
  const bad: Uint8Array[] = [
    valid.subarray(0, 10), // shorter than a header
    valid.subarray(0, valid.length - 3), // truncated entry
    new Uint8Array(600).fill(0x5f), // oversized junk
    Uint8Array.from([...valid.subarray(0, 7), 0x02, ...valid.subarray(8)]), // wrong version
    alive('0102030405060709', { groupId: 7 }),
    Uint8Array.from([...valid.subarray(0, 8), 9, ...valid.subarray(9)]), // unknown type
    new TextEncoder().encode('hello'),
  ];
  for (const d of bad) w.net.inject(a.host, DISCOVERY_PORT, d);
  w.vt.advance(10_000);
  assert.ok(a.warnings.length >= bad.length, `${a.warnings.length} warnings for ${bad.length} bad datagrams`);
  assert.match(a.warnings.join('\n'), /truncated/);
  assert.match(a.warnings.join('\n'), /groupId 7/);
  assert.equal(a.link.numPeers, 1);
  w.vt.advance(2_000_000);
  assert.equal(a.link.numPeers, 1);
  assert.ok(phaseSpreadMicros(w) <= 1);
});

test('pongs from strangers and absurd timelines are dropped with a warning', () => {
  const { w, a } = pair();
  w.net.inject(a.host, 40001, encodeMeasurement({ type: PONG, sessionId: '0000000000000001', ghostTime: 5, hostTime: 7 }));
  w.net.inject(a.host, DISCOVERY_PORT, alive('1111111111111111', {}, { timeline: { microsPerBeat: 0, beatOrigin: 0, timeOrigin: 0 } }));
  w.net.inject(a.host, DISCOVERY_PORT, alive('2222222222222222', {}, { timeline: { microsPerBeat: 500000, beatOrigin: 9007199254740991, timeOrigin: -9007199254740991 } }));
  const huge = alive('3333333333333333');
  // beatOrigin beyond 2^53 on the wire: set the i64 to 0x7fff…
  huge.set([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 20 + 8 + 8);
  w.net.inject(a.host, DISCOVERY_PORT, huge);
  w.vt.advance(1_000_000);
  const text = a.warnings.join('\n');
  assert.match(text, /tempo of 0/);
  assert.match(text, /safe integer/);
  assert.equal(a.link.numPeers, 1);
  const s = a.link.captureAppSessionState();
  assert.ok(Number.isFinite(s.beatAtTime(a.host.runtime.clock.micros(), 4)));
});

test('a flood of 10 000 alives/s from random node ids: the peer keeps working, tables stay capped', () => {
  const { w, a, b } = pair();
  w.net.record = false;
  const rng = new SeededRandom(42);
  for (let ms = 0; ms < 2000; ms++) {
    for (let i = 0; i < 10; i++) {
      const id = nodeIdFromBytes(rng.bytes(8));
      w.net.inject(a.host, DISCOVERY_PORT, alive(id), { address: '127.0.9.9', port: 1000 + i });
    }
    w.vt.advance(1000);
  }
  assert.ok(a.link.numPeers >= 1, 'the real peer is still in our session');
  assert.equal(b.link.numPeers >= 1, true);
  // The cap: one gateway, at most MAX_PEERS_PER_GATEWAY entries.
  for (const gw of peerTables(a.link)) assert.ok(gw.peers.size <= MAX_PEERS_PER_GATEWAY);
  assert.ok(a.warnings.some((m) => /^flood on .* new node ids ignored/.test(m)));
  // After the flood the fake peers expire and the session is intact.
  w.vt.advance(8_000_000);
  assert.equal(a.link.numPeers, 1);
  assert.ok(phaseSpreadMicros(w) <= 1);
});
