/**
 * End to end: `phaselock --json` (and the automatic JSON mode when stdout is not a TTY), in a
 * network namespace next to a real Ableton Link peer, keys written to stdin.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monoMicros, waitFor, withAbletonNamespace, type LinePeer, type Netns } from '../interop/harness.ts';
import { BIN, ENV, exited, Lines, ROOT, running } from './helpers.ts';
import type { LiveStatus } from '../../src/cli/tui/hut.ts';
import type { JsonReason } from '../../src/cli/tui/status-format.ts';

const near = (a: number, b: number, eps = 0.01) => Math.abs(a - b) < eps;

/** A `--json` line: the live view's status and why it was written. */
type JsonStatus = LiveStatus & { reason: JsonReason };

const parse = (line: string) => JSON.parse(line) as JsonStatus;

describe('phaselock JSON mode, next to an Ableton peer', () => {
  let ns: Netns;
  let ableton: LinePeer;

  withAbletonNamespace('plcli', { startStopSync: true, bpm: 120 }, (fx) => {
    ({ ns, ableton } = fx);
  });

  const start = (args: string[]) => {
    const child = ns.exec(process.execPath, [BIN, ...args], { env: ENV, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    return { child, out: new Lines(child.stdout!), stderr: () => stderr };
  };

  /** Waits for the Ableton peer to see phaselock leave; returns how long after `t0` (µs). */
  const leftAfter = async (mark: number, t0: number) => {
    const gone = await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 8000, mark);
    return gone.t - t0;
  };

  it('--json: status lines with 1 peer; e, space and q act like in the UI', async () => {
    const joinMark = ableton.events.length;
    const { child, out, stderr } = start(['--json']);
    const joined = await out.wait((l) => parse(l).numPeers === 1, '1 peer', 8000);
    await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 3000, joinMark);
    const s = parse(joined);
    assert.deepEqual(Object.keys(s).sort(),
      ['beat', 'enabled', 'isPlaying', 'numPeers', 'phase', 'quantum', 'reason', 'startStopSync', 't', 'tempo']);
    assert.equal(s.enabled, true);
    assert.equal(s.startStopSync, true);

    let mark = ableton.events.length;
    child.stdin!.write('e');
    await ableton.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, 121), 3000, mark);
    await out.wait((l) => parse(l).reason === 'key' && near(parse(l).tempo, 121), 'a key line at 121 bpm', 2000);

    mark = ableton.events.length;
    child.stdin!.write(' ');
    await ableton.waitForEvent((e) => e.event === 'playing' && e.isPlaying === true, 3000, mark);
    assert.equal((await ableton.status()).isPlaying, true);

    mark = ableton.events.length;
    const t0 = monoMicros();
    child.stdin!.write('q');
    assert.equal(await exited(child, 4000), 0, stderr());
    const ms = (await leftAfter(mark, t0)) / 1000;
    assert.ok(ms < 1500, `byebye: the peer saw phaselock leave after ${ms} ms`);
    // Leave the session as we found it for the next test.
    await ableton.command('stop');
    await ableton.command('tempo 120');
  });

  it('is automatic when stdout is not a TTY: a line per change and every 250 ms; SIGTERM exits cleanly', async () => {
    const joinMark = ableton.events.length;
    const { child, out, stderr } = start([]);
    await out.wait((l) => parse(l).numPeers === 1, '1 peer', 8000);
    await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 3000, joinMark);
    const from = out.lines.length;
    await new Promise((r) => setTimeout(r, 1100));
    const ticks = out.lines.slice(from).map(parse).filter((s) => s.reason === 'tick');
    assert.ok(ticks.length >= 3 && ticks.length <= 5, `${ticks.length} tick lines in 1.1 s`);
    const gaps = ticks.slice(1).map((x, i) => x.t - ticks[i]!.t);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(mean > 220_000 && mean < 300_000, `mean tick gap ${mean} µs (gaps ${gaps.join(', ')})`);
    // A change on the other side is reported at once, not only with the next tick.
    const mark = out.lines.length;
    await ableton.command('tempo 125');
    const line = await out.wait((l) => parse(l).reason === 'tempo', 'a tempo line', 2000, mark);
    assert.ok(near(parse(line).tempo, 125));

    const abletonMark = ableton.events.length;
    const t0 = monoMicros();
    child.kill('SIGTERM');
    assert.equal(await exited(child, 4000), 0, stderr());
    const ms = (await leftAfter(abletonMark, t0)) / 1000;
    assert.ok(ms < 1500, `byebye: the peer saw phaselock leave after ${ms} ms`);
    assert.equal(stderr(), '');
  });

  it('a reader that goes away (`| head -1`) ends it cleanly: exit 0, no crash, byebye', async () => {
    const joinMark = ableton.events.length;
    const { child, out, stderr } = start(['--json']);
    await out.wait((l) => parse(l).numPeers === 1, '1 peer', 8000);
    await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 3000, joinMark);
    const mark = ableton.events.length;
    const t0 = monoMicros();
    child.stdout!.destroy(); // the next status line (≤ 250 ms) hits EPIPE
    assert.equal(await exited(child, 4000), 0, stderr());
    assert.doesNotMatch(stderr(), /EPIPE|Error/);
    assert.ok((await leftAfter(mark, t0)) < 1_500_000);
  });

  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`${signal} (${signal === 'SIGINT' ? 'Ctrl-C outside a terminal' : 'the terminal closed'}) exits cleanly too`, async () => {
      const joinMark = ableton.events.length;
      const { child, out, stderr } = start(['--json']);
      await out.wait((l) => parse(l).numPeers === 1, '1 peer', 8000);
      // Both sides count each other before the signal, or there is no leave to observe.
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 3000, joinMark);
      const mark = ableton.events.length;
      const t0 = monoMicros();
      child.kill(signal);
      assert.equal(await exited(child, 4000), 0, stderr());
      assert.ok((await leftAfter(mark, t0)) < 1_500_000);
    });
  }

  it('`printf eq | phaselock --json`: a key piped at start reaches the session (applied once joined), then q exits 0', async () => {
    await ableton.command('tempo 133');
    const mark = ableton.events.length;
    const { child, out, stderr } = start(['--json']);
    child.stdin!.end('eq'); // both keys arrive before phaselock has found the session
    const tempo = await ableton.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, 134), 5000, mark);
    assert.ok(near(tempo.bpm, 134), `the session's tempo became ${tempo.bpm}`);
    assert.equal(await exited(child, 5000), 0, stderr());
    const keyLine = out.lines.map(parse).find((s) => s.reason === 'key');
    assert.ok(keyLine && near(keyLine.tempo, 134) && keyLine.numPeers === 1, `key line: ${JSON.stringify(keyLine)}`);
    assert.ok(near((await ableton.status()).tempo, 134));
    await ableton.command('tempo 120');
  });

  it('joining a playing session: isPlaying is null (unknown) until a start/stop is heard; space starts', async () => {
    await ableton.command('play');
    const { child, out, stderr } = start(['--json']);
    try {
      const joined = parse(await out.wait((l) => parse(l).numPeers === 1, '1 peer', 8000));
      assert.equal(joined.isPlaying, null, "the session plays, but Link's API says not playing: unknown");
      let from = out.lines.length;
      child.stdin!.write(' ');
      const started = parse(await out.wait((l) => parse(l).reason === 'key', 'a key line', 2000, from));
      assert.equal(started.isPlaying, true);
      from = out.lines.length;
      await ableton.command('stop');
      const stopped = parse(await out.wait((l) => parse(l).reason === 'playing', 'a playing line', 3000, from));
      assert.equal(stopped.isPlaying, false);
      child.kill('SIGTERM');
      assert.equal(await exited(child, 4000), 0, stderr());
    } finally {
      child.kill('SIGKILL');
      await ableton.command('stop');
    }
  });

  it('its parent killed without a signal for it (`npx` on SIGTERM, a closed terminal): phaselock notices, sends byebye, exits', async () => {
    const joinMark = ableton.events.length;
    // An intermediate parent, like npm under npx: phaselock runs in its background.
    const sh = ns.exec('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --json & echo "pid $!"; wait`],
      { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    sh.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const out = new Lines(sh.stdout!);
    const pid = Number((await out.wait((l) => l.startsWith('pid '), 'the pid')).slice(4));
    try {
      await out.wait((l) => l.startsWith('{') && parse(l).numPeers === 1, '1 peer', 8000);
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 3000, joinMark);
      const mark = ableton.events.length;
      const t0 = monoMicros();
      sh.kill('SIGKILL');
      await exited(sh, 2000);
      assert.ok(running(pid), 'phaselock outlived its parent');
      await waitFor(() => !running(pid), { timeoutMs: 5000, what: 'the orphaned phaselock to exit' });
      const ms = (await leftAfter(mark, t0)) / 1000;
      assert.ok(ms < 3000, `byebye: the peer saw phaselock leave after ${ms} ms (the parent is checked every second)`);
      assert.equal(stderr, '');
    } finally {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
