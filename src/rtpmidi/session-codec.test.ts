import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../core/errors.ts';
import {
  APPLEMIDI_MAX_NAME_BYTES,
  APPLEMIDI_VERSION,
  appleMidiLength,
  decodeAppleMidi,
  encodeAppleMidi,
  isAppleMidiCommand,
  type AppleMidiCommand,
} from './session-codec.ts';

const u8 = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PREFIX_IN = 'ffff494e 00000002 01020304 0a0b0c0d';
const nameOf = (cmd: AppleMidiCommand) => (cmd.kind === 'IN' || cmd.kind === 'OK' || cmd.kind === 'NO' ? cmd.name : assert.fail(`not a named command: ${cmd.kind}`));
const withName = (nameBytes: Uint8Array) => new Uint8Array([...u8(PREFIX_IN), ...nameBytes]);

test('IN/OK/NO: the 16-byte prefix alone is a command with an empty name', () => {
  for (const [code, kind] of [['494e', 'IN'], ['4f4b', 'OK'], ['4e4f', 'NO']] as const) {
    assert.deepEqual(decodeAppleMidi(u8(`ffff${code} 00000002 01020304 0a0b0c0d`)), { kind, version: 2, token: 0x01020304, ssrc: 0x0a0b0c0d, name: '' });
  }
});

test('name: a missing NUL at the end is accepted; bytes after the NUL are ignored', () => {
  assert.equal(nameOf(decodeAppleMidi(withName(new TextEncoder().encode('Studio')))), 'Studio');
  assert.equal(nameOf(decodeAppleMidi(withName(u8('4142 00 4344 00')))), 'AB');
});

test('name: UTF-8 is decoded, invalid UTF-8 becomes U+FFFD, control characters are dropped', () => {
  assert.equal(nameOf(decodeAppleMidi(withName(new TextEncoder().encode('Bühne ♪ 🎹\0')))), 'Bühne ♪ 🎹');
  assert.equal(nameOf(decodeAppleMidi(withName(u8('41 ff 42 00')))), 'A\ufffdB');
  assert.equal(nameOf(decodeAppleMidi(withName(u8('41 0a 1b 5b 33 31 6d 7f c2 85 42 00')))), 'A[31mB');
});

test(`name: at most ${APPLEMIDI_MAX_NAME_BYTES} bytes of UTF-8, cut on a character boundary`, () => {
  const long = 'x'.repeat(100);
  assert.equal(nameOf(decodeAppleMidi(withName(new TextEncoder().encode(long)))), 'x'.repeat(64));
  // 63 ASCII bytes then 'é' (2 bytes): the 'é' would straddle the cap, so it is left out.
  const straddle = 'y'.repeat(63) + 'é' + 'z';
  assert.equal(nameOf(decodeAppleMidi(withName(new TextEncoder().encode(straddle)))), 'y'.repeat(63));
  // 64 bytes of invalid UTF-8 decode to U+FFFD (3 bytes each): the result still fits 64 bytes.
  const name = nameOf(decodeAppleMidi(withName(new Uint8Array(64).fill(0xff))));
  assert.equal(name, '\ufffd'.repeat(21));
  assert.ok(new TextEncoder().encode(name).length <= APPLEMIDI_MAX_NAME_BYTES);
  // An unterminated name of 1 MiB is read only up to the cap.
  const huge = withName(new Uint8Array(1 << 20).fill(0x61));
  assert.equal(nameOf(decodeAppleMidi(huge)).length, 64);
});

test('a decoded name re-encodes to a name that decodes the same', () => {
  const cmd = decodeAppleMidi(withName(u8('41 ff ff c3 00')));
  assert.ok(cmd.kind === 'IN');
  assert.deepEqual(decodeAppleMidi(encodeAppleMidi(cmd)), cmd);
});

test('version is decoded as sent (the session layer rejects anything but 2)', () => {
  const cmd = decodeAppleMidi(u8('ffff494e 00000003 00000001 00000002 00'));
  assert.equal(cmd.kind === 'IN' && cmd.version, 3);
  assert.equal(APPLEMIDI_VERSION, 2);
});

test('unknown commands decode to kind unknown: printable letters, else hex', () => {
  assert.deepEqual(decodeAppleMidi(u8('ffff 524c 00000000')), { kind: 'unknown', command: 'RL' });
  assert.deepEqual(decodeAppleMidi(u8('ffff 524c')), { kind: 'unknown', command: 'RL' });
  assert.deepEqual(decodeAppleMidi(u8('ffff 0001 ff')), { kind: 'unknown', command: '0001' });
  assert.deepEqual(decodeAppleMidi(u8('ffff 7f41')), { kind: 'unknown', command: '7f41' });
});

test('wrong signature, or too short for the signature and command, is a DecodeError', () => {
  for (const s of ['fffe494e00000002000000010000000200', '7fff494e', '', 'ff', 'ffff', 'ffff49']) {
    assert.throws(() => decodeAppleMidi(u8(s)), DecodeError, s);
  }
});

test('truncated known commands are DecodeErrors naming the field', () => {
  assert.throws(() => decodeAppleMidi(u8('ffff494e 00000002 00000001 000000')), /IN SSRC truncated/);
  assert.throws(() => decodeAppleMidi(u8('ffff4259 00000002 00000001')), /BY SSRC truncated/);
  assert.throws(() => decodeAppleMidi(u8('ffff434b 00000001 00000000').subarray(0, 35)), /CK truncated/);
  assert.throws(() => decodeAppleMidi(new Uint8Array([...u8('ffff434b 00000001 00000000'), ...new Uint8Array(23)])), /CK truncated \(need 32, have 31\)/);
  assert.throws(() => decodeAppleMidi(u8('ffff5253 00000001 0000')), /RS sequence number truncated/);
});

