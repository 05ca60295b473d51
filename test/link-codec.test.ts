// Round trips and rejection rules of the Link discovery and measurement codecs
// (link-wire-spec 00 §4, 01 §3/§6, 02 §3).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter } from '../src/core/byte-io.ts';
import { DecodeError } from '../src/core/errors.ts';
import {
  DISCOVERY_MAGIC,
  decodeDiscovery,
  discoveryLength,
  encodeDiscovery,
  isDiscoveryFrame,
  MessageType,
  type DiscoveryMessage,
} from '../src/link/discovery-codec.ts';
import {
  MEASUREMENT_MAGIC,
  PING,
  PONG,
  decodeMeasurement,
  encodeMeasurement,
  encodePongEcho,
  isMeasurementFrame,
  measurementLength,
} from '../src/link/measurement-codec.ts';
import { fourcc } from '../src/link/payload.ts';
import { discoverySamples, measurementSamples } from './helpers/link-samples.ts';

// ---------------------------------------------------------------------------------------------
// Raw builders, independent of the encoders under test.

type RawEntry = [key: string | number, value: Uint8Array] | [key: string | number, value: Uint8Array, declaredSize: number];

function payload(entries: RawEntry[]): Uint8Array {
  const w = new ByteWriter();
  for (const [key, value, declared] of entries) {
    w.u32(typeof key === 'string' ? fourcc(key) : key).u32(declared ?? value.length).bytes(value);
  }
  return w.finish();
}

const NODE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const discoveryRaw = (entries: RawEntry[], type: number = MessageType.Alive) =>
  cat(DISCOVERY_MAGIC, Uint8Array.of(type, 5, 0, 0), NODE, payload(entries));
const measurementRaw = (entries: RawEntry[], type: number = PING) => cat(MEASUREMENT_MAGIC, Uint8Array.of(type), payload(entries));

const be64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v);
  return b;
};
const i64 = (v: number) => be64(BigInt(v));
const tmln = (tempo: number, beatOrigin: number, timeOrigin: number) => cat(i64(tempo), i64(beatOrigin), i64(timeOrigin));
const ep4 = Uint8Array.of(127, 0, 0, 1, 0x50, 0x48);
const ep6 = cat(new Uint8Array(15), Uint8Array.of(1, 0x50, 0x48));

/** The size a known key requires (spec 01 §6, 02 §3.2). */
const DISCOVERY_SIZES: Record<string, number> = { tmln: 24, sess: 8, stst: 17, mep4: 6, mep6: 18, aep4: 6, aep6: 18 };
const MEASUREMENT_SIZES: Record<string, number> = { __ht: 8, __gt: 8, _pgt: 8, sess: 8 };

