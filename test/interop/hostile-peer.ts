/**
 * A hostile Link peer for test/interop/link-hostile.test.ts (issue #10, point 3): it watches the
 * multicast group to learn the real peers (node ids, sessions, endpoints, their Alives), then
 * sends, on command, every class of datagram found to hurt a Link peer. Run inside a network
 * namespace only (every address it binds is in 127.66.0.0/16 on the namespace's `lo`).
 *
 * JSON-line protocol as in harness.ts: one command per stdin line, `<name> [json-arguments]`,
 * exactly one reply line per command, in order (commands run one after another; the long ones
 * reply when they are done). Commands:
 *
 * - `peers`: the real peers heard on the group, by discovery endpoint.
 * - `target {"nodeId"}`: aim at the peer announcing `nodeId` (tracked by its discovery endpoint
 *   from then on, so it stays the target when it re-rolls its id).
 * - `port0`, `huge`, `junk`, `dupid`, `ownid`: one-shot classes (see each function).
 * - `ghost {"durationMs"}`, `victim {"durationMs"}`: announce forged sessions every 250 ms and
 *   report what the target sent to the endpoints they name.
 * - `fuzz {"count","seed"}`: mutated and truncated datagrams from the pcap corpus and the live
 *   Alives; `oversized`: valid datagrams padded to 600, 2000 and 60 000 bytes.
 * - `flood {"ratePerSec","durationMs","multicast"}`: Alives from random node ids, paced per 1 ms
 *   timer turn, from 256 forged source addresses; reports the rate actually reached.
 *
 * Datagrams aimed at phaselock alone go unicast to its discovery socket (the socket its Alives
 * come from; the gateway reads it through the same path as the group, Gateway.onDiscovery), so
 * the Ableton peers stay an untouched reference; the flood goes to the group, as a LAN
 * attacker's would, unless told otherwise.
 */
import { randomFillSync } from 'node:crypto';
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { SeededRandom } from '../../src/core/prng.ts';
import {
  decodeDiscovery, DISCOVERY_MAGIC, DISCOVERY_PORT, encodeDiscovery, MessageType, MULTICAST_GROUP_V4, type PeerState,
} from '../../src/link/discovery-codec.ts';
import { encodeMeasurement, encodePongEcho, MEASUREMENT_MAGIC, PING, PONG } from '../../src/link/measurement-codec.ts';
import { fourcc } from '../../src/link/payload.ts';
import { nodeIdFromBytes, type Endpoint, type NodeId, type StartStopState, type Timeline } from '../../src/link/types.ts';
import { loadPcap, udpDatagrams } from '../helpers/pcap.ts';

const GROUP: Endpoint = { address: MULTICAST_GROUP_V4, port: DISCOVERY_PORT };
const OWN_PREFIX = '127.66.';
const PLAIN_TIMELINE: Timeline = { microsPerBeat: 500_000, beatOrigin: 0, timeOrigin: 0 };
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const key = (e: Endpoint) => `${e.address}:${e.port}`;

// ------------------------------------------------------------------------------------------
// Sockets

interface Sock {
  s: dgram.Socket;
  address: string;
  port: number;
}

const counters = { sendErrors: 0, lastSendError: '' };
// The destinations are IP literals: no resolver round trip per datagram.
const ipLookup = (address: string, _f: unknown, cb: (err: Error | null, address: string, family: number) => void) => cb(null, address, 4);

async function openSocket(address: string, onMessage?: (msg: Buffer, from: Endpoint) => void): Promise<Sock> {
  const s = dgram.createSocket({ type: 'udp4', lookup: ipLookup } as dgram.SocketOptions);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => {
      s.off('error', reject);
      resolve();
    });
  });
  s.on('error', (err) => {
    counters.sendErrors++;
    counters.lastSendError = err.message;
  });
  if (onMessage) s.on('message', (m, r) => onMessage(m, { address: r.address, port: r.port }));
  s.setMulticastInterface('127.0.0.1');
  s.setMulticastLoopback(true);
  return { s, address, port: s.address().port };
}

function send(sock: Sock, data: Uint8Array, to: Endpoint): void {
  sock.s.send(data, to.port, to.address, (err) => {
    if (err) {
      counters.sendErrors++;
      counters.lastSendError = err.message;
    }
  });
}

/** Responses (discovery datagrams) that came back to the source pool, by sender. */
const replies = { fromTarget: 0, fromOthers: 0 };
const pool: Sock[] = [];

