/**
 * `phaselock follow --to-link` next to a real Ableton Link peer (the C++ test peer built from
 * Debian's ableton-link-dev), everything inside a network namespace the test creates: Link,
 * RTP-MIDI and the DAW never touch the host network.
 *
 * `phaselock clock --no-link --bpm 131 --to rtpmidi:127.0.0.1:P` plays the DAW: a clock alone,
 * so its bar lines are exact — beat 0 at its Start (Start and the first tick carry the same
 * RTP-MIDI timestamp, which follow prints as the `start` line's time, on the same
 * CLOCK_MONOTONIC), then 131 bpm exactly. The Ableton peer must take the tempo, put its bar
 * lines on the DAW's, and play and stop with it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { monoMicros, phaseDifference, sleep, spreadInstants, waitFor, withAbletonNamespace, type LinePeer, type Netns } from '../interop/harness.ts';
import { freePortPair } from '../helpers/ports.ts';
import { BIN, ENV, exited, Lines, ROOT } from './helpers.ts';

const BPM = 131;
const Q = 4;
/**
 * Phase agreement (µs) of the Ableton peer with the DAW's bar lines: the bridge lets its line
 * drift up to 1 ms before it re-aligns; Link peers agree within 0.2 ms
 * (test/interop/link-interop.test.ts); the rest is for the RTP-MIDI clock sync that maps the
 * DAW's timestamps (on loopback, well under 0.5 ms even on a loaded machine). About 100 µs is
 * typical here; 2 ms is a 30th of a 16th note at 131 bpm, far below what a listener hears.
 */
const PHASE_TOLERANCE_US = 2000;

describe('phaselock follow --to-link: a DAW sending only MIDI clock leads a Link session (Ableton peer)', () => {
  let ns: Netns;
  let ableton: LinePeer;
  withAbletonNamespace('plfollow', { startStopSync: true, bpm: 100, quantum: Q }, (fx) => {
    ({ ns, ableton } = fx);
  });

  const spawnIn = (args: readonly string[]) => {
    const child = ns.exec(process.execPath, [BIN, ...args], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    return { child, out: new Lines(child.stdout!), stderr: () => stderr };
  };
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child, 3000).catch(() => undefined);
  };

  it('tempo ≈ 131, bar lines on the DAW\'s, playing with Start and Stop; clock gone: the session keeps its tempo', { timeout: 90_000 }, async () => {
    const port = await freePortPair();
    const mark = ableton.events.length;
    const follow = spawnIn(['follow', '--from', `rtpmidi:${port}`, '--address', '127.0.0.1', '--no-advertise', '--to-link', '--quantum', String(Q), '--join-wait', '0.5']);
    let daw: ReturnType<typeof spawnIn> | undefined;
    try {
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 10_000, mark);
      await waitFor(() => /bridging into Link/.test(follow.stderr()), { timeoutMs: 10_000, what: 'the bridge' });
      assert.equal((await ableton.status()).isPlaying, false);

      daw = spawnIn(['clock', '--no-link', '--bpm', String(BPM), '--to', `rtpmidi:127.0.0.1:${port}`, '--duration', '5']);
      const startLine = await follow.out.wait((l) => /^\d+ start/.test(l), 'the start', 15_000);
      const t0 = Number(startLine.split(' ')[0]);
      await ableton.waitForEvent((e) => e.event === 'playing' && e.isPlaying === true, 5000, mark);
      await ableton.waitFor(async () => Math.abs((await ableton.status()).tempo - BPM) < 0.05, { timeoutMs: 5000, what: `the peer at ${BPM} bpm` });

      // Settled (the bridge commits its tempo within a beat): compare at instants spread over 1.2 s.
      await sleep(Math.max(0, 1500 - (monoMicros() - t0) / 1000));
      const times = spreadInstants(monoMicros(), 24, 50_000);
      const { phases } = await ableton.phases(Q, times);
      const errorsUs = phases.map((p, i) => {
        const dawBeat = ((times[i]! - t0) * BPM) / 60e6;
        return Math.abs((phaseDifference(p, dawBeat % Q, Q) * 60e6) / BPM);
      });
      const worst = Math.max(...errorsUs);
      assert.ok(worst <= PHASE_TOLERANCE_US, `the peer's phase is up to ${worst.toFixed(0)} µs off the DAW's bar lines (${errorsUs.map((e) => e.toFixed(0)).join(' ')}); follow said:\n${follow.out.lines.join('\n')}`);
      const s = await ableton.status();
      assert.equal(s.isPlaying, true);
      assert.ok(Math.abs(s.tempo - BPM) < 0.05, `tempo ${s.tempo}`);

      // The DAW stops (--duration) and goes away: Stop reaches Link; then the session carries on alone.
      assert.equal(await exited(daw.child, 20_000), 0, daw.stderr());
      await ableton.waitForEvent((e) => e.event === 'playing' && e.isPlaying === false, 5000, mark);
      await follow.out.wait((l) => / link carries on alone$/.test(l), 'the clock lost', 5000);
      await sleep(1000);
      const after = await ableton.status();
      assert.ok(Math.abs(after.tempo - BPM) < 0.05, `without the clock the session keeps its tempo: ${after.tempo}`);
      assert.equal(after.numPeers, 1);

      const lines = follow.out.lines;
      assert.ok(lines.some((l) => /^\d+ link start at beat /.test(l)), lines.join('\n'));
      const tempos = lines.map((l) => / link (?:tempo |align .*, tempo )(\d+\.\d+)$/.exec(l)?.[1]).filter((x) => x !== undefined).map(Number);
      assert.ok(tempos.length > 0 && Math.abs(tempos.at(-1)! - BPM) <= 0.05, `last tempo committed ${tempos.at(-1)}: ${lines.join('\n')}`);
      assert.ok(lines.some((l) => /^\d+ link stop/.test(l)), lines.join('\n'));
      const commits = lines.filter((l) => / link (tempo|align)/.test(l)).length;
      assert.ok(commits <= 12, `${commits} tempo/align commits in ~5 s: ${lines.join('\n')}`);

      const gone = ableton.events.length;
      follow.child.kill('SIGINT');
      assert.equal(await exited(follow.child, 10_000), 0, follow.stderr());
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 4000, gone);
    } finally {
      if (daw) await kill(daw.child);
      await kill(follow.child);
    }
  });
});
