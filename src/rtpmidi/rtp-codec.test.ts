import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../core/errors.ts';
import { SeededRandom } from '../core/prng.ts';
import {
  MAX_DELTA_TICKS,
  decodeRtpMidi,
  encodeRtpMidi,
  rtpMidiLength,
  RTP_MIDI_PAYLOAD_TYPE,
  type RtpMidiCommand,
  type RtpMidiPacket,
} from './rtp-codec.ts';
import { packCommands } from './rtp-pack.ts';
import { SysexAssembler } from './sysex.ts';
import { randomPacket } from '../../test/helpers/rtpmidi-samples.ts';

const u8 = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** An RTP header (M=1, PT 0x61, seq 1, ts 2, SSRC 3) followed by `section`. */
const HEADER = '80e1 0001 00000002 00000003';
const packet = (section: string) => u8(HEADER + section);
const list = (section: string) => decodeRtpMidi(packet(section)).commands.map((c) => [c.deltaTicks, hex(c.data)]);
const make = (commands: RtpMidiCommand[], extra: Partial<RtpMidiPacket> = {}): RtpMidiPacket => ({
  marker: true, payloadType: RTP_MIDI_PAYLOAD_TYPE, sequence: 1, timestamp: 2, ssrc: 3, phantom: false, commands, ...extra,
});
const cmd = (deltaTicks: number, s: string): RtpMidiCommand => ({ deltaTicks, data: u8(s) });

test('an empty MIDI list is a one-byte section: 00', () => {
  const p = make([]);
  assert.equal(hex(encodeRtpMidi(p)), hex(packet('00')));
  assert.deepEqual(decodeRtpMidi(packet('00')), p);
});

test('short header for LEN <= 15, long header (B=1, 12-bit LEN) beyond', () => {
  const five = Array.from({ length: 5 }, (_, i) => cmd(0, `90${(0x30 + i).toString(16)}40`));
  // 3 + 4 × (1 + 3) = 19 bytes: long header 0x80 0x13.
  const bytes = encodeRtpMidi(make(five));
  assert.equal(hex(bytes.subarray(12, 14)), '8013');
  assert.equal(bytes.length, 12 + 2 + 19);
  assert.deepEqual(decodeRtpMidi(bytes).commands, five);
  // 15 bytes exactly stay short: 3 + 3 × 4 = 15.
  assert.equal(encodeRtpMidi(make(five.slice(0, 4)))[12], 0x0f);
  // A long header may also describe a short list (a lenient decoder takes it).
  assert.deepEqual(list('8003 903c64'), [[0, '903c64']]);
  // The largest list: 4095 bytes.
  const sysex = new Uint8Array(4095).fill(0x11);
  sysex[0] = 0xf0;
  sysex[4094] = 0xf7;
  const big = encodeRtpMidi(make([{ deltaTicks: 0, data: sysex }]));
  assert.equal(hex(big.subarray(12, 14)), '8fff');
  assert.deepEqual(decodeRtpMidi(big).commands[0]?.data, sysex);
  const tooBig = new Uint8Array(4096).fill(0x11);
  tooBig[0] = 0xf0;
  tooBig[4095] = 0xf7;
  assert.throws(() => encodeRtpMidi(make([{ deltaTicks: 0, data: tooBig }])), /exceeds 4095/);
});

test('Z=1 when the first delta is non-zero; with Z=0 the first command has no delta', () => {
  const z = encodeRtpMidi(make([cmd(5, 'f8')]));
  assert.equal(hex(z.subarray(12)), '22 05 f8'.replace(/ /g, ''));
  assert.deepEqual(list('2205f8'), [[5, 'f8']]);
  assert.deepEqual(list('01f8'), [[0, 'f8']]);
  // Z=1 with a zero delta is legal on the wire.
  assert.deepEqual(list('2200f8'), [[0, 'f8']]);
});