/** 256 sockets on 256 source addresses (127.66.1.1 … 127.66.2.128), opened once. */
async function sourcePool(): Promise<Sock[]> {
  if (pool.length > 0) return pool;
  for (let i = 0; i < 256; i++) {
    pool.push(await openSocket(`${OWN_PREFIX}${1 + (i >> 7)}.${1 + (i & 127)}`, (_m, from) => {
      if (target && key(from) === target) replies.fromTarget++;
      else replies.fromOthers++;
    }));
  }
  return pool;
}

let mainSock: Sock;

// ------------------------------------------------------------------------------------------
// Watching the group

interface Observed {
  from: Endpoint;
  nodeId: NodeId;
  sessionId?: NodeId;
  mep?: Endpoint;
  timeline?: Timeline;
  startStop?: StartStopState;
  alives: number;
  last: Uint8Array;
}

/** Real peers by discovery endpoint (their Alives, heard on the group). */
const observed = new Map<string, Observed>();
let target: string | undefined;

async function watchGroup(): Promise<void> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  s.on('message', (msg, r) => {
    if (r.address.startsWith(OWN_PREFIX)) return; // our own multicast, looped back
    let m;
    try {
      m = decodeDiscovery(msg);
    } catch {
      return;
    }
    if (m.type !== MessageType.Alive && m.type !== MessageType.Response) return;
    const from = { address: r.address, port: r.port };
    const o = observed.get(key(from)) ?? { from, nodeId: m.nodeId, alives: 0, last: new Uint8Array(0) };
    Object.assign(o, {
      nodeId: m.nodeId, sessionId: m.state?.sessionId, mep: m.state?.measurementV4, timeline: m.state?.timeline,
      startStop: m.state?.startStop, alives: o.alives + 1, last: new Uint8Array(msg),
    });
    observed.set(key(from), o);
  });
  await new Promise<void>((resolve) => s.bind({ port: DISCOVERY_PORT, exclusive: false }, resolve));
  s.addMembership(MULTICAST_GROUP_V4, '127.0.0.1');
}

function theTarget(): Observed & { mep: Endpoint; sessionId: NodeId; timeline: Timeline } {
  const o = target === undefined ? undefined : observed.get(target);
  if (!o || !o.mep || !o.sessionId || !o.timeline) throw new Error('no target (or it announced no session, timeline or mep4)');
  return o as Observed & { mep: Endpoint; sessionId: NodeId; timeline: Timeline };
}

// ------------------------------------------------------------------------------------------
// Datagrams

const rng = new SeededRandom(0x40571e);
const randomId = (): NodeId => nodeIdFromBytes(rng.bytes(8));

function alive(nodeId: NodeId, state: PeerState, ttl = 5): Uint8Array {
  return encodeDiscovery({ type: MessageType.Alive, ttl, groupId: 0, nodeId, state });
}

/** Offset of the value of payload entry `name` in an encoded message (-1 if absent). */
function entryValueAt(bytes: Uint8Array, name: string): number {
  const k = fourcc(name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = bytes[1] === 0x61 ? 20 : 9; at + 8 <= bytes.length; at += 8 + view.getUint32(at + 4)) {
    if (view.getUint32(at) === k) return at + 8;
  }
  return -1;
}

/** `bytes` with the int64 at `field` bytes into entry `name` replaced by `v` (any int64). */
function patchI64(bytes: Uint8Array, name: string, field: number, v: bigint): Uint8Array {
  const b = bytes.slice();
  new DataView(b.buffer).setBigInt64(entryValueAt(b, name) + field, v);
  return b;
}

// ------------------------------------------------------------------------------------------
// One-shot classes

/** Alives of unknown sessions whose mep4 has port 0 (the datagram that once killed the process). */
function port0(): object {
  let sent = 0;
  for (let i = 0; i < 4; i++) {
    const id = randomId();
    const bytes = alive(id, { timeline: PLAIN_TIMELINE, sessionId: id, measurementV4: { address: mainSock.address, port: 0 } });
    send(mainSock, bytes, GROUP);
    send(mainSock, bytes, theTarget().from);
    sent += 2;
  }
  return { sent };
}

/**
 * Alives claiming the target's session with timelines and start/stop states at the edge of
 * int64: near 2^53 (decodable, refused by plausibility) and beyond (refused by the decoder).
 */
