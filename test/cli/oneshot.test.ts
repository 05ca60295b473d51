/**
 * End to end: the scriptable one-shot commands (status, peers, tempo, play, stop) in a network
 * namespace next to a real Ableton Link peer; exit codes 0 / 1 / 2.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phaseDifference, withAbletonNamespace, type LinePeer, type Netns } from '../interop/harness.ts';
import { runIn, runOffline } from './helpers.ts';

const near = (a: number, b: number, eps = 0.01) => Math.abs(a - b) < eps;

describe('one-shot commands next to an Ableton peer', () => {
  let ns: Netns;
  let ableton: LinePeer;

  withAbletonNamespace('plcli', { startStopSync: true, bpm: 120 }, (fx) => {
    ({ ns, ableton } = fx);
  });

  it('status --json: 1 peer, the session tempo, and the same phase as the Ableton peer at the same instant', async () => {
    const r = await runIn(ns, ['status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.numPeers, 1);
    assert.ok(near(s.tempo, 120));
    assert.equal(s.quantum, 4);
    assert.equal(s.isPlaying, null, 'a newcomer does not know the transport');
    const ref = await ableton.phases(4, [s.t]);
    const diff = Math.abs(phaseDifference(s.phase, ref.phases[0]!, 4));
    assert.ok(diff < 0.002, `phase ${s.phase} vs Ableton ${ref.phases[0]} (${diff} beats apart)`);
  });

  it('status prints text; peers prints the number; both act within a second of joining', async () => {
    const status = await runIn(ns, ['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^peers {7}1\ntempo {7}120\.00 bpm\nbeat {8}-?\d+\.\d{3} \(quantum 4, phase \d\.\d{3}\)\ntransport {3}unknown/);
    const peers = await runIn(ns, ['peers']);
    assert.equal(peers.code, 0, peers.stderr);
    assert.equal(peers.stdout, '1\n');
    assert.ok(peers.ms < 3000, `peers took ${peers.ms} ms (node start-up included)`);
    const json = await runIn(ns, ['peers', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { numPeers: 1 });
  });

  it('tempo sets the session tempo; play and stop drive the transport; the session keeps its tempo', async () => {
    let mark = ableton.events.length;
    const tempo = await runIn(ns, ['tempo', '133']);
    assert.equal(tempo.code, 0, tempo.stderr);
    assert.equal(tempo.stdout, 'tempo 133.00 bpm (1 peer)\n');
    await ableton.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, 133), 2000, mark);

    // One-shots run back to back meet a session as young as their own (the Ableton peer
    // founds a new one when the previous one-shot leaves): they must join it, never make it
    // adopt their default tempo.
    for (const [cmd, playing] of [[['play'], true], [['stop'], false], [['play', '--quantized'], true], [['stop'], false]] as const) {
      mark = ableton.events.length;
      const r = await runIn(ns, cmd);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, playing ? /^playing/ : /^stopped \(1 peer\)/);
      await ableton.waitForEvent((e) => e.event === 'playing' && e.isPlaying === playing, 2000, mark);
      assert.ok(near((await ableton.status()).tempo, 133), `${cmd.join(' ')} changed the session tempo`);
    }
  });

  it('without a session: tempo/play/stop exit 1 after --timeout; status and peers report 0 peers, exit 0', async () => {
    await ableton.command('disable');
    try {
      const r = await runIn(ns, ['tempo', '100', '--timeout', '0.5']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no Link session found within 0\.5 s/);
      assert.ok(r.ms < 2500, `took ${r.ms} ms`);
      for (const cmd of [['play'], ['stop']]) {
        const x = await runIn(ns, [...cmd, '--timeout', '0.3']);
        assert.equal(x.code, 1, `${cmd.join(' ')}: ${x.stderr}`);
      }
      const s = await runIn(ns, ['status', '--json', '--timeout', '0.3']);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(JSON.parse(s.stdout).numPeers, 0);
      assert.equal(JSON.parse(s.stdout).isPlaying, false, 'alone, the transport is our own: known');
      const p = await runIn(ns, ['peers', '--timeout', '0.3']);
      assert.equal(p.stdout, '0\n');
    } finally {
      await ableton.command('enable');
    }
  });
});

describe('exit code 2 with a usage line for bad arguments (nothing joins)', () => {
  for (const [args, usage] of [
    [['tempo'], /^usage: phaselock tempo <bpm>/m],
    [['tempo', 'fast'], /^usage: phaselock tempo <bpm>/m],
    [['tempo', '5000'], /^usage: phaselock tempo <bpm>/m],
    [['play', '--quantum', 'x'], /^usage: phaselock play/m],
    [['status', '--frob'], /^usage: phaselock status/m],
    [['--bpm', '1'], /^usage: phaselock \[link\]/m],
    [['link', 'now'], /^usage: phaselock \[link\]/m],
    [['carabiner', '--port', '-1'], /^usage: phaselock carabiner/m],
    [['dance'], /^usage: phaselock \[link\|status/m],
  ] as const) {
    it(`phaselock ${args.join(' ')}`, async () => {
      const r = await runOffline(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^phaselock: /);
      assert.match(r.stderr, usage);
      assert.equal(r.stdout, '');
    });
  }

  it('--help and help <command> print help and exit 0', async () => {
    const r = await runOffline(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /phaselock carabiner/);
    const t = await runOffline(['help', 'carabiner']);
    assert.match(t.stdout, /CLOCK_MONOTONIC/);
  });
});