test('delta times: 1-4 bytes of 7 bits, most significant first (RFC 6295 §3.1)', () => {
  const cases: Array<[number, string]> = [
    [0, '00'], [1, '01'], [127, '7f'], [128, '8100'], [0x3fff, 'ff7f'], [0x4000, '818000'],
    [0x1fffff, 'ffff7f'], [0x200000, '81808000'], [MAX_DELTA_TICKS, 'ffffff7f'],
  ];
  for (const [ticks, bytes] of cases) {
    const encoded = encodeRtpMidi(make([cmd(0, 'f8'), cmd(ticks, 'fa')]));
    assert.equal(hex(encoded.subarray(14)), `${bytes}fa`, `delta ${ticks}`);
    assert.equal(decodeRtpMidi(encoded).commands[1]?.deltaTicks, ticks);
  }
  assert.throws(() => decodeRtpMidi(packet('06 f8 8181818100 fa')), /delta time longer than 4 bytes/);
  for (const bad of [-1, MAX_DELTA_TICKS + 1, 1.5, Number.NaN]) {
    assert.throws(() => encodeRtpMidi(make([cmd(0, 'f8'), cmd(bad, 'fa')])), RangeError, String(bad));
  }
});

test('deltas count from the previous command, the first from the RTP timestamp', () => {
  assert.deepEqual(list('28 0a 903c64 14 803c00'), [[10, '903c64'], [20, '803c00']]);
});

test('running status: data bytes reuse the previous channel status; decoded messages carry it', () => {
  assert.deepEqual(list('06 903c64 00 3e50'), [[0, '903c64'], [0, '903e50']]);
  assert.deepEqual(list('04 c005 0106'), [[0, 'c005'], [1, 'c006']]);
});

test('running status: the first channel command of the list must carry its status (RFC 6295 §3.2)', () => {
  assert.throws(() => decodeRtpMidi(packet('02 3c64')), (e) => e instanceof DecodeError && /no running status/.test(e.message));
  assert.throws(() => decodeRtpMidi(packet('23 05 3c64')), DecodeError);
});

test('running status survives system real-time commands, system common and sysex cancel it', () => {
  assert.deepEqual(list('08 903c64 00f8 003e50'), [[0, '903c64'], [0, 'f8'], [0, '903e50']]);
  assert.deepEqual(list('08 903c64 00fe 003e50'), [[0, '903c64'], [0, 'fe'], [0, '903e50']]);
  for (const between of ['00f6', '00f301', '00f1 22', '00f20102', '00f0 01f7', '00f4', '00f5']) {
    const section = `903c64${between}003e50`.replace(/ /g, '');
    const length = (section.length / 2).toString(16).padStart(2, '0');
    assert.throws(() => decodeRtpMidi(packet(`${length}${section}`)), /no running status/, between);
  }
});

test('running status on encode (option): omitted where allowed, same decoded commands', () => {
  const commands = [cmd(0, '903c64'), cmd(1, '903e50'), cmd(0, 'f8'), cmd(0, '903f40'), cmd(0, 'f6'), cmd(0, '904040'), cmd(0, '804000')];
  const full = encodeRtpMidi(make(commands));
  const compact = encodeRtpMidi(make(commands), { runningStatus: true });
  assert.equal(hex(compact.subarray(12)), hex(u8('8015 903c64 013e50 00f8 003f40 00f6 00904040 00804000')));
  assert.equal(full.length - compact.length, 2);
  assert.equal(rtpMidiLength(make(commands), { runningStatus: true }), compact.length);
  assert.deepEqual(decodeRtpMidi(compact).commands, commands);
  assert.deepEqual(decodeRtpMidi(full).commands, commands);
});

test('system common and real-time commands in the list', () => {
  assert.deepEqual(list('0f f1 21 00f2 0102 00f3 05 00f6 00fa 00fc'), [
    [0, 'f121'], [0, 'f20102'], [0, 'f305'], [0, 'f6'], [0, 'fa'], [0, 'fc'],
  ]);
  // Undefined F4, F5, F9, FD are one-byte commands.
  assert.deepEqual(list('07 f4 00f5 00f9 00fd'), [[0, 'f4'], [0, 'f5'], [0, 'f9'], [0, 'fd']]);
});

