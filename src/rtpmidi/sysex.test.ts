import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../core/errors.ts';
import { SeededRandom } from '../core/prng.ts';
import { DEFAULT_MAX_SYSEX_BYTES, splitSysex, SysexAssembler } from './sysex.ts';

const u8 = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function sysexOf(length: number, seed = 1): Uint8Array {
  const rng = new SeededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 1; i < length - 1; i++) out[i] = rng.int(128);
  out[0] = 0xf0;
  out[length - 1] = 0xf7;
  return out;
}

test('splitSysex: first F0…F0, middle F7…F0, last F7…F7, each at most the limit', () => {
  assert.deepEqual(splitSysex(u8('f0 01 02 03 04 05 f7'), 4).map(hex), ['f00102f0', 'f70304f0', 'f705f7']);
  assert.deepEqual(splitSysex(u8('f0 01 02 03 04 f7'), 4).map(hex), ['f00102f0', 'f70304f7']);
  assert.deepEqual(splitSysex(u8('f0 01 02 f7'), 3).map(hex), ['f001f0', 'f702f7']);
});

test('splitSysex: a message that fits is one segment (a copy)', () => {
  const msg = u8('f0 01 02 f7');
  const [only, ...rest] = splitSysex(msg, 4);
  assert.deepEqual(rest, []);
  assert.equal(hex(only ?? new Uint8Array()), 'f00102f7');
  assert.notEqual(only, msg);
  assert.deepEqual(splitSysex(u8('f0f7'), 3).map(hex), ['f0f7']);
});

test('splitSysex: a 64 KiB sysex splits under 1400 bytes and reassembles byte for byte', () => {
  const msg = sysexOf(65536);
  const segments = splitSysex(msg, 1390);
  assert.equal(segments.length, Math.ceil(65534 / 1388));
  for (const s of segments) assert.ok(s.length <= 1390);
  const asm = new SysexAssembler();
  const results = segments.map((s) => asm.push(s));
  assert.ok(results.slice(0, -1).every((r) => r === undefined));
  assert.deepEqual(results.at(-1), msg);
  assert.equal(asm.inProgress, false);
});

test('splitSysex: every size and limit round-trips through the assembler', () => {
  for (let length = 2; length < 40; length++) {
    const msg = sysexOf(length, length);
    for (let max = 3; max < 44; max++) {
      const asm = new SysexAssembler();
      const segments = splitSysex(msg, max);
      let whole: Uint8Array | undefined;
      for (const s of segments) {
        assert.ok(s.length <= max, `${length}/${max}`);
        whole = asm.push(s) ?? whole;
      }
      assert.deepEqual(whole, msg, `${length}/${max}`);
    }
  }
});

test('splitSysex: anything but a complete sysex, or a limit below 3, is a RangeError', () => {
  for (const bad of ['', 'f0', 'f001', '9001f7', 'f001f0', 'f0 01 80 f7', 'f0 f8 f7']) {
    assert.throws(() => splitSysex(u8(bad), 100), RangeError, bad);
  }
  assert.throws(() => splitSysex(u8('f001f7'), 2), RangeError);
});

test('assembler: a complete message passes through; first + middle + last join', () => {
  const asm = new SysexAssembler();
  assert.equal(hex(asm.push(u8('f0 01 f7')) ?? new Uint8Array()), 'f001f7');
  assert.equal(asm.push(u8('f0 01 02 f0')), undefined);
  assert.equal(asm.inProgress, true);
  assert.equal(asm.push(u8('f7 03 f0')), undefined);
  assert.equal(asm.push(u8('f7 f0')), undefined);
  assert.equal(hex(asm.push(u8('f7 04 05 f7')) ?? new Uint8Array()), 'f00102030405f7');
  assert.equal(asm.inProgress, false);
});

test('assembler: a cancel segment (… F4) discards the message in progress', () => {
  const asm = new SysexAssembler();
  asm.push(u8('f0 01 f0'));
  assert.equal(asm.push(u8('f7 02 f4')), undefined);
  assert.equal(asm.inProgress, false);
  assert.throws(() => asm.push(u8('f7 03 f7')), /no message in progress/);
  // A cancel with nothing in progress is harmless.
  assert.equal(asm.push(u8('f0 01 f4')), undefined);
});

