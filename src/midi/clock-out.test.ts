// Scenario tests of MidiClockOut on VirtualTime (+ FakeNetwork for peers): no sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkPeer } from '../link/link-peer.ts';
import type { SessionState } from '../link/session-state.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { SeededRandom } from '../core/prng.ts';
import { MidiClockOut } from './clock-out.ts';
import { describeMidi, RecordingOutput, type RecordedMessage } from './output.ts';

function offline(bpm = 120) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const link = new LinkPeer(net.addHost({ name: 'a' }).runtime, { bpm });
  return { vt, link };
}

const TICK = 0xf8;
const names = (ms: RecordedMessage[]) => ms.map((m) => describeMidi(m.data));
const ticks = (rec: RecordingOutput) => rec.withStatus(TICK);

/** Index of the first message of each kind. */
function firstOf(rec: RecordingOutput, name: string): RecordedMessage {
  const m = rec.messages.find((x) => describeMidi(x.data) === name);
  assert.ok(m, `no ${name} in ${names(rec.messages).slice(0, 8).join(', ')}`);
  return m;
}

for (const bpm of [20, 120, 999]) {
  test(`ticks land exactly on the Link grid at ${bpm} bpm, from SPP 0 + Start on the downbeat`, () => {
    const { vt, link } = offline(bpm);
    const rec = new RecordingOutput({ clock: vt });
    const instant = new RecordingOutput({ clock: vt, acceptsFutureTimestamps: false });
    const a = new MidiClockOut(link, rec).open();
    const b = new MidiClockOut(link, instant).open();
    vt.advance(12_345);
    const downbeat = a.start();
    const beats = bpm === 20 ? 6 : 40;
    vt.advance(downbeat - vt.micros() + Math.round((beats * 60e6) / bpm) + 1000);
    const s = link.captureAppSessionState();
    assert.deepEqual(names(rec.messages.slice(0, 3)), ['songposition 0', 'start', 'clock']);
    assert.equal(rec.messages[1]?.timeMicros, downbeat);
    assert.equal(s.beatAtTime(downbeat, 4), 0);
    const t = ticks(rec);
    assert.ok(t.length >= beats * 24, `${t.length} ticks`);
    t.forEach((m, i) => assert.equal(m.timeMicros, s.timeAtBeat(i / 24, 4), `tick ${i}`));
    // An output that must be called at the instant is called exactly then (VirtualTime).
    assert.ok(ticks(instant).length >= beats * 24, `${ticks(instant).length} ticks at the instant`);
    assert.deepEqual(instant.messages.map((m) => m.timeMicros), instant.messages.map((m) => m.calledAtMicros));
    assert.deepEqual(ticks(instant).map((m) => m.timeMicros), t.slice(0, ticks(instant).length).map((m) => m.timeMicros));
    // Timestamped outputs get every message ahead of time.
    assert.ok(rec.messages.every((m) => (m.calledAtMicros as number) < m.timeMicros));
    a.close();
    b.close();
  });
}

test('start() waits for the next bar: the count-in is visible as negative beats', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec).open();
  vt.advance(1_234_567);
  const downbeat = clock.start();
  const s = link.captureAppSessionState();
  const now = s.beatAtTime(vt.micros(), 4);
  assert.ok(now < 0 && now >= -4, `beat now ${now}`);
  assert.equal(s.phaseAtTime(downbeat, 4), 0);
  assert.equal(s.isPlaying, true);
  assert.equal(clock.running, false);
  vt.advance(downbeat - vt.micros() + 1);
  assert.equal(clock.running, true);
  clock.close();
});

test('a tempo change committed at the horizon moves every later tick onto the new grid exactly (mid-bar, within a tick)', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec).open();
  const downbeat = clock.start();
  vt.advance(downbeat - vt.micros() + 1_600_000); // beat 3.2: mid-bar
  const before = link.captureAppSessionState();
  // The Link timeline is one line: a change at time t re-draws it through (t, beat(t)), so only a
  // change at or after the horizon leaves every handed-out tick on the new line too. The
  // horizon rarely falls on a tick: the tick interval around it mixes both tempos.
  const tChange = clock.horizonMicros as number;
  const n = Math.floor(before.beatAtTime(tChange, 4) * 24);
  assert.ok(before.timeAtBeat(n / 24, 4) < tChange && before.timeAtBeat((n + 1) / 24, 4) > tChange, 'change falls within a tick');
  const s = link.captureAppSessionState();
  s.setTempo(173, tChange);
  link.commitAppSessionState(s);
  const after = link.captureAppSessionState();
  vt.advance(3_000_000);
  const t = ticks(rec);
  t.forEach((m, i) => {
    const expected = before.timeAtBeat(i / 24, 4) < tChange ? before.timeAtBeat(i / 24, 4) : after.timeAtBeat(i / 24, 4);
    assert.equal(m.timeMicros, expected, `tick ${i}`);
  });
  // The tick spanning the change mixes both tempos: neither old nor new interval.
  const span = (t[n + 1]?.timeMicros as number) - (t[n]?.timeMicros as number);
  assert.ok(span > 60e6 / 173 / 24 && span < 60e6 / 120 / 24, `interval ${span}`);
  clock.close();
});

