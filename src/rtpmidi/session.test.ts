// Scenario tests of an established RTP-MIDI session on VirtualTime + FakeNetwork: clock sync,
// the timestamped output, receiving (time mapping, loss, reordering, sysex), receiver feedback,
// the jitter buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, commandsSent, hexOf, rtpSent, rtpWorld } from '../../test/rtpmidi/scenario.ts';
import { encodeRtpMidi, RTP_MIDI_PAYLOAD_TYPE } from './rtp-codec.ts';
import type { ClockSync } from './clock-sync.ts';

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

test('the initiator syncs clocks in a burst of 6 exchanges 1.5 s apart, then every 10 s; the responder only answers', async () => {
  const w = rtpWorld();
  const { a, b } = await w.pair();
  const start = commandsSent(w.net.sent, { kind: 'CK', from: a.host.address })[0]?.d.time ?? 0;
  await w.run(40_000_000, 100_000);
  const ck0 = commandsSent(w.net.sent, { kind: 'CK', from: a.host.address }).filter((c) => c.cmd.kind === 'CK' && c.cmd.count === 0);
  assert.deepEqual(ck0.map((c) => (c.d.time - start) / 1000), [0, 1500, 3000, 4500, 6000, 7500, 17500, 27500, 37500]);
  assert.ok(ck0.every((c) => c.d.to.port === 5005), 'CK goes to the data port');
  const fromB = commandsSent(w.net.sent, { kind: 'CK', from: b.host.address });
  assert.ok(fromB.every((c) => c.cmd.kind === 'CK' && c.cmd.count === 1), 'the responder sends only CK1');
  assert.equal(fromB.length, ck0.length);
  await a.ep.close();
  await b.ep.close();
});

test('clock sync estimates the latency (half the round trip) and the offset between the clocks, on both sides', async () => {
  const w = rtpWorld({ latencyMicros: 2_000 });
  const offsetB = 5_000_000;
  const { a, b, sa, sb } = await w.pair({}, {}, {}, { clockOffsetMicros: offsetB });
  const syncs: ClockSync[] = [];
  sa.on('sync', (s) => syncs.push(s));
  await w.run(10_000_000, 100_000);
  assert.ok(syncs.length >= 1, 'a sync event');
  const ca = sa.clockSync;
  const cb = sb.clockSync;
  assert.ok(ca && cb);
  near(ca.latencyMicros, 2_000, 100, 'initiator latency');
  near(ca.offsetMicros, offsetB, 150, 'initiator offset (remote - ours)');
  near(cb.latencyMicros, 2_000, 100, 'responder latency');
  near(cb.offsetMicros, -offsetB, 150, 'responder offset (remote - ours)');
  assert.ok(ca.at <= a.host.runtime.clock.micros());
  await a.ep.close();
  await b.ep.close();
});

test('the lowest round trip of the recent exchanges wins', async () => {
  const w = rtpWorld({ latencyMicros: 1_000 });
  const { a, b, sa } = await w.pair();
  await w.run(2_000_000, 100_000); // two quick exchanges
  w.net.latencyMicros = 20_000; // a congested moment: longer round trips
  await w.run(3_000_000, 100_000);
  near(sa.clockSync?.latencyMicros ?? 0, 1_000, 50, 'latency kept from the quiet exchanges');
  await a.ep.close();
  await b.ep.close();
});

test('messages arrive with their sender time mapped to the receiver\'s clock; before clock sync with their arrival time', async () => {
  const w = rtpWorld({ latencyMicros: 1_500 });
  const offsetB = -3_000_000;
  const { a, b, sa, sb } = await w.pair({}, {}, {}, { clockOffsetMicros: offsetB });
  const got = collect(sb);
  // Sent right away: the responder has no estimate yet (it gets one from the first CK2).
  sa.send(Uint8Array.of(0x90, 60, 1));
  await w.run(1_000);
  w.vt.advance(5_000);
  assert.equal(got.length, 1);
  assert.equal(got[0]?.timeMicros, got[0]?.receivedAtMicros);
  await w.run(3_000_000, 100_000);
  assert.ok(sb.clockSync, 'the responder has an estimate');
  const t = a.host.runtime.clock.micros() + 50_000;
  sa.send(Uint8Array.of(0x90, 62, 100), t);
  sa.send(Uint8Array.of(0x80, 62, 0), t + 12_345);
  await w.run(100_000);
  assert.equal(got.length, 3);
  near(got[1]!.timeMicros, t + offsetB, 150, 'note-on time on the receiver clock');
  near(got[2]!.timeMicros - got[1]!.timeMicros, 12_300, 100, 'spacing (100 µs units)');
  assert.ok(got[1]!.receivedAtMicros < got[1]!.timeMicros, 'sent ahead: it arrived before its time');
  await a.ep.close();
  await b.ep.close();
});

