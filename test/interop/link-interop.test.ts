/**
 * Interop: phaselock <-> REAL Ableton Link peers (the C++ driver in ableton-peer.cpp), each
 * process in a private network namespace (one per describe block). Every scenario that has a
 * direction runs both ways. Tolerances are loose on purpose: the benchmark
 * (bench/link-interop.ts) reports the measured figures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buildAbletonPeer, monoMicros, Netns, phaseDifference, phaseErrorsUs, sleep, spreadInstants,
  startPeer, type LinePeer, type PeerEvent, type PeerKind,
} from './harness.ts';

const Q = 4;
/** Both ways: [x, y]. */
const DIRECTIONS: ReadonlyArray<readonly [PeerKind, PeerKind]> = [['phaselock', 'ableton'], ['ableton', 'phaselock']];
/** The wire carries integer µs per beat, so a received tempo is within ~1e-4 bpm of the sent one. */
const TEMPO_TOLERANCE = 1e-3;
const PHASE_TOLERANCE_US = 200;

const isPeers = (n: number) => (e: PeerEvent) => e.event === 'peers' && e.n === n;
const near = (a: unknown, b: number, tol: number) => typeof a === 'number' && Math.abs(a - b) <= tol;

/** One namespace for a describe block, plus every peer started in it (all closed in `after`). */
function useNamespace(prefix: string) {
  const ctx = {
    ns: undefined as Netns | undefined,
    peers: [] as LinePeer[],
    async start(kind: PeerKind, label: string, opts: { bpm?: number; startStopSync?: boolean } = {}): Promise<LinePeer> {
      if (!ctx.ns) throw new Error('namespace not created');
      const peer = await startPeer(ctx.ns, kind, { ...opts, label });
      ctx.peers.push(peer);
      return peer;
    },
    /** Runs a test body and closes the peers it started, even if it fails (no cascades). */
    async scoped(body: () => Promise<void>): Promise<void> {
      const mark = ctx.peers.length;
      try {
        await body();
      } finally {
        await Promise.all(ctx.peers.slice(mark).map((p) => p.close()));
      }
    },
  };
  before(async () => {
    await buildAbletonPeer();
    ctx.ns = await Netns.create(prefix);
  });
  after(async () => {
    await Promise.all(ctx.peers.map((p) => p.close()));
    await ctx.ns?.close();
  });
  return ctx;
}

/** Waits until every peer reports `n` peers, by event (after `marks`) and by status. */
async function expectPeers(peers: readonly LinePeer[], n: number, marks: readonly number[], timeoutMs = 3000): Promise<void> {
  await Promise.all(peers.map((p, i) => p.waitForEvent(isPeers(n), timeoutMs, marks[i] ?? 0)));
  for (const p of peers) {
    await p.waitFor(async () => (await p.status()).numPeers === n, { what: `${p.label} numPeers ${n}`, timeoutMs: 1000 });
  }
}

/** Enables `peers` in order (`gapMs` apart) and waits until each sees all the others. */
async function enableAll(peers: readonly LinePeer[], gapMs = 0): Promise<void> {
  const marks = peers.map((p) => p.events.length);
  for (const [i, p] of peers.entries()) {
    if (i > 0 && gapMs > 0) await sleep(gapMs);
    await p.command('enable');
  }
  await expectPeers(peers, peers.length - 1, marks);
}

/** Max pairwise phase disagreement (µs) over `n` common future instants. */
async function maxPhaseErrorUs(peers: readonly LinePeer[], bpm: number, n = 50): Promise<number> {
  const times = spreadInstants(monoMicros() + 50_000, n, 41_000);
  let max = 0;
  for (let i = 0; i < peers.length; i++) {
    for (let j = i + 1; j < peers.length; j++) {
      const errors = await phaseErrorsUs(peers[i]!, peers[j]!, Q, times, bpm);
      max = Math.max(max, ...errors);
    }
  }
  return max;
}

/** `from` sets `bpm`; every peer in `to` reports it (tempo event and status) within 3 s. */
async function expectTempoPropagates(from: LinePeer, to: readonly LinePeer[], bpm: number): Promise<void> {
  const marks = to.map((p) => p.events.length);
  await from.command(`tempo ${bpm}`);
  assert.equal((await from.status()).tempo, bpm, `${from.label} keeps the tempo it set`);
  await Promise.all(to.map(async (p, i) => {
    await p.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, bpm, TEMPO_TOLERANCE), 3000, marks[i]);
    const s = await p.status();
    assert.ok(near(s.tempo, bpm, TEMPO_TOLERANCE), `${p.label} tempo ${s.tempo}, expected ${bpm} (from ${from.label})`);
  }));
}