test('a tempo change committed now (inside the handed-out window) never duplicates or drops a tick', () => {
  for (const bpm of [60, 240, 999, 20]) {
    const { vt, link } = offline(120);
    // Stamped with the clock: which ticks were handed out after the change is known.
    const rec = new RecordingOutput({ clock: vt });
    const clock = new MidiClockOut(link, rec).open();
    const downbeat = clock.start();
    vt.advance(downbeat - vt.micros() + 1_000_000 + 7_777);
    const s = link.captureAppSessionState();
    s.setTempo(bpm, vt.micros());
    link.commitAppSessionState(s);
    const after = link.captureAppSessionState();
    vt.advance(Math.round((4 * 60e6) / bpm));
    const stopAt = clock.stop();
    vt.advance(100_000);
    const t = ticks(rec);
    // Tick i is at beat i/24: the count equals the grid ticks before the stop.
    const stopBeat = after.beatAtTime(stopAt, 4);
    assert.equal(t.length, Math.ceil(stopBeat * 24 - 1e-9), `${bpm} bpm: ${t.length} ticks before beat ${stopBeat}`);
    for (let i = 1; i < t.length; i++) assert.ok((t[i]?.timeMicros as number) >= (t[i - 1]?.timeMicros as number));
    // Everything handed out after the change is on the new grid.
    const changedAt = vt.micros() - 100_000 - Math.round((4 * 60e6) / bpm);
    const later = t.map((m, i) => [m, i] as const).filter(([m]) => (m.calledAtMicros as number) > changedAt + 50_000);
    assert.ok(later.length >= 24, `${bpm} bpm: ${later.length} ticks handed out after the change`);
    for (const [m, i] of later) assert.equal(m.timeMicros, after.timeAtBeat(i / 24, 4), `${bpm} bpm: tick ${i}`);
    assert.equal(describeMidi(rec.messages.at(-1)?.data as Uint8Array), 'stop');
    clock.close();
  }
});

test('stop, song position and continue: Stop after the last tick, SPP before Continue, resume on the bar phase', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput({ clock: vt });
  const clock = new MidiClockOut(link, rec).open();
  const events: string[] = [];
  clock.on('start', () => events.push('start')).on('stop', () => events.push('stop'))
    .on('continue', (_t, p) => events.push(`continue ${p}`)).on('songposition', (p) => events.push(`spp ${p}`));
  const downbeat = clock.start();
  vt.advance(downbeat - vt.micros() + 2_650_000); // beat 5.3
  const stopAt = clock.stop();
  vt.advance(200_000);
  const s = link.captureAppSessionState();
  const last = rec.messages.at(-1) as RecordedMessage;
  assert.equal(describeMidi(last.data), 'stop');
  assert.equal(last.timeMicros, stopAt);
  const t = ticks(rec);
  assert.ok((t.at(-1)?.timeMicros as number) < stopAt);
  const stopBeat = s.beatAtTime(stopAt, 4);
  assert.equal(clock.songPositionBeats, Math.ceil(stopBeat * 4) / 4);
  assert.equal(s.isPlaying, false);
  rec.clear();
  vt.advance(1_000_000);
  const resumeAt = clock.continue();
  vt.advance(resumeAt - vt.micros() + 100_000);
  const sixteenths = clock.songPositionBeats * 4;
  assert.deepEqual(names(rec.messages.slice(0, 3)), [`songposition ${sixteenths}`, 'continue', 'clock']);
  assert.equal(rec.messages[1]?.timeMicros, resumeAt);
  const s2 = link.captureAppSessionState();
  // Same phase in the bar as the stopped position.
  assert.ok(Math.abs(s2.phaseAtTime(resumeAt, 4) - (clock.songPositionBeats % 4)) < 1e-5);
  clock.stop();
  vt.advance(200_000);
  rec.clear();
  clock.songPosition(8);
  assert.deepEqual(names(rec.messages), ['songposition 32']);
  const again = clock.continue();
  vt.advance(again - vt.micros() + 10_000);
  assert.deepEqual(names(rec.messages.slice(1, 4)), ['songposition 32', 'continue', 'clock']);
  assert.ok(Math.abs(link.captureAppSessionState().phaseAtTime(again, 4)) < 1e-5, 'position 8 resumes on a bar');
  assert.deepEqual(events.slice(0, 4), ['spp 0', 'start', 'stop', `spp ${sixteenths}`]);
  clock.close();
});