test('a command cut short by a status byte, or by the end of the list, is a DecodeError', () => {
  assert.throws(() => decodeRtpMidi(packet('03 903cf8')), /cut short by status byte f8/);
  assert.throws(() => decodeRtpMidi(packet('02 903c')), /90 command truncated/);
  assert.throws(() => decodeRtpMidi(packet('04 f8 00 f2 01')), /f2 command truncated/);
  // A delta time with no command after it.
  assert.throws(() => decodeRtpMidi(packet('02 f8 00')), /MIDI command truncated/);
});

test('sysex segments are returned as sent: complete, first, middle, last, cancelled', () => {
  assert.deepEqual(list('04 f00102f7'), [[0, 'f00102f7']]);
  assert.deepEqual(list('04 f00102f0'), [[0, 'f00102f0']]);
  assert.deepEqual(list('04 f70304f0'), [[0, 'f70304f0']]);
  assert.deepEqual(list('04 f70506f7'), [[0, 'f70506f7']]);
  assert.deepEqual(list('04 f00102f4'), [[0, 'f00102f4']]);
  assert.deepEqual(list('04 f70102f4'), [[0, 'f70102f4']]);
  assert.deepEqual(list('02 f0f7'), [[0, 'f0f7']]);
  // Several segments and other commands in one list.
  assert.deepEqual(list('0e 903c64 00f00102f0 00f703f7 00f8'), [[0, '903c64'], [0, 'f00102f0'], [0, 'f703f7'], [0, 'f8']]);
});

test('real-time bytes inside a sysex segment come out as their own commands, before the segment', () => {
  assert.deepEqual(list('28 07 f0 01 f8 02 fe 03 f7'), [[7, 'f8'], [0, 'fe'], [0, 'f0010203f7']]);
});

test('a sysex segment without its terminator, or cut by another status, is a DecodeError', () => {
  assert.throws(() => decodeRtpMidi(packet('03 f00102')), /sysex segment opened by f0 .*truncated/);
  assert.throws(() => decodeRtpMidi(packet('01 f7')), DecodeError);
  assert.throws(() => decodeRtpMidi(packet('05 f001903c64')), /sysex segment cut short by status byte 90/);
  assert.throws(() => decodeRtpMidi(packet('04 f001f1f7')), /cut short by status byte f1/);
});

test('RTP header: version 2 only; M, PT, sequence, timestamp and SSRC', () => {
  const p = decodeRtpMidi(u8('8061 ffff fffffffe 80000001 00'));
  assert.deepEqual([p.marker, p.payloadType, p.sequence, p.timestamp, p.ssrc], [false, 0x61, 0xffff, 0xfffffffe, 0x80000001]);
  for (const v of ['00', '40', 'c0']) assert.throws(() => decodeRtpMidi(u8(`${v}61 0001 00000002 00000003 00`)), /RTP version \d, want 2/);
  assert.throws(() => decodeRtpMidi(u8('8061 0001 00000002 000000')), /RTP SSRC truncated/);
  assert.throws(() => decodeRtpMidi(u8('8061 0001 00000002 00000003')), /MIDI command section header truncated/);
});

test('RTP header: CSRCs and a header extension are skipped, truncation is a DecodeError', () => {
  assert.deepEqual(decodeRtpMidi(u8('82e1 0001 00000002 00000003 aaaaaaaa bbbbbbbb 03 903c64')).commands, [cmd(0, '903c64')]);
  assert.deepEqual(decodeRtpMidi(u8('91e1 0001 00000002 00000003 cccccccc beef0002 11111111 22222222 03 903c64')).commands, [cmd(0, '903c64')]);
  assert.throws(() => decodeRtpMidi(u8('82e1 0001 00000002 00000003 aaaaaaaa')), /2 CSRCs truncated/);
  assert.throws(() => decodeRtpMidi(u8('90e1 0001 00000002 00000003 beef0002 11111111')), /RTP header extension truncated/);
  assert.throws(() => decodeRtpMidi(u8('90e1 0001 00000002 00000003 be')), /extension profile truncated/);
});