// ------------------------------------------------------------------------------------------

describe('discovery', () => {
  const ctx = useNamespace('pli-disc');
  for (const [first, second] of DIRECTIONS) {
    it(`${first} enabled first, then ${second}: each sees the other (numPeers 1)`, () => ctx.scoped(async () => {
      const x = await ctx.start(first, `${first}-1st`);
      const y = await ctx.start(second, `${second}-2nd`);
      await enableAll([x, y], 300);
      for (const p of [x, y]) {
        const s = await p.status();
        assert.equal(s.numPeers, 1);
        assert.equal(s.enabled, true);
      }
    }));
  }
});

describe('joining a running session', () => {
  const ctx = useNamespace('pli-join');
  // offset: how far Y's beat is ahead of X's (beyond whole quanta) before it joins. Y must
  // move by the wrapped phase difference (|jump| <= Q/2), X must not move at all.
  const cases = DIRECTIONS.flatMap(([x, y]) => [
    { x, y, offset: 2.7, expectedJump: 1.3 },
    { x, y, offset: 1.1, expectedJump: -1.1 },
  ]);
  for (const { x: xKind, y: yKind, offset, expectedJump } of cases) {
    it(`${yKind} joins ${xKind}'s session (phase offset ${offset}): ${xKind} continuous, ${yKind} jumps ${expectedJump}`, () => ctx.scoped(async () => {
      const x = await ctx.start(xKind, `X-${xKind}`);
      const y = await ctx.start(yKind, `Y-${yKind}`);
      await x.command('enable');
      await sleep(1000); // X's session has been running a while
      // Instants spanning the join; beats predicted by each peer's own timeline before it.
      const times = spreadInstants(monoMicros() + 100_000, 12, 150_000);
      const xBefore = await x.phases(Q, times);
      await y.command(`force-beat ${xBefore.beats[0]! + 2 * Q + offset} ${Q} ${times[0]}`);
      const yBefore = await y.phases(Q, times);
      const setupOffset = phaseDifference(yBefore.phases[0]!, xBefore.phases[0]!, Q);
      assert.ok(near(setupOffset, offset > Q / 2 ? offset - Q : offset, 1e-3), `setup: Y ahead by ${setupOffset}`);

      const marks = [x.events.length, y.events.length];
      await y.command('enable');
      await expectPeers([x, y], 1, marks);
      await sleep(200);
      const xAfter = await x.phases(Q, times);
      const yAfter = await y.phases(Q, times);
      times.forEach((_, i) => {
        const xJump = xAfter.beats[i]! - xBefore.beats[i]!;
        const yJump = yAfter.beats[i]! - yBefore.beats[i]!;
        assert.ok(Math.abs(xJump) < 1e-3, `${xKind} (session owner) beat jumped by ${xJump} at instant ${i}`);
        assert.ok(Math.abs(yJump) <= Q / 2 + 1e-3, `${yKind} beat jumped by ${yJump} > quantum/2`);
        assert.ok(near(yJump, expectedJump, 2e-3), `${yKind} beat jumped by ${yJump}, expected ${expectedJump}`);
        const d = phaseDifference(xAfter.phases[i]!, yAfter.phases[i]!, Q);
        assert.ok(Math.abs(d) < 1e-3, `phases differ by ${d} beats after the join`);
      });
    }));
  }
});

