// Robustness of the RTP-MIDI codecs: every truncation of every valid packet, and a seeded mutation
// fuzzer. A decoder may return a value or throw DecodeError — never anything else — and a decoded
// value re-encodes to bytes that decode to the same value. Every sysex segment that decodes is
// also fed to a SysexAssembler, which may only throw DecodeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DecodeError } from '../core/errors.ts';
import { SeededRandom } from '../core/prng.ts';
import { decodeAppleMidi, encodeAppleMidi, type AppleMidiCommand } from './session-codec.ts';
import { decodeRtpMidi, encodeRtpMidi, type RtpMidiPacket } from './rtp-codec.ts';
import { SysexAssembler } from './sysex.ts';
import { randomAppleMidi, randomPacket } from '../../test/helpers/rtpmidi-samples.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u8 = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// ---------------------------------------------------------------------------------------------
// Corpus: the observed packets, seeded random packets and commands, and hand-made edge cases.

const observed = (JSON.parse(readFileSync(new URL('../../test/fixtures/applemidi/observed.json', import.meta.url), 'utf8')) as {
  vectors: Array<{ hex: string }>;
}).vectors.map((v) => u8(v.hex));

const HEADER = '80e1 0001 00000002 00000003';
const edgeCases = [
  `${HEADER} 00`, // empty list
  `${HEADER} 8013 903c64 003e50 00 3f40 c005 01 06 00f8 00 9040 40`, // long header, running status
  `${HEADER} 28 07 f0 01 f8 02 fe 03 f7`, // real-time inside sysex
  `${HEADER} 4e 903c64 00f00102f0 00f703f7 00f8 206d76 0007 08 01f0 3ce4`, // segments + journal
  `${HEADER} 07 f4 00f5 00f9 00fd`, // undefined system commands
  `82e1 0001 00000002 00000003 aaaaaaaa bbbbbbbb 03 903c64`, // CSRCs
  `91e1 0001 00000002 00000003 cccccccc beef0002 11111111 22222222 03 903c64`, // extension
  `a0e1 0001 00000002 00000003 03 903c64 000003`, // padding
  'ffff524c 00000000', // unknown command
  'ffff494e 00000002 01020304 0a0b0c0d 41ffc3', // a name without NUL, invalid UTF-8
].map(u8);

function buildCorpus(): Uint8Array[] {
  const rng = new SeededRandom(0x13);
  const out: Uint8Array[] = [...observed, ...edgeCases];
  for (let i = 0; i < 300; i++) out.push(encodeRtpMidi(randomPacket(rng), { runningStatus: i % 2 === 0 }));
  for (let i = 0; i < 100; i++) out.push(encodeAppleMidi(randomAppleMidi(rng)));
  return out;
}
const corpus = buildCorpus();

// ---------------------------------------------------------------------------------------------

type Decoded = { rtp?: RtpMidiPacket; apple?: AppleMidiCommand };

/** Decodes with both decoders; anything thrown but DecodeError fails with the input attached. */
function check(bytes: Uint8Array): Decoded {
  const out: Decoded = {};
  try {
    out.rtp = decodeRtpMidi(bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) assert.fail(`decodeRtpMidi threw ${String(err)} on ${hex(bytes)}`);
  }
  try {
    out.apple = decodeAppleMidi(bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) assert.fail(`decodeAppleMidi threw ${String(err)} on ${hex(bytes)}`);
  }
  assert.ok(!(out.rtp && out.apple), `both decoders accepted ${hex(bytes)}`);
  if (out.rtp) checkRtpFixpoint(out.rtp, bytes);
  if (out.apple && out.apple.kind !== 'unknown') {
    assert.deepEqual(decodeAppleMidi(encodeAppleMidi(out.apple)), out.apple, `AppleMIDI fixpoint for ${hex(bytes)}`);
  }
  return out;
}

function checkRtpFixpoint(p: RtpMidiPacket, bytes: Uint8Array): void {
  let encoded: Uint8Array;
  try {
    encoded = encodeRtpMidi(p);
  } catch (err) {
    // Running status expanded can outgrow the 12-bit LEN; nothing else may fail.
    if (err instanceof RangeError && /exceeds 4095/.test(err.message)) return;
    assert.fail(`re-encoding the packet decoded from ${hex(bytes)} threw ${String(err)}`);
  }
  assert.deepEqual(decodeRtpMidi(encoded), p, `RTP-MIDI fixpoint for ${hex(bytes)}`);
  const asm = new SysexAssembler(256);
  for (const c of p.commands) {
    if (c.data[0] !== 0xf0 && c.data[0] !== 0xf7) continue;
    try {
      asm.push(c.data);
    } catch (err) {
      if (!(err instanceof DecodeError)) assert.fail(`SysexAssembler threw ${String(err)} on ${hex(c.data)}`);
    }
  }
}

const APPLE_MIN_LENGTH: Record<string, number> = { IN: 16, OK: 16, NO: 16, BY: 16, CK: 36, RS: 12, unknown: 4 };

