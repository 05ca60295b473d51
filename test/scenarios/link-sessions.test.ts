// Scenario tests of the Link peer on VirtualTime + FakeNetwork: no sleeping, no sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enableAll, ghostNow, phaseSpreadMicros, world } from './helpers.ts';

test('two peers discover each other and converge on one session and phase', () => {
  const w = world();
  const a = w.add({ clockOffsetMicros: 0 });
  const b = w.add({ clockOffsetMicros: 7_654_321 });
  a.link.enable();
  w.vt.advance(2_000_000);
  b.link.enable();
  assert.ok(w.vt.runUntil(w.converged, 2_000_000), 'peers see each other');
  w.vt.advance(1_000_000);
  assert.ok(phaseSpreadMicros(w) <= 1, `phase spread ${phaseSpreadMicros(w)} µs`);
  assert.deepEqual([a.warnings, b.warnings], [[], []]);
});

test('five peers converge', () => {
  const w = world();
  for (let i = 0; i < 5; i++) w.add({ clockOffsetMicros: i * 1_234_567 });
  w.peers.forEach((p, i) => { w.vt.advance(100_000 * i); p.link.enable(); });
  assert.ok(w.vt.runUntil(w.converged, 5_000_000), 'all see 4 peers');
  w.vt.advance(1_000_000);
  assert.ok(phaseSpreadMicros(w) <= 1, `phase spread ${phaseSpreadMicros(w)} µs`);
});

test('clock offsets are measured to within 1 µs without latency asymmetry', () => {
  const w = world({ latencyMicros: 150 });
  const a = w.add({ clockOffsetMicros: 0 });
  const b = w.add({ clockOffsetMicros: -98_765_432 });
  enableAll(w, 1_000_000, 2_000_000);
  w.vt.advance(500_000);
  // Same ghost time for the same true instant: hostA + offA = hostB + offB.
  const ghostA = ghostNow(a);
  const ghostB = ghostNow(b);
  assert.equal(b.link.session.sessionId, a.link.session.sessionId);
  assert.ok(Math.abs(ghostA - ghostB) <= 1, `ghost times differ by ${ghostA - ghostB} µs`);
});

test('with asymmetric latency the offset error stays within half the asymmetry', () => {
  const w = world({ latencyMicros: 100 });
  const a = w.add({ clockOffsetMicros: 5_000_000 });
  const b = w.add({ clockOffsetMicros: 0, uplinkMicros: 400 });
  enableAll(w, 1_000_000, 2_000_000);
  w.vt.advance(500_000);
  const ghostA = ghostNow(a);
  const ghostB = ghostNow(b);
  const err = Math.abs(ghostA - ghostB);
  assert.ok(err <= 200, `offset error ${err} µs exceeds half the 400 µs asymmetry`);
  assert.ok(err >= 150, `the asymmetry should show (error ${err} µs): the test would not catch a broken estimator otherwise`);
});

test('the youngest session always joins the oldest, whatever the host clocks', () => {
  for (const [offOld, offYoung] of [[0, 10_000_000], [10_000_000, 0], [-50_000_000, 50_000_000]] as const) {
    const w = world();
    const old = w.add({ clockOffsetMicros: offOld });
    const young = w.add({ clockOffsetMicros: offYoung });
    old.link.enable();
    w.vt.advance(3_000_000);
    young.link.enable();
    assert.ok(w.vt.runUntil(w.converged, 2_000_000));
    w.vt.advance(1_000_000);
    assert.equal(young.link.session.sessionId, old.link.session.nodeId, `offsets ${offOld}/${offYoung}`);
    assert.equal(old.link.session.sessionId, old.link.session.nodeId);
  }
});

test('a joining peer keeps its beat magnitude; only the phase is adjusted (≤ q/2)', () => {
  const w = world();
  const a = w.add({}, { bpm: 120 });
  const b = w.add({ clockOffsetMicros: 333_333 }, { bpm: 120 });
  a.link.enable();
  w.vt.advance(2_345_678);
  b.link.enable();
  const beats = () => w.peers.map((p) => p.link.captureAppSessionState().beatAtTime(p.host.runtime.clock.micros(), 4));
  const before = beats();
  const t0 = w.vt.micros();
  assert.ok(w.vt.runUntil(w.converged, 2_000_000));
  const elapsedBeats = ((w.vt.micros() - t0) / 1e6) * 2;
  const after = beats();
  const jumpA = after[0]! - before[0]! - elapsedBeats;
  const jumpB = after[1]! - before[1]! - elapsedBeats;
  assert.ok(Math.abs(jumpA) < 1e-5, `the session's peer jumped by ${jumpA} beats`);
  assert.ok(Math.abs(jumpB) <= 2 + 1e-6, `the joiner jumped by ${jumpB} beats (> q/2)`);
  assert.ok(phaseSpreadMicros(w) <= 1);
});

