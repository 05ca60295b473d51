/**
 * Baseline: two REAL Ableton Link peers in one private network namespace.
 *
 * This proves the interop harness itself (namespace + loopback multicast, the JSON-line
 * protocol, the CLOCK_MONOTONIC <-> Link clock conversion) before any phaselock peer is
 * compared against Ableton's behaviour. Steps run in order and build on each other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  beatsToMicros, buildAbletonPeer, monoMicros, Netns, phaseDifference, startAbletonPeer,
  type LinePeer,
} from './harness.ts';

const QUANTUM = 4;
const TEMPO = 133.5;

describe('Ableton <-> Ableton baseline (harness self-test)', () => {
  let ns: Netns | undefined;
  let a: LinePeer;
  let b: LinePeer;

  before(async () => {
    await buildAbletonPeer();
    ns = await Netns.create();
    // A gets start/stop sync from its command line, B later by command: both paths exercised.
    a = await startAbletonPeer(ns, { label: 'A', startStopSync: true });
    b = await startAbletonPeer(ns, { label: 'B' });
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await ns?.close();
  });

  it('discovers each other within 3 s', async () => {
    const marks = [a.events.length, b.events.length] as const;
    await a.command('enable');
    await b.command('enable');
    for (const peer of [a, b]) {
      await peer.waitFor(async () => (await peer.status()).numPeers === 1, { what: 'numPeers 1' });
    }
    await a.waitForEvent((e) => e.event === 'peers' && e.n === 1, 1000, marks[0]);
    await b.waitForEvent((e) => e.event === 'peers' && e.n === 1, 1000, marks[1]);
  });

  it('propagates a tempo change from A to B', async () => {
    // Observed: the committing peer keeps 133.5 exactly, the receiver sees 133.50006 (=
    // 60e6 / 449438): the tempo travels as whole microseconds per beat. Hence the tolerance.
    const isTempo = (bpm: unknown) => typeof bpm === 'number' && Math.abs(bpm - TEMPO) < 1e-3;
    const mark = b.events.length;
    await a.command(`tempo ${TEMPO}`);
    await b.waitFor(async () => isTempo((await b.status()).tempo), { what: `B tempo ${TEMPO}` });
    await b.waitForEvent((e) => e.event === 'tempo' && isTempo(e.bpm), 1000, mark);
    assert.equal((await a.status()).tempo, TEMPO);
  });

  it('agrees on phase at the same monotonic instants', async () => {
    // 20 instants in the near future, unevenly spaced so they cover all of the quantum.
    const start = monoMicros() + 100_000;
    const times = Array.from({ length: 20 }, (_, i) => start + i * 37_111);
    const [pa, pb] = await Promise.all([a.phases(QUANTUM, times), b.phases(QUANTUM, times)]);
    const errorsUs = pa.phases.map((phaseA, i) =>
      Math.abs(beatsToMicros(phaseDifference(phaseA, pb.phases[i]!, QUANTUM), TEMPO)));
    const maxUs = Math.max(...errorsUs);
    console.log(`Ableton<->Ableton phase agreement: max ${maxUs.toFixed(1)} µs over ${times.length} instants`);
    assert.ok(maxUs < 500, `phase disagreement ${maxUs} µs (per instant: ${errorsUs.join(', ')})`);
  });

  it('propagates start/stop when start/stop sync is on', async () => {
    await b.command('startstopsync 1');
    for (const playing of [true, false]) {
      const mark = b.events.length;
      await a.command(playing ? 'play' : 'stop');
      await b.waitFor(async () => (await b.status()).isPlaying === playing, { what: `B isPlaying ${playing}` });
      await b.waitForEvent((e) => e.event === 'playing' && e.isPlaying === playing, 1000, mark);
      const [sa, sb] = await Promise.all([a.status(), b.status()]);
      const skewUs = Math.abs(sa.timeForIsPlaying - sb.timeForIsPlaying);
      console.log(`${playing ? 'start' : 'stop'}: timeForIsPlaying A vs B differ by ${skewUs} µs`);
      assert.ok(skewUs < 1000, `timeForIsPlaying differs by ${skewUs} µs`);
    }
  });

  it("sees B leave when B quits", async () => {
    const mark = a.events.length;
    await b.command('quit');
    assert.match(await b.waitForExit(), /exited with code 0/);
    await a.waitForEvent((e) => e.event === 'peers' && e.n === 0, 3000, mark);
    assert.equal((await a.status()).numPeers, 0);
  });
});