function isDecodeError(pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`);
    assert.equal(err.code, 'E_DECODE');
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

const JUNK = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x5f, 0x61, 0x73);

// ---------------------------------------------------------------------------------------------

describe('discovery round trips', () => {
  for (const [name, msg] of Object.entries(discoverySamples)) {
    test(name, () => {
      const bytes = encodeDiscovery(msg);
      assert.ok(isDiscoveryFrame(bytes));
      assert.equal(discoveryLength(msg), bytes.length);
      const back = decodeDiscovery(bytes);
      assert.deepEqual(back, msg);
      assert.deepEqual(encodeDiscovery(back), bytes);
      // At an offset, after junk, and through a subarray view of a larger buffer.
      for (const k of [1, JUNK.length]) {
        const shifted = cat(JUNK.subarray(0, k), bytes);
        assert.deepEqual(decodeDiscovery(shifted, k), msg);
        assert.deepEqual(decodeDiscovery(shifted.subarray(k)), msg);
      }
    });
  }

  test('the captured shapes have the captured sizes', () => {
    assert.equal(discoveryLength(discoverySamples['alive, plain Link IPv4 peer (the captured 107-byte shape)'] as DiscoveryMessage), 107);
    assert.equal(discoveryLength(discoverySamples['byebye (the captured 20-byte shape)'] as DiscoveryMessage), 20);
    // spec 01 §6.1: 121 bytes with aep4, 119 bytes for an IPv6 gateway
    const base = discoverySamples['alive, plain Link IPv4 peer (the captured 107-byte shape)'] as DiscoveryMessage;
    const state = base.state ?? {};
    assert.equal(discoveryLength({ ...base, state: { ...state, audioV4: { address: '127.0.0.1', port: 1 } } }), 121);
    const { measurementV4: _, ...v6 } = state;
    assert.equal(discoveryLength({ ...base, state: { ...v6, measurementV6: { address: 'fe80::1', port: 1 } } }), 119);
  });

  test('entries are emitted in the reference order tmln, sess, stst, mep4, mep6, aep4, aep6, unknown', () => {
    const bytes = encodeDiscovery(discoverySamples['alive with every entry kind and unknown keys'] as DiscoveryMessage);
    const keys: string[] = [];
    for (let at = 20; at < bytes.length; ) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + at);
      keys.push(String.fromCharCode(...bytes.subarray(at, at + 4)));
      at += 8 + view.getUint32(4);
    }
    assert.deepEqual(keys, ['tmln', 'sess', 'stst', 'mep4', 'mep6', 'aep4', 'aep6', 'xtra', 'tcap', '\xff\xff\xff\xff']);
  });

  test('a ByeBye carries no payload even if a state is given; its payload is ignored on decode', () => {
    const alive = discoverySamples['alive, plain Link IPv4 peer (the captured 107-byte shape)'] as DiscoveryMessage;
    assert.equal(encodeDiscovery({ ...alive, type: MessageType.ByeBye, ttl: 0 }).length, 20);
    const raw = discoveryRaw([['tmln', tmln(1, 2, 3)]], MessageType.ByeBye);
    assert.equal(decodeDiscovery(raw).state, undefined);
  });

  test('entries are accepted in any order, and a duplicate key is last-one-wins', () => {
    const raw = discoveryRaw([
      ['mep4', ep4],
      ['tmln', tmln(500000, 1, 2)],
      ['sess', NODE],
      ['tmln', tmln(400000, 3, 4)],
      ['aep6', ep6],
    ]);
    const m = decodeDiscovery(raw);
    assert.deepEqual(m.state, {
      measurementV4: { address: '127.0.0.1', port: 0x5048 },
      audioV6: { address: '::1', port: 0x5048 },
      sessionId: '0102030405060708',
      timeline: { microsPerBeat: 400000, beatOrigin: 3, timeOrigin: 4 },
    });
  });

  test('isPlaying: any nonzero byte decodes as playing; the encoder writes 1', () => {
    const raw = discoveryRaw([['stst', cat(Uint8Array.of(0x80), i64(5), i64(6))]]);
    const m = decodeDiscovery(raw);
    assert.deepEqual(m.state?.startStop, { isPlaying: true, beats: 5, timestamp: 6 });
    assert.equal(encodeDiscovery(m)[28], 1);
  });

  test('unknown keys are skipped and kept, known entries still decode', () => {
    const raw = discoveryRaw([
      ['zzzz', Uint8Array.of(9, 9)],
      ['sess', NODE],
      [0, new Uint8Array(0)],
      ['mep5', ep4],
    ]);
    const m = decodeDiscovery(raw);
    assert.equal(m.state?.sessionId, '0102030405060708');
    assert.deepEqual(m.state?.unknown, [
      { key: fourcc('zzzz'), value: Uint8Array.of(9, 9) },
      { key: 0, value: new Uint8Array(0) },
      { key: fourcc('mep5'), value: ep4 },
    ]);
    assert.equal(m.state?.measurementV4, undefined);
  });
});

describe('discovery rejections', () => {
  for (const [key, size] of Object.entries(DISCOVERY_SIZES)) {
    for (const wrong of [0, size - 1, size + 1]) {
      test(`'${key}' with ${wrong} bytes instead of ${size} rejects the message, naming the key`, () => {
        const raw = discoveryRaw([['sess', NODE], [key, new Uint8Array(wrong).fill(1)]].slice(key === 'sess' ? 1 : 0) as RawEntry[]);
        assert.throws(() => decodeDiscovery(raw), isDecodeError(new RegExp(`'${key}'`)));
      });
    }
  }

  test('an entry running past the end rejects the message', () => {
    assert.throws(() => decodeDiscovery(discoveryRaw([['tmln', tmln(1, 2, 3), 25]])), isDecodeError(/'tmln'/));
    assert.throws(() => decodeDiscovery(discoveryRaw([['zzzz', Uint8Array.of(1), 2]])), isDecodeError(/'zzzz'/));
    assert.throws(() => decodeDiscovery(discoveryRaw([['zzzz', new Uint8Array(0), 0xffffffff]])), isDecodeError());
    // A truncated entry header (key and a partial size).
    const raw = discoveryRaw([['sess', NODE]]);
    assert.throws(() => decodeDiscovery(cat(raw, Uint8Array.of(0x74, 0x6d, 0x6c, 0x6e, 0))), isDecodeError());
    assert.throws(() => decodeDiscovery(cat(raw, Uint8Array.of(0x74))), isDecodeError());
  });

  test('datagrams over 512 bytes are rejected; 512 bytes are accepted', () => {
    const filler = (total: number) => discoveryRaw([['zzzz', new Uint8Array(total - 20 - 8)]]);
    assert.equal(filler(512).length, 512);
    assert.equal(decodeDiscovery(filler(512)).state?.unknown?.[0]?.value.length, 484);
    assert.throws(() => decodeDiscovery(filler(513)), isDecodeError(/512/));
    // The limit applies to the bytes from the offset on.
    assert.equal(decodeDiscovery(cat(new Uint8Array(100), filler(512)), 100).nodeId, '0102030405060708');
  });

  test('int64 fields beyond the safe integer range are rejected', () => {
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    for (const v of [safe + 1n, -safe - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const raw = discoveryRaw([['tmln', cat(i64(500000), be64(v), i64(0))]]);
      assert.throws(() => decodeDiscovery(raw), isDecodeError(/safe integer/), String(v));
      const st = discoveryRaw([['stst', cat(Uint8Array.of(1), i64(0), be64(v))]]);
      assert.throws(() => decodeDiscovery(st), isDecodeError(/stst/), String(v));
    }
    for (const v of [safe, -safe]) {
      const raw = discoveryRaw([['tmln', cat(i64(500000), be64(v), i64(0))]]);
      assert.equal(decodeDiscovery(raw).state?.timeline?.beatOrigin, Number(v));
    }
  });

  test('bad magic, short datagrams and bad offsets throw DecodeError', () => {
    const good = encodeDiscovery(discoverySamples['byebye (the captured 20-byte shape)'] as DiscoveryMessage);
    const bad = good.slice();
    bad[7] = 2; // version byte
    assert.ok(!isDiscoveryFrame(bad));
    assert.throws(() => decodeDiscovery(bad), isDecodeError(/magic/));
    assert.throws(() => decodeDiscovery(good.subarray(0, 19)), isDecodeError());
    assert.throws(() => decodeDiscovery(new Uint8Array(0)), isDecodeError());
    assert.ok(!isDiscoveryFrame(good.subarray(0, 19)));
    assert.throws(() => decodeDiscovery(good, 21), isDecodeError());
    assert.throws(() => decodeDiscovery(good, -1), isDecodeError());
    assert.throws(() => decodeMeasurement(good), isDecodeError(/magic/));
  });

  test('the encoder refuses messages of 512 bytes or more', () => {
    const withUnknown = (total: number): DiscoveryMessage => ({
      type: MessageType.Alive,
      ttl: 5,
      groupId: 0,
      nodeId: '0102030405060708',
      state: { unknown: [{ key: fourcc('zzzz'), value: new Uint8Array(total - 28) }] },
    });
    assert.equal(encodeDiscovery(withUnknown(511)).length, 511);
    assert.equal(discoveryLength(withUnknown(511)), 511);
    assert.throws(() => encodeDiscovery(withUnknown(512)), RangeError);
    assert.throws(() => encodeDiscovery(withUnknown(600)), RangeError);
  });

  test('the encoder refuses values it cannot represent', () => {
    const base = discoverySamples['alive, plain Link IPv4 peer (the captured 107-byte shape)'] as DiscoveryMessage;
    assert.throws(() => encodeDiscovery({ ...base, nodeId: 'not-a-node-id' }), RangeError);
    assert.throws(() => encodeDiscovery({ ...base, state: { timeline: { microsPerBeat: 2 ** 53, beatOrigin: 0, timeOrigin: 0 } } }), RangeError);
    assert.throws(() => encodeDiscovery({ ...base, state: { timeline: { microsPerBeat: 0.5, beatOrigin: 0, timeOrigin: 0 } } }), RangeError);
    assert.throws(() => encodeDiscovery({ ...base, state: { measurementV4: { address: '1.2.3', port: 1 } } }), RangeError);
    assert.throws(() => encodeDiscovery({ ...base, state: { measurementV6: { address: '1::2::3', port: 1 } } }), RangeError);
  });
});

describe('measurement round trips', () => {
  for (const [name, msg] of Object.entries(measurementSamples)) {
    test(name, () => {
      const bytes = encodeMeasurement(msg);
      assert.ok(isMeasurementFrame(bytes));
      assert.equal(measurementLength(msg), bytes.length);
      const back = decodeMeasurement(bytes);
      assert.deepEqual(back, msg);
      assert.deepEqual(encodeMeasurement(back), bytes);
      for (const k of [1, JUNK.length]) {
        const shifted = cat(JUNK.subarray(0, k), bytes);
        assert.deepEqual(decodeMeasurement(shifted, k), msg);
        assert.deepEqual(decodeMeasurement(shifted.subarray(k)), msg);
      }
    });
  }

  test('the captured shapes have the captured sizes: ping 25/41, pong 57/73', () => {
    const len = (name: string) => measurementLength(measurementSamples[name] ?? { type: 0 });
    assert.equal(len('first ping {__ht} (25 bytes)'), 25);
    assert.equal(len('chain ping {__ht, _pgt} (41 bytes)'), 41);
    assert.equal(len('first pong {sess, __gt, __ht} (57 bytes)'), 57);
    assert.equal(len('chain pong {sess, __gt, __ht, _pgt} (73 bytes)'), 73);
  });

  test('encodePongEcho appends the ping payload verbatim and equals encodeMeasurement for ordered pings', () => {
    for (const ping of [
      measurementSamples['first ping {__ht} (25 bytes)'],
      measurementSamples['chain ping {__ht, _pgt} (41 bytes)'],
    ]) {
      assert.ok(ping);
      const pingBytes = encodeMeasurement(ping);
      const pong = encodePongEcho(pingBytes, '3833783e483a5d5c', 77);
      assert.ok(pong);
      assert.deepEqual(pong.subarray(9 + 32), pingBytes.subarray(9));
      const decoded = decodeMeasurement(pong);
      assert.deepEqual(decoded, { ...ping, type: PONG, sessionId: '3833783e483a5d5c', ghostTime: 77 });
      assert.deepEqual(encodeMeasurement(decoded), pong);
    }
    // The echo is uninterpreted: unknown keys in the ping come back as they were.
    const odd = measurementRaw([['zzzz', Uint8Array.of(1, 2, 3, 4)], ['__ht', i64(-5)]]);
    assert.equal(odd.length - 9, 28);
    const pong = encodePongEcho(odd, '0102030405060708', 1);
    assert.ok(pong);
    assert.deepEqual(pong.subarray(41), odd.subarray(9));
    assert.deepEqual(decodeMeasurement(pong), { type: PONG, sessionId: '0102030405060708', ghostTime: 1, hostTime: -5 });
  });

  test('encodePongEcho ignores pings with more than 32 payload bytes', () => {
    const at32 = measurementRaw([['__ht', i64(1)], ['zzzz', new Uint8Array(8)]]);
    const at33 = measurementRaw([['__ht', i64(1)], ['zzzz', new Uint8Array(9)]]);
    assert.equal(at32.length - 9, 32);
    assert.ok(encodePongEcho(at32, '0102030405060708', 1));
    assert.equal(encodePongEcho(at33, '0102030405060708', 1), undefined);
  });

  test('unknown keys are skipped', () => {
    const raw = measurementRaw([
      ['zzzz', new Uint8Array(3)],
      ['__ht', i64(42)],
      ['_pgT', i64(1)], // keys are case-sensitive
      [0, new Uint8Array(0)],
    ]);
    assert.deepEqual(decodeMeasurement(raw), { type: PING, hostTime: 42 });
  });

  test('entries are accepted in any order, and a duplicate key is last-one-wins', () => {
    const raw = measurementRaw([['_pgt', i64(3)], ['__ht', i64(1)], ['sess', NODE], ['__ht', i64(2)]], PONG);
    assert.deepEqual(decodeMeasurement(raw), { type: PONG, prevGhostTime: 3, hostTime: 2, sessionId: '0102030405060708' });
  });
});

describe('measurement rejections', () => {
  for (const [key, size] of Object.entries(MEASUREMENT_SIZES)) {
    for (const wrong of [0, size - 1, size + 1]) {
      test(`'${key}' with ${wrong} bytes instead of ${size} rejects the message, naming the key`, () => {
        const raw = measurementRaw([['__gt', i64(1)], [key, new Uint8Array(wrong)]].slice(key === '__gt' ? 1 : 0) as RawEntry[], PONG);
        assert.throws(() => decodeMeasurement(raw), isDecodeError(new RegExp(`'${key}'`)));
      });
    }
  }

  test('an entry running past the end rejects the message', () => {
    assert.throws(() => decodeMeasurement(measurementRaw([['__ht', i64(1), 9]])), isDecodeError(/'__ht'/));
    assert.throws(() => decodeMeasurement(measurementRaw([['zzzz', new Uint8Array(4), 5]])), isDecodeError(/'zzzz'/));
    assert.throws(() => decodeMeasurement(cat(measurementRaw([['__ht', i64(1)]]), Uint8Array.of(0x5f, 0x5f))), isDecodeError());
  });

  test('datagrams over 512 bytes are rejected; 512 bytes are accepted', () => {
    const filler = (total: number) => measurementRaw([['zzzz', new Uint8Array(total - 9 - 8)]]);
    assert.equal(filler(512).length, 512);
    assert.deepEqual(decodeMeasurement(filler(512)), { type: PING });
    assert.throws(() => decodeMeasurement(filler(513)), isDecodeError(/512/));
  });

  test('int64 fields beyond the safe integer range are rejected', () => {
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    for (const key of ['__ht', '__gt', '_pgt']) {
      for (const v of [safe + 1n, -safe - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
        assert.throws(() => decodeMeasurement(measurementRaw([[key, be64(v)]])), isDecodeError(/safe integer/), `${key} ${v}`);
      }
    }
    assert.equal(decodeMeasurement(measurementRaw([['__ht', be64(-safe)]])).hostTime, -Number.MAX_SAFE_INTEGER);
  });

  test('bad magic and short datagrams throw DecodeError', () => {
    const good = encodeMeasurement({ type: PING, hostTime: 1 });
    assert.throws(() => decodeMeasurement(good.subarray(0, 8)), isDecodeError());
    assert.ok(!isMeasurementFrame(good.subarray(0, 8)));
    const bad = good.slice();
    bad[0] = 0x60;
    assert.throws(() => decodeMeasurement(bad), isDecodeError(/magic/));
    assert.throws(() => decodeDiscovery(cat(good, new Uint8Array(20))), isDecodeError(/magic/));
    assert.throws(() => decodeMeasurement(good, good.length + 1), isDecodeError());
  });

  test('the encoder refuses unsafe integers and malformed session ids', () => {
    assert.throws(() => encodeMeasurement({ type: PING, hostTime: 2 ** 53 }), RangeError);
    assert.throws(() => encodeMeasurement({ type: PONG, sessionId: 'ABCDEF0123456789' }), RangeError);
    // The largest message it can produce stays far below the 512-byte limit.
    const all = { type: PONG, sessionId: 'ffffffffffffffff', ghostTime: 1, hostTime: 2, prevGhostTime: 3 };
    assert.equal(measurementLength(all), 73);
  });
});