async function huge(): Promise<object> {
  const t = theTarget();
  const near = 2 ** 53 - 10;
  const stamp = (t.startStop?.timestamp ?? 0) + 1;
  const base = (over: Partial<PeerState>) => alive(randomId(), { timeline: t.timeline, sessionId: t.sessionId, ...over });
  const forged: Array<[string, Uint8Array]> = [
    ['beat origin 2^53-10', base({ timeline: { ...t.timeline, beatOrigin: near } })],
    ['time origin 2^53-10', base({ timeline: { ...t.timeline, timeOrigin: near } })],
    ['time origin -(2^53-10)', base({ timeline: { ...t.timeline, timeOrigin: -near } })],
    ['stst timestamp 2^53-10', base({ startStop: { isPlaying: true, beats: 0, timestamp: near } })],
    ['stst beats 2^53-10', base({ startStop: { isPlaying: true, beats: near, timestamp: stamp } })],
    ['beat origin 2^62', patchI64(base({}), 'tmln', 8, 2n ** 62n)],
    ['time origin -2^63', patchI64(base({}), 'tmln', 16, -(2n ** 63n))],
    ['stst timestamp 2^63-1', patchI64(base({ startStop: { isPlaying: true, beats: 0, timestamp: stamp } }), 'stst', 9, 2n ** 63n - 1n)],
  ];
  // Spaced out, so that the target's warning limiter (20/s) lets every refusal through.
  for (const [, bytes] of forged) {
    send(mainSock, bytes, t.from);
    await sleep(150);
  }
  return { sent: forged.length, kinds: forged.map(([k]) => k) };
}

/**
 * `count` junk node ids with header ttl 255, each from its own source address: the first `ours`
 * claim the target's session (with its timeline, so they count as its peers), the rest random
 * sessions whose mep4 is a silent sink.
 */
async function junk(args: { count?: number; ours?: number }): Promise<object> {
  const t = theTarget();
  const srcs = await sourcePool();
  const count = args.count ?? 256;
  const ours = args.ours ?? 128;
  for (let i = 0; i < count; i++) {
    const id = randomId();
    const state: PeerState = i < ours
      ? { timeline: t.timeline, sessionId: t.sessionId, ...(t.startStop ? { startStop: t.startStop } : {}) }
      : { timeline: PLAIN_TIMELINE, sessionId: id, measurementV4: { address: sink.address, port: sink.port } };
    send(srcs[i % srcs.length]!, alive(id, state, 255), t.from);
  }
  return { sent: count, ours };
}

/** Another peer's node id from our endpoint, claiming its session with another tempo and a newer beat origin. */
async function dupid(args: { nodeId: NodeId }): Promise<object> {
  const t = theTarget();
  for (let i = 0; i < 20; i++) {
    send(mainSock, alive(args.nodeId, {
      timeline: { microsPerBeat: 300_000, beatOrigin: t.timeline.beatOrigin + 1_000_000 * (i + 1), timeOrigin: t.timeline.timeOrigin },
      sessionId: t.sessionId, measurementV4: { address: mainSock.address, port: mainSock.port },
    }), t.from);
    await sleep(50);
  }
  return { sent: 20 };
}

/** The target's own node id, from our endpoint. */
function ownid(): object {
  const t = theTarget();
  const bytes = alive(t.nodeId, { timeline: t.timeline, sessionId: t.sessionId, measurementV4: { address: mainSock.address, port: mainSock.port } });
  for (let i = 0; i < 2; i++) send(mainSock, bytes, t.from);
  return { sent: 2, nodeId: t.nodeId };
}

// ------------------------------------------------------------------------------------------
// Forged sessions over time

/**
 * Sessions with the smallest ids (they would win every tie) whose mep4 is one of our sockets;
 * every ping is answered with a pong echoing it, but with a ghost time out of range.
 */
