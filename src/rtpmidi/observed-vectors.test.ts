// Every packet of applemidi-observed.md (copied to test/fixtures/applemidi/observed.json), decoded
// field by field and re-encoded byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeAppleMidi, encodeAppleMidi, isAppleMidiCommand, type AppleMidiCommand } from './session-codec.ts';
import { decodeRtpMidi, encodeRtpMidi, RTP_MIDI_PAYLOAD_TYPE, type RtpMidiPacket } from './rtp-codec.ts';

interface Vector { name: string; direction: string; note: string; hex: string }
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/applemidi/observed.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const bytesOf = (name: string): Uint8Array => {
  const v = fixture.vectors.find((x) => x.name === name);
  assert.ok(v, `fixture ${name}`);
  return new Uint8Array(Buffer.from(v.hex, 'hex'));
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u8 = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const PY_SSRC = 0x0f19efda;
const RTPMIDID_SSRC_A = 0x0000632e;

/** The decoded command for each session vector; each also re-encodes to exactly its bytes. */
const session: Record<string, AppleMidiCommand> = {
  'A.control.IN': { kind: 'IN', version: 2, token: 0x2a776e9b, ssrc: PY_SSRC, name: 'py-applemidi-demo' },
  'A.control.OK': { kind: 'OK', version: 2, token: 0x2a776e9b, ssrc: RTPMIDID_SSRC_A, name: 'rtpmidid-test' },
  'A.data.CK0': { kind: 'CK', ssrc: PY_SSRC, count: 0, timestamps: [0x0f4248, 0, 0] },
  'A.data.CK1': { kind: 'CK', ssrc: RTPMIDID_SSRC_A, count: 1, timestamps: [0x0f4248, 4, 0] },
  'A.data.CK2': { kind: 'CK', ssrc: PY_SSRC, count: 2, timestamps: [0x0f4248, 4, 0x0f4249] },
  'A.control.BY': { kind: 'BY', version: 2, token: 0x2a776e9b, ssrc: PY_SSRC },
  'B.control.IN': { kind: 'IN', version: 2, token: 0xf5ec2a73, ssrc: 0x45fa, name: 'rtpmidid-client' },
  'B.control.OK': { kind: 'OK', version: 2, token: 0xf5ec2a73, ssrc: 0xca6c87fb, name: 'py-applemidi-demo' },
  'B.data.CK0': { kind: 'CK', ssrc: 0x45fa, count: 0, timestamps: [6, 0, 0] },
  'B.data.CK1': { kind: 'CK', ssrc: 0xca6c87fb, count: 1, timestamps: [6, 0x0f5469, 0] },
  'B.data.CK2': { kind: 'CK', ssrc: 0x45fa, count: 2, timestamps: [6, 0x0f5469, 0x1ff] },
};

for (const [name, expected] of Object.entries(session)) {
  test(`observed ${name} decodes to its fields and re-encodes byte for byte`, () => {
    const bytes = bytesOf(name);
    assert.ok(isAppleMidiCommand(bytes));
    const cmd = decodeAppleMidi(bytes);
    assert.deepEqual(cmd, expected);
    assert.ok(cmd.kind !== 'unknown');
    assert.equal(hex(encodeAppleMidi(cmd)), hex(bytes));
  });
}

test('observed RS from rtpmidid (seq in the low half) decodes to the checkpoint 0x6d76', () => {
  const bytes = bytesOf('A.control.RS.low');
  assert.equal(bytes.length, 12);
  const cmd = decodeAppleMidi(bytes);
  assert.deepEqual(cmd, { kind: 'RS', ssrc: RTPMIDID_SSRC_A, seq: 0x6d76 });
  // It is the journal checkpoint of the J=1 packet that rtpmidid answered.
  assert.equal(decodeRtpMidi(bytesOf('A.data.RTP.journal')).journal?.[1], 0x6d);
});

test('RS in the Apple/Wireshark layout (seq in the high half) decodes the same; we encode that layout', () => {
  const apple = u8('ffff5253 0000632e 6d760000');
  assert.deepEqual(decodeAppleMidi(apple), { kind: 'RS', ssrc: RTPMIDID_SSRC_A, seq: 0x6d76 });
  assert.equal(hex(encodeAppleMidi({ kind: 'RS', ssrc: RTPMIDID_SSRC_A, seq: 0x6d76 })), hex(apple));
  // Both halves set: the high half is the sequence number.
  assert.deepEqual(decodeAppleMidi(u8('ffff5253 0000632e 6d760001')), { kind: 'RS', ssrc: RTPMIDID_SSRC_A, seq: 0x6d76 });
  assert.deepEqual(decodeAppleMidi(u8('ffff5253 0000632e 00000000')), { kind: 'RS', ssrc: RTPMIDID_SSRC_A, seq: 0 });
});

const base = { payloadType: RTP_MIDI_PAYLOAD_TYPE, phantom: false };
const rtp: Record<string, RtpMidiPacket> = {
  'A.data.RTP.noteOn': { ...base, marker: true, sequence: 0x6d75, timestamp: 0x0f4249, ssrc: PY_SSRC, commands: [{ deltaTicks: 0, data: u8('903c64') }] },
  'A.data.RTP.noteOff': { ...base, marker: true, sequence: 0x6d76, timestamp: 0x0f4e04, ssrc: PY_SSRC, commands: [{ deltaTicks: 0, data: u8('803c00') }] },
  'A.data.RTP.journal': {
    ...base, marker: true, sequence: 0x6d77, timestamp: 0x0f55d8, ssrc: PY_SSRC,
    commands: [{ deltaTicks: 0, data: u8('903e50') }],
    journal: u8('20 6d76 0007 08 01f0 3ce4'),
  },
  'A.data.RTP.fromRtpmidid': { ...base, marker: false, sequence: 0xfa6d, timestamp: 0x1398, ssrc: RTPMIDID_SSRC_A, commands: [{ deltaTicks: 0, data: u8('90407f') }] },
  'B.data.RTP.noteOn': { ...base, marker: true, sequence: 0x35c1, timestamp: 0x0f69ff, ssrc: 0xca6c87fb, commands: [{ deltaTicks: 0, data: u8('903c64') }] },
  'B.data.RTP.cc': { ...base, marker: false, sequence: 0xbfff, timestamp: 0x1798, ssrc: 0x45fa, commands: [{ deltaTicks: 0, data: u8('b00764') }] },
};

for (const [name, expected] of Object.entries(rtp)) {
  test(`observed ${name} decodes to its fields and re-encodes byte for byte`, () => {
    const bytes = bytesOf(name);
    assert.equal(isAppleMidiCommand(bytes), false);
    const packet = decodeRtpMidi(bytes);
    assert.deepEqual(packet, expected);
    assert.equal(hex(encodeRtpMidi(packet)), hex(bytes));
  });
}

test('observed journal packet: J=1, LEN=3, the journal is the raw 10-byte tail', () => {
  const bytes = bytesOf('A.data.RTP.journal');
  assert.equal(bytes[12], 0x43, 'B=0 J=1 Z=0 P=0 LEN=3');
  const p = decodeRtpMidi(bytes);
  assert.equal(hex(p.journal ?? new Uint8Array(0)), '206d7600070801f03ce4');
  assert.equal(hex(bytes.subarray(16)), '206d7600070801f03ce4');
});

test('every fixture is covered by a test above', () => {
  const covered = new Set([...Object.keys(session), ...Object.keys(rtp), 'A.control.RS.low']);
  assert.deepEqual(fixture.vectors.map((v) => v.name).filter((n) => !covered.has(n)), []);
});