test('the output holds each message until sendAhead before its time and sends those due together in one packet with delta times', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair({ sendAheadMicros: 10_000 });
  const got = collect(sb);
  w.net.sent.length = 0;
  const now = a.host.runtime.clock.micros();
  sa.output.send(Uint8Array.of(0x90, 60, 100), now + 100_000);
  sa.output.send(Uint8Array.of(0x90, 64, 100), now + 100_050);
  sa.output.send(Uint8Array.of(0x90, 67, 100), now + 100_300);
  sa.output.send(Uint8Array.of(0x80, 60, 0), now + 500_000);
  assert.equal(sa.output.withdrawLeadMicros, 11_000, 'sendAhead + the 1 ms coalescing window');
  await w.run(80_000, 1_000);
  assert.equal(rtpSent(w.net.sent, a.host.address).length, 0, 'nothing before its time - sendAhead');
  await w.run(15_000, 1_000);
  const packets = rtpSent(w.net.sent, a.host.address).filter((p) => p.packet.commands.length > 0);
  assert.equal(packets.length, 1);
  const p = packets[0]!;
  near(p.d.time, now + 90_000, 1_000, 'sent 10 ms ahead');
  assert.equal(p.packet.timestamp, Math.floor((now + 100_000) / 100) % 2 ** 32, 'RTP timestamp: the exact time in 100 µs units');
  assert.deepEqual(p.packet.commands.map((c) => c.deltaTicks), [0, 0, 3], 'delta times in 100 µs units (50 µs rounds into the same tick)');
  assert.equal(p.packet.marker, true);
  assert.equal(p.packet.payloadType, RTP_MIDI_PAYLOAD_TYPE);
  assert.equal(p.packet.ssrc, sa.localSsrc);
  await w.run(500_000, 10_000);
  assert.deepEqual(got.map((e) => hexOf(e.data)), ['90 3c 64', '90 40 64', '90 43 64', '80 3c 00']);
  await a.ep.close();
  await b.ep.close();
});

test('cancelFrom withdraws what is still held; what went out stays', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair();
  const got = collect(sb);
  const now = a.host.runtime.clock.micros();
  sa.output.send(Uint8Array.of(0x90, 60, 100), now + 5_000); // within sendAhead: out at once
  sa.output.send(Uint8Array.of(0x90, 61, 100), now + 200_000);
  sa.output.send(Uint8Array.of(0x90, 62, 100), now + 300_000);
  await w.run(20_000, 1_000);
  sa.output.cancelFrom(now + 250_000);
  assert.equal((sa.output as unknown as { pending: number }).pending, 1);
  sa.output.cancelFrom(now); // the first one is on the wire: not withdrawn
  await w.run(500_000, 10_000);
  assert.deepEqual(got.map((e) => e.data[1]), [60]);
  await a.ep.close();
  await b.ep.close();
});

test('sequence numbers count packets from a random start; a gap is counted as loss, an older packet dropped as late', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair({ journal: 'off' }, { journal: 'off' });
  const got = collect(sb);
  for (let i = 0; i < 3; i++) {
    sa.send(Uint8Array.of(0x90, 60 + i, 100));
    await w.run(5_000);
  }
  const seqs = rtpSent(w.net.sent, a.host.address).map((p) => p.packet.sequence);
  assert.deepEqual(seqs, [seqs[0], (seqs[0]! + 1) & 0xffff, (seqs[0]! + 2) & 0xffff]);
  // Forged packets from a's address and SSRC: a jump ahead (loss), then one from the past.
  const forge = (sequence: number, note: number) => encodeRtpMidi({
    marker: true, payloadType: 0x61, sequence: sequence & 0xffff, timestamp: 0, ssrc: sa.localSsrc,
    commands: [{ deltaTicks: 0, data: Uint8Array.of(0x90, note, 1) }], phantom: false,
  });
  const from = { address: a.host.address, port: a.ep.port + 1 };
  w.net.inject(b.host, 5005, forge(seqs[2]! + 3, 70), from);
  await w.run(1_000);
  w.net.inject(b.host, 5005, forge(seqs[2]! + 1, 71), from);
  await w.run(1_000);
  assert.deepEqual(got.map((e) => e.data[1]), [60, 61, 62, 70]);
  assert.equal(sb.stats.lost, 2);
  assert.equal(sb.stats.late, 1);
  assert.ok(b.warnings.some((m) => /2 packet\(s\) lost .* no journal/.test(m)));
  await a.ep.close();
  await b.ep.close();
});

test('with the journal, a lost note-off is repaired from the next packet (or the guard packet)', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair();
  const got = collect(sb);
  sa.send(Uint8Array.of(0x90, 60, 100));
  await w.run(5_000);
  w.net.cut(a.host, b.host);
  sa.send(Uint8Array.of(0x80, 60, 0)); // lost
  await w.run(5_000);
  w.net.heal();
  await w.run(200_000); // the guard packet carries the journal
  assert.deepEqual(got.map((e) => hexOf(e.data)), ['90 3c 64', '80 3c 40'], 'the note-off comes back from the journal');
  assert.equal(sb.stats.lost, 1);
  assert.equal(sb.stats.recovered, 1);
  await a.ep.close();
  await b.ep.close();
});