test('tempo and start/stop propagate both ways', () => {
  const w = world();
  const a = w.add({}, { startStopSync: true });
  const b = w.add({ clockOffsetMicros: 1_000_000 }, { startStopSync: true });
  enableAll(w, 0, 3_000_000);
  const tempos: number[] = [];
  const playing: boolean[] = [];
  b.link.on('tempo', (bpm) => tempos.push(bpm));
  b.link.on('playing', (p) => playing.push(p));
  let s = a.link.captureAppSessionState();
  s.setTempo(133.5, a.host.runtime.clock.micros());
  s.setIsPlaying(true, a.host.runtime.clock.micros());
  a.link.commitAppSessionState(s);
  w.vt.advance(10_000);
  assert.ok(Math.abs(b.link.captureAppSessionState().tempo - 133.5) < 1e-3);
  assert.equal(b.link.captureAppSessionState().isPlaying, true);
  assert.equal(tempos.length, 1);
  assert.deepEqual(playing, [true]);
  // Start times agree on the true time line.
  const startA = a.link.captureAppSessionState().timeForIsPlaying() - 0;
  const startB = b.link.captureAppSessionState().timeForIsPlaying() - 1_000_000;
  assert.ok(Math.abs(startA - startB) <= 1, `start times differ by ${startA - startB} µs`);
  s = b.link.captureAppSessionState();
  s.setTempo(97.25, b.host.runtime.clock.micros());
  s.setIsPlaying(false, b.host.runtime.clock.micros());
  b.link.commitAppSessionState(s);
  w.vt.advance(60_000);
  assert.ok(Math.abs(a.link.captureAppSessionState().tempo - 97.25) < 1e-3);
  assert.equal(a.link.captureAppSessionState().isPlaying, false);
  assert.ok(phaseSpreadMicros(w) <= 1);
});

test('start/stop is relayed even by a peer with start/stop sync off, and not applied there', () => {
  const w = world();
  const a = w.add({}, { startStopSync: true });
  const relay = w.add({}, { startStopSync: false });
  const c = w.add({}, { startStopSync: true });
  w.peers.forEach((p) => p.link.enable());
  assert.ok(w.vt.runUntil(w.converged, 3_000_000));
  // From now on c hears only the relay.
  w.net.cut(a.host, c.host);
  const s = a.link.captureAppSessionState();
  s.setIsPlaying(true, a.host.runtime.clock.micros());
  a.link.commitAppSessionState(s);
  w.vt.advance(100_000);
  assert.equal(relay.link.captureAppSessionState().isPlaying, false);
  assert.equal(relay.link.session.startStop.isPlaying, true);
  assert.equal(c.link.captureAppSessionState().isPlaying, true);
});

test('a silent peer expires 6 s after its last alive (ttl 5 s + 1 s)', () => {
  const w = world();
  const a = w.add();
  const b = w.add();
  enableAll(w, 0, 3_000_000);
  w.net.setInterfaceUp(b.host, false); // b goes silent without byebye
  const lastHeard = w.vt.micros();
  w.vt.advance(5_500_000);
  assert.equal(a.link.numPeers, 1, 'still there at 5.5 s');
  w.vt.advance(1_000_000);
  assert.equal(a.link.numPeers, 0, 'gone by 6.5 s');
  assert.ok(w.vt.micros() - lastHeard <= 6_500_000);
});

test('byebye removes a peer at once, and the survivor founds a fresh session under a new node id', () => {
  const w = world();
  const a = w.add();
  const b = w.add();
  enableAll(w, 1_000_000, 3_000_000);
  const oldId = b.link.session.nodeId;
  const phaseBefore = w.phaseAt(b, w.vt.micros() + 10_000);
  a.link.disable();
  w.vt.advance(10_000);
  assert.equal(b.link.numPeers, 0);
  assert.notEqual(b.link.session.nodeId, oldId);
  assert.equal(b.link.session.sessionId, b.link.session.nodeId);
  const phaseAfter = w.phaseAt(b, w.vt.micros());
  assert.ok(Math.abs(phaseAfter - phaseBefore) < 1e-5, 'the phase continues through the reset');
});

test('a partition heals into one session', () => {
  const w = world();
  const [a, b, c, d] = [w.add(), w.add(), w.add(), w.add()];
  w.net.partition([a!.host, b!.host], [c!.host, d!.host]);
  w.peers.forEach((p, i) => { w.vt.advance(200_000 * i); p.link.enable(); });
  w.vt.advance(3_000_000);
  assert.equal(a!.link.numPeers, 1);
  assert.equal(c!.link.numPeers, 1);
  assert.notEqual(a!.link.session.sessionId, c!.link.session.sessionId);
  w.net.heal();
  assert.ok(w.vt.runUntil(w.converged, 5_000_000), 'all four in one session');
  assert.equal(new Set(w.peers.map((p) => p.link.session.sessionId)).size, 1);
  w.vt.advance(1_000_000);
  assert.ok(phaseSpreadMicros(w) <= 1);
});

