// Robustness of the Link codecs: every truncation of every valid packet, and a seeded mutation
// fuzzer. A decoder may return a message or throw DecodeError — never anything else. Decoded
// messages re-encode to a fixpoint.
//
// The socket-level cases are on real sockets, in test/interop/link-hostile.test.ts ("socket-level
// fuzzing"): the same pcap corpus plus the live Alives of a running session, mutated and
// truncated, sent to a real phaselock's discovery and measurement sockets (with oversized
// datagrams), inside a network namespace and next to the Ableton peer; phaselock must turn all
// of it into rate-limited warnings and stay in the session. (test/scenarios/link-hostile.test.ts
// has a smaller fake-network version.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../src/core/errors.ts';
import { SeededRandom } from '../src/core/prng.ts';
import {
  DISCOVERY_MAGIC,
  decodeDiscovery,
  encodeDiscovery,
  MessageType,
  type DiscoveryMessage,
} from '../src/link/discovery-codec.ts';
import { MEASUREMENT_MAGIC, decodeMeasurement, encodeMeasurement, type MeasurementMessage } from '../src/link/measurement-codec.ts';
import { fourcc } from '../src/link/payload.ts';
import { discoverySamples, measurementSamples } from './helpers/link-samples.ts';
import { loadPcap, udpDatagrams } from './helpers/pcap.ts';

const FIXTURES = new URL('./fixtures/link-wire-spec/', import.meta.url);
const CAPTURES = ['discovery-join-leave', 'multi-gateway-discovery', 'sync-start-stop', 'sync-tempo-change'];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const startsWith = (b: Uint8Array, magic: Uint8Array) => b.length >= 8 && magic.every((x, i) => b[i] === x);

// ---------------------------------------------------------------------------------------------
// Corpus: every Link datagram of the captures plus the hand-built samples.

function buildCorpus(): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const add = (b: Uint8Array) => {
    const k = hex(b);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(b);
    }
  };
  for (const name of CAPTURES) {
    for (const d of udpDatagrams(loadPcap(new URL(`${name}.pcap`, FIXTURES)))) {
      if (startsWith(d.payload, DISCOVERY_MAGIC) || startsWith(d.payload, MEASUREMENT_MAGIC)) add(d.payload.slice());
    }
  }
  for (const m of Object.values(discoverySamples)) add(encodeDiscovery(m));
  for (const m of Object.values(measurementSamples)) add(encodeMeasurement(m));
  return out;
}

const corpus = buildCorpus();

type Decoder = 'discovery' | 'measurement';

/**
 * Decodes `bytes` from `offset` with one decoder; returns the message, or undefined for a
 * DecodeError. Anything else fails the test with the input attached for reproduction.
 * A decoded message must re-encode to a fixpoint no longer than the input.
 */
function check(which: Decoder, bytes: Uint8Array, offset = 0): DiscoveryMessage | MeasurementMessage | undefined {
  let msg: DiscoveryMessage | MeasurementMessage;
  try {
    msg = which === 'discovery' ? decodeDiscovery(bytes, offset) : decodeMeasurement(bytes, offset);
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    assert.fail(`decode${which} threw ${String(err)} on ${hex(bytes)} at offset ${offset}`);
  }
  const inputLength = bytes.length - offset;
  let encoded: Uint8Array;
  try {
    encoded = which === 'discovery' ? encodeDiscovery(msg as DiscoveryMessage) : encodeMeasurement(msg as MeasurementMessage);
  } catch (err) {
    // Receivers accept 512 bytes, encoders stop at 511 (spec 01 §3.1).
    if (err instanceof RangeError && which === 'discovery' && inputLength === 512) return msg;
    assert.fail(`re-encoding the ${which} message decoded from ${hex(bytes)} threw ${String(err)}`);
  }
  assert.ok(encoded.length <= inputLength, `re-encoding grew ${hex(bytes)}`);
  const again = which === 'discovery' ? encodeDiscovery(decodeDiscovery(encoded)) : encodeMeasurement(decodeMeasurement(encoded));
  assert.deepEqual(again, encoded, `re-encoding is not a fixpoint for ${hex(bytes)}`);
  return msg;
}

/** Offsets at which a payload container starting at `start` can end on an entry boundary. */
function entryBoundaries(b: Uint8Array, start: number): Set<number> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Set([start]);
  for (let at = start; at + 8 <= b.length; ) {
    at += 8 + view.getUint32(at + 4);
    out.add(at);
  }
  return out;
}

