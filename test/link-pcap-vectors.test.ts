// The link-wire-spec golden captures (real Ableton Link peers) against phaselock's codecs and
// against the facts stated in each capture's manifest. The expected numbers are parsed out of
// the manifest text; a handful of spec facts are also asserted inline.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  decodeDiscovery,
  discoveryLength,
  encodeDiscovery,
  isDiscoveryFrame,
  MessageType,
  type DiscoveryMessage,
} from '../src/link/discovery-codec.ts';
import {
  decodeMeasurement,
  encodeMeasurement,
  encodePongEcho,
  isMeasurementFrame,
  measurementLength,
  PING,
  PONG,
  type MeasurementMessage,
} from '../src/link/measurement-codec.ts';
import { decodePayload, keyName } from '../src/link/payload.ts';
import {
  LINK_TYPE_NAMES,
  LinkType,
  formatIpv6,
  loadPcap,
  parsePcap,
  PcapFormatError,
  udpDatagrams,
  type PcapFile,
  type UdpDatagram,
} from './helpers/pcap.ts';

const FIXTURES = new URL('./fixtures/link-wire-spec/', import.meta.url);
const CAPTURES = ['discovery-join-leave', 'multi-gateway-discovery', 'sync-start-stop', 'sync-tempo-change'] as const;
type Capture = (typeof CAPTURES)[number];

const DISCOVERY_TYPE_NAMES: Record<number, string> = { 1: 'Alive', 2: 'Response', 3: 'ByeBye' };
const SYNC_TYPE_NAMES: Record<number, string> = { 1: 'Ping', 2: 'Pong' };
const ASDP = '_asdp_v\x01';
const LINK = '_link_v\x01';

// ---------------------------------------------------------------------------------------------
// Manifest parsing

interface Manifest {
  linkType: string;
  frames: number;
  decoded: number;
  distinctPeers: number;
  gatewaysPerPeer: number[];
  /** NodeId → source addresses. */
  gateways: Map<string, string[]>;
  destinationPorts: Record<string, number[]>;
  counts: Map<string, number>;
  peerStateShapes: Array<{ keys: string[]; sizes: number[] }>;
  tempos: number[];
  beatOriginRange: [number, number];
  isPlaying: number[];
  startStopStates: number;
  syncShapes: Array<{ shape: string[]; sizes: number[] }>;
}