test('assembler: a new start discards the unfinished message', () => {
  const asm = new SysexAssembler();
  asm.push(u8('f0 01 f0'));
  asm.push(u8('f0 09 f0'));
  assert.equal(hex(asm.push(u8('f7 0a f7')) ?? new Uint8Array()), 'f0090af7');
  asm.push(u8('f0 01 f0'));
  assert.equal(hex(asm.push(u8('f0 05 f7')) ?? new Uint8Array()), 'f005f7');
  assert.equal(asm.inProgress, false);
});

test('assembler: a middle or last segment without a start is a DecodeError', () => {
  const asm = new SysexAssembler();
  assert.throws(() => asm.push(u8('f7 01 f0')), (e) => e instanceof DecodeError && /middle segment/.test(e.message));
  assert.throws(() => asm.push(u8('f7 01 f7')), (e) => e instanceof DecodeError && /last segment/.test(e.message));
  assert.equal(hex(asm.push(u8('f0 02 f7')) ?? new Uint8Array()), 'f002f7');
});

test('assembler: bytes that are not one segment are a DecodeError', () => {
  const asm = new SysexAssembler();
  for (const bad of ['', 'f0', '90 01 f7', 'f0 01 02', 'f0 01 90 f7', 'f0 f8 f7']) {
    assert.throws(() => asm.push(u8(bad)), DecodeError, bad);
  }
});

test('assembler: bounded; exactly maxBytes passes, beyond is dropped once and the rest ignored', () => {
  const asm = new SysexAssembler(8);
  assert.equal(asm.maxBytes, 8);
  assert.equal(asm.push(sysexOf(8))?.length, 8);
  assert.throws(() => asm.push(sysexOf(9)), /sysex of more than 8 bytes dropped/);
  assert.equal(asm.inProgress, false);
  // Segmented: 1 + 3 + 3 + 1 = 8 passes.
  asm.push(u8('f0 010203 f0'));
  assert.equal(asm.push(u8('f7 040506 f7'))?.length, 8);
  // 1 + 3 + 4 + … overflows on the middle segment; the rest of that sysex is ignored silently.
  asm.push(u8('f0 010203 f0'));
  assert.throws(() => asm.push(u8('f7 04050607 f0')), DecodeError);
  assert.equal(asm.inProgress, true, 'skipping the rest of the dropped message');
  assert.equal(asm.push(u8('f7 08 f0')), undefined);
  assert.equal(asm.push(u8('f7 09 f7')), undefined);
  assert.equal(asm.inProgress, false);
  // And the next message works.
  assert.equal(hex(asm.push(u8('f0 11 f7')) ?? new Uint8Array()), 'f011f7');
  // A first segment that alone overflows.
  assert.throws(() => asm.push(u8('f0 01020304050607 f0')), DecodeError);
  assert.equal(asm.push(u8('f7 01 f7')), undefined);
  assert.equal(asm.inProgress, false);
});

test('assembler: memory stays bounded under a flood of middle segments', () => {
  const asm = new SysexAssembler(1000);
  asm.push(u8('f0 01 f0'));
  const middle = new Uint8Array(100).fill(0x22);
  middle[0] = 0xf7;
  middle[99] = 0xf0;
  let dropped = 0;
  for (let i = 0; i < 10_000; i++) {
    try {
      asm.push(middle);
    } catch (err) {
      assert.ok(err instanceof DecodeError);
      dropped++;
    }
  }
  assert.equal(dropped, 1, 'reported once');
  assert.equal(DEFAULT_MAX_SYSEX_BYTES, 1 << 20);
  assert.throws(() => new SysexAssembler(1), RangeError);
});

test('reset drops the message in progress', () => {
  const asm = new SysexAssembler();
  asm.push(u8('f0 01 f0'));
  asm.reset();
  assert.equal(asm.inProgress, false);
  assert.throws(() => asm.push(u8('f7 02 f7')), DecodeError);
});