const ck = (count: number, ts: string) => u8(`ffff434b 00000001 ${count.toString(16).padStart(2, '0')}000000 ${ts}`);
const zeros = '0000000000000000';

test('CK: count must be 0, 1 or 2', () => {
  assert.equal(decodeAppleMidi(ck(2, zeros.repeat(3))).kind, 'CK');
  for (const c of [3, 0x80, 0xff]) assert.throws(() => decodeAppleMidi(ck(c, zeros.repeat(3))), /CK count/);
});

test('CK: timestamps up to 2^53-1 decode exactly; beyond is a DecodeError', () => {
  const max = decodeAppleMidi(ck(2, `001fffffffffffff ${zeros} 0000000100000000`));
  assert.deepEqual(max, { kind: 'CK', ssrc: 1, count: 2, timestamps: [Number.MAX_SAFE_INTEGER, 0, 2 ** 32] });
  for (const bad of ['0020000000000000', '8000000000000000', 'ffffffffffffffff']) {
    assert.throws(() => decodeAppleMidi(ck(1, `${zeros} ${bad} ${zeros}`)), /CK timestamp 2 \d+ exceeds the safe integer range/);
  }
  assert.deepEqual(decodeAppleMidi(encodeAppleMidi(max as Exclude<AppleMidiCommand, { kind: 'unknown' }>)), max);
});

test('CK and RS ignore bytes after their fixed length; BY ignores a trailing name', () => {
  assert.equal(decodeAppleMidi(new Uint8Array([...ck(0, zeros.repeat(3)), 1, 2, 3])).kind, 'CK');
  assert.deepEqual(decodeAppleMidi(u8('ffff5253 00000001 00050000 ffff')), { kind: 'RS', ssrc: 1, seq: 5 });
  assert.deepEqual(decodeAppleMidi(u8('ffff4259 00000002 00000003 00000004 414200')), { kind: 'BY', version: 2, token: 3, ssrc: 4 });
});

test('encode: exact layouts and lengths', () => {
  const cases: Array<[Exclude<AppleMidiCommand, { kind: 'unknown' }>, string]> = [
    [{ kind: 'IN', version: 2, token: 1, ssrc: 2, name: 'A' }, 'ffff494e 00000002 00000001 00000002 4100'],
    [{ kind: 'NO', version: 2, token: 1, ssrc: 2, name: '' }, 'ffff4e4f 00000002 00000001 00000002 00'],
    [{ kind: 'OK', version: 2, token: 0xffffffff, ssrc: 0x80000000, name: 'é' }, 'ffff4f4b 00000002 ffffffff 80000000 c3a900'],
    [{ kind: 'BY', version: 2, token: 1, ssrc: 2 }, 'ffff4259 00000002 00000001 00000002'],
    [{ kind: 'CK', ssrc: 7, count: 1, timestamps: [1, 2 ** 40, 3] }, `ffff434b 00000007 01000000 0000000000000001 0000010000000000 0000000000000003`],
    [{ kind: 'RS', ssrc: 7, seq: 0xffff }, 'ffff5253 00000007 ffff0000'],
  ];
  for (const [cmd, expected] of cases) {
    const bytes = encodeAppleMidi(cmd);
    assert.equal(hex(bytes), hex(u8(expected)), cmd.kind);
    assert.equal(appleMidiLength(cmd), bytes.length, `${cmd.kind} length`);
    assert.deepEqual(decodeAppleMidi(bytes), cmd);
  }
});

test('encode: out-of-range fields throw RangeError', () => {
  const bad: Array<Exclude<AppleMidiCommand, { kind: 'unknown' }>> = [
    { kind: 'IN', version: 2, token: -1, ssrc: 2, name: 'A' },
    { kind: 'IN', version: 2, token: 1, ssrc: 2 ** 32, name: 'A' },
    { kind: 'OK', version: 2, token: 1, ssrc: 2, name: 'A\0B' },
    { kind: 'CK', ssrc: 1, count: 3 as 0, timestamps: [0, 0, 0] },
    { kind: 'CK', ssrc: 1, count: 0, timestamps: [-1, 0, 0] },
    { kind: 'CK', ssrc: 1, count: 0, timestamps: [2 ** 53, 0, 0] },
    { kind: 'CK', ssrc: 1, count: 0, timestamps: [0.5, 0, 0] },
    { kind: 'RS', ssrc: 1, seq: 0x10000 },
    { kind: 'RS', ssrc: 1, seq: -1 },
  ];
  for (const cmd of bad) assert.throws(() => encodeAppleMidi(cmd), RangeError, JSON.stringify(cmd));
});

test('isAppleMidiCommand: FF FF and a command code; RTP (V=2) never matches', () => {
  assert.equal(isAppleMidiCommand(u8('ffff524c')), true);
  assert.equal(isAppleMidiCommand(u8('ffff52')), false);
  assert.equal(isAppleMidiCommand(u8('80e16d75')), false);
  assert.equal(isAppleMidiCommand(u8('ff7f494e')), false);
});
