/**
 * The Link examples, run for real (short durations) inside a private network namespace, next
 * to an Ableton Link peer where that makes the example's effect observable.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { withAbletonNamespace, type LinePeer, type Netns } from './harness.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function runExample(ns: Netns, file: string, args: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  const proc = ns.exec(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples', file), ...args], { cwd: ROOT });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, out, err })));
}

describe('Link examples', () => {
  let ns: Netns;
  let ableton: LinePeer;

  withAbletonNamespace('plex', { startStopSync: true }, (fx) => {
    ({ ns, ableton } = fx);
  });

  it('quick start joins the session and reports the peer', async () => {
    const r = await runExample(ns, 'link-quick-start.ts', ['--duration', '1500']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /peers: 1/);
    assert.match(r.out, /beat -?\d+\.\d\d {2}tempo 120\.00 {2}peers 1/);
  });

  it('beat and phase are printed', async () => {
    const r = await runExample(ns, 'link-beat-phase.ts', ['--duration', '800']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /now: beat -?\d+\.\d{3} phase [0-3]\.\d{3}/);
  });

  it('changing the tempo reaches the Ableton peer', async () => {
    const r = await runExample(ns, 'link-change-tempo.ts', ['97.25', '--duration', '1600']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /tempo: 97\.25/);
    const s = await ableton.status();
    assert.ok(Math.abs(s.tempo - 97.25) < 1e-3, `Ableton tempo ${s.tempo}`);
    await ableton.command('tempo 120');
  });

  it('changing the tempo reads --duration by name: without a tempo it sets the default, not 1600 bpm', async () => {
    const r = await runExample(ns, 'link-change-tempo.ts', ['--duration', '1600']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /tempo: 133\.5$/m);
    const s = await ableton.status();
    assert.ok(Math.abs(s.tempo - 133.5) < 1e-3, `Ableton tempo ${s.tempo}`);
    await ableton.command('tempo 120');
    for (const args of [['fast'], ['97', '98'], ['--duration'], ['--durations', '100']]) {
      const bad = await runExample(ns, 'link-change-tempo.ts', args);
      assert.equal(bad.code, 2, `${args.join(' ')}: exit ${bad.code}, ${bad.out}`);
      assert.notEqual(bad.err, '');
    }
    assert.ok(Math.abs((await ableton.status()).tempo - 120) < 1e-3, 'the refused runs left the session alone');
  });

  it('a quantized start counts in and starts the Ableton peer', async () => {
    const r = await runExample(ns, 'link-quantized-start.ts', ['--duration', '1800']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /playing; beat 0 at \d+ µs/);
    assert.match(r.out, /beat -\d\.\d\d/, 'a negative beat (count-in) is shown');
    assert.equal((await ableton.status()).isPlaying, true);
    await ableton.command('stop');
  });

  it('two timelines in one process share one session and phase', async () => {
    const r = await runExample(ns, 'link-two-timelines.ts', ['--duration', '2500']);
    assert.equal(r.code, 0, r.err);
    // Both see each other and the Ableton peer: 2 peers each.
    assert.match(r.out, /drums sees 2 peer, bass sees 2 peer/);
    const m = /phase at quantum 4: drums (\d\.\d+), bass (\d\.\d+)/.exec(r.out);
    assert.ok(m, r.out);
    const d = Math.abs(Number(m[1]) - Number(m[2]));
    assert.ok(Math.min(d, 4 - d) < 0.001, `phases differ by ${d}`);
  });
});