describe('tempo changes and phase agreement', () => {
  const ctx = useNamespace('pli-tempo');
  let pl: LinePeer;
  let ab: LinePeer;
  before(async () => {
    pl = await ctx.start('phaselock', 'phaselock');
    ab = await ctx.start('ableton', 'ableton');
    await enableAll([pl, ab]);
  });

  for (const dir of ['phaselock -> ableton', 'ableton -> phaselock'] as const) {
    for (const bpm of [133.5, 97.25]) {
      it(`${dir}: tempo ${bpm} is adopted, with a tempo event`, async () => {
        const [from, to] = dir === 'phaselock -> ableton' ? [pl, ab] : [ab, pl];
        await expectTempoPropagates(from, [to], bpm);
      });
    }
  }

  it(`phases agree at quantum ${Q} on 50 common instants (<= ${PHASE_TOLERANCE_US} µs)`, async () => {
    const bpm = (await pl.status()).tempo;
    assert.ok(near(bpm, 97.25, TEMPO_TOLERANCE), `tempo ${bpm}`);
    const maxUs = await maxPhaseErrorUs([pl, ab], bpm);
    console.log(`phaselock<->Ableton phase disagreement: max ${maxUs.toFixed(1)} µs over 50 instants`);
    assert.ok(maxUs <= PHASE_TOLERANCE_US, `phase disagreement ${maxUs} µs`);
  });

  it('phases still agree after a force-beat on either side', async () => {
    const bpm = (await pl.status()).tempo;
    for (const [from, to] of [[pl, ab], [ab, pl]] as const) {
      const t = monoMicros() + 20_000;
      const reply = await from.command(`force-beat 1.3 ${Q} ${t}`);
      assert.ok(Math.abs(reply.timeAtBeat - t) <= 1, `${from.label} timeAtBeat ${reply.timeAtBeat} vs ${t}`);
      await to.waitFor(async () => {
        const { phases } = await to.phases(Q, [t]);
        return Math.abs(phaseDifference(phases[0]!, 1.3, Q)) < 1e-3;
      }, { what: `${to.label} phase 1.3 at ${t}`, timeoutMs: 2000 });
      const maxUs = await maxPhaseErrorUs([pl, ab], bpm);
      assert.ok(maxUs <= PHASE_TOLERANCE_US, `after ${from.label}'s force-beat: phase disagreement ${maxUs} µs`);
    }
  });
});

describe('start/stop sync and quantized start', () => {
  const ctx = useNamespace('pli-play');
  let pl: LinePeer;
  let ab: LinePeer;
  before(async () => {
    pl = await ctx.start('phaselock', 'phaselock', { startStopSync: true });
    ab = await ctx.start('ableton', 'ableton', { startStopSync: true });
    await enableAll([pl, ab]);
  });

  /** `from` runs `command`; `to` follows with a playing event; both agree on timeForIsPlaying. */
  async function expectPlayingPropagates(from: LinePeer, to: LinePeer, command: string, playing: boolean) {
    const mark = to.events.length;
    const reply = await from.command(command);
    await to.waitForEvent((e) => e.event === 'playing' && e.isPlaying === playing, 3000, mark);
    const [sf, st] = await Promise.all([from.status(), to.status()]);
    assert.equal(sf.isPlaying, playing, `${from.label} isPlaying`);
    assert.equal(st.isPlaying, playing, `${to.label} isPlaying`);
    const skewUs = Math.abs(sf.timeForIsPlaying - st.timeForIsPlaying);
    assert.ok(skewUs < 1000, `timeForIsPlaying ${from.label} ${sf.timeForIsPlaying} vs ${to.label} ${st.timeForIsPlaying}`);
    return { reply, from: sf, to: st };
  }

  for (const dir of ['phaselock -> ableton', 'ableton -> phaselock'] as const) {
    it(`${dir}: start and stop are followed (playing events)`, async () => {
      const [from, to] = dir === 'phaselock -> ableton' ? [pl, ab] : [ab, pl];
      const start = await expectPlayingPropagates(from, to, 'play', true);
      assert.ok(Math.abs(start.from.timeForIsPlaying - start.reply.t) <= 50, `start time ${start.from.timeForIsPlaying} is not the commit time ${start.reply.t}`);
      await expectPlayingPropagates(from, to, 'stop', false);
    });
  }

  for (const dir of ['phaselock -> ableton', 'ableton -> phaselock'] as const) {
    it(`${dir}: quantized-start ${Q} lands both peers on the same bar line`, async () => {
      const [from, to] = dir === 'phaselock -> ableton' ? [pl, ab] : [ab, pl];
      const bpm = (await from.status()).tempo;
      const barUs = (Q * 60e6) / bpm;
      const { reply, to: st } = await expectPlayingPropagates(from, to, `quantized-start ${Q}`, true);
      const bar = reply.timeAtBeat0 as number;
      // With a peer present the request keeps the shared phase: beat 0 is the next bar line.
      assert.ok(bar >= reply.timeForIsPlaying - 1 && bar <= reply.timeForIsPlaying + barUs + 1,
        `timeAtBeat0 ${bar} not within one bar after the start ${reply.timeForIsPlaying}`);
      // Both peers have a bar line (phase 0) there.
      for (const p of [from, to]) {
        const { phases } = await p.phases(Q, [bar]);
        assert.ok(Math.abs(phaseDifference(phases[0]!, 0, Q)) < 1e-3, `${p.label} phase ${phases[0]} at the starter's beat 0`);
      }
      // The follower maps its own beat 0 to its start time, as an app does on a start event
      // (requestBeatAtStartPlayingTime): it lands on the starter's beat 0.
      const mapped = await to.command(`request-beat 0 ${Q} ${st.timeForIsPlaying}`);
      const follower0 = (await to.command(`time-at-beat 0 ${Q}`)).t as number;
      assert.ok(Math.abs(mapped.timeAtBeat - bar) < 1000, `${to.label} beat 0 at ${mapped.timeAtBeat}, starter's at ${bar}`);
      assert.ok(Math.abs(follower0 - bar) < 1000, `${to.label} time-at-beat 0 ${follower0}, starter's ${bar}`);
      const starter0 = (await from.command(`time-at-beat 0 ${Q}`)).t as number;
      assert.ok(Math.abs(starter0 - bar) < 1000, `${from.label} time-at-beat 0 moved to ${starter0}`);
      await expectPlayingPropagates(from, to, 'stop', false);
    });
  }
});