test('RTP padding (P bit) is stripped; a bad padding count is a DecodeError', () => {
  assert.deepEqual(decodeRtpMidi(u8('a0e1 0001 00000002 00000003 03 903c64 000003')).commands, [cmd(0, '903c64')]);
  // Padding that would eat into the MIDI list.
  assert.throws(() => decodeRtpMidi(u8('a0e1 0001 00000002 00000003 03 903c64 02')), /MIDI list truncated/);
  assert.throws(() => decodeRtpMidi(u8('a0e1 0001 00000002 00000003 03 903c64 00')), /RTP padding of 0 bytes/);
  assert.throws(() => decodeRtpMidi(u8('a0e1 0001 00000002 00000003 03 903c64 ff')), /RTP padding of 255 bytes/);
  assert.throws(() => decodeRtpMidi(u8('a0e1 0001 00000002 00000003')), DecodeError);
});

test('MIDI list longer than the packet is a DecodeError', () => {
  assert.throws(() => decodeRtpMidi(packet('04 903c64')), /MIDI list truncated \(need 4, have 3\)/);
  assert.throws(() => decodeRtpMidi(packet('80')), /long header truncated/);
});

test('journal: J=1 takes the rest of the payload raw (at least its 3-byte header)', () => {
  const p = decodeRtpMidi(packet('43 903c64 206d76 aabb'));
  assert.equal(hex(p.journal ?? new Uint8Array()), '206d76aabb');
  assert.throws(() => decodeRtpMidi(packet('43 903c64 206d')), /recovery journal truncated \(need 3, have 2\)/);
  // An empty list with a journal: the journal still follows.
  assert.equal(hex(decodeRtpMidi(packet('40 800000')).journal ?? new Uint8Array()), '800000');
  assert.equal(hex(encodeRtpMidi(make([], { journal: u8('800000') })).subarray(12)), '40800000');
  assert.throws(() => encodeRtpMidi(make([], { journal: u8('80') })), /journal must be at least 3 bytes/);
});

test('bytes after the MIDI list with J=0 are ignored', () => {
  const p = decodeRtpMidi(packet('03 903c64 deadbeef'));
  assert.deepEqual(p.commands, [cmd(0, '903c64')]);
  assert.equal(p.journal, undefined);
});

test('the P (phantom) bit is reported and re-encoded', () => {
  const p = decodeRtpMidi(packet('13 903c64'));
  assert.equal(p.phantom, true);
  assert.equal(hex(encodeRtpMidi(p).subarray(12)), '13903c64');
});

test('encode rejects commands that are not one complete message or sysex segment', () => {
  for (const bad of ['', '3c', '903c', '903c6400', 'c00102', 'f8f8', 'f201', '90803c', 'f0', 'f00102', 'f001f8f7', 'f0903cf7']) {
    assert.throws(() => encodeRtpMidi(make([cmd(0, bad)])), RangeError, bad);
  }
  assert.throws(() => encodeRtpMidi(make([], { payloadType: 128 })), RangeError);
  assert.throws(() => encodeRtpMidi(make([], { sequence: 0x10000 })), RangeError);
  assert.throws(() => encodeRtpMidi(make([], { timestamp: -1 })), RangeError);
});

test('seeded random packets round-trip, with and without running status; rtpMidiLength matches', () => {
  const rng = new SeededRandom(0x6295);
  for (let i = 0; i < 3000; i++) {
    const p = randomPacket(rng);
    for (const runningStatus of [false, true]) {
      const bytes = encodeRtpMidi(p, { runningStatus });
      assert.equal(rtpMidiLength(p, { runningStatus }), bytes.length);
      assert.deepEqual(decodeRtpMidi(bytes), p, `packet ${i} ${hex(bytes)}`);
    }
  }
});