test('songPosition while running relocates: Stop, SPP, Continue on the next beat of the bar phase', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec).open();
  const downbeat = clock.start();
  vt.advance(downbeat - vt.micros() + 1_100_000);
  rec.clear();
  clock.songPosition(17); // bar phase 1
  vt.advance(2_000_000);
  const i = rec.messages.findIndex((m) => describeMidi(m.data) === 'stop');
  assert.ok(i > 0, 'ticks go on until the relocation');
  assert.deepEqual(names(rec.messages.slice(i, i + 4)), ['stop', 'songposition 68', 'continue', 'clock']);
  const at = rec.messages[i]?.timeMicros as number;
  assert.ok(Math.abs(link.captureAppSessionState().phaseAtTime(at, 4) - 1) < 1e-5);
  clock.close();
});

test('a phase jump (forceBeatAtTime) relocates with Stop, SPP, Continue on the next 16th of the new timeline', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec).open();
  const downbeat = clock.start();
  vt.advance(downbeat - vt.micros() + 1_000_000);
  rec.clear();
  const s = link.captureAppSessionState();
  s.forceBeatAtTime(10.1, vt.micros(), 4);
  link.commitAppSessionState(s);
  vt.advance(500_000);
  const i = rec.messages.findIndex((m) => describeMidi(m.data) === 'stop');
  assert.ok(i >= 0);
  const seq = names(rec.messages.slice(i, i + 4));
  assert.equal(seq[0], 'stop');
  assert.match(seq[1] as string, /^songposition 4[0-2]$/);
  assert.deepEqual(seq.slice(2), ['continue', 'clock']);
  const after = link.captureAppSessionState();
  const k = Number((seq[1] as string).split(' ')[1]);
  assert.equal(rec.messages[i + 2]?.timeMicros, after.timeAtBeat(k / 4, 4));
  clock.close();
});

test('a remote start starts our clock on its bar, and our stop stops the peer (start/stop sync both ways)', () => {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const ha = net.addHost({ name: 'a', clockOffsetMicros: 0 });
  const hb = net.addHost({ name: 'b', clockOffsetMicros: 3_210_987 });
  const a = new LinkPeer(ha.runtime, { bpm: 120, startStopSync: true });
  const b = new LinkPeer(hb.runtime, { bpm: 120, startStopSync: true });
  a.enable();
  b.enable();
  assert.ok(vt.runUntil(() => a.numPeers === 1 && b.numPeers === 1, 5_000_000));
  vt.advance(1_500_000);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(a, rec).open();
  // b starts quantized at its next bar, 0.3 s ahead.
  const sb = b.captureAppSessionState();
  const nowB = hb.runtime.clock.micros();
  const barB = Math.ceil(sb.beatAtTime(nowB + 300_000, 4) / 4) * 4;
  const startB = sb.timeAtBeat(barB, 4);
  sb.setIsPlayingAndRequestBeatAtTime(true, startB, 0, 4);
  b.commitAppSessionState(sb);
  vt.advance(3_000_000);
  const start = firstOf(rec, 'start');
  const sa: SessionState = a.captureAppSessionState();
  assert.equal(sa.phaseAtTime(start.timeMicros, 4), 0, 'on the bar');
  // Same instant in true time (clock offsets differ by 3.21 s), within measurement error.
  assert.ok(Math.abs(start.timeMicros - (startB - 3_210_987)) <= 5, `${start.timeMicros - (startB - 3_210_987)} µs`);
  assert.deepEqual(names(rec.messages.slice(0, 3)), ['songposition 0', 'start', 'clock']);
  // Our stop reaches b.
  const stopAt = clock.stop();
  vt.advance(500_000);
  assert.equal(b.captureAppSessionState().isPlaying, false);
  assert.equal(describeMidi(rec.messages.at(-1)?.data as Uint8Array), 'stop');
  assert.equal(rec.messages.at(-1)?.timeMicros, stopAt);
  // And b's next start starts us again, on a bar.
  const sb2 = b.captureAppSessionState();
  const t2 = sb2.timeAtBeat(Math.ceil(sb2.beatAtTime(hb.runtime.clock.micros() + 200_000, 4) / 4) * 4, 4);
  sb2.setIsPlayingAndRequestBeatAtTime(true, t2, 0, 4);
  b.commitAppSessionState(sb2);
  rec.clear();
  vt.advance(3_000_000);
  assert.equal(a.captureAppSessionState().phaseAtTime(firstOf(rec, 'start').timeMicros, 4), 0);
  clock.close();
  a.disable();
  b.disable();
});