describe('leaving', () => {
  const ctx = useNamespace('pli-leave');

  for (const [leaverKind, stayerKind] of DIRECTIONS) {
    it(`${leaverKind} disables: ${stayerKind} sees numPeers 0 within 1 s (byebye)`, () => ctx.scoped(async () => {
      const leaver = await ctx.start(leaverKind, `leaver-${leaverKind}`);
      const stayer = await ctx.start(stayerKind, `stayer-${stayerKind}`);
      await enableAll([stayer, leaver]);
      const mark = stayer.events.length;
      const t0 = monoMicros();
      await leaver.command('disable');
      // Waits past the peer timeout, so that a lost byebye reads as "0 only after ~6 s".
      const gone = await stayer.waitForEvent(isPeers(0), 9000, mark);
      const ms = (gone.t - t0) / 1000;
      assert.ok(ms <= 1000, `${stayerKind} saw numPeers 0 only ${ms.toFixed(0)} ms after ${leaverKind}'s disable: ` +
        'no byebye arrived, the peer timed out');
      assert.equal((await stayer.status()).numPeers, 0);
      assert.equal((await leaver.status()).numPeers, 0);
      // And it can come back.
      await enableAll([stayer, leaver]);
    }));
  }

  for (const [leaverKind, stayerKind] of DIRECTIONS) {
    it(`${leaverKind} is killed (SIGKILL): ${stayerKind} drops it after its timeout (4.5-8 s)`, () => ctx.scoped(async () => {
      const leaver = await ctx.start(leaverKind, `killed-${leaverKind}`);
      const stayer = await ctx.start(stayerKind, `stayer-${stayerKind}`);
      await enableAll([stayer, leaver]);
      await sleep(300); // a few alive messages exchanged
      const mark = stayer.events.length;
      const t0 = monoMicros();
      leaver.kill('SIGKILL');
      await leaver.waitForExit();
      const gone = await stayer.waitForEvent(isPeers(0), 10_000, mark);
      const s = (gone.t - t0) / 1e6;
      console.log(`${stayerKind} dropped the killed ${leaverKind} after ${s.toFixed(2)} s`);
      assert.ok(s >= 4.5 && s <= 8, `${stayerKind} dropped the killed peer after ${s} s`);
      assert.equal((await stayer.status()).numPeers, 0);
    }));
  }
});

for (const kinds of [['phaselock', 'phaselock', 'ableton'], ['phaselock', 'ableton', 'ableton']] as const) {
  const name = kinds.join(' + ');
  describe(`three peers: ${name}`, () => {
    const ctx = useNamespace('pli-three');
    let peers: LinePeer[];
    before(async () => {
      peers = await Promise.all(kinds.map((k, i) => ctx.start(k, `${k}-${i}`)));
      await enableAll(peers, 100);
    });

    it('everyone sees numPeers 2 and the phases agree', async () => {
      for (const p of peers) assert.equal((await p.status()).numPeers, 2, p.label);
      const maxUs = await maxPhaseErrorUs(peers, 120);
      assert.ok(maxUs <= PHASE_TOLERANCE_US, `max pairwise phase disagreement ${maxUs} µs`);
    });

    it('a tempo change from any one reaches the other two', async () => {
      const tempos = [133.5, 97.25, 121.7];
      for (const [i, from] of peers.entries()) {
        await expectTempoPropagates(from, peers.filter((p) => p !== from), tempos[i]!);
      }
      const maxUs = await maxPhaseErrorUs(peers, tempos[2]!);
      assert.ok(maxUs <= PHASE_TOLERANCE_US, `after the tempo changes: max pairwise phase disagreement ${maxUs} µs`);
    });
  });
}