/** Python literal (lists/dicts of ints and single-quoted strings) → JSON value. */
const pyLiteral = <T>(text: string): T => JSON.parse(text.replace(/'/g, '"')) as T;

function match(text: string, re: RegExp, what: string): RegExpMatchArray {
  const m = text.match(re);
  if (!m) throw new Error(`manifest: no ${what} (${re})`);
  return m;
}

function group(m: RegExpMatchArray, i: number): string {
  const g = m[i];
  if (g === undefined) throw new Error(`manifest: regexp group ${i} missing`);
  return g;
}

function section(text: string, heading: string): string {
  const start = text.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`manifest: no section '${heading}'`);
  const next = text.indexOf('\n## ', start + 3);
  return text.slice(start, next < 0 ? undefined : next);
}

function parseManifest(text: string): Manifest {
  const frames = match(text, /Frames captured: \*\*(\d+)\*\*, decoded protocol messages: \*\*(\d+)\*\*/, 'frame counts');
  const range = match(text, /beatOrigin range \(ubeats\): \[(-?\d+), (-?\d+)\]/, 'beatOrigin range');
  const playing = match(text, /isPlaying values seen: (\[[\d, ]*\]) \((\d+) distinct states\)/, 'isPlaying values');
  const gateways = new Map<string, string[]>();
  for (const m of text.matchAll(/^\s+- `([0-9a-f]{16})` via (\[.*\])$/gm)) {
    gateways.set(group(m, 1), pyLiteral<string[]>(group(m, 2)));
  }
  const counts = new Map<string, number>();
  for (const m of section(text, 'Message-type counts').matchAll(/^- `([a-z]+\/[A-Za-z]+)`: (\d+)$/gm)) {
    counts.set(group(m, 1), Number(group(m, 2)));
  }
  const peerStateShapes = [...section(text, 'Discovery peer-state shapes').matchAll(
    /^- entries (\[.*\]) -> datagram sizes (\[.*\]) bytes$/gm,
  )].map((m) => ({ keys: pyLiteral<string[]>(group(m, 1)), sizes: pyLiteral<number[]>(group(m, 2)) }));
  const syncShapes = [...section(text, 'Sync message shapes').matchAll(/^- (\[.*\]) -> (\[.*\]) bytes$/gm)].map((m) => ({
    shape: pyLiteral<string[]>(group(m, 1)),
    sizes: pyLiteral<number[]>(group(m, 2)),
  }));
  const manifest: Manifest = {
    linkType: group(match(text, /Link type: \*\*([A-Z0-9_]+)\*\*/, 'link type'), 1),
    frames: Number(group(frames, 1)),
    decoded: Number(group(frames, 2)),
    distinctPeers: Number(group(match(text, /Distinct peers \(by NodeId\): \*\*(\d+)\*\*/, 'peer count'), 1)),
    gatewaysPerPeer: pyLiteral<number[]>(group(match(text, /Gateways per peer: \*\*(\[[\d, ]*\])\*\*/, 'gateways per peer'), 1)),
    gateways,
    destinationPorts: pyLiteral<Record<string, number[]>>(
      group(match(text, /Destination ports by protocol: (\{.*\})$/m, 'destination ports'), 1),
    ),
    counts,
    peerStateShapes,
    tempos: pyLiteral<number[]>(group(match(text, /timeline tempos seen \(us\/beat\): (\[[\d, ]*\])/, 'tempos'), 1)),
    beatOriginRange: [Number(group(range, 1)), Number(group(range, 2))],
    isPlaying: pyLiteral<number[]>(group(playing, 1)),
    startStopStates: Number(group(playing, 2)),
    syncShapes,
  };
  if (counts.size === 0 || peerStateShapes.length === 0 || syncShapes.length === 0 || gateways.size === 0) {
    throw new Error('manifest: an expected list section is empty');
  }
  return manifest;
}

// ---------------------------------------------------------------------------------------------
// Capture decoding

interface LinkDatagram {
  udp: UdpDatagram;
  bytes: Uint8Array;
  protocol: 'discovery' | 'sync';
  /** Payload entry keys in wire order (empty for ByeBye). */
  keys: string[];
  discovery?: DiscoveryMessage;
  measurement?: MeasurementMessage;
}

interface DecodedCapture {
  file: PcapFile;
  manifest: Manifest;
  datagrams: LinkDatagram[];
  discovery: Array<LinkDatagram & { discovery: DiscoveryMessage }>;
  sync: Array<LinkDatagram & { measurement: MeasurementMessage }>;
}

const magicOf = (b: Uint8Array) => String.fromCharCode(...b.subarray(0, 8));
const endpoint = (addr: string, port: number) => `${addr}:${port}`;
const sorted = <T>(values: Iterable<T>, cmp?: (a: T, b: T) => number) => [...values].sort(cmp);
const numeric = (a: number, b: number) => a - b;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function decodeCapture(name: Capture): DecodedCapture {
  const file = loadPcap(new URL(`${name}.pcap`, FIXTURES));
  const manifest = parseManifest(readFileSync(new URL(`${name}.md`, FIXTURES), 'utf8'));
  const datagrams: LinkDatagram[] = [];
  for (const udp of udpDatagrams(file)) {
    const bytes = udp.payload;
    const magic = magicOf(bytes);
    if (magic === ASDP) {
      const discovery = decodeDiscovery(bytes);
      const keys = discovery.state ? decodePayload(bytes, 20).map((e) => keyName(e.key)) : [];
      datagrams.push({ udp, bytes, protocol: 'discovery', keys, discovery });
    } else if (magic === LINK) {
      const measurement = decodeMeasurement(bytes);
      datagrams.push({ udp, bytes, protocol: 'sync', keys: decodePayload(bytes, 9).map((e) => keyName(e.key)), measurement });
    }
  }
  return {
    file,
    manifest,
    datagrams,
    discovery: datagrams.filter((d): d is LinkDatagram & { discovery: DiscoveryMessage } => d.discovery !== undefined),
    sync: datagrams.filter((d): d is LinkDatagram & { measurement: MeasurementMessage } => d.measurement !== undefined),
  };
}

const peerStates = (c: DecodedCapture) =>
  c.discovery.filter((d) => d.discovery.type === MessageType.Alive || d.discovery.type === MessageType.Response);

/** Distinct values, keyed by their JSON, with the shape's sizes collected. */
function shapes(items: Array<{ key: string[]; size: number }>): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const { key, size } of items) {
    const k = JSON.stringify(key);
    (out.get(k) ?? out.set(k, new Set()).get(k))?.add(size);
  }
  return new Map([...out].map(([k, v]) => [k, sorted(v, numeric)]));
}

