// Seeded random RTP-MIDI packets and AppleMIDI commands in the canonical form the decoders
// produce (so `decode(encode(v))` deep-equals `v`), shared by the codec round-trip tests and the
// codec fuzzer (src/rtpmidi/rtp-codec.test.ts, src/rtpmidi/codec.fuzz.test.ts).
import type { SeededRandom } from '../../src/core/prng.ts';
import { RTP_MIDI_PAYLOAD_TYPE, type RtpMidiCommand, type RtpMidiPacket } from '../../src/rtpmidi/rtp-codec.ts';
import type { AppleMidiCommand } from '../../src/rtpmidi/session-codec.ts';

const data7 = (rng: SeededRandom) => rng.int(128);

/** Deltas spread over every encoded width (1–4 bytes). */
function randomDelta(rng: SeededRandom): number {
  switch (rng.int(6)) {
    case 0: return rng.int(0x80);
    case 1: return rng.int(0x4000);
    case 2: return rng.int(0x20_0000);
    case 3: return rng.int(0x1000_0000);
    default: return 0;
  }
}

/** One MIDI message or sysex segment the MIDI list can carry (no real-time inside a sysex). */
export function randomCommandData(rng: SeededRandom): Uint8Array {
  const kind = rng.int(10);
  if (kind < 5) {
    const status = 0x80 | (rng.int(7) << 4) | rng.int(16);
    return (status & 0xe0) === 0xc0 ? Uint8Array.of(status, data7(rng)) : Uint8Array.of(status, data7(rng), data7(rng));
  }
  if (kind === 5) {
    const common = [[0xf1, 1], [0xf2, 2], [0xf3, 1], [0xf6, 0], [0xf4, 0], [0xf5, 0]] as const;
    const [status, n] = common[rng.int(common.length)] ?? [0xf6, 0];
    return Uint8Array.from([status, ...Array.from({ length: n }, () => data7(rng))]);
  }
  if (kind < 8) return Uint8Array.of(0xf8 + rng.int(8));
  const open = rng.int(2) === 0 ? 0xf0 : 0xf7;
  const close = [0xf0, 0xf7, 0xf7, 0xf4][rng.int(4)] ?? 0xf7;
  return Uint8Array.from([open, ...Array.from({ length: rng.int(24) }, () => data7(rng)), close]);
}

export function randomCommands(rng: SeededRandom, max = 12): RtpMidiCommand[] {
  return Array.from({ length: rng.int(max + 1) }, () => ({ deltaTicks: randomDelta(rng), data: randomCommandData(rng) }));
}

export function randomPacket(rng: SeededRandom): RtpMidiPacket {
  const p: RtpMidiPacket = {
    marker: rng.int(2) === 0,
    payloadType: rng.int(4) === 0 ? rng.int(128) : RTP_MIDI_PAYLOAD_TYPE,
    sequence: rng.int(0x10000),
    timestamp: rng.u32(),
    ssrc: rng.u32(),
    commands: randomCommands(rng),
    phantom: rng.int(8) === 0,
  };
  if (rng.int(3) === 0) p.journal = rng.bytes(3 + rng.int(40));
  return p;
}

export function randomAppleMidi(rng: SeededRandom): Exclude<AppleMidiCommand, { kind: 'unknown' }> {
  const names = ['', 'phaselock', 'rtpmidid-test', 'Bühne ♪', 'x'.repeat(64), 'Session 🎹 1'];
  const name = names[rng.int(names.length)] ?? '';
  switch (rng.int(6)) {
    case 0: return { kind: 'IN', version: 2, token: rng.u32(), ssrc: rng.u32(), name };
    case 1: return { kind: 'OK', version: 2, token: rng.u32(), ssrc: rng.u32(), name };
    case 2: return { kind: 'NO', version: rng.int(4), token: rng.u32(), ssrc: rng.u32(), name };
    case 3: return { kind: 'BY', version: 2, token: rng.u32(), ssrc: rng.u32() };
    case 4: {
      const ts = () => (rng.int(2) === 0 ? rng.int(100000) : rng.u32() * 0x1000 + rng.int(0x1000));
      return { kind: 'CK', ssrc: rng.u32(), count: rng.int(3) as 0 | 1 | 2, timestamps: [ts(), ts(), ts()] };
    }
    default: return { kind: 'RS', ssrc: rng.u32(), seq: rng.int(0x10000) };
  }
}