async function ghost(args: { durationMs?: number }): Promise<object> {
  const t = theTarget();
  const variants = [2 ** 53 - 1, 2 ** 49 - 1000, -(2 ** 52)].map((gt, i) => ({
    gt, session: `000000000000000${i + 1}`, pings: 0, pongs: 0, sock: undefined as Sock | undefined,
  }));
  for (const [i, v] of variants.entries()) {
    v.sock = await openSocket(`${OWN_PREFIX}202.${i + 1}`, (msg, from) => {
      if (msg[8] !== PING || !MEASUREMENT_MAGIC.every((b, j) => msg[j] === b)) return;
      v.pings++;
      const pong = encodePongEcho(msg, v.session, v.gt);
      if (pong) {
        v.pongs++;
        send(v.sock!, pong, from);
      }
    });
  }
  const end = Date.now() + (args.durationMs ?? 2500);
  while (Date.now() < end) {
    for (const v of variants) {
      send(mainSock, alive(v.session, { timeline: PLAIN_TIMELINE, sessionId: v.session, measurementV4: { address: v.sock!.address, port: v.sock!.port } }), t.from);
    }
    await sleep(250);
  }
  await sleep(300); // the last measurements run out
  for (const v of variants) v.sock!.s.close();
  return { variants: variants.map(({ gt, session, pings, pongs }) => ({ gt, session, pings, pongs })) };
}

/**
 * Spoofed sessions naming third parties in mep4: a silent "victim" socket on the target's
 * subnet (its pings are counted) and an address off the subnet (never to be pinged).
 */
async function victim(args: { durationMs?: number }): Promise<object> {
  const t = theTarget();
  const stats = { pings: 0, pingsFromTarget: 0, alives: 0, elapsedMs: 0 };
  const sock = await openSocket(`${OWN_PREFIX}200.1`, (msg, from) => {
    if (msg[8] !== PING || !MEASUREMENT_MAGIC.every((b, j) => msg[j] === b)) return;
    stats.pings++;
    if (key(from) === key(theTarget().mep)) stats.pingsFromTarget++;
  });
  const onSubnet = randomId();
  const offSubnet = randomId();
  const offEndpoint = { address: '10.9.0.2', port: 9 };
  const t0 = Date.now();
  while (Date.now() - t0 < (args.durationMs ?? 8000)) {
    send(mainSock, alive(onSubnet, { timeline: PLAIN_TIMELINE, sessionId: onSubnet, measurementV4: { address: sock.address, port: sock.port } }), t.from);
    send(mainSock, alive(offSubnet, { timeline: PLAIN_TIMELINE, sessionId: offSubnet, measurementV4: offEndpoint }), t.from);
    stats.alives += 2;
    await sleep(250);
  }
  await sleep(400);
  stats.elapsedMs = Date.now() - t0;
  sock.s.close();
  return { ...stats, victim: key({ address: sock.address, port: sock.port }), offSubnet: key(offEndpoint) };
}

// ------------------------------------------------------------------------------------------
// Fuzzing

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_U32 = [0, 1, 6, 8, 17, 18, 24, 32, 511, 512, 0x7fffffff, 0xffffffff];
const KEYS = ['tmln', 'sess', 'stst', 'mep4', 'mep6', '__ht', '__gt', '_pgt'].map(fourcc);

/** The Link datagrams of the link-wire-spec captures, deduplicated: [discovery, measurement]. */
function pcapCorpus(): [Uint8Array[], Uint8Array[]] {
  const dir = new URL('../fixtures/link-wire-spec/', import.meta.url);
  const seen = new Set<string>();
  const discovery: Uint8Array[] = [];
  const measurement: Uint8Array[] = [];
  for (const name of ['discovery-join-leave', 'multi-gateway-discovery', 'sync-start-stop', 'sync-tempo-change']) {
    for (const d of udpDatagrams(loadPcap(new URL(`${name}.pcap`, dir)))) {
      const p = d.payload;
      const k = Buffer.from(p).toString('hex');
      if (p.length < 9 || seen.has(k)) continue;
      seen.add(k);
      if (DISCOVERY_MAGIC.every((b, i) => p[i] === b)) discovery.push(p.slice());
      else if (MEASUREMENT_MAGIC.every((b, i) => p[i] === b)) measurement.push(p.slice());
    }
  }
  return [discovery, measurement];
}