function median(values: number[]): number {
  const s = sorted(values, numeric);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

// ---------------------------------------------------------------------------------------------

const captures = new Map<Capture, DecodedCapture>(CAPTURES.map((name) => [name, decodeCapture(name)]));
const capture = (name: Capture): DecodedCapture => {
  const c = captures.get(name);
  if (!c) throw new Error(`no capture ${name}`);
  return c;
};

for (const name of CAPTURES) {
  describe(`${name}.pcap`, () => {
    const c = capture(name);
    const m = c.manifest;

    test('link type and frame count match the manifest; every frame is a Link datagram', () => {
      assert.equal(LINK_TYPE_NAMES[c.file.linkType], m.linkType);
      assert.equal(c.file.records.length, m.frames);
      assert.equal(c.datagrams.length, m.decoded);
      assert.equal(c.datagrams.length, c.file.records.length, 'every captured frame decodes as UDP with a Link magic');
      for (const d of c.discovery) assert.ok(isDiscoveryFrame(d.bytes));
      for (const d of c.sync) assert.ok(isMeasurementFrame(d.bytes));
    });

    test('message-type counts match the manifest', () => {
      const counts = new Map<string, number>();
      for (const d of c.discovery) {
        const k = `discovery/${DISCOVERY_TYPE_NAMES[d.discovery.type] ?? `type${d.discovery.type}`}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const d of c.sync) {
        const k = `sync/${SYNC_TYPE_NAMES[d.measurement.type] ?? `type${d.measurement.type}`}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      assert.deepEqual(new Map(sorted(counts)), new Map(sorted(m.counts)));
    });

    test('distinct NodeIds and the source addresses each transmits from match the manifest', () => {
      const via = new Map<string, Set<string>>();
      for (const d of c.discovery) {
        (via.get(d.discovery.nodeId) ?? via.set(d.discovery.nodeId, new Set()).get(d.discovery.nodeId))?.add(d.udp.srcAddr);
      }
      assert.equal(via.size, m.distinctPeers);
      assert.deepEqual(sorted(via.keys()), sorted(m.gateways.keys()));
      for (const [node, addrs] of via) assert.deepEqual(sorted(addrs), sorted(m.gateways.get(node) ?? []), node);
      assert.deepEqual(sorted(new Set([...via.values()].map((s) => s.size)), numeric), m.gatewaysPerPeer);
    });

    test('destination ports by protocol match the manifest', () => {
      const ports = (ds: LinkDatagram[]) => sorted(new Set(ds.map((d) => d.udp.dstPort)), numeric);
      assert.deepEqual({ discovery: ports(c.discovery), sync: ports(c.sync) }, m.destinationPorts);
      // Alives and ByeByes go to the multicast group on 20808; Responses are unicast.
      for (const d of c.discovery) {
        const multicast = d.discovery.type !== MessageType.Response;
        assert.equal(d.udp.dstAddr === '224.76.78.75' && d.udp.dstPort === 20808, multicast, `record ${d.udp.index}`);
      }
    });

    test('peer-state entry sets and datagram sizes match the manifest', () => {
      const got = shapes(peerStates(c).map((d) => ({ key: d.keys, size: d.bytes.length })));
      const want = new Map(m.peerStateShapes.map((s) => [JSON.stringify(s.keys), s.sizes]));
      assert.deepEqual(got, want);
    });

    test('timeline tempos, beatOrigin range and start/stop states match the manifest', () => {
      const states = peerStates(c).map((d) => d.discovery.state ?? {});
      const tempos = new Set<number>();
      const origins: number[] = [];
      const playing = new Set<number>();
      const ststStates = new Set<string>();
      for (const s of states) {
        if (s.timeline) {
          tempos.add(s.timeline.microsPerBeat);
          origins.push(s.timeline.beatOrigin);
        }
        if (s.startStop) {
          playing.add(s.startStop.isPlaying ? 1 : 0);
          ststStates.add(JSON.stringify(s.startStop));
        }
      }
      assert.deepEqual(sorted(tempos, numeric), m.tempos);
      assert.deepEqual([Math.min(...origins), Math.max(...origins)], m.beatOriginRange);
      assert.deepEqual(sorted(playing, numeric), m.isPlaying);
      assert.equal(ststStates.size, m.startStopStates);
    });

    test('sync message shapes and sizes match the manifest', () => {
      const got = shapes(c.sync.map((d) => ({
        key: [SYNC_TYPE_NAMES[d.measurement.type] ?? '?', ...d.keys],
        size: d.bytes.length,
      })));
      const want = new Map(m.syncShapes.map((s) => [JSON.stringify(s.shape), s.sizes]));
      assert.deepEqual(got, want);
    });

    test('key sizes stated by the spec: alive/response 107, byebye 20, ping 25/41, pong 57/73', () => {
      for (const d of c.discovery) {
        const msg = d.discovery;
        assert.equal(msg.groupId, 0);
        if (msg.type === MessageType.ByeBye) {
          assert.equal(d.bytes.length, 20);
          assert.equal(msg.ttl, 0);
          assert.equal(msg.state, undefined);
        } else {
          assert.ok(msg.type === MessageType.Alive || msg.type === MessageType.Response, `type ${msg.type}`);
          assert.equal(d.bytes.length, 107);
          assert.equal(msg.ttl, 5);
          assert.deepEqual(d.keys, ['tmln', 'sess', 'stst', 'mep4']);
          assert.equal(msg.state?.unknown, undefined);
          // Each gateway advertises its own address as the measurement endpoint.
          assert.equal(msg.state?.measurementV4?.address, d.udp.srcAddr);
        }
      }
      const sizes = (type: number) => sorted(new Set(c.sync.filter((d) => d.measurement.type === type).map((d) => d.bytes.length)), numeric);
      assert.deepEqual(sizes(PING), [25, 41]);
      assert.deepEqual(sizes(PONG), [57, 73]);
      assert.ok(c.discovery.some((d) => d.discovery.type === MessageType.ByeBye));
    });

    test('every decoded message re-encodes byte-identical', () => {
      for (const d of c.discovery) {
        assert.deepEqual(encodeDiscovery(d.discovery), d.bytes, `discovery record ${d.udp.index}`);
        assert.equal(discoveryLength(d.discovery), d.bytes.length);
      }
      for (const d of c.sync) {
        assert.deepEqual(encodeMeasurement(d.measurement), d.bytes, `sync record ${d.udp.index}`);
        assert.equal(measurementLength(d.measurement), d.bytes.length);
      }
    });

    test('alives from one node on one gateway are >= 50 ms apart, typically 250 ms', () => {
      // Keyed by capture interface too: a LINUX_SLL2 capture sees a veth datagram twice.
      const times = new Map<string, number[]>();
      for (const d of c.discovery) {
        if (d.discovery.type !== MessageType.Alive) continue;
        const k = `${d.discovery.nodeId} ${endpoint(d.udp.srcAddr, d.udp.srcPort)} if${d.udp.interfaceIndex ?? '-'}`;
        (times.get(k) ?? times.set(k, []).get(k))?.push(d.udp.timestampMicros);
      }
      let checked = 0;
      for (const [k, ts] of times) {
        const gaps = ts.slice(1).map((t, i) => t - (ts[i] ?? 0));
        for (const g of gaps) assert.ok(g >= 50_000 - 2_000, `${k}: alives ${g} µs apart`);
        if (gaps.length >= 4) {
          const med = median(gaps);
          assert.ok(Math.abs(med - 250_000) <= 25_000, `${k}: median spacing ${med} µs`);
          checked++;
        }
      }
      assert.ok(checked >= 2, 'at least two nodes announce repeatedly');
    });

    test("each pong echoes the preceding ping's payload from that endpoint", () => {
      const lastPing = new Map<string, LinkDatagram & { measurement: MeasurementMessage }>();
      let pongs = 0;
      for (const d of c.sync) {
        const { udp } = d;
        if (d.measurement.type === PING) {
          assert.ok(d.bytes.length - 9 <= 32, 'captured pings fit the responder limit');
          lastPing.set(`${endpoint(udp.srcAddr, udp.srcPort)}>${endpoint(udp.dstAddr, udp.dstPort)}`, d);
          continue;
        }
        const ping = lastPing.get(`${endpoint(udp.dstAddr, udp.dstPort)}>${endpoint(udp.srcAddr, udp.srcPort)}`);
        assert.ok(ping, `pong record ${udp.index} without a preceding ping`);
        assert.deepEqual(d.bytes.subarray(9 + 32), ping.bytes.subarray(9), `pong record ${udp.index}`);
        assert.equal(d.measurement.hostTime, ping.measurement.hostTime);
        assert.equal(d.measurement.prevGhostTime, ping.measurement.prevGhostTime);
        // The responder side of the codec reproduces the captured pong exactly.
        const { sessionId, ghostTime } = d.measurement;
        assert.ok(sessionId !== undefined && ghostTime !== undefined);
        assert.deepEqual(encodePongEcho(ping.bytes, sessionId, ghostTime), d.bytes);
        pongs++;
      }
      assert.equal(pongs, m.counts.get('sync/Pong'));
    });

    test('chain pings carry the previous pong’s __gt as _pgt', () => {
      const lastPong = new Map<string, MeasurementMessage>();
      for (const d of c.sync) {
        const { udp } = d;
        if (d.measurement.type === PONG) {
          lastPong.set(`${endpoint(udp.dstAddr, udp.dstPort)}>${endpoint(udp.srcAddr, udp.srcPort)}`, d.measurement);
        } else if (d.measurement.prevGhostTime !== undefined) {
          const pong = lastPong.get(`${endpoint(udp.srcAddr, udp.srcPort)}>${endpoint(udp.dstAddr, udp.dstPort)}`);
          assert.equal(d.measurement.prevGhostTime, pong?.ghostTime, `ping record ${udp.index}`);
        }
      }
    });
  });
}

test('sync-tempo-change: the beatOrigin strictly increases whenever the tempo changes', () => {
  const c = capture('sync-tempo-change');
  const last = new Map<string, { microsPerBeat: number; beatOrigin: number }>();
  let changes = 0;
  for (const d of peerStates(c)) {
    const tl = d.discovery.state?.timeline;
    const sess = d.discovery.state?.sessionId;
    assert.ok(tl && sess);
    const k = `${d.discovery.nodeId}/${sess}`;
    const prev = last.get(k);
    if (prev && prev.microsPerBeat !== tl.microsPerBeat) {
      assert.ok(tl.beatOrigin > prev.beatOrigin, `${k}: tempo ${prev.microsPerBeat} → ${tl.microsPerBeat} with beatOrigin ${prev.beatOrigin} → ${tl.beatOrigin}`);
      changes++;
    }
    last.set(k, tl);
  }
  assert.ok(changes >= 3, `${changes} tempo changes seen`);
  // Within one session, each newly gossiped timeline carries a larger beatOrigin than all before.
  const firstSeen = new Map<string, Map<string, number>>();
  for (const d of peerStates(c)) {
    const { timeline, sessionId } = d.discovery.state ?? {};
    if (!timeline || !sessionId) continue;
    const perSession = firstSeen.get(sessionId) ?? firstSeen.set(sessionId, new Map()).get(sessionId);
    const key = JSON.stringify(timeline);
    if (perSession && !perSession.has(key)) {
      const highest = Math.max(-Infinity, ...perSession.values());
      assert.ok(timeline.beatOrigin > highest, `session ${sessionId}: new timeline ${key} after beatOrigin ${highest}`);
      perSession.set(key, timeline.beatOrigin);
    }
  }
});

test('sync-tempo-change: tempos are µs per beat of whole bpm values', () => {
  const c = capture('sync-tempo-change');
  for (const tempo of c.manifest.tempos) {
    const bpm = 60e6 / tempo;
    assert.ok(Math.abs(bpm - Math.round(bpm)) < 1e-3, `${tempo} µs/beat = ${bpm} bpm`);
    assert.equal(Math.round(60e6 / Math.round(bpm)), tempo);
  }
});

test('discovery-join-leave: after a ByeBye the survivor announces under a new NodeId', () => {
  const c = capture('discovery-join-leave');
  const byeIndex = c.discovery.findIndex((d) => d.discovery.type === MessageType.ByeBye);
  assert.ok(byeIndex > 0);
  const bye = c.discovery[byeIndex];
  assert.ok(bye);
  const before = c.discovery.slice(0, byeIndex);
  const after = c.discovery.slice(byeIndex + 1);
  const departed = bye.discovery.nodeId;
  assert.ok(!after.some((d) => d.discovery.nodeId === departed), 'the departed node stays silent');
  const known = new Set(before.map((d) => d.discovery.nodeId));
  const next = after.find((d) => d.discovery.type === MessageType.Alive);
  assert.ok(next, 'an alive follows the byebye');
  const fresh = next.discovery.nodeId;
  assert.ok(!known.has(fresh), `${fresh} is new`);
  // The survivor: the other node that was announcing from the same discovery socket.
  const survivor = before.filter((d) => d.udp.srcPort === next.udp.srcPort && d.udp.srcAddr === next.udp.srcAddr);
  assert.ok(survivor.length > 0, 'the new NodeId announces from a socket seen before');
  const old = survivor.at(-1);
  assert.ok(old && old.discovery.nodeId !== departed && old.discovery.nodeId !== fresh);
  assert.ok(!after.some((d) => d.discovery.nodeId === old.discovery.nodeId), 'the survivor drops its old NodeId');
  // It founds a fresh session (sessionId = its new NodeId), keeping tempo and measurement endpoint.
  assert.equal(next.discovery.state?.sessionId, fresh);
  assert.equal(next.discovery.state?.timeline?.microsPerBeat, old.discovery.state?.timeline?.microsPerBeat);
  assert.deepEqual(next.discovery.state?.measurementV4, old.discovery.state?.measurementV4);
  assert.ok((next.discovery.state?.timeline?.beatOrigin ?? 0) > (old.discovery.state?.timeline?.beatOrigin ?? 0));
  // The survivor's final ByeBye is under the new NodeId.
  const lastBye = c.discovery.filter((d) => d.discovery.type === MessageType.ByeBye).at(-1);
  assert.equal(lastBye?.discovery.nodeId, fresh);
  // And the manifest's three NodeIds are these three.
  assert.deepEqual(sorted([departed, old.discovery.nodeId, fresh]), sorted(c.manifest.gateways.keys()));
});

test('multi-gateway-discovery: every NodeId announces from two addresses with per-gateway endpoints', () => {
  const c = capture('multi-gateway-discovery');
  const perNode = new Map<string, Map<string, string>>();
  for (const d of peerStates(c)) {
    const mep = d.discovery.state?.measurementV4;
    assert.ok(mep);
    const eps = perNode.get(d.discovery.nodeId) ?? perNode.set(d.discovery.nodeId, new Map()).get(d.discovery.nodeId);
    const prev = eps?.get(d.udp.srcAddr);
    const here = endpoint(mep.address, mep.port);
    if (prev !== undefined) assert.equal(here, prev, 'one measurement endpoint per gateway');
    eps?.set(d.udp.srcAddr, here);
  }
  assert.equal(perNode.size, 2);
  for (const [node, eps] of perNode) {
    assert.equal(eps.size, 2, node);
    assert.equal(new Set(eps.values()).size, 2, `${node}: distinct endpoints per gateway`);
  }
});

test('sync-start-stop: stst.beats is the session beat at stst.timestamp (within a few µbeats)', (t) => {
  const c = capture('sync-start-stop');
  const seen = new Set<string>();
  let compared = 0;
  for (const d of peerStates(c)) {
    const { startStop: st, timeline: tl } = d.discovery.state ?? {};
    assert.ok(st && tl);
    const key = JSON.stringify([st, tl]);
    if (seen.has(key)) continue;
    seen.add(key);
    if (st.timestamp === 0 && st.beats === 0 && !st.isPlaying) continue; // the default state
    const beat = tl.beatOrigin + ((st.timestamp - tl.timeOrigin) * 1e6) / tl.microsPerBeat;
    t.diagnostic(
      `${d.discovery.nodeId} isPlaying=${st.isPlaying} beats=${st.beats} timestamp=${st.timestamp} ` +
        `tmln=(${tl.microsPerBeat}, ${tl.beatOrigin}, ${tl.timeOrigin}) beat@timestamp=${beat} diff=${st.beats - beat} µb`,
    );
    assert.ok(Math.abs(st.beats - beat) <= 10, `stst beats ${st.beats} vs timeline beat ${beat}`);
    compared++;
  }
  assert.ok(compared >= 2);
  const states = new Set(peerStates(c).map((d) => hex(d.bytes.subarray(20 + 32 + 16 + 8, 20 + 32 + 16 + 8 + 17))));
  assert.equal(states.size, c.manifest.startStopStates);
});

// ---------------------------------------------------------------------------------------------
// The pcap reader itself: other byte orders, timestamp resolutions and link types, built by
// re-encapsulating a real capture.

interface SyntheticRecord {
  timestampMicros: number;
  data: Uint8Array;
  originalLength?: number;
}

function writePcap(linkType: number, records: SyntheticRecord[], opts: { bigEndian?: boolean; nanos?: boolean } = {}): Uint8Array {
  const le = !opts.bigEndian;
  const size = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, 262144, le);
  v.setUint32(20, linkType, le);
  let at = 24;
  for (const r of records) {
    const seconds = Math.floor(r.timestampMicros / 1e6);
    const micros = r.timestampMicros - seconds * 1e6;
    v.setUint32(at, seconds, le);
    v.setUint32(at + 4, opts.nanos ? micros * 1000 + 999 : micros, le);
    v.setUint32(at + 8, r.data.length, le);
    v.setUint32(at + 12, r.originalLength ?? r.data.length, le);
    out.set(r.data, at + 16);
    at += 16 + r.data.length;
  }
  return out;
}

const strip = ({ index: _i, interfaceIndex: _f, packetType: _p, ...rest }: UdpDatagram) => rest;

describe('pcap reader', () => {
  const source = capture('sync-tempo-change').file;
  const expected = udpDatagrams(source).map(strip);
  // The IPv4 packets inside the Ethernet frames.
  const ipPackets = source.records.map((r) => ({ timestampMicros: r.timestampMicros, data: r.data.subarray(14) }));
  const wrap = (header: Uint8Array) => ipPackets.map((r) => ({ ...r, data: Buffer.concat([header, r.data]) }));
  const u32 = (v: number, le: boolean) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, le);
    return b;
  };

  test('big-endian and nanosecond files read like the original', () => {
    const ethernet = source.records.map((r) => ({ timestampMicros: r.timestampMicros, data: r.data }));
    for (const opts of [{ bigEndian: true }, { nanos: true }, { bigEndian: true, nanos: true }]) {
      const file = parsePcap(writePcap(LinkType.EN10MB, ethernet, opts));
      assert.equal(file.littleEndian, !opts.bigEndian);
      assert.equal(file.nanosecond, opts.nanos === true);
      assert.deepEqual(udpDatagrams(file).map(strip), expected, JSON.stringify(opts));
    }
  });

  const sll = Buffer.concat([Uint8Array.of(0, 4, 3, 4, 0, 6), new Uint8Array(8), Uint8Array.of(0x08, 0x00)]);
  const sll2 = Buffer.concat([Uint8Array.of(0x08, 0x00, 0, 0, 0, 0, 0, 7, 3, 4, 4, 6), new Uint8Array(8)]);
  const vlan = Buffer.concat([new Uint8Array(12), Uint8Array.of(0x81, 0x00, 0x00, 0x05, 0x08, 0x00)]);
  const cases: Array<[string, number, SyntheticRecord[]]> = [
    ['RAW', LinkType.RAW, ipPackets],
    ['IPV4', LinkType.IPV4, ipPackets],
    ['NULL (little-endian AF_INET)', LinkType.NULL, wrap(u32(2, true))],
    ['NULL (big-endian AF_INET)', LinkType.NULL, wrap(u32(2, false))],
    ['LOOP', LinkType.LOOP, wrap(u32(2, false))],
    ['LINUX_SLL', LinkType.LINUX_SLL, wrap(sll)],
    ['LINUX_SLL2', LinkType.LINUX_SLL2, wrap(sll2)],
    ['EN10MB with an 802.1Q tag', LinkType.EN10MB, wrap(vlan)],
  ];
  for (const [name, linkType, records] of cases) {
    test(`link type ${name}`, () => {
      const datagrams = udpDatagrams(parsePcap(writePcap(linkType, records)));
      assert.deepEqual(datagrams.map(strip), expected);
      if (linkType === LinkType.LINUX_SLL2) assert.ok(datagrams.every((d) => d.interfaceIndex === 7 && d.packetType === 4));
      if (linkType === LinkType.LINUX_SLL) assert.ok(datagrams.every((d) => d.packetType === 4));
    });
  }

  test('IPv6 with an extension header; fragments, truncated and non-UDP packets are skipped', () => {
    const udpPayload = Uint8Array.of(0x5f, 0x6c, 0x69, 0x6e, 0x6b, 0x5f, 0x76, 0x01, 1);
    const udp = Buffer.concat([Uint8Array.of(0x9c, 0x40, 0x51, 0x48, 0, 8 + udpPayload.length, 0, 0), udpPayload]);
    const hopByHop = Uint8Array.of(17, 0, 1, 4, 0, 0, 0, 0);
    const src = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x1c, 0x2b, 0x3a, 0xff, 0xfe, 0x4d, 0x5e, 0x6f);
    const dst = Uint8Array.of(0xff, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80);
    const v6 = Buffer.concat([
      Uint8Array.of(0x60, 0, 0, 0, 0, hopByHop.length + udp.length, 0, 64),
      src,
      dst,
      hopByHop,
      udp,
    ]);
    const ip4 = ipPackets[0]?.data ?? new Uint8Array(0);
    const fragment = ip4.slice();
    fragment[6] = 0x20; // more fragments
    const tcp = ip4.slice();
    tcp[9] = 6;
    const file = parsePcap(writePcap(LinkType.RAW, [
      { timestampMicros: 1_000_001, data: v6 },
      { timestampMicros: 2, data: fragment },
      { timestampMicros: 3, data: tcp },
      { timestampMicros: 4, data: ip4.subarray(0, ip4.length - 1), originalLength: ip4.length },
      { timestampMicros: 5, data: Uint8Array.of(0x45, 0) },
    ]));
    assert.equal(file.records.length, 5);
    const got = udpDatagrams(file);
    assert.equal(got.length, 1);
    assert.deepEqual(strip(got[0] as UdpDatagram), {
      timestampMicros: 1_000_001,
      ipVersion: 6,
      srcAddr: 'fe80::1c2b:3aff:fe4d:5e6f',
      srcPort: 40000,
      dstAddr: 'ff12::8080',
      dstPort: 20808,
      payload: udpPayload,
    });
    assert.equal(formatIpv6(new Uint8Array(16)), '::');
    assert.equal(formatIpv6(Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1)), '2001:db8:0:1::1');
  });

  test('malformed files throw PcapFormatError', () => {
    const good = writePcap(LinkType.RAW, ipPackets.slice(0, 2));
    assert.throws(() => parsePcap(good.subarray(0, 20)), PcapFormatError);
    assert.throws(() => parsePcap(good.subarray(0, good.length - 1)), PcapFormatError);
    assert.throws(() => parsePcap(good.subarray(0, 24 + 10)), PcapFormatError);
    assert.throws(() => parsePcap(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, ...new Uint8Array(20))), /pcapng/);
    assert.throws(() => parsePcap(new Uint8Array(24)), PcapFormatError);
  });
});