test('a clock created while the transport plays joins with SPP + Continue on the next 16th note', () => {
  const { vt, link } = offline(120);
  const s = link.captureAppSessionState();
  s.setIsPlayingAndRequestBeatAtTime(true, vt.micros(), 0, 4);
  link.commitAppSessionState(s);
  vt.advance(3_333_333); // beat 6.67
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec).open();
  vt.advance(500_000);
  const seq = names(rec.messages.slice(0, 3));
  assert.match(seq[0] as string, /^songposition 2[78]$/);
  assert.deepEqual(seq.slice(1), ['continue', 'clock']);
  const k = Number((seq[0] as string).split(' ')[1]);
  assert.equal(rec.messages[1]?.timeMicros, link.captureAppSessionState().timeAtBeat(k / 4, 4));
  clock.close();
});

test('latency offset: every message goes out latencyMicros early (late when negative)', () => {
  for (const latencyMicros of [7500, -4000]) {
    const { vt, link } = offline(120);
    const rec = new RecordingOutput({ clock: vt });
    const clock = new MidiClockOut(link, rec, { latencyMicros }).open();
    const downbeat = clock.start();
    vt.advance(downbeat - vt.micros() + 1_000_000);
    const s = link.captureAppSessionState();
    assert.equal(downbeat, s.timeAtBeat(0, 4), 'start() returns when the downbeat sounds');
    assert.equal(rec.withStatus(0xfa)[0]?.timeMicros, downbeat - latencyMicros);
    ticks(rec).forEach((m, i) => assert.equal(m.timeMicros, s.timeAtBeat(i / 24, 4) - latencyMicros));
    assert.ok(rec.messages.every((m) => (m.calledAtMicros as number) <= m.timeMicros), 'still ahead of time');
    clock.close();
  }
});

test('late and jittery wake-ups never shift a tick (random timer delays)', () => {
  const { vt, link } = offline(137);
  const rnd = new SeededRandom(7);
  // Timers that fire up to 25 ms late: the lookahead shrinks, the grid does not move.
  const timers = { setTimeout: (fn: () => void, d: number) => vt.setTimeout(fn, d + Math.floor(rnd.float() * rnd.float() * 25_000)) };
  const rec = new RecordingOutput({ clock: vt });
  const clock = new MidiClockOut(link, rec, { timers, lookaheadMicros: 40_000, intervalMicros: 5000 }).open();
  const downbeat = clock.start();
  vt.advance(downbeat - vt.micros() + 20_000_000);
  const s = link.captureAppSessionState();
  const t = ticks(rec);
  assert.ok(t.length > 1000);
  t.forEach((m, i) => assert.equal(m.timeMicros, s.timeAtBeat(i / 24, 4), `tick ${i}`));
  clock.close();
});

test('clockWhileStopped keeps ticking on the grid, with Start on a tick', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec, { clockWhileStopped: true }).open();
  vt.advance(500_000);
  assert.ok(ticks(rec).length >= 20);
  const downbeat = clock.start();
  vt.advance(downbeat - vt.micros() + 100_000);
  const s = link.captureAppSessionState();
  const i = rec.messages.findIndex((m) => describeMidi(m.data) === 'start');
  assert.equal(describeMidi(rec.messages[i + 1]?.data as Uint8Array), 'clock');
  assert.equal(rec.messages[i + 1]?.timeMicros, downbeat);
  for (const m of ticks(rec)) assert.ok(Math.round(s.beatAtTime(m.timeMicros, 4) * 24 * 1000) % 1000 === 0);
  clock.close();
});

test('close() sends Stop at once and schedules nothing more', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec).open();
  const downbeat = clock.start();
  vt.advance(downbeat - vt.micros() + 300_000);
  clock.close();
  const n = rec.messages.length;
  assert.equal(describeMidi(rec.messages.at(-1)?.data as Uint8Array), 'stop');
  vt.advance(1_000_000);
  assert.equal(rec.messages.length, n);
  assert.throws(() => clock.start(), { code: 'E_CLOSED' });
});

test('stop({ atBeat }) ends the clock exactly on that song beat: the last tick is just before it', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const clock = new MidiClockOut(link, rec).open();
  const downbeat = clock.start();
  const stopAt = clock.stop({ atBeat: 4 });
  vt.advance(downbeat - vt.micros() + 3_000_000);
  const s = link.captureAppSessionState();
  assert.equal(stopAt, s.timeAtBeat(4, 4));
  assert.equal(ticks(rec).length, 96);
  assert.equal(describeMidi(rec.messages.at(-1)?.data as Uint8Array), 'stop');
  assert.equal(rec.messages.at(-1)?.timeMicros, stopAt);
  assert.equal(clock.songPositionBeats, 4);
  clock.close();
});