test('receiver feedback: RS goes to the sender\'s control port with the newest sequence number, and moves its journal checkpoint', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair({}, { feedbackIntervalMicros: 500_000 });
  for (let i = 0; i < 5; i++) {
    sa.send(Uint8Array.of(0x90, 60 + i, 100));
    await w.run(10_000);
  }
  const journalBytes = () => {
    const ps = rtpSent(w.net.sent, a.host.address);
    return ps[ps.length - 1]?.packet.journal?.length ?? 0;
  };
  const before = journalBytes();
  assert.ok(before > 0, 'packets carry a journal');
  await w.run(600_000, 10_000);
  const rs = commandsSent(w.net.sent, { kind: 'RS', from: b.host.address });
  assert.equal(rs.length, 1);
  assert.equal(rs[0]!.d.to.port, a.ep.port, 'RS on the control port');
  const last = rtpSent(w.net.sent, a.host.address).filter((p) => p.packet.commands.length > 0).pop()!.packet.sequence;
  // Guards follow the last note at 50, 150 and 350 ms (and 750): the RS, sent within the 600 ms, names the third.
  assert.equal(rs[0]!.cmd.kind === 'RS' && rs[0]!.cmd.seq, (last + 3) & 0xffff, 'the newest packet: the third guard after the last note');
  assert.equal(hexOf(rs[0]!.d.data.subarray(8, 12)).slice(-5), '00 00', 'Apple layout: seq in the high half');
  sa.send(Uint8Array.of(0x90, 70, 100));
  await w.run(10_000);
  const after = journalBytes();
  assert.ok(after < before, `the journal shrank after RS (${before} → ${after} bytes)`);
  assert.deepEqual(a.warnings, []);
  void sb;
  await a.ep.close();
  await b.ep.close();
});

test('a sysex larger than a packet travels in segments and arrives whole', async () => {
  const w = rtpWorld();
  const { a, b, sa, sb } = await w.pair();
  const got = collect(sb);
  const sysex = new Uint8Array(5000);
  sysex[0] = 0xf0;
  for (let i = 1; i < sysex.length - 1; i++) sysex[i] = i % 128;
  sysex[sysex.length - 1] = 0xf7;
  sa.send(sysex);
  await w.run(50_000);
  assert.ok(rtpSent(w.net.sent, a.host.address).length >= 5, 'several packets');
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.data, sysex);
  await a.ep.close();
  await b.ep.close();
});

test('a jitter buffer delivers each message at its sender time + depth', async () => {
  const w = rtpWorld({ latencyMicros: 1_000 });
  const { a, b, sa } = await w.pair({}, { playout: { depthMicros: 5_000 }, sendAheadMicros: 0 });
  await w.run(3_000_000, 100_000);
  const sb = b.sessions[0]!;
  const deliveredAt: number[] = [];
  const got = collect(sb);
  sb.on('message', () => deliveredAt.push(b.host.runtime.clock.micros()));
  const t = a.host.runtime.clock.micros() + 30_000;
  sa.send(Uint8Array.of(0xf8), t);
  sa.send(Uint8Array.of(0xf8), t + 20_833);
  await w.run(100_000, 100);
  assert.equal(got.length, 2);
  got.forEach((e, i) => near(deliveredAt[i]!, e.timeMicros + 5_000, 200, `delivery ${i}`));
  near(got[1]!.timeMicros - got[0]!.timeMicros, 20_800, 100, 'spacing kept');
  await a.ep.close();
  await b.ep.close();
});

test('send checks its bytes at once and drops after close', async () => {
  const w = rtpWorld();
  const { a, b, sa } = await w.pair();
  assert.throws(() => sa.send(Uint8Array.of(0x3c)), RangeError);
  assert.throws(() => sa.send(Uint8Array.of(0x90, 60)), RangeError);
  assert.throws(() => sa.send(Uint8Array.of(0xf0, 1, 2)), RangeError);
  assert.throws(() => sa.send([0x90, 1, 2] as unknown as Uint8Array), TypeError);
  await sa.close();
  sa.send(Uint8Array.of(0x90, 60, 1)); // dropped, no throw
  await a.ep.close();
  await b.ep.close();
});

test('whenSynced resolves with the first estimate, at once once there is one, and rejects E_CLOSED after the end', async () => {
  const w = rtpWorld({ latencyMicros: 1_000 });
  const { a, b, sa, sb } = await w.pair();
  const first = await w.settle(sa.whenSynced());
  assert.ok(first);
  near(first.latencyMicros, 1_000, 100, 'latency');
  assert.deepEqual(await sa.whenSynced(), sa.clockSync);
  assert.ok(await w.settle(sb.whenSynced()), 'the responder has one after the first CK2');
  await sa.close();
  await assert.rejects(sa.whenSynced(), (err: { code?: string }) => err.code === 'E_CLOSED');
  await a.ep.close();
  await b.ep.close();
});