test('10 % datagram loss still converges, whatever the seed (a measurement short of its budget keeps its samples)', () => {
  // At 10 % loss a measurement of ~100 pings and pongs loses ~20: the cumulative 5-retry budget
  // (spec 02 §5.1) runs out almost every time, and before measurements kept their samples, 9 of
  // these 20 seeds did not converge within 30 s.
  for (let seed = 1; seed <= 20; seed++) {
    const w = world({ lossRate: 0.1, seed });
    for (let i = 0; i < 3; i++) w.add({ clockOffsetMicros: i * 777_777 });
    w.peers.forEach((p, i) => { w.vt.advance(300_000 * i); p.link.enable(); });
    assert.ok(w.vt.runUntil(() => w.converged() && new Set(w.peers.map((p) => p.link.session.sessionId)).size === 1, 5_000_000), `seed ${seed}`);
    w.vt.advance(1_000_000);
    assert.ok(phaseSpreadMicros(w) <= 2, `seed ${seed}: phase spread ${phaseSpreadMicros(w)}`);
  }
});

test('a joined peer re-measures its session at 1, 2, 4 and 8 s after the join, then every 30 s', () => {
  const w = world();
  const a = w.add();
  const b = w.add();
  enableAll(w, 1_000_000, 3_000_000);
  const pingsFrom = (host: typeof b.host, since: number, until = Infinity) =>
    w.net.sent.filter((d) => d.time >= since && d.time < until && d.from.address === host.address && d.data[0] === 0x5f && d.data[1] === 0x6c && d.data[8] === 1).length;
  const t0 = w.vt.micros();
  w.vt.advance(16_000_000);
  // Four early chains of > 50 pings each (1 + 2 + 4 + 8 = 15 s after the join).
  assert.ok(pingsFrom(b.host, t0) > 200, `early re-measurements: ${pingsFrom(b.host, t0)} pings`);
  const t1 = w.vt.micros();
  w.vt.advance(28_000_000);
  assert.equal(pingsFrom(b.host, t1), 0, 'then quiet for 30 s');
  w.vt.advance(3_000_000);
  assert.ok(pingsFrom(b.host, t1) > 50, 're-measurement chain seen');
  assert.equal(pingsFrom(a.host, t0), 0, 'the founder does not measure its own session');
});

test('interfaces are rescanned every 5 s: a vanished one closes, a new one opens', () => {
  const w = world();
  const a = w.add();
  w.add();
  enableAll(w, 0, 3_000_000);
  w.net.setInterfaceUp(a.host, false);
  w.vt.advance(5_100_000);
  // a noticed within one rescan and closed the gateway, forgetting its peers.
  assert.equal(a.link.numPeers, 0);
  w.net.setInterfaceUp(a.host, true);
  assert.ok(w.vt.runUntil(w.converged, 6_000_000), 'back in one session after the interface returns');
});

test('yieldTies: a peer as young as the session joins it instead of taking it over', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const w = world();
    const resident = w.add({ seed });
    const visitor = w.add({ seed: seed + 100 }, { yieldTies: true, bpm: 90 });
    resident.link.enable();
    visitor.link.enable(); // same instant: ghost times equal, only the ids decide
    assert.ok(w.vt.runUntil(w.converged, 3_000_000));
    assert.equal(visitor.link.session.sessionId, resident.link.session.nodeId);
    assert.equal(resident.link.captureAppSessionState().tempo, 120);
  }
});

test('a peer joining a session that is already playing does not report playing until the next change', () => {
  const w = world();
  const a = w.add({}, { startStopSync: true });
  const b = w.add({}, { startStopSync: true });
  a.link.enable();
  const s = a.link.captureAppSessionState();
  s.setIsPlaying(true, a.host.runtime.clock.micros());
  a.link.commitAppSessionState(s);
  w.vt.advance(1_000_000);
  b.link.enable();
  assert.ok(w.vt.runUntil(w.converged, 3_000_000));
  w.vt.advance(1_000_000);
  assert.equal(b.link.captureAppSessionState().isPlaying, false, 'the joiner does not start on its own');
  const stop = a.link.captureAppSessionState();
  stop.setIsPlaying(false, a.host.runtime.clock.micros());
  a.link.commitAppSessionState(stop);
  const start = a.link.captureAppSessionState();
  w.vt.advance(100_000);
  start.setIsPlaying(true, a.host.runtime.clock.micros());
  a.link.commitAppSessionState(start);
  w.vt.advance(100_000);
  assert.equal(b.link.captureAppSessionState().isPlaying, true, 'the next change reaches it');
});

test('disabling leaves no timer behind, even with a re-measurement in flight', () => {
  const w = world({ latencyMicros: 2000 });
  const [a, b] = [w.add(), w.add()];
  enableAll(w, 1_000_000, 3_000_000);
  w.vt.advance(30_001_000); // b's 30 s re-measurement is under way (2 ms per round trip)
  a.link.disable();
  b.link.disable();
  w.vt.advance(60_000_000);
  assert.equal(w.vt.pending, 0);
  assert.equal(b.link.numPeers, 0);
});