/** One to three mutations; `truncated` tells whether the last one cut the datagram short. */
function mutate(r: SeededRandom, input: Uint8Array, corpus: readonly Uint8Array[]): { bytes: Uint8Array; truncated: boolean } {
  let b = Buffer.from(input);
  let truncated = false;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const pos = (extra = 0) => r.int(b.length + extra);
    truncated = false;
    switch (r.int(8)) {
      case 0: for (let i = 1 + r.int(4); i > 0 && b.length > 0; i--) {
        const p = pos();
        b[p] = b[p]! ^ (1 + r.int(255));
      } break;
      case 1: if (b.length > 0) b[pos()] = INTERESTING_BYTES[r.int(INTERESTING_BYTES.length)]!; break;
      case 2: if (b.length >= 4) b.writeUInt32BE(r.int(2) ? INTERESTING_U32[r.int(INTERESTING_U32.length)]! : KEYS[r.int(KEYS.length)]!, r.int(b.length - 3)); break;
      case 3: { const p = pos(1); b = Buffer.concat([b.subarray(0, p), r.bytes(1 + r.int(8)), b.subarray(p)]); break; }
      case 4: { const p = pos(); b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + r.int(8))]); break; }
      case 5: if (b.length >= 8) b.writeBigInt64BE(r.int(2) ? 2n ** 63n - 1n - BigInt(r.int(16)) : 2n ** 53n - BigInt(r.int(16)), r.int(b.length - 7)); break;
      case 6: { const o = corpus[r.int(corpus.length)]!; b = Buffer.concat([b.subarray(0, pos(1)), o.subarray(r.int(o.length + 1))]); break; }
      default: b = b.subarray(0, pos()); truncated = true;
    }
  }
  return { bytes: new Uint8Array(b), truncated };
}

/** A valid message padded with an unknown payload entry to `length` bytes. */
function padded(valid: Uint8Array, length: number): Uint8Array {
  const b = Buffer.alloc(length, 0xa5);
  Buffer.from(valid).copy(b);
  b.writeUInt32BE(fourcc('xpad'), valid.length);
  b.writeUInt32BE(length - valid.length - 8, valid.length + 4);
  return new Uint8Array(b);
}

/**
 * `count` mutated datagrams (seeded) from the pcap corpus, the live Alives of every real peer and
 * pings/pongs, to the target's discovery and measurement sockets from 16 forged sources, at
 * ~2500/s.
 */
async function fuzz(args: { count?: number; seed?: number }): Promise<object> {
  const t = theTarget();
  const srcs = (await sourcePool()).slice(0, 16);
  const r = new SeededRandom(args.seed ?? 1);
  const ping = encodeMeasurement({ type: PING, hostTime: 123_456_789, prevGhostTime: 987_654 });
  const pong = encodeMeasurement({ type: PONG, sessionId: t.sessionId, ghostTime: 5_000_000, hostTime: 123_456_789, prevGhostTime: 987_654 });
  const live = [...observed.values()].map((o) => o.last);
  const [discovery, measurement] = pcapCorpus();
  // The live Alives weigh as much as the captures; every datagram goes to the socket of its kind.
  const corpora = [[...discovery, ...Array.from({ length: discovery.length }, (_, i) => live[i % live.length]!)], [...measurement, ping, pong]];
  const all = corpora.flat();
  const stats = { sent: 0, toDiscovery: 0, toMeasurement: 0, truncated: 0, corpus: all.length };
  const count = args.count ?? 5000;
  for (let i = 0; i < count; i++) {
    const kind = r.int(2);
    const list = corpora[kind]!;
    const { bytes, truncated } = mutate(r, list[r.int(list.length)]!, all);
    send(srcs[i % srcs.length]!, bytes, kind === 0 ? t.from : t.mep);
    stats.sent++;
    if (kind === 0) stats.toDiscovery++;
    else stats.toMeasurement++;
    if (truncated) stats.truncated++;
    if (i % 25 === 24) await sleep(10);
  }
  return stats;
}

/** Valid Alives and pings padded with an unknown entry to 600, 2000 and 60 000 bytes. */
function oversized(): object {
  const t = theTarget();
  const ping = encodeMeasurement({ type: PING, hostTime: 123_456_789 });
  const lengths = [600, 2000, 60_000];
  for (const length of lengths) {
    send(mainSock, padded(t.last, length), t.from);
    send(mainSock, padded(t.last, length), GROUP);
    send(mainSock, padded(ping, length), t.mep);
  }
  return { sent: lengths.length * 3, lengths };
}

// ------------------------------------------------------------------------------------------
// The flood

/**
 * Alives from random node ids (each its own session, ttl 255, mep4 a random 127.200.x.y
 * endpoint), round robin over the 256 source sockets. Paced per 1 ms timer turn: each turn
 * sends what the rate owes since the start, so a slow turn is caught up, never skipped.
 */
