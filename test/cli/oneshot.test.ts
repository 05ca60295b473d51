/**
 * End to end: the scriptable one-shot commands (status, peers, tempo, play, stop) in a network
 * namespace next to a real Ableton Link peer; exit codes 0 / 1 / 2.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Netns, phaseDifference, sleep, withAbletonNamespace, type LinePeer } from '../interop/harness.ts';
import { BIN, ENV, Lines, ROOT, runIn, runOffline } from './helpers.ts';

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

  it('tempo +N / -N change the session tempo (a negative one is not an option); out of range is clamped, with a note', async () => {
    await runIn(ns, ['tempo', '120']);
    for (const [args, bpm] of [[['tempo', '+1'], 121], [['tempo', '-2.5'], 118.5], [['tempo', '--', '-0.5'], 118]] as const) {
      const mark = ableton.events.length;
      const r = await runIn(ns, args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, `tempo ${bpm.toFixed(2)} bpm (1 peer)\n`);
      assert.equal(r.stderr, '');
      await ableton.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, bpm), 2000, mark);
    }
    const up = await runIn(ns, ['tempo', '+900']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, 'tempo 999.00 bpm (1 peer)\n');
    assert.match(up.stderr, /^phaselock: 118\.00 \+ 900 bpm is outside Link's range; clamped to 999 bpm\n$/);
    await runIn(ns, ['tempo', '100']);
    const down = await runIn(ns, ['tempo', '-90']);
    assert.equal(down.stdout, 'tempo 20.00 bpm (1 peer)\n');
    assert.match(down.stderr, /clamped to 20 bpm/);
    await runIn(ns, ['tempo', '120']);
    assert.ok(near((await ableton.status()).tempo, 120));
  });

  it('without a session: tempo/play/stop exit 1 after --timeout; status says there is none and peers 0, exit 0', async () => {
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
      const rel = await runIn(ns, ['tempo', '+1', '--timeout', '0.3']);
      assert.equal(rel.code, 1, 'a relative tempo needs a session to change');
      assert.match(rel.stderr, /no Link session found to change the tempo of within 0\.3 s/);
      assert.equal(rel.stdout, '');
      // Alone there is no session: no tempo, beat, phase or transport to report (ours would be made up).
      const s = await runIn(ns, ['status', '--json', '--timeout', '0.3']);
      assert.equal(s.code, 0, s.stderr);
      const json = JSON.parse(s.stdout);
      assert.equal(json.numPeers, 0);
      for (const key of ['tempo', 'beat', 'phase', 'isPlaying']) assert.equal(json[key], null, key);
      const text = await runIn(ns, ['status', '--timeout', '0.3']);
      assert.equal(text.code, 0, text.stderr);
      assert.equal(text.stdout, 'peers       0\nsession     none: no Link peer answered within 0.3 s (see --interface, --timeout)\n');
      const p = await runIn(ns, ['peers', '--timeout', '0.3']);
      assert.equal(p.stdout, '0\n');
    } finally {
      await ableton.command('enable');
    }
  });
});

/**
 * Listens on Link's discovery group on `lo` (never sends): one JSON line per discovery message,
 * `{"type":1|2|3,"node":"<hex>"}` (1 Alive, 3 ByeBye; link-wire-spec 01 §3), after `{"ready":true}`.
 */
const DISCOVERY_LISTENER = `
const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
s.on('message', (m) => {
  if (m.length < 20 || m.toString('latin1', 0, 8) !== '_asdp_v\\x01') return;
  console.log(JSON.stringify({ type: m[8], node: m.subarray(12, 20).toString('hex') }));
});
s.bind(20808, () => { s.addMembership('224.76.78.75', '127.0.0.1'); console.log(JSON.stringify({ ready: true })); });
`;

describe('one-shots and signals: a signal while they wait ends them at once, exit 1, ByeBye sent', () => {
  let ns: Netns;
  let heard: Lines;
  before(async () => {
    ns = await Netns.create('plsig'); // no peer: the one-shots wait for their whole --timeout
    const listener = ns.exec(process.execPath, ['-e', DISCOVERY_LISTENER]);
    heard = new Lines(listener.stdout!);
    await heard.wait((l) => l.includes('ready'), 'the discovery listener');
  });
  after(() => ns?.close());

  for (const [args, signal, job] of [
    [['tempo', '130'], 'SIGINT', 'the tempo was set'],
    [['tempo', '+1'], 'SIGHUP', 'the tempo was set'],
    [['play', '--quantized'], 'SIGTERM', 'the transport was started'],
    [['stop'], 'SIGINT', 'the transport was stopped'],
    [['status', '--json'], 'SIGTERM', "the session's state was printed"],
    [['peers'], 'SIGHUP', 'the peers were counted'],
  ] as const) {
    it(`${args.join(' ')}, ${signal}: 'interrupted (${signal}) before ${job}', nothing on stdout`, async () => {
      const from = heard.lines.length;
      const child = ns.exec(process.execPath, [BIN, ...args, '--timeout', '60'], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (x: string) => (stdout += x));
      child.stderr!.setEncoding('utf8').on('data', (x: string) => (stderr += x));
      // Its first Alive: Link is enabled, so the command (and its signal handling) is running.
      const alive = JSON.parse(await heard.wait((l) => l.includes('"type":1'), 'an Alive from the one-shot', 10_000, from)) as { node: string };
      child.kill(signal);
      // Long before its --timeout of 60 s. 'close': stdout and stderr have been read to the end.
      const code = await Promise.race([
        new Promise((resolve) => child.once('close', (c, sig) => resolve(c ?? sig))),
        sleep(5000).then(() => 'still running after 5 s'),
      ]);
      assert.equal(code, 1, `stderr: ${stderr}`);
      assert.equal(stderr, `phaselock: interrupted (${signal}) before ${job}\n`);
      assert.equal(stdout, '');
      await heard.wait((l) => l === JSON.stringify({ type: 3, node: alive.node }), 'its ByeBye', 2000, from);
    });
  }
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