test('truncation sweep: every prefix of every valid packet decodes or throws DecodeError', (t) => {
  let prefixes = 0;
  let decodedPrefixes = 0;
  for (const packet of corpus) {
    const full = check(packet);
    assert.ok(full.rtp || full.apple, `corpus packet ${hex(packet)} decodes`);
    const padded = full.rtp !== undefined && (packet[0] ?? 0) & 0x20;
    // The shortest prefix that still decodes: the whole MIDI list and a journal header.
    const minLength = full.apple
      ? APPLE_MIN_LENGTH[full.apple.kind] ?? 4
      : packet.length - (full.rtp?.journal?.length ?? 0) + (full.rtp?.journal ? 3 : 0);
    for (let n = 0; n <= packet.length; n++) {
      const d = check(packet.subarray(0, n));
      const ok = d.rtp !== undefined || d.apple !== undefined;
      if (!padded) assert.equal(ok, n >= minLength, `prefix of ${n} bytes of ${hex(packet)}`);
      prefixes++;
      if (ok) decodedPrefixes++;
    }
  }
  t.diagnostic(`${corpus.length} packets, ${prefixes} prefixes, ${decodedPrefixes} decoded`);
  assert.ok(prefixes > 10_000, `${prefixes} prefixes`);
});

// ---------------------------------------------------------------------------------------------
// Seeded mutation fuzzer

const INTERESTING = [0x00, 0x01, 0x0f, 0x10, 0x20, 0x40, 0x7f, 0x80, 0x8f, 0x90, 0xf0, 0xf4, 0xf7, 0xf8, 0xfe, 0xff];

function mutate(rng: SeededRandom, input: Uint8Array): Uint8Array {
  let b = input.slice();
  const pos = (extra = 0) => rng.int(b.length + extra);
  switch (rng.int(9)) {
    case 0: // flip bits in 1..4 bytes
      for (let i = 1 + rng.int(4); i > 0 && b.length > 0; i--) {
        const p = pos();
        b[p] = (b[p] ?? 0) ^ (1 << rng.int(8));
      }
      break;
    case 1: // an interesting byte (status bytes, frame bytes, LEN edges)
      if (b.length > 0) b[pos()] = INTERESTING[rng.int(INTERESTING.length)] ?? 0;
      break;
    case 2: // the command section header or the RTP flags: the fields that steer the parse
      if (b.length > 12) b[rng.int(2) === 0 ? 12 : rng.int(2)] = rng.int(256);
      break;
    case 3: { // insert 1..8 random bytes
      const p = pos(1);
      b = Buffer.concat([b.subarray(0, p), rng.bytes(1 + rng.int(8)), b.subarray(p)]);
      break;
    }
    case 4: { // delete 1..8 bytes
      const p = pos();
      b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + rng.int(8))]);
      break;
    }
    case 5: { // duplicate a chunk elsewhere
      const from = pos();
      const chunk = b.slice(from, from + 1 + rng.int(16));
      const to = pos(1);
      b = Buffer.concat([b.subarray(0, to), chunk, b.subarray(to)]);
      break;
    }
    case 6: // grow with random bytes
      b = Buffer.concat([b, rng.bytes(rng.int(64))]);
      break;
    case 7: { // splice with another corpus packet
      const other = corpus[rng.int(corpus.length)] ?? b;
      b = Buffer.concat([b.subarray(0, pos(1)), other.subarray(rng.int(other.length + 1))]);
      break;
    }
    default: // truncate
      b = b.subarray(0, pos(1));
  }
  return new Uint8Array(b);
}

test('seeded fuzzer: 60 000 mutated and random buffers never throw anything but DecodeError', (t) => {
  const rng = new SeededRandom(0x6295_4695);
  const CASES = 60_000;
  let rtp = 0;
  let apple = 0;
  let rejected = 0;
  for (let i = 0; i < CASES; i++) {
    let bytes: Uint8Array;
    const kind = rng.int(20);
    if (kind === 0) {
      bytes = rng.bytes(rng.int(200));
    } else if (kind === 1) {
      // A valid RTP or AppleMIDI start, then random bytes.
      bytes = new Uint8Array(Buffer.concat([rng.int(2) === 0 ? u8('80e1') : u8('ffff'), rng.bytes(rng.int(120))]));
    } else {
      bytes = corpus[rng.int(corpus.length)] ?? new Uint8Array(0);
      for (let m = 1 + rng.int(3); m > 0; m--) bytes = mutate(rng, bytes);
    }
    const d = check(bytes);
    if (d.rtp) rtp++;
    else if (d.apple) apple++;
    else rejected++;
  }
  t.diagnostic(`${CASES} buffers: ${rtp} RTP-MIDI and ${apple} AppleMIDI decoded, ${rejected} rejected with DecodeError`);
  // Both outcomes must be exercised substantially, for both decoders.
  assert.ok(rtp > CASES / 10, `${rtp} RTP-MIDI decoded`);
  assert.ok(apple > CASES / 50, `${apple} AppleMIDI decoded`);
  assert.ok(rejected > CASES / 4, `${rejected} rejected`);
});