test('truncation sweep: every prefix of every valid packet decodes or throws DecodeError', (t) => {
  let prefixes = 0;
  let decodedPrefixes = 0;
  for (const packet of corpus) {
    const isDiscovery = startsWith(packet, DISCOVERY_MAGIC);
    const which: Decoder = isDiscovery ? 'discovery' : 'measurement';
    const other: Decoder = isDiscovery ? 'measurement' : 'discovery';
    assert.ok(check(which, packet), `corpus packet ${hex(packet)} decodes`);
    const header = isDiscovery ? 20 : 9;
    const hasPayload = !isDiscovery || packet[8] === MessageType.Alive || packet[8] === MessageType.Response;
    const boundaries = hasPayload ? entryBoundaries(packet, header) : undefined;
    for (let n = 0; n <= packet.length; n++) {
      const prefix = packet.subarray(0, n);
      const msg = check(which, prefix);
      assert.equal(check(other, prefix), undefined, 'the other decoder rejects the magic');
      // A prefix decodes exactly when it holds the header and ends on an entry boundary.
      const expectOk = n >= header && (boundaries ? boundaries.has(n) : true);
      assert.equal(msg !== undefined, expectOk, `prefix of ${n} bytes of ${hex(packet)}`);
      prefixes++;
      if (msg) decodedPrefixes++;
    }
  }
  t.diagnostic(`${corpus.length} packets, ${prefixes} prefixes x 2 decoders, ${decodedPrefixes} prefixes decoded`);
  assert.ok(corpus.length > 500, `corpus of ${corpus.length} packets`);
  assert.ok(prefixes > 50_000 && decodedPrefixes > corpus.length, `${prefixes} prefixes, ${decodedPrefixes} decoded`);
});

// ---------------------------------------------------------------------------------------------
// Seeded mutation fuzzer

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_U32 = [0, 1, 6, 7, 8, 9, 16, 17, 18, 23, 24, 25, 32, 484, 512, 0x7fffffff, 0x80000000, 0xffffffff];
const KEYS = ['tmln', 'sess', 'stst', 'mep4', 'mep6', 'aep4', 'aep6', '__ht', '__gt', '_pgt'].map(fourcc);

function mutate(rng: SeededRandom, input: Uint8Array): Uint8Array {
  let b = input.slice();
  const pos = (extra = 0) => rng.int(b.length + extra);
  switch (rng.int(10)) {
    case 0: // flip bits in 1..4 bytes
      for (let i = 1 + rng.int(4); i > 0 && b.length > 0; i--) {
        const p = pos();
        b[p] = (b[p] ?? 0) ^ (1 + rng.int(255));
      }
      break;
    case 1: // an interesting byte value
      if (b.length > 0) b[pos()] = INTERESTING_BYTES[rng.int(INTERESTING_BYTES.length)] ?? 0;
      break;
    case 2: { // insert 1..8 random bytes
      const p = pos(1);
      b = Buffer.concat([b.subarray(0, p), rng.bytes(1 + rng.int(8)), b.subarray(p)]);
      break;
    }
    case 3: { // delete 1..8 bytes
      const p = pos();
      b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + rng.int(8))]);
      break;
    }
    case 4: // an interesting u32 (often lands on an entry size)
    case 5: { // or a known key
      if (b.length >= 4) {
        const v = rng.int(2) === 0 ? (INTERESTING_U32[rng.int(INTERESTING_U32.length)] ?? 0) : (KEYS[rng.int(KEYS.length)] ?? 0);
        new DataView(b.buffer, b.byteOffset).setUint32(rng.int(b.length - 3), v);
      }
      break;
    }
    case 6: { // duplicate a chunk at another place
      const from = pos();
      const chunk = b.slice(from, from + 1 + rng.int(32));
      const to = pos(1);
      b = Buffer.concat([b.subarray(0, to), chunk, b.subarray(to)]);
      break;
    }
    case 7: // grow to around the 512-byte limit
      b = Buffer.concat([b, rng.bytes(Math.max(0, 508 + rng.int(8) - b.length))]);
      break;
    case 8: { // splice with another corpus packet
      const other = corpus[rng.int(corpus.length)] ?? b;
      b = Buffer.concat([b.subarray(0, pos(1)), other.subarray(rng.int(other.length + 1))]);
      break;
    }
    default: // truncate
      b = b.subarray(0, pos(1));
  }
  return new Uint8Array(b);
}

test('seeded fuzzer: 120 000 mutated and random buffers never throw anything but DecodeError', (t) => {
  const rng = new SeededRandom(0x5eed11c0);
  const CASES = 120_000;
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < CASES; i++) {
    let bytes: Uint8Array;
    const kind = rng.int(20);
    if (kind === 0) {
      bytes = rng.bytes(rng.int(600)); // fully random
    } else if (kind === 1) {
      const magic = rng.int(2) === 0 ? DISCOVERY_MAGIC : MEASUREMENT_MAGIC; // random after a valid magic
      bytes = new Uint8Array(Buffer.concat([magic, rng.bytes(rng.int(520))]));
    } else {
      bytes = corpus[rng.int(corpus.length)] ?? new Uint8Array(0);
      for (let m = 1 + rng.int(3); m > 0; m--) bytes = mutate(rng, bytes);
    }
    // Sometimes decode from an offset behind some junk.
    let offset = 0;
    if (rng.int(10) === 0) {
      offset = 1 + rng.int(16);
      bytes = new Uint8Array(Buffer.concat([rng.bytes(offset), bytes]));
    }
    for (const which of ['discovery', 'measurement'] as const) {
      if (check(which, bytes, offset)) decoded++;
      else rejected++;
    }
  }
  t.diagnostic(`${CASES} buffers x 2 decoders: ${decoded} decoded, ${rejected} rejected with DecodeError`);
  // The fuzzer must exercise both outcomes substantially.
  assert.ok(decoded > CASES / 20, `${decoded} decoded`);
  assert.ok(rejected > CASES / 2, `${rejected} rejected`);
});