async function flood(args: { ratePerSec?: number; durationMs?: number; multicast?: boolean }): Promise<object> {
  const t = theTarget();
  const srcs = await sourcePool();
  const rate = args.ratePerSec ?? 12_000;
  const durationMs = args.durationMs ?? 3500;
  const to = args.multicast === false ? t.from : GROUP;
  const template = Buffer.from(alive('0000000000000000', {
    timeline: PLAIN_TIMELINE, sessionId: '0000000000000000', measurementV4: { address: '127.200.0.1', port: 1 },
  }, 255));
  const sessAt = entryValueAt(template, 'sess');
  const mepAt = entryValueAt(template, 'mep4');
  const random = Buffer.alloc(64 * 1024);
  let randomAt = random.length;
  const replies0 = { ...replies };
  const errors0 = counters.sendErrors;
  let issued = 0;
  let completed = 0;
  let lastCompletedAt = 0;
  const t0 = performance.now();
  const onSent = (err: Error | null) => {
    if (err) return;
    completed++;
    lastCompletedAt = performance.now();
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0;
      const due = Math.min(Math.floor((rate * Math.min(elapsed, durationMs)) / 1000), issued + 5000);
      for (; issued < due; issued++) {
        if (randomAt + 12 > random.length) {
          randomFillSync(random);
          randomAt = 0;
        }
        const d = Buffer.from(template);
        random.copy(d, 12, randomAt, randomAt + 8); // node id
        random.copy(d, sessAt, randomAt, randomAt + 8); // its own session
        d[mepAt] = 127;
        d[mepAt + 1] = 200;
        d[mepAt + 2] = random[randomAt + 8]!;
        d[mepAt + 3] = random[randomAt + 9]! | 1;
        d.writeUInt16BE(1024 + (random.readUInt16BE(randomAt + 10) % 60_000), mepAt + 4);
        randomAt += 12;
        srcs[issued % srcs.length]!.s.send(d, to.port, to.address, onSent);
      }
      if (elapsed < durationMs) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await sleep(300); // the last sends complete, the last Responses arrive
  const seconds = (lastCompletedAt - t0) / 1000;
  return {
    issued, sent: completed, sendErrors: counters.sendErrors - errors0, seconds, ratePerSec: completed / seconds,
    responsesFromTarget: replies.fromTarget - replies0.fromTarget, responsesFromOthers: replies.fromOthers - replies0.fromOthers,
    to: key(to),
  };
}

// ------------------------------------------------------------------------------------------
// Command loop

let sink: Sock;

async function handle(line: string): Promise<object> {
  const space = line.indexOf(' ');
  const cmd = space < 0 ? line.trim() : line.slice(0, space);
  const args = space < 0 ? {} : JSON.parse(line.slice(space + 1));
  switch (cmd) {
    case 'peers': return { ok: true, peers: [...observed.values()].map(({ last: _last, ...o }) => o) };
    case 'target': {
      const o = [...observed.values()].find((p) => p.nodeId === args.nodeId);
      if (!o) return { ok: false, error: `no peer ${args.nodeId} heard yet` };
      target = key(o.from);
      return { ok: true, target };
    }
    case 'port0': return { ok: true, ...port0() };
    case 'huge': return { ok: true, ...(await huge()) };
    case 'junk': return { ok: true, ...(await junk(args)) };
    case 'dupid': return { ok: true, ...(await dupid(args)) };
    case 'ownid': return { ok: true, ...ownid() };
    case 'ghost': return { ok: true, ...(await ghost(args)) };
    case 'victim': return { ok: true, ...(await victim(args)) };
    case 'fuzz': return { ok: true, ...(await fuzz(args)) };
    case 'oversized': return { ok: true, ...oversized() };
    case 'flood': return { ok: true, ...(await flood(args)) };
    case 'sink': return { ok: true, ...sinkStats };
    case 'quit': setTimeout(() => process.exit(0), 50); return { ok: true };
    default: return { ok: false, error: `unknown command ${cmd}` };
  }
}

const sinkStats = { pings: 0 };

async function main(): Promise<void> {
  mainSock = await openSocket(`${OWN_PREFIX}0.1`);
  sink = await openSocket(`${OWN_PREFIX}201.1`, (msg) => {
    if (msg[8] === PING) sinkStats.pings++;
  });
  await watchGroup();
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    queue = queue.then(async () => {
      try {
        out(await handle(line));
      } catch (err) {
        out({ ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    });
  }).on('close', () => process.exit(0));
  out({ event: 'ready' });
}

void main();