test('packCommands: every packet fits, order and offsets are kept', () => {
  const rng = new SeededRandom(7);
  const messages: Array<{ offsetTicks: number; data: Uint8Array }> = [];
  let t = 0;
  for (let i = 0; i < 2000; i++) {
    t += rng.int(3) === 0 ? 0 : rng.int(5000);
    messages.push({ offsetTicks: t, data: Uint8Array.of(0x90 | (i & 0xf), i & 0x7f, 1 + rng.int(127)) });
  }
  for (const max of [12, 40, 300, 1400, 5000]) {
    const packets = packCommands(messages, max);
    const back: Array<{ offsetTicks: number; data: Uint8Array }> = [];
    for (const commands of packets) {
      const bytes = encodeRtpMidi(make(commands));
      assert.ok(bytes.length - 12 <= max, `${bytes.length - 12} > ${max}`);
      let at = 0;
      for (const c of decodeRtpMidi(bytes).commands) {
        at += c.deltaTicks;
        back.push({ offsetTicks: at, data: c.data });
      }
    }
    assert.deepEqual(back, messages, `max ${max}`);
    if (max >= 1400) assert.ok(packets.length < messages.length / 50, `${packets.length} packets`);
  }
});

test('packCommands: sorts by offset, stably', () => {
  const packets = packCommands([
    { offsetTicks: 10, data: u8('903c64') },
    { offsetTicks: 0, data: u8('b00700') },
    { offsetTicks: 10, data: u8('803c00') },
  ], 100);
  assert.deepEqual(packets, [[cmd(0, 'b00700'), cmd(10, '903c64'), cmd(0, '803c00')]]);
});

test('packCommands: a 64 KiB sysex is split into segments that reassemble byte for byte', () => {
  const sysex = new Uint8Array(65536);
  for (let i = 1; i < sysex.length - 1; i++) sysex[i] = (i * 31) & 0x7f;
  sysex[0] = 0xf0;
  sysex[sysex.length - 1] = 0xf7;
  const packets = packCommands([
    { offsetTicks: 3, data: u8('903c64') },
    { offsetTicks: 5, data: sysex },
    { offsetTicks: 5, data: u8('803c00') },
  ], 1400);
  assert.ok(packets.length >= 47 && packets.length <= 49, `${packets.length} packets`);
  const assembler = new SysexAssembler();
  const out: string[] = [];
  let sysexSegments = 0;
  for (const commands of packets) {
    const bytes = encodeRtpMidi(make(commands));
    assert.ok(bytes.length <= 12 + 1400);
    for (const c of decodeRtpMidi(bytes).commands) {
      if (c.data[0] === 0xf0 || c.data[0] === 0xf7) {
        sysexSegments++;
        assert.equal(c.deltaTicks, 5, 'each segment opens its packet at the sysex offset');
        const whole = assembler.push(c.data);
        if (whole) out.push(`sysex ${whole.length} ${Buffer.compare(whole, sysex) === 0}`);
      } else {
        out.push(hex(c.data));
      }
    }
  }
  assert.deepEqual(out, ['903c64', 'sysex 65536 true', '803c00']);
  assert.ok(sysexSegments > 40);
  // The note-off shares the last segment's packet.
  assert.equal(packets.at(-1)?.length, 2);
});

test('packCommands: bad arguments throw RangeError', () => {
  assert.throws(() => packCommands([], 11), RangeError);
  assert.throws(() => packCommands([{ offsetTicks: -1, data: u8('f8') }], 100), RangeError);
  assert.throws(() => packCommands([{ offsetTicks: 0, data: u8('903c') }], 100), RangeError);
  const segment = new Uint8Array(200).fill(1);
  segment[0] = 0xf0;
  segment[199] = 0xf0;
  assert.throws(() => packCommands([{ offsetTicks: 0, data: segment }], 100), /does not fit/);
  assert.deepEqual(packCommands([], 100), []);
});
